"""Fixed tables the seeders draw from: names, cities, user agents, detection kinds, analysts."""

from __future__ import annotations

from dataclasses import dataclass

from idprotect.domain.enums import ActivityType, RiskDetectionTimingType, RiskLevel
from idprotect.domain.models import Location

FIRST_NAMES = (
    "Adele", "Alex", "Allan", "Amara", "Ana", "Ben", "Carlos", "Chen", "Chloe", "Daniel",
    "Diego", "Elena", "Emily", "Fatima", "Grady", "Hana", "Henrietta", "Isaiah", "Ivan", "Jana",
    "Johanna", "Joni", "Kenji", "Laura", "Lee", "Lidia", "Lynne", "Malik", "Megan", "Miriam",
    "Nestor", "Nina", "Omar", "Patti", "Pradeep", "Priya", "Raul", "Sakura", "Sofia", "Tom",
)  # fmt: skip

LAST_NAMES = (
    "Adams", "Andersen", "Bowen", "Brown", "Costa", "Dubois", "Fernandez", "Garcia", "Gonzalez",
    "Gupta", "Hansen", "Ito", "Jensen", "Kim", "Kowalski", "Lambert", "Lopez", "Martin",
    "Moreau", "Muller", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Patel", "Petrov",
    "Rossi", "Schmidt", "Silva", "Singh", "Smith", "Sokolov", "Tanaka", "Taylor", "Vance",
    "Wagner", "Wilke", "Wong", "Zhang",
)  # fmt: skip

DOMAIN = "contoso.com"


def _city(name: str, state: str, country: str, latitude: float, longitude: float) -> Location:
    return Location(
        city=name, state=state, country_or_region=country, latitude=latitude, longitude=longitude
    )


CITIES = (
    _city("Seattle", "Washington", "US", 47.6062, -122.3321),
    _city("Redmond", "Washington", "US", 47.674, -122.1215),
    _city("New York", "New York", "US", 40.7128, -74.006),
    _city("Chicago", "Illinois", "US", 41.8781, -87.6298),
    _city("Austin", "Texas", "US", 30.2672, -97.7431),
    _city("Toronto", "Ontario", "CA", 43.6532, -79.3832),
    _city("Sao Paulo", "Sao Paulo", "BR", -23.5505, -46.6333),
    _city("London", "England", "GB", 51.5074, -0.1278),
    _city("Dublin", "Dublin", "IE", 53.3498, -6.2603),
    _city("Paris", "Ile-de-France", "FR", 48.8566, 2.3522),
    _city("Lyon", "Auvergne-Rhone-Alpes", "FR", 45.764, 4.8357),
    _city("Berlin", "Berlin", "DE", 52.52, 13.405),
    _city("Amsterdam", "Noord-Holland", "NL", 52.3676, 4.9041),
    _city("Warsaw", "Mazowieckie", "PL", 52.2297, 21.0122),
    _city("Lagos", "Lagos", "NG", 6.5244, 3.3792),
    _city("Johannesburg", "Gauteng", "ZA", -26.2041, 28.0473),
    _city("Mumbai", "Maharashtra", "IN", 19.076, 72.8777),
    _city("Singapore", "Singapore", "SG", 1.3521, 103.8198),
    _city("Tokyo", "Tokyo", "JP", 35.6762, 139.6503),
    _city("Sydney", "New South Wales", "AU", -33.8688, 151.2093),
)

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/121.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.3 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.6261.64 Mobile Safari/537.36",
    "python-requests/2.31.0",
)

# Public IPv4 prefixes reserved for documentation (RFC 5737): plausible, and nobody's address.
IP_PREFIXES = ("192.0.2", "198.51.100", "203.0.113")


@dataclass(frozen=True, slots=True)
class DetectionKind:
    """A riskEventType (graph-facts 3.8) with how it is detected and how severe it tends to be."""

    risk_event_type: str
    timing: RiskDetectionTimingType
    activity: ActivityType
    # Weights of low, medium, high.
    level_weights: tuple[int, int, int]
    # How often it occurs, relative to the other kinds.
    weight: int
    source: str = "IdentityProtection"


_REAL = RiskDetectionTimingType.REALTIME
_NEAR = RiskDetectionTimingType.NEAR_REALTIME
_OFF = RiskDetectionTimingType.OFFLINE
_SIGNIN = ActivityType.SIGNIN
_USER = ActivityType.USER

DETECTION_KINDS = (
    DetectionKind("unfamiliarFeatures", _REAL, _SIGNIN, (7, 3, 0), 22),
    DetectionKind("anonymizedIPAddress", _REAL, _SIGNIN, (4, 6, 0), 14),
    DetectionKind("unlikelyTravel", _OFF, _SIGNIN, (4, 5, 1), 10),
    DetectionKind("mcasImpossibleTravel", _OFF, _SIGNIN, (3, 6, 1), 4),
    DetectionKind("newCountry", _OFF, _SIGNIN, (8, 2, 0), 5),
    DetectionKind("maliciousIPAddress", _OFF, _SIGNIN, (2, 6, 2), 5),
    DetectionKind("riskyIPAddress", _OFF, _SIGNIN, (6, 4, 0), 3),
    DetectionKind("passwordSpray", _OFF, _SIGNIN, (1, 5, 4), 4),
    DetectionKind("suspiciousBrowser", _OFF, _SIGNIN, (4, 6, 0), 3),
    DetectionKind("anomalousToken", _NEAR, _SIGNIN, (2, 6, 2), 4),
    DetectionKind("tokenIssuerAnomaly", _OFF, _SIGNIN, (0, 4, 6), 1),
    DetectionKind("attackerinTheMiddle", _OFF, _SIGNIN, (0, 3, 7), 1),
    DetectionKind("nationStateIP", _REAL, _SIGNIN, (0, 2, 8), 1),
    DetectionKind("leakedCredentials", _OFF, _USER, (0, 4, 6), 8),
    DetectionKind("investigationsThreatIntelligence", _OFF, _USER, (0, 4, 6), 3),
    DetectionKind("anomalousUserActivity", _OFF, _USER, (3, 6, 1), 3),
    DetectionKind("userReportedSuspiciousActivity", _OFF, _SIGNIN, (3, 6, 1), 2, "EndUserReported"),
)

_SERVICE_PRINCIPAL = ActivityType.SERVICE_PRINCIPAL

# Workload identity detections (Entra: all offline).
SERVICE_PRINCIPAL_DETECTION_KINDS = (
    DetectionKind("suspiciousSignins", _OFF, _SIGNIN, (2, 6, 2), 20),
    DetectionKind("investigationsThreatIntelligence", _OFF, _SERVICE_PRINCIPAL, (0, 4, 6), 8),
    DetectionKind("leakedCredentials", _OFF, _SERVICE_PRINCIPAL, (0, 2, 8), 12),
    DetectionKind("maliciousApplication", _OFF, _SERVICE_PRINCIPAL, (0, 3, 7), 4),
    DetectionKind("suspiciousApplication", _OFF, _SERVICE_PRINCIPAL, (3, 6, 1), 8),
    DetectionKind("anomalousServicePrincipalActivity", _OFF, _SERVICE_PRINCIPAL, (4, 5, 1), 10),
    DetectionKind("suspiciousAPITraffic", _OFF, _SERVICE_PRINCIPAL, (3, 6, 1), 8),
)

# Agent detections (Entra: all offline); their activity is not part of Graph's shape.
AGENT_DETECTION_KINDS = (
    DetectionKind("unfamiliarResourceAccess", _OFF, _USER, (3, 6, 1), 20, "activeDirectory"),
    DetectionKind("signInSpike", _OFF, _USER, (4, 5, 1), 14, "activeDirectory"),
    DetectionKind("failedAccessAttempt", _OFF, _USER, (5, 4, 1), 12, "activeDirectory"),
    DetectionKind("riskyUserSignIn", _OFF, _USER, (2, 5, 3), 8, "activeDirectory"),
    DetectionKind("threatIntelligenceAccount", _OFF, _USER, (0, 3, 7), 4, "activeDirectory"),
)

# What each agent detection says happened (riskEvidence).
AGENT_EVIDENCE = {
    "unfamiliarResourceAccess": "Agent targeted resources that it does not usually access.",
    "signInSpike": "Agent signed in far more often than it usually does.",
    "failedAccessAttempt": "Agent made repeated failed attempts to access resources.",
    "riskyUserSignIn": "Agent acted on behalf of a user whose sign-in was risky.",
    "threatIntelligenceAccount": "Threat intelligence associates the agent with an attack.",
}

APP_NAMES = (
    "Payroll Sync", "CRM Connector", "Build Pipeline", "Backup Service", "Meeting Bot",
    "Invoice Reader", "Onboarding Flow", "Data Lake Loader", "Key Rotation Job", "Ticket Bridge",
    "Marketing Mailer", "Inventory API", "Expense Importer", "Log Shipper", "Badge System",
    "Travel Booking", "Survey Collector", "Archive Mover", "Report Scheduler", "Chat Relay",
)  # fmt: skip
SERVICE_PRINCIPAL_TYPES = ("Application", "Application", "Application", "ManagedIdentity")

AGENT_NAMES = (
    "Ask HR Agent", "Expense Helper", "IT Helpdesk Agent", "Sales Research Agent",
    "Contract Reviewer", "Meeting Notes Agent", "Procurement Agent", "Onboarding Buddy",
    "Security Triage Agent", "Code Review Agent", "Travel Planner", "Knowledge Base Agent",
)  # fmt: skip

LEVELS = (RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH)

# The security analysts who act on risky users in the demo tenant: (object id, name).
ANALYSTS = (
    ("5a3f1c2e-8b7d-4e6a-9c1f-2d3e4f5a6b7c", "Megan Bowen"),
    ("b8e2d4f6-1a3c-4e5b-8d7f-9a0b1c2d3e4f", "Nestor Wilke"),
    ("0c9d8e7f-6a5b-4c3d-8e1f-0a9b8c7d6e5f", "Adele Vance"),
)
