"""The resource a rich change notification carries (includeResourceData): the entity the
notification names, as a GET of it answers on the subscription's API version (wire.py), with
the risk the change gave it. The application hands this to the store (app.py), whose outbox
writes the notifications (signals/events.py encrypts it)."""

from __future__ import annotations

from typing import Any

from idprotect.api.wire import GraphRoot, risk_detection, risky_user
from idprotect.domain.changes import Change, DetectionAdded, RiskChanged


def resource_data(resource: str, change: Change, version: str) -> dict[str, Any]:
    """`change`'s entity of `resource` (signals/events.py's RESOURCES), as GET gives it."""
    # Enum members as a client that sends no Prefer header reads them: Graph's default.
    root = GraphRoot("", version, "identityProtection/", include_unknown_enum_members=False)
    if isinstance(change, RiskChanged) and resource == "identityProtection/riskyUsers":
        return risky_user(change.principal.with_risk(change.current), root)
    if isinstance(change, DetectionAdded) and resource == "identityProtection/riskDetections":
        return risk_detection(change.detection, root)
    raise ValueError(f"no {resource} entity in {type(change).__name__}")
