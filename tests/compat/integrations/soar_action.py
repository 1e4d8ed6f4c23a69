"""A SOAR playbook action: confirm a user compromised, then report the user's risk state.

Synchronous, with MSAL's ConfidentialClientApplication (a client secret or a certificate, as
the connector's settings say) and requests, the way SOAR connectors are commonly written.
A CA to trust comes from REQUESTS_CA_BUNDLE, as for any requests-based code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msal
import requests

from tests.compat.integrations.cloud import GRAPH_SCOPES, PUBLIC_CLOUD, Cloud


@dataclass(frozen=True)
class Connector:
    tenant_id: str
    client_id: str
    client_secret: str | None = None
    certificate_key: str | None = None  # PEM private key
    certificate_thumbprint: str | None = None  # SHA-1, hex, as the portal shows it
    cloud: Cloud = PUBLIC_CLOUD


class ActionFailed(Exception):
    pass


def confirm_compromised(connector: Connector, user_id: str) -> dict[str, Any]:
    """The action: returns the user as Graph shows it afterwards."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {_token(connector)}"
    with session:
        url = f"{connector.cloud.graph_url}/v1.0/identityProtection/riskyUsers"
        done = session.post(f"{url}/confirmCompromised", json={"userIds": [user_id]}, timeout=30)
        if done.status_code != 204:
            raise ActionFailed(f"confirmCompromised: {done.status_code} {done.text}")
        user = session.get(f"{url}/{user_id}", timeout=30)
        user.raise_for_status()
        answer: dict[str, Any] = user.json()
        return answer


def _token(connector: Connector) -> str:
    credential: str | dict[str, str] = connector.client_secret or {
        "private_key": connector.certificate_key or "",
        "thumbprint": connector.certificate_thumbprint or "",
    }
    app = msal.ConfidentialClientApplication(
        connector.client_id,
        client_credential=credential,
        authority=f"{connector.cloud.authority}/{connector.tenant_id}",
        instance_discovery=connector.cloud.discovers_instances,
    )
    result = app.acquire_token_for_client(scopes=GRAPH_SCOPES)
    if "access_token" not in result:
        raise ActionFailed(f"{result.get('error')}: {result.get('error_description')}")
    token: str = result["access_token"]
    return token
