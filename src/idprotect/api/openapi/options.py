"""The query options of an operation, from its collection's allow-lists (odata/collections.py)
and the limits odata/options.py enforces."""

from __future__ import annotations

from typing import Any

from idprotect.api.openapi.schemas import JsonSchema
from idprotect.odata.collections import Collection
from idprotect.odata.options import MAX_TOP

Parameter = dict[str, Any]

PREFER: Parameter = {
    "name": "Prefer",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "`include-unknown-enum-members` to receive evolvable enum members by name.",
}


def _query(name: str, schema: JsonSchema, description: str, **extra: Any) -> Parameter:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
        **extra,
    }


def filter_option(collection: Collection, more: str = "") -> Parameter:
    """$filter, naming what its allow-list lets it compare, and how (`more`: what else)."""
    names = "; ".join(
        f"`{name}` ({', '.join(sorted(collection.filter[name].operators))})"
        for name in collection.filter
    )
    text = f"An OData filter on {collection.name}: {names}.{more}"
    return _query("$filter", {"type": "string"}, text)


def _select(collection: Collection, version: str) -> Parameter:
    names = list(collection.selectable(version))
    return _query(
        "$select",
        {"type": "array", "items": {"type": "string", "enum": names}, "minItems": 1},
        "Properties to return.",
        style="form",
        explode=False,
    )


def list_options(collection: Collection, version: str, filtering: str = "") -> list[Parameter]:
    """A list's options: $filter (`filtering`: what it takes besides the allow-list), $select,
    $top, $skiptoken, and $orderby and $count where the collection takes them."""
    options = [
        filter_option(collection, filtering),
        _select(collection, version),
        _query("$top", {"type": "integer", "minimum": 1, "maximum": MAX_TOP}, "Page size."),
        _query("$skiptoken", {"type": "string"}, "From an @odata.nextLink; opaque."),
    ]
    if collection.orderby:
        names = "|".join(collection.orderby)
        pattern = rf"^\s*({names})(\s+([aA][sS][cC]|[dD][eE][sS][cC]))?\s*$"
        order = {"type": "string", "pattern": pattern}
        options.append(_query("$orderby", order, "One property, then asc or desc."))
    if collection.countable:
        options.append(_query("$count", {"type": "boolean"}, "Adds @odata.count."))
    return [*options, PREFER]


def entity_options(collection: Collection, version: str) -> list[Parameter]:
    return [_select(collection, version), PREFER]
