"""Where the integrations below sign in and call Graph, as integrations that support sovereign
clouds or a TLS-inspecting proxy take it: Microsoft's public cloud unless configured otherwise."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory

# Entra's own authority hosts: MSAL and azure-identity know them without instance discovery.
KNOWN_AUTHORITIES = (
    "login.microsoftonline.com",
    "login.microsoftonline.us",
    "login.chinacloudapi.cn",
)
GRAPH_SCOPES = ["https://graph.microsoft.com/.default"]
Closer = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Cloud:
    authority_host: str = "login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com"
    ca_bundle: str | None = None  # a CA to trust besides the system's (a TLS proxy)

    @property
    def is_public(self) -> bool:
        return self == PUBLIC_CLOUD

    @property
    def authority(self) -> str:
        return f"https://{self.authority_host}"

    @property
    def discovers_instances(self) -> bool:
        return self.authority_host in KNOWN_AUTHORITIES

    def credential_options(self) -> dict[str, Any]:
        """Keyword arguments of azure-identity's credentials for this cloud."""
        if self.is_public:
            return {}
        options: dict[str, Any] = {"authority": self.authority_host}
        if not self.discovers_instances:
            options["disable_instance_discovery"] = True
        if self.ca_bundle:
            options["connection_verify"] = self.ca_bundle
        return options

    def graph_client(self, credential: Any) -> tuple[GraphServiceClient, Closer]:
        """msgraph-sdk's client, and what closes the connections it opened."""
        if self.is_public:
            return GraphServiceClient(credential, GRAPH_SCOPES), _nothing
        verify = ssl.create_default_context(cafile=self.ca_bundle) if self.ca_bundle else True
        transport = httpx.AsyncHTTPTransport(verify=verify)
        http = GraphClientFactory.create_with_default_middleware(
            client=httpx.AsyncClient(transport=transport)
        )
        auth = AzureIdentityAuthenticationProvider(credential, scopes=GRAPH_SCOPES)
        adapter = GraphRequestAdapter(auth, client=http)
        adapter.base_url = f"{self.graph_url}/v1.0"
        # msgraph-core's transport wrapper does not pass aclose() on to ours.
        return GraphServiceClient(request_adapter=adapter), transport.aclose


PUBLIC_CLOUD = Cloud()


async def _nothing() -> None:
    return None
