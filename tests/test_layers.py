"""The layering rules of the house style, checked on every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "idprotect"

# Plain code (domain, odata, auth): no web framework, no SQL, nothing of the layers that use it.
_PLAIN = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "idprotect.store",
    "idprotect.api",
    # nor the built-in issuer: verification trusts its keys as it does any other issuer's
    "idprotect.issuer",
)
FORBIDDEN = {
    "domain": (*_PLAIN, "pydantic", "idprotect.odata", "idprotect.auth"),
    "odata": _PLAIN,
    # The risk engine: pure detectors over the domain's sign-ins; the store behind its ports.
    "engine": (*_PLAIN, "pydantic", "idprotect.odata", "idprotect.auth"),
    "auth": _PLAIN,
    # store/engine.py opens the issuer's SQL (Database.identity); nothing above it.
    "store": (
        "fastapi",
        "starlette",
        "pydantic",
        "idprotect.api",
        "idprotect.issuer.service",
        "idprotect.issuer.trust",
        "idprotect.issuer.endpoints",
        "idprotect.issuer.cli",
    ),
}

# The issuer package's own layers (issuer/__init__.py): every module has one.
ISSUER_LAYERS = {
    "__init__": "plain",
    "apps": "plain",
    "claims": "plain",
    "client_assertion": "plain",
    "grant": "plain",
    "keys": "plain",
    "registry": "sql",
    "service": "service",
    "trust": "service",
    "endpoints": "http",
    "cli": "cli",
    "code_flow": "plain",
    "passwords": "plain",
    "sign_in": "service",
    "authorize": "http",
    "responses": "http",
    "users_cli": "cli",
}
_WEB = ("fastapi", "starlette", "pydantic")
_ABOVE_SQL = ("idprotect.issuer.service", "idprotect.issuer.trust")
_DOORS = ("idprotect.issuer.endpoints", "idprotect.issuer.cli", "typer")
ISSUER_FORBIDDEN = {
    "plain": (
        *_WEB,
        "sqlalchemy",
        "httpx",
        "idprotect.store",
        "idprotect.api",
        "idprotect.settings",
        "idprotect.issuer.registry",
        *_ABOVE_SQL,
        *_DOORS,
    ),
    "sql": (*_WEB, "httpx", "idprotect.api", *_ABOVE_SQL, *_DOORS),
    "service": (*_WEB, "sqlalchemy", "idprotect.api", "idprotect.issuer.registry", *_DOORS),
    # Plain Starlette, and the database only through the service functions.
    "http": (
        "fastapi",
        "pydantic",
        "sqlalchemy",
        "typer",
        "idprotect.api",
        "idprotect.issuer.registry",
        "idprotect.issuer.cli",
    ),
    "cli": (
        *_WEB,
        "sqlalchemy",
        "idprotect.api",
        "idprotect.issuer.registry",
        "idprotect.issuer.endpoints",
    ),
}


def _imports(path: Path) -> set[str]:
    """Every module `path` imports; `from a import b` counts as `a` and as `a.b`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _within(name: str, modules: tuple[str, ...]) -> bool:
    """Whether `name` is one of `modules` or inside one (`a.bc` is not inside `a.b`)."""
    return any(name == module or name.startswith(f"{module}.") for module in modules)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_stay_in_bounds(layer: str) -> None:
    offending = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in sorted((SRC / layer).rglob("*.py"))
        for name in _imports(path)
        if _within(name, FORBIDDEN[layer])
    ]
    assert offending == []


def test_every_issuer_module_has_a_layer() -> None:
    assert {path.stem for path in (SRC / "issuer").glob("*.py")} == set(ISSUER_LAYERS)


@pytest.mark.parametrize("module", sorted(ISSUER_LAYERS))
def test_issuer_modules_stay_in_their_layer(module: str) -> None:
    forbidden = ISSUER_FORBIDDEN[ISSUER_LAYERS[module]]
    offending = sorted(
        name for name in _imports(SRC / "issuer" / f"{module}.py") if _within(name, forbidden)
    )
    assert offending == []


def test_api_reaches_the_store_only_through_deps() -> None:
    offending = [
        str(path.relative_to(SRC))
        for path in sorted((SRC / "api").rglob("*.py"))
        if path.name != "deps.py"
        and any(_within(name, ("idprotect.store", "sqlalchemy")) for name in _imports(path))
    ]
    assert offending == []


def test_every_module_opens_with_a_docstring() -> None:
    missing = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if "migrations" not in path.parts and ast.get_docstring(ast.parse(path.read_text())) is None
    ]
    assert missing == []
