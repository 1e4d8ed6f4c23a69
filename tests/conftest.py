"""Shared fixtures: databases (SQLite files, the PostgreSQL server), a clock, an API client."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from idprotect.app import create_app
from idprotect.settings import Settings
from idprotect.store.engine import Database, make_engine
from idprotect.store.migrate import upgrade_database
from idprotect.store.tables import metadata

# Hypothesis profiles; in CI each property-based test runs its fixed examples, then fresh ones.
pytest_plugins = ["tests.hypothesis_passes"]

POSTGRES_ADMIN_URL = os.environ.get(
    "IDPROTECT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# CI sets this: there a missing PostgreSQL server is a failure, not a skip.
REQUIRE_POSTGRES = os.environ.get("IDPROTECT_REQUIRE_POSTGRES") == "1"


class FakeClock:
    """An injectable clock: starts at a fixed moment and moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, copied for each test (migrating once is enough)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "idprotect.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated, dropped at the end."""
    name = f"idprotect_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is not there
        admin.dispose()
        if REQUIRE_POSTGRES:
            raise
        pytest.skip(f"PostgreSQL is not reachable: {exc}")
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade_database(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def postgres_url(postgres_server_url: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    _truncate_all(postgres_server_url)
    return postgres_server_url


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        names = ", ".join(table.name for table in metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {names}"))
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_database(
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Database]:
    """A database shared by the tests of one module, once per dialect: for read-only tests
    on data that is slow to build. Its module must not also use the per-test databases."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("module") / "idprotect.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_server_url")
        _truncate_all(url)
    database = Database(make_engine(url))
    yield database
    database.dispose()
    if request.param == "postgres":
        _truncate_all(url)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(make_engine(database_url))
    yield db
    db.dispose()


@pytest.fixture
def sqlite_database(sqlite_url: str) -> Iterator[Database]:
    db = Database(make_engine(sqlite_url))
    yield db
    db.dispose()


def make_client(database: Database, clock: FakeClock, **settings: Any) -> TestClient:
    """A client of an app on `database`; `--auth off` unless the settings say otherwise."""
    app = create_app(Settings(**{"auth": "off", **settings}), clock=clock, database=database)
    return TestClient(app)


@pytest.fixture
def client(sqlite_database: Database, clock: FakeClock) -> TestClient:
    """An API client on a fresh SQLite database, with `--auth off`."""
    return make_client(sqlite_database, clock)


@pytest.fixture
def any_client(database: Database, clock: FakeClock) -> TestClient:
    """An API client that runs once on SQLite and once on PostgreSQL."""
    return make_client(database, clock)
