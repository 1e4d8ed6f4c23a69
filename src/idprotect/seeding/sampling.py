"""Seeded draws from the catalog: ids, names, IP addresses, detection kinds, levels and delays."""

from __future__ import annotations

import itertools
import json
import random
from datetime import timedelta

from idprotect.domain.enums import RiskDetectionTimingType, RiskLevel
from idprotect.domain.models import Location
from idprotect.seeding.catalog import (
    AGENT_DETECTION_KINDS,
    CITIES,
    DETECTION_KINDS,
    DOMAIN,
    FIRST_NAMES,
    IP_PREFIXES,
    LAST_NAMES,
    LEVELS,
    SERVICE_PRINCIPAL_DETECTION_KINDS,
    USER_AGENTS,
    DetectionKind,
)

# How many distinct first.last pairs there are before names take a number.
NAME_PAIRS = len(FIRST_NAMES) * len(LAST_NAMES)


def weighted(kinds: tuple[DetectionKind, ...]) -> tuple[DetectionKind, ...]:
    """Each kind repeated by its weight: a draw is one index."""
    return tuple(itertools.chain.from_iterable([kind] * kind.weight for kind in kinds))


USER_DETECTION_KINDS = weighted(DETECTION_KINDS)
# Each level repeated by its weight for a kind.
_LEVELS = {
    kind: tuple(
        itertools.chain.from_iterable(
            [level] * weight for level, weight in zip(LEVELS, kind.level_weights, strict=True)
        )
    )
    for kind in (*DETECTION_KINDS, *SERVICE_PRINCIPAL_DETECTION_KINDS, *AGENT_DETECTION_KINDS)
}
# Bits of a version 4 GUID that are fixed: the version nibble and the variant.
_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)
_IPS = tuple(f"{prefix}.{host}" for prefix in IP_PREFIXES for host in range(1, 255))
# Graph's additionalInfo is a JSON-encoded string of Key/Value pairs.
_SIGNIN_INFO = tuple(
    json.dumps([{"Key": "userAgent", "Value": agent}], separators=(",", ":"))
    for agent in USER_AGENTS
)
# How long after the risky activity each timing type reports it, in seconds (graph-facts 3.8).
_DELAYS = {
    RiskDetectionTimingType.REALTIME: (60, 600),
    RiskDetectionTimingType.NEAR_REALTIME: (600, 3_600),
    RiskDetectionTimingType.OFFLINE: (2 * 3_600, 48 * 3_600),
}


def guid(rng: random.Random) -> str:
    """A version 4 GUID drawn from `rng`, so the same seed gives the same ids."""
    return guid_of(rng.getrandbits(128))


def guid_of(bits: int) -> str:
    """The version 4 GUID made of 128 bits: str(uuid.UUID(int=bits, version=4)), faster."""
    h = ((bits & _V4_CLEAR) | _V4_SET).to_bytes(16).hex()  # a third faster than f"{...:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def detection_id(rng: random.Random) -> str:
    """64 hex characters, the shape of Graph's riskDetection ids."""
    return f"{rng.getrandbits(256):064x}"


def person(index: int) -> tuple[str, str]:
    """The display name and UPN of the `index`th person; distinct indices give distinct UPNs."""
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]
    number = index // NAME_PAIRS
    local = f"{first}.{last}".lower() + (str(number) if number else "")
    return f"{first} {last}", f"{local}@{DOMAIN}"


def public_ip(rng: random.Random) -> str:
    return _IPS[int(rng.random() * len(_IPS))]


def city(rng: random.Random) -> Location:
    return CITIES[int(rng.random() * len(CITIES))]


def signin_info(rng: random.Random) -> str:
    return _SIGNIN_INFO[int(rng.random() * len(_SIGNIN_INFO))]


def detection_kind(
    rng: random.Random, kinds: tuple[DetectionKind, ...] = USER_DETECTION_KINDS
) -> DetectionKind:
    """A users' detection kind, or one of `kinds` (made by `weighted`)."""
    return kinds[int(rng.random() * len(kinds))]


def risk_level(rng: random.Random, kind: DetectionKind) -> RiskLevel:
    levels = _LEVELS[kind]
    return levels[int(rng.random() * len(levels))]


def detection_delay(rng: random.Random, timing: RiskDetectionTimingType) -> timedelta:
    """How long before the risky activity was detected, fitting the timing type."""
    low, high = _DELAYS.get(timing, _DELAYS[RiskDetectionTimingType.OFFLINE])
    return timedelta(seconds=low + (high - low) * rng.random())
