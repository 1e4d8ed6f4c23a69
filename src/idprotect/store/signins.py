"""Sign-ins in SQL: what engine/ingest.py stores, and the history the detectors read
(engine/ports.py), each read one indexed seek. The threat lists: store/threat_lists.py."""

from __future__ import annotations

import functools
import json
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    case,
    false,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import BindParameter

from idprotect.domain.enums import RiskDetail, RiskLevel, RiskState
from idprotect.domain.models import Location
from idprotect.domain.signins import SignIn, SignInRisk
from idprotect.engine.detectors.familiarity import ip_prefix
from idprotect.engine.ports import FEATURES
from idprotect.store.compiled import CompiledSelect
from idprotect.store.tables import sign_ins

_s = sign_ins.c
_TENANT: BindParameter[str] = bindparam("tenant")
_USER: BindParameter[str] = bindparam("user")
_BEFORE: BindParameter[datetime] = bindparam("before")
_CHUNK = 500

# An office's or a carrier's addresses come back all day: each is parsed once.
_ip_prefix = functools.lru_cache(maxsize=1 << 16)(ip_prefix)


def sign_in_values(tenant_id: str, sign_in: SignIn) -> dict[str, Any]:
    location = sign_in.location or Location()
    risk = sign_in.risk
    return {
        "tenant_id": tenant_id,
        "id": sign_in.id,
        "created_at": sign_in.created_at,
        "user_id": sign_in.user_id,
        "user_principal_name": sign_in.user_principal_name,
        "user_display_name": sign_in.user_display_name,
        "app_id": sign_in.app_id,
        "app_display_name": sign_in.app_display_name,
        "ip_address": sign_in.ip_address,
        "ip_prefix": _ip_prefix(sign_in.ip_address),
        "client_app_used": sign_in.client_app_used,
        "user_agent": sign_in.user_agent,
        "correlation_id": sign_in.correlation_id,
        "city": location.city,
        "state": location.state,
        "country_or_region": location.country_or_region,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "has_location": sign_in.location is not None,
        "browser": sign_in.browser,
        "operating_system": sign_in.operating_system,
        "device_id": sign_in.device_id,
        "is_compliant": sign_in.is_compliant,
        "error_code": sign_in.error_code,
        "failure_reason": sign_in.failure_reason,
        "is_interactive": sign_in.is_interactive,
        "authentication_requirement": sign_in.authentication_requirement,
        "conditional_access_status": sign_in.conditional_access_status,
        **risk_values(risk),
    }


def risk_values(risk: SignInRisk) -> dict[str, Any]:
    return {
        "risk_level_during_sign_in": risk.level_during_sign_in.value,
        "risk_level_aggregated": risk.level_aggregated.value,
        "risk_state": risk.state.value,
        "risk_detail": risk.detail.value,
        "risk_event_types": json.dumps(list(risk.event_types)),
    }


def sign_in_from_row(row: Any) -> SignIn:
    location = (
        Location(
            city=row.city,
            state=row.state,
            country_or_region=row.country_or_region,
            latitude=row.latitude,
            longitude=row.longitude,
        )
        if row.has_location
        else None
    )
    return SignIn(
        id=row.id,
        created_at=row.created_at,
        user_id=row.user_id,
        user_principal_name=row.user_principal_name,
        user_display_name=row.user_display_name,
        app_id=row.app_id,
        app_display_name=row.app_display_name,
        ip_address=row.ip_address,
        client_app_used=row.client_app_used,
        user_agent=row.user_agent,
        correlation_id=row.correlation_id,
        location=location,
        browser=row.browser,
        operating_system=row.operating_system,
        device_id=row.device_id,
        is_compliant=row.is_compliant,
        error_code=row.error_code,
        failure_reason=row.failure_reason,
        is_interactive=row.is_interactive,
        authentication_requirement=row.authentication_requirement,
        conditional_access_status=row.conditional_access_status,
        risk=SignInRisk(
            level_during_sign_in=RiskLevel(row.risk_level_during_sign_in),
            level_aggregated=RiskLevel(row.risk_level_aggregated),
            state=RiskState(row.risk_state),
            detail=RiskDetail(row.risk_detail),
            event_types=tuple(json.loads(row.risk_event_types)),
        ),
    )


_COLUMNS = [c for c in sign_ins.c if c.name != "tenant_id"]
_PREVIOUS_SUCCESS = CompiledSelect(
    select(*_COLUMNS)
    .where(
        _s.tenant_id == _TENANT,
        _s.user_id == _USER,
        _s.error_code == 0,
        # Before it in event time; at the same moment, by id. As a row value, the one range
        # of ix_sign_ins_tenant_user_created that is read backwards from the sign-in.
        tuple_(_s.created_at, _s.id)
        < tuple_(bindparam("before", type_=_s.created_at.type), bindparam("id", type_=_s.id.type)),
    )
    .order_by(_s.created_at.desc(), _s.id.desc())
    .limit(1)
)
_LEARNED = CompiledSelect(
    select(func.count(), func.min(_s.created_at)).where(  # type: ignore[arg-type]
        _s.tenant_id == _TENANT, _s.user_id == _USER, _s.created_at < _BEFORE
    )
)
_SEEN = {
    feature: CompiledSelect(
        select(_s.id)
        .where(
            _s.tenant_id == _TENANT,
            _s.user_id == _USER,
            _s.created_at < _BEFORE,
            _s[feature] == bindparam("value"),
        )
        .limit(1)
    )
    for feature in FEATURES
}
_Row = namedtuple("_Row", [c.name for c in _COLUMNS])  # type: ignore[misc]
_SIGN_INS_FROM = CompiledSelect(
    select(*_COLUMNS)
    .where(
        _s.tenant_id == _TENANT,
        _s.ip_address == bindparam("ip"),
        and_(_s.created_at >= bindparam("start"), _s.created_at <= bindparam("end")),
    )
    .order_by(_s.created_at, _s.id)
)
_SUCCEEDED = case((_s.error_code == 0, _s.user_id))


class SqlSignInHistory:
    """engine.ports.SignInHistory over one tenant's sign_ins."""

    def __init__(self, connection: Connection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    def previous_success(self, sign_in: SignIn) -> SignIn | None:
        values = {
            "tenant": self._tenant,
            "user": sign_in.user_id,
            "before": sign_in.created_at,
            "id": sign_in.id,
        }
        row = _PREVIOUS_SUCCESS.first(self._connection, values)
        return sign_in_from_row(row) if row is not None else None

    def learned(self, user_id: str, before: datetime) -> tuple[int, datetime | None]:
        values = {"tenant": self._tenant, "user": user_id, "before": before}
        row = _LEARNED.first(self._connection, values)
        return int(row[0]), row[1]

    def seen(self, user_id: str, before: datetime, feature: str, value: str) -> bool:
        values = {"tenant": self._tenant, "user": user_id, "before": before, "value": value}
        return _SEEN[feature].first(self._connection, values) is not None

    def sign_ins_from(self, ip_address: str, start: datetime, end: datetime) -> list[SignIn]:
        values = {"tenant": self._tenant, "ip": ip_address, "start": start, "end": end}
        return [sign_in_from_row(row) for row in _SIGN_INS_FROM.rows(self._connection, values)]

    def later_sign_ins(
        self, start: datetime, end: datetime, *, user_ids: Sequence[str], ips: Sequence[str]
    ) -> list[SignIn]:
        # Those of the users, then those from the addresses: a sign-in found by both is made
        # into a SignIn once. Rows are read as named tuples: a Row's attributes cost more.
        found: dict[str, Any] = {}
        for column, keys in (
            (_s.user_id, sorted(set(user_ids))),
            (_s.ip_address, sorted(set(ips))),
        ):
            for at in range(0, len(keys), _CHUNK):
                query = select(*_COLUMNS).where(
                    _s.tenant_id == self._tenant,
                    column.in_(keys[at : at + _CHUNK]),
                    and_(_s.created_at >= start, _s.created_at <= end),
                )
                for row in self._connection.execute(query):
                    if row[0] not in found:
                        found[row[0]] = _Row._make(row)
        later = [sign_in_from_row(row) for row in found.values()]
        return sorted(later, key=lambda s: (s.created_at, s.id))

    def lock(self) -> None:
        # SQLite's writers are one at a time already (BEGIN IMMEDIATE); PostgreSQL's wait here
        # for the tenant's other batch to commit, and then read what it wrote.
        if self._connection.dialect.name == "postgresql":
            key = func.hashtextextended(self._tenant, 0)
            self._connection.execute(select(func.pg_advisory_xact_lock(key)))

    def previous_from(self, ip_address: str, sign_in: SignIn) -> datetime | None:
        # Two seeks along ix_sign_ins_tenant_ip_created: a sign-in at the same moment, first
        # by id, then the latest before it.
        values = {"tenant": self._tenant, "ip": ip_address, "at": sign_in.created_at}
        if _TIED_FROM.first(self._connection, {**values, "id": sign_in.id}) is not None:
            return sign_in.created_at
        found: datetime | None = _LATEST_FROM.first(self._connection, values)[0]
        return found

    def spray_accounts_from(
        self, ip_address: str, start: datetime, end: datetime, failures: Iterable[int]
    ) -> tuple[int, int]:
        values = {"tenant": self._tenant, "ip": ip_address, "start": start, "end": end}
        row = _spray_accounts_from(tuple(sorted(set(failures)))).first(self._connection, values)
        return int(row[0]), int(row[1])


_FROM_IP = (_s.tenant_id == _TENANT, _s.ip_address == bindparam("ip"))
_TIED_FROM = CompiledSelect(
    select(_s.id)
    .where(*_FROM_IP, _s.created_at == bindparam("at"), _s.id < bindparam("id"))
    .limit(1)
)
_LATEST_FROM = CompiledSelect(
    select(func.max(_s.created_at)).where(*_FROM_IP, _s.created_at < bindparam("at"))
)
# By the failure codes a spray is made of (a setting): each set's statement compiled once.
_SPRAY_ACCOUNTS_FROM: dict[tuple[int, ...], CompiledSelect] = {}


def _spray_accounts_from(codes: tuple[int, ...]) -> CompiledSelect:
    found = _SPRAY_ACCOUNTS_FROM.get(codes)
    if found is None:
        # Equalities, not IN: an IN list's parameters are expanded at each execution.
        failed = case((or_(false(), *(_s.error_code == code for code in codes)), _s.user_id))
        found = CompiledSelect(
            select(func.count(failed.distinct()), func.count(_SUCCEEDED.distinct())).where(  # type: ignore[arg-type]
                *_FROM_IP, _s.created_at >= bindparam("start"), _s.created_at <= bindparam("end")
            )
        )
        _SPRAY_ACCOUNTS_FROM[codes] = found
    return found


def existing_sign_in_ids(connection: Connection, tenant_id: str, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        query = select(_s.id).where(_s.tenant_id == tenant_id, _s.id.in_(chunk))
        found.update(connection.scalars(query))
    return found


def add_sign_ins(connection: Connection, tenant_id: str, found: Sequence[SignIn]) -> None:
    if found:
        _INSERT.run(connection, [sign_in_values(tenant_id, s) for s in found])


@dataclass(frozen=True, slots=True)
class _InsertForm:
    sql: str
    positions: tuple[str, ...] | None  # the parameters' order, for positional paramstyles
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]  # the columns whose type converts


class _CompiledInsert:
    """INSERT INTO sign_ins, compiled once per dialect and run as one executemany on the DBAPI
    cursor, each value bound through its column type's processor as SQLAlchemy would: its work
    around each row cost more than SQLite's own (store/compiled.py does the same for reads)."""

    def __init__(self) -> None:
        self._forms: dict[tuple[str, str, str], _InsertForm] = {}

    def run(self, connection: Connection, rows: list[dict[str, Any]]) -> None:
        dialect = connection.dialect
        form = self._forms.get((dialect.name, dialect.driver, dialect.paramstyle))
        if form is None:
            form = self._compile(dialect)
        for row in rows:
            for name, process in form.binds:
                row[name] = process(row[name])
        positions = form.positions
        parameters: Any = [[row[n] for n in positions] for row in rows] if positions else rows
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(form.sql, parameters)
        except dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(
                form.sql, parameters, exc, dialect.loaded_dbapi.Error
            ) from exc
        finally:
            cursor.close()

    def _compile(self, dialect: Dialect) -> _InsertForm:
        compiled = insert(sign_ins).compile(dialect=dialect)
        binds = tuple(
            (name, process)
            for name, bind in compiled.binds.items()
            if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        )
        positions = tuple(compiled.positiontup) if compiled.positiontup else None
        form = _InsertForm(str(compiled), positions, binds)
        self._forms[(dialect.name, dialect.driver, dialect.paramstyle)] = form
        return form


_INSERT = _CompiledInsert()


_SET_RISK = (
    update(sign_ins)
    .where(_s.tenant_id == _TENANT, _s.id == bindparam("sign_in"))
    .values({name: bindparam(f"new_{name}") for name in risk_values(SignInRisk())})
)


def set_sign_in_risks(
    connection: Connection, tenant_id: str, risks: Mapping[str, SignInRisk]
) -> None:
    if risks:
        rows = [
            {
                "tenant": tenant_id,
                "sign_in": sid,
                **{f"new_{k}": v for k, v in risk_values(r).items()},
            }
            for sid, r in risks.items()
        ]
        connection.execute(_SET_RISK, rows)
