"""The directory audit log: who did what to whom, one record per risk action or admin change
(Graph's directoryAudit), written in the change's own unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

LOGGED_BY = "Identity Protection"
InitiatorKind = Literal["user", "app"]


@dataclass(frozen=True, slots=True)
class Initiator:
    kind: InitiatorKind
    id: str | None  # a user's object id; an app's service principal id
    name: str | None = None  # a user's UPN; an app's display name
    app_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditTarget:
    id: str
    type: str  # User, ServicePrincipal, Agent, Directory, App, Other (Graph's targetResource)
    display_name: str | None = None
    user_principal_name: str | None = None


@dataclass(frozen=True, slots=True)
class DirectoryAudit:
    id: str
    activity_at: datetime
    category: str
    activity_display_name: str
    operation_type: str  # Add, Update, Delete
    initiated_by: Initiator
    targets: tuple[AuditTarget, ...]
    correlation_id: str
    details: tuple[tuple[str, str], ...] = ()
    result: str = "success"
    result_reason: str = ""
    logged_by_service: str = LOGGED_BY
