"""Rows <-> domain objects: the one place that knows both the columns and the dataclasses."""

from __future__ import annotations

import json
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
    HistoryItem,
    Location,
    RiskDetection,
    RiskyUser,
    User,
    UserActivity,
    UserRisk,
)


def read_columns(table: Table) -> list[Column[Any]]:
    """The columns a read converts: all but the tenant's, which every query names already
    (reading it back would look its id up once a row)."""
    return [column for column in table.c if column.name != "tenant_id"]


def user_from_row(row: Row[Any]) -> User:
    return User(
        id=row.id,
        display_name=row.display_name,
        user_principal_name=row.user_principal_name,
        is_deleted=row.is_deleted,
        is_processing=row.is_processing,
        risk=_risk_from_row(row) if row.risk_state is not None else None,
    )


def risky_user_from_row(row: Row[Any]) -> RiskyUser:
    return RiskyUser(
        id=row.id,
        display_name=row.display_name,
        user_principal_name=row.user_principal_name,
        is_deleted=row.is_deleted,
        is_processing=row.is_processing,
        risk=_risk_from_row(row),
    )


def _risk_from_row(row: Row[Any]) -> UserRisk:
    return UserRisk(
        level=RiskLevel(row.risk_level),
        state=RiskState(row.risk_state),
        detail=RiskDetail(row.risk_detail),
        last_updated=row.risk_last_updated_at,
    )


def risk_values(risk: UserRisk) -> dict[str, Any]:
    return {
        "risk_level": risk.level.value,
        "risk_state": risk.state.value,
        "risk_detail": risk.detail.value,
        "risk_last_updated_at": risk.last_updated,
    }


def history_values(tenant_id: str, item: HistoryItem) -> dict[str, Any]:
    user = item.user
    return {
        "tenant_id": tenant_id,
        "user_id": item.user_id,
        "ticks": item.ticks,
        "display_name": user.display_name,
        "user_principal_name": user.user_principal_name,
        "is_deleted": user.is_deleted,
        "is_processing": user.is_processing,
        **risk_values(user.risk),
        "activity_detail": item.activity.detail.value if item.activity.detail else None,
        "activity_risk_event_types": json.dumps(list(item.activity.risk_event_types)),
        "initiated_by": item.initiated_by,
    }


def history_from_row(row: Row[Any]) -> HistoryItem:
    user = RiskyUser(
        id=row.user_id,
        display_name=row.display_name,
        user_principal_name=row.user_principal_name,
        is_deleted=row.is_deleted,
        is_processing=row.is_processing,
        risk=_risk_from_row(row),
    )
    detail = RiskDetail(row.activity_detail) if row.activity_detail else None
    return HistoryItem(
        user_id=row.user_id,
        ticks=row.ticks,
        user=user,
        activity=UserActivity(
            detail=detail, risk_event_types=tuple(json.loads(row.activity_risk_event_types))
        ),
        initiated_by=row.initiated_by,
    )


def detection_values(tenant_id: str, d: RiskDetection) -> dict[str, Any]:
    loc = d.location or Location()
    return {
        "tenant_id": tenant_id,
        "id": d.id,
        "user_id": d.user_id,
        "user_display_name": d.user_display_name,
        "user_principal_name": d.user_principal_name,
        "risk_event_type": d.risk_event_type,
        "risk_level": d.risk_level.value,
        "risk_state": d.risk_state.value,
        "risk_detail": d.risk_detail.value,
        "activity": d.activity.value,
        "activity_at": d.activity_at,
        "detected_at": d.detected_at,
        "last_updated_at": d.last_updated_at,
        "detection_timing_type": d.detection_timing_type.value,
        "source": d.source,
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
        "additional_info": d.additional_info,
        "mitre_technique_id": d.mitre_technique_id,
    }


def detection_from_row(row: Row[Any]) -> RiskDetection:
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
    return RiskDetection(
        id=row.id,
        user_id=row.user_id,
        user_display_name=row.user_display_name,
        user_principal_name=row.user_principal_name,
        risk_event_type=row.risk_event_type,
        risk_level=RiskLevel(row.risk_level),
        risk_state=RiskState(row.risk_state),
        risk_detail=RiskDetail(row.risk_detail),
        activity=ActivityType(row.activity),
        activity_at=row.activity_at,
        detected_at=row.detected_at,
        last_updated_at=row.last_updated_at,
        detection_timing_type=RiskDetectionTimingType(row.detection_timing_type),
        source=row.source,
        token_issuer_type=TokenIssuerType(row.token_issuer_type),
        ip_address=row.ip_address,
        location=location,
        request_id=row.request_id,
        correlation_id=row.correlation_id,
        additional_info=row.additional_info,
        mitre_technique_id=row.mitre_technique_id,
    )
