"""The compatibility suite's server: `idprotect serve --tls` with tokens verified, one per run.

Each test gets a tenant of its own, seeded through /_admin, and an app registration in it that
the SDKs sign in as with azure-identity's ClientSecretCredential.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from anyio.from_thread import start_blocking_portal

from idprotect.issuer.apps import unregistered_app
from idprotect.issuer.service import app_token
from idprotect.store.engine import Database, make_engine
from tests.compat.loop import Loop
from tests.system.server import ServerProcess

ADMIN_ROLE = "IdentityProtection.Admin"
READ_WRITE = ("IdentityRiskyUser.ReadWrite.All", "IdentityRiskEvent.Read.All")


@dataclass
class Tenant:
    """A tenant of the running server, with an admin door for seeding."""

    server: ServerProcess
    tenant_id: str
    admin: httpx.Client

    def register_app(self, *roles: str) -> tuple[str, str]:
        """A client id and secret for the client-credentials grant."""
        body = {"displayName": "compat", "roles": list(roles or READ_WRITE)}
        created = self._post("applications", body)
        return created["clientId"], created["clientSecret"]

    def add_risk_detections(self, *detections: dict[str, Any]) -> list[dict[str, Any]]:
        created: list[dict[str, Any]] = self._post("riskDetections", {"value": detections})["value"]
        return created

    def add_risky_users(self, count: int, **fields: Any) -> list[str]:
        created = self.add_risk_detections(*(detection(**fields) for _ in range(count)))
        return [d["userId"] for d in created]

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.admin.post(f"/_admin/tenants/{self.tenant_id}/{path}", json=body)
        assert response.status_code == 201, response.text
        return response.json()


def detection(**fields: Any) -> dict[str, Any]:
    user_id = str(uuid.uuid4())
    return {
        "userId": user_id,
        "userDisplayName": f"User {user_id[:8]}",
        "userPrincipalName": f"user.{user_id[:8]}@contoso.com",
        "riskEventType": "unfamiliarFeatures",
        "riskLevel": "high",
        "ipAddress": "203.0.113.7",
        "location": {"city": "Lyon", "countryOrRegion": "FR"},
        **fields,
    }


@pytest.fixture(scope="session")
def compat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("compat")
    server = ServerProcess(
        f"sqlite:///{directory / 'idprotect.db'}",
        directory,
        auth="on",
        tls_dir=directory / "tls",
    )
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def server_database(compat_server: ServerProcess) -> Iterator[Database]:
    """The server's database, where the built-in issuer keeps its signing keys."""
    database = Database(make_engine(compat_server.db_url))
    yield database
    database.dispose()


@pytest.fixture
def tenant(compat_server: ServerProcess, server_database: Database) -> Iterator[Tenant]:
    tenant_id = str(uuid.uuid4())
    token = app_token(
        server_database,
        unregistered_app(tenant_id, "compat-seeder"),
        now=datetime.now(UTC),
        lifetime=timedelta(hours=1),
        roles=frozenset({ADMIN_ROLE}),
    )
    with httpx.Client(
        base_url=compat_server.base_url,
        headers={"Authorization": f"Bearer {token}"},
        verify=compat_server.ssl_context(),
    ) as admin:
        yield Tenant(compat_server, tenant_id, admin)


@pytest.fixture
def loop() -> Iterator[Loop]:
    with start_blocking_portal() as portal:
        test_loop = Loop(portal)
        yield test_loop
        test_loop.close()
