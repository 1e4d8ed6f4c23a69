"""A page request (which rows, in which order, from where) and a page of results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from idprotect.domain.predicates import Node

T = TypeVar("T")

# A position in a collection: the sort key of the last row a page returned (with its id).
Position = tuple[str | int | None, ...]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """`limit` rows after `after`, among those `filter` keeps, ordered by `order_by`.

    The filter is an OData syntax tree (pure data) that the store compiles; `order_by` is a
    property the collection allows, or None for the collection's own order.
    """

    limit: int
    after: Position | None = None
    filter: Node | None = None
    order_by: str | None = None
    descending: bool = False
    count: bool = False  # also count every row the filter keeps


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_after: Position | None
    count: int | None = None
