"""The issuer's plain Starlette endpoints inside the app: what they raise leaves as Graph's error
body, through the app's own error handlers (the grant itself: tests/auth/test_issuer.py)."""

from __future__ import annotations

from pathlib import Path

from idprotect.errors import ServiceUnavailable
from idprotect.store.engine import Database, make_engine
from tests.conftest import FakeClock, make_client

TENANT = "4a3d2c1b-6f5e-4d7c-8b9a-0e1f2a3b4c5d"


def test_an_unreachable_database_is_graphs_503(tmp_path: Path) -> None:
    database = Database(make_engine(f"sqlite:///{tmp_path / 'no such folder' / 'x.db'}"))
    try:
        response = make_client(database, FakeClock()).get(f"/{TENANT}/discovery/v2.0/keys")
    finally:
        database.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(ServiceUnavailable.retry_after)
    assert response.json()["error"]["code"] == "ServiceUnavailable"
    assert response.headers["request-id"] == response.json()["error"]["innerError"]["request-id"]


def test_another_method_is_graphs_405_naming_the_one_answered(sqlite_database: Database) -> None:
    response = make_client(sqlite_database, FakeClock()).get(f"/{TENANT}/oauth2/v2.0/token")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"]["code"] == "Request_BadRequest"
