"""Predicates over a collection's properties: the typed, immutable tree a list's filter is, as
the domain passes it to the store. The OData parser (odata/filter.py) builds it, the store
compiles it to SQL, odata/tree.py prints it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Operator(StrEnum):
    """The operators a predicate may use, by their OData spelling."""

    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"
    IN = "in"
    STARTSWITH = "startswith"


# A converted literal: strings (and enum members, and lower-case GUIDs), booleans,
# aware UTC datetimes, or None for `null`.
Literal = str | bool | int | datetime | None


@dataclass(frozen=True, slots=True)
class Comparison:
    """`property op literal`; op is one of eq ne gt ge lt le."""

    property: str
    op: Operator
    literal: Literal


@dataclass(frozen=True, slots=True)
class In:
    """`property in (literal, ...)`: at least one literal, never null."""

    property: str
    literals: tuple[Literal, ...]


@dataclass(frozen=True, slots=True)
class StartsWith:
    """`startswith(property, 'prefix')` on a String property."""

    property: str
    literal: str


@dataclass(frozen=True, slots=True)
class And:
    """Two or more operands, none of them an And (chains are flattened)."""

    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """Two or more operands, none of them an Or (chains are flattened)."""

    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


Node = Comparison | In | StartsWith | And | Or | Not


def conjoin(nodes: Iterable[Node]) -> Node:
    """`a and b and ...` as one flat And; a single node stands for itself."""
    flat = tuple(part for node in nodes for part in _parts(node, And))
    return flat[0] if len(flat) == 1 else And(flat)


def disjoin(nodes: Iterable[Node]) -> Node:
    """`a or b or ...` as one flat Or; a single node stands for itself."""
    flat = tuple(part for node in nodes for part in _parts(node, Or))
    return flat[0] if len(flat) == 1 else Or(flat)


def _parts(node: Node, kind: type[And] | type[Or]) -> tuple[Node, ...]:
    return node.operands if isinstance(node, kind) else (node,)
