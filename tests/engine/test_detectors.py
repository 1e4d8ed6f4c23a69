"""Each detector on hand-built sequences over in-memory ports: thresholds exactly met and just
missed, learning, missing data, IPv6, and sign-ins evaluated against what came before them."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idprotect.domain.enums import ActivityType, RiskDetectionTimingType, RiskLevel
from idprotect.domain.models import Location
from idprotect.domain.signins import SignIn
from idprotect.engine.detectors.familiarity import ip_prefix, new_country, unfamiliar_features
from idprotect.engine.detectors.leaked import leaked_credentials
from idprotect.engine.detectors.learning import has_learned
from idprotect.engine.detectors.network import anonymized_ip_address, malicious_ip_address
from idprotect.engine.detectors.spray import password_spray
from idprotect.engine.detectors.travel import distance_km, travel_horizon, unlikely_travel
from idprotect.engine.findings import Finding
from idprotect.engine.settings import DEFAULT_SETTINGS
from tests.engine.fakes import (
    BOSTON,
    LONDON,
    NEW_YORK,
    PARIS,
    T0,
    FakeLists,
    context,
    kinds,
    sign_in,
)

US = timedelta(microseconds=1)
FAILED: dict[str, Any] = {"error_code": 50126}


def learned_history(count: int = 10, *, user: str = "user-1", **overrides: Any) -> list[SignIn]:
    """`count` sign-ins from New York, an hour apart, the last a day before T0."""
    start = T0 - timedelta(days=1, hours=count - 1)
    return [
        sign_in(f"{user}-h{i}", start + timedelta(hours=i), user_id=user, **overrides)
        for i in range(count)
    ]


# unlikelyTravel


def travel_pair(hours: float, *, to: Location = LONDON) -> tuple[SignIn, SignIn]:
    return sign_in("from", T0), sign_in("to", timedelta(hours=hours), location=to)


def test_travel_faster_than_an_airliner_is_found_on_the_later_sign_in() -> None:
    before, after = travel_pair(2)  # New York -> London (5,570 km) in 2 h

    found = unlikely_travel(after, context([*learned_history(), before, after]))

    assert kinds(found) == [("unlikelyTravel", "medium")]
    assert found[0].timing is RiskDetectionTimingType.OFFLINE
    assert found[0].reasons["previousSignInId"] == "s-from"
    assert found[0].reasons["location"] == "London, GB"
    assert found[0].reasons["distanceKm"] == "5570"
    assert unlikely_travel(before, context([*learned_history(), before, after])) == []


def test_travel_over_four_times_the_speed_is_high_and_at_one_moment_infinite() -> None:
    _, quick = travel_pair(1)  # 5,570 km/h > 4 x 900
    before, same_moment = travel_pair(0)

    assert kinds(unlikely_travel(quick, context([*learned_history(), before, quick]))) == [
        ("unlikelyTravel", "high")
    ]
    found = unlikely_travel(same_moment, context([*learned_history(), before, same_moment]))
    assert found[0].reasons["speedKmh"] == "inf"


def test_travel_exactly_at_the_speed_threshold_is_not_found_and_just_above_is() -> None:
    before, after = travel_pair(6)
    km = distance_km(NEW_YORK, LONDON)
    assert km is not None
    speed = km / ((after.created_at - before.created_at).total_seconds() / 3600)
    history = [*learned_history(), before, after]

    assert unlikely_travel(after, context(history, travel_speed_kmh=speed)) == []
    slower_limit = context(history, travel_speed_kmh=speed - 1e-6)
    assert kinds(unlikely_travel(after, slower_limit)) == [("unlikelyTravel", "medium")]


def test_travel_is_looked_for_as_far_back_as_the_antipodes_at_the_threshold_speed() -> None:
    """A previous sign-in within travel_horizon (half the Earth's circumference at the
    threshold) may be too far to reach; the history is asked no further back than that."""
    horizon = travel_horizon(DEFAULT_SETTINGS)
    assert horizon == timedelta(hours=math.pi * 6371.0088 / 900)  # 22.24 h
    antipodes = Location(city="Far", latitude=-40.7128, longitude=105.994)
    before = sign_in("from", T0)
    after = sign_in("to", horizon * 0.999, location=antipodes)
    history = [*learned_history(), before, after]

    assert kinds(unlikely_travel(after, context(history))) == [("unlikelyTravel", "medium")]
    later = sign_in("to", horizon + US, location=antipodes)
    assert context([before]).history.previous_success(later, later.created_at - horizon) is None


def test_travel_exactly_at_the_minimum_distance_is_found_and_just_under_is_not() -> None:
    before, after = travel_pair(0.1, to=BOSTON)  # 306 km in 6 minutes
    km = distance_km(NEW_YORK, BOSTON)
    assert km is not None
    history = [*learned_history(), before, after]

    assert kinds(unlikely_travel(after, context(history, travel_min_km=km))) == [
        ("unlikelyTravel", "medium")
    ]
    assert unlikely_travel(after, context(history, travel_min_km=km + 1e-6)) == []
    assert unlikely_travel(after, context(history)) == []  # 306 km < 500 km


def test_travel_compares_successful_sign_ins_only() -> None:
    before, after = travel_pair(1)
    failed_after = replace(after, **FAILED)
    failed_between = sign_in("between", timedelta(minutes=30), location=PARIS, **FAILED)

    assert unlikely_travel(failed_after, context([*learned_history(), before, failed_after])) == []
    found = unlikely_travel(after, context([*learned_history(), before, failed_between, after]))
    assert found[0].reasons["previousSignInId"] == "s-from"


@pytest.mark.parametrize(
    ("before_location", "after_location"),
    [
        (None, LONDON),
        (NEW_YORK, None),
        (Location(city="Somewhere", country_or_region="US"), LONDON),
        (NEW_YORK, Location(country_or_region="GB", latitude=51.5)),
    ],
)
def test_travel_without_both_coordinates_finds_nothing(
    before_location: Location | None, after_location: Location | None
) -> None:
    before = sign_in("from", T0, location=before_location)
    after = sign_in("to", timedelta(hours=1), location=after_location)

    assert unlikely_travel(after, context([*learned_history(), before, after])) == []


def test_travel_waits_for_learning_by_count_or_by_days() -> None:
    before, after = travel_pair(1)
    # Ten sign-ins before `after` (nine, plus `before`) within a day: learned by count.
    assert unlikely_travel(after, context([*learned_history(9), before, after])) != []
    assert unlikely_travel(after, context([*learned_history(8), before, after])) == []
    # Two sign-ins, the first exactly 14 days before: learned by days; a microsecond less, not.
    for first_at, learned in ((after.created_at - timedelta(days=14), True), (None, False)):
        first = sign_in("first", first_at or after.created_at - timedelta(days=14) + US)
        assert bool(unlikely_travel(after, context([first, before, after]))) is learned


def test_travel_of_a_late_sign_in_compares_with_what_came_before_it() -> None:
    # London at 12:00 arrived first; New York at 09:00, arriving late, follows New York at 08:00.
    early, late, london = (
        sign_in("early", T0),
        sign_in("late", timedelta(hours=1)),
        sign_in("london", timedelta(hours=4), location=LONDON),
    )
    history = [*learned_history(), early, london, late]

    assert unlikely_travel(late, context(history)) == []
    assert unlikely_travel(london, context(history))[0].reasons["previousSignInId"] == "s-late"


def test_travel_of_users_is_apart() -> None:
    before = sign_in("from", T0, user_id="user-2")
    _, after = travel_pair(1)

    assert unlikely_travel(after, context([*learned_history(), before, after])) == []


# anonymizedIPAddress and maliciousIPAddress


def test_an_anonymizer_is_found_on_success_and_on_failure_for_ipv4_and_ipv6() -> None:
    lists = FakeLists(anonymizers=["198.51.100.7/32", "2001:db8:dead::/48"])
    for ip in ("198.51.100.7", "2001:db8:dead:1::99"):
        for outcome in ({}, FAILED):
            found = anonymized_ip_address(
                sign_in(1, ip_address=ip, **outcome), context(lists=lists)
            )
            assert kinds(found) == [("anonymizedIPAddress", "medium")]
            assert found[0].timing is RiskDetectionTimingType.REALTIME
            assert found[0].reasons == {"ipAddress": ip, "list": "anonymizer"}


@pytest.mark.parametrize("ip", [None, "", "not-an-address", "198.51.100.8", "2001:db8:beef::1"])
def test_an_address_not_listed_or_missing_is_not_an_anonymizer(ip: str | None) -> None:
    lists = FakeLists(anonymizers=["198.51.100.7/32", "2001:db8:dead::/48"])

    assert anonymized_ip_address(sign_in(1, ip_address=ip), context(lists=lists)) == []
    assert malicious_ip_address(sign_in(1, ip_address=ip), context(lists=lists)) == []


def test_a_malicious_range_is_high_on_success_and_medium_on_failure() -> None:
    lists = FakeLists(malicious=["192.0.2.0/24", "2001:db8:bad::/48"])
    cases = [
        ("192.0.2.55", {}, "high", "192.0.2.0/24"),
        ("192.0.2.55", FAILED, "medium", "192.0.2.0/24"),
        ("2001:db8:bad:7::1", {}, "high", "2001:db8:bad::/48"),
    ]
    for ip, outcome, level, network in cases:
        found = malicious_ip_address(sign_in(1, ip_address=ip, **outcome), context(lists=lists))
        assert kinds(found) == [("maliciousIPAddress", level)]
        assert found[0].reasons == {"ipAddress": ip, "range": network}
        assert found[0].timing is RiskDetectionTimingType.OFFLINE


# newCountry


def test_a_new_country_after_learning_is_found_low_and_offline() -> None:
    paris = sign_in("paris", T0, location=PARIS, ip_address="192.0.2.1")

    found = new_country(paris, context([*learned_history(), paris]))

    assert kinds(found) == [("newCountry", "low")]
    assert found[0].reasons == {"countryOrRegion": "FR"}
    assert found[0].timing is RiskDetectionTimingType.OFFLINE


def test_a_country_seen_before_a_failure_or_an_unknown_country_is_not_new() -> None:
    history = [*learned_history(), sign_in("was", T0 - timedelta(days=3), location=PARIS)]
    cases = [
        sign_in("seen", T0, location=PARIS),
        sign_in("failed", T0, location=LONDON, **FAILED),
        sign_in("nowhere", T0, location=None),
        sign_in("no-country", T0, location=Location(city="Atlantis")),
    ]
    for case in cases:
        assert new_country(case, context([*history, case])) == [], case.id


def test_a_new_country_waits_for_learning() -> None:
    paris = sign_in("paris", T0, location=PARIS)

    assert new_country(paris, context([*learned_history(10), paris])) != []
    assert new_country(paris, context([*learned_history(9), paris])) == []
    assert new_country(paris, context([paris])) == []  # a user never seen before


def test_a_country_seen_only_after_the_sign_in_is_new() -> None:
    paris = sign_in("paris", T0, location=PARIS)
    later = sign_in("later", timedelta(hours=1), location=PARIS)

    assert new_country(paris, context([*learned_history(), paris, later])) != []
    assert new_country(later, context([*learned_history(), paris, later])) == []


# unfamiliarFeatures


def five_days_of_history(count: int = 10) -> list[SignIn]:
    start = T0 - timedelta(days=5)
    step = timedelta(days=5) / count
    return [sign_in(f"h{i}", start + i * step) for i in range(count)]


def stranger(n: str = "new", **overrides: Any) -> SignIn:
    values: dict[str, Any] = {
        "location": PARIS,
        "ip_address": "192.0.2.44",
        "browser": "Firefox 121",
        "operating_system": "Linux",
    }
    return sign_in(n, T0, **{**values, **overrides})


def test_a_sign_in_unlike_every_earlier_one_is_unfamiliar() -> None:
    new = stranger()

    found = unfamiliar_features(new, context([*five_days_of_history(), new]))

    assert kinds(found) == [("unfamiliarFeatures", "medium")]
    assert found[0].timing is RiskDetectionTimingType.REALTIME
    assert found[0].reasons == {
        "new_ip_prefix": "192.0.2.0/24",
        "new_country_or_region": "FR",
        "new_browser": "Firefox 121",
        "new_operating_system": "Linux",
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"ip_address": "203.0.113.200"},  # the same /24 as the history's
        {"location": NEW_YORK},
        {"browser": "Edge 120"},
        {"operating_system": "Windows 11"},
    ],
)
def test_one_familiar_property_makes_a_sign_in_familiar(overrides: dict[str, Any]) -> None:
    new = stranger(**overrides)

    assert unfamiliar_features(new, context([*five_days_of_history(), new])) == []


def test_unfamiliar_needs_two_known_properties_and_a_success() -> None:
    two_known = stranger(location=None, browser=None)
    one_known = stranger(location=None, browser=None, operating_system=None)
    failed = stranger(**FAILED)

    assert unfamiliar_features(two_known, context([*five_days_of_history(), two_known])) != []
    assert unfamiliar_features(one_known, context([*five_days_of_history(), one_known])) == []
    assert unfamiliar_features(failed, context([*five_days_of_history(), failed])) == []


def test_unfamiliar_learns_five_days_at_the_least_however_many_sign_ins() -> None:
    new = stranger()
    exactly = [sign_in("first", T0 - timedelta(days=5)), *learned_history(12)]
    short = [sign_in("first", T0 - timedelta(days=5) + US), *learned_history(12)]
    few = [sign_in("first", T0 - timedelta(days=6)), *learned_history(3)]

    assert unfamiliar_features(new, context([*exactly, new])) != []
    assert unfamiliar_features(new, context([*short, new])) == []
    # Five days, but neither ten sign-ins nor fourteen days: still learning.
    assert unfamiliar_features(new, context([*few, new])) == []


def _network_of(text: str) -> str | None:
    """ip_prefix's meaning, as the standard library says it."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    bits = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{bits}", strict=False))


@given(
    st.one_of(
        st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n))),
        st.integers(0, 2**128 - 1).map(lambda n: str(ipaddress.IPv6Address(n))),
        # Long runs of zeros (where "::" goes) and IPv4-mapped addresses.
        st.tuples(st.integers(0, 2**128 - 1), st.integers(0, 128)).map(
            lambda t: str(ipaddress.IPv6Address(t[0] >> t[1] << t[1]))
        ),
        st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv6Address(0xFFFF << 32 | n))),
    )
)
def test_an_address_prefix_is_the_standard_librarys(address: str) -> None:
    assert ip_prefix.__wrapped__(address) == _network_of(address)
    assert ip_prefix.__wrapped__(address.upper()) == _network_of(address)


@pytest.mark.parametrize(
    "text", ["fe80::1%eth0", "01.2.3.4", "1.2.3", "1.2.3.4 ", "", "x", "::", "::1"]
)
def test_odd_address_spellings_have_the_standard_librarys_prefix(text: str) -> None:
    assert ip_prefix.__wrapped__(text) == _network_of(text)


def test_ipv6_addresses_are_familiar_by_their_48_bit_prefix() -> None:
    history = [
        replace(s, ip_address="2001:db8:1:1::5", browser="Firefox 121")
        for s in five_days_of_history()
    ]
    same_48 = stranger(ip_address="2001:db8:1:ffff::9", browser="Safari")
    other_48 = stranger(ip_address="2001:db8:2::9", browser="Safari")

    assert ip_prefix("2001:db8:1:ffff::9") == "2001:db8:1::/48"
    assert unfamiliar_features(same_48, context([*history, same_48])) == []
    assert unfamiliar_features(other_48, context([*history, other_48])) != []


# passwordSpray


def spray(
    accounts: int, *, ip: str = "198.51.100.20", step: timedelta = timedelta(minutes=4)
) -> list[SignIn]:
    """`accounts` accounts failing from one address, one every `step`."""
    return [
        sign_in(f"sp{i}", i * step, user_id=f"victim-{i}", ip_address=ip, **FAILED)
        for i in range(accounts)
    ]


def sprayed_ids(found: list[Finding], evaluated: SignIn) -> list[str]:
    return [f.about(evaluated).id for f in found]


def test_five_accounts_failing_in_twenty_minutes_is_a_spray_of_each() -> None:
    sprayed = spray(5)  # 0, 4, 8, 12, 16 minutes

    found = password_spray(sprayed[-1], context(sprayed))

    assert kinds(found) == [("passwordSpray", "medium")] * 5
    # The accounts sprayed before the address was recognised are found too.
    assert sprayed_ids(found, sprayed[-1]) == ["s-sp0", "s-sp1", "s-sp2", "s-sp3", "s-sp4"]
    assert found[0].reasons == {
        "ipAddress": "198.51.100.20",
        "minFailedAccounts": "5",
        "windowMinutes": "20",
    }
    assert {f.timing for f in found} == {RiskDetectionTimingType.OFFLINE}


def test_four_accounts_are_no_spray() -> None:
    sprayed = spray(4)

    assert password_spray(sprayed[-1], context(sprayed)) == []


def test_the_window_holds_a_sign_in_exactly_twenty_minutes_before_and_not_one_earlier() -> None:
    inside = spray(5, step=timedelta(minutes=5))  # 0 ... 20 minutes
    outside = spray(5, step=timedelta(minutes=5) + US)

    assert len(password_spray(inside[-1], context(inside))) == 5
    assert password_spray(outside[-1], context(outside)) == []


@pytest.mark.parametrize(
    ("code", "counts"),
    [
        (50126, True),
        (50053, True),
        (50055, True),
        (50034, True),
        (50074, False),
        (50057, False),
        (50000, False),
    ],
)
def test_a_spray_is_made_of_password_failures(code: int, counts: bool) -> None:
    # Four wrong passwords, and a fifth account failing with `code`.
    sprayed = spray(5)
    sprayed[-1] = replace(sprayed[-1], error_code=code)

    assert bool(password_spray(sprayed[-1], context(sprayed))) is counts


def test_a_failure_that_is_not_a_password_failure_is_still_sprayed_in_a_spray() -> None:
    # MFA stopped the sixth account: its password was right, from the spraying address.
    sprayed = [
        *spray(5),
        sign_in(
            "mfa",
            timedelta(minutes=17),
            user_id="victim-9",
            ip_address="198.51.100.20",
            error_code=50074,
        ),
    ]

    found = password_spray(sprayed[-1], context(sprayed))

    assert sprayed_ids(found, sprayed[-1])[-1] == "s-mfa"
    assert kinds(found)[-1] == ("passwordSpray", "medium")


def test_one_account_failing_many_times_is_no_spray() -> None:
    attempts = [replace(s, user_id="victim-0") for s in spray(10, step=timedelta(minutes=1))]

    assert password_spray(attempts[-1], context(attempts)) == []


def succeeding(count: int, ip: str = "198.51.100.20") -> list[SignIn]:
    return [
        sign_in(f"ok{i}", timedelta(minutes=17, seconds=i), user_id=f"staff-{i}", ip_address=ip)
        for i in range(count)
    ]


def test_as_many_accounts_succeeding_as_failing_is_a_busy_address_not_a_spray() -> None:
    history = [*spray(5), *succeeding(5)]

    assert password_spray(history[-1], context(history)) == []


def sprayed_in_order(history: list[SignIn]) -> dict[str, str]:
    """Each sign-in found sprayed, and how, when all of them are evaluated in event time."""
    ctx = context(history)
    found: dict[str, str] = {}
    for evaluated in sorted(history, key=lambda s: (s.created_at, s.id)):
        for finding in password_spray(evaluated, ctx):
            found[finding.about(evaluated).id] = finding.risk_level.value
    return found


def test_one_more_failing_than_succeeding_is_a_spray_and_a_success_in_it_is_high() -> None:
    history = [*spray(5), *succeeding(4)]

    found = sprayed_in_order(history)

    assert found == {
        **{f"s-sp{i}": "medium" for i in range(5)},
        **{f"s-ok{i}": "high" for i in range(4)},
    }


def test_a_sign_in_in_a_spray_already_recognised_finds_only_itself() -> None:
    sprayed = spray(6)

    found = password_spray(sprayed[-1], context(sprayed))

    assert sprayed_ids(found, sprayed[-1]) == ["s-sp5"]


@pytest.mark.parametrize("seed", range(40))
def test_in_event_time_the_sprayed_sign_ins_are_those_of_every_spraying_window(seed: int) -> None:
    rng = random.Random(seed)
    ips = ["198.51.100.20", "2001:db8::bad"]
    codes = [0, 0, 50126, 50126, 50126, 50053, 50074]
    history = [
        sign_in(
            f"r{i}",
            timedelta(seconds=rng.randrange(0, 3600, 30)),
            user_id=f"account-{rng.randrange(12)}",
            ip_address=rng.choice(ips),
            error_code=rng.choice(codes),
        )
        for i in range(rng.randrange(5, 60))
    ]
    window = DEFAULT_SETTINGS.spray_window
    expected: dict[str, str] = {}
    for end in history:  # every window, by brute force
        inside = [
            s
            for s in history
            if s.ip_address == end.ip_address
            and end.created_at - window <= s.created_at <= end.created_at
        ]
        failed = {s.user_id for s in inside if s.error_code in {50126, 50053, 50055, 50034}}
        succeeded = {s.user_id for s in inside if s.succeeded}
        if len(failed) >= 5 and len(failed) > len(succeeded):
            expected.update((s.id, "high" if s.succeeded else "medium") for s in inside)

    assert sprayed_in_order(history) == expected


def test_a_spray_from_ipv6_and_none_without_an_address() -> None:
    sprayed = spray(5, ip="2001:db8::bad")
    no_address = [replace(s, ip_address=None) for s in spray(5)]

    assert len(password_spray(sprayed[-1], context(sprayed))) == 5
    assert password_spray(no_address[-1], context(no_address)) == []


def test_a_late_failure_is_judged_by_the_window_before_it() -> None:
    # Five accounts failed from 08:00 to 08:16; one that failed at 07:57 arrives last.
    sprayed = spray(5, step=timedelta(minutes=4))
    late = sign_in(
        "late", timedelta(minutes=-3), user_id="victim-x", ip_address="198.51.100.20", **FAILED
    )
    history = [*sprayed, late]

    assert password_spray(late, context(history)) == []  # 07:37-07:57 holds only itself
    # 07:52-08:12 holds it and four more: that window's last sign-in, evaluated again (as the
    # engine does for the sign-ins after a late one), finds it sprayed.
    assert "s-late" in sprayed_ids(password_spray(sprayed[3], context(history)), sprayed[3])
    assert "s-late" not in sprayed_ids(password_spray(sprayed[3], context(sprayed)), sprayed[3])


# leakedCredentials


def digest(password: str) -> str:
    return hashlib.sha1(password.encode()).hexdigest().upper()  # the corpus' hash


def test_a_leaked_credential_is_a_high_user_risk_once_per_user_and_credential() -> None:
    leaked, safe = digest("Summer2024!"), digest("a long unbreached passphrase")
    lists = FakeLists(leaked={leaked})
    first = sign_in(1, credential_hashes=(leaked.lower(), leaked, safe))
    again = sign_in(2, timedelta(days=1), credential_hashes=(leaked,))
    other_user = sign_in(3, user_id="user-2", credential_hashes=(leaked,))

    found = leaked_credentials(first, context(lists=lists))

    assert kinds(found) == [("leakedCredentials", "high")]
    assert found[0].activity is ActivityType.USER
    assert found[0].reasons == {"credentialSha1Prefix": leaked[:5]}
    ids = [
        leaked_credentials(s, context(lists=lists))[0].detection_id("t", s)
        for s in (first, again, other_user)
    ]
    assert ids[0] == ids[1] != ids[2]
    assert leaked_credentials(sign_in(4, credential_hashes=(safe,)), context(lists=lists)) == []


# Learning and detection ids


def test_learning_is_ten_sign_ins_or_fourteen_days_whichever_comes_first() -> None:
    at = T0

    def learned(history: list[SignIn]) -> bool:
        return has_learned(context(history), "user-1", at)

    assert learned(learned_history(10))
    assert not learned(learned_history(9))
    assert learned([sign_in("old", at - timedelta(days=14))])
    assert not learned([sign_in("old", at - timedelta(days=14) + US)])
    assert not learned([])
    assert not learned([sign_in("later", at + US), sign_in("now", at)])  # not before `at`


def test_detection_ids_are_64_hex_digits_made_of_tenant_type_and_sign_in() -> None:
    sprayed = spray(5)
    finding = password_spray(sprayed[-1], context(sprayed))[-1]
    one = finding.detection_id("tenant-a", sprayed[-1])

    assert len(one) == 64
    assert int(one, 16) >= 0
    assert one == finding.detection_id("tenant-a", sprayed[-1])
    assert one != finding.detection_id("tenant-b", sprayed[-1])
    assert one != replace(finding, risk_event_type="x").detection_id("tenant-a", sprayed[-1])


def test_the_defaults_are_the_documented_ones() -> None:
    s = DEFAULT_SETTINGS
    assert (s.learning_sign_ins, s.learning_period, s.familiarity_period) == (
        10,
        timedelta(days=14),
        timedelta(days=5),
    )
    assert (s.travel_speed_kmh, s.travel_min_km) == (900.0, 500.0)
    assert (s.spray_accounts, s.spray_window, s.lateness) == (
        5,
        timedelta(minutes=20),
        timedelta(hours=1),
    )
    assert RiskLevel.HIGH.value == "high"
