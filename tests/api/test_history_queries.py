"""A risky user's history with $filter, $select and paging; $orderby and $count are refused.

One user, four items, newest first (made once per database; every test only reads):
4 confirmSafe by the admin: none, confirmedSafe, adminConfirmedAccountSafe (evolvable)
3 a new detection: medium, atRisk, no initiator
2 dismiss by the admin: none, dismissed, adminDismissedAllRiskForUser
1 the first detection: high, atRisk, no initiator
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.store.engine import Database
from tests.api.expect import BASE, bad_request, odata_json
from tests.conftest import FakeClock, make_client
from tests.factories import ACTOR, V1, act, add_detections, detection, new_id

USER = new_id()
URL = f"{V1}/riskyUsers/{USER}/history"
CONTEXT = f"{BASE}/v1.0/$metadata#identityProtection/riskyUsers('{USER}')/history"
ASK = {"Prefer": "include-unknown-enum-members"}


@pytest.fixture(scope="module")
def any_client(module_database: Database) -> TestClient:
    clock = FakeClock()
    client = make_client(module_database, clock)
    add_detections(client, detection(userId=USER, riskLevel="high"))
    clock.advance(hours=1)
    act(client, "dismiss", [USER])
    clock.advance(hours=1)
    add_detections(client, detection(userId=USER, riskLevel="medium", riskEventType="generic"))
    clock.advance(hours=1)
    act(client, "confirmSafe", [USER])
    return client


def numbers(client: TestClient, params: dict[str, str], **headers: str) -> str:
    """The items listed, as their numbers (1 oldest), following every nextLink."""
    all_items = odata_json(client.get(URL, params={"$top": "10"}))["value"]
    number = {item["id"]: str(len(all_items) - i) for i, item in enumerate(all_items)}
    body = odata_json(client.get(URL, params=params, headers=headers))
    found = [number[item["id"]] for item in body["value"]]
    while "@odata.nextLink" in body:
        body = odata_json(client.get(body["@odata.nextLink"], headers=headers))
        found += [number[item["id"]] for item in body["value"]]
    return "".join(found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("riskLevel eq 'none'", "42"),
        ("riskState in ('atRisk', 'dismissed')", "321"),
        ("initiatedBy eq null", "31"),
        (f"initiatedBy eq '{ACTOR}'", "42"),
        ("activity/detail eq 'adminDismissedAllRiskForUser'", "2"),
        ("activity/detail eq null", "31"),
        ("activity/detail eq 'unknownFutureValue'", "4"),
        ("riskDetail eq 'unknownFutureValue' and riskState eq 'confirmedSafe'", "4"),
        (f"userId eq {USER.upper()}", "4321"),
        (f"userId ne '{USER}'", ""),
        ("riskLastUpdatedDateTime gt 2026-03-01T10:30:00.123456Z", "43"),
        ("riskLastUpdatedDateTime le 2026-03-01T10:30:00.123456Z", "21"),
        ("isDeleted eq false and not (riskLevel eq 'none')", "31"),
        ("startswith(userDisplayName,'User ')", "4321"),
    ],
)
def test_filter_newest_first(any_client: TestClient, text: str, expected: str) -> None:
    assert numbers(any_client, {"$filter": text}) == expected


def test_evolvable_detail_by_name_with_the_header(any_client: TestClient) -> None:
    text = "activity/detail eq 'adminConfirmedAccountSafe'"
    assert numbers(any_client, {"$filter": text}, **ASK) == "4"
    bad_request(
        any_client.get(URL, params={"$filter": text}),
        "Invalid filter clause: 'adminConfirmedAccountSafe' is an evolvable member of riskDetail;"
        " send the header 'Prefer: include-unknown-enum-members' to filter on it.",
    )


def test_filtered_pages(any_client: TestClient) -> None:
    assert numbers(any_client, {"$filter": "riskState ne 'confirmedSafe'", "$top": "1"}) == "321"


def test_select_names_the_fields_and_the_context(any_client: TestClient) -> None:
    params = {"$select": "activity,initiatedBy", "$filter": "riskState eq 'dismissed'"}
    body: dict[str, Any] = odata_json(any_client.get(URL, params=params))
    entity = odata_json(any_client.get(f"{URL}/{USER}?$select=riskLevel"))

    assert body == {
        "@odata.context": f"{CONTEXT}(activity,initiatedBy)",
        "value": [
            {
                "initiatedBy": ACTOR,
                "activity": {"detail": "adminDismissedAllRiskForUser", "riskEventTypes": []},
            }
        ],
    }
    assert entity == {"@odata.context": f"{CONTEXT}(riskLevel)/$entity", "riskLevel": "none"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("$orderby=riskLevel", "Query option '$orderby' is not supported on history."),
        ("$count=true", "Query option '$count' is not supported on history."),
        ("$skip=1", "Query option '$skip' is not supported."),
        ("$filter=id eq 'x'", "Invalid filter clause: unknown property 'id' at column 1."),
        ("$select=riskType", "Could not find a property named 'riskType' on type "
         "'microsoft.graph.riskyUserHistoryItem'."),
    ],
)  # fmt: skip
def test_refused_forms(any_client: TestClient, query: str, message: str) -> None:
    bad_request(any_client.get(f"{URL}?{query}"), message)


def test_the_count_segment_is_refused(any_client: TestClient) -> None:
    bad_request(any_client.get(f"{URL}/$count"), "The /$count segment is not supported on history.")
