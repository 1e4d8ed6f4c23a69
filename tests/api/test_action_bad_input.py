"""Action requests Graph refuses: bodies that are not `{"userIds": [...]}`, and wrong methods."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.api.expect import bad_request, graph_error, odata_json
from tests.factories import V1, new_id, risky_user

DISMISS = f"{V1}/riskyUsers/dismiss"
JSON = {"Content-Type": "application/json"}
UNREADABLE = (
    "Unable to read JSON request payload. Please ensure Content-Type header is set and "
    "payload is of valid JSON format."
)
NOT_AN_OBJECT = "The request body must be a JSON object with a 'userIds' array."


def test_missing_content_type_is_a_bad_request(client: TestClient) -> None:
    response = client.post(DISMISS, content=f'{{"userIds": ["{new_id()}"]}}'.encode())

    assert "content-type" not in response.request.headers
    bad_request(response, UNREADABLE)


def test_text_plain_content_type_is_a_bad_request(client: TestClient) -> None:
    response = client.post(
        DISMISS,
        content=f'{{"userIds": ["{new_id()}"]}}'.encode(),
        headers={"Content-Type": "text/plain"},
    )

    bad_request(response, UNREADABLE)


def test_malformed_json_is_a_bad_request(client: TestClient) -> None:
    bad_request(client.post(DISMISS, content=b'{"userIds": [', headers=JSON), UNREADABLE)


def test_json_that_is_not_utf8_is_a_bad_request(client: TestClient) -> None:
    bad_request(client.post(DISMISS, content=b'{"userIds": ["\xff"]}', headers=JSON), UNREADABLE)


def test_empty_body_is_a_bad_request(client: TestClient) -> None:
    bad_request(
        client.post(DISMISS, content=b"", headers=JSON), "Empty Payload. JSON content expected."
    )


def test_blank_body_is_a_bad_request(client: TestClient) -> None:
    bad_request(
        client.post(DISMISS, content=b" \r\n", headers=JSON),
        "Empty Payload. JSON content expected.",
    )


def test_body_that_is_an_array_is_a_bad_request(client: TestClient) -> None:
    bad_request(client.post(DISMISS, json=[new_id()]), NOT_AN_OBJECT)


def test_body_that_is_null_is_a_bad_request(client: TestClient) -> None:
    bad_request(client.post(DISMISS, content=b"null", headers=JSON), NOT_AN_OBJECT)


@pytest.mark.parametrize("action", ["dismiss", "confirmCompromised", "confirmSafe"])
def test_missing_user_ids_is_a_bad_request_naming_the_operation(
    client: TestClient, action: str
) -> None:
    bad_request(
        client.post(f"{V1}/riskyUsers/{action}", json={}),
        f"The parameter 'userIds' is required for the operation '{action}'.",
    )


def test_qualified_action_name_is_named_plainly(client: TestClient) -> None:
    bad_request(
        client.post(f"{V1}/riskyUsers/microsoft.graph.confirmSafe", json={}),
        "The parameter 'userIds' is required for the operation 'confirmSafe'.",
    )


def test_user_ids_that_is_not_an_array_is_a_bad_request(client: TestClient) -> None:
    bad_request(
        client.post(DISMISS, json={"userIds": new_id()}),
        "The parameter 'userIds' must be an array of strings.",
    )


def test_user_ids_that_is_null_is_a_bad_request(client: TestClient) -> None:
    bad_request(
        client.post(DISMISS, json={"userIds": None}),
        "The parameter 'userIds' must be an array of strings.",
    )


def test_a_non_string_user_id_is_a_bad_request(client: TestClient) -> None:
    bad_request(
        client.post(DISMISS, json={"userIds": [new_id(), 42]}),
        "userIds[1] must be a non-empty string.",
    )


def test_a_null_user_id_is_a_bad_request(client: TestClient) -> None:
    bad_request(
        client.post(DISMISS, json={"userIds": [None]}), "userIds[0] must be a non-empty string."
    )


def test_an_empty_string_user_id_is_a_bad_request(client: TestClient) -> None:
    bad_request(
        client.post(DISMISS, json={"userIds": [new_id(), new_id(), ""]}),
        "userIds[2] must be a non-empty string.",
    )


def test_a_blank_user_id_is_a_bad_request(client: TestClient) -> None:
    bad_request(
        client.post(DISMISS, json={"userIds": ["   "]}), "userIds[0] must be a non-empty string."
    )


def test_an_empty_user_ids_array_is_a_bad_request(client: TestClient) -> None:
    bad_request(
        client.post(DISMISS, json={"userIds": []}),
        "The parameter 'userIds' must hold at least one id.",
    )


def test_sixty_one_ids_are_a_bad_request(client: TestClient) -> None:
    bad_request(
        client.post(DISMISS, json={"userIds": [new_id() for _ in range(61)]}),
        "The parameter 'userIds' can hold at most 60 ids; 61 were given.",
    )


def test_sixty_ids_are_accepted(client: TestClient) -> None:
    assert client.post(DISMISS, json={"userIds": [new_id() for _ in range(60)]}).status_code == 204


def test_an_extra_unknown_parameter_is_a_bad_request(client: TestClient) -> None:
    bad_request(
        client.post(DISMISS, json={"userIds": [new_id()], "reason": "false positive"}),
        "The parameter 'reason' in the request payload is not a valid parameter "
        "for the operation 'dismiss'.",
    )


def test_instance_annotations_in_the_body_are_accepted(client: TestClient) -> None:
    body = {"@odata.type": "#microsoft.graph.dismiss", "userIds": [new_id()]}

    assert client.post(DISMISS, json=body).status_code == 204


def test_json_with_a_charset_parameter_is_accepted(client: TestClient) -> None:
    response = client.post(
        DISMISS,
        content=f'{{"userIds": ["{new_id()}"]}}'.encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )

    assert response.status_code == 204


def test_a_refused_body_changes_nothing(client: TestClient) -> None:
    user_id = risky_user(client)
    before = odata_json(client.get(f"{V1}/riskyUsers/{user_id}"))

    response = client.post(DISMISS, json={"userIds": [user_id, *(new_id() for _ in range(60))]})

    assert response.status_code == 400
    assert odata_json(client.get(f"{V1}/riskyUsers/{user_id}")) == before


def test_a_user_id_holding_nul_names_no_user(any_client: TestClient) -> None:
    assert any_client.post(DISMISS, json={"userIds": ["a\u0000b"]}).status_code == 204


METHOD_NOT_ALLOWED = "Specified HTTP method is not allowed for the request target."


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/riskyUsers/dismiss"),
        ("GET", "/riskyUsers/confirmCompromised"),
        ("GET", "/riskyUsers/confirmSafe"),
        ("PUT", "/riskyUsers/dismiss"),
        ("DELETE", "/riskyUsers/dismiss"),
        ("POST", "/riskyUsers/{id}"),
        ("PATCH", "/riskyUsers/{id}"),
        ("DELETE", "/riskyUsers/{id}"),
        ("POST", "/riskyUsers"),
        ("POST", "/riskyUsers/{id}/history"),
        ("POST", "/riskDetections"),
    ],
)
def test_wrong_method_is_method_not_allowed(client: TestClient, method: str, path: str) -> None:
    user_id = risky_user(client)
    url = V1 + path.replace("{id}", user_id)

    response = client.request(method, url, json={"userIds": [user_id]})

    graph_error(response, 405, "Request_BadRequest", METHOD_NOT_ALLOWED)
    # RFC 9110: a 405 names the methods the target does answer.
    actions = ("dismiss", "confirmCompromised", "confirmSafe")
    expected = "POST" if path.endswith(actions) else "GET"
    assert response.headers["allow"] == expected


def test_get_on_an_action_of_the_beta_legacy_root_is_method_not_allowed(
    client: TestClient,
) -> None:
    graph_error(
        client.get("/beta/riskyUsers/dismiss"), 405, "Request_BadRequest", METHOD_NOT_ALLOWED
    )
