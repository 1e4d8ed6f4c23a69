"""The built-in issuer's signing keys: RSA keys named by their thumbprint, and signing with them."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_pem: str
    public_jwk: dict[str, Any]
    created_at: datetime
    retired_at: datetime | None = None  # still valid for verification until then


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
