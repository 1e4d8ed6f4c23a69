"""Evaluates a `$filter` tree over one plain record: the reference semantics SQL must match.

A record maps property paths ("riskLevel", "location/city") to values of the property's type:
str (enum members by wire name, GUIDs lower-case), bool, aware UTC datetime, or None.
A missing path counts as null.

Null semantics (OData): every predicate is two-valued, null never propagates.
- `p eq null` is true exactly when p is null; `p eq v` is false when p is null.
- `p ne v` is `not (p eq v)`: true when exactly one side is null, false when both are.
- `gt ge lt le`, `in` and `startswith` are false when p is null (the parser refuses
  null literals there).
- `not`, `and`, `or` are plain Boolean logic over those results, so
  `not (riskLastUpdatedDateTime gt X)` matches rows whose date is null. A SQL translation
  must therefore not rely on three-valued NULL logic (use IS [NOT] DISTINCT FROM / COALESCE).

Strings compare case-sensitively, ordered by code point; datetimes by instant.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from idprotect.domain.predicates import And, Comparison, In, Node, Not, Operator, Or, StartsWith

_ORDERING: dict[Operator, Callable[[Any, Any], bool]] = {
    Operator.GT: operator.gt,
    Operator.GE: operator.ge,
    Operator.LT: operator.lt,
    Operator.LE: operator.le,
}


def evaluate(node: Node, record: Mapping[str, object]) -> bool:
    """Whether `record` satisfies `node`, under the null semantics above."""
    match node:
        case Comparison(path, op, literal):
            return _compare(record.get(path), op, literal)
        case In(path, literals):
            value = record.get(path)
            return value is not None and value in literals
        case StartsWith(path, prefix):
            value = record.get(path)
            return isinstance(value, str) and value.startswith(prefix)
        case And(operands):
            return all(evaluate(operand, record) for operand in operands)
        case Or(operands):
            return any(evaluate(operand, record) for operand in operands)
        case Not(operand):
            return not evaluate(operand, record)


def _compare(value: object, op: Operator, literal: object) -> bool:
    if op is Operator.EQ:
        return _equal(value, literal)
    if op is Operator.NE:
        return not _equal(value, literal)
    if value is None or literal is None:
        return False
    return _ORDERING[op](value, literal)


def _equal(value: object, literal: object) -> bool:
    if value is None or literal is None:
        return value is None and literal is None
    return value == literal
