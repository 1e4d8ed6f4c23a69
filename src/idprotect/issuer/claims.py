"""The claims of the built-in issuer's tokens, shaped as Entra's v1.0 Graph access tokens."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from idprotect.auth.verifier import GRAPH_AUDIENCES
from idprotect.issuer.apps import AppRegistration

TOKEN_LIFETIME = timedelta(hours=1)


def _base_claims(tenant_id: str, now: datetime, lifetime: timedelta) -> dict[str, Any]:
    issued = int(now.timestamp())
    return {
        "aud": GRAPH_AUDIENCES[0],
        "iss": f"https://sts.windows.net/{tenant_id}/",
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(lifetime.total_seconds()),
        "tid": tenant_id,
        "ver": "1.0",
        "uti": uuid.uuid4().hex[:22],
    }


def app_token_claims(
    app: AppRegistration, *, roles: frozenset[str], now: datetime, lifetime: timedelta
) -> dict[str, Any]:
    """An app-only token: `roles` holds the application permissions granted."""
    return {
        **_base_claims(app.tenant_id, now, lifetime),
        "app_displayname": app.display_name,
        "appid": app.client_id,
        "appidacr": "1",
        "idtyp": "app",
        "oid": app.object_id,
        "sub": app.object_id,
        "roles": sorted(roles),
    }


def user_token_claims(
    *,
    tenant_id: str,
    object_id: str,
    scopes: frozenset[str],
    directory_roles: frozenset[str],
    now: datetime,
    lifetime: timedelta,
    client_id: str = "14d82eec-204b-4c2f-b7e8-296a70dab67e",  # Graph PowerShell's client id
) -> dict[str, Any]:
    """A delegated token: `scp` holds the scopes, `wids` the user's directory role ids."""
    return {
        **_base_claims(tenant_id, now, lifetime),
        "appid": client_id,
        "idtyp": "user",
        "oid": object_id,
        "sub": object_id,
        "scp": " ".join(sorted(scopes)),
        "wids": sorted(directory_roles),
    }


def id_token_claims(
    *,
    tenant_id: str,
    client_id: str,
    object_id: str,
    user_principal_name: str,
    display_name: str,
    nonce: str,
    now: datetime,
    lifetime: timedelta,
) -> dict[str, Any]:
    """An OpenID Connect ID token of the code flow, shaped as Entra's v2.0 ones."""
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "aud": client_id,
        "iss": f"https://login.microsoftonline.com/{tenant_id}/v2.0",
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(lifetime.total_seconds()),
        "name": display_name,
        "oid": object_id,
        "preferred_username": user_principal_name,
        "sub": object_id,
        "tid": tenant_id,
        "ver": "2.0",
    }
    if nonce:
        claims["nonce"] = nonce
    return claims
