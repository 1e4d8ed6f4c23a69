"""`$orderby`: one sortable property of the collection and a direction, or a 400 saying why."""

from __future__ import annotations

from dataclasses import dataclass

from idprotect.errors import BadRequest
from idprotect.odata.collections import Collection


@dataclass(frozen=True, slots=True)
class OrderBy:
    """One property and a direction; rows with equal values are ordered by id, same direction."""

    property: str
    descending: bool = False

    def text(self) -> str:
        return f"{self.property} {'desc' if self.descending else 'asc'}"


def parse_orderby(text: str, collection: Collection) -> OrderBy:
    """`riskLastUpdatedDateTime desc`; the direction is asc unless given, in any case."""
    clauses = text.split(",")
    if len(clauses) > 1:
        raise _invalid("only one property can be given (ties are ordered by id)")
    words = text.split()
    if not words:
        raise _invalid("no property is given")
    name, *rest = words
    if name not in collection.orderby:
        sortable = ", ".join(collection.orderby)
        raise _invalid(f"'{name}' cannot be ordered by (sortable: {sortable})")
    if len(rest) > 1:
        raise _invalid(f"unexpected '{rest[1]}' after '{name} {rest[0]}'")
    direction = rest[0].lower() if rest else "asc"
    if direction not in ("asc", "desc"):
        raise _invalid(f"expected asc or desc after '{name}', found '{rest[0]}'")
    return OrderBy(name, descending=direction == "desc")


def _invalid(reason: str) -> BadRequest:
    return BadRequest(f"Invalid $orderby clause: {reason}.")
