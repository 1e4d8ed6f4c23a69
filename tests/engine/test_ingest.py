"""Sign-ins in through the API and the store: the detections they make and the users they make
risky, replays in any order and split, retries, concurrent senders, and tenants apart."""

from __future__ import annotations

import json
import random
import shutil
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from idprotect.store.engine import Database, make_engine
from idprotect.store.tables import sign_ins
from tests.api.expect import odata_json
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT, V1

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
OTHER_TENANT = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
SPRAYER = "198.51.100.20"
NEW_YORK = {
    "city": "New York",
    "countryOrRegion": "US",
    "geoCoordinates": {"latitude": 40.7128, "longitude": -74.006},
}
LONDON = {
    "city": "London",
    "countryOrRegion": "GB",
    "geoCoordinates": {"latitude": 51.5074, "longitude": -0.1278},
}
LEAKED = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"  # SHA-1 of "password"


def user(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def event(n: int | str, at: timedelta, user_n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A successful sign-in from New York in Graph's signIn shape, `at` after T0."""
    body: dict[str, Any] = {
        "id": f"sign-in-{n}",
        "createdDateTime": (T0 + at).isoformat().replace("+00:00", "Z"),
        "userId": user(user_n),
        "userPrincipalName": f"user{user_n}@contoso.com",
        "userDisplayName": f"User {user_n}",
        "ipAddress": "203.0.113.10",
        "correlationId": f"correlation-{n}",
        "location": NEW_YORK,
        "deviceDetail": {"browser": "Edge 120", "operatingSystem": "Windows 11"},
        "status": {"errorCode": 0},
    }
    return {**body, **overrides}


def failed(n: int | str, at: timedelta, user_n: int, **overrides: Any) -> dict[str, Any]:
    status = {"errorCode": 50126, "failureReason": "Invalid username or password."}
    return event(n, at, user_n, ipAddress=SPRAYER, status=status, **overrides)


def learning(user_n: int = 1, count: int = 10) -> list[dict[str, Any]]:
    """`count` sign-ins from New York over the six days before T0: the user is learned."""
    return [
        event(f"learn-{user_n}-{i}", timedelta(days=-6) + i * timedelta(days=5) / count, user_n)
        for i in range(count)
    ]


def ingest(client: TestClient, events: Sequence[dict[str, Any]], tenant: str = TENANT) -> Any:
    response = client.post(f"/_admin/tenants/{tenant}/signIns", json={"value": list(events)})
    assert response.status_code == 200, response.text
    return response.json()


def put_list(client: TestClient, name: str, networks: list[str], tenant: str = TENANT) -> None:
    url = f"/_admin/tenants/{tenant}/threatLists/{name}"
    assert client.put(url, json={"value": networks}).status_code == 200


def add_leaked(client: TestClient, digests: list[str], tenant: str = TENANT) -> None:
    url = f"/_admin/tenants/{tenant}/leakedCredentials"
    assert client.post(url, json={"value": digests}).status_code == 200


def spray(accounts: int = 5, *, start: int = 100) -> list[dict[str, Any]]:
    """`accounts` accounts failing from SPRAYER, one every four minutes from T0."""
    return [failed(f"spray-{i}", timedelta(minutes=4 * i), start + i) for i in range(accounts)]


def info(detection: dict[str, Any]) -> dict[str, str]:
    return {pair["Key"]: pair["Value"] for pair in json.loads(detection["additionalInfo"])}


# What the engine finds, through the API


def test_a_spray_is_a_detection_of_each_sprayed_sign_in_with_its_ids_and_why(
    any_client: TestClient,
) -> None:
    done = ingest(any_client, spray(5))

    assert (done["received"], done["ingested"]) == (5, 5)
    found = done["detections"]
    assert [d["requestId"] for d in found] == [f"sign-in-spray-{i}" for i in range(5)]
    assert [d["correlationId"] for d in found] == [f"correlation-spray-{i}" for i in range(5)]
    assert {(d["riskEventType"], d["riskLevel"], d["activity"]) for d in found} == {
        ("passwordSpray", "medium", "signin")
    }
    assert {d["detectionTimingType"] for d in found} == {"offline"}
    assert info(found[0]) == {"ipAddress": SPRAYER, "minFailedAccounts": "5", "windowMinutes": "20"}
    assert found[0]["activityDateTime"] == "2026-03-02T08:00:00.0000000Z"
    shown = odata_json(any_client.get(f"{V1}/riskDetections/{found[0]['id']}"))
    assert (shown["requestId"], shown["userId"]) == ("sign-in-spray-0", user(100))


def test_users_found_at_risk_become_risky_with_history(any_client: TestClient) -> None:
    ingest(any_client, spray(5))

    risky = odata_json(any_client.get(f"{V1}/riskyUsers/{user(100)}"))
    assert (risky["riskLevel"], risky["riskState"]) == ("medium", "atRisk")
    assert risky["userPrincipalName"] == "user100@contoso.com"
    # Event time: the change is dated by the sign-ins, not by the wall clock.
    assert risky["riskLastUpdatedDateTime"] == "2026-03-02T08:16:00.0000000Z"
    history = odata_json(any_client.get(f"{V1}/riskyUsers/{user(100)}/history"))["value"]
    assert [h["activity"]["riskEventTypes"] for h in history] == [["passwordSpray"]]


def test_four_accounts_are_no_spray_and_a_fifth_later_finds_all_five(
    any_client: TestClient,
) -> None:
    first, last = spray(5)[:4], spray(5)[4:]

    assert ingest(any_client, first)["detections"] == []
    found = ingest(any_client, last)["detections"]

    assert sorted(d["requestId"] for d in found) == [f"sign-in-spray-{i}" for i in range(5)]


def test_sign_ins_found_by_a_later_one_carry_their_risk(
    any_client: TestClient, database: Database
) -> None:
    ingest(any_client, spray(5)[:4])
    ingest(
        any_client, [*spray(5)[4:], event("after", timedelta(minutes=18), 106, ipAddress=SPRAYER)]
    )

    c = sign_ins.c
    query = select(c.id, c.risk_state, c.risk_level_aggregated, c.risk_level_during_sign_in)
    with database.engine.connect() as connection:
        rows = connection.execute(query.add_columns(c.risk_event_types).order_by(c.created_at))
        risks = {row.id: tuple(row)[1:] for row in rows}
    sprayed = ("atRisk", "medium", "none", '["passwordSpray"]')
    assert risks == {
        **{f"sign-in-spray-{i}": sprayed for i in range(5)},
        "sign-in-after": ("atRisk", "high", "none", '["passwordSpray"]'),
    }


def test_every_detector_through_the_api(any_client: TestClient) -> None:
    put_list(any_client, "anonymizer", ["2001:db8:7::/48"])
    put_list(any_client, "malicious", ["192.0.2.0/24"])
    add_leaked(any_client, [LEAKED.lower()])
    ingest(any_client, learning(1))
    day = [
        event("ny", timedelta(0), 1),
        event(
            "london",
            timedelta(hours=1),
            1,
            location=LONDON,
            ipAddress="81.2.69.160",
            deviceDetail={"browser": "Firefox 121", "operatingSystem": "Linux"},
            credentialHashes=[LEAKED],
        ),
        event("tor", timedelta(hours=2), 2, ipAddress="2001:DB8:7:0::1"),
        event("bad", timedelta(hours=3), 3, ipAddress="192.0.2.9", status={"errorCode": 50126}),
    ]

    found = ingest(any_client, day)["detections"]

    assert sorted((d["requestId"] or "", d["riskEventType"], d["riskLevel"]) for d in found) == [
        ("", "leakedCredentials", "high"),
        ("sign-in-bad", "maliciousIPAddress", "medium"),
        ("sign-in-london", "newCountry", "low"),
        ("sign-in-london", "unfamiliarFeatures", "medium"),
        ("sign-in-london", "unlikelyTravel", "high"),
        ("sign-in-tor", "anonymizedIPAddress", "medium"),
    ]
    tor = next(d for d in found if d["riskEventType"] == "anonymizedIPAddress")
    assert tor["ipAddress"] == "2001:db8:7::1"  # in normal form
    leaked = next(d for d in found if d["riskEventType"] == "leakedCredentials")
    assert (leaked["activity"], leaked["userId"]) == ("user", user(1))


# Retries and duplicates


def test_a_retried_batch_records_nothing_twice_and_repeated_ids_are_taken_once(
    any_client: TestClient,
) -> None:
    batch = spray(5)
    first = ingest(any_client, batch)

    again = ingest(any_client, batch)
    repeated = ingest(
        any_client, [batch[0], failed("spray-x", timedelta(minutes=1), 200), batch[0]]
    )

    assert (again["received"], again["ingested"], again["detections"]) == (5, 0, [])
    assert (repeated["received"], repeated["ingested"]) == (3, 1)
    assert [d["requestId"] for d in repeated["detections"]] == ["sign-in-spray-x"]
    listed = odata_json(any_client.get(f"{V1}/riskDetections", params={"$top": "500"}))["value"]
    assert len(listed) == len(first["detections"]) + 1


# Replays: the same sign-ins in another order, in other batches


def detections_of(
    client: TestClient, batches: Sequence[Sequence[dict[str, Any]]]
) -> list[tuple[Any, ...]]:
    """Every detection the batches made, as (id, type, level, user, request, times, info)."""
    found = []
    for batch in batches:
        found += ingest(client, batch)["detections"]
    keys = ("id", "riskEventType", "riskLevel", "userId", "requestId", "correlationId")
    times = ("activityDateTime", "detectedDateTime", "additionalInfo", "ipAddress")
    return sorted(tuple(d[k] for k in (*keys, *times)) for d in found)


def risky_users(client: TestClient) -> list[tuple[str, str, str]]:
    listed = odata_json(client.get(f"{V1}/riskyUsers", params={"$top": "500"}))["value"]
    return sorted((u["id"], u["riskLevel"], u["riskState"]) for u in listed)


def the_day() -> list[dict[str, Any]]:
    """An hour of a tenant's sign-ins: a spray of six accounts (one of them then succeeding),
    a user travelling too fast to a new country, a leaked credential."""
    return [
        *spray(6),
        failed("spray-late", timedelta(minutes=-3), 120),
        event("sprayed-in", timedelta(minutes=18), 102, ipAddress=SPRAYER),
        event("ny", timedelta(minutes=5), 1),
        event(
            "london",
            timedelta(minutes=50),
            1,
            location=LONDON,
            ipAddress="81.2.69.160",
            deviceDetail={"browser": "Firefox 121", "operatingSystem": "Linux"},
        ),
        event("leak", timedelta(minutes=30), 3, credentialHashes=[LEAKED]),
        event("quiet", timedelta(minutes=40), 4),
    ]


@pytest.fixture
def fresh_clients(sqlite_template: Path, tmp_path: Path) -> Iterator[Any]:
    """Makes clients, each on a database of its own."""
    databases: list[Database] = []

    def make() -> TestClient:
        path = tmp_path / f"replay-{len(databases)}.db"
        shutil.copy(sqlite_template, path)
        databases.append(Database(make_engine(f"sqlite:///{path}")))
        client = make_client(databases[-1], FakeClock())
        add_leaked(client, [LEAKED])
        ingest(client, [*learning(1), *learning(102)])
        return client

    yield make
    for database in databases:
        database.dispose()


def shuffled_batches(events: list[dict[str, Any]], seed: int) -> list[list[dict[str, Any]]]:
    rng = random.Random(seed)
    events = rng.sample(events, len(events))
    cuts = sorted(rng.sample(range(1, len(events)), rng.randint(1, 5)))
    return [events[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]


def test_the_same_sign_ins_in_any_order_and_batches_make_the_same_detections(
    fresh_clients: Any,
) -> None:
    day = the_day()
    reference_client = fresh_clients()
    reference = detections_of(reference_client, [sorted(day, key=lambda e: e["createdDateTime"])])
    assert {d[1] for d in reference} == {
        "passwordSpray",
        "unlikelyTravel",
        "newCountry",
        "unfamiliarFeatures",
        "leakedCredentials",
    }
    assert len([d for d in reference if d[1] == "passwordSpray"]) == 8  # the late one too

    for seed in range(6):
        client = fresh_clients()
        assert detections_of(client, shuffled_batches(day, seed)) == reference, seed
        assert risky_users(client) == risky_users(reference_client), seed
    one_by_one_backwards = [[e] for e in sorted(day, key=lambda e: e["createdDateTime"])[::-1]]
    assert detections_of(fresh_clients(), one_by_one_backwards) == reference


def test_a_late_sign_in_adds_detections_but_never_takes_one_back(fresh_clients: Any) -> None:
    # In event time the user reaches Paris (new) at 09:00 and signs in there again at 09:30.
    paris = {"city": "Paris", "countryOrRegion": "FR"}
    first = event("paris-1", timedelta(hours=1), 1, location=paris)
    second = event("paris-2", timedelta(hours=1, minutes=30), 1, location=paris)

    in_order = detections_of(fresh_clients(), [[first, second]])
    second_first = detections_of(fresh_clients(), [[second], [first]])

    assert [(d[1], d[4]) for d in in_order] == [("newCountry", "sign-in-paris-1")]
    # Arriving first, the second sign-in was new; the first, arriving late, is new too.
    assert sorted((d[1], d[4]) for d in second_first) == [
        ("newCountry", "sign-in-paris-1"),
        ("newCountry", "sign-in-paris-2"),
    ]


# Concurrent senders


def test_two_senders_of_overlapping_batches_at_once_record_each_detection_once(
    postgres_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    day = sorted(the_day(), key=lambda e: e["createdDateTime"])
    path = tmp_path / "reference.db"
    shutil.copy(sqlite_template, path)
    reference_db = Database(make_engine(f"sqlite:///{path}"))
    reference = detections_of(make_client(reference_db, FakeClock()), [day])
    reference_db.dispose()

    databases = [Database(make_engine(postgres_url)) for _ in range(2)]
    clients = [make_client(database, FakeClock()) for database in databases]
    halves = [day[: len(day) * 2 // 3], day[len(day) // 3 :]]  # a third in both
    barrier = threading.Barrier(2)

    def send(i: int) -> list[tuple[Any, ...]]:
        barrier.wait()
        return detections_of(clients[i], [halves[i]])

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(send, range(2)))
    listed = odata_json(clients[0].get(f"{V1}/riskDetections", params={"$top": "500"}))["value"]
    for database in databases:
        database.dispose()

    ids = [d[0] for d in results[0] + results[1]]
    assert len(ids) == len(set(ids))
    assert sorted({d[0] for d in reference}) == sorted(ids)
    assert sorted(d["id"] for d in listed) == sorted(ids)


# Tenants


def test_a_tenants_history_never_counts_for_another(any_client: TestClient) -> None:
    sprayed = spray(6)

    mine = ingest(any_client, sprayed[:3])
    theirs = ingest(any_client, sprayed[3:], tenant=OTHER_TENANT)
    same_ids = ingest(any_client, sprayed[:3], tenant=OTHER_TENANT)

    assert (mine["detections"], theirs["detections"]) == ([], [])
    assert same_ids["ingested"] == 3  # the other tenant's ids are its own
    assert {d["requestId"] for d in same_ids["detections"]} == {
        f"sign-in-spray-{i}" for i in range(6)
    }
    assert odata_json(any_client.get(f"{V1}/riskDetections"))["value"] == []


def test_a_tenants_breach_corpus_never_counts_for_another(any_client: TestClient) -> None:
    add_leaked(any_client, [LEAKED], tenant=OTHER_TENANT)

    done = ingest(any_client, [event("leak", timedelta(0), 1, credentialHashes=[LEAKED])])

    assert done["detections"] == []


def test_a_tenants_threat_lists_never_count_for_another(any_client: TestClient) -> None:
    put_list(any_client, "anonymizer", ["198.51.100.0/24"], tenant=OTHER_TENANT)
    put_list(any_client, "malicious", ["198.51.100.0/24"], tenant=OTHER_TENANT)

    done = ingest(any_client, [event("proxy", timedelta(0), 1, ipAddress="198.51.100.1")])

    assert done["detections"] == []
