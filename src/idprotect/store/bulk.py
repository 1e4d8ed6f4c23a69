"""Bulk inserts of new rows for large tenants: plain tuples straight to the driver, or COPY.

The Core inserts in repository.py run SQLAlchemy's per-value processing, which is most of the
time of a million-row load. Here each row is one tuple in the order of its column list, and
datetimes are converted once, into what `tables.UtcDateTime` stores on each dialect. Enum
members give their `_value_` (a plain attribute; `.value` is a slower descriptor).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from idprotect.domain.models import HistoryItem, Location, RiskDetection, User
from idprotect.store.rows import RISK_LEVEL_RANKS

Stored = Callable[[datetime], Any]

USER_COLUMNS = (
    "tenant_id", "id", "display_name", "user_principal_name", "is_deleted", "is_processing",
    "risk_level", "risk_state", "risk_detail", "risk_last_updated_at", "risk_level_rank",
)  # fmt: skip
HISTORY_COLUMNS = (
    "tenant_id", "user_id", "ticks", "display_name", "user_principal_name", "is_deleted",
    "is_processing", "risk_level", "risk_state", "risk_detail", "risk_last_updated_at",
    "activity_detail", "activity_risk_event_types", "initiated_by",
)  # fmt: skip
DETECTION_COLUMNS = (
    "tenant_id", "id", "user_id", "user_display_name", "user_principal_name", "risk_event_type",
    "risk_level", "risk_state", "risk_detail", "activity", "activity_at", "detected_at",
    "last_updated_at", "detection_timing_type", "source", "token_issuer_type", "ip_address",
    "city", "state", "country_or_region", "latitude", "longitude", "altitude", "has_location",
    "request_id", "correlation_id", "additional_info", "mitre_technique_id",
)  # fmt: skip

_NO_LOCATION = Location()
_SQLITE_DATETIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


@dataclass(frozen=True, slots=True)
class BulkRows:
    """Rows ready for one dialect's driver: plain tuples, cheap to send to another process."""

    dialect: str
    users: list[tuple[Any, ...]]
    detections: list[tuple[Any, ...]]
    history_items: list[tuple[Any, ...]]


def prepare_rows(
    dialect: str,
    tenant_id: str,
    *,
    users: Sequence[User],
    detections: Sequence[RiskDetection],
    history_items: Sequence[HistoryItem],
) -> BulkRows:
    """The rows of new users, detections and history items, for a database of `dialect`."""
    stored = _sqlite_datetime if dialect == "sqlite" else _naive_utc
    return BulkRows(
        dialect=dialect,
        users=[_user_row(tenant_id, u, stored) for u in users],
        detections=_detection_rows(tenant_id, detections, stored),
        history_items=_history_rows(tenant_id, history_items, stored),
    )


def insert_rows(connection: Connection, rows: BulkRows) -> None:
    """Insert rows that must be new: a row that exists already fails the unit of work."""
    if rows.dialect != connection.dialect.name:
        raise ValueError(f"rows prepared for {rows.dialect}, not {connection.dialect.name}")
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    batches = (
        ("users", USER_COLUMNS, rows.users),
        ("risk_detections", DETECTION_COLUMNS, rows.detections),
        ("risky_user_history", HISTORY_COLUMNS, rows.history_items),
    )
    for table, columns, values in batches:
        if not values:
            continue
        if connection.dialect.name == "postgresql":
            _copy(connection, table, columns, values)
        else:
            marks = ", ".join([mark] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            connection.exec_driver_sql(sql, values)


def _copy(
    connection: Connection, table: str, columns: tuple[str, ...], values: list[tuple[Any, ...]]
) -> None:
    """PostgreSQL's COPY: one stream per table instead of one INSERT per row."""
    driver: Any = connection.connection.driver_connection  # psycopg's own connection
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in values:
            copy.write_row(row)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where an aware UTC datetime is required")
    return moment.astimezone(UTC)


def _sqlite_datetime(moment: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME text: naive UTC, always with six fractional digits."""
    m = _utc(moment)  # the fields formatted take half the time of isoformat(" ")[:26]
    return _SQLITE_DATETIME % (m.year, m.month, m.day, m.hour, m.minute, m.second, m.microsecond)


def _naive_utc(moment: datetime) -> datetime:
    return _utc(moment).replace(tzinfo=None)


def _user_row(tenant_id: str, user: User, stored: Stored) -> tuple[Any, ...]:
    risk = user.risk
    if risk is None:
        return (tenant_id, user.id, user.display_name, user.user_principal_name,
                user.is_deleted, user.is_processing, None, None, None, None, None)  # fmt: skip
    return (
        tenant_id, user.id, user.display_name, user.user_principal_name, user.is_deleted,
        user.is_processing, risk.level._value_, risk.state._value_, risk.detail._value_,
        stored(risk.last_updated), RISK_LEVEL_RANKS[risk.level],
    )  # fmt: skip


def _history_rows(
    tenant_id: str, items: Sequence[HistoryItem], stored: Stored
) -> list[tuple[Any, ...]]:
    encoded: dict[tuple[str, ...], str] = {}  # few distinct lists of event types
    found = []
    for item in items:
        user, risk, activity = item.user, item.user.risk, item.activity
        types = activity.risk_event_types
        if types not in encoded:
            encoded[types] = json.dumps(list(types))
        found.append((
            tenant_id, item.user_id, item.ticks, user.display_name, user.user_principal_name,
            user.is_deleted, user.is_processing, risk.level._value_, risk.state._value_,
            risk.detail._value_, stored(risk.last_updated),
            activity.detail._value_ if activity.detail else None, encoded[types],
            item.initiated_by,
        ))  # fmt: skip
    return found


def _detection_rows(
    tenant_id: str, detections: Sequence[RiskDetection], stored: Stored
) -> list[tuple[Any, ...]]:
    found = []
    for d in detections:
        loc = d.location or _NO_LOCATION
        detected_at = stored(d.detected_at)
        last_updated_at = (
            detected_at if d.last_updated_at is d.detected_at else stored(d.last_updated_at)
        )
        found.append((
            tenant_id, d.id, d.user_id, d.user_display_name, d.user_principal_name,
            d.risk_event_type, d.risk_level._value_, d.risk_state._value_, d.risk_detail._value_,
            d.activity._value_, stored(d.activity_at), detected_at, last_updated_at,
            d.detection_timing_type._value_, d.source, d.token_issuer_type._value_, d.ip_address,
            loc.city, loc.state, loc.country_or_region, loc.latitude, loc.longitude,
            loc.altitude, d.location is not None, d.request_id, d.correlation_id,
            d.additional_info, d.mitre_technique_id,
        ))  # fmt: skip
    return found
