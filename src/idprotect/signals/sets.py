"""Security Event Tokens (RFC 8417, as SSF 1.0 profiles them): signing the outbox's events with
the built-in issuer's key, and verifying those another transmitter sends, with its keys."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from idprotect.auth.keysets import KeySource, verification_algorithms
from idprotect.auth.verifier import ALLOWED_ALGORITHMS
from idprotect.issuer.keys import SigningKey

SET_TYPE = "secevent+jwt"
SET_MEDIA_TYPE = "application/secevent+jwt"
_MAX_JTI = 256  # as the receiver keeps them (store/received.py)


class SetRejected(Exception):
    """A SET the receiver refuses, with RFC 8935's error code (2.3) and a description."""

    def __init__(self, err: str, description: str) -> None:
        super().__init__(description)
        self.err = err
        self.description = description

    def body(self) -> dict[str, str]:
        return {"err": self.err, "description": self.description}


def sign_set(claims: dict[str, Any], key: SigningKey, issued_at: datetime) -> str:
    """The SET of an outbox event: explicitly typed, no `sub`, no `exp` (SSF 1.0 4.1)."""
    payload = {**claims, "iat": int(issued_at.timestamp())}
    headers = {"kid": key.kid, "typ": SET_TYPE}
    return jwt.encode(payload, _private_key(key.private_pem), algorithm="RS256", headers=headers)


@lru_cache(maxsize=8)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    """The key, loaded once: loading (and checking) an RSA key costs far more than a signature."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)  # the built-in issuer's keys are RSA (keys.py)
    return key


def verify_set(token: str, source: KeySource, audiences: tuple[str, ...]) -> dict[str, Any]:
    """The claims of a SET `source`'s transmitter signed for one of `audiences`."""
    header = _header(token)
    key = source.key(str(header["kid"]))
    if key is None:
        raise SetRejected("invalid_key", "No key of the transmitter has the SET's kid.")
    algorithm = str(header["alg"])
    if algorithm not in verification_algorithms(key):
        raise SetRejected("invalid_key", f"The transmitter's key does not verify '{algorithm}'.")
    claims = _decode(token, key, algorithm, audiences)
    if not source.accepts_issuer(str(claims.get("iss")), ""):
        raise SetRejected("invalid_issuer", "The SET's issuer is not the transmitter's.")
    _check_profile(claims)
    return claims


def _header(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise SetRejected("invalid_request", "The body is not a JWT.") from None
    if header.get("typ") != SET_TYPE:
        raise SetRejected("invalid_request", f"The SET's typ must be '{SET_TYPE}'.")
    if header.get("alg") not in ALLOWED_ALGORITHMS or not isinstance(header.get("kid"), str):
        raise SetRejected("invalid_key", "The SET needs an asymmetric alg and a kid.")
    return header


def _decode(
    token: str, key: jwt.PyJWK, algorithm: str, audiences: tuple[str, ...]
) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[algorithm],
            audience=list(audiences),
            options={"require": ["iss", "aud", "iat", "jti"], "verify_iat": False},
        )
    except jwt.InvalidAudienceError:
        raise SetRejected("invalid_audience", "The SET is not for this receiver.") from None
    except jwt.InvalidSignatureError:
        raise SetRejected("authentication_failed", "The SET's signature is invalid.") from None
    except jwt.PyJWTError as exc:
        raise SetRejected("invalid_request", f"The SET is not valid: {exc}.") from None
    return claims


def _check_profile(claims: dict[str, Any]) -> None:
    if "sub" in claims or "exp" in claims:
        raise SetRejected("invalid_request", "An SSF SET carries neither 'sub' nor 'exp'.")
    events = claims.get("events")
    if not isinstance(events, dict) or not events:
        raise SetRejected("invalid_request", "The SET's 'events' must be a non-empty object.")
    if not all(isinstance(event, dict) for event in events.values()):
        raise SetRejected("invalid_request", "Each event of the SET must be a JSON object.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 1 <= len(jti) <= _MAX_JTI or "\x00" in jti:
        raise SetRejected(
            "invalid_request", f"The SET's 'jti' must be a string of 1 to {_MAX_JTI} characters."
        )
