"""Statements compiled once per dialect and run on the connection's own DBAPI cursor.

A request's reads are small (a user, a page of 20): SQLAlchemy's work around each execution
(an execution context, events, a Result and its Rows) costs more than SQLite's own, about
30 µs a statement (docs/performance.md). A statement built once, with bound parameters, is
compiled here once per dialect; each run binds the values through the column types' bind
processors, executes on the DBAPI cursor in the connection's transaction, and converts the
rows through the types' result processors, as SQLAlchemy would. Database errors are raised
as SQLAlchemy raises them (OperationalError for a lock, a lost server), so the callers'
handling is the same. An INSERT of given columns is run the same way, with `executemany`
(as SQLAlchemy runs a list of rows without RETURNING): the outbox's events, written with
every change.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, Insert, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Form:
    """A statement as one dialect runs it."""

    sql: str
    positions: tuple[str, ...] | None  # the parameters' order, for positional paramstyles
    defaults: dict[str, Any]  # parameters the statement gives a value itself (an OFFSET 0)
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]  # parameters whose type converts
    results: tuple[Processor, ...] | None  # known from the first run's cursor description
    row: Callable[..., tuple[Any, ...]]  # rows as named tuples: `row.id`, as SQLAlchemy's


class CompiledSelect:
    """A SELECT built once; `rows` runs it with a request's values."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._forms: dict[tuple[str, str, str], _Form] = {}
        self._lock = threading.Lock()

    def rows(self, connection: Connection, values: Mapping[str, Any]) -> list[Any]:
        dialect = connection.dialect
        form = self._forms.get(_key(dialect)) or self._compile(dialect)
        parameters = _bound(form, values)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(form.sql, parameters)
            found = cursor.fetchall()
            processors = form.results or self._result_processors(dialect, cursor.description)
        except dialect.loaded_dbapi.Error as exc:
            raise _wrapped(dialect, form.sql, parameters, exc) from exc
        finally:
            cursor.close()
        make = form.row
        if not any(processors):
            return [make(*row) for row in found]
        return [
            make(*[p(v) if p is not None else v for p, v in zip(processors, row, strict=True)])
            for row in found
        ]

    def first(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        found = self.rows(connection, values)
        return found[0] if found else None

    def _result_processors(
        self, dialect: Dialect, description: Sequence[Sequence[Any]]
    ) -> tuple[Processor, ...]:
        """The columns' result processors; some drivers' depend on the type the database
        reports (PostgreSQL's numerics)."""
        columns = self.statement.selected_columns
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, described[1])
            for column, described in zip(columns, description, strict=True)
        )
        with self._lock:
            self._forms[_key(dialect)] = replace(self._forms[_key(dialect)], results=processors)
        return processors

    def _compile(self, dialect: Dialect) -> _Form:
        columns = self.statement.selected_columns
        form = _form(
            self.statement.compile(dialect=dialect),
            dialect,
            row=namedtuple("Row", [c.key for c in columns], rename=True),  # type: ignore[misc]
        )
        with self._lock:
            self._forms[_key(dialect)] = form
        return form


class CompiledInsert:
    """An INSERT of the columns `columns` built once; `run` writes rows that give each of them
    (the others take their defaults), in the connection's transaction."""

    def __init__(self, statement: Insert, columns: Sequence[str]) -> None:
        self.statement = statement
        self.columns = tuple(columns)
        self._forms: dict[tuple[str, str, str], _Form] = {}
        self._lock = threading.Lock()

    def run(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        if not connection.in_transaction():
            connection.begin()  # as execute would: the rows go in a transaction, never alone
        dialect = connection.dialect
        form = self._forms.get(_key(dialect)) or self._compile(dialect)
        parameters = [_bound(form, row) for row in rows]
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(form.sql, parameters)
        except dialect.loaded_dbapi.Error as exc:
            raise _wrapped(dialect, form.sql, parameters, exc) from exc
        finally:
            cursor.close()

    def _compile(self, dialect: Dialect) -> _Form:
        # for_executemany: no RETURNING of the new ids, which a list of rows does not fetch
        compiled = self.statement.compile(
            dialect=dialect, column_keys=list(self.columns), for_executemany=True
        )
        form = _form(compiled, dialect, row=tuple)
        with self._lock:
            self._forms[_key(dialect)] = form
        return form


def _form(compiled: Any, dialect: Dialect, *, row: Callable[..., tuple[Any, ...]]) -> _Form:
    binds = tuple(
        (name, process)
        for name, bind in compiled.binds.items()
        if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    )
    return _Form(
        sql=str(compiled),
        positions=tuple(compiled.positiontup) if compiled.positiontup else None,
        defaults={
            name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required
        },
        binds=binds,
        results=None,
        row=row,
    )


def _bound(form: _Form, values: Mapping[str, Any]) -> Any:
    """The statement's parameters for `values`, converted by the types' bind processors, in
    the driver's paramstyle (a list, or a dict by name)."""
    bound = {**form.defaults, **values}
    for name, process in form.binds:
        if name in bound:
            bound[name] = process(bound[name])
    return [bound[name] for name in form.positions] if form.positions else bound


def _wrapped(dialect: Dialect, sql: str, parameters: Any, exc: Exception) -> StatementError:
    """The driver's error as SQLAlchemy raises it (IntegrityError, OperationalError, ...)."""
    return DBAPIError.instance(sql, parameters, exc, dialect.loaded_dbapi.Error)


def _key(dialect: Dialect) -> tuple[str, str, str]:
    """What a statement's SQL depends on: the database, the driver and its parameter style."""
    return dialect.name, dialect.driver, dialect.paramstyle
