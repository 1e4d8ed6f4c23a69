"""Official SDK clients pointed at the compatibility server, as docs/clients.md shows them."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
from azure.core.credentials import AccessToken, TokenCredential
from azure.identity import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_beta import GraphRequestAdapter as BetaRequestAdapter
from msgraph_beta import GraphServiceClient as BetaServiceClient
from msgraph_core import APIVersion, GraphClientFactory

from tests.compat.conftest import Tenant
from tests.compat.loop import Loop

GRAPH_SCOPES = ["https://graph.microsoft.com/.default"]


def credential(tenant: Tenant, loop: Loop, *roles: str) -> ClientSecretCredential:
    """An app registered with `roles`, signed in as Entra clients do, at our authority."""
    client_id, secret = tenant.register_app(*roles)
    host = tenant.server.base_url.removeprefix("https://")
    signed_in = ClientSecretCredential(
        tenant.tenant_id,
        client_id,
        secret,
        authority=host,  # https://127.0.0.1:PORT
        disable_instance_discovery=True,  # only Entra's hosts answer instance discovery
        connection_verify=str(tenant.server.ca_certfile),
    )
    loop.close_later(signed_in.close)
    return signed_in


class StaticToken(TokenCredential):
    """A credential that always answers the same token (a bad one, for the 401 test)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, 4_102_444_800)


def _http_client(tenant: Tenant, version: APIVersion, loop: Loop) -> httpx.AsyncClient:
    """The SDK's own middleware pipeline, on an httpx client that trusts the development CA."""
    assert tenant.server.ca_certfile is not None
    trust = ssl.create_default_context(cafile=tenant.server.ca_certfile)
    transport = httpx.AsyncHTTPTransport(verify=trust, http2=True)
    client = httpx.AsyncClient(transport=transport)
    # msgraph-core's AsyncGraphTransport, which wraps ours, does not pass aclose() on.
    loop.close_later(transport.aclose)
    loop.close_later(client.aclose)
    return GraphClientFactory.create_with_default_middleware(api_version=version, client=client)


def v1_client(tenant: Tenant, credentials: TokenCredential, loop: Loop) -> GraphServiceClient:
    # Scopes given: the SDK would otherwise ask for https://127.0.0.1:PORT/.default.
    auth = AzureIdentityAuthenticationProvider(credentials, scopes=GRAPH_SCOPES)
    adapter = GraphRequestAdapter(auth, client=_http_client(tenant, APIVersion.v1, loop))
    adapter.base_url = f"{tenant.server.base_url}/v1.0"
    return GraphServiceClient(request_adapter=adapter)


def beta_client(tenant: Tenant, credentials: TokenCredential, loop: Loop) -> BetaServiceClient:
    auth = AzureIdentityAuthenticationProvider(credentials, scopes=GRAPH_SCOPES)
    adapter = BetaRequestAdapter(auth, client=_http_client(tenant, APIVersion.beta, loop))
    adapter.base_url = f"{tenant.server.base_url}/beta"
    return BetaServiceClient(request_adapter=adapter)
