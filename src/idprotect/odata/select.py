"""`$select`: properties of the collection's allow-list (reflected in `@odata.context`)."""

from __future__ import annotations

from idprotect.errors import BadRequest
from idprotect.odata.collections import Collection

ALL = ("*",)


def parse_select(text: str, collection: Collection, *, version: str) -> tuple[str, ...]:
    """The selected properties in the order given, each once; `*` selects them all."""
    names = [name.strip() for name in text.split(",")]
    if names == ["*"]:
        return ALL
    allowed = collection.selectable(version)
    for name in names:
        if not name:
            raise BadRequest("Invalid $select clause: a property name is missing.")
        if name not in allowed:
            raise BadRequest(
                f"Could not find a property named '{name}' on type '{collection.entity_type}'."
            )
    return tuple(dict.fromkeys(names))
