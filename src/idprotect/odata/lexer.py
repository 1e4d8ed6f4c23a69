"""The `$filter` lexer: text -> tokens with 1-based columns; also the one filter error shape."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

from idprotect.errors import BadRequest

KEYWORDS = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not", "in"})

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_SPACE = re.compile(r"[ \t\r\n]+")
_GUID = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}(?![A-Za-z0-9_-])")
_DATE = r"\d{4}-\d{2}-\d{2}"
_TIME = r"[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?"
_DATETIME = re.compile(rf"{_DATE}(?:{_TIME})?")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_IDENTIFIER = re.compile(rf"{_NAME}(?:[./]{_NAME})*")
_DATETIME_PARTS = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))?\Z"
)
_PUNCTUATION = {"(": "LPAREN", ")": "RPAREN", ",": "COMMA"}


class Kind(StrEnum):
    NAME = "name"  # identifiers and property paths: riskLevel, location/city
    KEYWORD = "keyword"  # value is the lower-case keyword
    STRING = "string"  # value is the unescaped text
    ENUM = "enum"  # microsoft.graph.riskLevel'high': value is the member, qualifier the type
    NUMBER = "number"
    GUID = "guid"  # value is lower-case
    DATETIME = "datetime"  # value is an aware UTC datetime
    DATE = "date"  # a date with no time: never a DateTimeOffset, kept for a clear error
    BOOLEAN = "boolean"
    NULL = "null"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    END = "end"


TokenValue = str | bool | datetime | None


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str  # exactly as written
    column: int  # 1-based
    value: TokenValue = None
    qualifier: str = ""

    def describe(self) -> str:
        """The token as an error message names it: `string 'x'`, `keyword 'and'`, `')'`."""
        if self.kind is Kind.END:
            return "end of filter"
        if self.kind in (Kind.LPAREN, Kind.RPAREN, Kind.COMMA, Kind.NULL):
            return self.kind.value
        if self.kind in (Kind.NAME, Kind.KEYWORD):
            return f"{self.kind.value} '{self.text}'"
        return f"{self.kind.value} {self.text}"


def invalid_filter(reason: str, column: int | None = None) -> BadRequest:
    """The one shape of every `$filter` refusal: what went wrong and where."""
    where = f" at column {column}" if column is not None else ""
    return BadRequest(f"Invalid filter clause: {reason}{where}.")


def tokenize(text: str) -> list[Token]:
    """All tokens of `text`, ending with an END token; a character no token starts with is a 400."""
    return list(iter_tokens(text))


def iter_tokens(text: str) -> Iterator[Token]:
    """Tokens one by one, so a parser reports the first error in reading order."""
    position = 0
    while True:
        space = _SPACE.match(text, position)
        if space:
            position = space.end()
        if position >= len(text):
            yield Token(Kind.END, "", position + 1)
            return
        token = _next_token(text, position)
        yield token
        position += len(token.text)


def _next_token(text: str, position: int) -> Token:
    column = position + 1
    char = text[position]
    if char in _PUNCTUATION:
        return Token(Kind[_PUNCTUATION[char]], char, column)
    if char == "'":
        return _string(text, position)
    guid = _GUID.match(text, position)
    if guid:
        return Token(Kind.GUID, guid.group(), column, guid.group().lower())
    moment = _DATETIME.match(text, position)
    if moment:
        return _datetime(moment.group(), column)
    number = _NUMBER.match(text, position)
    if number:
        return Token(Kind.NUMBER, number.group(), column, number.group())
    name = _IDENTIFIER.match(text, position)
    if name:
        return _word(text, name.group(), column)
    raise invalid_filter(f"unexpected character {char!r}", column)


def _string(text: str, position: int) -> Token:
    """A quoted string from `position`, where `''` stands for one quote."""
    end = position + 1
    while True:
        end = text.find("'", end)
        if end < 0:
            raise invalid_filter("unterminated string", position + 1)
        if text.startswith("''", end):
            end += 2
            continue
        raw = text[position : end + 1]
        return Token(Kind.STRING, raw, position + 1, raw[1:-1].replace("''", "'"))


def _datetime(raw: str, column: int) -> Token:
    if len(raw) == 10:
        return Token(Kind.DATE, raw, column, raw)
    try:
        return Token(Kind.DATETIME, raw, column, parse_datetime(raw))
    except ValueError as reason:
        raise invalid_filter(f"invalid datetime {raw} ({reason})", column) from None


def _word(text: str, word: str, column: int) -> Token:
    """A name, keyword, true/false/null, or the qualifier of an enum literal."""
    after = column - 1 + len(word)
    if "." in word and text.startswith("'", after):
        literal = _string(text, after)
        raw = word + literal.text
        return Token(Kind.ENUM, raw, column, literal.value, qualifier=word)
    lowered = word.lower()
    if lowered in KEYWORDS:
        return Token(Kind.KEYWORD, word, column, lowered)
    if lowered in ("true", "false"):
        return Token(Kind.BOOLEAN, word, column, lowered == "true")
    if lowered == "null":
        return Token(Kind.NULL, word, column)
    return Token(Kind.NAME, word, column, word)


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 date-time with offset -> aware UTC; 7 fractional digits truncate to 6."""
    parts = _DATETIME_PARTS.match(text)
    if parts is None:
        raise ValueError("expected yyyy-mm-ddThh:mm[:ss[.fffffff]] and Z or an offset")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = parts.groups()
    if zulu is None and sign is None:
        raise ValueError("a time zone is required, e.g. Z")
    if fraction is not None and len(fraction) > 7:
        raise ValueError("at most 7 fractional digits")
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    offset = timedelta(hours=int(off_h or 0), minutes=int(off_m or 0))
    if offset >= timedelta(hours=24) or int(off_m or 0) >= 60:
        raise ValueError("offset out of range")
    zone = timezone(-offset if sign == "-" else offset)
    try:
        local = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, zone
        )
        return local.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise ValueError(str(error)) from None


def is_guid(text: str) -> bool:
    return _GUID.fullmatch(text) is not None
