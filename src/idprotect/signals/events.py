"""What each change becomes on a stream: CAEP and RISC events in SETs (SSF streams), and Graph
change notifications (subscriptions). Plain Python; the table in docs/signals.md says the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from idprotect.domain.changes import Change, DetectionAdded, EnabledChanged, RiskChanged
from idprotect.domain.enums import RiskLevel, RiskState
from idprotect.signals.rich import encrypted_content
from idprotect.signals.subjects import keys_of, subject_of

CAEP_RISK_LEVEL_CHANGE = "https://schemas.openid.net/secevent/caep/event-type/risk-level-change"
RISC_CREDENTIAL_COMPROMISE = (
    "https://schemas.openid.net/secevent/risc/event-type/credential-compromise"
)
RISC_ACCOUNT_DISABLED = "https://schemas.openid.net/secevent/risc/event-type/account-disabled"
RISC_ACCOUNT_ENABLED = "https://schemas.openid.net/secevent/risc/event-type/account-enabled"
SSF_VERIFICATION = "https://schemas.openid.net/secevent/ssf/event-type/verification"
SSF_STREAM_UPDATED = "https://schemas.openid.net/secevent/ssf/event-type/stream-updated"
# What a stream may request; verification and stream-updated go on every stream.
EVENTS_SUPPORTED = (
    CAEP_RISK_LEVEL_CHANGE,
    RISC_CREDENTIAL_COMPROMISE,
    RISC_ACCOUNT_DISABLED,
    RISC_ACCOUNT_ENABLED,
)
# CAEP levels are LOW, MEDIUM and HIGH only: no risk (Graph's none) is reported as LOW.
_CAEP_LEVELS = {RiskLevel.LOW: "LOW", RiskLevel.MEDIUM: "MEDIUM", RiskLevel.HIGH: "HIGH"}
# How CAEP's `principal` names each kind (SSF 1.0 allows entities beyond its own list).
_PRINCIPALS = {"user": "USER", "servicePrincipal": "SERVICE_PRINCIPAL", "agent": "AGENT"}
# The credential a compromise concerns (CAEP credential-change's credential_type values).
_CREDENTIALS = {"user": "password", "servicePrincipal": "x509", "agent": "x509"}
LEAKED_CREDENTIALS = "leakedCredentials"


@dataclass(frozen=True, slots=True)
class Target:
    """A stream as the outbox writer sees it."""

    stream_id: str
    delivery: str  # push, poll (SSF streams), webhook (Graph subscriptions)
    iss: str = ""  # ssf: the stream's issuer, aud and the events it delivers
    aud: str | list[str] = ""
    events: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()  # subject keys the receiver removed
    resource: str = ""  # graph: the subscription's resource, change types and clientState
    change_types: frozenset[str] = frozenset()
    client_state: str | None = None
    tenant_id: str = ""
    expires_at: datetime | None = None  # a subscription's expirationDateTime
    authorized_until: datetime | None = None  # and the end of its authorization
    # Rich notifications (includeResourceData): the subscriber's certificate and its id, and
    # the API version (v1.0, beta) whose representation of the resource they carry.
    certificate: str | None = None
    certificate_id: str = ""
    version: str = "v1.0"


# The entity a notification names, as a GET of it on the API version answers (the API's wire
# form, handed down by the application: api/rich_notifications.py): resource, change, version.
Render = Callable[[str, Change, str], dict[str, Any]]


def caep_level(level: RiskLevel) -> str:
    return _CAEP_LEVELS.get(level, "LOW")


def events_for(
    change: Change, target: Target, render: Render | None = None
) -> Iterator[dict[str, Any]]:
    """The payloads `change` puts on `target`'s stream: SET claims, or notification items (with
    the resource, encrypted, for a rich subscription: `render` gives it)."""
    if target.delivery == "webhook":
        for item in _notifications(change, target):
            if target.certificate is not None:
                item["encryptedContent"] = _encrypted(change, target, render)
            yield item
    elif not isinstance(change, DetectionAdded):
        yield from _sets(change, target)


def _sets(change: RiskChanged | EnabledChanged, target: Target) -> Iterator[dict[str, Any]]:
    if keys_of(change.principal, target.iss) & target.excluded:
        return
    txn = uuid.uuid4().hex
    found = _ssf_events(change) if isinstance(change, RiskChanged) else _directory_events(change)
    for event_type, event in found:
        if event_type in target.events:
            yield set_claims(
                target, subject_of(change.principal, target.iss), event_type, event, txn
            )


def set_claims(
    target: Target, subject: dict[str, str], event_type: str, event: dict[str, Any], txn: str
) -> dict[str, Any]:
    """A SET's claims but `iat`, which the outbox row's time gives (RFC 8417, SSF 1.0 4.1)."""
    return {
        "iss": target.iss,
        "aud": target.aud,
        "jti": uuid.uuid4().hex,
        "txn": txn,
        "sub_id": subject,
        "events": {event_type: event},
    }


def _ssf_events(change: RiskChanged) -> Iterator[tuple[str, dict[str, Any]]]:
    previous, current = change.previous, change.current
    stamp = _epoch(change.at)
    if previous is None or previous.level is not current.level:
        event: dict[str, Any] = {
            "principal": _PRINCIPALS.get(change.kind, "USER"),
            "current_level": caep_level(current.level),
            "event_timestamp": stamp,
            "risk_reason": risk_reason(change),
            "initiating_entity": "admin" if change.actor_id else "system",
        }
        if previous is not None:
            event["previous_level"] = caep_level(previous.level)
        yield CAEP_RISK_LEVEL_CHANGE, event
    if _compromised(change):
        compromise = {
            "credential_type": _CREDENTIALS.get(change.kind, "password"),
            "event_timestamp": stamp,
            "reason_admin": {"en": risk_reason(change)},
        }
        yield RISC_CREDENTIAL_COMPROMISE, compromise


def _directory_events(change: EnabledChanged) -> Iterator[tuple[str, dict[str, Any]]]:
    """RISC account-enabled or account-disabled, as the directory changed isEnabled."""
    yield (RISC_ACCOUNT_ENABLED if change.enabled else RISC_ACCOUNT_DISABLED), {}


def risk_reason(change: RiskChanged) -> str:
    """The action's riskDetail, or the riskEventTypes of the detections that made the change."""
    detail = change.activity.detail
    if detail is not None and detail.value != "none":
        return detail.value
    return ",".join(change.activity.risk_event_types) or change.current.detail.value


def _compromised(change: RiskChanged) -> bool:
    """confirmCompromised (the state becomes confirmedCompromised), or leaked credentials."""
    newly_confirmed = change.current.state is RiskState.CONFIRMED_COMPROMISED and (
        change.previous is None or change.previous.state is not RiskState.CONFIRMED_COMPROMISED
    )
    return newly_confirmed or LEAKED_CREDENTIALS in change.activity.risk_event_types


# Graph-style subscriptions: each resource, the change it reports and its entity's type.
RESOURCES: dict[str, tuple[type, str, str]] = {
    "identityProtection/riskyUsers": (RiskChanged, "user", "#microsoft.graph.riskyUser"),
    "identityProtection/riskDetections": (DetectionAdded, "user", "#microsoft.graph.riskDetection"),
}


def _notifications(change: Change, target: Target) -> Iterator[dict[str, Any]]:
    change_type, kind = RESOURCES[target.resource][0], RESOURCES[target.resource][1]
    if not isinstance(change, change_type) or change.kind != kind:
        return
    if isinstance(change, RiskChanged):
        entity_id = change.principal.id
        happened = "created" if change.previous is None else "updated"
    elif isinstance(change, DetectionAdded):
        entity_id, happened = change.detection.id, "created"
    else:
        return
    if happened not in target.change_types:
        return
    yield {
        "subscriptionId": target.stream_id,
        "changeType": happened,
        "resource": f"{target.resource}('{entity_id}')",
        "resourceData": {
            "@odata.type": RESOURCES[target.resource][2],
            "@odata.id": f"{target.resource}('{entity_id}')",
            "id": entity_id,
        },
        "clientState": target.client_state,
        "tenantId": target.tenant_id,
    }


def _encrypted(change: Change, target: Target, render: Render | None) -> dict[str, str]:
    if render is None:  # the application gives every Database its renderer (app.py)
        raise RuntimeError("rich notifications need the resources' renderer: none was given")
    assert target.certificate is not None
    resource = render(target.resource, change, target.version)
    return encrypted_content(resource, target.certificate, target.certificate_id)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())
