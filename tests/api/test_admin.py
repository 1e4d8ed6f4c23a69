"""The /_admin extension API: users, detections and fixtures in; bad bodies are Graph 400s."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.expect import bad_request, graph_error, odata_json
from tests.factories import (
    TENANT,
    V1,
    add_detections,
    add_users,
    delete_user,
    detection,
    directory_user,
    new_id,
    plain_user,
    risky_user,
)

ADMIN = f"/_admin/tenants/{TENANT}"
JSON = {"Content-Type": "application/json"}


def post(client: TestClient, resource: str, body: Any) -> Any:
    return client.post(f"{ADMIN}/{resource}", json=body)


def test_added_users_are_directory_users_not_risky_users(client: TestClient) -> None:
    user_id = new_id()

    response = post(client, "users", {"value": [directory_user(id=user_id)]})

    assert (response.status_code, response.content) == (204, b"")
    assert client.get(f"{V1}/riskyUsers/{user_id}").status_code == 404


def test_users_given_a_risk_state_become_risky(any_client: TestClient) -> None:
    user_id = new_id()

    add_users(
        any_client,
        directory_user(
            id=user_id,
            riskLevel="high",
            riskState="atRisk",
            riskLastUpdatedDateTime="2026-01-02T03:04:05Z",
        ),
    )

    user = odata_json(any_client.get(f"{V1}/riskyUsers/{user_id}"))
    assert (user["riskLevel"], user["riskState"], user["riskLastUpdatedDateTime"]) == (
        "high",
        "atRisk",
        "2026-01-02T03:04:05.0000000Z",
    )


def test_years_before_1000_keep_four_digits(any_client: TestClient) -> None:
    user_id = new_id()
    add_users(
        any_client,
        directory_user(
            id=user_id,
            riskLevel="low",
            riskState="atRisk",
            riskLastUpdatedDateTime="0012-07-24T04:47:57.8Z",
        ),
    )

    user = odata_json(any_client.get(f"{V1}/riskyUsers/{user_id}"))
    assert user["riskLastUpdatedDateTime"] == "0012-07-24T04:47:57.8000000Z"


def test_a_user_given_twice_in_one_batch_is_one_user(any_client: TestClient) -> None:
    user_id = new_id()

    add_users(any_client, directory_user(id=user_id), directory_user(id=user_id.upper()))
    add_detections(any_client, detection(userId=user_id))

    assert len(odata_json(any_client.get(f"{V1}/riskyUsers"))["value"]) == 1


def test_added_detections_are_answered_as_graph_shows_them(client: TestClient) -> None:
    response = post(client, "riskDetections", {"value": [detection(riskLevel="low")]})

    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    (created,) = response.json()["value"]
    assert odata_json(client.get(f"{V1}/riskDetections"))["value"] == [created]


def test_deleting_an_unknown_user_is_not_found(client: TestClient) -> None:
    graph_error(
        client.delete(f"{ADMIN}/users/nobody"), 404, "NotFound", "The user 'nobody' was not found."
    )


def test_deleting_a_user_keeps_them_listed_as_deleted(any_client: TestClient) -> None:
    user_id = risky_user(any_client)

    delete_user(any_client, user_id.upper())

    assert odata_json(any_client.get(f"{V1}/riskyUsers/{user_id}"))["isDeleted"] is True


def test_detections_for_deleted_users_are_refused(any_client: TestClient) -> None:
    user_id = risky_user(any_client)
    delete_user(any_client, user_id)

    bad_request(
        post(any_client, "riskDetections", {"value": [detection(userId=user_id)]}),
        f"Detections cannot be added for deleted users: {user_id}.",
    )


def test_an_active_detection_needs_a_severity(client: TestClient) -> None:
    bad_request(
        post(client, "riskDetections", {"value": [detection(riskLevel="hidden")]}),
        "A detection in state 'atRisk' needs riskLevel low, medium or high, not 'hidden'.",
    )


def test_a_detection_id_given_twice_is_refused(any_client: TestClient) -> None:
    detection_id = secrets.token_hex(32)
    body = {"value": [detection(id=detection_id), detection(id=detection_id)]}

    bad_request(
        post(any_client, "riskDetections", body),
        f"These risk detection ids are given more than once: {detection_id}.",
    )
    assert odata_json(any_client.get(f"{V1}/riskDetections"))["value"] == []


def test_a_detection_id_that_exists_is_refused_and_nothing_is_added(
    any_client: TestClient,
) -> None:
    (existing,) = add_detections(any_client, detection())

    bad_request(
        post(any_client, "riskDetections", {"value": [detection(), detection(id=existing["id"])]}),
        f"These risk detection ids already exist: {existing['id']}.",
    )
    assert odata_json(any_client.get(f"{V1}/riskDetections"))["value"] == [existing]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The request body is not valid JSON."),
        (b"{", "The request body is not valid JSON."),
        (b"\xff", "The request body is not valid JSON."),
        (
            b"[]",
            "Invalid request body at 'body': Input should be an object.",
        ),
        (b"{}", "Invalid request body at 'value': Field required."),
        (
            b'{"value": []}',
            "Invalid request body at 'value': "
            "List should have at least 1 item after validation, not 0.",
        ),
        (b'{"value": [{}]}', "Invalid request body at 'value.0.id': Field required."),
        (
            b'{"value": [{"id": 7}]}',
            "Invalid request body at 'value.0.id': Input should be a valid string.",
        ),
        (
            b'{"value": [{"id": "a", "mail": "a@b"}]}',
            "Invalid request body at 'value.0.mail': Extra inputs are not permitted.",
        ),
        (
            b'{"value": [{"id": "a", "riskLevel": "severe"}]}',
            "Invalid request body at 'value.0.riskLevel': Input should be 'low', 'medium', "
            "'high', 'hidden', 'none' or 'unknownFutureValue'.",
        ),
        (
            b'{"value": [{"id": "a", "riskState": "atRisk", '
            b'"riskLastUpdatedDateTime": "2026-01-01T00:00:00"}]}',
            "Invalid request body at 'value.0.riskLastUpdatedDateTime': "
            "Input should have timezone info.",
        ),
        (
            b'{"value": [{"id": "a", "isDeleted": "true"}]}',
            "Invalid request body at 'value.0.isDeleted': Input should be a valid boolean.",
        ),
        (
            b'{"value": [{"id": "a", "riskLastUpdatedDateTime": 0}]}',
            "Invalid request body at 'value.0.riskLastUpdatedDateTime': "
            "Input should be a valid datetime.",
        ),
        (
            b'{"value": [{"id": "' + b"x" * 129 + b'"}]}',
            "Invalid request body at 'value.0.id': String should have at most 128 characters.",
        ),
        (
            b'{"value": [{"id": "a", "displayName": "' + b"x" * 257 + b'"}]}',
            "Invalid request body at 'value.0.displayName': "
            "String should have at most 256 characters.",
        ),
        (
            b'{"value": [{"id": "a\\u0000b"}]}',
            "Invalid request body at 'value.0.id': "
            "Value error, must not contain the NUL character.",
        ),
    ],
)
def test_bad_user_bodies_are_bad_requests(
    any_client: TestClient, content: bytes, message: str
) -> None:
    bad_request(any_client.post(f"{ADMIN}/users", content=content, headers=JSON), message)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"userPrincipalName": 5}, "userPrincipalName", "Input should be a valid string"),
        ({"riskEventType": ""}, "riskEventType", "String should have at least 1 character"),
        (
            {"riskLevel": None},
            "riskLevel",
            "Input should be 'low', 'medium', 'high', 'hidden', 'none' or 'unknownFutureValue'",
        ),
        (
            {"activity": "signIn"},
            "activity",
            "Input should be 'signin', 'user', 'unknownFutureValue' or 'servicePrincipal'",
        ),
        (
            {"activityDateTime": "yesterday"},
            "activityDateTime",
            "Input should be a valid datetime, input is too short",
        ),
        (
            {"detectedDateTime": "2026-01-01T00:00:00"},
            "detectedDateTime",
            "Input should have timezone info",
        ),
        (
            {"activityDateTime": "0001-01-01T00:00:00+05:00"},
            "activityDateTime",
            "Value error, must be a moment that exists in UTC",
        ),
        (
            {"detectedDateTime": "9999-12-31T23:59:59-01:00"},
            "detectedDateTime",
            "Value error, must be a moment that exists in UTC",
        ),
        (
            {"userDisplayName": "x" * 257},
            "userDisplayName",
            "String should have at most 256 characters",
        ),
        ({"ipAddress": "1" * 65}, "ipAddress", "String should have at most 64 characters"),
        ({"requestId": "r" * 65}, "requestId", "String should have at most 64 characters"),
        (
            {"mitreTechniqueId": "T" * 33},
            "mitreTechniqueId",
            "String should have at most 32 characters",
        ),
        ({"source": "s\u0000"}, "source", "Value error, must not contain the NUL character"),
        (
            {"location": {"countryOrRegion": "U" * 129}},
            "location.countryOrRegion",
            "String should have at most 128 characters",
        ),
        (
            {"location": {"city": "c" * 129}},
            "location.city",
            "String should have at most 128 characters",
        ),
        (
            {"location": {"geoCoordinates": {"latitude": "north"}}},
            "location.geoCoordinates.latitude",
            "Input should be a valid number",
        ),
        # Strict: JSON of another type is refused, never converted (the OpenAPI schema says
        # string, boolean, number, and a number is not a date).
        ({"activityDateTime": 0}, "activityDateTime", "Input should be a valid datetime"),
        (
            {"location": {"geoCoordinates": {"latitude": "45.7"}}},
            "location.geoCoordinates.latitude",
            "Input should be a valid number",
        ),
        ({"riskLevelx": "low"}, "riskLevelx", "Extra inputs are not permitted"),
    ],
)
def test_bad_detection_bodies_are_bad_requests(
    any_client: TestClient, overrides: dict[str, Any], field: str, message: str
) -> None:
    body = {"value": [detection(**overrides)]}

    bad_request(
        post(any_client, "riskDetections", body),
        f"Invalid request body at 'value.0.{field}': {message}.",
    )
    assert odata_json(any_client.get(f"{V1}/riskDetections"))["value"] == []


def test_a_detection_batch_must_not_be_empty(client: TestClient) -> None:
    bad_request(
        post(client, "riskDetections", {"value": []}),
        "Invalid request body at 'value': List should have at least 1 item after validation, "
        "not 0.",
    )


def test_bad_fixtures_are_bad_requests(client: TestClient) -> None:
    bad_request(
        post(client, "fixtures", {"users": [{"id": "a"}], "riskDetections": [{"userId": "a"}]}),
        "Invalid request body at 'riskDetections.0.riskEventType': Field required.",
    )


def test_fixtures_load_users_and_detections(any_client: TestClient) -> None:
    user_id, quiet_id = new_id(), new_id()

    response = post(
        any_client,
        "fixtures",
        {
            "users": [directory_user(id=user_id), directory_user(id=quiet_id)],
            "riskDetections": [detection(userId=user_id, riskLevel="high")],
        },
    )

    assert response.status_code == 204
    listed = odata_json(any_client.get(f"{V1}/riskyUsers"))["value"]
    assert [(u["id"], u["riskLevel"]) for u in listed] == [(user_id, "high")]
    assert any_client.get(f"{V1}/riskyUsers/{quiet_id}").status_code == 404


@pytest.mark.parametrize("tenant", ["t" * 65, "a%00b"])
def test_a_tenant_id_no_tenant_can_have_is_a_bad_request(
    any_client: TestClient, tenant: str
) -> None:
    for response in (
        any_client.post(f"/_admin/tenants/{tenant}/users", json={"value": [directory_user()]}),
        any_client.post(f"/_admin/tenants/{tenant}/riskDetections", json={"value": [detection()]}),
        any_client.post(f"/_admin/tenants/{tenant}/fixtures", json={}),
        any_client.delete(f"/_admin/tenants/{tenant}/users/{new_id()}"),
    ):
        bad_request(
            response, "The tenant id must have from 1 to 64 characters and no NUL character."
        )


def test_each_tenant_sees_only_its_own_users(client: TestClient) -> None:
    other_tenant = new_id()
    add_detections(client, detection(), tenant=other_tenant)
    mine = plain_user(client)

    assert odata_json(client.get(f"{V1}/riskyUsers"))["value"] == []
    assert client.delete(f"/_admin/tenants/{other_tenant}/users/{mine}").status_code == 404
