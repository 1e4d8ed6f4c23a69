"""Which permission and role each operation needs, and the check that enforces it."""

from __future__ import annotations

from dataclasses import dataclass

from idprotect.auth.principal import Principal, PrincipalKind
from idprotect.auth.roles import READ_ROLES, WRITE_ROLES
from idprotect.errors import AccessDenied, Forbidden


@dataclass(frozen=True, slots=True)
class Requirement:
    """Any of `permissions` (scp or roles); for delegated callers also any of `roles` (wids)."""

    permissions: frozenset[str]
    roles: frozenset[str] | None


READ_RISKY_USERS = Requirement(
    permissions=frozenset({"IdentityRiskyUser.Read.All", "IdentityRiskyUser.ReadWrite.All"}),
    roles=READ_ROLES,
)
WRITE_RISKY_USERS = Requirement(
    permissions=frozenset({"IdentityRiskyUser.ReadWrite.All"}), roles=WRITE_ROLES
)
READ_RISKY_SERVICE_PRINCIPALS = Requirement(
    permissions=frozenset(
        {"IdentityRiskyServicePrincipal.Read.All", "IdentityRiskyServicePrincipal.ReadWrite.All"}
    ),
    roles=READ_ROLES,
)
WRITE_RISKY_SERVICE_PRINCIPALS = Requirement(
    permissions=frozenset({"IdentityRiskyServicePrincipal.ReadWrite.All"}), roles=WRITE_ROLES
)
# Graph lists only Read.All for agent reads; ReadWrite.All is accepted too, as for the others.
READ_RISKY_AGENTS = Requirement(
    permissions=frozenset({"IdentityRiskyAgent.Read.All", "IdentityRiskyAgent.ReadWrite.All"}),
    roles=READ_ROLES,
)
WRITE_RISKY_AGENTS = Requirement(
    permissions=frozenset({"IdentityRiskyAgent.ReadWrite.All"}), roles=WRITE_ROLES
)
READ_RISK_EVENTS = Requirement(
    permissions=frozenset({"IdentityRiskEvent.Read.All", "IdentityRiskEvent.ReadWrite.All"}),
    roles=READ_ROLES,
)
# The /_admin extension API: its own permission, which no Graph permission implies.
ADMINISTER = Requirement(permissions=frozenset({"IdentityProtection.Admin"}), roles=None)
# Every permission some operation accepts: what a token of the built-in issuer may grant.
PERMISSIONS = frozenset[str]().union(
    *(
        r.permissions
        for r in (
            READ_RISKY_USERS,
            WRITE_RISKY_USERS,
            READ_RISKY_SERVICE_PRINCIPALS,
            WRITE_RISKY_SERVICE_PRINCIPALS,
            READ_RISKY_AGENTS,
            WRITE_RISKY_AGENTS,
            READ_RISK_EVENTS,
            ADMINISTER,
        )
    )
)

_MISSING_SCOPES = (
    "You cannot perform the requested operation, required scopes are missing in the token."
)


def authorize(principal: Principal, requirement: Requirement) -> None:
    """Raise Forbidden unless the principal holds what the operation requires."""
    held = principal.scopes if principal.kind is PrincipalKind.USER else principal.app_roles
    if not principal.scopes and not principal.app_roles:
        raise AccessDenied("Either scp or roles claim need to be present in the token.")
    if held.isdisjoint(requirement.permissions):
        raise Forbidden(_MISSING_SCOPES)
    if (
        principal.kind is PrincipalKind.USER
        and requirement.roles is not None
        and principal.directory_roles.isdisjoint(requirement.roles)
    ):
        raise Forbidden(_MISSING_SCOPES)
