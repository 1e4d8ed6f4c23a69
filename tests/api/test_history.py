"""A risky user's history: items written by detections and actions, their ids, get and paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from idprotect.domain.clock import MAX_TICKS
from tests.api.expect import BASE, HISTORY_ITEM_FIELDS, graph_error, odata_json
from tests.conftest import FakeClock
from tests.factories import (
    ACTOR,
    BETA,
    TENANT,
    V1,
    act,
    add_detections,
    detection,
    new_id,
    plain_user,
    risky_user,
)

INCLUDE_UNKNOWN = {"Prefer": "include-unknown-enum-members"}


def history_url(user_id: str, root: str = V1) -> str:
    return f"{root}/riskyUsers/{user_id}/history"


def context(user_id: str) -> str:
    return f"{BASE}/v1.0/$metadata#identityProtection/riskyUsers('{user_id}')/history"


def ticks_of(timestamp: str) -> int:
    """.NET ticks (100 ns since 0001-01-01) of a Graph DateTimeOffset with 7 fractional digits."""
    moment = datetime.strptime(timestamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    whole_seconds = (moment - datetime(1, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)
    return whole_seconds * 10_000_000 + int(timestamp[20:27])


def history(client: TestClient, user_id: str, **params: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = odata_json(client.get(history_url(user_id), params=params))[
        "value"
    ]
    return items


def test_the_detection_that_makes_a_user_risky_writes_the_first_item(
    any_client: TestClient,
) -> None:
    user_id = new_id()
    risky_user(
        any_client,
        userId=user_id,
        userDisplayName="Megan Bowen",
        userPrincipalName="meganb@contoso.com",
        riskEventType="anonymizedIPAddress",
        riskLevel="high",
    )

    body = odata_json(any_client.get(history_url(user_id)))

    assert body == {
        "@odata.context": context(user_id),
        "value": [
            {
                "id": user_id,
                "isDeleted": False,
                "isProcessing": False,
                "riskLastUpdatedDateTime": "2026-03-01T09:30:00.1234560Z",
                "riskLevel": "high",
                "riskState": "atRisk",
                "riskDetail": "none",
                "userDisplayName": "Megan Bowen",
                "userPrincipalName": "meganb@contoso.com",
                "userId": user_id,
                "initiatedBy": None,
                "activity": {"detail": None, "riskEventTypes": ["anonymizedIPAddress"]},
            }
        ],
    }
    assert list(body["value"][0]) == HISTORY_ITEM_FIELDS


def test_dismiss_writes_an_item_initiated_by_the_admin(
    any_client: TestClient, clock: FakeClock
) -> None:
    user_id = risky_user(any_client, riskLevel="medium")
    clock.advance(minutes=5)

    assert act(any_client, "dismiss", [user_id]).status_code == 204

    newest, older = history(any_client, user_id)
    assert newest["id"] == user_id
    assert newest["riskLastUpdatedDateTime"] == "2026-03-01T09:35:00.1234560Z"
    assert (newest["riskLevel"], newest["riskState"], newest["riskDetail"]) == (
        "none",
        "dismissed",
        "adminDismissedAllRiskForUser",
    )
    assert newest["initiatedBy"] == ACTOR
    assert newest["activity"] == {"detail": "adminDismissedAllRiskForUser", "riskEventTypes": []}
    assert older["id"] == f"{user_id}639079542001234560"
    assert older["riskLastUpdatedDateTime"] == "2026-03-01T09:30:00.1234560Z"
    assert (older["riskLevel"], older["riskState"], older["initiatedBy"]) == (
        "medium",
        "atRisk",
        None,
    )


def test_older_item_ids_are_the_user_id_and_the_ticks_of_their_timestamp(
    any_client: TestClient, clock: FakeClock
) -> None:
    user_id = risky_user(any_client)
    for action in ("confirmCompromised", "dismiss", "confirmSafe"):
        clock.advance(hours=7, microseconds=3)
        assert act(any_client, action, [user_id]).status_code == 204

    newest, *older = history(any_client, user_id)

    assert newest["id"] == user_id
    assert len(older) == 3
    for item in older:
        suffix = str(item["id"])[len(user_id) :]
        assert str(item["id"]).startswith(user_id)
        assert 18 <= len(suffix) <= 19
        assert suffix == str(ticks_of(str(item["riskLastUpdatedDateTime"])))


def test_history_lists_newest_first(any_client: TestClient, clock: FakeClock) -> None:
    user_id = risky_user(any_client)
    clock.advance(minutes=1)
    act(any_client, "confirmCompromised", [user_id])
    clock.advance(minutes=1)
    act(any_client, "dismiss", [user_id])

    states = [item["riskState"] for item in history(any_client, user_id)]

    assert states == ["dismissed", "confirmedCompromised", "atRisk"]


def test_confirm_compromised_item_names_the_detection_it_recorded(
    client: TestClient, clock: FakeClock
) -> None:
    user_id = risky_user(client)
    clock.advance(seconds=30)
    act(client, "confirmCompromised", [user_id])

    newest = history(client, user_id)[0]

    assert (newest["riskLevel"], newest["riskState"], newest["riskDetail"]) == (
        "high",
        "confirmedCompromised",
        "adminConfirmedUserCompromised",
    )
    assert newest["initiatedBy"] == ACTOR
    assert newest["activity"] == {
        "detail": "adminConfirmedUserCompromised",
        "riskEventTypes": ["adminConfirmedUserCompromised"],
    }


def test_confirm_safe_item_hides_the_evolvable_detail_unless_asked(
    client: TestClient, clock: FakeClock
) -> None:
    user_id = risky_user(client)
    clock.advance(seconds=30)
    act(client, "confirmSafe", [user_id])

    plain = odata_json(client.get(history_url(user_id)))["value"][0]
    asked = odata_json(client.get(history_url(user_id), headers=INCLUDE_UNKNOWN))["value"][0]

    assert (plain["riskState"], plain["riskDetail"], plain["activity"]) == (
        "confirmedSafe",
        "unknownFutureValue",
        {"detail": "unknownFutureValue", "riskEventTypes": []},
    )
    assert (asked["riskDetail"], asked["activity"]) == (
        "adminConfirmedAccountSafe",
        {"detail": "adminConfirmedAccountSafe", "riskEventTypes": []},
    )


def test_a_detection_after_dismiss_writes_an_item_with_no_initiator(
    any_client: TestClient, clock: FakeClock
) -> None:
    user_id = risky_user(any_client)
    clock.advance(minutes=1)
    act(any_client, "dismiss", [user_id])
    clock.advance(minutes=1)
    add_detections(any_client, detection(userId=user_id, riskEventType="leakedCredentials"))

    newest = history(any_client, user_id)[0]

    assert newest["initiatedBy"] is None
    assert newest["activity"] == {"detail": None, "riskEventTypes": ["leakedCredentials"]}
    assert newest["riskLastUpdatedDateTime"] == "2026-03-01T09:32:00.1234560Z"


def test_get_history_item_by_user_id_and_by_ticks_id(
    any_client: TestClient, clock: FakeClock
) -> None:
    user_id = risky_user(any_client)
    clock.advance(minutes=5)
    act(any_client, "dismiss", [user_id])
    newest, older = history(any_client, user_id)
    entity_context = f"{context(user_id)}/$entity"

    current = odata_json(any_client.get(f"{history_url(user_id)}/{user_id}"))
    previous = odata_json(any_client.get(f"{history_url(user_id)}/{older['id']}"))

    assert current == {"@odata.context": entity_context, **newest}
    assert previous == {"@odata.context": entity_context, **older}
    assert list(previous) == ["@odata.context", *HISTORY_ITEM_FIELDS]


def test_the_newest_item_keeps_the_user_id_when_asked_for_by_its_ticks(
    client: TestClient,
) -> None:
    user_id = risky_user(client)

    body = odata_json(client.get(f"{history_url(user_id)}/{user_id}639079542001234560"))

    assert body["id"] == user_id


@pytest.mark.parametrize(
    "suffix",
    [
        "1",
        "639079542001234561",
        "abc",
        "9" * 19,  # 19 digits, the most a ticks suffix may have, beyond the last moment
        str(MAX_TICKS),  # 9999-12-31T23:59:59.9999999Z, the last moment
        str(MAX_TICKS + 1),
        "0" + str(MAX_TICKS),
        "0639079542001234560",  # the newest item's ticks, written with a leading zero
        "00",
        "9" * 20,
        "9" * 5000,  # more digits than int() converts
        "²",
        "\u0661",
        "-1",
        "+1",
        " 1",
        "",
    ],
)
def test_an_unknown_history_item_is_not_found(any_client: TestClient, suffix: str) -> None:
    user_id = risky_user(any_client)
    item_id = f"{user_id}{suffix}" if suffix else new_id()

    graph_error(
        any_client.get(f"{history_url(user_id)}/{item_id}"),
        404,
        "NotFound",
        f"The riskyUserHistoryItem '{item_id}' was not found.",
    )


def test_history_of_an_unknown_user_is_not_found(client: TestClient) -> None:
    user_id = new_id()

    graph_error(
        client.get(history_url(user_id)),
        404,
        "NotFound",
        f"The riskyUser '{user_id}' was not found.",
    )


def test_history_of_a_user_who_was_never_risky_is_not_found(client: TestClient) -> None:
    user_id = plain_user(client)

    response = client.get(history_url(user_id))

    graph_error(response, 404, "NotFound", f"The riskyUser '{user_id}' was not found.")


def test_history_on_the_beta_legacy_path(client: TestClient) -> None:
    user_id = risky_user(client, riskEventType="unlikelyTravel")

    body = odata_json(client.get(f"/beta/riskyUsers/{user_id}/history"))

    assert body["@odata.context"] == f"{BASE}/beta/$metadata#riskyUsers('{user_id}')/history"
    assert body["value"][0]["activity"] == {
        "detail": None,
        "riskEventTypes": ["unlikelyTravel"],
        "eventTypes": ["unlikelyTravel"],
    }


def test_history_on_beta_under_identity_protection(client: TestClient) -> None:
    user_id = risky_user(client, riskEventType="anomalousToken")

    body = odata_json(client.get(history_url(user_id, BETA)))

    assert body["@odata.context"] == (
        f"{BASE}/beta/$metadata#identityProtection/riskyUsers('{user_id}')/history"
    )
    # eventTypes is the deprecated enum: strings outside it are left out.
    assert body["value"][0]["activity"] == {
        "detail": None,
        "riskEventTypes": ["anomalousToken"],
        "eventTypes": [],
    }


def test_history_is_found_by_an_uppercase_guid(client: TestClient) -> None:
    user_id = risky_user(client)

    (item,) = odata_json(client.get(history_url(user_id.upper())))["value"]

    assert (item["id"], item["userId"]) == (user_id, user_id)


def test_history_pages_with_top_and_next_links(client: TestClient, clock: FakeClock) -> None:
    user_id = risky_user(client)
    for action in ("confirmCompromised", "dismiss", "confirmCompromised", "dismiss"):
        clock.advance(minutes=1)
        act(client, action, [user_id])
    everything = history(client, user_id)

    first = odata_json(client.get(history_url(user_id), params={"$top": "2"}))
    second = odata_json(client.get(first["@odata.nextLink"]))
    third = odata_json(client.get(second["@odata.nextLink"]))

    assert first["@odata.nextLink"].startswith(f"{BASE}{history_url(user_id)}?$top=2&$skiptoken=")
    assert [*first["value"], *second["value"], *third["value"]] == everything
    assert [len(p["value"]) for p in (first, second, third)] == [2, 2, 1]
    assert "@odata.nextLink" not in third


def test_history_default_page_size_is_20(client: TestClient, clock: FakeClock) -> None:
    user_id = risky_user(client)
    for turn in range(20):
        clock.advance(minutes=1)
        act(client, "confirmCompromised" if turn % 2 == 0 else "dismiss", [user_id])

    first = odata_json(client.get(history_url(user_id)))
    second = odata_json(client.get(first["@odata.nextLink"]))

    assert [len(first["value"]), len(second["value"])] == [20, 1]
    assert second["value"][0]["riskState"] == "atRisk"


@pytest.mark.parametrize("licence", ["P1", "Free"])
def test_a_history_item_needs_p2(any_client: TestClient, clock: FakeClock, licence: str) -> None:
    user_id = risky_user(any_client)
    clock.advance(minutes=5)
    act(any_client, "dismiss", [user_id])
    older = history(any_client, user_id)[1]["id"]
    response = any_client.put(f"/_admin/tenants/{TENANT}", json={"licence": licence})
    assert response.status_code == 204

    for item_id in (user_id, older, f"{user_id}1", new_id()):
        graph_error(
            any_client.get(f"{history_url(user_id)}/{item_id}"),
            403,
            "Forbidden",
            "Your tenant is not licensed for this feature.",
        )
