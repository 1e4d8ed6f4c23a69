"""Query options of a request, parsed against the collection's allow-lists; else a 400.

Lenient where real clients depend on it: option names with or without `$`, in any case, a
trailing `&`, `+` or `%20` for spaces. Strict everywhere else: an option this service does
not support, or one given twice, is refused, never ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar
from urllib.parse import parse_qsl

from idprotect.domain.paging import PageRequest
from idprotect.domain.predicates import Node
from idprotect.errors import BadRequest
from idprotect.odata.collections import Collection
from idprotect.odata.evolvable import hide_evolvable
from idprotect.odata.filter import parse_filter
from idprotect.odata.orderby import OrderBy, parse_orderby
from idprotect.odata.select import parse_select
from idprotect.odata.skiptoken import TokenBinding, decode_skiptoken
from idprotect.odata.tree import unparse

MAX_TOP = 500
_TOP_DIGITS = len(str(MAX_TOP))
T = TypeVar("T")

_SUPPORTED = ("$filter", "$select", "$orderby", "$top", "$skiptoken", "$count")
# System query options Graph knows that this service refuses (keyset paging has no $skip).
_REFUSED = ("$expand", "$search", "$skip")


class Target(StrEnum):
    """What the request reads: a collection, one entity, or a collection's `/$count`."""

    COLLECTION = "collection"
    ENTITY = "entity"
    COUNT = "count"


_ALLOWED = {
    Target.COLLECTION: frozenset(_SUPPORTED),
    Target.ENTITY: frozenset({"$select"}),
    Target.COUNT: frozenset({"$filter"}),
}
_NOT_HERE = {Target.ENTITY: "on a single entity", Target.COUNT: "with /$count"}


@dataclass(frozen=True, slots=True)
class QueryOptions:
    """Parsed options, plus the original pairs (name as sent, decoded value) for nextLinks."""

    collection: Collection
    top: int | None = None
    skiptoken: str | None = None
    filter: Node | None = None
    select: tuple[str, ...] | None = None
    orderby: OrderBy | None = None
    count: bool = False
    original: tuple[tuple[str, str], ...] = ()

    def canonical_query(self) -> str:
        """The options that decide which rows come in which order: what a $skiptoken binds."""
        return "\n".join(
            (
                unparse(self.filter) if self.filter is not None else "",
                self.orderby.text() if self.orderby is not None else "",
                ",".join(self.select or ()),
            )
        )

    def binding(self, key: bytes, tenant: str, *, parent: str = "") -> TokenBinding:
        """What this list's $skiptokens are bound to; `parent` keys a nested collection."""
        return TokenBinding(key, tenant, self.collection.name, self.canonical_query(), parent)

    def page(self, default_size: int, binding: TokenBinding) -> PageRequest:
        """The page asked for; a $skiptoken must have been written for `binding`."""
        token = self.skiptoken
        order = self.orderby
        return PageRequest(
            limit=self.top or default_size,
            after=decode_skiptoken(token, binding) if token is not None else None,
            filter=self.filter,
            order_by=order.property if order is not None else None,
            descending=order is not None and order.descending,
            count=self.count,
        )


def parse_query_options(
    query_string: str,
    collection: Collection,
    *,
    target: Target = Target.COLLECTION,
    version: str = "v1.0",
    include_unknown_enum_members: bool = False,
) -> QueryOptions:
    """Parse a request's query string for `collection`; see the module docstring."""
    pairs = parse_qsl(query_string, keep_blank_values=True)
    given = _options(pairs)
    for option in given:
        _check_allowed(option, collection, target)
    text = {name: given.get(name) for name in ("$filter", "$select", "$orderby")}
    return QueryOptions(
        collection=collection,
        top=_parse_top(given["$top"]) if "$top" in given else None,
        skiptoken=given.get("$skiptoken"),
        filter=_parse_filter(text["$filter"], collection, include_unknown_enum_members),
        select=_maybe(text["$select"], lambda t: parse_select(t, collection, version=version)),
        orderby=_maybe(text["$orderby"], lambda t: parse_orderby(t, collection)),
        count=_parse_count(given["$count"]) if "$count" in given else False,
        original=tuple((n, v) for n, v in pairs if _canonical(n) not in (None, "$skiptoken")),
    )


def _maybe(text: str | None, parse: Callable[[str], T]) -> T | None:
    return None if text is None else parse(text)


def _parse_filter(
    text: str | None, collection: Collection, include_unknown_enum_members: bool
) -> Node | None:
    if text is None:
        return None
    tree = parse_filter(text, collection.filter)
    return tree if include_unknown_enum_members else hide_evolvable(tree, collection.filter)


def _options(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The OData options by canonical name; other parameters are ignored, as Graph does."""
    seen: dict[str, str] = {}
    for name, value in pairs:
        option = _canonical(name)
        if option is None:
            continue
        if option in seen:
            raise BadRequest(f"Query option '{option}' was specified more than once.")
        seen[option] = value
    return seen


def _canonical(name: str) -> str | None:
    option = "$" + name.lower().lstrip("$")
    known = option in (*_SUPPORTED, *_REFUSED)
    # A `$` name is a system query option by OData's rules: unknown ones are refused too.
    return option if known or name.startswith("$") else None


def _check_allowed(option: str, collection: Collection, target: Target) -> None:
    if option not in _SUPPORTED:
        raise BadRequest(f"Query option '{option}' is not supported.")
    if option not in _ALLOWED[target]:
        raise BadRequest(f"Query option '{option}' is not allowed {_NOT_HERE[target]}.")
    unsupported = (option == "$orderby" and not collection.orderby) or (
        option == "$count" and not collection.countable
    )
    if unsupported:
        raise BadRequest(f"Query option '{option}' is not supported on {collection.name}.")


def _parse_top(value: str) -> int:
    # Leading zeros are allowed (OData's 1*DIGIT); what is left is measured before int(),
    # which refuses text of more than 4,300 digits with a ValueError. isascii: str.isdigit
    # also takes non-ASCII digits ('²', fullwidth ones) int() may refuse.
    digits = value.strip().lstrip("0")
    if not (digits.isascii() and digits.isdigit() and len(digits) <= _TOP_DIGITS):
        raise _invalid_top(value)
    top = int(digits)
    if top > MAX_TOP:
        raise _invalid_top(value)
    return top


def _invalid_top(value: str) -> BadRequest:
    return BadRequest(
        f"Invalid value '{value}' for query option '$top': "
        f"it must be a whole number from 1 to {MAX_TOP}."
    )


def _parse_count(value: str) -> bool:
    if value.strip().lower() not in ("true", "false"):
        raise BadRequest(
            f"Invalid value '{value}' for query option '$count': it must be true or false."
        )
    return value.strip().lower() == "true"
