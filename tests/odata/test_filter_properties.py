"""Properties of the `$filter` front end: round trips, refusals only as BadRequest, null laws."""

from __future__ import annotations

import contextlib
from datetime import UTC
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

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
    conjoin,
    disjoin,
)
from idprotect.errors import BadRequest
from idprotect.odata.filter import evaluate, parse_filter, print_tree, unparse
from idprotect.odata.schema import Boolean, DateTimeOffset, Enum, Guid, Property, Schema
from tests.odata.test_filter import RISK_DETECTIONS, RISKY_USERS

SCHEMAS = st.sampled_from([RISKY_USERS, RISK_DETECTIONS])


def _values(prop: Property) -> st.SearchStrategy[Any]:
    """Non-null values of a property's type, as the parser would produce them."""
    kind = prop.type
    if isinstance(kind, Boolean):
        return st.booleans()
    if isinstance(kind, DateTimeOffset):
        return st.datetimes(timezones=st.just(UTC))
    if isinstance(kind, Guid):
        return st.uuids().map(str)
    if isinstance(kind, Enum):
        return st.sampled_from(sorted(kind.members))
    return st.text(max_size=12)


def _pairs(schema: Schema, ops: frozenset[Operator] | None) -> list[tuple[str, Operator]]:
    return [
        (path, op)
        for path, prop in sorted(schema.items())
        for op in sorted(prop.operators)
        if ops is None or op in ops
    ]


@st.composite
def _leaf(draw: st.DrawFn, schema: Schema, ops: frozenset[Operator] | None = None) -> Node:
    path, op = draw(st.sampled_from(_pairs(schema, ops)))
    prop = schema[path]
    if op is Operator.IN:
        return In(path, tuple(draw(st.lists(_values(prop), min_size=1, max_size=4))))
    if op is Operator.STARTSWITH:
        return StartsWith(path, draw(st.text(max_size=12)))
    nullable = op in (Operator.EQ, Operator.NE)
    literal: Literal = draw(st.none() | _values(prop) if nullable else _values(prop))
    return Comparison(path, op, literal)


def _trees(schema: Schema) -> st.SearchStrategy[Node]:
    def extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        several = st.lists(children, min_size=2, max_size=4)
        return several.map(conjoin) | several.map(disjoin) | children.map(Not)

    return st.recursive(_leaf(schema), extend, max_leaves=12)


def _height(node: Node) -> int:
    if isinstance(node, And | Or):
        return 1 + max(_height(operand) for operand in node.operands)
    if isinstance(node, Not):
        return 1 + _height(node.operand)
    return 1


@st.composite
def _schema_and_tree(draw: st.DrawFn) -> tuple[Schema, Node]:
    schema = draw(SCHEMAS)
    return schema, draw(_trees(schema))


@given(_schema_and_tree())
def test_printed_trees_parse_back_to_the_same_tree(case: tuple[Schema, Node]) -> None:
    schema, tree = case
    assume(_height(tree) <= 20)  # unparse adds at most two nesting levels per tree level
    assert parse_filter(unparse(tree), schema) == tree


_FRAGMENTS = [
    "riskLevel", "riskState", "isDeleted", "userDisplayName", "location/city", "id", "x/any",
    "riskLastUpdatedDateTime", "activityDateTime", "riskEventType", "startswith", "contains",
    "eq", "ne", "gt", "le", "in", "and", "or", "not", "AND", "Eq",
    "(", ")", ",", "'", "''", "'high'", "'atRisk'", "'O''Brien'", "true", "false", "null",
    "2021-06-01T00:00:00Z", "2021-06-01", "2021-06-01T00:00:00.1234567+02:00",
    "8a1b0000-0000-4000-8000-00000000000a", "42", "-1.5", "microsoft.graph.riskLevel'high'",
    "microsoft.graph.riskState'x'", " ", "  ", "\t", "$", "@", ":", "/", ".", "-",
]  # fmt: skip


def _token_soup() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(_FRAGMENTS), max_size=25).map(" ".join) | st.lists(
        st.sampled_from(_FRAGMENTS), max_size=25
    ).map("".join)


@given(st.text(max_size=200) | _token_soup(), SCHEMAS)
def test_garbage_meets_nothing_but_bad_request(text: str, schema: Schema) -> None:
    try:
        node = parse_filter(text, schema)
    except BadRequest as error:
        message = error.message
    else:  # what is accepted is a fixed point of unparse -> parse
        assert print_tree(parse_filter(unparse(node), schema)) == print_tree(node)
        return
    assert message.startswith("Invalid filter clause: ")
    assert message.endswith(".")


@given(st.text(alphabet="()not ", max_size=3000) | st.text(alphabet="(", max_size=4000))
def test_deep_nesting_never_escapes_as_recursion_error(text: str) -> None:
    with contextlib.suppress(BadRequest):
        parse_filter(text, RISKY_USERS)


def _records(schema: Schema) -> st.SearchStrategy[dict[str, object]]:
    values = {path: st.none() | _values(prop) for path, prop in schema.items()}
    return st.fixed_dictionaries(values)


@st.composite
def _tree_and_record(
    draw: st.DrawFn, ops: frozenset[Operator] | None = None
) -> tuple[Node, dict[str, object]]:
    schema = draw(SCHEMAS)
    tree = draw(_trees(schema) if ops is None else _leaf(schema, ops))
    return tree, draw(_records(schema))


@given(_tree_and_record())
def test_evaluation_is_two_valued_and_not_negates(case: tuple[Node, dict[str, object]]) -> None:
    tree, record = case
    result = evaluate(tree, record)
    assert isinstance(result, bool)
    assert evaluate(Not(tree), record) is not result


@given(_tree_and_record(frozenset({Operator.EQ})))
def test_ne_is_the_complement_of_eq_even_with_nulls(case: tuple[Node, dict[str, object]]) -> None:
    tree, record = case
    assert isinstance(tree, Comparison)
    opposite = Comparison(tree.property, Operator.NE, tree.literal)
    assert evaluate(opposite, record) is not evaluate(tree, record)


_NOT_EQUALITY = frozenset(Operator) - {Operator.EQ, Operator.NE}


@given(_tree_and_record(_NOT_EQUALITY))
def test_a_null_value_satisfies_no_ordering_in_or_startswith(
    case: tuple[Node, dict[str, object]],
) -> None:
    tree, record = case
    assert isinstance(tree, Comparison | In | StartsWith)
    assert evaluate(tree, {**record, tree.property: None}) is False
