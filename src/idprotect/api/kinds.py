"""What the API serves of each principal kind (domain/kinds.py): where its collections are, on
which versions, the permissions they need, their query surfaces and their wire format.

The operations (api/principals.py, api/risk_detections.py) are made from these entries alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from idprotect.api import wire
from idprotect.auth.permissions import (
    READ_RISKY_AGENTS,
    READ_RISKY_SERVICE_PRINCIPALS,
    READ_RISKY_USERS,
    WRITE_RISKY_AGENTS,
    WRITE_RISKY_SERVICE_PRINCIPALS,
    WRITE_RISKY_USERS,
    Requirement,
)
from idprotect.domain.kinds import AGENT, SERVICE_PRINCIPAL, USER, PrincipalKind
from idprotect.odata.collections import (
    AGENT_RISK_DETECTIONS,
    HISTORY,
    RISK_DETECTIONS,
    RISKY_AGENTS,
    RISKY_SERVICE_PRINCIPALS,
    RISKY_USERS,
    SERVICE_PRINCIPAL_HISTORY,
    SERVICE_PRINCIPAL_RISK_DETECTIONS,
    Collection,
)

V1_AND_BETA = ("/v1.0/identityProtection", "/beta/identityProtection")
# Beta also keeps the legacy root paths of users' collections (undocumented there).
LEGACY_BETA = "/beta"


@dataclass(frozen=True, slots=True)
class ApiKind:
    kind: PrincipalKind
    roots: tuple[str, ...]  # where its collections are served (the first ones documented)
    principals: Collection
    history: Collection | None  # None: no history navigation (agents)
    detections: Collection
    read: Requirement
    write: Requirement
    fields: wire.PrincipalFields
    detection_fields: wire.DetectionFields

    @property
    def set_name(self) -> str:
        return self.principals.name

    @property
    def detections_set(self) -> str:
        return self.detections.name


USERS = ApiKind(
    kind=USER,
    roots=(*V1_AND_BETA, LEGACY_BETA),
    principals=RISKY_USERS,
    history=HISTORY,
    detections=RISK_DETECTIONS,
    read=READ_RISKY_USERS,
    write=WRITE_RISKY_USERS,
    fields=wire.risky_user,
    detection_fields=wire.risk_detection,
)

SERVICE_PRINCIPALS = ApiKind(
    kind=SERVICE_PRINCIPAL,
    roots=V1_AND_BETA,
    principals=RISKY_SERVICE_PRINCIPALS,
    history=SERVICE_PRINCIPAL_HISTORY,
    detections=SERVICE_PRINCIPAL_RISK_DETECTIONS,
    read=READ_RISKY_SERVICE_PRINCIPALS,
    write=WRITE_RISKY_SERVICE_PRINCIPALS,
    fields=wire.risky_service_principal,
    detection_fields=wire.service_principal_risk_detection,
)

AGENTS = ApiKind(
    kind=AGENT,
    roots=("/beta/identityProtection",),
    principals=RISKY_AGENTS,
    history=None,
    detections=AGENT_RISK_DETECTIONS,
    read=READ_RISKY_AGENTS,
    write=WRITE_RISKY_AGENTS,
    fields=wire.risky_agent,
    detection_fields=wire.agent_risk_detection,
)

API_KINDS = (USERS, SERVICE_PRINCIPALS, AGENTS)
