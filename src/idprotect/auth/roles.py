"""Entra directory role template ids (the `wids` claim) that Identity Protection APIs accept."""

from __future__ import annotations

SECURITY_ADMINISTRATOR = "194ae4cb-b126-40b2-bd5b-6091b380977d"
SECURITY_OPERATOR = "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f"
SECURITY_READER = "5d6b6bb7-de71-4623-b4af-96380a352509"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
REPORTS_READER = "4a5d8f65-41da-4de4-8968-e035b65339cf"

ROLE_NAMES = {
    "Security Administrator": SECURITY_ADMINISTRATOR,
    "Security Operator": SECURITY_OPERATOR,
    "Security Reader": SECURITY_READER,
    "Global Reader": GLOBAL_READER,
    "Global Administrator": GLOBAL_ADMINISTRATOR,
    "Reports Reader": REPORTS_READER,
}

# graph-facts 4.1: the read set and the write set (Security Operator reads only: the current
# Graph documentation names Security Administrator as the least-privileged role for writes).
READ_ROLES = frozenset(
    {
        GLOBAL_READER,
        SECURITY_OPERATOR,
        SECURITY_READER,
        SECURITY_ADMINISTRATOR,
        GLOBAL_ADMINISTRATOR,
    }
)
WRITE_ROLES = frozenset({SECURITY_ADMINISTRATOR, GLOBAL_ADMINISTRATOR})
# Sign-in logs: the read set and Reports Reader (signIn's pages, "rbac-signin-apis-read").
SIGN_IN_READ_ROLES = READ_ROLES | {REPORTS_READER}
