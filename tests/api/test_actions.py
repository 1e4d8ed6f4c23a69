"""The admin actions dismiss, confirmCompromised and confirmSafe: what they change, and refuse."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.store.engine import Database
from tests.api.expect import bad_request, odata_json
from tests.conftest import FakeClock, make_client
from tests.factories import (
    ACTOR,
    BETA,
    V1,
    act,
    add_detections,
    delete_user,
    detection,
    new_id,
    plain_user,
    risky_user,
)

ACTIONS = ("dismiss", "confirmCompromised", "confirmSafe")
INCLUDE_UNKNOWN = {"Prefer": "include-unknown-enum-members"}
# (riskLevel, riskState, riskDetail) each action leaves, as callers that ask for evolvable
# enum members see it.
OUTCOME = {
    "dismiss": ("none", "dismissed", "adminDismissedAllRiskForUser"),
    "confirmCompromised": ("high", "confirmedCompromised", "adminConfirmedUserCompromised"),
    "confirmSafe": ("none", "confirmedSafe", "adminConfirmedAccountSafe"),
}


@pytest.fixture
def strict_client(database: Database, clock: FakeClock) -> TestClient:
    """An API client that refuses action requests naming unknown ids (SQLite and PostgreSQL)."""
    return make_client(database, clock, strict_actions=True)


def get_user(client: TestClient, user_id: str) -> dict[str, Any]:
    user: dict[str, Any] = odata_json(
        client.get(f"{V1}/riskyUsers/{user_id}", headers=INCLUDE_UNKNOWN)
    )
    return user


def risk_of(client: TestClient, user_id: str) -> tuple[str, str, str]:
    user = get_user(client, user_id)
    return user["riskLevel"], user["riskState"], user["riskDetail"]


def history(client: TestClient, user_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = odata_json(client.get(f"{V1}/riskyUsers/{user_id}/history"))[
        "value"
    ]
    return items


def detections(client: TestClient, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = odata_json(
        client.get(f"{V1}/riskDetections", params={"$top": "500"}, headers=headers)
    )["value"]
    return found


def snapshot(client: TestClient, *user_ids: str) -> list[Any]:
    """Everything an action could change for these users, to compare before and after."""
    return [
        *(get_user(client, uid) for uid in user_ids),
        *(history(client, uid) for uid in user_ids),
        detections(client),
    ]


def test_dismiss_leaves_the_user_dismissed(any_client: TestClient, clock: FakeClock) -> None:
    user_id = new_id()
    risky_user(
        any_client,
        userId=user_id,
        userDisplayName="Lee Gu",
        userPrincipalName="leeg@contoso.com",
        riskLevel="high",
    )
    clock.advance(minutes=5)

    response = act(any_client, "dismiss", [user_id])

    assert (response.status_code, response.content) == (204, b"")
    assert get_user(any_client, user_id) == {
        "@odata.context": "http://testserver/v1.0/$metadata#identityProtection/riskyUsers/$entity",
        "id": user_id,
        "isDeleted": False,
        "isProcessing": False,
        "riskLastUpdatedDateTime": "2026-03-01T09:35:00.1234560Z",
        "riskLevel": "none",
        "riskState": "dismissed",
        "riskDetail": "adminDismissedAllRiskForUser",
        "userDisplayName": "Lee Gu",
        "userPrincipalName": "leeg@contoso.com",
    }


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("root", [V1, BETA, "/beta"])
def test_each_action_sets_its_outcome_on_every_path(
    any_client: TestClient, clock: FakeClock, action: str, root: str
) -> None:
    first, second = risky_user(any_client), risky_user(any_client, riskLevel="low")
    clock.advance(hours=1)

    assert act(any_client, action, [first, second], root=root).status_code == 204

    for user_id in (first, second):
        user = get_user(any_client, user_id)
        assert (user["riskLevel"], user["riskState"], user["riskDetail"]) == OUTCOME[action]
        assert user["riskLastUpdatedDateTime"] == "2026-03-01T10:30:00.1234560Z"


def test_confirm_safe_detail_is_unknown_future_value_unless_asked(client: TestClient) -> None:
    user_id = risky_user(client)
    act(client, "confirmSafe", [user_id])

    plain = odata_json(client.get(f"{V1}/riskyUsers/{user_id}"))
    listed = odata_json(client.get(f"{V1}/riskyUsers"))["value"][0]
    asked = get_user(client, user_id)

    assert (plain["riskLevel"], plain["riskState"], plain["riskDetail"]) == (
        "none",
        "confirmedSafe",
        "unknownFutureValue",
    )
    assert listed["riskDetail"] == "unknownFutureValue"
    assert asked["riskDetail"] == "adminConfirmedAccountSafe"


def test_prefer_is_matched_among_other_preferences(client: TestClient) -> None:
    user_id = risky_user(client)
    act(client, "confirmSafe", [user_id])

    body = odata_json(
        client.get(
            f"{V1}/riskyUsers/{user_id}",
            headers={"Prefer": "odata.maxpagesize=5, Include-Unknown-Enum-Members"},
        )
    )

    assert body["riskDetail"] == "adminConfirmedAccountSafe"


def test_dismiss_closes_the_users_detections_and_keeps_their_level(
    any_client: TestClient, clock: FakeClock
) -> None:
    user_id = new_id()
    add_detections(
        any_client,
        detection(userId=user_id, riskLevel="medium"),
        detection(userId=user_id, riskLevel="high", riskEventType="anonymizedIPAddress"),
    )
    bystander = risky_user(any_client)
    before = {d["id"]: d for d in detections(any_client)}
    clock.advance(minutes=5)

    act(any_client, "dismiss", [user_id])

    after = detections(any_client)
    closed = [d for d in after if d["userId"] == user_id]
    assert sorted(d["riskLevel"] for d in closed) == ["high", "medium"]
    for d in closed:
        assert d == {
            **before[d["id"]],
            "riskState": "dismissed",
            "riskDetail": "adminDismissedAllRiskForUser",
            "lastUpdatedDateTime": "2026-03-01T09:35:00.1234560Z",
        }
    (untouched,) = [d for d in after if d["userId"] == bystander]
    assert untouched == before[untouched["id"]]


def test_confirm_safe_closes_the_users_detections_as_confirmed_safe(
    client: TestClient, clock: FakeClock
) -> None:
    user_id = risky_user(client, riskLevel="high")
    clock.advance(minutes=1)

    act(client, "confirmSafe", [user_id])

    (plain,) = detections(client)
    (asked,) = detections(client, headers=INCLUDE_UNKNOWN)
    assert (plain["riskLevel"], plain["riskState"], plain["riskDetail"]) == (
        "high",
        "confirmedSafe",
        "unknownFutureValue",
    )
    assert asked["riskDetail"] == "adminConfirmedAccountSafe"
    assert asked["lastUpdatedDateTime"] == "2026-03-01T09:31:00.1234560Z"


def test_confirm_compromised_records_an_admin_detection(
    any_client: TestClient, clock: FakeClock
) -> None:
    user_id = new_id()
    risky_user(
        any_client,
        userId=user_id,
        userDisplayName="Nestor Wilke",
        userPrincipalName="nestorw@contoso.com",
    )
    signed_in = detections(any_client)
    clock.advance(minutes=10)

    act(any_client, "confirmCompromised", [user_id])

    recorded, *rest = detections(any_client)
    assert rest == signed_in  # the sign-in detection stays as it was
    assert len(recorded["id"]) == 64
    assert int(recorded["id"], 16) >= 0
    assert {k: v for k, v in recorded.items() if k != "id"} == {
        "requestId": None,
        "correlationId": None,
        "riskEventType": "adminConfirmedUserCompromised",
        "riskState": "confirmedCompromised",
        "riskLevel": "high",
        "riskDetail": "adminConfirmedUserCompromised",
        "source": "IdentityProtection",
        "detectionTimingType": "offline",
        "activity": "user",
        "tokenIssuerType": "AzureAD",
        "ipAddress": None,
        "activityDateTime": "2026-03-01T09:40:00.1234560Z",
        "detectedDateTime": "2026-03-01T09:40:00.1234560Z",
        "lastUpdatedDateTime": "2026-03-01T09:40:00.1234560Z",
        "userId": user_id,
        "userDisplayName": "Nestor Wilke",
        "userPrincipalName": "nestorw@contoso.com",
        "additionalInfo": None,
        "location": None,
    }


def test_confirm_compromised_makes_a_never_risky_directory_user_risky(
    any_client: TestClient, clock: FakeClock
) -> None:
    user_id = plain_user(any_client, displayName="Isaiah Langer")
    clock.advance(days=1)

    assert act(any_client, "confirmCompromised", [user_id]).status_code == 204

    user = get_user(any_client, user_id)
    assert (user["riskLevel"], user["riskState"], user["riskDetail"]) == OUTCOME[
        "confirmCompromised"
    ]
    assert (user["userDisplayName"], user["riskLastUpdatedDateTime"]) == (
        "Isaiah Langer",
        "2026-03-02T09:30:00.1234560Z",
    )
    (item,) = history(any_client, user_id)
    assert (item["id"], item["initiatedBy"]) == (user_id, ACTOR)
    (recorded,) = detections(any_client)
    assert (recorded["userId"], recorded["riskEventType"]) == (
        user_id,
        "adminConfirmedUserCompromised",
    )


@pytest.mark.parametrize("action", ["dismiss", "confirmSafe"])
def test_dismiss_and_confirm_safe_leave_a_never_risky_user_alone(
    any_client: TestClient, action: str
) -> None:
    user_id = plain_user(any_client)

    assert act(any_client, action, [user_id]).status_code == 204

    assert any_client.get(f"{V1}/riskyUsers/{user_id}").status_code == 404
    assert odata_json(any_client.get(f"{V1}/riskyUsers"))["value"] == []


@pytest.mark.parametrize("action", ACTIONS)
def test_repeating_an_action_changes_nothing(
    any_client: TestClient, clock: FakeClock, action: str
) -> None:
    user_id = risky_user(any_client)
    clock.advance(minutes=1)
    assert act(any_client, action, [user_id]).status_code == 204
    before = snapshot(any_client, user_id)
    clock.advance(minutes=1)

    assert act(any_client, action, [user_id]).status_code == 204

    assert snapshot(any_client, user_id) == before
    assert before[0]["riskLastUpdatedDateTime"] == "2026-03-01T09:31:00.1234560Z"


def test_a_new_detection_after_dismiss_puts_the_user_at_risk_again(
    any_client: TestClient, clock: FakeClock
) -> None:
    user_id = risky_user(any_client, riskLevel="high")
    clock.advance(minutes=1)
    act(any_client, "dismiss", [user_id])
    clock.advance(minutes=1)

    add_detections(any_client, detection(userId=user_id, riskLevel="low"))

    user = get_user(any_client, user_id)
    # The dismissed high detection no longer counts: the user is at the new detection's level.
    assert (user["riskLevel"], user["riskState"], user["riskDetail"]) == ("low", "atRisk", "none")
    assert user["riskLastUpdatedDateTime"] == "2026-03-01T09:32:00.1234560Z"


def test_a_confirmed_compromised_user_stays_so_when_detections_arrive(
    client: TestClient, clock: FakeClock
) -> None:
    user_id = risky_user(client)
    act(client, "confirmCompromised", [user_id])
    before = get_user(client, user_id)
    clock.advance(minutes=1)

    add_detections(client, detection(userId=user_id, riskLevel="low"))

    assert get_user(client, user_id) == before
    assert len(history(client, user_id)) == 2


@pytest.mark.parametrize("action", ACTIONS)
def test_unknown_ids_are_ignored(any_client: TestClient, action: str) -> None:
    user_id = risky_user(any_client)
    before = snapshot(any_client, user_id)

    assert act(any_client, action, [new_id(), "not-a-guid"]).status_code == 204

    assert snapshot(any_client, user_id) == before
    assert len(odata_json(any_client.get(f"{V1}/riskyUsers"))["value"]) == 1


def test_known_ids_change_when_unknown_ids_are_ignored(any_client: TestClient) -> None:
    user_id = risky_user(any_client)

    assert act(any_client, "dismiss", [new_id(), user_id]).status_code == 204

    assert risk_of(any_client, user_id) == OUTCOME["dismiss"]


@pytest.mark.parametrize("action", ACTIONS)
def test_strict_actions_refuse_unknown_ids_and_change_nothing(
    strict_client: TestClient, clock: FakeClock, action: str
) -> None:
    known = risky_user(strict_client)
    first_unknown, second_unknown = new_id(), new_id()
    before = snapshot(strict_client, known)
    clock.advance(minutes=1)

    response = act(strict_client, action, [first_unknown, known, second_unknown])

    bad_request(
        response,
        f"These userIds do not exist in your tenant: {first_unknown}, {second_unknown}.",
    )
    assert snapshot(strict_client, known) == before


def test_strict_actions_accept_known_ids(strict_client: TestClient) -> None:
    user_id = risky_user(strict_client)

    assert act(strict_client, "dismiss", [user_id.upper()]).status_code == 204

    assert risk_of(strict_client, user_id) == OUTCOME["dismiss"]


@pytest.mark.parametrize("action", ACTIONS)
def test_deleted_users_are_refused_and_nothing_changes(
    any_client: TestClient, clock: FakeClock, action: str
) -> None:
    alive, deleted = risky_user(any_client), risky_user(any_client)
    delete_user(any_client, deleted)
    before = snapshot(any_client, alive, deleted)
    clock.advance(minutes=1)

    response = act(any_client, action, [alive, deleted])

    bad_request(
        response,
        f"{action} cannot be applied to deleted users. "
        f"These userIds belong to deleted users: {deleted}.",
    )
    assert snapshot(any_client, alive, deleted) == before


def test_deleted_users_are_refused_in_strict_mode_too(strict_client: TestClient) -> None:
    deleted = risky_user(strict_client)
    delete_user(strict_client, deleted)

    bad_request(
        act(strict_client, "dismiss", [deleted]),
        "dismiss cannot be applied to deleted users. "
        f"These userIds belong to deleted users: {deleted}.",
    )


def test_duplicate_ids_act_once(any_client: TestClient, clock: FakeClock) -> None:
    user_id = risky_user(any_client)
    clock.advance(minutes=1)

    response = act(any_client, "confirmCompromised", [user_id, user_id, user_id.upper()])

    assert response.status_code == 204
    assert risk_of(any_client, user_id) == OUTCOME["confirmCompromised"]
    assert len(history(any_client, user_id)) == 2
    assert len(detections(any_client)) == 2


def test_ids_match_without_regard_to_case(any_client: TestClient) -> None:
    user_id = risky_user(any_client)

    assert act(any_client, "dismiss", [user_id.upper()]).status_code == 204

    assert risk_of(any_client, user_id) == OUTCOME["dismiss"]


def test_sixty_ids_are_accepted(any_client: TestClient) -> None:
    created = add_detections(any_client, *(detection() for _ in range(60)))
    user_ids = [d["userId"] for d in created]

    assert act(any_client, "dismiss", user_ids).status_code == 204

    listed = odata_json(any_client.get(f"{V1}/riskyUsers", params={"$top": "60"}))["value"]
    assert {u["riskState"] for u in listed} == {"dismissed"}
    assert len(listed) == 60


@pytest.mark.parametrize("action", ["confirmCompromised", "dismiss"])
def test_a_change_is_never_dated_before_the_last_one(
    any_client: TestClient, clock: FakeClock, action: str
) -> None:
    """A clock behind the user's last change (another server's, or one set back) dates the next
    change just after it: riskLastUpdatedDateTime and history only ever move forward."""
    user = risky_user(any_client)  # at 09:30:00.123456
    clock.advance(hours=-1)
    act(any_client, action, [user])
    assert get_user(any_client, user)["riskLastUpdatedDateTime"] == "2026-03-01T09:30:00.1234570Z"
    items = history(any_client, user)
    assert [i["riskLastUpdatedDateTime"] for i in items] == [
        "2026-03-01T09:30:00.1234570Z",
        "2026-03-01T09:30:00.1234560Z",
    ]
    assert items[0]["id"] == user


def test_detections_after_a_clock_set_back_are_dated_after_the_last_change(
    any_client: TestClient, clock: FakeClock
) -> None:
    user = risky_user(any_client, riskLevel="low")
    clock.advance(minutes=-10)
    add_detections(any_client, detection(userId=user, riskLevel="high"))
    assert get_user(any_client, user)["riskLastUpdatedDateTime"] == "2026-03-01T09:30:00.1234570Z"
    dates = [i["riskLastUpdatedDateTime"] for i in history(any_client, user)]
    assert dates == ["2026-03-01T09:30:00.1234570Z", "2026-03-01T09:30:00.1234560Z"]
