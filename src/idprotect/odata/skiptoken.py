"""The $skiptoken: a signed, URL-safe keyset position, bound to its tenant and its query.

A token is `payload.signature`: the payload is JSON `[collection, query digest, *position]`
and the signature an HMAC-SHA256 (truncated to 128 bits) of the tenant and the payload, under
the deployment's secret key. So a token that was forged or edited, or that comes from another
tenant, fails the signature; one from another collection or another query (`$filter`,
`$orderby`, `$select`) is refused by name. A nested collection is named with the entity it
belongs to (`history(user_id=…)`), so one user's history does not page another's. `$top` may
change from page to page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

from idprotect.domain.paging import Position
from idprotect.errors import BadRequest

INVALID = "The $skiptoken is not valid."
OTHER_COLLECTION = "The $skiptoken is not valid for this collection."
OTHER_QUERY = (
    "The $skiptoken belongs to another query: $filter, $orderby and $select must stay as "
    "they were on the first page."
)
_INT64 = 2**63
_SIGNATURE_BYTES = 16


@dataclass(frozen=True, slots=True)
class TokenBinding:
    """What a token is bound to: the deployment's key, the tenant, the collection (with the
    entity it is nested under, if any), the query."""

    key: bytes
    tenant: str
    collection: str
    query: str  # the canonical text of the options that shape the list
    parent: str = ""  # the key of the entity a nested collection belongs to: `user_id=…`

    def scope(self) -> str:
        """The collection as a token names it: one user's history is not another's."""
        return f"{self.collection}({self.parent})" if self.parent else self.collection

    def digest(self) -> str:
        return hashlib.sha256(self.query.encode()).hexdigest()[:16]

    def sign(self, payload: bytes) -> bytes:
        message = self.tenant.encode() + b"\n" + payload
        return hmac.new(self.key, message, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def encode_skiptoken(position: Position, binding: TokenBinding) -> str:
    payload = json.dumps(
        [binding.scope(), binding.digest(), *position], separators=(",", ":")
    ).encode()
    return f"{_b64(payload)}.{_b64(binding.sign(payload))}"


def decode_skiptoken(token: str, binding: TokenBinding) -> Position:
    """The position a token names; a token this service did not write for `binding` is a 400."""
    payload = _verified_payload(token, binding)
    try:
        values = json.loads(payload)
    except (ValueError, RecursionError):  # signed, so never: but a 400, not a 500
        raise BadRequest(INVALID) from None
    if not isinstance(values, list) or len(values) < 2:
        raise BadRequest(INVALID)
    collection, digest, *position = values
    if collection != binding.scope():
        raise BadRequest(OTHER_COLLECTION)
    if digest != binding.digest():
        raise BadRequest(OTHER_QUERY)
    if not all(_is_position_value(v) for v in position):
        raise BadRequest(OTHER_COLLECTION)
    return tuple(position)


def _verified_payload(token: str, binding: TokenBinding) -> bytes:
    encoded, _, signature = token.partition(".")
    try:
        payload, mac = _unb64(encoded), _unb64(signature)
    except (binascii.Error, ValueError):
        raise BadRequest(INVALID) from None
    if not hmac.compare_digest(mac, binding.sign(payload)):
        raise BadRequest(INVALID)
    return payload


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _is_position_value(value: object) -> bool:
    if value is None or isinstance(value, str):
        return True
    # Integers this service writes are 64-bit (ticks, ranks); larger ones no column holds.
    return isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64
