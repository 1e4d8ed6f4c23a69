"""A labelled population of sign-ins, in Graph's signIn shape: weeks of each user's ordinary
behaviour, then a day with attacks injected, each event labelled with the riskEventType it
should raise (None for an ordinary one), and the threat lists that make the attacks findable.

Every user's day is drawn from (seed, user, date) alone, so the same seed gives the same
events, and a day can be drawn without the days before it. Attackers sign in after their
victim's last sign-in of the day: the victim's own next sign-in would otherwise be a second
finding of the same travel.
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from idprotect.domain.models import Location
from idprotect.engine.detectors.travel import distance_km
from idprotect.seeding.catalog import CITIES
from idprotect.seeding.sampling import guid_of, person

# Per user and day: a trip away starts (for one to three days); a typo precedes a sign-in.
TRIP_RATE = 0.004
_LONGEST_TRIP = 4  # days, the day out to the day back; the shortest is 2
TYPO_RATE = 0.03
# Attacks per labelled day, per 1,000 users, of each kind but the spray (at least _MIN_ATTACKS).
_ATTACKS_PER_1000 = 2
_MIN_ATTACKS = 5
_SPRAY_ACCOUNTS = (20, 40)
_BREACH_FILLER = 10_000  # digests in the breach list that none of the users has
_FLIGHT_KMH = 750.0  # door to door: slower than the unlikelyTravel threshold
_BAD_PASSWORD = 50126, "Invalid username or password or Invalid on-premise username or password."

# Address space by role; the roles never share a first octet, so only the attacks are listed.
_HOME_OCTETS = (24, 50, 67, 68, 71, 73, 76, 81, 82, 86, 88, 90, 98, 109, 151, 176, 188)
_OFFICE_OCTETS = (62, 80, 195, 212, 217)
_ATTACKER_OCTETS = (102, 154, 196)
_TOR_NETWORKS = ("185.220.100", "185.220.101", "185.220.102", "171.25.193", "199.249.230")
_MALICIOUS_OCTETS = (45, 91, 193, 194)
_APPS = (
    ("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome"),
    ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
    ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
)


@dataclass(frozen=True, slots=True)
class Device:
    browser: str
    operating_system: str
    user_agent: str


DEVICES = (
    Device("Edge 122.0.0", "Windows10", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edg/122.0"),
    Device("Chrome 121.0.0", "Windows10", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/121"),
    Device("Safari 17.3", "MacOs", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605"),
    Device("Mobile Safari 17.3", "Ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3) Mobile/15E148"),
    Device("Chrome Mobile 122.0", "Android", "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/122"),
)
_ATTACKER_DEVICES = (
    Device("Firefox 115.0", "Linux", "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Firefox/115.0"),
    Device("Python Requests 2.31", "Linux", "python-requests/2.31.0"),
)


@dataclass(frozen=True, slots=True)
class LabelledSignIn:
    """A signIn as Graph writes it (camelCase JSON), and the riskEventType it should raise."""

    event: dict[str, object]
    attack: str | None


@dataclass(frozen=True, slots=True)
class ThreatFeeds:
    """What to load before the sign-ins: the anonymizer and malicious lists and the breach
    corpus (upper-case SHA-1 digests)."""

    anonymizers: tuple[str, ...]
    malicious: tuple[str, ...]
    leaked: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Profile:
    """One user's habits."""

    index: int
    id: str
    name: str
    upn: str
    home: Location
    home_network: str  # a.b.c: the /24 their ISP gives them
    office_network: str | None  # the /24 of their city's office, for those who go in
    devices: tuple[Device, ...]
    day_starts: timedelta  # their working day, in UTC (home longitude's time zone)
    per_day: int
    credential: str  # SHA-1 of their password


@dataclass(frozen=True, slots=True)
class _Trip:
    first: int  # date ordinals, the day out and the day back
    last: int
    to: Location
    network: str


def profiles(users: int, seed: int) -> list[Profile]:
    return [_profile(index, seed) for index in range(users)]


def _profile(index: int, seed: int) -> Profile:
    rng = random.Random(f"{seed}:user:{index}")
    city_index = rng.randrange(len(CITIES))
    home = CITIES[city_index]
    name, upn = person(index)
    assert home.longitude is not None
    office_network = None
    if rng.random() < 0.6:
        office_network = f"{_OFFICE_OCTETS[city_index % 5]}.{seed % 200 + 10}.{city_index}"
    devices = tuple(rng.sample(DEVICES, rng.choice((1, 2, 2))))
    return Profile(
        index=index,
        id=guid_of(rng.getrandbits(128)),
        name=name,
        upn=upn,
        home=home,
        home_network=_network(rng, _HOME_OCTETS),
        office_network=office_network,
        devices=devices,
        day_starts=timedelta(hours=(8 - home.longitude / 15) % 24 + rng.uniform(-1, 1.5)),
        per_day=rng.choice((2, 3, 3, 4, 5, 6)),
        credential=_sha1(f"{seed}:{index}:password"),
    )


def _network(rng: random.Random, octets: tuple[int, ...]) -> str:
    return f"{rng.choice(octets)}.{rng.randrange(256)}.{rng.randrange(256)}"


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest().upper()


def _trip(profile: Profile, ordinal: int, seed: int) -> _Trip | None:
    """The trip the user is on that day, if any: one starts with TRIP_RATE a day, unless one
    may have started in the days before (the user would fly from one trip to the next without
    the flight home)."""
    for first in range(ordinal - _LONGEST_TRIP, ordinal + 1):
        if not _trip_starts(profile.index, first, seed):
            continue
        rng = _rng(seed, profile.index, first, tag=1)
        last = first + 2 + rng.randrange(_LONGEST_TRIP - 1)
        to = rng.choice(CITIES)
        if last >= ordinal and to is not profile.home:
            return _Trip(first, last, to, _network(rng, _HOME_OCTETS))
    return None


def history_days(
    users: int, start: datetime, days: int, seed: int
) -> Iterator[list[LabelledSignIn]]:
    """The `days` ordinary days before `start`, oldest first, one list (in time order) each."""
    population = profiles(users, seed)
    for back in range(days, 0, -1):
        day = start - timedelta(days=back)
        yield [LabelledSignIn(e, None) for _, e in _ordinary_day(population, day, seed)]


def _ordinary_day(
    population: list[Profile], day: datetime, seed: int
) -> list[tuple[datetime, dict[str, object]]]:
    events = [e for p in population for e in _user_day(p, day, seed)]
    events.sort(key=lambda e: e[0])
    return events


def _trip_starts(index: int, first: int, seed: int) -> bool:
    if _chance(seed, index, first) >= TRIP_RATE:
        return False
    earlier = range(first - _LONGEST_TRIP - 1, first)
    return all(_chance(seed, index, day) >= TRIP_RATE for day in earlier)


def _chance(seed: int, index: int, ordinal: int) -> float:
    """A uniform draw in [0, 1) of one user's day: a hash is quicker than seeding a Random."""
    material = f"{seed}:{index}:{ordinal}".encode()
    return int.from_bytes(hashlib.blake2b(material, digest_size=7).digest()) / 2**56


def _rng(seed: int, index: int, ordinal: int, *, tag: int) -> random.Random:
    """The draws of one user's day (tag 0) or trip (tag 1): an int seed is quick to set."""
    return random.Random((((seed << 40) | index) << 24 | ordinal) << 2 | tag)


def _user_day(
    profile: Profile, day: datetime, seed: int
) -> list[tuple[datetime, dict[str, object]]]:
    """One user's sign-ins of one day: a few in working hours (none or one at the weekend),
    from home or the office, or on a trip (flying at a plausible speed), some after a typo."""
    ordinal = day.toordinal()
    rng = _rng(seed, profile.index, ordinal, tag=0)
    if day.weekday() < 5:
        count = max(1, profile.per_day + rng.randint(-1, 1))
    else:
        count = rng.choice((0, 0, 1))
    opens = day + profile.day_starts
    times = sorted(opens + timedelta(hours=rng.uniform(0, 9)) for _ in range(count))
    trip = _trip(profile, ordinal, seed)
    events: list[tuple[datetime, dict[str, object]]] = []
    for at in times:
        at, place, ip = _whereabouts(profile, rng, at, opens, trip, ordinal)
        device = rng.choice(profile.devices)
        if rng.random() < TYPO_RATE:
            typo = _sha1(f"{seed}:{profile.index}:{at.isoformat()}")
            before = at - timedelta(seconds=rng.uniform(20, 90))
            failed = _event(profile, rng, at=before, ip=ip, place=place, device=device)
            events.append((before, _failed(failed, typo)))
        event = _event(profile, rng, at=at, ip=ip, place=place, device=device)
        events.append((at, event))
    return events


def _whereabouts(
    profile: Profile,
    rng: random.Random,
    at: datetime,
    opens: datetime,
    trip: _Trip | None,
    ordinal: int,
) -> tuple[datetime, Location, str]:
    """Where the user is at `at` (later, if a flight came first), and from which address."""
    if trip is not None:
        flight = timedelta(hours=_flight_hours(profile.home, trip.to))
        hotel = f"{trip.network}.{rng.randrange(2, 254)}"
        leaves = opens + timedelta(hours=2)
        if ordinal == trip.first:
            return (
                (at, profile.home, _home_ip(profile, rng))
                if at < leaves
                else (
                    at + flight,
                    trip.to,
                    hotel,
                )
            )
        if ordinal < trip.last or at < leaves:
            return at, trip.to, hotel
        return at + flight, profile.home, _home_ip(profile, rng)
    if profile.office_network is not None and at.weekday() < 5 and rng.random() < 0.7:
        return at, profile.home, f"{profile.office_network}.{10 + rng.randrange(4)}"
    return at, profile.home, _home_ip(profile, rng)


def _home_ip(profile: Profile, rng: random.Random) -> str:
    return f"{profile.home_network}.{rng.randrange(2, 254)}"


def _flight_hours(a: Location, b: Location) -> float:
    km = distance_km(a, b) or 0.0
    return km / _FLIGHT_KMH + 2.0


def _event(
    profile: Profile,
    rng: random.Random,
    *,
    at: datetime,
    ip: str,
    place: Location,
    device: Device,
    credential: str | None = None,
) -> dict[str, object]:
    """A successful sign-in, as Graph's signIn JSON writes it."""
    app_id, app_name = _APPS[rng.randrange(len(_APPS))]
    return {
        "id": guid_of(rng.getrandbits(128)),
        "createdDateTime": f"{at:%Y-%m-%dT%H:%M:%S.%f}Z",
        "userId": profile.id,
        "userPrincipalName": profile.upn,
        "userDisplayName": profile.name,
        "appId": app_id,
        "appDisplayName": app_name,
        "ipAddress": ip,
        "clientAppUsed": "Browser",
        "userAgent": device.user_agent,
        "correlationId": guid_of(rng.getrandbits(128)),
        "location": {
            "city": place.city,
            "state": place.state,
            "countryOrRegion": place.country_or_region,
            "geoCoordinates": {"latitude": place.latitude, "longitude": place.longitude},
        },
        "deviceDetail": {"browser": device.browser, "operatingSystem": device.operating_system},
        "status": {"errorCode": 0, "failureReason": None},
        "isInteractive": True,
        "credentialHashes": [credential or profile.credential],
    }


def _failed(event: dict[str, object], credential: str) -> dict[str, object]:
    code, reason = _BAD_PASSWORD
    return {
        **event,
        "status": {"errorCode": code, "failureReason": reason},
        "credentialHashes": [credential],
    }


def threat_feeds(users: int, seed: int) -> ThreatFeeds:
    """The lists the attacks of `generated_day` are on: Tor exits, malicious ranges (/24s and
    /22s), and a breach corpus holding every user's reused password and many strangers'."""
    tor = tuple(f"{network}.{host}" for network in _TOR_NETWORKS for host in range(1, 201))
    leaked = [_reused(seed, index) for index in range(users)]
    leaked += [_sha1(f"{seed}:stranger:{i}") for i in range(_BREACH_FILLER)]
    return ThreatFeeds(tor, _malicious_ranges(seed), tuple(leaked))


def _malicious_ranges(seed: int) -> tuple[str, ...]:
    rng = random.Random(f"{seed}:malicious")
    ranges = set()
    for i in range(2_000):
        a, b = rng.choice(_MALICIOUS_OCTETS), rng.randrange(256)
        wide = i % 4 == 0
        c = rng.randrange(0, 256, 4 if wide else 1)
        ranges.add(f"{a}.{b}.{c}.0/{22 if wide else 24}")
    return tuple(sorted(ranges))


def _reused(seed: int, index: int) -> str:
    return _sha1(f"{seed}:{index}:reused")


def generated_day(users: int, start: datetime, seed: int) -> list[LabelledSignIn]:
    """The day from `start`: every user's ordinary sign-ins, and the attacks, in time order.

    Victims are users who signed in that day and made no trip for a month (what they have seen
    is then their home country and devices); each is attacked once."""
    population = profiles(users, seed)
    days = {p.index: _user_day(p, start, seed) for p in population}
    labels: dict[str, str] = {}
    rng = random.Random(f"{seed}:attacks:{start.toordinal()}")
    pool = [p for p in population if _quiet(p, days[p.index], start, seed)]
    rng.shuffle(pool)
    count = max(_MIN_ATTACKS, users * _ATTACKS_PER_1000 // 1000)
    attacks = (
        _unlikely_travel,
        _anonymized,
        _malicious,
        _leaked,
        _new_country,
        _unfamiliar,
    )
    for attack in attacks:
        for victim in [pool.pop() for _ in range(min(count, len(pool)))]:
            days[victim.index] = attack(victim, days[victim.index], rng, labels, seed)
    for _ in range(max(1, users // 5_000)):
        taken = [pool.pop() for _ in range(min(rng.randint(*_SPRAY_ACCOUNTS), len(pool)))]
        for target, event in _spray(taken, days, start, rng, labels):
            days[target.index].append(event)
    events = sorted((e for day in days.values() for e in day), key=lambda e: e[0])
    return [LabelledSignIn(e, labels.get(str(e["id"]))) for _, e in events]


def _quiet(
    profile: Profile, day: list[tuple[datetime, dict[str, object]]], start: datetime, seed: int
) -> bool:
    if not any(_succeeded(e) for _, e in day):
        return False
    ordinal = start.toordinal()
    return all(_trip(profile, o, seed) is None for o in range(ordinal - 30, ordinal + 1))


def _succeeded(event: dict[str, object]) -> bool:
    status = event["status"]
    return isinstance(status, dict) and status["errorCode"] == 0


Day = list[tuple[datetime, dict[str, object]]]


def _attacker(
    victim: Profile,
    rng: random.Random,
    *,
    at: datetime,
    ip: str,
    place: Location,
    device: Device,
    fails: bool = False,
) -> tuple[datetime, dict[str, object]]:
    event = _event(victim, rng, at=at, ip=ip, place=place, device=device)
    if fails:
        event = _failed(event, _sha1(f"guess:{event['id']}"))
    return at, event


def _attacker_ip(rng: random.Random) -> str:
    return f"{_network(rng, _ATTACKER_OCTETS)}.{rng.randrange(2, 254)}"


def _unlikely_travel(
    victim: Profile, day: Day, rng: random.Random, labels: dict[str, str], seed: int
) -> Day:
    """A success an hour after the user's last one at home, at least 3,000 km away."""
    last = max(at for at, e in day if _succeeded(e))
    far = [c for c in CITIES if (distance_km(victim.home, c) or 0) >= 3_000]
    at = last + timedelta(minutes=rng.uniform(50, 70))
    device = rng.choice(victim.devices)
    attack = _attacker(
        victim, rng, at=at, ip=_attacker_ip(rng), place=rng.choice(far), device=device
    )
    labels[str(attack[1]["id"])] = "unlikelyTravel"
    return [*_until(day, at), attack]


def _until(day: Day, at: datetime) -> Day:
    return [(t, e) for t, e in day if t < at]


def _later(day: Day, rng: random.Random) -> datetime:
    return max(at for at, _ in day) + timedelta(hours=rng.uniform(0.5, 3))


def _anonymized(
    victim: Profile, day: Day, rng: random.Random, labels: dict[str, str], seed: int
) -> Day:
    """A sign-in through a Tor exit (the exit's location), failing half the time."""
    ip = f"{rng.choice(_TOR_NETWORKS)}.{rng.randint(1, 200)}"
    device = _ATTACKER_DEVICES[0]
    attack = _attacker(
        victim,
        rng,
        at=_later(day, rng),
        ip=ip,
        place=rng.choice(CITIES),
        device=device,
        fails=rng.random() < 0.5,
    )
    labels[str(attack[1]["id"])] = "anonymizedIPAddress"
    return [*day, attack]


def _malicious(
    victim: Profile, day: Day, rng: random.Random, labels: dict[str, str], seed: int
) -> Day:
    """A sign-in from an address in a listed malicious range, failing half the time."""
    network = ipaddress.ip_network(rng.choice(_malicious_ranges(seed)))
    ip = str(network[rng.randrange(1, network.num_addresses - 1)])
    device = rng.choice(_ATTACKER_DEVICES)
    attack = _attacker(
        victim,
        rng,
        at=_later(day, rng),
        ip=ip,
        place=rng.choice(CITIES),
        device=device,
        fails=rng.random() < 0.5,
    )
    labels[str(attack[1]["id"])] = "maliciousIPAddress"
    return [*day, attack]


def _leaked(
    victim: Profile, day: Day, rng: random.Random, labels: dict[str, str], seed: int
) -> Day:
    """The user's password of the day is one they reused, and it is in the breach corpus."""
    reused = _reused(seed, victim.index)
    changed: Day = []
    for at, event in day:
        if _succeeded(event):
            event = {**event, "credentialHashes": [reused]}
            labels[str(event["id"])] = "leakedCredentials"
        changed.append((at, event))
    return changed


def _abroad(
    victim: Profile, day: Day, rng: random.Random, device: Device
) -> tuple[datetime, dict[str, object]]:
    """A success from a country the user never signed in from, reachable since their last."""
    elsewhere = [c for c in CITIES if c.country_or_region != victim.home.country_or_region]
    place = rng.choice(elsewhere)
    last = max(at for at, e in day if _succeeded(e))
    at = last + timedelta(hours=_flight_hours(victim.home, place) + rng.uniform(0.5, 2))
    return _attacker(victim, rng, at=at, ip=_attacker_ip(rng), place=place, device=device)


def _new_country(
    victim: Profile, day: Day, rng: random.Random, labels: dict[str, str], seed: int
) -> Day:
    """From a new country, on one of the user's own devices."""
    attack = _abroad(victim, day, rng, rng.choice(victim.devices))
    labels[str(attack[1]["id"])] = "newCountry"
    return [*_until(day, attack[0]), attack]


def _unfamiliar(
    victim: Profile, day: Day, rng: random.Random, labels: dict[str, str], seed: int
) -> Day:
    """From a new network and country, with a browser and an operating system the user never
    used."""
    browsers = {d.browser for d in victim.devices}
    systems = {d.operating_system for d in victim.devices}
    strangers = [
        d
        for d in (*DEVICES, *_ATTACKER_DEVICES)
        if d.browser not in browsers and d.operating_system not in systems
    ]
    attack = _abroad(victim, day, rng, rng.choice(strangers))
    labels[str(attack[1]["id"])] = "unfamiliarFeatures"
    return [*_until(day, attack[0]), attack]


def _spray(
    targets: list[Profile],
    days: dict[int, Day],
    start: datetime,
    rng: random.Random,
    labels: dict[str, str],
) -> Iterator[tuple[Profile, tuple[datetime, dict[str, object]]]]:
    """One address trying one password on each account seconds apart: all fail but, last, one
    account whose user had signed in for the day before the spray began."""
    ip, place, device = _attacker_ip(rng), rng.choice(CITIES), _ATTACKER_DEVICES[1]
    at = start + timedelta(hours=rng.uniform(2, 20))
    done = [t for t in targets if max(a for a, _ in days[t.index]) < at]
    lucky = done[0] if done else None
    order = [t for t in targets if t is not lucky] + ([lucky] if lucky else [])
    for target in order:
        at += timedelta(seconds=rng.uniform(3, 12))
        attack = _attacker(
            target, rng, at=at, ip=ip, place=place, device=device, fails=target is not lucky
        )
        labels[str(attack[1]["id"])] = "passwordSpray"
        yield target, attack
