"""Subject identifiers (RFC 9493) for principals, and the keys streams match subjects by."""

from __future__ import annotations

from typing import Any

from idprotect.domain.models import Principal, User
from idprotect.errors import BadRequest

# The formats a receiver may name a subject in (add and remove subject, incoming SETs).
FORMATS = ("email", "iss_sub", "opaque")
# What the directory keeps: ids of 128 characters, user principal names of 256.
_MAX_ID, _MAX_EMAIL = 128, 256


def subject_of(principal: Principal, issuer: str) -> dict[str, str]:
    """How a SET names a principal: a user by the email form of its user principal name,
    anything else (and a user without one) by its object id under the transmitter's issuer."""
    if isinstance(principal, User) and principal.user_principal_name:
        return {"format": "email", "email": principal.user_principal_name}
    return {"format": "iss_sub", "iss": issuer, "sub": principal.id}


def keys_of(principal: Principal, issuer: str) -> set[str]:
    """Every key a receiver could have named this principal by."""
    keys = {f"opaque:{principal.id}", f"iss_sub:{issuer}|{principal.id}"}
    if isinstance(principal, User) and principal.user_principal_name:
        keys.add(f"email:{principal.user_principal_name.lower()}")
    return keys


def subject_key(subject: object) -> str:
    """The key of a subject identifier a receiver sent; BadRequest for anything else."""
    if not isinstance(subject, dict):
        raise BadRequest("The subject must be a JSON object with a 'format' (RFC 9493).")
    fmt = subject.get("format")
    fields = {"email": ("email",), "iss_sub": ("iss", "sub"), "opaque": ("id",)}.get(str(fmt))
    if fields is None:
        raise BadRequest(
            f"Subject format '{fmt}' is not supported; use one of {', '.join(FORMATS)}."
        )
    values = [subject.get(name) for name in fields]
    if not all(isinstance(v, str) and v and len(v) <= 240 for v in values):
        raise BadRequest(f"A subject of format '{fmt}' needs {' and '.join(fields)} as strings.")
    if fmt == "email":
        return f"email:{str(values[0]).lower()}"
    return f"{fmt}:{'|'.join(str(v) for v in values)}"


def principal_ref(subject: Any) -> tuple[str, str] | None:
    """What an incoming SET's subject names: ("email", address) or ("id", object id); None
    when it names no principal idprotect can find."""
    if not isinstance(subject, dict):
        return None
    fmt = subject.get("format")
    value = {"email": "email", "iss_sub": "sub", "opaque": "id"}.get(str(fmt))
    found = subject.get(value) if value else None
    if not isinstance(found, str) or not found or "\x00" in found:
        return None
    if fmt == "email" or (fmt == "iss_sub" and "@" in found):
        return ("email", found) if len(found) <= _MAX_EMAIL else None
    return ("id", found) if len(found) <= _MAX_ID else None
