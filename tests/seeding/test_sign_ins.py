"""The labelled sign-in population: the same for the same seed, in Graph's signIn shape, and
each attack labelled on events that carry it."""

from __future__ import annotations

import ipaddress
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from idprotect.domain.signins import SignIn
from idprotect.seeding.sign_ins import (
    LabelledSignIn,
    generated_day,
    history_days,
    threat_feeds,
)
from idprotect.sign_in_events import SignInEvent

START = datetime(2026, 11, 16, tzinfo=UTC)  # a Monday
USERS = 300
ATTACKS = {
    "unlikelyTravel",
    "anonymizedIPAddress",
    "maliciousIPAddress",
    "passwordSpray",
    "newCountry",
    "unfamiliarFeatures",
    "leakedCredentials",
}


@pytest.fixture(scope="module")
def day() -> list[LabelledSignIn]:
    return generated_day(USERS, START, seed=3)


def parsed(items: list[LabelledSignIn]) -> list[SignIn]:
    return [SignInEvent.model_validate(item.event).to_domain() for item in items]


def test_the_same_seed_gives_the_same_day(day: list[LabelledSignIn]) -> None:
    assert generated_day(USERS, START, seed=3) == day
    assert generated_day(USERS, START, seed=4) != day


def test_every_event_is_a_sign_in_event_in_time_order(day: list[LabelledSignIn]) -> None:
    sign_ins = parsed(day)
    assert [s.created_at for s in sign_ins] == sorted(s.created_at for s in sign_ins)
    assert len({s.id for s in sign_ins}) == len(sign_ins)


def test_every_attack_is_injected_and_ordinary_events_dominate(day: list[LabelledSignIn]) -> None:
    counts = Counter(item.attack for item in day)
    assert set(counts) - {None} == ATTACKS
    assert counts[None] > 0.9 * len(day)


def test_a_spray_is_one_address_against_five_accounts_within_minutes(
    day: list[LabelledSignIn],
) -> None:
    spray = [s for s, item in zip(parsed(day), day, strict=True) if item.attack == "passwordSpray"]
    assert len({s.ip_address for s in spray}) == 1
    assert len({s.user_id for s in spray}) >= 5
    assert spray[-1].created_at - spray[0].created_at < timedelta(minutes=10)
    assert sum(not s.succeeded for s in spray) >= len(spray) - 1


def test_listed_attacks_are_on_the_lists(day: list[LabelledSignIn]) -> None:
    feeds = threat_feeds(USERS, seed=3)
    ranges = [ipaddress.ip_network(n) for n in feeds.malicious]
    leaked = set(feeds.leaked)
    for sign_in, item in zip(parsed(day), day, strict=True):
        if item.attack == "anonymizedIPAddress":
            assert sign_in.ip_address in feeds.anonymizers
        elif item.attack == "maliciousIPAddress":
            address = ipaddress.ip_address(sign_in.ip_address or "")
            assert any(address in network for network in ranges)
        elif item.attack == "leakedCredentials":
            assert leaked & set(sign_in.credential_hashes)
        else:
            assert not leaked & set(sign_in.credential_hashes)


def test_history_days_come_before_the_day_with_no_attack() -> None:
    days = list(history_days(50, START, days=3, seed=3))
    assert len(days) == 3
    firsts = [parsed(d)[0].created_at for d in days if d]
    assert firsts == sorted(firsts)
    assert firsts[0] < START - timedelta(days=2)
    assert all(item.attack is None for d in days for item in d)
