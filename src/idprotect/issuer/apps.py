"""App registrations of tenants, the clients of the client-credentials grant, and their secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

_PBKDF2_ROUNDS = 120_000


@dataclass(frozen=True, slots=True)
class AppRegistration:
    """An app registration of a tenant: the client of the client-credentials grant."""

    tenant_id: str
    client_id: str
    object_id: str  # its service principal's object id: the `oid` of its tokens
    display_name: str
    app_roles: frozenset[str]
    secret_hash: str  # "" when the app has no client secret
    certificate_pem: str | None = None  # its certificate credential (public part), if any
    redirect_uris: tuple[str, ...] = ()  # a public client's: it signs users in (code flow)


def new_app(
    tenant_id: str,
    display_name: str,
    roles: frozenset[str],
    client_id: str | None,
    *,
    secret_hash: str = "",
    certificate_pem: str | None = None,
    redirect_uris: tuple[str, ...] = (),
) -> AppRegistration:
    """A new registration: a client id of its own unless one is given, a new object id."""
    return AppRegistration(
        tenant_id=tenant_id,
        client_id=client_id or str(uuid.uuid4()),
        object_id=str(uuid.uuid4()),
        display_name=display_name,
        app_roles=roles,
        secret_hash=secret_hash,
        certificate_pem=certificate_pem,
        redirect_uris=redirect_uris,
    )


def unregistered_app(tenant_id: str, client_id: str) -> AppRegistration:
    """An app that `idprotect token --app` names without registering it: no secret, no roles.

    Its service principal's object id is derived from the tenant and client id, so tokens
    minted for it again carry the same `oid`.
    """
    object_id = uuid.uuid5(uuid.NAMESPACE_URL, f"idprotect:{tenant_id}:{client_id}")
    return AppRegistration(
        tenant_id=tenant_id,
        client_id=client_id,
        object_id=str(object_id),
        display_name=client_id,
        app_roles=frozenset(),
        secret_hash="",
    )


def new_client_secret() -> str:
    return secrets.token_urlsafe(30)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, _PBKDF2_ROUNDS)
    return f"pbkdf2_sha256${_PBKDF2_ROUNDS}${salt.hex()}${digest.hex()}"


def secret_matches(secret: str, stored: str) -> bool:
    try:
        _, rounds, salt, expected = stored.split("$")
        digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), bytes.fromhex(salt), int(rounds))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)
