"""anonymizedIPAddress and maliciousIPAddress (users), investigationsThreatIntelligence
(service principals): the sign-in's address is on a threat list."""

from __future__ import annotations

from idprotect.domain.enums import RiskDetectionTimingType, RiskLevel
from idprotect.domain.signins import SignIn
from idprotect.engine.findings import Context, Finding


def anonymized_ip_address(sign_in: SignIn, context: Context) -> list[Finding]:
    """Real time, medium: an anonymizer (a Tor exit node, an anonymous proxy) hides who
    signs in; Entra raises it on success and on failure alike."""
    ip = sign_in.ip_address
    if ip is None or not context.lists.is_anonymizer(ip):
        return []
    reasons = {"ipAddress": ip, "list": "anonymizer"}
    return [
        Finding("anonymizedIPAddress", RiskLevel.MEDIUM, RiskDetectionTimingType.REALTIME, reasons)
    ]


def malicious_ip_address(sign_in: SignIn, context: Context) -> list[Finding]:
    """Offline: high on a success from a listed range, medium on a failure."""
    ip = sign_in.ip_address
    network = context.lists.malicious_range(ip) if ip is not None else None
    if ip is None or network is None:
        return []
    reasons = {"ipAddress": ip, "range": network}
    timing = RiskDetectionTimingType.OFFLINE
    return [Finding("maliciousIPAddress", _level(sign_in), timing, reasons)]


def investigations_threat_intelligence(sign_in: SignIn, context: Context) -> list[Finding]:
    """Offline, for workload identities: a sign-in from an address on the malicious or the
    anonymizer list (Entra's threat intelligence has both); high on a success, medium on a
    failure."""
    ip = sign_in.ip_address
    if ip is None:
        return []
    network = context.lists.malicious_range(ip)
    if network is not None:
        reasons = {"ipAddress": ip, "list": "malicious", "range": network}
    elif context.lists.is_anonymizer(ip):
        reasons = {"ipAddress": ip, "list": "anonymizer"}
    else:
        return []
    timing = RiskDetectionTimingType.OFFLINE
    return [Finding("investigationsThreatIntelligence", _level(sign_in), timing, reasons)]


def _level(sign_in: SignIn) -> RiskLevel:
    return RiskLevel.HIGH if sign_in.succeeded else RiskLevel.MEDIUM
