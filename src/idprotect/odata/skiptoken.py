"""The $skiptoken: an opaque, URL-safe encoding of a keyset position in a collection.

A token is bound to a scope (the tenant): a token written for one tenant is refused for another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from idprotect.domain.paging import Position
from idprotect.errors import BadRequest

_INVALID = "The $skiptoken is not valid."
_INT64 = 2**63


def _scope_tag(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


def encode_skiptoken(position: Position, *, scope: str) -> str:
    raw = json.dumps([_scope_tag(scope), *position], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_skiptoken(token: str, *, scope: str) -> Position:
    """The position a token names; anything this service did not write is a 400."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):  # deep nesting: a forged token
        raise BadRequest(_INVALID) from None
    if not isinstance(values, list) or len(values) < 2 or values[0] != _scope_tag(scope):
        raise BadRequest(_INVALID)
    values = values[1:]
    if not all(_is_position_value(v) for v in values):
        raise BadRequest(_INVALID)
    return tuple(values)


def _is_position_value(value: object) -> bool:
    if isinstance(value, bool):
        return False
    # Integers this service writes are 64-bit (ticks); larger ones no database column holds.
    return isinstance(value, str) or (isinstance(value, int) and -_INT64 <= value < _INT64)
