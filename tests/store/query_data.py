"""A small, awkward tenant for query tests, and its rows as plain records (the oracle's view).

Awkward on purpose: null names, empty strings, LIKE and GLOB wildcards, quotes, case, accents,
equal timestamps, evolvable enum members, detections with and without a location.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from idprotect.domain.enums import (
    EVOLVABLE,
    NONPREMIUM_RISK_EVENT_TYPES,
    ActivityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    TokenIssuerType,
)
from idprotect.domain.kinds import USER
from idprotect.domain.models import (
    Activity,
    HistoryItem,
    Location,
    Risk,
    RiskDetection,
    User,
)
from idprotect.store.engine import Database

TENANT = "tenant-q"
OTHER_TENANT = "tenant-other"
START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)

NAMES = [
    None, "", "Adele Vance", "adele vance", "ADELE", "Adèle", "O'Brien", "100%_sure", "a*b?c[d]",
    "back\\slash", "Zoë", "_under", "%percent", "Ádám", "ß", "zz", "Megan", "Megan Bowen",
]  # fmt: skip
EVENT_TYPES = ["unlikelyTravel", "anonymizedIPAddress", "leakedCredentials", "generic", "new%_*"]
CITIES = [None, "Lyon", "lyon", "Seattle", "São Paulo", ""]


def _guid(rng: random.Random) -> str:
    return "%08x-%04x-4%03x-8%03x-%012x" % (  # noqa: UP031
        rng.getrandbits(32),
        rng.getrandbits(16),
        rng.getrandbits(12),
        rng.getrandbits(12),
        rng.getrandbits(48),
    )


def _moment(rng: random.Random) -> datetime:
    # Few distinct moments, so equal sort keys (ties broken by id) are common.
    minutes, micro = rng.choice([0, 0, 5, 90, 1440]), rng.choice([0, 1])
    return START + timedelta(minutes=minutes, microseconds=micro)


def make_users(rng: random.Random, count: int) -> list[User]:
    users = []
    for _ in range(count):
        risk = Risk(
            level=rng.choice(list(RiskLevel)[:5]),
            state=rng.choice(list(RiskState)[:6]),
            detail=rng.choice(list(RiskDetail)),
            last_updated=_moment(rng),
        )
        users.append(
            User(
                id=_guid(rng),
                display_name=rng.choice(NAMES),
                user_principal_name=rng.choice(NAMES),
                is_deleted=rng.random() < 0.2,
                risk=risk,
            )
        )
    return users


def make_detections(rng: random.Random, users: list[User], count: int) -> list[RiskDetection]:
    found = []
    for index in range(count):
        user = rng.choice(users)
        city = rng.choice(CITIES)
        found.append(
            RiskDetection(
                id=f"{index:02d}" + "%062x" % rng.getrandbits(248),  # noqa: UP031
                principal_id=user.id,
                user_display_name=user.display_name,
                user_principal_name=user.user_principal_name,
                risk_event_type=rng.choice(EVENT_TYPES),
                risk_level=rng.choice(list(RiskLevel)[:5]),
                risk_state=rng.choice(list(RiskState)[:6]),
                risk_detail=rng.choice(list(RiskDetail)),
                activity=rng.choice(list(ActivityType)),
                activity_at=_moment(rng),
                detected_at=_moment(rng),
                last_updated_at=_moment(rng),
                detection_timing_type=rng.choice(list(RiskDetectionTimingType)),
                source=rng.choice([None, "IdentityProtection", "EndUserReported"]),
                token_issuer_type=rng.choice(list(TokenIssuerType)),
                ip_address=rng.choice([None, "203.0.113.7", "2001:db8::1"]),
                location=None if city is None else Location(city=city, country_or_region="FR"),
                request_id=rng.choice([None, _guid(rng)]),
            )
        )
    return found


def make_history(rng: random.Random, user: User, count: int) -> list[HistoryItem]:
    items = []
    for ticks in sorted(rng.sample(range(10**17, 10**17 + 10**6), count)):
        risk = replace(user.risk, level=rng.choice(list(RiskLevel)[:5]))  # type: ignore[type-var]
        risky = User(id=user.id, display_name=rng.choice(NAMES), risk=risk)
        actor = rng.choice([None, "8A1B0000-0000-4000-8000-00000000000A", "app"])
        detail = rng.choice([None, *RiskDetail])
        items.append(HistoryItem(user.id, ticks, risky, Activity(detail), actor))
    return items


def load(database: Database, users: list[User], detections: list[RiskDetection]) -> None:
    """The tenant, plus a decoy tenant holding copies that no query may ever return."""
    with database.unit_of_work(write=True) as store:
        for tenant in (TENANT, OTHER_TENANT):
            store.ensure_tenant(tenant)
            store.add_missing_principals(USER, tenant, users)
            store.add_detections(USER, tenant, detections)


# -- records: each row as the caller sees it, keyed by Graph property path ---------------------


def seen(value: Any, include_unknown: bool) -> Any:
    """An enum member as a caller sees it (evolvable members hidden unless asked)."""
    if value is None or include_unknown:
        return None if value is None else value.value
    return EVOLVABLE.get((type(value), value), value).value


def user_record(user: User, include_unknown: bool = True) -> dict[str, Any]:
    risk = user.risk
    assert risk is not None
    return {
        "id": user.id,
        "isDeleted": user.is_deleted,
        "isProcessing": user.is_processing,
        "riskDetail": seen(risk.detail, include_unknown),
        "riskLastUpdatedDateTime": risk.last_updated,
        "riskLevel": risk.level.value,
        "riskState": risk.state.value,
        "userDisplayName": user.display_name,
        "userPrincipalName": user.user_principal_name,
    }


def history_record(item: HistoryItem, include_unknown: bool = True) -> dict[str, Any]:
    user = item.principal
    assert isinstance(user, User)
    assert user.risk is not None
    return {
        **user_record(user),
        "riskDetail": seen(user.risk.detail, include_unknown),
        "userId": item.principal_id,
        "initiatedBy": item.initiated_by,
        "activity/detail": seen(item.activity.detail, include_unknown),
    }


def detection_record(
    d: RiskDetection, include_unknown: bool = True, p1: bool = False
) -> dict[str, Any]:
    loc = d.location or Location()
    event_type = d.risk_event_type
    if p1 and event_type not in NONPREMIUM_RISK_EVENT_TYPES:
        event_type = "generic"
    return {
        "id": d.id,
        "activity": seen(d.activity, include_unknown),
        "activityDateTime": d.activity_at,
        "correlationId": d.correlation_id,
        "detectedDateTime": d.detected_at,
        "detectionTimingType": seen(d.detection_timing_type, include_unknown),
        "ipAddress": d.ip_address,
        "lastUpdatedDateTime": d.last_updated_at,
        "location/city": loc.city,
        "location/state": loc.state,
        "location/countryOrRegion": loc.country_or_region,
        "requestId": d.request_id,
        "riskDetail": "hidden" if p1 else seen(d.risk_detail, include_unknown),
        "riskEventType": event_type,
        "riskLevel": "hidden" if p1 else d.risk_level.value,
        "riskState": d.risk_state.value,
        "source": d.source,
        "tokenIssuerType": seen(d.token_issuer_type, include_unknown),
        "userDisplayName": d.user_display_name,
        "userId": d.user_id,
        "userPrincipalName": d.user_principal_name,
    }
