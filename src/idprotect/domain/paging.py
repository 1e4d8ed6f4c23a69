"""A page request and a page of results, in terms of an opaque keyset position."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# A position in a collection: the sort key of the last row a page returned.
Position = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    after: Position | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_after: Position | None
