"""The collections' explicit allow-lists: what `$filter`, `$select` and `$orderby` may name."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from idprotect.domain.enums import (
    EVOLVABLE,
    ActivityType,
    AgentIdentityType,
    RiskDetail,
    RiskDetectionTimingType,
    RiskLevel,
    RiskState,
    TokenIssuerType,
)
from idprotect.domain.predicates import Operator
from idprotect.odata.schema import (
    Boolean,
    DateTimeOffset,
    Enum,
    Guid,
    Int32,
    Property,
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
AGENT_IDENTITY_TYPE = _enum("agentIdentityType", AgentIdentityType)

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

# Graph's sign-in detection properties, which users' and service principals' detections share.
_SIGN_IN_FILTER: dict[str, PropertyType] = {
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
}
_SIGN_IN_SELECT = (
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
)
_DATES = ("detectedDateTime", "activityDateTime", "lastUpdatedDateTime")

RISK_DETECTIONS = Collection(
    name="riskDetections",
    entity_type="microsoft.graph.riskDetection",
    filter=Schema(
        {
            **_SIGN_IN_FILTER,
            "userDisplayName": String(),
            "userId": Guid(),
            "userPrincipalName": String(),
        }
    ),
    select=(
        *_SIGN_IN_SELECT,
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
    orderby=_DATES,
)


# -- service principals (v1.0 and beta) ---------------------------------------------------------
_SP_FIELDS = (
    "id",
    "isEnabled",
    "isProcessing",
    "riskLastUpdatedDateTime",
    "riskLevel",
    "riskState",
    "riskDetail",
    "displayName",
    "appId",
    "servicePrincipalType",
)
_SP_RISK: dict[str, PropertyType] = {
    "appId": String(),
    "displayName": String(),
    "isEnabled": Boolean(),
    "isProcessing": Boolean(),
    "riskDetail": RISK_DETAIL,
    "riskLastUpdatedDateTime": DateTimeOffset(),
    "riskLevel": RISK_LEVEL,
    "riskState": RISK_STATE,
    "servicePrincipalType": String(),
}

RISKY_SERVICE_PRINCIPALS = Collection(
    name="riskyServicePrincipals",
    entity_type="microsoft.graph.riskyServicePrincipal",
    filter=Schema({"id": Guid(), **_SP_RISK}),
    select=_SP_FIELDS,
    beta_select=("accountEnabled",),
    orderby=("riskLastUpdatedDateTime", "displayName"),
    countable=True,
)

SERVICE_PRINCIPAL_HISTORY = Collection(
    name="history",
    entity_type="microsoft.graph.riskyServicePrincipalHistoryItem",
    filter=Schema(
        {
            **_SP_RISK,
            "servicePrincipalId": Guid(),
            "initiatedBy": String(),
            "activity/detail": RISK_DETAIL,
        }
    ),
    select=(*_SP_FIELDS, "servicePrincipalId", "initiatedBy", "activity"),
    beta_select=("accountEnabled",),
)


SERVICE_PRINCIPAL_RISK_DETECTIONS = Collection(
    name="servicePrincipalRiskDetections",
    entity_type="microsoft.graph.servicePrincipalRiskDetection",
    filter=Schema(
        {
            **_SIGN_IN_FILTER,
            "appId": String(),
            "servicePrincipalDisplayName": String(),
            "servicePrincipalId": Guid(),
        }
    ),
    select=(
        *_SIGN_IN_SELECT,
        "location",
        "activityDateTime",
        "detectedDateTime",
        "lastUpdatedDateTime",
        "servicePrincipalId",
        "servicePrincipalDisplayName",
        "appId",
        "keyIds",
        "additionalInfo",
    ),
    beta_select=("mitreTechniqueId",),
    orderby=_DATES,
)

# -- agents (beta only) -------------------------------------------------------------------------
_AGENT_RISK: dict[str, PropertyType] = {
    "agentDisplayName": String(),
    "blueprintId": String(),
    "identityType": AGENT_IDENTITY_TYPE,
    "isDeleted": Boolean(),
    "isEnabled": Boolean(),
    "isProcessing": Boolean(),
    "riskDetail": RISK_DETAIL,
    "riskLastModifiedDateTime": DateTimeOffset(),
    "riskLevel": RISK_LEVEL,
    "riskState": RISK_STATE,
}

RISKY_AGENTS = Collection(
    name="riskyAgents",
    entity_type="microsoft.graph.riskyAgent",
    # Graph documents startsWith on the id too: it is a string here, not a Guid.
    filter=Schema({"id": String(), **_AGENT_RISK}),
    select=(
        "id",
        "agentDisplayName",
        "blueprintId",
        "identityType",
        "isDeleted",
        "isEnabled",
        "isProcessing",
        "riskLastModifiedDateTime",
        "riskState",
        "riskLevel",
        "riskDetail",
    ),
    orderby=("riskLastModifiedDateTime", "agentDisplayName"),
    countable=True,
)

AGENT_RISK_DETECTIONS = Collection(
    name="agentRiskDetections",
    entity_type="microsoft.graph.agentRiskDetection",
    filter=Schema(
        {
            "id": String(),
            "agentId": String(),
            "agentDisplayName": String(),
            "blueprintId": String(),
            "identityType": AGENT_IDENTITY_TYPE,
            "activityDateTime": DateTimeOffset(),
            "detectedDateTime": DateTimeOffset(),
            "detectionTimingType": TIMING,
            "lastModifiedDateTime": DateTimeOffset(),
            "riskDetail": RISK_DETAIL,
            "riskLevel": RISK_LEVEL,
            "riskState": RISK_STATE,
            "riskEventType": String(),
            "riskEvidence": String(),
            "source": String(),
        }
    ),
    select=(
        "id",
        "agentId",
        "agentDisplayName",
        "blueprintId",
        "identityType",
        "activityDateTime",
        "detectedDateTime",
        "detectionTimingType",
        "lastModifiedDateTime",
        "riskDetail",
        "riskLevel",
        "riskState",
        "riskEventType",
        "riskEvidence",
        "additionalInfo",
        "source",
    ),
    orderby=("detectedDateTime", "activityDateTime", "lastModifiedDateTime"),
)

# -- sign-ins (auditLogs/signIns, v1.0 and beta) -------------------------------------------------
_EQ = [Operator.EQ]
_EQ_STARTSWITH = [Operator.EQ, Operator.STARTSWITH]


def _only(type_: PropertyType, operators: list[Operator]) -> Property:
    return Property.of(type_, operators)


# The operators signIn's page lists for each property ("Supports $filter (eq ...)").
SIGN_INS = Collection(
    name="signIns",
    entity_type="microsoft.graph.signIn",
    filter=Schema(
        {
            "id": _only(String(), _EQ),
            "createdDateTime": _only(DateTimeOffset(), [Operator.EQ, Operator.LE, Operator.GE]),
            "userId": _only(Guid(), _EQ),
            "userPrincipalName": _only(String(), _EQ_STARTSWITH),
            "userDisplayName": _only(String(), _EQ_STARTSWITH),
            "appId": _only(String(), _EQ),
            "appDisplayName": _only(String(), _EQ_STARTSWITH),
            "ipAddress": _only(String(), _EQ_STARTSWITH),
            "clientAppUsed": _only(String(), _EQ),
            "correlationId": _only(String(), _EQ),
            "conditionalAccessStatus": _only(String(), _EQ),
            "riskDetail": _only(RISK_DETAIL, _EQ),
            "riskLevelAggregated": _only(RISK_LEVEL, _EQ),
            "riskLevelDuringSignIn": _only(RISK_LEVEL, _EQ),
            "riskState": _only(RISK_STATE, _EQ),
            "location/city": _only(String(), _EQ_STARTSWITH),
            "location/state": _only(String(), _EQ_STARTSWITH),
            "location/countryOrRegion": _only(String(), _EQ_STARTSWITH),
            "deviceDetail/browser": _only(String(), _EQ_STARTSWITH),
            "deviceDetail/operatingSystem": _only(String(), _EQ_STARTSWITH),
            "status/errorCode": Int32(),
        }
    ),
    select=(
        "id",
        "createdDateTime",
        "userDisplayName",
        "userPrincipalName",
        "userId",
        "appId",
        "appDisplayName",
        "ipAddress",
        "clientAppUsed",
        "correlationId",
        "conditionalAccessStatus",
        "isInteractive",
        "riskDetail",
        "riskLevelAggregated",
        "riskLevelDuringSignIn",
        "riskState",
        "riskEventTypes",
        "riskEventTypes_v2",
        "status",
        "deviceDetail",
        "location",
    ),
    beta_select=(
        "authenticationRequirement",
        "userAgent",
        "servicePrincipalId",
        "servicePrincipalName",
        "servicePrincipalCredentialKeyId",
        "signInEventTypes",
    ),
    orderby=("createdDateTime",),
)
# Beta lists service principals' sign-ins too, and filters on whose they are (v1.0's signIn
# has no servicePrincipalId).
BETA_SIGN_INS = replace(
    SIGN_INS,
    filter=Schema({**SIGN_INS.filter, "servicePrincipalId": _only(Guid(), _EQ)}),
)
SIGN_INS_BY_VERSION = {"v1.0": SIGN_INS, "beta": BETA_SIGN_INS}
