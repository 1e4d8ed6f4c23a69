"""The built-in issuer: discovery, keys, the client-credentials grant, and key rotation."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from idprotect.issuer.service import register_app, rotate_signing_keys
from idprotect.store.engine import Database
from tests.auth.conftest import secure_client
from tests.auth.issuers import TestIssuer
from tests.auth.tokens import TENANT_A, WRITE
from tests.conftest import FakeClock

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
TOKEN = f"/{TENANT_A}/oauth2/v2.0/token"


@pytest.fixture
def registered(secure: TestClient) -> tuple[str, str]:
    database: Database = secure.app.state.database  # type: ignore[attr-defined]
    app, secret = register_app(
        database, tenant_id=TENANT_A, display_name="SOAR", roles=frozenset({WRITE})
    )
    return app.client_id, secret


def grant(client: TestClient, **form: str) -> Any:
    return client.post(
        TOKEN, data={"grant_type": "client_credentials", "scope": GRAPH_DEFAULT, **form}
    )


def entra_error(response: Any, status: int, error: str, code: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)


def test_discovery_names_the_token_endpoint_and_keys(secure: TestClient) -> None:
    document = secure.get(f"/{TENANT_A}/v2.0/.well-known/openid-configuration").json()
    assert document["token_endpoint"] == f"http://testserver/{TENANT_A}/oauth2/v2.0/token"
    assert document["jwks_uri"] == f"http://testserver/{TENANT_A}/discovery/v2.0/keys"
    keys = secure.get(f"/{TENANT_A}/discovery/v2.0/keys").json()["keys"]
    assert [k["kty"] for k in keys] == ["RSA"]
    assert "d" not in keys[0]  # public parts only


def test_client_credentials_token_opens_the_api(
    secure: TestClient, registered: tuple[str, str]
) -> None:
    client_id, secret = registered
    response = grant(secure, client_id=client_id, client_secret=secret)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3599)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert (claims["tid"], claims["appid"], claims["roles"]) == (TENANT_A, client_id, [WRITE])
    assert claims["iss"] == f"https://sts.windows.net/{TENANT_A}/"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert secure.get("/v1.0/identityProtection/riskyUsers", headers=headers).status_code == 200


def test_client_secret_basic_works_too(secure: TestClient, registered: tuple[str, str]) -> None:
    basic = base64.b64encode(":".join(registered).encode()).decode()
    response = secure.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": GRAPH_DEFAULT},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200


def test_wrong_secret_is_invalid_client(secure: TestClient, registered: tuple[str, str]) -> None:
    entra_error(
        grant(secure, client_id=registered[0], client_secret="nope"), 401, "invalid_client", 7000215
    )


def test_missing_secret_is_invalid_client(secure: TestClient, registered: tuple[str, str]) -> None:
    entra_error(grant(secure, client_id=registered[0]), 401, "invalid_client", 7000216)


def test_unknown_app(secure: TestClient) -> None:
    entra_error(
        grant(secure, client_id="nobody", client_secret="x"), 400, "unauthorized_client", 700016
    )


def test_another_tenants_app_is_unknown_here(
    secure: TestClient, registered: tuple[str, str]
) -> None:
    response = secure.post(
        "/b0b0b0b0-0000-4000-8000-00000000000b/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "scope": GRAPH_DEFAULT,
              "client_id": registered[0], "client_secret": registered[1]},
    )  # fmt: skip
    entra_error(response, 400, "unauthorized_client", 700016)


def test_unsupported_grant(secure: TestClient, registered: tuple[str, str]) -> None:
    response = grant(secure, grant_type="password", client_id=registered[0])
    entra_error(response, 400, "unsupported_grant_type", 70003)


def test_scope_must_be_graph_default(secure: TestClient, registered: tuple[str, str]) -> None:
    response = grant(
        secure, scope="User.Read", client_id=registered[0], client_secret=registered[1]
    )
    entra_error(response, 400, "invalid_scope", 1002012)


def _listing(client: TestClient, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    status: int = client.get("/v1.0/identityProtection/riskyUsers", headers=headers).status_code
    return status


def _two_tokens_around_a_rotation(
    database: Database, client: TestClient, *, rotated_at: datetime, grace: timedelta
) -> tuple[str, str]:
    app, secret = register_app(
        database, tenant_id=TENANT_A, display_name="x", roles=frozenset({WRITE})
    )
    old = grant(client, client_id=app.client_id, client_secret=secret).json()["access_token"]
    rotate_signing_keys(database, rotated_at, grace)
    new = grant(client, client_id=app.client_id, client_secret=secret).json()["access_token"]
    assert jwt.get_unverified_header(old)["kid"] != jwt.get_unverified_header(new)["kid"]
    return old, new


def test_rotated_keys_keep_old_tokens_valid_for_the_grace_period(
    sqlite_database: Database, clock: FakeClock, test_issuer: TestIssuer
) -> None:
    client = secure_client(sqlite_database, clock, test_issuer)
    old, new = _two_tokens_around_a_rotation(
        sqlite_database, client, rotated_at=datetime.now(UTC), grace=timedelta(hours=1)
    )
    assert (_listing(client, old), _listing(client, new)) == (200, 200)


def test_after_the_grace_period_old_keys_no_longer_verify(
    sqlite_database: Database, clock: FakeClock, test_issuer: TestIssuer
) -> None:
    client = secure_client(sqlite_database, clock, test_issuer)
    old, new = _two_tokens_around_a_rotation(
        sqlite_database,
        client,
        rotated_at=datetime.now(UTC) - timedelta(hours=2),
        grace=timedelta(hours=1),
    )
    later = secure_client(sqlite_database, clock, test_issuer)  # keys are re-read at start
    assert (_listing(later, old), _listing(later, new)) == (401, 200)
