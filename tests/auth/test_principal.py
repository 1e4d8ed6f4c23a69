"""The caller of `--auth off`: a Security Administrator of the demo tenant with every permission."""

from __future__ import annotations

from idprotect.auth.permissions import (
    ADMINISTER,
    READ_RISK_EVENTS,
    READ_RISKY_USERS,
    WRITE_RISKY_USERS,
    authorize,
)
from idprotect.auth.principal import Principal, PrincipalKind, local_security_administrator

DEMO_TENANT = "4a3d2c1b-6f5e-4d7c-8b9a-0e1f2a3b4c5d"  # as the README names it
SECURITY_ADMINISTRATOR = "194ae4cb-b126-40b2-bd5b-6091b380977d"  # Entra's role template id


def test_the_local_caller_is_the_demo_tenants_security_administrator() -> None:
    assert local_security_administrator() == Principal(
        tenant_id=DEMO_TENANT,
        kind=PrincipalKind.USER,
        object_id="0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
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


def test_the_local_caller_of_another_tenant_may_do_everything() -> None:
    caller = local_security_administrator("another-tenant")
    assert caller.tenant_id == "another-tenant"
    for requirement in (READ_RISKY_USERS, WRITE_RISKY_USERS, READ_RISK_EVENTS, ADMINISTER):
        authorize(caller, requirement)
