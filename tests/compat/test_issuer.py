"""azure-identity's ClientSecretCredential signs in at the built-in issuer over HTTPS (MSAL
with our authority), and the token it gets works against the API."""

from __future__ import annotations

import jwt
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential

from tests.compat.conftest import Tenant
from tests.compat.sdk import GRAPH_SCOPES

pytestmark = pytest.mark.slow  # a server process

WRITE = "IdentityRiskyUser.ReadWrite.All"


def _credential(tenant: Tenant, client_id: str, secret: str) -> ClientSecretCredential:
    return ClientSecretCredential(
        tenant.tenant_id,
        client_id,
        secret,
        authority=tenant.server.base_url.removeprefix("https://"),
        disable_instance_discovery=True,
        connection_verify=str(tenant.server.ca_certfile),
    )


def test_client_secret_credential_gets_a_token_that_works(tenant: Tenant):
    (user_id,) = tenant.add_risky_users(1)
    client_id, secret = tenant.register_app(WRITE)

    with _credential(tenant, client_id, secret) as credential:
        token = credential.get_token(*GRAPH_SCOPES)
    claims = jwt.decode(token.token, options={"verify_signature": False})
    response = tenant.admin.get(
        f"/v1.0/identityProtection/riskyUsers/{user_id}",
        headers={"Authorization": f"Bearer {token.token}"},
    )

    assert (claims["tid"], claims["appid"], claims["roles"]) == (
        tenant.tenant_id,
        client_id,
        [WRITE],
    )
    assert claims["aud"] == "https://graph.microsoft.com"
    assert response.status_code == 200, response.text
    assert response.json()["id"] == user_id


def test_wrong_secret_is_refused_as_entra_refuses_it(tenant: Tenant):
    client_id, _ = tenant.register_app(WRITE)

    with (
        _credential(tenant, client_id, "not-the-secret-at-all") as credential,
        pytest.raises(ClientAuthenticationError) as caught,
    ):
        credential.get_token(*GRAPH_SCOPES)

    assert "AADSTS7000215" in str(caught.value)
