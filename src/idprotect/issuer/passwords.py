"""Directory users who sign in to the built-in issuer, and their passwords (scrypt, stdlib)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

# scrypt's cost: 16 MiB and ~50 ms a guess (RFC 7914's interactive-login figures).
_N, _R, _P = 2**14, 8, 1
_MAX_MEMORY = 64 * 1024 * 1024
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    """A user of a tenant with a password: who signs in, as whom, holding which roles."""

    tenant_id: str
    user_principal_name: str  # lower case: sign-in names match without regard to case
    object_id: str
    display_name: str
    password_hash: str
    directory_roles: frozenset[str]  # template ids: the `wids` of the user's tokens


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _N, _R, _P)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, expected = stored.split("$")
        digest = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return kind == "scrypt" and hmac.compare_digest(digest.hex(), expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEMORY)


def user_object_id(tenant_id: str, user_principal_name: str) -> str:
    """The object id of a user known by name alone: the same for the same tenant and name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"idprotect:{tenant_id}:{user_principal_name}"))


# A hash to compare against when the name is unknown, so both answers take as long.
DUMMY_HASH = f"scrypt${_N}${_R}${_P}${'00' * 16}${'00' * 64}"
