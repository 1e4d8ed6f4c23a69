"""The detectors' thresholds: defaults, and where each comes from (docs/risk-engine.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class EngineSettings:
    # Learning: a user's behaviour is known after this many sign-ins or this long since the
    # first (Entra's atypical travel: 10 sign-ins or 14 days, whichever comes first).
    learning_sign_ins: int = 10
    learning_period: timedelta = timedelta(days=14)
    # Unfamiliar sign-in properties learns at least this long (Entra: 5 days).
    familiarity_period: timedelta = timedelta(days=5)
    # Unlikely travel: faster than an airliner between two successful sign-ins, over a distance
    # that IP geolocation error does not explain.
    travel_speed_kmh: float = 900.0
    travel_min_km: float = 500.0
    # Password spray: at least this many accounts failing from one IP within the window, and
    # more of them failing than succeeding (the well-known SIEM rule: 5 accounts, 20 minutes).
    spray_accounts: int = 5
    spray_window: timedelta = timedelta(minutes=20)
    # The failures a spray is made of: those the SIEM rule counts, a wrong password (50126), an
    # account locked by them (50053), an expired password (50055); and a name that is no
    # account (50034), since sprays run through lists of guessed names. Not a sign-in stopped
    # after its password was right (MFA required, 50074), nor a disabled account (50057).
    spray_failure_codes: frozenset[int] = frozenset({50034, 50053, 50055, 50126})
    # Events may arrive this late (event time) and are still evaluated against what came before.
    lateness: timedelta = timedelta(hours=1)


DEFAULT_SETTINGS = EngineSettings()
