"""The caller of a request, as a verified token (or the development mode) describes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from idprotect.auth.roles import SECURITY_ADMINISTRATOR

# The tenant that `--auth off` and the demo data use (documented in the README).
DEMO_TENANT_ID = "4a3d2c1b-6f5e-4d7c-8b9a-0e1f2a3b4c5d"
# The object id of the local Security Administrator that `--auth off` acts as.
LOCAL_ADMIN_OBJECT_ID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"


class PrincipalKind(StrEnum):
    USER = "user"  # a delegated token: scp + wids
    APP = "app"  # an app-only token: roles


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: str
    kind: PrincipalKind
    object_id: str | None
    app_id: str | None = None
    scopes: frozenset[str] = frozenset()
    app_roles: frozenset[str] = frozenset()
    directory_roles: frozenset[str] = frozenset()
    # When the token that names the caller expires (its `exp`); None without a token (`--auth
    # off`). What the caller authorizes lasts as long (a subscription's change notifications).
    expires_at: datetime | None = None


def local_security_administrator(tenant_id: str = DEMO_TENANT_ID) -> Principal:
    """The caller of `--auth off`: a Security Administrator with every permission."""
    return Principal(
        tenant_id=tenant_id,
        kind=PrincipalKind.USER,
        object_id=LOCAL_ADMIN_OBJECT_ID,
        app_id=None,
        scopes=frozenset(
            {
                "IdentityRiskyUser.ReadWrite.All",
                "IdentityRiskyServicePrincipal.ReadWrite.All",
                "IdentityRiskyAgent.ReadWrite.All",
                "IdentityRiskEvent.Read.All",
                "IdentityProtection.Admin",
                "AuditLog.Read.All",
            }
        ),
        directory_roles=frozenset({SECURITY_ADMINISTRATOR}),
    )
