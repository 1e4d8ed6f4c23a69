"""auditLogs/directoryAudits: every risk action and admin change is recorded, in its own
transaction (a refused or failed one records nothing); filters, paging, permissions and
roles; tenants see their own log only."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.api.directory_audits import split_target
from idprotect.errors import BadRequest
from idprotect.store.engine import Database
from tests.api.expect import graph_error
from tests.auth.tokens import TENANT_A, TENANT_B, WRITE, app_bearer, seed_risky_user, user_bearer
from tests.conftest import FakeClock, make_client
from tests.factories import (
    ACTOR,
    TENANT,
    V1,
    act,
    act_on_agents,
    act_on_service_principals,
    delete_user,
    new_id,
    risky_agent,
    risky_service_principal,
    risky_user,
)

AUDITS = "/v1.0/auditLogs/directoryAudits"
AUDIT = "AuditLog.Read.All"
MISSING = "You cannot perform the requested operation, required scopes are missing in the token."


@pytest.fixture
def client(sqlite_database: Database, clock: FakeClock) -> TestClient:
    return make_client(sqlite_database, clock)


@pytest.fixture
def secure(sqlite_database: Database, clock: FakeClock) -> TestClient:
    return make_client(sqlite_database, clock, auth="on")


def audits(client: TestClient, headers: dict[str, str] | None = None, **query: str) -> list[Any]:
    params = {f"${name}": value for name, value in query.items()}
    response = client.get(AUDITS, params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    found: list[Any] = response.json()["value"]
    while next_link := response.json().get("@odata.nextLink"):
        response = client.get(next_link, headers=headers or {})
        assert response.status_code == 200, response.text
        found += response.json()["value"]
    return found


def risk_actions(client: TestClient) -> list[tuple[str, list[str]]]:
    return [
        (a["activityDisplayName"], [t["id"] for t in a["targetResources"]])
        for a in audits(client, filter="category eq 'IdentityProtection'")
    ]


def test_every_risk_action_of_every_kind_is_recorded(client: TestClient, clock: FakeClock) -> None:
    user, sp, agent = risky_user(client), risky_service_principal(client), risky_agent(client)
    steps = [
        (lambda: act(client, "confirmCompromised", [user]), "Confirm user compromised", user),
        (lambda: act(client, "dismiss", [user]), "Dismiss user risk", user),
        (lambda: act(client, "confirmSafe", [user]), "Confirm user safe", user),
        (lambda: act_on_service_principals(client, "dismiss", [sp]),
            "Dismiss service principal risk", sp),
        (lambda: act_on_service_principals(client, "confirmCompromised", [sp]),
            "Confirm service principal compromised", sp),
        (lambda: act_on_agents(client, "confirmSafe", [agent]), "Confirm agent safe", agent),
        (lambda: act_on_agents(client, "dismiss", [agent]), "Dismiss agent risk", agent),
    ]  # fmt: skip
    for step, _, _ in steps:
        clock.advance(seconds=1)
        assert step().status_code == 204

    expected = [(name, [target]) for _, name, target in reversed(steps)]  # newest first
    assert risk_actions(client) == expected
    newest = audits(client, top="1")[0]
    assert newest["initiatedBy"] == {
        "app": None,
        "user": {"id": ACTOR, "displayName": None, "userPrincipalName": None, "ipAddress": None},
    }
    assert newest["loggedByService"] == "Identity Protection"
    assert (newest["operationType"], newest["result"]) == ("Update", "success")
    assert newest["targetResources"][0]["type"] == "Agent"


def test_an_action_in_a_batch_is_recorded_with_its_correlation_id(client: TestClient) -> None:
    user = risky_user(client)
    sub = {"id": "1", "method": "POST", "url": "/identityProtection/riskyUsers/dismiss",
           "headers": {"Content-Type": "application/json"},
           "body": {"userIds": [user]}}  # fmt: skip

    response = client.post(
        "/v1.0/$batch", json={"requests": [sub]}, headers={"client-request-id": "c-1"}
    )

    assert response.json()["responses"][0]["status"] == 204
    [recorded] = audits(client, filter="category eq 'IdentityProtection'")
    assert recorded["correlationId"] == "c-1"


def test_a_refused_or_failed_action_records_nothing(client: TestClient) -> None:
    user, gone = risky_user(client), risky_user(client)
    delete_user(client, gone)
    assert act(client, "dismiss", [user, gone]).status_code == 400  # rolled back whole
    client.put(f"/_admin/tenants/{TENANT}/faults", json={"rules": [{"failNext": 1}]})
    assert act(client, "dismiss", [user]).status_code == 503  # an injected fault

    assert risk_actions(client) == []


def test_admin_changes_are_recorded(client: TestClient) -> None:
    user = risky_user(client)
    client.put(f"/_admin/tenants/{TENANT}", json={"licence": "P1"})
    client.put(f"/_admin/tenants/{TENANT}/throttle", json={"profile": "graph"})
    delete_user(client, user)

    found = {a["activityDisplayName"]: a for a in audits(client)}
    assert set(found) == {
        "Add risk detections",
        "Update tenant licences",
        "Set throttling",
        "Delete user",
    }
    assert [t["id"] for t in found["Add risk detections"]["targetResources"]] == [user]
    assert found["Update tenant licences"]["targetResources"][0] == {
        "id": TENANT, "displayName": None, "type": "Directory", "userPrincipalName": None,
        "groupType": None, "modifiedProperties": [],
    }  # fmt: skip
    assert found["Set throttling"]["additionalDetails"] == [
        {"key": "request", "value": '{"profile":"graph"}'}
    ]


def test_filters(client: TestClient, clock: FakeClock) -> None:
    first, second = risky_user(client), risky_user(client)
    clock.advance(minutes=5)
    act(client, "dismiss", [first])
    clock.advance(minutes=5)
    act(client, "dismiss", [first, second])

    def names(filter: str) -> list[str]:
        return [a["activityDisplayName"] for a in audits(client, filter=filter)]

    assert names(f"targetResources/any(t: t/id eq '{second}')") == [
        "Dismiss user risk",
        "Add risk detections",
    ]
    assert (
        len(names(f"targetResources/any(t:t/id eq '{first}') and category eq 'IdentityProtection'"))
        == 2
    )
    assert len(names("activityDateTime ge 2026-03-01T09:34:00Z")) == 2
    assert (
        len(
            names(
                "activityDateTime ge 2026-03-01T09:34:00Z "
                "and activityDateTime le 2026-03-01T09:36:00Z"
            )
        )
        == 1
    )
    assert len(names(f"initiatedBy/user/id eq '{ACTOR}'")) == 4
    assert names("initiatedBy/app/appId eq 'x'") == []
    assert len(names("startswith(activityDisplayName, 'Dismiss')")) == 2


@pytest.mark.parametrize(
    "filter",
    [
        "nope eq 1",
        "category eq 1",
        "category gt 'a'",
        "targetResources/any(t: t/displayName eq 'x')",
        "category eq 'x' or targetResources/any(t: t/id eq 'y')",
        "targetResources/any(t: t/id eq 'a') and targetResources/any(t: t/id eq 'b')",
    ],
)
def test_a_filter_outside_the_grammar_is_a_400(client: TestClient, filter: str) -> None:
    response = client.get(AUDITS, params={"$filter": filter})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "BadRequest"


def test_split_target() -> None:
    assert split_target("targetResources/any(t: t/id eq 'a''b')") == ("", "a'b")
    assert split_target("x eq 1 and targetResources/any(u:u/id eq 'a') and y eq 2") == (
        "x eq 1 and y eq 2", "a",
    )  # fmt: skip
    with pytest.raises(BadRequest):
        split_target("targetResources/any(t: t/id eq 'a') or x eq 1")


def test_pages_carry_the_target_filter(client: TestClient) -> None:
    user = risky_user(client)
    for _ in range(4):
        act(client, "confirmCompromised", [user])
    risky_user(client)  # another target: not in the list

    found = audits(client, top="2", filter=f"targetResources/any(t: t/id eq '{user}')")

    assert len(found) == 5
    assert len({a["id"] for a in found}) == 5


def test_get_by_id(client: TestClient) -> None:
    risky_user(client)
    [recorded] = audits(client)

    assert client.get(f"{AUDITS}/{recorded['id']}").json() == {
        "@odata.context": "http://testserver/v1.0/$metadata#auditLogs/directoryAudits/$entity",
        **recorded,
    }
    unknown = new_id()
    graph_error(
        client.get(f"{AUDITS}/{unknown}"),
        404,
        "NotFound",
        f"The directoryAudit '{unknown}' was not found.",
    )
    assert client.get(f"/beta/auditLogs/directoryAudits/{recorded['id']}").status_code == 200


def test_an_app_initiator_and_audit_log_read_all(secure: TestClient) -> None:
    user = seed_risky_user(secure, TENANT_A)
    writer = app_bearer(secure, TENANT_A, WRITE, client_id="soar")
    response = secure.post(f"{V1}/riskyUsers/dismiss", json={"userIds": [user]}, headers=writer)
    assert response.status_code == 204
    reader = app_bearer(secure, TENANT_A, AUDIT)

    [dismissed] = audits(secure, reader, filter="initiatedBy/app/appId eq 'soar'")

    assert dismissed["activityDisplayName"] == "Dismiss user risk"
    assert dismissed["initiatedBy"]["user"] is None
    assert dismissed["initiatedBy"]["app"]["appId"] == "soar"
    for other in ("IdentityRiskyUser.ReadWrite.All", "IdentityRiskEvent.Read.All"):
        graph_error(
            secure.get(AUDITS, headers=app_bearer(secure, TENANT_A, other)),
            403,
            "Forbidden",
            MISSING,
        )


@pytest.mark.parametrize(
    "role", ["Reports Reader", "Security Reader", "Global Reader", "Security Administrator"]
)
def test_a_user_reads_in_a_reports_role(secure: TestClient, role: str) -> None:
    seed_risky_user(secure, TENANT_A)
    headers = user_bearer(secure, TENANT_A, scopes=(AUDIT,), roles=(role,), oid=new_id())
    assert len(audits(secure, headers)) == 1


def test_a_user_without_a_role_is_refused(secure: TestClient) -> None:
    headers = user_bearer(secure, TENANT_A, scopes=(AUDIT,), roles=(), oid=new_id())
    graph_error(secure.get(AUDITS, headers=headers), 403, "Forbidden", MISSING)


def test_tenants_see_their_own_log_only(secure: TestClient) -> None:
    seed_risky_user(secure, TENANT_A)
    seed_risky_user(secure, TENANT_B)
    in_a = audits(secure, app_bearer(secure, TENANT_A, AUDIT))
    in_b = audits(secure, app_bearer(secure, TENANT_B, AUDIT))

    assert len(in_a) == len(in_b) == 1
    assert in_a[0]["id"] != in_b[0]["id"]
    assert (
        secure.get(
            f"{AUDITS}/{in_b[0]['id']}", headers=app_bearer(secure, TENANT_A, AUDIT)
        ).status_code
        == 404
    )


def test_the_path_matches_without_regard_to_case(client: TestClient) -> None:
    risky_user(client)
    assert len(client.get("/v1.0/AUDITLOGS/DirectoryAudits").json()["value"]) == 1


def test_ids_the_log_cannot_keep_as_given_are_kept_as_far_as_it_can(any_client: TestClient) -> None:
    """Ids that name nothing (NUL, longer than any id) and a long client-request-id: the
    action is a 204 as without the log, on PostgreSQL too, and its record says what it can."""
    odd = ["a\x00b", "x" * 300]

    response = any_client.post(
        f"{V1}/riskyUsers/dismiss", json={"userIds": odd}, headers={"client-request-id": "c" * 200}
    )

    assert response.status_code == 204, response.text
    [recorded] = audits(any_client)
    assert [t["id"] for t in recorded["targetResources"]] == ["a\ufffdb", "x" * 128]
    assert recorded["correlationId"] == "c" * 64
