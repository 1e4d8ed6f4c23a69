"""The operation table and the router: what each operation is, and which one a path names.

An operation is a table entry: its method and path, who may call it (a permission, or any
verified caller, or nobody needs to be), the query options it parses, what it reads from the
request before any database work (`prepare`), where its answer runs (`Runs`), and the function
that answers. The pipeline (pipeline.py) does the rest the same way for every operation.

Paths are matched segment by segment on the canonical path (paths.py): a literal segment
before a `{parameter}`, so `GET …/riskyUsers/dismiss` names the action (405, Allow: POST) and
not a user called "dismiss".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from starlette.responses import Response

from idprotect.auth.permissions import Requirement
from idprotect.odata.collections import Collection
from idprotect.odata.options import Target


class Runs(Enum):
    """Where an operation's answer runs."""

    READ = "read"  # in a read-only unit of work (on the event loop while that is quick)
    WRITE = "write"  # in a write unit of work, on a database thread
    THREAD = "thread"  # on a database thread, without a unit of work (the issuer's registry)
    LOOP = "loop"  # on the event loop: it touches no database (it may be a coroutine)


class Caller(Enum):
    """Who may call an operation."""

    REQUIRED = "required"  # a verified caller holding the operation's requirement, if any
    NONE = "none"  # anybody: the service's own front door


@dataclass(frozen=True, slots=True)
class Query:
    """The OData query options an operation takes, parsed before it runs."""

    collection: Collection
    target: Target


# The answer gets the request (`Call`, pipeline.py) and gives the response.
Answer = Callable[[Any], Response | Awaitable[Response]]
Prepare = Callable[[Any], object]


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str  # below its root: "/riskyUsers/{user_id}"
    answer: Answer
    runs: Runs
    requirement: Requirement | None = None  # None: any verified caller
    caller: Caller = Caller.REQUIRED
    query: Query | None = None
    # What the answer needs from the request (its body, checked), worked out before any
    # database work; the result is `call.input`.
    prepare: Prepare | None = None
    documented: bool = True  # in the OpenAPI document (beta's legacy root paths are not)

    def under(self, root: str, *, documented: bool = True) -> Operation:
        return replace(self, path=root + self.path, documented=documented and self.documented)


@dataclass(frozen=True, slots=True)
class Match:
    operation: Operation
    params: dict[str, str]


@dataclass(slots=True)
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    parameter: _Node | None = None
    # At a path's end: the operations by method, with their parameters' names in order.
    methods: dict[str, tuple[Operation, tuple[str, ...]]] = field(default_factory=dict)


class MethodNotAllowedHere(Exception):
    """The path names operations, none of them of the request's method."""

    def __init__(self, allow: Iterable[str]) -> None:
        super().__init__()
        self.allow = ", ".join(allow)


class Router:
    """Finds the operation of a canonical path and method."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        self.operations = tuple(operations)
        self._root = _Node()
        for operation in self.operations:
            self._add(operation)

    def _add(self, operation: Operation) -> None:
        node, names = self._root, []
        for segment in _segments(operation.path):
            if segment.startswith("{") and segment.endswith("}"):
                names.append(segment[1:-1])
                node.parameter = node.parameter or _Node()
                node = node.parameter
            else:
                node = node.literals.setdefault(segment, _Node())
        if operation.method in node.methods:
            raise ValueError(f"{operation.method} {operation.path} is declared twice")
        node.methods[operation.method] = (operation, tuple(names))

    def match(self, method: str, path: str) -> Match | None:
        """The operation answering `method` on `path`; None when the path names nothing.
        Raises MethodNotAllowedHere when it names operations of other methods only."""
        values: list[str] = []
        node = _find(self._root, _segments(path), 0, values)
        if node is None:
            return None
        found = node.methods.get(method)
        if found is None:
            raise MethodNotAllowedHere(node.methods)
        operation, names = found
        return Match(operation, dict(zip(names, values, strict=True)))

    def unmatched_segment(self, path: str) -> str:
        """The segment of a path no operation answers that Graph's 400 names: the first one no
        operation's path reaches (literals or parameters), or the last if all are reached."""
        segments = _segments(path)
        if not segments:
            return ""
        return segments[min(_reach(self._root, segments, 0), len(segments) - 1)]


def _reach(node: _Node, segments: list[str], index: int) -> int:
    """How far below `node` some operation's path follows `segments[index:]`."""
    if index == len(segments):
        return index
    furthest = index
    literal = node.literals.get(segments[index])
    if literal is not None:
        furthest = _reach(literal, segments, index + 1)
    if node.parameter is not None:
        furthest = max(furthest, _reach(node.parameter, segments, index + 1))
    return furthest


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _find(node: _Node, segments: list[str], index: int, values: list[str]) -> _Node | None:
    """The end node of `segments[index:]` below `node`, literals first; `values` collects the
    parameters' values on the way."""
    if index == len(segments):
        return node if node.methods else None
    segment = segments[index]
    literal = node.literals.get(segment)
    if literal is not None:
        found = _find(literal, segments, index + 1, values)
        if found is not None:
            return found
    if node.parameter is not None:
        values.append(segment)
        found = _find(node.parameter, segments, index + 1, values)
        if found is not None:
            return found
        values.pop()
    return None
