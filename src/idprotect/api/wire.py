"""The wire format: domain objects to Graph JSON (camelCase, @odata annotations, enum rules)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote_plus

import orjson
from starlette.responses import Response

from idprotect.domain.enums import EVOLVABLE, AgentIdentityType, RiskEventType
from idprotect.domain.models import (
    Agent,
    AgentRiskDetection,
    Detection,
    HistoryItem,
    Location,
    Principal,
    Risk,
    RiskDetection,
    ServicePrincipal,
    ServicePrincipalRiskDetection,
    SignInDetection,
    User,
)
from idprotect.domain.paging import Page
from idprotect.domain.signins import SignIn
from idprotect.odata.options import QueryOptions
from idprotect.odata.select import ALL
from idprotect.odata.skiptoken import TokenBinding, encode_skiptoken

ODATA_JSON = (
    "application/json;odata.metadata=minimal;odata.streaming=true;"
    "IEEE754Compatible=false;charset=utf-8"
)
_ODATA_HEADERS = {"OData-Version": "4.0"}

_RISK_TYPES = frozenset(member.value for member in RiskEventType)

# The `$select`ed properties of a response, or None for all of them.
Selection = tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class GraphRoot:
    """Where a request landed: base URL, API version and the entity-set path prefix."""

    base_url: str  # e.g. http://127.0.0.1:8000
    version: str  # v1.0 or beta
    set_prefix: str  # "identityProtection/" or "" on beta's legacy root paths
    include_unknown_enum_members: bool

    def context(self, fragment: str) -> str:
        return f"{self.base_url}/{self.version}/$metadata#{self.set_prefix}{fragment}"


def odata_response(payload: dict[str, Any]) -> Response:
    return Response(orjson.dumps(payload), media_type=ODATA_JSON, headers=_ODATA_HEADERS)


def entity(
    root: GraphRoot, fragment: str, fields: dict[str, Any], *, select: Selection = None
) -> Response:
    """One entity of the set `fragment`; `$select` names the fields and the context."""
    context = root.context(f"{fragment}{_selected(select)}/$entity")
    return odata_response({"@odata.context": context, **_project(fields, select)})


def collection(
    root: GraphRoot,
    fragment: str,
    values: list[dict[str, Any]],
    *,
    page: Page[Any],
    options: QueryOptions,
    binding: TokenBinding,
    path: str,
) -> Response:
    """A page of the set `fragment`: context, count, nextLink and values, in Graph's order."""
    select = options.select
    payload: dict[str, Any] = {"@odata.context": root.context(fragment + _selected(select))}
    if page.count is not None:
        payload["@odata.count"] = page.count
    if page.next_after is not None:
        skiptoken = encode_skiptoken(page.next_after, binding)
        payload["@odata.nextLink"] = next_link(root, path, options, skiptoken)
    payload["value"] = [_project(value, select) for value in values]
    return odata_response(payload)


def count(total: int) -> Response:
    """The answer of a `/$count` segment: the number alone, as text."""
    return Response(str(total), media_type="text/plain;charset=utf-8", headers=_ODATA_HEADERS)


def _selected(select: Selection) -> str:
    """`(id,riskState)` as the context names a `$select`ed set; nothing without one."""
    return f"({','.join(select)})" if select else ""


def _project(fields: dict[str, Any], select: Selection) -> dict[str, Any]:
    """The selected fields, in the entity's own order."""
    if not select or select == ALL:
        return fields
    # Annotations stay: @odata.type names the subtype of what is selected.
    return {name: value for name, value in fields.items() if name in select or name[0] == "@"}


def next_link(root: GraphRoot, path: str, options: QueryOptions, skiptoken: str) -> str:
    """An absolute URL that re-carries the original options, encoded as Graph encodes them."""
    pairs = [*options.original, ("$skiptoken", skiptoken)]
    query = "&".join(f"{name}={_graph_quote(value)}" for name, value in pairs)
    return f"{root.base_url}{path}?{query}"


def _graph_quote(value: str) -> str:
    # Graph writes percent-escapes in lower case (`%2c`, `%27`) and spaces as `+`.
    quoted = quote_plus(value, safe="$")
    head, *escaped = quoted.split("%")
    return "%".join([head, *(part[:2].lower() + part[2:] for part in escaped)])


def graph_datetime(moment: datetime) -> str:
    """ISO 8601 in UTC with seven fractional digits and `Z`, as Graph writes DateTimeOffset."""
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    # isoformat pads every year to four digits; "+00:00" gives way to the seventh digit and Z.
    return utc.isoformat(timespec="microseconds")[:26] + "0Z"


def _enum(member: StrEnum | None, root: GraphRoot) -> str | None:
    if member is None:
        return None
    if root.include_unknown_enum_members:
        return member.value
    return EVOLVABLE.get((type(member), member), member).value


def _risk(risk: Risk, root: GraphRoot, updated: str) -> dict[str, Any]:
    return {
        updated: graph_datetime(risk.last_updated),
        "riskLevel": _enum(risk.level, root),
        "riskState": _enum(risk.state, root),
        "riskDetail": _enum(risk.detail, root),
    }


def risky_user(user: Principal, root: GraphRoot) -> dict[str, Any]:
    assert isinstance(user, User)
    assert user.risk is not None
    return {
        "id": user.id,
        "isDeleted": user.is_deleted,
        "isProcessing": user.is_processing,
        **_risk(user.risk, root, "riskLastUpdatedDateTime"),
        "userDisplayName": user.display_name,
        "userPrincipalName": user.user_principal_name,
    }


def risky_service_principal(principal: Principal, root: GraphRoot) -> dict[str, Any]:
    assert isinstance(principal, ServicePrincipal)
    assert principal.risk is not None
    # Beta still serves the deprecated accountEnabled (isEnabled's former name) beside it.
    enabled = {"isEnabled": principal.is_enabled}
    if root.version == "beta":
        enabled = {"accountEnabled": principal.is_enabled, **enabled}
    return {
        "id": principal.id,
        **enabled,
        "isProcessing": principal.is_processing,
        **_risk(principal.risk, root, "riskLastUpdatedDateTime"),
        "displayName": principal.display_name,
        "appId": principal.app_id,
        "servicePrincipalType": principal.service_principal_type,
    }


# riskyAgent is abstract: each agent is one of its subtypes, named by @odata.type.
AGENT_TYPES = {
    AgentIdentityType.AGENT_IDENTITY: "#microsoft.graph.riskyAgentIdentity",
    AgentIdentityType.AGENT_USER: "#microsoft.graph.riskyAgentUser",
    AgentIdentityType.AGENT_IDENTITY_BLUEPRINT_PRINCIPAL: (
        "#microsoft.graph.riskyAgentIdentityBlueprintPrincipal"
    ),
}


def risky_agent(agent: Principal, root: GraphRoot) -> dict[str, Any]:
    assert isinstance(agent, Agent)
    assert agent.risk is not None
    risk = agent.risk
    return {
        "@odata.type": AGENT_TYPES[agent.identity_type],
        "id": agent.id,
        "agentDisplayName": agent.display_name,
        "blueprintId": agent.blueprint_id,
        "identityType": _enum(agent.identity_type, root),
        "isDeleted": agent.is_deleted,
        "isEnabled": agent.is_enabled,
        "isProcessing": agent.is_processing,
        "riskLastModifiedDateTime": graph_datetime(risk.last_updated),
        "riskState": _enum(risk.state, root),
        "riskLevel": _enum(risk.level, root),
        "riskDetail": _enum(risk.detail, root),
    }


PrincipalFields = Callable[[Principal, GraphRoot], dict[str, Any]]
DetectionFields = Callable[[Detection, GraphRoot], dict[str, Any]]


def history_item(
    item: HistoryItem, root: GraphRoot, *, fields: PrincipalFields, id_field: str
) -> dict[str, Any]:
    """A history item: the principal as it was (`fields`), its own id, whose it is, who
    initiated it and what happened."""
    values = fields(item.principal, root)
    values["id"] = item.id
    values[id_field] = item.principal_id
    values["initiatedBy"] = item.initiated_by
    activity: dict[str, Any] = {
        "detail": _enum(item.activity.detail, root),
        "riskEventTypes": list(item.activity.risk_event_types),
    }
    if root.version == "beta" and id_field == "userId":
        activity["eventTypes"] = [t for t in item.activity.risk_event_types if t in _RISK_TYPES]
    values["activity"] = activity
    return values


def _sign_in_risk(d: SignInDetection, root: GraphRoot) -> dict[str, Any]:
    """The fields users' and service principals' detections share, in Graph's order."""
    return {
        "id": d.id,
        "requestId": d.request_id,
        "correlationId": d.correlation_id,
        "riskEventType": d.risk_event_type,
        "riskState": _enum(d.risk_state, root),
        "riskLevel": _enum(d.risk_level, root),
        "riskDetail": _enum(d.risk_detail, root),
        "source": d.source,
        "detectionTimingType": _enum(d.detection_timing_type, root),
        "activity": _enum(d.activity, root),
        "tokenIssuerType": _enum(d.token_issuer_type, root),
        "ipAddress": d.ip_address,
    }


def risk_detection(d: Detection, root: GraphRoot) -> dict[str, Any]:
    assert isinstance(d, RiskDetection)
    fields: dict[str, Any] = {
        **_sign_in_risk(d, root),
        "activityDateTime": graph_datetime(d.activity_at),
        "detectedDateTime": graph_datetime(d.detected_at),
        "lastUpdatedDateTime": graph_datetime(d.last_updated_at),
        "userId": d.principal_id,
        "userDisplayName": d.user_display_name,
        "userPrincipalName": d.user_principal_name,
        "additionalInfo": d.additional_info,
        "location": None if d.location is None else _location(d.location),
    }
    if root.version == "beta":
        fields["riskType"] = (
            d.risk_event_type
            if d.risk_event_type in _RISK_TYPES
            else RiskEventType.UNKNOWN_FUTURE_VALUE.value
        )
        fields["mitreTechniqueId"] = d.mitre_technique_id
    return fields


def service_principal_risk_detection(d: Detection, root: GraphRoot) -> dict[str, Any]:
    assert isinstance(d, ServicePrincipalRiskDetection)
    fields: dict[str, Any] = {
        **_sign_in_risk(d, root),
        "location": None if d.location is None else _location(d.location),
        "activityDateTime": graph_datetime(d.activity_at),
        "detectedDateTime": graph_datetime(d.detected_at),
        "lastUpdatedDateTime": graph_datetime(d.last_updated_at),
        "servicePrincipalId": d.principal_id,
        "servicePrincipalDisplayName": d.service_principal_display_name,
        "appId": d.app_id,
        "keyIds": list(d.key_ids),
        "additionalInfo": d.additional_info,
    }
    if root.version == "beta":
        fields["mitreTechniqueId"] = d.mitre_technique_id
    return fields


def agent_risk_detection(d: Detection, root: GraphRoot) -> dict[str, Any]:
    assert isinstance(d, AgentRiskDetection)
    return {
        "id": d.id,
        "agentId": d.principal_id,
        "agentDisplayName": d.agent_display_name,
        "blueprintId": d.blueprint_id,
        "identityType": _enum(d.identity_type, root),
        "activityDateTime": graph_datetime(d.activity_at),
        "detectedDateTime": graph_datetime(d.detected_at),
        "detectionTimingType": _enum(d.detection_timing_type, root),
        "lastModifiedDateTime": graph_datetime(d.last_updated_at),
        "riskDetail": _enum(d.risk_detail, root),
        "riskLevel": _enum(d.risk_level, root),
        "riskState": _enum(d.risk_state, root),
        "riskEventType": d.risk_event_type,
        "riskEvidence": d.risk_evidence,
        "additionalInfo": d.additional_info,
        "source": d.source,
    }


def _location(loc: Location) -> dict[str, Any]:
    """Graph's signInLocation; geoCoordinates null when no coordinate is known."""
    has_coordinates = any(v is not None for v in (loc.latitude, loc.longitude, loc.altitude))
    return {
        "city": loc.city,
        "state": loc.state,
        "countryOrRegion": loc.country_or_region,
        "geoCoordinates": {
            "altitude": loc.altitude,
            "latitude": loc.latitude,
            "longitude": loc.longitude,
        }
        if has_coordinates
        else None,
    }


def sign_in(s: SignIn, root: GraphRoot) -> dict[str, Any]:
    """Graph's signIn, in the order Graph writes it; beta adds what only it serves."""
    risk = s.risk
    fields: dict[str, Any] = {
        "id": s.id,
        "createdDateTime": graph_datetime(s.created_at),
        "userDisplayName": s.user_display_name,
        "userPrincipalName": s.user_principal_name,
        "userId": s.user_id,
        "appId": s.app_id,
        "appDisplayName": s.app_display_name,
        "ipAddress": s.ip_address,
        "clientAppUsed": s.client_app_used,
        "correlationId": s.correlation_id,
        "conditionalAccessStatus": s.conditional_access_status,
        "isInteractive": s.is_interactive,
        "riskDetail": _enum(risk.detail, root),
        "riskLevelAggregated": _enum(risk.level_aggregated, root),
        "riskLevelDuringSignIn": _enum(risk.level_during_sign_in, root),
        "riskState": _enum(risk.state, root),
        # The deprecated enum collection names what its enum has; riskEventTypes_v2 all.
        "riskEventTypes": list(
            dict.fromkeys(
                t if t in _RISK_TYPES else RiskEventType.UNKNOWN_FUTURE_VALUE.value
                for t in risk.event_types
            )
        ),
        "riskEventTypes_v2": list(risk.event_types),
        "status": {
            "errorCode": s.error_code,
            "failureReason": s.failure_reason,
            "additionalDetails": None,
        },
        "deviceDetail": {
            "deviceId": s.device_id or "",  # Graph's for a device it does not know
            "displayName": None,
            "operatingSystem": s.operating_system,
            "browser": s.browser,
            "isCompliant": s.is_compliant,
            "isManaged": None,
            "trustType": None,
        },
        # A sign-in always has a location; what is not known of it is null.
        "location": _location(s.location or Location()),
    }
    if root.version == "beta":
        fields["authenticationRequirement"] = s.authentication_requirement
        fields["userAgent"] = s.user_agent
        # A user's sign-in has servicePrincipalId "" and the rest null, as Graph writes them.
        fields["servicePrincipalId"] = s.service_principal_id or ""
        fields["servicePrincipalName"] = s.service_principal_name
        fields["servicePrincipalCredentialKeyId"] = s.service_principal_credential_key_id
        fields["signInEventTypes"] = [s.event_type.value]
    return fields
