"""The `$filter` syntax tree: typed, immutable nodes and the two ways of printing them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from idprotect.odata.schema import Operator

# A converted literal: strings (and enum members, and lower-case GUIDs), booleans,
# aware UTC datetimes, or None for `null`.
Literal = str | bool | datetime | None


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


def print_tree(node: Node) -> str:
    """The canonical, fully parenthesized form: `(and (eq riskLevel 'high') (not ...))`."""
    match node:
        case Comparison(path, op, literal):
            return f"({op} {path} {format_literal(literal)})"
        case In(path, literals):
            return f"(in {path} {' '.join(format_literal(item) for item in literals)})"
        case StartsWith(path, prefix):
            return f"(startswith {path} {format_literal(prefix)})"
        case And(operands) | Or(operands):
            keyword = "and" if isinstance(node, And) else "or"
            return f"({keyword} {' '.join(print_tree(operand) for operand in operands)})"
        case Not(operand):
            return f"(not {print_tree(operand)})"


def unparse(node: Node) -> str:
    """The tree as `$filter` text that parses back to the same tree."""
    match node:
        case Comparison(path, op, literal):
            return f"{path} {op} {format_literal(literal)}"
        case In(path, literals):
            return f"{path} in ({','.join(format_literal(item) for item in literals)})"
        case StartsWith(path, prefix):
            return f"startswith({path},{format_literal(prefix)})"
        case And(operands) | Or(operands):
            keyword = " and " if isinstance(node, And) else " or "
            return keyword.join(_grouped(operand) for operand in operands)
        case Not(operand):
            return f"not ({unparse(operand)})"


def _grouped(node: Node) -> str:
    text = unparse(node)
    return f"({text})" if isinstance(node, And | Or) else text


def format_literal(literal: Literal) -> str:
    """A literal in OData syntax: 'quoted''s', true, null, 2021-06-01T00:00:00.5Z."""
    if literal is None:
        return "null"
    if isinstance(literal, bool):
        return "true" if literal else "false"
    if isinstance(literal, datetime):
        return _format_datetime(literal)
    return "'" + literal.replace("'", "''") + "'"


def _format_datetime(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo is not None else moment
    text = moment.replace(tzinfo=None, microsecond=0).isoformat()
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"
