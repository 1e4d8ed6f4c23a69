"""Keyset paging while the data changes, and $skiptokens bound to their tenant and query.

What paging promises: a row that still matches the filter and keeps its sort key is returned
exactly once, whatever was inserted or changed between pages; a row is never returned twice
unless its own sort key moved past the position after it was read.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from idprotect.store.engine import Database, make_engine
from tests.api.expect import bad_request, odata_json
from tests.conftest import FakeClock, make_client
from tests.factories import (
    V1,
    act,
    add_detections,
    detection,
    new_id,
    risky_user,
    signed_skiptoken,
)

LIST = f"{V1}/riskyUsers"
OTHER_QUERY = (
    "The $skiptoken belongs to another query: $filter, $orderby and $select must stay as "
    "they were on the first page."
)


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["value"]]


def users_over_time(client: TestClient, clock: FakeClock, count: int, level: str) -> list[str]:
    """`count` users, a minute apart: oldest first."""
    made = []
    for _ in range(count):
        clock.advance(minutes=1)
        made.append(risky_user(client, riskLevel=level))
    return made


def test_default_order_inserts_and_changes_between_pages(
    any_client: TestClient, clock: FakeClock
) -> None:
    original = [risky_user(any_client) for _ in range(12)]
    body = odata_json(any_client.get(LIST, params={"$top": "4"}))
    seen = ids(body)
    inserted: list[str] = []
    while "@odata.nextLink" in body:
        position = seen[-1]
        inserted += [risky_user(any_client) for _ in range(2)]
        unread = sorted(u for u in original if u > position)
        act(any_client, "dismiss", unread[:1])  # changed, still listed, same id
        body = odata_json(any_client.get(body["@odata.nextLink"]))
        seen += ids(body)

    counts = Counter(seen)
    assert max(counts.values()) == 1
    assert set(original) <= set(seen)
    assert seen == sorted(seen)


@pytest.mark.parametrize("descending", [False, True])
def test_newest_first_or_last_while_users_come_change_and_leave(
    any_client: TestClient, clock: FakeClock, descending: bool
) -> None:
    high = users_over_time(any_client, clock, 10, "high")
    medium = users_over_time(any_client, clock, 3, "medium")
    params = {
        "$filter": "riskLevel eq 'high'",
        "$orderby": f"riskLastUpdatedDateTime {'desc' if descending else 'asc'}",
        "$top": "3",
    }
    body = odata_json(any_client.get(LIST, params=params))
    seen, left, joined = ids(body), [], []
    while "@odata.nextLink" in body:
        unread = [u for u in high if u not in seen and u not in left]
        if unread:
            act(any_client, "dismiss", [unread[-1]])  # no longer high: leaves the filter
            left.append(unread[-1])
        clock.advance(minutes=1)
        joined.append(risky_user(any_client, riskLevel="high"))  # the newest of all
        if medium:
            act(any_client, "confirmCompromised", [medium.pop()])  # high now, and newest
        body = odata_json(any_client.get(body["@odata.nextLink"]))
        seen += ids(body)

    counts = Counter(seen)
    assert max(counts.values()) == 1
    assert not set(left) & set(seen[3:])
    kept = [u for u in high if u not in left]
    assert [u for u in seen if u in kept] == (kept[::-1] if descending else kept)
    # Newcomers sort after the position ascending (read once), before it descending (not read).
    assert bool(set(joined) & set(seen)) is not descending


def test_next_links_keep_working_when_top_and_spelling_change(client: TestClient) -> None:
    everyone = sorted(risky_user(client, riskLevel="high") for _ in range(5))
    first = odata_json(client.get(f"{LIST}?$filter=riskLevel eq 'high'&$top=2"))
    token = first["@odata.nextLink"].split("$skiptoken=")[1]
    respelled = f"{LIST}?FILTER=riskLevel  EQ  'high'&top=10&$SkipToken={token}"

    assert ids(odata_json(client.get(respelled))) == everyone[2:]


# -- tokens that do not belong -------------------------------------------------------------------


@pytest.fixture
def next_link(client: TestClient) -> str:
    for level in ("high", "high", "medium"):
        risky_user(client, riskLevel=level)
    params = {"$filter": "riskLevel eq 'high'", "$orderby": "riskLevel", "$select": "id"}
    link: str = odata_json(client.get(LIST, params={**params, "$top": "1"}))["@odata.nextLink"]
    return link


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("$filter", "riskLevel eq 'medium'"),
        ("$filter", "riskLevel eq 'high' and isDeleted eq false"),
        ("$orderby", "riskLevel desc"),
        ("$orderby", "riskLastUpdatedDateTime"),
        ("$select", "id,riskLevel"),
    ],
)
def test_a_token_reused_with_another_query_is_a_bad_request(
    client: TestClient, next_link: str, option: str, value: str
) -> None:
    edited = httpx.URL(next_link).copy_set_param(option, value)

    bad_request(client.get(edited), OTHER_QUERY)


def test_a_token_reused_without_an_option_is_a_bad_request(
    client: TestClient, next_link: str
) -> None:
    edited = httpx.URL(next_link).copy_remove_param("$select")

    bad_request(client.get(edited), OTHER_QUERY)


def test_the_prefer_header_is_part_of_a_filter_on_evolvable_members(client: TestClient) -> None:
    for _ in range(3):
        act(client, "confirmSafe", [risky_user(client)])
    url = f"{LIST}?$filter=riskDetail eq 'unknownFutureValue'&$top=1"
    link = odata_json(client.get(url))["@odata.nextLink"]
    asked = {"Prefer": "include-unknown-enum-members"}

    assert client.get(link).status_code == 200
    bad_request(client.get(link, headers=asked), OTHER_QUERY)


def test_an_edited_token_is_a_bad_request(client: TestClient, next_link: str) -> None:
    base, token = next_link.split("$skiptoken=")
    payload, signature = token.split(".")
    for forged in (
        f"{payload[:-1]}{'A' if payload[-1] != 'A' else 'B'}.{signature}",
        f"{payload}.{signature[::-1]}",
        payload,
        signed_skiptoken(client, 2, "x", tenant=new_id()),
    ):
        bad_request(client.get(f"{base}$skiptoken={forged}"), "The $skiptoken is not valid.")


def test_a_token_of_another_collection_is_a_bad_request(client: TestClient) -> None:
    user_id = risky_user(client)
    act(client, "dismiss", [user_id])
    history = odata_json(client.get(f"{LIST}/{user_id}/history?$top=1"))["@odata.nextLink"]
    token = history.split("$skiptoken=")[1]

    bad_request(
        client.get(f"{LIST}?$skiptoken={token}"),
        "The $skiptoken is not valid for this collection.",
    )


def test_a_token_of_another_deployment_is_a_bad_request(
    client: TestClient, next_link: str, postgres_url: str, clock: FakeClock
) -> None:
    other = Database(make_engine(postgres_url))
    elsewhere = make_client(other, clock)
    add_detections(elsewhere, *(detection(riskLevel="high") for _ in range(2)))
    try:
        bad_request(elsewhere.get(next_link), "The $skiptoken is not valid.")
    finally:
        other.dispose()


def history_link(client: TestClient, user_id: str, **params: str) -> str:
    url = f"{LIST}/{user_id}/history"
    link: str = odata_json(client.get(url, params={"$top": "1", **params}))["@odata.nextLink"]
    return link


def test_a_token_of_one_users_history_is_refused_on_anothers(any_client: TestClient) -> None:
    alice, bob = risky_user(any_client), risky_user(any_client)
    act(any_client, "dismiss", [alice, bob])
    for params in ({}, {"$filter": "riskState ne 'none'", "$select": "id"}):
        token = history_link(any_client, alice, **params).split("$skiptoken=")[1]

        for url in (f"{LIST}/{bob}/history", f"/beta/riskyUsers/{bob}/history"):
            bad_request(
                any_client.get(url, params={**params, "$skiptoken": token}),
                "The $skiptoken is not valid for this collection.",
            )


def test_a_history_token_pages_its_own_users_history_however_the_id_is_written(
    any_client: TestClient,
) -> None:
    alice = risky_user(any_client)
    act(any_client, "dismiss", [alice])
    link = history_link(any_client, alice)
    token = link.split("$skiptoken=")[1]
    older = ids(odata_json(any_client.get(link)))

    for url in (
        f"{LIST}/{alice.upper()}/history",
        f"{LIST}('{alice}')/history",
        f"/beta/riskyUsers/{alice}/history",
    ):
        assert ids(odata_json(any_client.get(url, params={"$skiptoken": token}))) == older


def test_a_history_token_inside_a_batch_is_bound_to_its_user(any_client: TestClient) -> None:
    alice, bob = risky_user(any_client), risky_user(any_client)
    act(any_client, "dismiss", [alice, bob])
    token = history_link(any_client, alice).split("$skiptoken=")[1]
    requests = [
        {"id": name, "method": "GET", "url": f"/identityProtection/riskyUsers/{user}/history"
         f"?$skiptoken={token}"}
        for name, user in (("alice", alice), ("bob", bob))
    ]  # fmt: skip

    body = odata_json(any_client.post("/v1.0/$batch", json={"requests": requests}))

    statuses = {item["id"]: item["status"] for item in body["responses"]}
    assert statuses == {"alice": 200, "bob": 400}
    assert body["responses"][1]["body"]["error"]["message"] == (
        "The $skiptoken is not valid for this collection."
    )
