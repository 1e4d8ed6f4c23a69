"""Sign-ins in SQL: what engine/ingest.py stores, their rows as SignIns, and the risk it finds.
The history the detectors read: store/sign_in_history.py; the threat lists:
store/threat_lists.py."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import BindParameter

from idprotect.domain.enums import RiskDetail, RiskLevel, RiskState
from idprotect.domain.kinds import SERVICE_PRINCIPAL
from idprotect.domain.models import Location
from idprotect.domain.signins import SignIn, SignInRisk
from idprotect.engine.detectors.familiarity import ip_prefix
from idprotect.store.tables import sign_ins

_s = sign_ins.c
_TENANT: BindParameter[str] = bindparam("tenant")
_CHUNK = 500


def sign_in_values(tenant_id: str, sign_in: SignIn) -> dict[str, Any]:
    location = sign_in.location or Location()
    risk = sign_in.risk
    return {
        "tenant_id": tenant_id,
        "id": sign_in.id,
        "created_at": sign_in.created_at,
        "user_id": sign_in.principal_id,
        "principal_kind": sign_in.kind.name,
        "service_principal_name": sign_in.service_principal_name,
        "service_principal_credential_key_id": sign_in.service_principal_credential_key_id,
        "user_principal_name": sign_in.user_principal_name,
        "user_display_name": sign_in.user_display_name,
        "app_id": sign_in.app_id,
        "app_display_name": sign_in.app_display_name,
        "ip_address": sign_in.ip_address,
        "ip_prefix": ip_prefix(sign_in.ip_address),
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
    service_principal = row.principal_kind == SERVICE_PRINCIPAL.name
    return SignIn(
        id=row.id,
        created_at=row.created_at,
        user_id="" if service_principal else row.user_id,
        service_principal_id=row.user_id if service_principal else None,
        service_principal_name=row.service_principal_name,
        service_principal_credential_key_id=row.service_principal_credential_key_id,
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
