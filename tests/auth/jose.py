"""JOSE headers a client may send, and how a token with each is refused under each key type."""

from __future__ import annotations

from typing import Any

from tests.auth.issuers import KEY_ALGORITHMS
from tests.auth.tokens import FAILURE

ALLOWED = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class _Missing:
    def __repr__(self) -> str:
        return "missing"


MISSING: Any = _Missing()  # a header without the parameter at all
# Each family: allowed (RS*, PS*, ES*), symmetric, none, other JOSE names, near misses, and
# values that are not strings; then no `alg` at all.
HEADER_ALGORITHMS: list[Any] = [
    *ALLOWED,
    *("HS256", "HS384", "HS512", "none", "None", "EdDSA", "ES256K", "RSA-OAEP", "dir"),
    *("rs256", "es256", "RS256 ", "", "XYZ"),
    *(256, 1.5, True, False, ["RS256"], {"RS256": True}),
    MISSING,
    None,
]
# A kid that is not a string is refused before any key is looked up.
NOT_STRING_KIDS: list[Any] = [5, 1.5, True, ["kid"], {"kid": "kid"}, None]


def header(alg: Any, kid: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"typ": "JWT"}
    if alg is not MISSING:
        fields["alg"] = alg
    if kid is not MISSING:
        fields["kid"] = kid
    return fields


def refusal(alg: Any, key_type: str, kid: str) -> str:
    """The message refusing a token with this `alg`, a random signature and the kid of a key of
    this type: never a 500, whatever the pair."""
    if alg is MISSING or alg is None:
        return f"{FAILURE}: the token header has no 'alg'."
    if alg not in ALLOWED:
        return f"{FAILURE}: the signing algorithm '{alg}' is not allowed."
    if alg not in KEY_ALGORITHMS[key_type]:
        return f"{FAILURE}: the signing key '{kid}' does not verify '{alg}' signatures."
    return f"{FAILURE}: the signature is invalid."


def kid_refusal(kid: Any) -> str:
    if kid is MISSING:
        return f"{FAILURE}: the token header has no 'kid'."
    return f"{FAILURE}: the token is not a well-formed JWT."


def value_id(value: Any) -> str:
    """A test id for a claim or header value: its repr, shortened when long."""
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:12]}...({len(text)} chars)"
