"""Evolvable enum members in `$filter`, for callers who do not ask to see them.

Without `Prefer: include-unknown-enum-members` a caller sees every evolvable member as the
sentinel (`unknownFutureValue`), so its filter means what it sees: the sentinel stands for
itself and every evolvable member, and naming an evolvable member is a 400, not a filter
that silently matches nothing (graph-facts §10 q8 leaves this open; see compatibility.md).
"""

from __future__ import annotations

from idprotect.domain.predicates import (
    And,
    Comparison,
    In,
    Literal,
    Node,
    Not,
    Operator,
    Or,
    StartsWith,
)
from idprotect.errors import BadRequest
from idprotect.odata.schema import Enum, Schema


def hide_evolvable(node: Node, schema: Schema) -> Node:
    """`node` rewritten for a caller who sees evolvable members as the sentinel."""
    match node:
        case Comparison(path, op, literal):
            members = _seen_as(schema, path, literal)
            if len(members) == 1:
                return node
            return In(path, members) if op is Operator.EQ else Not(In(path, members))
        case In(path, literals):
            expanded = (m for literal in literals for m in _seen_as(schema, path, literal))
            return In(path, tuple(dict.fromkeys(expanded)))
        case StartsWith():
            return node
        case And(operands):
            return And(tuple(hide_evolvable(operand, schema) for operand in operands))
        case Or(operands):
            return Or(tuple(hide_evolvable(operand, schema) for operand in operands))
        case Not(operand):
            return Not(hide_evolvable(operand, schema))


def _seen_as(schema: Schema, path: str, literal: Literal) -> tuple[Literal, ...]:
    """The stored values a caller means by `literal`: itself, or the sentinel's whole family."""
    kind = schema[path].type
    if not isinstance(kind, Enum) or not kind.evolvable or literal is None:
        return (literal,)
    if literal in kind.evolvable:
        raise BadRequest(
            f"Invalid filter clause: '{literal}' is an evolvable member of {kind.name}; "
            "send the header 'Prefer: include-unknown-enum-members' to filter on it."
        )
    if literal == kind.sentinel:
        return (kind.sentinel, *sorted(kind.evolvable))
    return (literal,)
