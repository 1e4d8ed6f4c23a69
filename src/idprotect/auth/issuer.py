"""The built-in development issuer: signing keys, client secrets, and Entra-shaped tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from idprotect.auth.verifier import GRAPH_AUDIENCES

TOKEN_LIFETIME = timedelta(hours=1)
_PBKDF2_ROUNDS = 120_000


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_pem: str
    public_jwk: dict[str, Any]
    created_at: datetime
    retired_at: datetime | None = None  # still valid for verification until then


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


def generate_signing_key(now: datetime) -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    kid = _thumbprint(public)
    public.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return SigningKey(kid=kid, private_pem=pem, public_jwk=public, created_at=now)


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of an RSA key, base64url: a stable kid."""
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def mint_token(key: SigningKey, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})


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
