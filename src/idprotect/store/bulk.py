"""Bulk inserts of new rows for large tenants: plain tuples straight to the driver, or COPY.

The Core inserts in repository.py run SQLAlchemy's per-value processing, which is most of the
time of a million-row load. Here each row is one tuple in the order of its column list, every
value already in the form its column stores (encodings.py): the tenant's key, enum codes, and
moments as SQLite's integers or PostgreSQL's naive UTC, each converted once; on SQLite flags
are 0 and 1 too, which its driver binds as they are (a bool, like None, goes through its adapter
look-up first: a tenth of a load's time in the writer). Enum members are looked up by
themselves (a StrEnum hashes as its value).

A detection's additionalInfo travels as its text, last in its tuple: the writer swaps it for
the key of its row in detection_infos, which only the database knows (`save_infos`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from idprotect.domain.models import HistoryItem, Location, RiskDetection, User
from idprotect.store.encodings import (
    ACTIVITY_TYPES,
    RISK_DETAILS,
    RISK_LEVELS,
    RISK_STATES,
    TIMING_TYPES,
    TOKEN_ISSUER_TYPES,
    codes_of,
    info_digest,
    to_micros,
    utc,
)
from idprotect.store.tables import detection_infos

Stored = Callable[[datetime], Any]
Flag = Callable[[bool], Any]

USER_COLUMNS = (
    "tenant_id", "id", "display_name", "user_principal_name", "is_deleted", "is_processing",
    "risk_level", "risk_state", "risk_detail", "risk_last_updated_at",
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
    "request_id", "correlation_id", "mitre_technique_id", "additional_info",
)  # fmt: skip

_LEVEL, _STATE, _DETAIL = codes_of(RISK_LEVELS), codes_of(RISK_STATES), codes_of(RISK_DETAILS)
_ACTIVITY, _TIMING = codes_of(ACTIVITY_TYPES), codes_of(TIMING_TYPES)
_ISSUER = codes_of(TOKEN_ISSUER_TYPES)
_NO_LOCATION = Location()
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class BulkRows:
    """Rows ready for one dialect's driver: plain tuples, cheap to send to another process."""

    dialect: str
    users: list[tuple[Any, ...]]
    detections: list[tuple[Any, ...]]
    history_items: list[tuple[Any, ...]]


def prepare_rows(
    dialect: str,
    tenant_key: int,
    *,
    users: Sequence[User],
    detections: Sequence[RiskDetection],
    history_items: Sequence[HistoryItem],
) -> BulkRows:
    """The rows of new users, detections and history items of the tenant whose key is
    `tenant_key` (SqlRiskStore.tenant_key), for a database of `dialect`."""
    sqlite = dialect == "sqlite"
    stored, flag = (to_micros, int) if sqlite else (_naive_utc, bool)
    return BulkRows(
        dialect=dialect,
        users=[_user_row(tenant_key, u, stored, flag) for u in users],
        detections=_detection_rows(tenant_key, detections, stored, flag),
        history_items=_history_rows(tenant_key, history_items, stored, flag),
    )


def insert_rows(connection: Connection, rows: BulkRows) -> None:
    """Insert rows that must be new: a row that exists already fails the unit of work."""
    if rows.dialect != connection.dialect.name:
        raise ValueError(f"rows prepared for {rows.dialect}, not {connection.dialect.name}")
    batches = (
        ("users", USER_COLUMNS, rows.users),
        ("risk_detections", DETECTION_COLUMNS, _with_info_keys(connection, rows.detections)),
        ("risky_user_history", HISTORY_COLUMNS, rows.history_items),
    )
    for table, columns, values in batches:
        if not values:
            continue
        if connection.dialect.name == "postgresql":
            _copy(connection, table, columns, values)
        else:
            marks = ", ".join(["?"] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            connection.exec_driver_sql(sql, values)


def save_infos(connection: Connection, texts: Collection[str]) -> dict[str, int]:
    """The key of each additionalInfo text in detection_infos, its row written if new.

    Rows are written only for texts not found: an insert that conflicts would still draw a
    key from PostgreSQL's sequence. Two writers adding one text at once meet at its digest.
    """
    by_digest = {info_digest(text): text for text in texts}
    keys = _info_keys(connection, by_digest)
    missing = {digest: text for digest, text in by_digest.items() if text not in keys}
    if missing:
        postgres = connection.dialect.name == "postgresql"
        insert = (postgresql.insert if postgres else sqlite.insert)(detection_infos)
        rows = [{"digest": digest, "text": text} for digest, text in missing.items()]
        connection.execute(insert.on_conflict_do_nothing(), rows)
        keys.update(_info_keys(connection, missing))
    return keys


def _info_keys(connection: Connection, by_digest: dict[bytes, str]) -> dict[str, int]:
    i = detection_infos.c
    digests = list(by_digest)
    found: dict[str, int] = {}
    for start in range(0, len(digests), _CHUNK):
        query = select(i.digest, i.key).where(i.digest.in_(digests[start : start + _CHUNK]))
        found.update((by_digest[digest], key) for digest, key in connection.execute(query))
    return found


def _with_info_keys(connection: Connection, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Detection rows with the key of their additionalInfo in place of its text."""
    texts = {row[-1] for row in rows}
    texts.discard(None)
    if not texts:
        return rows
    keys: dict[str | None, int | None] = {None: None}
    keys.update(save_infos(connection, texts))
    return [(*row[:-1], keys[row[-1]]) for row in rows]


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


def _naive_utc(moment: datetime) -> datetime:
    return utc(moment).replace(tzinfo=None)


def _user_row(tenant_key: int, user: User, stored: Stored, flag: Flag) -> tuple[Any, ...]:
    risk = user.risk
    if risk is None:
        return (tenant_key, user.id, user.display_name, user.user_principal_name,
                flag(user.is_deleted), flag(user.is_processing),
                None, None, None, None)  # fmt: skip
    return (
        tenant_key, user.id, user.display_name, user.user_principal_name, flag(user.is_deleted),
        flag(user.is_processing), _LEVEL[risk.level], _STATE[risk.state], _DETAIL[risk.detail],
        stored(risk.last_updated),
    )  # fmt: skip


def _history_rows(
    tenant_key: int, items: Sequence[HistoryItem], stored: Stored, flag: Flag
) -> list[tuple[Any, ...]]:
    encoded: dict[tuple[str, ...], str] = {}  # few distinct lists of event types
    found = []
    for item in items:
        user, risk, activity = item.principal, item.principal.risk, item.activity
        assert isinstance(user, User)
        assert risk is not None
        types = activity.risk_event_types
        if types not in encoded:
            encoded[types] = json.dumps(list(types))
        found.append((
            tenant_key, item.principal_id, item.ticks, user.display_name, user.user_principal_name,
            flag(user.is_deleted), flag(user.is_processing), _LEVEL[risk.level], _STATE[risk.state],
            _DETAIL[risk.detail], stored(risk.last_updated),
            _DETAIL[activity.detail] if activity.detail else None, encoded[types],
            item.initiated_by,
        ))  # fmt: skip
    return found


def _detection_rows(
    tenant_key: int, detections: Sequence[RiskDetection], stored: Stored, flag: Flag
) -> list[tuple[Any, ...]]:
    found = []
    for d in detections:
        loc = d.location or _NO_LOCATION
        detected_at = stored(d.detected_at)
        last_updated_at = (
            detected_at if d.last_updated_at is d.detected_at else stored(d.last_updated_at)
        )
        found.append((
            tenant_key, d.id, d.principal_id, d.user_display_name, d.user_principal_name,
            d.risk_event_type, _LEVEL[d.risk_level], _STATE[d.risk_state], _DETAIL[d.risk_detail],
            _ACTIVITY[d.activity], stored(d.activity_at), detected_at, last_updated_at,
            _TIMING[d.detection_timing_type], d.source, _ISSUER[d.token_issuer_type],
            d.ip_address, loc.city, loc.state, loc.country_or_region, loc.latitude,
            loc.longitude, loc.altitude, flag(d.location is not None), d.request_id,
            d.correlation_id, d.mitre_technique_id, d.additional_info,
        ))  # fmt: skip
    return found
