"""Graph's enumerations, in CSDL order; the member value is the wire string."""

from __future__ import annotations

from enum import StrEnum


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    HIDDEN = "hidden"
    NONE = "none"
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue"


class RiskState(StrEnum):
    NONE = "none"
    CONFIRMED_SAFE = "confirmedSafe"
    REMEDIATED = "remediated"
    DISMISSED = "dismissed"
    AT_RISK = "atRisk"
    CONFIRMED_COMPROMISED = "confirmedCompromised"
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue"


class RiskDetail(StrEnum):
    NONE = "none"
    ADMIN_GENERATED_TEMPORARY_PASSWORD = "adminGeneratedTemporaryPassword"
    USER_PERFORMED_SECURED_PASSWORD_CHANGE = "userPerformedSecuredPasswordChange"
    USER_PERFORMED_SECURED_PASSWORD_RESET = "userPerformedSecuredPasswordReset"
    ADMIN_CONFIRMED_SIGNIN_SAFE = "adminConfirmedSigninSafe"
    AI_CONFIRMED_SIGNIN_SAFE = "aiConfirmedSigninSafe"
    USER_PASSED_MFA_DRIVEN_BY_RISK_BASED_POLICY = "userPassedMFADrivenByRiskBasedPolicy"
    ADMIN_DISMISSED_ALL_RISK_FOR_USER = "adminDismissedAllRiskForUser"
    ADMIN_CONFIRMED_SIGNIN_COMPROMISED = "adminConfirmedSigninCompromised"
    HIDDEN = "hidden"
    ADMIN_CONFIRMED_USER_COMPROMISED = "adminConfirmedUserCompromised"
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue"
    # Evolvable members: sent only to callers that ask with Prefer: include-unknown-enum-members.
    M365D_ADMIN_DISMISSED_DETECTION = "m365DAdminDismissedDetection"
    ADMIN_CONFIRMED_SERVICE_PRINCIPAL_COMPROMISED = "adminConfirmedServicePrincipalCompromised"
    ADMIN_DISMISSED_ALL_RISK_FOR_SERVICE_PRINCIPAL = "adminDismissedAllRiskForServicePrincipal"
    USER_CHANGED_PASSWORD_ON_PREMISES = "userChangedPasswordOnPremises"
    ADMIN_DISMISSED_RISK_FOR_SIGN_IN = "adminDismissedRiskForSignIn"
    ADMIN_CONFIRMED_ACCOUNT_SAFE = "adminConfirmedAccountSafe"
    MICROSOFT_REVOKED_SESSIONS = "microsoftRevokedSessions"
    # Beta's agent members (Graph's beta enum lists them before microsoftRevokedSessions; the
    # wire carries names, so the order here only keeps stored codes stable).
    ADMIN_CONFIRMED_AGENT_SAFE = "adminConfirmedAgentSafe"
    ADMIN_CONFIRMED_AGENT_COMPROMISED = "adminConfirmedAgentCompromised"
    ADMIN_DISMISSED_RISK_FOR_AGENT = "adminDismissedRiskForAgent"


class RiskDetectionTimingType(StrEnum):
    NOT_DEFINED = "notDefined"
    REALTIME = "realtime"
    NEAR_REALTIME = "nearRealtime"
    OFFLINE = "offline"
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue"


class ActivityType(StrEnum):
    SIGNIN = "signin"
    USER = "user"
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue"
    SERVICE_PRINCIPAL = "servicePrincipal"


class TokenIssuerType(StrEnum):
    AZURE_AD = "AzureAD"
    AD_FEDERATION_SERVICES = "ADFederationServices"
    UNKNOWN_FUTURE_VALUE = "UnknownFutureValue"
    AZURE_AD_BACKUP_AUTH = "AzureADBackupAuth"
    AD_FEDERATION_SERVICES_MFA_ADAPTER = "ADFederationServicesMFAAdapter"
    NPS_EXTENSION = "NPSExtension"


class AgentIdentityType(StrEnum):
    """What kind of identity a risky agent is (beta); its riskyAgent subtype follows from it."""

    AGENT_IDENTITY = "agentIdentity"
    AGENT_USER = "agentUser"
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue"
    AGENT_IDENTITY_BLUEPRINT_PRINCIPAL = "agentIdentityBlueprintPrincipal"


class RiskEventType(StrEnum):
    """The deprecated enum type (beta riskDetection.riskType, riskUserActivity.eventTypes).

    riskDetection.riskEventType itself is an open-ended string.
    """

    UNLIKELY_TRAVEL = "unlikelyTravel"
    ANONYMIZED_IP_ADDRESS = "anonymizedIPAddress"
    MALICIOUS_IP_ADDRESS = "maliciousIPAddress"
    UNFAMILIAR_FEATURES = "unfamiliarFeatures"
    MALWARE_INFECTED_IP_ADDRESS = "malwareInfectedIPAddress"
    SUSPICIOUS_IP_ADDRESS = "suspiciousIPAddress"
    LEAKED_CREDENTIALS = "leakedCredentials"
    INVESTIGATIONS_THREAT_INTELLIGENCE = "investigationsThreatIntelligence"
    GENERIC = "generic"
    ADMIN_CONFIRMED_USER_COMPROMISED = "adminConfirmedUserCompromised"
    MCAS_IMPOSSIBLE_TRAVEL = "mcasImpossibleTravel"
    MCAS_SUSPICIOUS_INBOX_MANIPULATION_RULES = "mcasSuspiciousInboxManipulationRules"
    INVESTIGATIONS_THREAT_INTELLIGENCE_SIGNIN_LINKED = (
        "investigationsThreatIntelligenceSigninLinked"
    )
    MALICIOUS_IP_ADDRESS_VALID_CREDENTIALS_BLOCKED_IP = (
        "maliciousIPAddressValidCredentialsBlockedIP"
    )
    UNKNOWN_FUTURE_VALUE = "unknownFutureValue"


def _evolvable(enum_type: type[StrEnum]) -> dict[StrEnum, StrEnum]:
    """Each member declared after the unknownFutureValue sentinel, mapped to that sentinel."""
    members = list(enum_type)
    sentinel = next(m for m in members if m.value.lower() == "unknownfuturevalue")
    return dict.fromkeys(members[members.index(sentinel) + 1 :], sentinel)


# Evolvable members (graph-facts 3) and what callers without
# `Prefer: include-unknown-enum-members` see instead of them.
# Keyed by (type, member): members of different types with the same string compare equal.
EVOLVABLE: dict[tuple[type[StrEnum], StrEnum], StrEnum] = {
    (enum_type, member): sentinel
    for enum_type in (
        RiskLevel,
        RiskState,
        RiskDetail,
        RiskDetectionTimingType,
        ActivityType,
        TokenIssuerType,
        AgentIdentityType,
    )
    for member, sentinel in _evolvable(enum_type).items()
}

# Ordering used to aggregate detections into a user's level; hidden/none carry no severity.
SEVERITY: dict[RiskLevel, int] = {RiskLevel.LOW: 1, RiskLevel.MEDIUM: 2, RiskLevel.HIGH: 3}

# riskEventType strings that only P2 tenants see by name (graph-facts 3.8, "premium" tier).
NONPREMIUM_RISK_EVENT_TYPES = frozenset(
    {
        "generic",
        "adminConfirmedUserCompromised",
        "anonymizedIPAddress",
        "investigationsThreatIntelligence",
        "leakedCredentials",
    }
)
