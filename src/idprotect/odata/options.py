"""Query options of a request: what is supported is parsed, anything else is refused."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from idprotect.domain.paging import PageRequest
from idprotect.errors import BadRequest
from idprotect.odata.skiptoken import decode_skiptoken

MAX_TOP = 500

# System query options Graph knows but this service does not support yet: refused, never ignored.
_NOT_SUPPORTED = ("$filter", "$select", "$orderby", "$count", "$expand", "$search", "$skip")


@dataclass(frozen=True, slots=True)
class QueryOptions:
    """Parsed options, plus the original pairs (name as sent, decoded value) for nextLinks."""

    top: int | None
    skiptoken: str | None
    original: tuple[tuple[str, str], ...]

    def page(self, default_size: int, *, scope: str) -> PageRequest:
        """The page asked for; `scope` (the tenant) must be the one the $skiptoken was made for."""
        token = self.skiptoken
        after = decode_skiptoken(token, scope=scope) if token is not None else None
        return PageRequest(limit=self.top or default_size, after=after)


def parse_query_options(query_string: str, *, collection: bool) -> QueryOptions:
    """Parse a request's query string; option names match with or without `$`, in any case."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    seen: dict[str, str] = {}
    for name, value in pairs:
        option = _canonical(name)
        if option is None:
            continue  # not an OData option (Graph ignores custom parameters)
        if option in seen:
            raise BadRequest(f"Query option '{option}' was specified more than once.")
        seen[option] = value
    for option in seen:
        if option not in ("$top", "$skiptoken"):
            raise BadRequest(f"Query option '{option}' is not supported.")
        if not collection:
            raise BadRequest(f"Query option '{option}' is not allowed on a single entity.")
    return QueryOptions(
        top=_parse_top(seen["$top"]) if "$top" in seen else None,
        skiptoken=seen.get("$skiptoken"),
        original=tuple((n, v) for n, v in pairs if _canonical(n) not in (None, "$skiptoken")),
    )


def _canonical(name: str) -> str | None:
    option = "$" + name.lower().lstrip("$")
    known = option in (*_NOT_SUPPORTED, "$top", "$skiptoken")
    # A `$` name is a system query option by OData's rules: unknown ones are refused too.
    return option if known or name.startswith("$") else None


def _parse_top(value: str) -> int:
    text = value.strip()
    # isascii: str.isdigit also takes non-ASCII digits ('²', fullwidth ones) int() may refuse.
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_TOP:
        raise BadRequest(
            f"Invalid value '{value}' for query option '$top': "
            f"it must be a whole number from 1 to {MAX_TOP}."
        )
    return int(text)
