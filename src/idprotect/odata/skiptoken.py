"""The $skiptoken: an opaque, URL-safe encoding of a keyset position in a collection."""

from __future__ import annotations

import base64
import binascii
import json

from idprotect.domain.paging import Position
from idprotect.errors import BadRequest

_INVALID = "The $skiptoken is not valid."
_INT64 = 2**63


def encode_skiptoken(position: Position) -> str:
    raw = json.dumps(list(position), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_skiptoken(token: str) -> Position:
    """The position a token names; anything this service did not write is a 400."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):  # deep nesting: a forged token
        raise BadRequest(_INVALID) from None
    if not isinstance(values, list) or not values:
        raise BadRequest(_INVALID)
    if not all(_is_position_value(v) for v in values):
        raise BadRequest(_INVALID)
    return tuple(values)


def _is_position_value(value: object) -> bool:
    if isinstance(value, bool):
        return False
    # Integers this service writes are 64-bit (ticks); larger ones no database column holds.
    return isinstance(value, str) or (isinstance(value, int) and -_INT64 <= value < _INT64)
