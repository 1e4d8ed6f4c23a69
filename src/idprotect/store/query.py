"""OData to SQL: a `$filter` tree as a WHERE clause, and keyset orderings with their positions.

Null semantics are odata/evaluate.py's, which are two-valued: `not` is pushed down to the
predicates (De Morgan), and each negated predicate says outright what it does with NULL
(`IS DISTINCT FROM`, `... OR x IS NULL`). What is left is AND/OR over positive predicates,
where SQL's unknown behaves exactly as false. No NOT over a maybe-NULL expression remains.

Strings compare case-sensitively on both databases: `startswith` is GLOB on SQLite (its LIKE
ignores ASCII case) and LIKE on PostgreSQL, with the prefix's wildcards escaped; both can use
an index under a binary ("C") collation.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, not_, or_, true, tuple_
from sqlalchemy.sql.elements import UnaryExpression

from idprotect.domain.paging import Position
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
from idprotect.odata.skiptoken import OTHER_COLLECTION

Expression = ColumnElement[Any]
Columns = Mapping[str, Expression]

_ORDERING: dict[Operator, Callable[[Any, Any], Any]] = {
    Operator.GT: operator.gt,
    Operator.GE: operator.ge,
    Operator.LT: operator.lt,
    Operator.LE: operator.le,
}
_NEGATED = {Operator.GT: Operator.LE, Operator.GE: Operator.LT}
_NEGATED |= {Operator.LT: Operator.GE, Operator.LE: Operator.GT}


def compile_filter(node: Node, columns: Columns, dialect: str) -> ColumnElement[bool]:
    """The WHERE clause of `node`; `columns` maps each property path to its SQL expression."""
    return _Compiler(columns, dialect).compile(node, negated=False)


@dataclass(frozen=True, slots=True)
class _Compiler:
    columns: Columns
    dialect: str

    def compile(self, node: Node, *, negated: bool) -> ColumnElement[bool]:
        match node:
            case Comparison(path, op, value):
                return self._comparison(self.columns[path], op, value, negated)
            case In(path, values):
                return self._in(self.columns[path], values, negated)
            case StartsWith(path, prefix):
                return self._startswith(self.columns[path], prefix, negated)
            case And(operands) | Or(operands):
                parts = [self.compile(operand, negated=negated) for operand in operands]
                conjunction = isinstance(node, And) != negated  # De Morgan
                return and_(*parts) if conjunction else or_(*parts)
            case Not(operand):
                return self.compile(operand, negated=not negated)

    def _comparison(
        self, column: Expression, op: Operator, value: Literal, negated: bool
    ) -> ColumnElement[bool]:
        if op is Operator.NE:
            op, negated = Operator.EQ, not negated
        if op is Operator.EQ:
            if value is None:
                return column.is_not(None) if negated else column.is_(None)
            if not _storable(value):
                return true() if negated else false()
            return column.is_distinct_from(value) if negated else column == value
        if not negated:
            return _ORDERING[op](column, value)  # type: ignore[no-any-return]
        return _or_null(column, _ORDERING[_NEGATED[op]](column, value))

    def _in(
        self, column: Expression, values: tuple[Literal, ...], negated: bool
    ) -> ColumnElement[bool]:
        kept = [value for value in values if _storable(value)]
        if not kept:
            return true() if negated else false()
        return _or_null(column, column.not_in(kept)) if negated else column.in_(kept)

    def _startswith(self, column: Expression, prefix: str, negated: bool) -> ColumnElement[bool]:
        if not _storable(prefix):
            return true() if negated else false()
        if self.dialect == "sqlite":
            matches = column.op("GLOB", is_comparison=True)(_glob_escape(prefix) + "*")
        else:
            matches = column.like(_like_escape(prefix) + "%", escape="\\")
        return _or_null(column, not_(matches)) if negated else matches


def _storable(value: Literal) -> bool:
    """No stored text holds NUL (PostgreSQL refuses it), so a literal with one matches nothing."""
    return not (isinstance(value, str) and "\x00" in value)


def _or_null(column: Expression, predicate: ColumnElement[bool]) -> ColumnElement[bool]:
    """`predicate`, or true where `column` is NULL: a negation under OData's null semantics."""
    if getattr(column, "nullable", True):
        return or_(predicate, column.is_(None))
    return predicate


def _glob_escape(prefix: str) -> str:
    return "".join(f"[{char}]" if char in "*?[" else char for char in prefix)


def _like_escape(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- keyset orderings -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SortKey:
    """A sortable property: its column and how its values travel in a $skiptoken."""

    column: Expression
    kind: type  # str, int or datetime: what a token's value must decode to
    nullable: bool = False
    # An enum column's members in the order it sorts them (their codes, encodings.py): a
    # token carries a member's position there, an int, as it did when the rank had a column.
    members: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The column's name in a row."""
        return str(self.column.key)

    def token(self, value: Any) -> str | int | None:
        """The value of this key in a $skiptoken."""
        if self.members and value is not None:
            return self.members.index(value)
        return _token_value(value)


@dataclass(frozen=True, slots=True)
class Ordering:
    """`key` then `tiebreak` (the row's id), both ascending or both descending.

    Nulls come first in ascending order and last in descending order, as OData orders them.
    A position is the key's value and the tiebreak's value of the last row read.
    """

    key: SortKey | None
    tiebreak: SortKey
    descending: bool = False

    def order_by(self, dialect: str) -> list[UnaryExpression[Any]]:
        clauses = [self.tiebreak.column.desc() if self.descending else self.tiebreak.column.asc()]
        if self.key is None:
            return clauses
        column = self.key.column
        first = column.desc() if self.descending else column.asc()
        if self.key.nullable and dialect != "sqlite":  # SQLite orders NULLs this way already
            first = first.nulls_last() if self.descending else first.nulls_first()
        return [first, *clauses]

    def position(self, row: Any) -> Position:
        keys = [self.tiebreak] if self.key is None else [self.key, self.tiebreak]
        return tuple(key.token(getattr(row, key.name)) for key in keys)

    def seek(self, position: Position) -> tuple[Seek, dict[str, Any]]:
        """Where rows after `position` start: the shape of the clause (`after`) and the
        values of its parameters (`after_key`, `after_id`)."""
        if self.key is None:
            (last_id,) = _decode(position, [self.tiebreak])
            return Seek.ID, {"after_id": last_id}
        value, last_id = _decode(position, [self.key, self.tiebreak])
        if value is None:
            return Seek.NULL_KEY, {"after_id": last_id}
        return Seek.KEY, {"after_key": value, "after_id": last_id}

    def after(self, seek: Seek) -> ColumnElement[bool]:
        """Rows that come after a position of shape `seek`; its values are parameters, so
        that a statement is built once per shape."""
        last_id = bindparam("after_id", type_=self.tiebreak.column.type)
        if seek is Seek.ID or self.key is None:
            return self._beyond(self.tiebreak.column, last_id)
        key = self.key.column
        if seek is Seek.NULL_KEY:  # among the NULLs: first when ascending, last when descending
            nulls = and_(key.is_(None), self._beyond(self.tiebreak.column, last_id))
            return nulls if self.descending else or_(nulls, key.is_not(None))
        pair = tuple_(key, self.tiebreak.column)
        bound = tuple_(bindparam("after_key", type_=key.type), last_id)
        beyond = pair < bound if self.descending else pair > bound
        if self.key.nullable and self.descending:
            return or_(beyond, key.is_(None))
        return beyond

    def _beyond(self, column: Expression, value: Any) -> ColumnElement[bool]:
        beyond: ColumnElement[bool] = column < value if self.descending else column > value
        return beyond


class Seek(Enum):
    """The shapes of a keyset position: an id alone, or a key's value (or NULL) and an id."""

    ID = "id"
    KEY = "key"
    NULL_KEY = "null key"


def _token_value(value: Any) -> str | int | None:
    if isinstance(value, datetime):
        return value.isoformat()
    token_value: str | int | None = value
    return token_value


def _decode(position: Position, keys: list[SortKey]) -> tuple[Any, ...]:
    """A position as these keys write it; anything else was made for another collection."""
    if len(position) != len(keys):
        raise BadRequest(OTHER_COLLECTION)
    return tuple(_decode_value(value, key) for value, key in zip(position, keys, strict=True))


def _decode_value(value: str | int | None, key: SortKey) -> Any:
    if value is None and key.nullable:
        return None
    if key.kind is datetime and isinstance(value, str):
        return _parse_moment(value)
    right_kind = isinstance(value, key.kind) and not isinstance(value, bool)
    if right_kind and key.members:
        if isinstance(value, int) and 0 <= value < len(key.members):
            return key.members[value]
    elif right_kind and (not isinstance(value, str) or _storable(value)):
        return value
    raise BadRequest(OTHER_COLLECTION)


def _parse_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment.astimezone(UTC)  # stored as UTC: a moment with no UTC form was forged
    except (ValueError, OverflowError):
        raise BadRequest(OTHER_COLLECTION) from None
