"""The layering rules of the house style, checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "idprotect"

FORBIDDEN = {
    "domain": (
        "fastapi",
        "starlette",
        "pydantic",
        "sqlalchemy",
        "idprotect.api",
        "idprotect.store",
        "idprotect.odata",
        "idprotect.auth",
    ),
    "odata": ("fastapi", "starlette", "sqlalchemy", "idprotect.store", "idprotect.api"),
    "auth": ("fastapi", "starlette", "sqlalchemy", "idprotect.store", "idprotect.api"),
    "store": ("fastapi", "starlette", "pydantic", "idprotect.api"),
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_stay_in_bounds(layer: str) -> None:
    offending = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in sorted((SRC / layer).rglob("*.py"))
        for name in _imports(path)
        if name.startswith(FORBIDDEN[layer])
    ]
    assert offending == []


def test_api_reaches_the_store_only_through_deps() -> None:
    offending = [
        str(path.relative_to(SRC))
        for path in sorted((SRC / "api").rglob("*.py"))
        if path.name != "deps.py"
        and any(name.startswith(("idprotect.store", "sqlalchemy")) for name in _imports(path))
    ]
    assert offending == []


def test_every_module_opens_with_a_docstring() -> None:
    missing = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if "migrations" not in path.parts and ast.get_docstring(ast.parse(path.read_text())) is None
    ]
    assert missing == []
