"""Rows <-> domain objects: the one place that knows both the columns and the dataclasses.

A kind's principal and detection rows hold the shared columns and the kind's own, which
store/kinds.py lists as `Field`s (a column named as the dataclass field, and how its value
converts); the shared parts convert here, the same for every kind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Row, Table

from idprotect.domain.enums import (
    ActivityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    TokenIssuerType,
)
from idprotect.domain.models import (
    Activity,
    Detection,
    HistoryItem,
    Location,
    Principal,
    Risk,
    SignInDetection,
)


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Field:
    """A kind's own column, named as its dataclass field, with the conversions both ways."""

    name: str
    to_domain: Callable[[Any], Any] = _same
    to_column: Callable[[Any], Any] = _same


def enum_field(name: str, enum_type: Callable[[Any], Any]) -> Field:
    return Field(name, to_domain=enum_type, to_column=lambda member: member.value)


def json_list_field(name: str) -> Field:
    """A tuple of strings, stored as a JSON array."""
    return Field(name, to_domain=lambda text: tuple(json.loads(text)), to_column=_json_list)


def _json_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values))


@dataclass(frozen=True, slots=True)
class Shape:
    """How one kind's rows are made: its principal class and own fields, its detection class
    and own fields (what it copies from its principal, then its own), and whether its
    detections carry a sign-in's columns."""

    principal_type: type[Principal]
    profile: tuple[Field, ...]
    detection_type: type[Detection]
    detection_fields: tuple[Field, ...]
    sign_in: bool
    history_key: str  # the history's and the detections' column naming the principal


def read_columns(table: Table) -> list[Column[Any]]:
    """The columns a read converts: all but the tenant's, which every query names already
    (reading it back would look its id up once a row)."""
    return [column for column in table.c if column.name != "tenant_id"]


def principal_from_row(shape: Shape, row: Row[Any], principal_id: str | None = None) -> Principal:
    """A principal from a row of its table (or, with `principal_id`, of its history)."""
    return shape.principal_type(
        id=row.id if principal_id is None else principal_id,
        is_deleted=row.is_deleted,
        is_processing=row.is_processing,
        risk=risk_from_row(row) if row.risk_state is not None else None,
        **{f.name: f.to_domain(getattr(row, f.name)) for f in shape.profile},
    )


def profile_values(shape: Shape, principal: Principal) -> dict[str, Any]:
    return {f.name: f.to_column(getattr(principal, f.name)) for f in shape.profile}


def principal_values(shape: Shape, tenant_id: str, principal: Principal) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "id": principal.id,
        **profile_values(shape, principal),
        "is_deleted": principal.is_deleted,
        "is_processing": principal.is_processing,
        **(risk_values(principal.risk) if principal.risk else NO_RISK),
    }


def risk_from_row(row: Row[Any]) -> Risk:
    return Risk(
        level=RiskLevel(row.risk_level),
        state=RiskState(row.risk_state),
        detail=RiskDetail(row.risk_detail),
        last_updated=row.risk_last_updated_at,
    )


# A principal's risk columns, as `risk_values` names them.
RISK_COLUMNS = ("risk_level", "risk_state", "risk_detail", "risk_last_updated_at")
# Every row of one executemany carries the same columns: principals without risk say so.
NO_RISK: dict[str, Any] = dict.fromkeys(RISK_COLUMNS)


def risk_values(risk: Risk) -> dict[str, Any]:
    return {
        "risk_level": risk.level.value,
        "risk_state": risk.state.value,
        "risk_detail": risk.detail.value,
        "risk_last_updated_at": risk.last_updated,
    }


def history_values(shape: Shape, tenant_id: str, item: HistoryItem) -> dict[str, Any]:
    principal = item.principal
    assert principal.risk is not None
    return {
        "tenant_id": tenant_id,
        shape.history_key: item.principal_id,
        "ticks": item.ticks,
        **profile_values(shape, principal),
        "is_deleted": principal.is_deleted,
        "is_processing": principal.is_processing,
        **risk_values(principal.risk),
        "activity_detail": item.activity.detail.value if item.activity.detail else None,
        "activity_risk_event_types": json.dumps(list(item.activity.risk_event_types)),
        "initiated_by": item.initiated_by,
    }


def history_from_row(shape: Shape, row: Row[Any]) -> HistoryItem:
    principal_id = getattr(row, shape.history_key)
    detail = RiskDetail(row.activity_detail) if row.activity_detail else None
    return HistoryItem(
        principal_id=principal_id,
        ticks=row.ticks,
        principal=principal_from_row(shape, row, principal_id),
        activity=Activity(
            detail=detail, risk_event_types=tuple(json.loads(row.activity_risk_event_types))
        ),
        initiated_by=row.initiated_by,
    )


def detection_values(shape: Shape, tenant_id: str, d: Detection) -> dict[str, Any]:
    values = {
        "tenant_id": tenant_id,
        "id": d.id,
        shape.history_key: d.principal_id,
        "risk_event_type": d.risk_event_type,
        "risk_level": d.risk_level.value,
        "risk_state": d.risk_state.value,
        "risk_detail": d.risk_detail.value,
        "activity_at": d.activity_at,
        "detected_at": d.detected_at,
        "last_updated_at": d.last_updated_at,
        "detection_timing_type": d.detection_timing_type.value,
        "source": d.source,
        "additional_info": d.additional_info,
        **{f.name: f.to_column(getattr(d, f.name)) for f in shape.detection_fields},
    }
    if isinstance(d, SignInDetection):
        values.update(_sign_in_values(d))
    return values


def _sign_in_values(d: SignInDetection) -> dict[str, Any]:
    loc = d.location or Location()
    return {
        "activity": d.activity.value,
        "token_issuer_type": d.token_issuer_type.value,
        "ip_address": d.ip_address,
        "city": loc.city,
        "state": loc.state,
        "country_or_region": loc.country_or_region,
        "latitude": loc.latitude,
        "longitude": loc.longitude,
        "altitude": loc.altitude,
        "has_location": d.location is not None,
        "request_id": d.request_id,
        "correlation_id": d.correlation_id,
        "mitre_technique_id": d.mitre_technique_id,
    }


def detection_from_row(shape: Shape, row: Row[Any]) -> Detection:
    own = {f.name: f.to_domain(getattr(row, f.name)) for f in shape.detection_fields}
    if shape.sign_in:
        own.update(_sign_in_from_row(row))
    return shape.detection_type(
        id=row.id,
        principal_id=getattr(row, shape.history_key),
        risk_event_type=row.risk_event_type,
        risk_level=RiskLevel(row.risk_level),
        risk_state=RiskState(row.risk_state),
        risk_detail=RiskDetail(row.risk_detail),
        activity_at=row.activity_at,
        detected_at=row.detected_at,
        last_updated_at=row.last_updated_at,
        detection_timing_type=RiskDetectionTimingType(row.detection_timing_type),
        source=row.source,
        additional_info=row.additional_info,
        **own,
    )


def _sign_in_from_row(row: Row[Any]) -> dict[str, Any]:
    location = (
        Location(
            city=row.city,
            state=row.state,
            country_or_region=row.country_or_region,
            latitude=row.latitude,
            longitude=row.longitude,
            altitude=row.altitude,
        )
        if row.has_location
        else None
    )
    return {
        "activity": ActivityType(row.activity),
        "token_issuer_type": TokenIssuerType(row.token_issuer_type),
        "ip_address": row.ip_address,
        "location": location,
        "request_id": row.request_id,
        "correlation_id": row.correlation_id,
        "mitre_technique_id": row.mitre_technique_id,
    }
