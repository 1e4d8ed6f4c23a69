"""unlikelyTravel: two successful sign-ins of a user farther apart than travel allows."""

from __future__ import annotations

import math
from datetime import timedelta

from idprotect.domain.enums import RiskDetectionTimingType, RiskLevel
from idprotect.domain.models import Location
from idprotect.domain.signins import SignIn
from idprotect.engine.detectors.learning import has_learned
from idprotect.engine.findings import Context, Finding
from idprotect.engine.settings import EngineSettings

_EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)


def distance_km(a: Location, b: Location) -> float | None:
    """The great-circle (haversine) distance, or None without both coordinates."""
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    lat1, lon1 = math.radians(a.latitude), math.radians(a.longitude)
    lat2, lon2 = math.radians(b.latitude), math.radians(b.longitude)
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def travel_horizon(settings: EngineSettings) -> timedelta:
    """How far back a previous sign-in can be and still be too far to travel from: half the
    Earth's circumference at the threshold speed. An earlier one never finds anything."""
    return timedelta(hours=math.pi * _EARTH_RADIUS_KM / settings.travel_speed_kmh)


def unlikely_travel(sign_in: SignIn, context: Context) -> list[Finding]:
    """Offline, on the later of the two sign-ins, once the user's travel is learned; medium, or
    high when the speed is more than four times the threshold."""
    if not sign_in.succeeded or sign_in.location is None:
        return []
    since = sign_in.created_at - travel_horizon(context.settings)
    previous = context.history.previous_success(sign_in, since)
    if previous is None or previous.location is None:
        return []
    km = distance_km(previous.location, sign_in.location)
    if km is None or km < context.settings.travel_min_km:
        return []
    if not has_learned(context, sign_in.principal_id, sign_in.created_at):
        return []
    hours = (sign_in.created_at - previous.created_at).total_seconds() / 3600
    speed = km / hours if hours > 0 else math.inf
    threshold = context.settings.travel_speed_kmh
    if speed <= threshold:
        return []
    level = RiskLevel.HIGH if speed > 4 * threshold else RiskLevel.MEDIUM
    reasons = {
        "previousSignInId": previous.id,
        "previousLocation": _place(previous.location),
        "location": _place(sign_in.location),
        "distanceKm": f"{km:.0f}",
        "hours": f"{hours:.2f}",
        "speedKmh": "inf" if math.isinf(speed) else f"{speed:.0f}",
    }
    return [Finding("unlikelyTravel", level, RiskDetectionTimingType.OFFLINE, reasons)]


def _place(location: Location) -> str:
    return ", ".join(p for p in (location.city, location.country_or_region) if p)
