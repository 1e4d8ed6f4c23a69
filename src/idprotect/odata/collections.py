"""The collections' explicit allow-lists: what `$filter`, `$select` and `$orderby` may name."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from idprotect.domain.enums import (
    EVOLVABLE,
    ActivityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    TokenIssuerType,
)
from idprotect.odata.schema import (
    Boolean,
    DateTimeOffset,
    Enum,
    Guid,
    PropertyType,
    Schema,
    String,
)


@dataclass(frozen=True, slots=True)
class Collection:
    """One Graph collection's query surface. Property names are Graph's, matched exactly."""

    name: str  # as in the URL and the $skiptoken binding: riskyUsers, history, riskDetections
    entity_type: str  # for error messages: microsoft.graph.riskyUser
    filter: Schema
    select: tuple[str, ...]  # in the order the entity's fields are written
    beta_select: tuple[str, ...] = ()  # properties that only beta serves
    orderby: tuple[str, ...] = ()  # properties $orderby accepts; empty: $orderby is refused
    countable: bool = False  # $count=true and the /$count segment

    def selectable(self, version: str) -> tuple[str, ...]:
        return (*self.select, *self.beta_select) if version == "beta" else self.select


def _enum(type_name: str, members: type[StrEnum]) -> Enum:
    evolvable = [m for (kind, m) in EVOLVABLE if kind is members]
    sentinels = {EVOLVABLE[(members, m)] for m in evolvable}
    return Enum(
        type_name,
        frozenset(m.value for m in members),
        evolvable=frozenset(m.value for m in evolvable),
        sentinel=next(iter(sentinels)).value if sentinels else "unknownFutureValue",
    )


RISK_LEVEL = _enum("riskLevel", RiskLevel)
RISK_STATE = _enum("riskState", RiskState)
RISK_DETAIL = _enum("riskDetail", RiskDetail)
TIMING = _enum("riskDetectionTimingType", RiskDetectionTimingType)
ACTIVITY = _enum("activityType", ActivityType)
TOKEN_ISSUER = _enum("tokenIssuerType", TokenIssuerType)

_RISK: dict[str, PropertyType] = {
    "isDeleted": Boolean(),
    "isProcessing": Boolean(),
    "riskDetail": RISK_DETAIL,
    "riskLastUpdatedDateTime": DateTimeOffset(),
    "riskLevel": RISK_LEVEL,
    "riskState": RISK_STATE,
    "userDisplayName": String(),
    "userPrincipalName": String(),
}
_RISKY_USER_FIELDS = (
    "id",
    "isDeleted",
    "isProcessing",
    "riskLastUpdatedDateTime",
    "riskLevel",
    "riskState",
    "riskDetail",
    "userDisplayName",
    "userPrincipalName",
)

RISKY_USERS = Collection(
    name="riskyUsers",
    entity_type="microsoft.graph.riskyUser",
    filter=Schema({"id": Guid(), **_RISK}),
    select=_RISKY_USER_FIELDS,
    orderby=("riskLastUpdatedDateTime", "userPrincipalName", "userDisplayName", "riskLevel"),
    countable=True,
)

# A history item's `id` is made from the user id and a timestamp (domain/models.py), so it is
# not filterable; `userId` is the same on every item of one list.
HISTORY = Collection(
    name="history",
    entity_type="microsoft.graph.riskyUserHistoryItem",
    filter=Schema(
        {**_RISK, "userId": Guid(), "initiatedBy": String(), "activity/detail": RISK_DETAIL}
    ),
    select=(*_RISKY_USER_FIELDS, "userId", "initiatedBy", "activity"),
)

RISK_DETECTIONS = Collection(
    name="riskDetections",
    entity_type="microsoft.graph.riskDetection",
    filter=Schema(
        {
            "id": String(),
            "activity": ACTIVITY,
            "activityDateTime": DateTimeOffset(),
            "correlationId": String(),
            "detectedDateTime": DateTimeOffset(),
            "detectionTimingType": TIMING,
            "ipAddress": String(),
            "lastUpdatedDateTime": DateTimeOffset(),
            "location/city": String(),
            "location/state": String(),
            "location/countryOrRegion": String(),
            "requestId": String(),
            "riskDetail": RISK_DETAIL,
            "riskEventType": String(),
            "riskLevel": RISK_LEVEL,
            "riskState": RISK_STATE,
            "source": String(),
            "tokenIssuerType": TOKEN_ISSUER,
            "userDisplayName": String(),
            "userId": Guid(),
            "userPrincipalName": String(),
        }
    ),
    select=(
        "id",
        "requestId",
        "correlationId",
        "riskEventType",
        "riskState",
        "riskLevel",
        "riskDetail",
        "source",
        "detectionTimingType",
        "activity",
        "tokenIssuerType",
        "ipAddress",
        "activityDateTime",
        "detectedDateTime",
        "lastUpdatedDateTime",
        "userId",
        "userDisplayName",
        "userPrincipalName",
        "additionalInfo",
        "location",
    ),
    beta_select=("riskType", "mitreTechniqueId"),
    orderby=("detectedDateTime", "activityDateTime", "lastUpdatedDateTime"),
)
