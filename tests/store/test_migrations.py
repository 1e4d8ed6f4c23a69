"""Migrations build exactly the schema the tables describe, on SQLite and PostgreSQL, and only
in an empty database or idprotect's own."""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from idprotect.domain.enums import ActivityType, RiskDetail, RiskLevel, RiskState
from idprotect.domain.kinds import USER
from idprotect.domain.models import Activity, Risk, User
from idprotect.domain.tenants import Licence
from idprotect.store.engine import Database, make_engine
from idprotect.store.migrate import ForeignDatabase, alembic_config, upgrade_database
from idprotect.store.tables import metadata, risk_detections, risky_user_history, users
from tests.conftest import POSTGRES_ADMIN_URL
from tests.store import query_data as data


def test_migrated_schema_matches_the_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []


def test_upgrade_is_idempotent(database_url: str) -> None:
    upgrade_database(database_url)
    upgrade_database(database_url)


def test_another_applications_database_is_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "billing.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    connection.commit()
    connection.close()

    with pytest.raises(ForeignDatabase, match=r"^it holds the tables invoices$"):
        upgrade_database(f"sqlite:///{path}")

    assert _tables(f"sqlite:///{path}") == {"invoices"}


def test_idprotects_own_database_with_a_table_added_is_migrated(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE operator_notes (note TEXT)"))
    try:
        upgrade_database(database_url)
        tables = _tables(database_url)
    finally:  # the PostgreSQL database is the session's: it must match the tables again
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE operator_notes"))
        engine.dispose()

    assert "operator_notes" in tables


def test_an_empty_database_file_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()

    upgrade_database(f"sqlite:///{path}")

    assert "risky_user_history" in _tables(f"sqlite:///{path}")


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


@pytest.fixture(params=["sqlite", "postgres"])
def scratch_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (migrated down and up: the session's must stay at head)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    request.getfixturevalue("postgres_server_url")  # skips, or fails, as the others do
    name = f"idprotect_scratch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_0006_converts_every_row_and_back(scratch_url: str) -> None:
    """Tenants by key, enum codes, moments, additionalInfo: down to 0005's text and up again,
    every value read back is the same, and 0005's columns hold what 0005 wrote."""
    upgrade_database(scratch_url)
    database = Database(make_engine(scratch_url))
    try:
        _load(database)
        before = _everything(database)
        command.downgrade(alembic_config(scratch_url), "0005")
        at_0005 = _raw_0005(scratch_url)
        upgrade_database(scratch_url)
        after = _everything(database)
    finally:
        database.dispose()
    assert after == before
    assert at_0005["user"] == (data.TENANT, "high", 2, "atRisk", "2026-03-01 09:30:00.000001")
    assert at_0005["detection"] == (data.TENANT, "signin", '[{"Key":"userAgent","Value":"x"}]')
    assert at_0005["item"] == (
        data.TENANT,
        "adminDismissedAllRiskForUser",
        "2026-03-01 09:30:00.000001",
    )


# What revision 0006 can store of riskDetail: the members before the agents' (0007).
_DETAILS_0006 = list(RiskDetail)[: list(RiskDetail).index(RiskDetail.ADMIN_CONFIRMED_AGENT_SAFE)]


def _as_0006(detail: Any) -> Any:
    return detail if detail is None or detail in _DETAILS_0006 else RiskDetail.NONE


def _load(database: Database) -> None:
    rng = random.Random(5)
    users = [
        replace(u, risk=replace(u.risk, detail=_as_0006(u.risk.detail))) if u.risk else u
        for u in data.make_users(rng, 40)
    ]
    users[0] = User(
        id="u-high",
        risk=Risk(RiskLevel.HIGH, RiskState.AT_RISK, RiskDetail.NONE, MOMENT),
    )
    detections = [
        replace(d, risk_detail=_as_0006(d.risk_detail))
        for d in data.make_detections(rng, users, 60)
    ]
    detections[0] = replace(
        detections[0],
        principal_id="u-high",
        activity=ActivityType.SIGNIN,
        additional_info='[{"Key":"userAgent","Value":"x"}]',
    )
    drawn = data.make_history(rng, users[1], 1)[0]
    item = replace(
        drawn,
        ticks=42,
        principal=replace(drawn.principal, risk=replace(drawn.principal.risk, last_updated=MOMENT)),  # type: ignore[type-var]
        activity=Activity(RiskDetail.ADMIN_DISMISSED_ALL_RISK_FOR_USER),
    )
    data.load(database, users, detections)
    with database.unit_of_work(write=True) as store:
        more = [
            replace(
                i,
                principal=replace(
                    i.principal,
                    risk=replace(i.principal.risk, detail=_as_0006(i.principal.risk.detail)),
                ),  # type: ignore[type-var]
                activity=Activity(_as_0006(i.activity.detail)),
            )
            for i in data.make_history(rng, users[2], 5)
        ]
        store.add_history_items(USER, data.TENANT, [item, *more])
        store.set_tenant_licences(data.OTHER_TENANT, entra=Licence.P1)


MOMENT = datetime(2026, 3, 1, 9, 30, 0, 1, tzinfo=UTC)


def _everything(database: Database) -> list[list[tuple[object, ...]]]:
    """Every row of the tenants and the bulk tables, as the store reads them."""
    found = []
    with database.unit_of_work() as store:
        found.append(sorted((t.tenant_id, t.licence, t.risky_users) for t in store.list_tenants()))
        for table in (users, risk_detections, risky_user_history):
            # Sorted by value: the keys a tenant is stored as may differ after a migration.
            rows = store.connection.execute(select(table))
            found.append(sorted((tuple(row) for row in rows), key=repr))
    return found


def _raw_0005(url: str) -> dict[str, tuple[object, ...]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        user = connection.execute(
            text(
                "SELECT tenant_id, risk_level, risk_level_rank, risk_state, "
                "CAST(risk_last_updated_at AS TEXT) FROM users "
                "WHERE id = 'u-high' AND tenant_id = :t"
            ),
            {"t": data.TENANT},
        ).one()
        detection = connection.execute(
            text(
                "SELECT tenant_id, activity, additional_info FROM risk_detections "
                "WHERE user_id = 'u-high' AND additional_info IS NOT NULL AND tenant_id = :t"
            ),
            {"t": data.TENANT},
        ).one()
        item = connection.execute(
            text(
                "SELECT tenant_id, activity_detail, CAST(risk_last_updated_at AS TEXT) "
                "FROM risky_user_history WHERE ticks = 42 AND tenant_id = :t"
            ),
            {"t": data.TENANT},
        ).one()
    engine.dispose()
    return {"user": tuple(user), "detection": tuple(detection), "item": tuple(item)}
