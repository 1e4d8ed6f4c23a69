"""A dependency-free report script: urllib.request and json from the standard library."""

from __future__ import annotations

import json
import ssl
import urllib.parse
import urllib.request
from typing import Any

from tests.compat.integrations.cloud import GRAPH_SCOPES, PUBLIC_CLOUD, Cloud


def high_risk_user_names(
    tenant_id: str, client_id: str, client_secret: str, cloud: Cloud = PUBLIC_CLOUD
) -> list[str]:
    trust = ssl.create_default_context(cafile=cloud.ca_bundle)
    form = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": client_id,
         "client_secret": client_secret, "scope": GRAPH_SCOPES[0]}
    ).encode()  # fmt: skip
    token_url = f"{cloud.authority}/{tenant_id}/oauth2/v2.0/token"
    token = _json(urllib.request.Request(token_url, data=form), trust)["access_token"]
    query = urllib.parse.quote("riskLevel eq 'high'")
    url = f"{cloud.graph_url}/v1.0/identityProtection/riskyUsers?$filter={query}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    return sorted(user["userPrincipalName"] for user in _json(request, trust)["value"])


def _json(request: urllib.request.Request, trust: ssl.SSLContext) -> Any:
    with urllib.request.urlopen(request, context=trust, timeout=30) as response:
        return json.load(response)
