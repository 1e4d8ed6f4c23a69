"""Tenant isolation on every endpoint, and licences (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from idprotect.store.tables import tenants
from tests.auth.tokens import (
    EVENTS,
    TENANT_A,
    TENANT_B,
    WRITE,
    app_bearer,
    seed_detections,
    seed_risky_user,
    set_licence,
)
from tests.factories import detection

V1 = "/v1.0/identityProtection"
NOT_LICENSED = "Your tenant is not licensed for this feature."


@pytest.fixture
def two_tenants(any_secure: TestClient) -> dict[str, Any]:
    """Tenant A with risky users, detections and history; tenant B with one user of its own."""
    a_users = [seed_risky_user(any_secure, TENANT_A) for _ in range(3)]
    a_detection = seed_detections(any_secure, TENANT_A, detection(userId=a_users[0]))[0]["id"]
    a_headers = app_bearer(any_secure, TENANT_A, WRITE, EVENTS)
    history = any_secure.get(f"{V1}/riskyUsers/{a_users[0]}/history", headers=a_headers)
    b_user = seed_risky_user(any_secure, TENANT_B)
    return {
        "a_users": a_users,
        "a_detection": a_detection,
        "a_item": history.json()["value"][-1]["id"],
        "a": a_headers,
        "b": app_bearer(any_secure, TENANT_B, WRITE, EVENTS),
        "b_user": b_user,
    }


def test_lists_show_only_the_callers_tenant(
    any_secure: TestClient, two_tenants: dict[str, Any]
) -> None:
    b = two_tenants["b"]
    users = any_secure.get(f"{V1}/riskyUsers", headers=b).json()["value"]
    detections = any_secure.get(f"{V1}/riskDetections", headers=b).json()["value"]
    assert [u["id"] for u in users] == [two_tenants["b_user"]]
    assert {d["userId"] for d in detections} == {two_tenants["b_user"]}


@pytest.mark.parametrize(
    "path",
    [
        "/riskyUsers/{user}",
        "/riskyUsers/{user}/history",
        "/riskyUsers/{user}/history/{item}",
        "/riskDetections/{detection}",
    ],
)
def test_another_tenants_entities_are_not_found(
    any_secure: TestClient, two_tenants: dict[str, Any], path: str
) -> None:
    url = V1 + path.format(
        user=two_tenants["a_users"][0],
        item=two_tenants["a_item"],
        detection=two_tenants["a_detection"],
    )
    assert any_secure.get(url, headers=two_tenants["a"]).status_code == 200
    response = any_secure.get(url, headers=two_tenants["b"])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NotFound"


@pytest.mark.parametrize("action", ["dismiss", "confirmCompromised", "confirmSafe"])
def test_actions_cannot_touch_another_tenants_users(
    any_secure: TestClient, two_tenants: dict[str, Any], action: str
) -> None:
    a_user = two_tenants["a_users"][0]
    before = any_secure.get(f"{V1}/riskyUsers/{a_user}", headers=two_tenants["a"]).json()
    response = any_secure.post(
        f"{V1}/riskyUsers/{action}", json={"userIds": [a_user]}, headers=two_tenants["b"]
    )
    assert response.status_code == 204  # an id unknown to the caller's tenant is ignored
    after = any_secure.get(f"{V1}/riskyUsers/{a_user}", headers=two_tenants["a"]).json()
    assert after == before
    assert any_secure.get(f"{V1}/riskyUsers/{a_user}", headers=two_tenants["b"]).status_code == 404


@pytest.mark.parametrize("collection", ["riskyUsers", "riskDetections"])
def test_a_skiptoken_of_one_tenant_is_refused_to_another(
    any_secure: TestClient, two_tenants: dict[str, Any], collection: str
) -> None:
    page = any_secure.get(f"{V1}/{collection}?$top=1", headers=two_tenants["a"]).json()
    next_link = page["@odata.nextLink"]
    response = any_secure.get(next_link, headers=two_tenants["b"])
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The $skiptoken is not valid."


def test_a_tenant_first_seen_in_a_token_comes_into_being(any_secure: TestClient) -> None:
    fresh = "c0c0c0c0-0000-4000-8000-00000000000c"
    response = any_secure.get(f"{V1}/riskyUsers", headers=app_bearer(any_secure, fresh, WRITE))
    assert response.status_code == 200
    assert response.json()["value"] == []
    database = any_secure.app.state.database  # type: ignore[attr-defined]
    with database.unit_of_work() as store:
        licence = store.connection.execute(
            select(tenants.c.licence).where(tenants.c.id == fresh)
        ).scalar()
    assert licence == "P2"


@pytest.mark.parametrize("licence", ["P1", "Free"])
def test_risky_users_need_p2(any_secure: TestClient, licence: str) -> None:
    user_id = seed_risky_user(any_secure, TENANT_A)
    set_licence(any_secure, TENANT_A, licence)
    headers = app_bearer(any_secure, TENANT_A, WRITE)
    for response in (
        any_secure.get(f"{V1}/riskyUsers", headers=headers),
        any_secure.get(f"{V1}/riskyUsers/{user_id}", headers=headers),
        any_secure.get(f"{V1}/riskyUsers/{user_id}/history", headers=headers),
        any_secure.post(f"{V1}/riskyUsers/dismiss", json={"userIds": [user_id]}, headers=headers),
    ):
        assert response.status_code == 403
        assert response.json()["error"] == {**response.json()["error"], "code": "Forbidden",
                                            "message": NOT_LICENSED}  # fmt: skip


def test_p1_sees_detections_with_level_detail_and_premium_types_hidden(
    any_secure: TestClient,
) -> None:
    seed_detections(
        any_secure,
        TENANT_A,
        detection(riskEventType="unlikelyTravel", riskLevel="high"),
        detection(riskEventType="leakedCredentials", riskLevel="medium"),
    )
    set_licence(any_secure, TENANT_A, "P1")
    listed = any_secure.get(
        f"{V1}/riskDetections", headers=app_bearer(any_secure, TENANT_A, EVENTS)
    )
    seen = sorted(
        (d["riskEventType"], d["riskLevel"], d["riskDetail"]) for d in listed.json()["value"]
    )
    assert seen == [("generic", "hidden", "hidden"), ("leakedCredentials", "hidden", "hidden")]


def test_free_tenants_get_no_detections(any_secure: TestClient) -> None:
    set_licence(any_secure, TENANT_A, "Free")
    response = any_secure.get(
        f"{V1}/riskDetections", headers=app_bearer(any_secure, TENANT_A, EVENTS)
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == NOT_LICENSED


def test_a_licence_must_be_known(any_secure: TestClient) -> None:
    from tests.auth.tokens import admin

    response = any_secure.put(
        f"/_admin/tenants/{TENANT_A}", json={"licence": "E5"}, headers=admin(any_secure, TENANT_A)
    )
    assert response.status_code == 400
