"""The $skiptoken: an opaque, URL-safe encoding of a keyset position in a collection."""

from __future__ import annotations

import base64
import binascii
import json

from idprotect.domain.paging import Position
from idprotect.errors import BadRequest

_INVALID = "The $skiptoken is not valid."


def encode_skiptoken(position: Position) -> str:
    raw = json.dumps(list(position), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_skiptoken(token: str) -> Position:
    """The position a token names; anything this service did not write is a 400."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        raise BadRequest(_INVALID) from None
    if not isinstance(values, list) or not values:
        raise BadRequest(_INVALID)
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
        raise BadRequest(_INVALID)
    return tuple(values)
