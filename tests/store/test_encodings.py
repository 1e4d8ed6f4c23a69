"""The compact encodings: every enum member has a frozen code, moments keep every microsecond and
their order, and a table's text forms are SQLAlchemy's own on SQLite (what migration 0006 reads)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

import pytest
from sqlalchemy import select

from idprotect.domain.enums import (
    ActivityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    TokenIssuerType,
)
from idprotect.store import encodings
from idprotect.store.encodings import EnumCode, Moment, from_micros, to_micros
from idprotect.store.engine import Database
from idprotect.store.tables import tenants, users

CODES: list[tuple[type[StrEnum], tuple[str, ...]]] = [
    (RiskLevel, encodings.RISK_LEVELS),
    (RiskState, encodings.RISK_STATES),
    (RiskDetail, encodings.RISK_DETAILS),
    (RiskDetectionTimingType, encodings.TIMING_TYPES),
    (ActivityType, encodings.ACTIVITY_TYPES),
    (TokenIssuerType, encodings.TOKEN_ISSUER_TYPES),
]


@pytest.mark.parametrize(("enum", "names"), CODES)
def test_every_member_has_a_code_and_codes_follow_graphs_order(
    enum: type[StrEnum], names: tuple[str, ...]
) -> None:
    # A member added to the enum must be appended to the codes: stored codes never change.
    assert [member.value for member in enum] == list(names[: len(enum)])
    assert len(set(names)) == len(names)


def test_a_name_without_a_code_is_refused_before_any_sql() -> None:
    with pytest.raises(ValueError, match="'catastrophic' is none of low, medium"):
        EnumCode(encodings.RISK_LEVELS).process_bind_param("catastrophic", None)  # type: ignore[arg-type]


MOMENTS = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2026, 3, 1, 9, 30, 0, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def test_moments_keep_every_microsecond_and_their_order() -> None:
    micros = [to_micros(moment) for moment in MOMENTS]
    assert [from_micros(m) for m in micros] == MOMENTS
    assert micros == sorted(micros)
    elsewhere = datetime(2026, 3, 1, 11, 30, 0, 1, tzinfo=timezone(timedelta(hours=2)))
    assert to_micros(elsewhere) == to_micros(MOMENTS[3])


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        to_micros(datetime(2026, 3, 1))


def test_moments_compare_in_sql_as_instants(sqlite_database: Database) -> None:
    with sqlite_database.unit_of_work(write=True) as store:
        store.ensure_tenant("t")
        for number, moment in enumerate(MOMENTS):
            store.connection.execute(
                users.insert().values(tenant_id="t", id=f"u{number}", risk_last_updated_at=moment)
            )
        query = select(users.c.id).where(
            users.c.tenant_id == "t", users.c.risk_last_updated_at > MOMENTS[1]
        )
        later = sorted(store.connection.scalars(query))
        stored = store.connection.scalar(
            select(users.c.risk_last_updated_at).where(users.c.id == "u3")
        )
    assert later == ["u2", "u3", "u4"]
    assert stored == MOMENTS[3]
    assert isinstance(users.c.risk_last_updated_at.type, Moment)


def test_a_tenant_is_stored_as_its_key_and_read_as_its_id(sqlite_database: Database) -> None:
    with sqlite_database.unit_of_work(write=True) as store:
        key = store.tenant_key("t")
        store.connection.execute(users.insert().values(tenant_id="t", id="u"))
        raw = store.connection.exec_driver_sql("SELECT tenant_id FROM users").scalar()
        read = store.connection.scalar(select(users.c.tenant_id))
        unknown = store.connection.scalar(select(users.c.id).where(users.c.tenant_id == "nope"))
        again = store.tenant_key("t")
        count = store.connection.scalar(select(tenants.c.key).where(tenants.c.id == "t"))
    assert (raw, read, unknown) == (key, "t", None)
    assert again == count == key
