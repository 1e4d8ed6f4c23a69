"""Type-checks a `$filter` literal against its property's type and converts it."""

from __future__ import annotations

from datetime import datetime

from idprotect.domain.predicates import Literal
from idprotect.errors import BadRequest
from idprotect.odata.lexer import Kind, Token, invalid_filter, is_guid, parse_datetime
from idprotect.odata.schema import (
    Boolean,
    DateTimeOffset,
    Enum,
    Guid,
    Int32,
    PropertyType,
    String,
)


def convert_literal(token: Token, path: str, kind: PropertyType) -> Literal:
    """The value `token` stands for as a `kind` literal; null is None (callers police it)."""
    if token.kind is Kind.NULL:
        return None
    match kind:
        case String():
            return _string(token, path, kind)
        case Boolean():
            return _boolean(token, path, kind)
        case DateTimeOffset():
            return _datetime(token, path, kind)
        case Int32():
            return _int32(token, path, kind)
        case Guid():
            return _guid(token, path, kind)
        case Enum():
            return _enum_member(token, path, kind)


def mismatch(token: Token, path: str, kind: PropertyType, hint: str = "") -> BadRequest:
    found = token.describe() + (f" ({hint})" if hint else "")
    return invalid_filter(
        f"expected a value of type {kind.name} for '{path}', found {found}", token.column
    )


def _string(token: Token, path: str, kind: String) -> str:
    if token.kind is Kind.STRING and isinstance(token.value, str):
        return token.value
    raise mismatch(token, path, kind)


def _boolean(token: Token, path: str, kind: Boolean) -> bool:
    if token.kind is Kind.BOOLEAN and isinstance(token.value, bool):
        return token.value
    raise mismatch(token, path, kind)


def _datetime(token: Token, path: str, kind: DateTimeOffset) -> datetime:
    if token.kind is Kind.DATETIME and isinstance(token.value, datetime):
        return token.value
    if token.kind is Kind.STRING and isinstance(token.value, str):
        try:
            return parse_datetime(token.value)
        except ValueError:
            raise mismatch(token, path, kind) from None
    if token.kind is Kind.DATE:
        raise mismatch(token, path, kind, f"a time and zone are needed: {token.text}T00:00:00Z")
    raise mismatch(token, path, kind)


_INT32 = range(-(2**31), 2**31)


def _int32(token: Token, path: str, kind: Int32) -> int:
    """An integer, written without a fraction or exponent, within Int32's range (measured
    before int(): an integer of thousands of digits is refused, not converted)."""
    text = token.text
    digits = text[1:] if text.startswith("-") else text
    if token.kind is not Kind.NUMBER or not digits.isdigit() or len(digits) > 10:
        raise mismatch(token, path, kind)
    value = int(text)
    if value not in _INT32:
        raise mismatch(token, path, kind, "out of Int32's range")
    return value


def _guid(token: Token, path: str, kind: Guid) -> str:
    if token.kind is Kind.GUID and isinstance(token.value, str):
        return token.value
    if token.kind is Kind.STRING and isinstance(token.value, str) and is_guid(token.value):
        return token.value.lower()
    raise mismatch(token, path, kind)


def _enum_member(token: Token, path: str, kind: Enum) -> str:
    """A member, written `'high'` or `microsoft.graph.riskLevel'high'`; the type must match."""
    if token.kind is Kind.ENUM and token.qualifier != kind.qualified_name:
        raise mismatch(token, path, kind, f"expected {kind.qualified_name}")
    if token.kind not in (Kind.STRING, Kind.ENUM) or not isinstance(token.value, str):
        raise mismatch(token, path, kind)
    if token.value not in kind.members:
        valid = ", ".join(sorted(kind.members))
        raise invalid_filter(
            f"'{token.value}' is not a member of {kind.name} (valid members: {valid})",
            token.column,
        )
    return token.value
