"""newCountry, unfamiliarFeatures (users) and suspiciousSignins (service principals): a sign-in
unlike its principal's earlier ones. The two familiarity detectors are one rule over a set of
features each."""

from __future__ import annotations

import functools
import ipaddress
import socket
from dataclasses import dataclass
from datetime import datetime

from idprotect.domain.enums import RiskDetectionTimingType, RiskLevel
from idprotect.domain.signins import SignIn
from idprotect.engine.detectors.learning import has_learned
from idprotect.engine.findings import Context, Finding


# An office's or a carrier's addresses come back all day: each is parsed once.
@functools.lru_cache(maxsize=1 << 16)
def ip_prefix(ip_address: str | None) -> str | None:
    """The network an address is compared by: its /24 (IPv4) or /48 (IPv6); None if it is not
    an address."""
    if ip_address is None:
        return None
    # The C parser first (an address in normal form, as the engine stores them); ipaddress
    # for what only it reads (a zone index, say), with the same answer.
    for family, kept, bits in ((socket.AF_INET, 3, 24), (socket.AF_INET6, 6, 48)):
        try:
            packed = socket.inet_pton(family, ip_address)
        except (OSError, ValueError):
            continue
        network = packed[:kept] + bytes(len(packed) - kept)
        return f"{socket.inet_ntop(family, network)}/{bits}"
    try:
        address = ipaddress.ip_address(ip_address)
    except ValueError:
        return None
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


def features(sign_in: SignIn) -> dict[str, str | None]:
    """The properties the familiarity detectors compare, by ports.FEATURES' names."""
    location = sign_in.location
    return {
        "ip_prefix": ip_prefix(sign_in.ip_address),
        "country_or_region": location.country_or_region if location else None,
        "browser": sign_in.browser,
        "operating_system": sign_in.operating_system,
        "user_agent": sign_in.user_agent,
    }


@dataclass(frozen=True, slots=True)
class Unfamiliar:
    """A successful sign-in whose every known property among `features` (two known at least)
    is new for its principal, after learning and at least `familiarity_period` since the
    principal's first sign-in."""

    risk_event_type: str
    features: tuple[str, ...]
    level: RiskLevel
    timing: RiskDetectionTimingType

    def __call__(self, sign_in: SignIn, context: Context) -> list[Finding]:
        if not sign_in.succeeded:
            return []
        found = features(sign_in)
        known = {name: value for name in self.features if (value := found[name]) is not None}
        if len(known) < 2:
            return []
        history, at, principal = context.history, sign_in.created_at, sign_in.principal_id
        # The country first: newCountry asks the history the same, and a familiar one (most
        # sign-ins' country) settles it.
        asked = sorted(known.items(), key=lambda item: item[0] != "country_or_region")
        if any(history.seen(principal, at, name, value) for name, value in asked):
            return []
        if not _familiar_long_enough(context, principal, at):
            return []
        reasons = {f"new_{name}": value for name, value in known.items()}
        return [Finding(self.risk_event_type, self.level, self.timing, reasons)]


# Users: real time, medium (Entra's unfamiliar sign-in properties).
unfamiliar_features = Unfamiliar(
    "unfamiliarFeatures",
    ("ip_prefix", "country_or_region", "browser", "operating_system"),
    RiskLevel.MEDIUM,
    RiskDetectionTimingType.REALTIME,
)
# Service principals: offline, medium (Entra's suspicious sign-ins of workload identities).
suspicious_signins = Unfamiliar(
    "suspiciousSignins",
    ("ip_prefix", "country_or_region", "user_agent"),
    RiskLevel.MEDIUM,
    RiskDetectionTimingType.OFFLINE,
)


def new_country(sign_in: SignIn, context: Context) -> list[Finding]:
    """Offline, low: a successful sign-in from a country the user never signed in from, after
    learning."""
    country = sign_in.location.country_or_region if sign_in.location else None
    if not sign_in.succeeded or country is None:
        return []
    at = sign_in.created_at
    if context.history.seen(sign_in.principal_id, at, "country_or_region", country):
        return []
    if not has_learned(context, sign_in.principal_id, at):
        return []
    reasons = {"countryOrRegion": country}
    return [Finding("newCountry", RiskLevel.LOW, RiskDetectionTimingType.OFFLINE, reasons)]


def _familiar_long_enough(context: Context, principal_id: str, at: datetime) -> bool:
    """Learned (as has_learned), and at least `familiarity_period` since the principal's first
    sign-in: Entra's learning of unfamiliar properties lasts five days at the least, however
    many sign-ins come in them."""
    settings = context.settings
    count, first = context.history.learned(principal_id, at)
    if first is None or at - first < settings.familiarity_period:
        return False
    return count >= settings.learning_sign_ins or at - first >= settings.learning_period
