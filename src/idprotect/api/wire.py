"""The wire format: domain objects to Graph JSON (camelCase, @odata annotations, enum rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote_plus

import orjson
from starlette.responses import Response

from idprotect.domain.enums import EVOLVABLE, RiskEventType
from idprotect.domain.models import HistoryItem, RiskDetection, RiskyUser
from idprotect.domain.paging import Page
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
    return {name: value for name, value in fields.items() if name in select}


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


def risky_user(user: RiskyUser, root: GraphRoot) -> dict[str, Any]:
    risk = user.risk
    return {
        "id": user.id,
        "isDeleted": user.is_deleted,
        "isProcessing": user.is_processing,
        "riskLastUpdatedDateTime": graph_datetime(risk.last_updated),
        "riskLevel": _enum(risk.level, root),
        "riskState": _enum(risk.state, root),
        "riskDetail": _enum(risk.detail, root),
        "userDisplayName": user.display_name,
        "userPrincipalName": user.user_principal_name,
    }


def history_item(item: HistoryItem, root: GraphRoot) -> dict[str, Any]:
    fields = risky_user(item.user, root)
    fields["id"] = item.id
    fields["userId"] = item.user_id
    fields["initiatedBy"] = item.initiated_by
    activity: dict[str, Any] = {
        "detail": _enum(item.activity.detail, root),
        "riskEventTypes": list(item.activity.risk_event_types),
    }
    if root.version == "beta":
        activity["eventTypes"] = [t for t in item.activity.risk_event_types if t in _RISK_TYPES]
    fields["activity"] = activity
    return fields


def risk_detection(d: RiskDetection, root: GraphRoot) -> dict[str, Any]:
    fields: dict[str, Any] = {
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
        "activityDateTime": graph_datetime(d.activity_at),
        "detectedDateTime": graph_datetime(d.detected_at),
        "lastUpdatedDateTime": graph_datetime(d.last_updated_at),
        "userId": d.user_id,
        "userDisplayName": d.user_display_name,
        "userPrincipalName": d.user_principal_name,
        "additionalInfo": d.additional_info,
        "location": _location(d),
    }
    if root.version == "beta":
        fields["riskType"] = (
            d.risk_event_type
            if d.risk_event_type in _RISK_TYPES
            else RiskEventType.UNKNOWN_FUTURE_VALUE.value
        )
        fields["mitreTechniqueId"] = d.mitre_technique_id
    return fields


def _location(d: RiskDetection) -> dict[str, Any] | None:
    loc = d.location
    if loc is None:
        return None
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
