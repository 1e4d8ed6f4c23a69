from starlette.testclient import TestClient

from tests.factories import V1, act, risky_user


def test_dismiss_round_trip(any_client: TestClient) -> None:
    first, second = risky_user(any_client), risky_user(any_client, riskLevel="high")

    assert act(any_client, "dismiss", [first, second]).status_code == 204

    for user_id in (first, second):
        body = any_client.get(f"{V1}/riskyUsers/{user_id}").json()
        assert (body["riskLevel"], body["riskState"], body["riskDetail"]) == (
            "none",
            "dismissed",
            "adminDismissedAllRiskForUser",
        )
