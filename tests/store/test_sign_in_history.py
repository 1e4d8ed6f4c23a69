"""The detectors' history and threat lists in SQL answer the same whether a batch's addresses
and digests were read ahead or each read is a statement of its own: windows inside what was
read, across its edges, at its exact bounds, and outside it; and as the in-memory reference of
tests/engine/fakes.py does."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

import pytest

from idprotect.domain.signins import SignIn
from idprotect.engine.ports import ReadAhead
from idprotect.store.engine import Database
from tests.engine.fakes import T0, FakeHistory, sign_in

TENANT = "11111111-2222-4333-8444-555555555555"
USERS = [f"user-{n}" for n in range(6)]
IPS = ["203.0.113.10", "203.0.113.11", "2001:db8::7", "198.51.100.1"]
CODES = frozenset({50126, 50053})


def read_ahead(ips: list[str]) -> ReadAhead:
    """The addresses' windows [20, 100] minutes."""
    return ReadAhead(frozenset(ips), T0 + timedelta(minutes=20), T0 + timedelta(minutes=100))


def population(seed: int) -> list[SignIn]:
    """Sign-ins of a few users from a few addresses over two hours, some at the same moment."""
    rng = random.Random(seed)
    return [
        sign_in(
            n,
            timedelta(minutes=rng.choice(range(0, 120, 3))),
            user_id=rng.choice(USERS),
            ip_address=rng.choice(IPS),
            error_code=rng.choice([0, 0, 50126, 50053, 50074]),
        )
        for n in range(120)
    ]


def windows(rng: random.Random) -> list[tuple[timedelta, timedelta]]:
    """Windows (as offsets from T0) inside [20, 100] minutes, on its bounds, and across them."""
    found = [(timedelta(minutes=20), timedelta(minutes=100)), (timedelta(minutes=0), T0 - T0)]
    for _ in range(30):
        start = timedelta(minutes=rng.randrange(0, 130))
        found.append((start, start + timedelta(minutes=rng.randrange(0, 40))))
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_windows_read_ahead_or_one_by_one_are_the_same(database: Database, seed: int) -> None:
    rng = random.Random(seed)
    with database.unit_of_work(write=True) as store:
        store.ensure_tenant(TENANT)
        store.add_sign_ins(TENANT, population(seed))
    with database.unit_of_work() as store:
        plain, ahead = store.sign_in_history(TENANT), store.sign_in_history(TENANT)
        ahead.read_ahead(read_ahead(IPS[:3]))
        for ip in IPS:
            for start, end in windows(rng):
                at = (T0 + start, T0 + end)
                assert ahead.spray_accounts_from(ip, *at, CODES) == plain.spray_accounts_from(
                    ip, *at, CODES
                ), (ip, start, end)
                assert ahead.sign_ins_from(ip, *at) == plain.sign_ins_from(ip, *at)
        reference = FakeHistory(population(seed))  # the semantics, over a list
        for evaluated in population(seed):
            for since, _ in windows(rng)[:5]:
                found = ahead.previous_success(evaluated, T0 + since)
                assert found == reference.previous_success(evaluated, T0 + since)


def test_a_window_read_ahead_holds_what_was_stored_before_it(database: Database) -> None:
    """Sign-ins at the read-ahead's first and last moments count; an address with none in it
    has an empty window, not another address's."""
    edges = [
        sign_in("a", timedelta(0), user_id="u1", error_code=50126),
        sign_in("b", timedelta(minutes=10), user_id="u2", error_code=50126),
        sign_in("c", timedelta(minutes=10), user_id="u3", error_code=0),
    ]
    with database.unit_of_work(write=True) as store:
        store.ensure_tenant(TENANT)
        store.add_sign_ins(TENANT, edges)
    with database.unit_of_work() as store:
        history = store.sign_in_history(TENANT)
        end = T0 + timedelta(minutes=10)
        ips = frozenset({"203.0.113.10", "192.0.2.1"})
        history.read_ahead(ReadAhead(ips, T0, end))
        assert history.spray_accounts_from("203.0.113.10", T0, end, CODES) == (2, 1)
        assert [s.id for s in history.sign_ins_from("203.0.113.10", T0, end)] == [
            "s-a",
            "s-b",
            "s-c",
        ]
        assert history.spray_accounts_from("192.0.2.1", T0, end, CODES) == (0, 0)
        last = sign_in("d", timedelta(minutes=10), user_id="u3")
        assert history.previous_success(last, T0) == edges[2]  # the same moment, an earlier id
        assert history.previous_success(edges[2], T0) is None


def test_leaked_digests_read_ahead_or_one_by_one_are_the_same(database: Database) -> None:
    leaked = [hashlib.sha1(f"password{n}".encode()).hexdigest().upper() for n in range(700)]
    other = [hashlib.sha1(f"other{n}".encode()).hexdigest() for n in range(300)]
    with database.unit_of_work(write=True) as store:
        store.add_leaked_credentials(TENANT, leaked[:600])
    asked = [*leaked, *other, leaked[0].lower()]
    with database.unit_of_work() as store:
        plain, ahead = store.threat_lists(TENANT), store.threat_lists(TENANT)
        ahead.read_ahead(asked[::2])  # half of them: the other half is read one by one
        assert [ahead.is_leaked(d) for d in asked] == [plain.is_leaked(d) for d in asked]
        assert sum(ahead.is_leaked(d) for d in asked) == 601
