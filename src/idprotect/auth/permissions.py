"""Which permission and role each operation needs, and the check that enforces it."""

from __future__ import annotations

from dataclasses import dataclass

from idprotect.auth.principal import Principal, PrincipalKind
from idprotect.auth.roles import READ_ROLES, SIGN_IN_READ_ROLES, WRITE_ROLES
from idprotect.errors import AccessDenied, Forbidden


@dataclass(frozen=True, slots=True)
class Requirement:
    """Any of `permissions` (scp or roles); for delegated callers also any of `roles` (wids).
    `app_permissions`, when given, are what application callers need instead (roles)."""

    permissions: frozenset[str]
    roles: frozenset[str] | None
    app_permissions: frozenset[str] | None = None

    def held_by(self, principal: Principal) -> bool:
        if principal.kind is PrincipalKind.USER:
            return not principal.scopes.isdisjoint(self.permissions)
        wanted = self.permissions if self.app_permissions is None else self.app_permissions
        return not principal.app_roles.isdisjoint(wanted)


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
# Sign-in logs (auditLogs/signIns): the reports' permission and roles (signIn's pages).
READ_SIGN_INS = Requirement(permissions=frozenset({"AuditLog.Read.All"}), roles=SIGN_IN_READ_ROLES)
# Feedback on sign-ins: delegated callers need the risky users' write permission, applications
# the risk events' (signIn: confirmCompromised, confirmSafe and dismiss).
WRITE_SIGN_INS = Requirement(
    permissions=frozenset({"IdentityRiskyUser.ReadWrite.All"}),
    roles=WRITE_ROLES,
    app_permissions=frozenset({"IdentityRiskEvent.ReadWrite.All"}),
)
# The /_admin extension API: its own permission, which no Graph permission implies.
ADMINISTER = Requirement(permissions=frozenset({"IdentityProtection.Admin"}), roles=None)
# Shared Signals streams (docs/signals.md): the administrator's permission, or this narrower one
# that opens the streams and nothing else of /_admin.
MANAGE_SIGNALS = Requirement(
    permissions=frozenset({"IdentityProtection.Admin", "IdentityProtection.Signals"}), roles=None
)
# Every permission some operation accepts: what a token of the built-in issuer may grant.
PERMISSIONS = frozenset[str]().union(
    *(
        r.permissions | (r.app_permissions or frozenset())
        for r in (
            READ_RISKY_USERS,
            WRITE_RISKY_USERS,
            READ_RISKY_SERVICE_PRINCIPALS,
            WRITE_RISKY_SERVICE_PRINCIPALS,
            READ_RISKY_AGENTS,
            WRITE_RISKY_AGENTS,
            READ_RISK_EVENTS,
            READ_SIGN_INS,
            WRITE_SIGN_INS,
            ADMINISTER,
            MANAGE_SIGNALS,
        )
    )
)

_MISSING_SCOPES = (
    "You cannot perform the requested operation, required scopes are missing in the token."
)


def authorize(principal: Principal, requirement: Requirement) -> None:
    """Raise Forbidden unless the principal holds what the operation requires."""
    if not principal.scopes and not principal.app_roles:
        raise AccessDenied("Either scp or roles claim need to be present in the token.")
    if not requirement.held_by(principal):
        raise Forbidden(_MISSING_SCOPES)
    if (
        principal.kind is PrincipalKind.USER
        and requirement.roles is not None
        and principal.directory_roles.isdisjoint(requirement.roles)
    ):
        raise Forbidden(_MISSING_SCOPES)
