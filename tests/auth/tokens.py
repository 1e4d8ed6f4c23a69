"""Tokens from the built-in issuer for the security suite, and seeding through /_admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from idprotect.auth.roles import ROLE_NAMES
from idprotect.issuer.apps import unregistered_app
from idprotect.issuer.service import app_token, user_token
from idprotect.store.engine import Database
from tests.api.expect import graph_error
from tests.factories import detection

TENANT_A = "a0a0a0a0-0000-4000-8000-00000000000a"
TENANT_B = "b0b0b0b0-0000-4000-8000-00000000000b"
READ = "IdentityRiskyUser.Read.All"
WRITE = "IdentityRiskyUser.ReadWrite.All"
EVENTS = "IdentityRiskEvent.Read.All"
ADMIN_ROLE = "IdentityProtection.Admin"
FAILURE = "Access token validation failure"
WWW_AUTHENTICATE = (
    'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/'
    'authorize", client_id="00000003-0000-0000-c000-000000000000"'
)


def unauthenticated(response: Any, message: str) -> None:
    """Graph's 401 for a token it refuses: exactly this message, and the Bearer challenge."""
    graph_error(response, 401, "InvalidAuthenticationToken", message)
    assert response.headers["WWW-Authenticate"] == WWW_AUTHENTICATE


def _database(client: TestClient) -> Database:
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    return database


def app_bearer(
    client: TestClient, tenant: str, *roles: str, client_id: str = "tests"
) -> dict[str, str]:
    token = app_token(
        _database(client),
        unregistered_app(tenant, client_id),
        now=datetime.now(UTC),
        lifetime=timedelta(hours=1),
        roles=frozenset(roles),
    )
    return {"Authorization": f"Bearer {token}"}


def user_bearer(
    client: TestClient, tenant: str, *, scopes: tuple[str, ...], roles: tuple[str, ...], oid: str
) -> dict[str, str]:
    token = user_token(
        _database(client),
        tenant_id=tenant,
        object_id=oid,
        scopes=frozenset(scopes),
        directory_roles=frozenset(ROLE_NAMES[name] for name in roles),
        now=datetime.now(UTC),
        lifetime=timedelta(hours=1),
    )
    return {"Authorization": f"Bearer {token}"}


def admin(client: TestClient, tenant: str) -> dict[str, str]:
    return app_bearer(client, tenant, ADMIN_ROLE, client_id="seeder")


def seed_detections(
    client: TestClient, tenant: str, *bodies: dict[str, Any]
) -> list[dict[str, Any]]:
    response = client.post(
        f"/_admin/tenants/{tenant}/riskDetections",
        json={"value": list(bodies) or [detection()]},
        headers=admin(client, tenant),
    )
    assert response.status_code == 201, response.text
    created: list[dict[str, Any]] = response.json()["value"]
    return created


def seed_risky_user(client: TestClient, tenant: str, **overrides: Any) -> str:
    user_id: str = seed_detections(client, tenant, detection(**overrides))[0]["userId"]
    return user_id


def set_licence(client: TestClient, tenant: str, licence: str) -> None:
    response = client.put(
        f"/_admin/tenants/{tenant}", json={"licence": licence}, headers=admin(client, tenant)
    )
    assert response.status_code == 204, response.text
