"""List and get riskyUsers: envelope, fields, $top, nextLink paging and refused options."""

from __future__ import annotations

import base64

import httpx
import pytest
from starlette.testclient import TestClient

from tests.api.expect import BASE, RISKY_USER_FIELDS, bad_request, graph_error, odata_json
from tests.factories import (
    TENANT,
    V1,
    add_detections,
    delete_user,
    detection,
    new_id,
    plain_user,
    risky_user,
    signed_skiptoken,
)

LIST = f"{V1}/riskyUsers"
CONTEXT = f"{BASE}/v1.0/$metadata#identityProtection/riskyUsers"


def risky_users(client: TestClient, count: int) -> list[str]:
    """`count` risky users made in one request; their ids in the order Graph lists them."""
    created = add_detections(client, *(detection() for _ in range(count)))
    return sorted(d["userId"] for d in created)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_list_risky_users_answers_the_graph_envelope(any_client: TestClient) -> None:
    user_id = new_id()
    risky_user(
        any_client,
        userId=user_id,
        userDisplayName="Adele Vance",
        userPrincipalName="adelev@contoso.com",
        riskLevel="high",
    )

    body = odata_json(any_client.get(LIST))

    assert body == {
        "@odata.context": CONTEXT,
        "value": [
            {
                "id": user_id,
                "isDeleted": False,
                "isProcessing": False,
                "riskLastUpdatedDateTime": "2026-03-01T09:30:00.1234560Z",
                "riskLevel": "high",
                "riskState": "atRisk",
                "riskDetail": "none",
                "userDisplayName": "Adele Vance",
                "userPrincipalName": "adelev@contoso.com",
            }
        ],
    }
    assert list(body) == ["@odata.context", "value"]
    assert list(body["value"][0]) == RISKY_USER_FIELDS


def test_list_is_empty_when_no_user_was_ever_risky(client: TestClient) -> None:
    plain_user(client)

    assert odata_json(client.get(LIST)) == {"@odata.context": CONTEXT, "value": []}


def test_list_orders_users_by_id(client: TestClient) -> None:
    ids = risky_users(client, 5)

    assert [u["id"] for u in odata_json(client.get(LIST))["value"]] == ids


def test_list_shows_deleted_users_with_is_deleted_true(client: TestClient) -> None:
    user_id = risky_user(client)
    delete_user(client, user_id)

    (user,) = odata_json(client.get(LIST))["value"]

    assert (user["id"], user["isDeleted"]) == (user_id, True)


def test_default_page_size_is_20(any_client: TestClient) -> None:
    ids = risky_users(any_client, 21)

    first = odata_json(any_client.get(LIST))
    second = odata_json(any_client.get(first["@odata.nextLink"]))

    assert list(first) == ["@odata.context", "@odata.nextLink", "value"]
    assert [u["id"] for u in first["value"]] == ids[:20]
    assert [u["id"] for u in second["value"]] == ids[20:]
    assert "@odata.nextLink" not in second


@pytest.mark.parametrize(("top", "size"), [("1", 1), ("2", 2), ("500", 3)])
def test_top_sets_the_page_size_from_1_to_500(client: TestClient, top: str, size: int) -> None:
    ids = risky_users(client, 3)

    body = odata_json(client.get(LIST, params={"$top": top}))

    assert [u["id"] for u in body["value"]] == ids[:size]
    assert ("@odata.nextLink" in body) == (size < 3)


@pytest.mark.parametrize("top", ["0", "501", "-1", "abc", "", "1.5", "+5", "²", "\uff11"])
def test_top_outside_1_to_500_is_a_bad_request(client: TestClient, top: str) -> None:
    risky_user(client)

    bad_request(
        client.get(LIST, params={"$top": top}),
        f"Invalid value '{top}' for query option '$top': it must be a whole number from 1 to 500.",
    )


def test_next_link_is_absolute_and_carries_the_original_options(client: TestClient) -> None:
    risky_users(client, 3)

    link = odata_json(client.get(f"{LIST}?$top=2"))["@odata.nextLink"]

    prefix = f"{BASE}/v1.0/identityProtection/riskyUsers?$top=2&$skiptoken="
    assert link.startswith(prefix)
    assert len(link) > len(prefix)


@pytest.mark.parametrize("name", ["top", "$TOP", "Top", "%24top"])
def test_option_names_match_in_any_case_with_or_without_dollar(
    client: TestClient, name: str
) -> None:
    ids = risky_users(client, 3)

    body = odata_json(client.get(f"{LIST}?{name}=2"))

    assert [u["id"] for u in body["value"]] == ids[:2]
    sent_as = name.replace("%24", "$")
    assert body["@odata.nextLink"].startswith(f"{BASE}{LIST}?{sent_as}=2&$skiptoken=")


def test_next_link_drops_parameters_that_are_not_odata_options(client: TestClient) -> None:
    risky_users(client, 2)

    link = odata_json(client.get(f"{LIST}?$top=1&tracking=abc"))["@odata.nextLink"]

    assert link.startswith(f"{BASE}{LIST}?$top=1&$skiptoken=")
    assert "tracking" not in link


def test_next_links_walk_every_user_exactly_once_when_top_changes(
    any_client: TestClient,
) -> None:
    ids = risky_users(any_client, 13)
    seen: list[str] = []
    body = odata_json(any_client.get(LIST, params={"$top": "5"}))
    seen += [u["id"] for u in body["value"]]
    for top in ("2", "3", "1", "7"):
        link = httpx.URL(body["@odata.nextLink"]).copy_set_param("$top", top)
        body = odata_json(any_client.get(link))
        seen += [u["id"] for u in body["value"]]
        if "@odata.nextLink" not in body:
            break

    assert seen == ids
    assert "@odata.nextLink" not in body


def test_the_page_that_ends_the_collection_exactly_has_no_next_link(
    any_client: TestClient,
) -> None:
    ids = risky_users(any_client, 4)

    first = odata_json(any_client.get(LIST, params={"$top": "2"}))
    last = odata_json(any_client.get(first["@odata.nextLink"]))

    assert [u["id"] for u in last["value"]] == ids[2:]
    assert list(last) == ["@odata.context", "value"]


@pytest.mark.parametrize(
    "skiptoken",
    [
        "garbage!",
        "",
        "é",
        ".",
        "a.b.c",
        b64(b'["riskyUsers","x","y"]'),
        b64(b'["riskyUsers","x","y"]') + "." + b64(b"0" * 16),
        b64(b"[" * 5000 + b"]" * 5000) + "." + b64(b"0" * 16),
        b64(b"\xff\xfe") + ".\u00e9",
    ],
)
def test_a_skiptoken_this_service_did_not_sign_is_a_bad_request(
    any_client: TestClient, skiptoken: str
) -> None:
    risky_user(any_client)

    bad_request(
        any_client.get(LIST, params={"$skiptoken": skiptoken}), "The $skiptoken is not valid."
    )


@pytest.mark.parametrize("position", [(7,), ("a", "b"), ("a\u0000b",), (None,), ()])
def test_a_signed_skiptoken_with_a_position_of_another_shape_is_a_bad_request(
    any_client: TestClient, position: tuple[str | int | None, ...]
) -> None:
    risky_user(any_client)
    skiptoken = signed_skiptoken(any_client, *position)

    bad_request(
        any_client.get(LIST, params={"$skiptoken": skiptoken}),
        "The $skiptoken is not valid for this collection.",
    )


def test_a_skiptoken_of_another_collection_is_a_bad_request(client: TestClient) -> None:
    add_detections(client, detection(), detection())
    link = odata_json(client.get(f"{V1}/riskDetections?$top=1"))["@odata.nextLink"]
    skiptoken = link.split("$skiptoken=")[1]

    bad_request(
        client.get(LIST, params={"$skiptoken": skiptoken}),
        "The $skiptoken is not valid for this collection.",
    )


@pytest.mark.parametrize(
    ("query", "option"),
    [
        ("$expand=history", "$expand"),
        ("$search=adele", "$search"),
        ("$skip=1", "$skip"),
        ("skip=1", "$skip"),
        ("$SKIP=1", "$skip"),
        ("$format=json", "$format"),
        ("$deltatoken=abc", "$deltatoken"),
        ("$foo=bar", "$foo"),
    ],
)
def test_unsupported_query_options_are_refused_never_ignored(
    client: TestClient, query: str, option: str
) -> None:
    risky_user(client)

    bad_request(client.get(f"{LIST}?{query}"), f"Query option '{option}' is not supported.")


def test_an_option_given_twice_is_a_bad_request(client: TestClient) -> None:
    bad_request(
        client.get(f"{LIST}?$top=1&top=2"), "Query option '$top' was specified more than once."
    )


def test_beta_lists_risky_users_on_both_paths(client: TestClient) -> None:
    risky_user(client)

    legacy = odata_json(client.get("/beta/riskyUsers"))
    rooted = odata_json(client.get("/beta/identityProtection/riskyUsers"))

    assert legacy["@odata.context"] == f"{BASE}/beta/$metadata#riskyUsers"
    assert rooted["@odata.context"] == f"{BASE}/beta/$metadata#identityProtection/riskyUsers"
    assert legacy["value"] == rooted["value"]
    assert list(legacy["value"][0]) == RISKY_USER_FIELDS


def test_get_risky_user_answers_the_entity(any_client: TestClient) -> None:
    user_id = new_id()
    risky_user(
        any_client,
        userId=user_id,
        userDisplayName="Alex Wilber",
        userPrincipalName="alexw@contoso.com",
        riskLevel="low",
    )

    body = odata_json(any_client.get(f"{LIST}/{user_id}"))

    assert body == {
        "@odata.context": f"{CONTEXT}/$entity",
        "id": user_id,
        "isDeleted": False,
        "isProcessing": False,
        "riskLastUpdatedDateTime": "2026-03-01T09:30:00.1234560Z",
        "riskLevel": "low",
        "riskState": "atRisk",
        "riskDetail": "none",
        "userDisplayName": "Alex Wilber",
        "userPrincipalName": "alexw@contoso.com",
    }
    assert list(body) == ["@odata.context", *RISKY_USER_FIELDS]


def test_get_unknown_risky_user_is_not_found(any_client: TestClient) -> None:
    user_id = new_id()

    graph_error(
        any_client.get(f"{LIST}/{user_id}"),
        404,
        "NotFound",
        f"The riskyUser '{user_id}' was not found.",
    )


@pytest.mark.parametrize("user_id", ["%00", "not-a-guid", "x" * 300])
def test_get_with_an_id_no_user_can_have_is_not_found(any_client: TestClient, user_id: str) -> None:
    response = any_client.get(f"{LIST}/{user_id}")

    assert (response.status_code, response.json()["error"]["code"]) == (404, "NotFound")


def test_get_finds_the_user_by_an_uppercase_guid(any_client: TestClient) -> None:
    user_id = risky_user(any_client)

    body = odata_json(any_client.get(f"{LIST}/{user_id.upper()}"))

    assert body["id"] == user_id


def test_get_directory_user_who_was_never_risky_is_not_found(any_client: TestClient) -> None:
    user_id = plain_user(any_client)

    graph_error(
        any_client.get(f"{LIST}/{user_id}"),
        404,
        "NotFound",
        f"The riskyUser '{user_id}' was not found.",
    )


def test_get_refuses_collection_options(client: TestClient) -> None:
    user_id = risky_user(client)

    bad_request(
        client.get(f"{LIST}/{user_id}?$top=1"),
        "Query option '$top' is not allowed on a single entity.",
    )


def test_get_on_beta_legacy_path_names_the_legacy_set(client: TestClient) -> None:
    user_id = risky_user(client)

    body = odata_json(client.get(f"/beta/riskyUsers/{user_id}"))

    assert body["@odata.context"] == f"{BASE}/beta/$metadata#riskyUsers/$entity"
    assert list(body) == ["@odata.context", *RISKY_USER_FIELDS]


@pytest.mark.parametrize("licence", ["P1", "Free"])
def test_the_count_needs_p2(any_client: TestClient, licence: str) -> None:
    risky_users(any_client, 2)
    assert any_client.get(f"{LIST}/$count").text == "2"
    response = any_client.put(f"/_admin/tenants/{TENANT}", json={"licence": licence})
    assert response.status_code == 204

    for query in ("", "?$filter=riskLevel eq 'high'"):
        graph_error(
            any_client.get(f"{LIST}/$count{query}"),
            403,
            "Forbidden",
            "Your tenant is not licensed for this feature.",
        )
