"""The signals package's layers: plain modules (no web, no SQL, no HTTP client) and those that
put them to work on a Database; none of them reaches into api/."""

from __future__ import annotations

import pytest

from tests.test_layers import SRC, _imports, _within

PLAIN = (
    "endpoints",
    "events",
    "incoming",
    "outcomes",
    "rich",
    "sets",
    "settings",
    "streams",
    "subjects",
    "subscriptions",
)
AT_WORK = (
    "delivery",
    "lifecycle",
    "posting",
    "process",
    "receiver",
    "service",
    "signing",
    "upkeep",
)
_WEB = ("fastapi", "starlette", "pydantic", "idprotect.api")


def test_every_signals_module_has_a_layer() -> None:
    found = {path.stem for path in (SRC / "signals").glob("*.py")} - {"__init__"}
    assert found == {*PLAIN, *AT_WORK}


@pytest.mark.parametrize("module", PLAIN)
def test_plain_signals_modules_touch_no_database_nor_network(module: str) -> None:
    forbidden = (
        *_WEB,
        "sqlalchemy",
        "httpx",
        "http",
        "idprotect.store",
        "idprotect.signals.delivery",
    )
    offending = [n for n in _imports(SRC / "signals" / f"{module}.py") if _within(n, forbidden)]
    assert offending == []


@pytest.mark.parametrize("module", AT_WORK)
def test_signals_at_work_stay_out_of_the_web_layer(module: str) -> None:
    offending = [n for n in _imports(SRC / "signals" / f"{module}.py") if _within(n, _WEB)]
    assert offending == []
