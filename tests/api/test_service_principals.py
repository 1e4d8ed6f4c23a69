"""Risky service principals (v1.0 and beta): list, get, /$count, their history and detections,
the actions dismiss and confirmCompromised, and what a tenant without Workload Identities
Premium sees. Refusals shared with agents: test_kinds_refusals.py."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.expect import BASE, bad_request, odata_json
from tests.conftest import FakeClock
from tests.factories import (
    ACTOR,
    BETA,
    TENANT,
    V1,
    act_on_service_principals,
    add_service_principal_detections,
    add_service_principals,
    directory_service_principal,
    new_id,
    risky_service_principal,
    risky_user,
    service_principal_detection,
)

LIST = f"{V1}/riskyServicePrincipals"
DETECTIONS = f"{V1}/servicePrincipalRiskDetections"
INCLUDE_UNKNOWN = {"Prefer": "include-unknown-enum-members"}
T0 = "2026-03-01T09:30:00.1234560Z"  # the clock's start, as Graph writes it
T0_TICKS = 639079542001234560

FIELDS = [
    "id",
    "isEnabled",
    "isProcessing",
    "riskLastUpdatedDateTime",
    "riskLevel",
    "riskState",
    "riskDetail",
    "displayName",
    "appId",
    "servicePrincipalType",
]
BETA_FIELDS = ["id", "accountEnabled", *FIELDS[1:]]
HISTORY_FIELDS = [*FIELDS, "servicePrincipalId", "initiatedBy", "activity"]
DETECTION_FIELDS = [
    "id",
    "requestId",
    "correlationId",
    "riskEventType",
    "riskState",
    "riskLevel",
    "riskDetail",
    "source",
    "detectionTimingType",
    "activity",
    "tokenIssuerType",
    "ipAddress",
    "location",
    "activityDateTime",
    "detectedDateTime",
    "lastUpdatedDateTime",
    "servicePrincipalId",
    "servicePrincipalDisplayName",
    "appId",
    "keyIds",
    "additionalInfo",
]
# (riskLevel, riskState, riskDetail) each action leaves, as callers asking for evolvable
# members see it; others read riskDetail unknownFutureValue.
OUTCOME = {
    "dismiss": ("none", "dismissed", "adminDismissedAllRiskForServicePrincipal"),
    "confirmCompromised": (
        "high",
        "confirmedCompromised",
        "adminConfirmedServicePrincipalCompromised",
    ),
}
ACTIONS = tuple(OUTCOME)


def context(fragment: str, version: str = "v1.0") -> str:
    return f"{BASE}/{version}/$metadata#identityProtection/{fragment}"


def get(client: TestClient, principal_id: str, root: str = V1) -> dict[str, Any]:
    found: dict[str, Any] = odata_json(
        client.get(f"{root}/riskyServicePrincipals/{principal_id}", headers=INCLUDE_UNKNOWN)
    )
    return found


def risk_of(client: TestClient, principal_id: str) -> tuple[str, str, str]:
    found = get(client, principal_id)
    return found["riskLevel"], found["riskState"], found["riskDetail"]


def listed(client: TestClient, url: str = LIST, **params: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = odata_json(client.get(url, params=params))["value"]
    return found


def history(client: TestClient, principal_id: str, **headers: str) -> list[dict[str, Any]]:
    url = f"{LIST}/{principal_id}/history"
    found: list[dict[str, Any]] = odata_json(client.get(url, headers=headers))["value"]
    return found


def detections(client: TestClient, **headers: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = odata_json(
        client.get(DETECTIONS, params={"$top": "500"}, headers=headers)
    )["value"]
    return found


def contoso_app(client: TestClient, **overrides: Any) -> str:
    """The risky service principal of Graph's examples."""
    return risky_service_principal(
        client,
        servicePrincipalId=overrides.pop("servicePrincipalId", new_id()),
        servicePrincipalDisplayName="Contoso App",
        appId="b55552fe-a272-4b56-990b-95038d917878",
        riskLevel="high",
        **overrides,
    )


def expected_principal(principal_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "id": principal_id,
        "isEnabled": True,
        "isProcessing": False,
        "riskLastUpdatedDateTime": T0,
        "riskLevel": "high",
        "riskState": "atRisk",
        "riskDetail": "none",
        "displayName": "Contoso App",
        "appId": "b55552fe-a272-4b56-990b-95038d917878",
        "servicePrincipalType": "Application",
        **overrides,
    }


# -- list, get, /$count ---------------------------------------------------------------------------


def test_list_answers_the_graph_envelope(any_client: TestClient) -> None:
    principal_id = contoso_app(any_client)

    body = odata_json(any_client.get(LIST))

    assert body == {
        "@odata.context": context("riskyServicePrincipals"),
        "value": [expected_principal(principal_id)],
    }
    assert list(body["value"][0]) == FIELDS


def test_get_answers_the_entity(any_client: TestClient) -> None:
    principal_id = contoso_app(any_client)

    body = odata_json(any_client.get(f"{LIST}/{principal_id}"))

    assert body == {
        "@odata.context": context("riskyServicePrincipals/$entity"),
        **expected_principal(principal_id),
    }
    assert list(body) == ["@odata.context", *FIELDS]


def test_beta_serves_account_enabled_beside_is_enabled(client: TestClient) -> None:
    principal_id = new_id()
    add_service_principals(
        client,
        directory_service_principal(
            id=principal_id,
            displayName="Contoso App",
            appId="b55552fe-a272-4b56-990b-95038d917878",
            isEnabled=False,
            servicePrincipalType="ManagedIdentity",
        ),
    )
    contoso_app(client, servicePrincipalId=principal_id)

    body = odata_json(client.get(f"{BETA}/riskyServicePrincipals/{principal_id}"))
    listed_on_v1 = listed(client)

    assert body == {
        "@odata.context": context("riskyServicePrincipals/$entity", "beta"),
        **expected_principal(
            principal_id,
            accountEnabled=False,
            isEnabled=False,
            servicePrincipalType="ManagedIdentity",
        ),
    }
    assert list(body)[1:] == BETA_FIELDS
    assert listed_on_v1 == [
        expected_principal(principal_id, isEnabled=False, servicePrincipalType="ManagedIdentity")
    ]


@pytest.mark.parametrize("form", ["{id}", "{ID}", "('{id}')", "({ID})"])
def test_get_finds_the_principal_by_its_id_in_any_case_and_key_form(
    client: TestClient, form: str
) -> None:
    principal_id = contoso_app(client)
    segment = form.format(id=principal_id, ID=principal_id.upper())
    separator = "" if segment.startswith("(") else "/"

    body = odata_json(client.get(f"{LIST}{separator}{segment}"))

    assert body["id"] == principal_id


def test_a_directory_service_principal_that_was_never_risky_is_not_listed(
    client: TestClient,
) -> None:
    add_service_principals(client, directory_service_principal())

    assert odata_json(client.get(LIST)) == {
        "@odata.context": context("riskyServicePrincipals"),
        "value": [],
    }
    assert client.get(f"{LIST}/$count").text == "0"


def test_list_orders_by_id_and_pages_with_next_links(any_client: TestClient) -> None:
    created = add_service_principal_detections(
        any_client, *(service_principal_detection() for _ in range(21))
    )
    ids = sorted(d["servicePrincipalId"] for d in created)

    first = odata_json(any_client.get(LIST))
    second = odata_json(any_client.get(first["@odata.nextLink"]))

    assert list(first) == ["@odata.context", "@odata.nextLink", "value"]
    assert first["@odata.nextLink"].startswith(f"{BASE}{LIST}?$skiptoken=")
    assert [p["id"] for p in first["value"]] == ids[:20]
    assert [p["id"] for p in second["value"]] == ids[20:]
    assert list(second) == ["@odata.context", "value"]


def test_top_and_count_carry_over_every_page(any_client: TestClient) -> None:
    created = add_service_principal_detections(
        any_client, *(service_principal_detection() for _ in range(5))
    )
    ids = sorted(d["servicePrincipalId"] for d in created)
    seen: list[str] = []

    body = odata_json(any_client.get(LIST, params={"$top": "2", "$count": "true"}))
    pages = 1
    seen += [p["id"] for p in body["value"]]
    while "@odata.nextLink" in body:
        assert body["@odata.nextLink"].startswith(f"{BASE}{LIST}?$top=2&$count=true&$skiptoken=")
        body = odata_json(any_client.get(body["@odata.nextLink"]))
        assert list(body)[:2] == ["@odata.context", "@odata.count"]
        assert body["@odata.count"] == 5
        seen += [p["id"] for p in body["value"]]
        pages += 1

    assert (seen, pages) == (ids, 3)


def test_the_count_segment_answers_a_plain_number(any_client: TestClient) -> None:
    add_service_principal_detections(
        any_client,
        service_principal_detection(riskLevel="high"),
        service_principal_detection(riskLevel="low"),
        service_principal_detection(riskLevel="high"),
    )

    everything = any_client.get(f"{LIST}/$count")
    high = any_client.get(f"{BETA}/riskyServicePrincipals/$count?$filter=riskLevel eq 'high'")

    assert (everything.status_code, everything.text) == (200, "3")
    assert everything.headers["content-type"] == "text/plain;charset=utf-8"
    assert (high.status_code, high.text) == (200, "2")


@pytest.mark.parametrize("root", [V1, BETA])
def test_orderby_each_sortable_property_both_ways_across_pages(
    any_client: TestClient, clock: FakeClock, root: str
) -> None:
    names = ["Bravo", "alpha", "Charlie"]  # made in this order, an hour apart
    for name in names:
        risky_service_principal(any_client, servicePrincipalDisplayName=name)
        clock.advance(hours=1)

    def order(orderby: str) -> list[str]:
        url, params = f"{root}/riskyServicePrincipals", {"$orderby": orderby, "$top": "2"}
        body = odata_json(any_client.get(url, params=params))
        found = [p["displayName"] for p in body["value"]]
        while "@odata.nextLink" in body:
            body = odata_json(any_client.get(body["@odata.nextLink"]))
            found += [p["displayName"] for p in body["value"]]
        return found

    assert order("riskLastUpdatedDateTime") == names
    assert order("riskLastUpdatedDateTime desc") == names[::-1]
    # Strings by code point: upper case first.
    assert order("displayName") == ["Bravo", "Charlie", "alpha"]
    assert order("displayName DESC") == ["alpha", "Charlie", "Bravo"]


def test_select_names_the_fields_and_the_context(client: TestClient) -> None:
    principal_id = contoso_app(client)

    listed_body = odata_json(client.get(LIST, params={"$select": "riskLevel,id,appId"}))
    entity = odata_json(client.get(f"{LIST}/{principal_id}", params={"$select": "displayName"}))

    assert listed_body == {
        "@odata.context": context("riskyServicePrincipals(riskLevel,id,appId)"),
        "value": [
            {
                "id": principal_id,
                "riskLevel": "high",
                "appId": "b55552fe-a272-4b56-990b-95038d917878",
            }
        ],
    }
    assert entity == {
        "@odata.context": context("riskyServicePrincipals(displayName)/$entity"),
        "displayName": "Contoso App",
    }


def test_beta_selects_account_enabled(client: TestClient) -> None:
    principal_id = contoso_app(client)

    body = odata_json(
        client.get(
            f"{BETA}/riskyServicePrincipals/{principal_id}",
            params={"$select": "accountEnabled,isEnabled"},
        )
    )

    assert body == {
        "@odata.context": context(
            "riskyServicePrincipals(accountEnabled,isEnabled)/$entity", "beta"
        ),
        "accountEnabled": True,
        "isEnabled": True,
    }


# -- $filter on every documented property --------------------------------------------------------


def filter_principals(client: TestClient, clock: FakeClock) -> dict[str, str]:
    """A: Contoso App, high, an Application, enabled. B: Fabrikam Sync, low, a managed
    identity, disabled, an hour later. C: O'Neil Tools, medium, dismissed two hours later.
    A detection names a principal new to the directory; B was there before it."""
    made = {letter: new_id() for letter in "ABC"}
    add_service_principals(
        client,
        directory_service_principal(
            id=made["B"],
            displayName="Fabrikam Sync",
            appId="00000000-0000-4000-8000-00000000000b",
            servicePrincipalType="ManagedIdentity",
            isEnabled=False,
        ),
    )
    risky_service_principal(
        client,
        servicePrincipalId=made["A"],
        servicePrincipalDisplayName="Contoso App",
        appId="00000000-0000-4000-8000-00000000000a",
        riskLevel="high",
    )
    clock.advance(hours=1)
    risky_service_principal(
        client,
        servicePrincipalId=made["B"],
        servicePrincipalDisplayName="Named otherwise by the detection",
        riskLevel="low",
    )
    clock.advance(hours=1)
    risky_service_principal(
        client,
        servicePrincipalId=made["C"],
        servicePrincipalDisplayName="O'Neil Tools",
        appId=None,
        riskLevel="medium",
    )
    assert act_on_service_principals(client, "dismiss", [made["C"]]).status_code == 204
    return made


SP_FILTERS = [
    ("riskLevel eq 'high'", "A"),
    ("riskLevel in ('low', 'none')", "BC"),
    ("riskState eq 'atRisk'", "AB"),
    ("riskState ne 'atRisk'", "C"),
    ("riskDetail eq 'none'", "AB"),
    ("riskDetail eq 'unknownFutureValue'", "C"),
    ("riskLastUpdatedDateTime eq 2026-03-01T09:30:00.1234560Z", "A"),
    ("riskLastUpdatedDateTime ge 2026-03-01T10:30:00.1234560Z", "BC"),
    ("riskLastUpdatedDateTime lt 2026-03-01T11:30:00Z", "AB"),
    ("displayName eq 'O''Neil Tools'", "C"),
    ("startswith(displayName,'Fab')", "B"),
    ("displayName eq 'contoso app'", ""),
    ("appId eq '00000000-0000-4000-8000-00000000000a'", "A"),
    ("appId eq null", "C"),
    ("servicePrincipalType eq 'ManagedIdentity'", "B"),
    ("servicePrincipalType eq 'Application' and riskState eq 'atRisk'", "A"),
    ("appId eq '00000000-0000-4000-8000-00000000000b'", "B"),
    ("isEnabled eq false", "B"),
    ("isEnabled eq true and isProcessing eq false", "AC"),
    ("not (riskLevel eq 'high') or displayName eq 'Contoso App'", "ABC"),
]


@pytest.mark.parametrize(("text", "expected"), SP_FILTERS)
def test_filter_on_each_documented_property(
    any_client: TestClient, clock: FakeClock, text: str, expected: str
) -> None:
    made = filter_principals(any_client, clock)
    letters = {principal_id: letter for letter, principal_id in made.items()}

    found = listed(any_client, **{"$filter": text})
    count = any_client.get(f"{LIST}/$count", params={"$filter": text}).text

    assert "".join(sorted(letters[p["id"]] for p in found)) == expected
    assert count == str(len(expected))


def test_filter_on_the_id_takes_a_guid_in_any_case(client: TestClient) -> None:
    principal_id, other = contoso_app(client), contoso_app(client)

    for literal in (principal_id, principal_id.upper(), f"'{principal_id.upper()}'"):
        found = listed(client, **{"$filter": f"id eq {literal}"})
        assert [p["id"] for p in found] == [principal_id]
    assert [p["id"] for p in listed(client, **{"$filter": f"id ne {principal_id}"})] == [other]


def test_evolvable_details_are_filtered_by_name_with_the_header(client: TestClient) -> None:
    principal_id = contoso_app(client)
    act_on_service_principals(client, "confirmCompromised", [principal_id])
    text = "riskDetail eq 'adminConfirmedServicePrincipalCompromised'"

    found = odata_json(client.get(LIST, params={"$filter": text}, headers=INCLUDE_UNKNOWN))

    assert [p["id"] for p in found["value"]] == [principal_id]
    bad_request(
        client.get(LIST, params={"$filter": text}),
        "Invalid filter clause: 'adminConfirmedServicePrincipalCompromised' is an evolvable "
        "member of riskDetail; send the header 'Prefer: include-unknown-enum-members' to filter "
        "on it.",
    )


# -- actions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("root", [V1, BETA])
def test_each_action_sets_its_outcome_on_both_versions(
    any_client: TestClient, clock: FakeClock, action: str, root: str
) -> None:
    first, second = contoso_app(any_client), risky_service_principal(any_client, riskLevel="low")
    clock.advance(hours=1)

    response = act_on_service_principals(any_client, action, [first, second], root=root)

    assert (response.status_code, response.content) == (204, b"")
    for principal_id in (first, second):
        found = get(any_client, principal_id, root=root)
        assert (found["riskLevel"], found["riskState"], found["riskDetail"]) == OUTCOME[action]
        assert found["riskLastUpdatedDateTime"] == "2026-03-01T10:30:00.1234560Z"


def test_dismiss_leaves_the_service_principal_dismissed(
    any_client: TestClient, clock: FakeClock
) -> None:
    principal_id = contoso_app(any_client)
    clock.advance(minutes=5)

    assert act_on_service_principals(any_client, "dismiss", [principal_id]).status_code == 204

    assert odata_json(any_client.get(f"{LIST}/{principal_id}")) == {
        "@odata.context": context("riskyServicePrincipals/$entity"),
        **expected_principal(
            principal_id,
            riskLastUpdatedDateTime="2026-03-01T09:35:00.1234560Z",
            riskLevel="none",
            riskState="dismissed",
            riskDetail="unknownFutureValue",  # evolvable: named only to callers who ask
        ),
    }
    assert get(any_client, principal_id)["riskDetail"] == (
        "adminDismissedAllRiskForServicePrincipal"
    )


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_writes_a_history_item_initiated_by_the_admin(
    any_client: TestClient, clock: FakeClock, action: str
) -> None:
    principal_id = contoso_app(any_client, riskEventType="leakedCredentials")
    clock.advance(minutes=5)
    level, state, detail = OUTCOME[action]
    recorded = [detail] if action == "confirmCompromised" else []

    act_on_service_principals(any_client, action, [principal_id])

    newest, older = history(any_client, principal_id, **INCLUDE_UNKNOWN)
    plain = history(any_client, principal_id)[0]
    assert newest == {
        **expected_principal(
            principal_id,
            riskLastUpdatedDateTime="2026-03-01T09:35:00.1234560Z",
            riskLevel=level,
            riskState=state,
            riskDetail=detail,
        ),
        "servicePrincipalId": principal_id,
        "initiatedBy": ACTOR,
        "activity": {"detail": detail, "riskEventTypes": recorded},
    }
    assert older == {
        **expected_principal(principal_id, id=f"{principal_id}{T0_TICKS}"),
        "servicePrincipalId": principal_id,
        "initiatedBy": None,
        "activity": {"detail": None, "riskEventTypes": ["leakedCredentials"]},
    }
    assert (plain["riskDetail"], plain["activity"]["detail"]) == (
        "unknownFutureValue",
        "unknownFutureValue",
    )


def test_dismiss_closes_the_principals_active_detections_and_keeps_their_level(
    any_client: TestClient, clock: FakeClock
) -> None:
    principal_id = new_id()
    add_service_principal_detections(
        any_client,
        service_principal_detection(servicePrincipalId=principal_id, riskLevel="medium"),
        service_principal_detection(
            servicePrincipalId=principal_id,
            riskLevel="high",
            riskEventType="suspiciousSignins",
        ),
    )
    bystander = risky_service_principal(any_client)
    before = {d["id"]: d for d in detections(any_client, **INCLUDE_UNKNOWN)}
    clock.advance(minutes=5)

    act_on_service_principals(any_client, "dismiss", [principal_id])

    after = detections(any_client, **INCLUDE_UNKNOWN)
    closed = [d for d in after if d["servicePrincipalId"] == principal_id]
    assert sorted(d["riskLevel"] for d in closed) == ["high", "medium"]
    for d in closed:
        assert d == {
            **before[d["id"]],
            "riskState": "dismissed",
            "riskDetail": "adminDismissedAllRiskForServicePrincipal",
            "lastUpdatedDateTime": "2026-03-01T09:35:00.1234560Z",
        }
    (untouched,) = [d for d in after if d["servicePrincipalId"] == bystander]
    assert untouched == before[untouched["id"]]


def test_confirm_compromised_records_an_admin_detection(
    any_client: TestClient, clock: FakeClock
) -> None:
    principal_id = contoso_app(any_client)
    earlier = detections(any_client, **INCLUDE_UNKNOWN)
    clock.advance(minutes=10)

    act_on_service_principals(any_client, "confirmCompromised", [principal_id])

    recorded, *rest = detections(any_client, **INCLUDE_UNKNOWN)
    plain = detections(any_client)[0]
    assert rest == earlier  # the earlier detection stays active and unchanged
    assert len(recorded["id"]) == 64
    assert int(recorded["id"], 16) >= 0
    at = "2026-03-01T09:40:00.1234560Z"
    assert recorded == {
        "id": recorded["id"],
        "requestId": None,
        "correlationId": None,
        "riskEventType": "adminConfirmedServicePrincipalCompromised",
        "riskState": "confirmedCompromised",
        "riskLevel": "high",
        "riskDetail": "adminConfirmedServicePrincipalCompromised",
        "source": "IdentityProtection",
        "detectionTimingType": "offline",
        "activity": "servicePrincipal",
        "tokenIssuerType": "AzureAD",
        "ipAddress": None,
        "location": None,
        "activityDateTime": at,
        "detectedDateTime": at,
        "lastUpdatedDateTime": at,
        "servicePrincipalId": principal_id,
        "servicePrincipalDisplayName": "Contoso App",
        "appId": "b55552fe-a272-4b56-990b-95038d917878",
        "keyIds": [],
        "additionalInfo": None,
    }
    # activity servicePrincipal and the riskDetail are evolvable members.
    assert (plain["activity"], plain["riskDetail"]) == ("unknownFutureValue", "unknownFutureValue")


def test_confirm_compromised_makes_a_never_risky_directory_principal_risky(
    any_client: TestClient, clock: FakeClock
) -> None:
    principal_id = new_id()
    add_service_principals(
        any_client,
        directory_service_principal(
            id=principal_id,
            displayName="Contoso App",
            appId="b55552fe-a272-4b56-990b-95038d917878",
        ),
    )
    clock.advance(days=1)

    response = act_on_service_principals(any_client, "confirmCompromised", [principal_id])

    assert response.status_code == 204
    assert [p["id"] for p in listed(any_client)] == [principal_id]
    assert get(any_client, principal_id) == {
        "@odata.context": context("riskyServicePrincipals/$entity"),
        **expected_principal(
            principal_id,
            riskLastUpdatedDateTime="2026-03-02T09:30:00.1234560Z",
            riskState="confirmedCompromised",
            riskDetail="adminConfirmedServicePrincipalCompromised",
        ),
    }
    (item,) = history(any_client, principal_id)
    assert (item["id"], item["initiatedBy"]) == (principal_id, ACTOR)
    (recorded,) = detections(any_client)
    assert recorded["servicePrincipalId"] == principal_id


def test_dismiss_leaves_a_never_risky_directory_principal_alone(any_client: TestClient) -> None:
    principal_id = new_id()
    add_service_principals(any_client, directory_service_principal(id=principal_id))

    assert act_on_service_principals(any_client, "dismiss", [principal_id]).status_code == 204

    assert any_client.get(f"{LIST}/{principal_id}").status_code == 404
    assert listed(any_client) == []


def test_a_new_detection_after_dismiss_puts_the_principal_at_risk_again(
    any_client: TestClient, clock: FakeClock
) -> None:
    principal_id = contoso_app(any_client)
    clock.advance(minutes=1)
    act_on_service_principals(any_client, "dismiss", [principal_id])
    clock.advance(minutes=1)

    add_service_principal_detections(
        any_client,
        service_principal_detection(servicePrincipalId=principal_id, riskLevel="low"),
    )

    assert risk_of(any_client, principal_id) == ("low", "atRisk", "none")
    newest = history(any_client, principal_id)[0]
    assert (newest["initiatedBy"], newest["activity"]) == (
        None,
        {"detail": None, "riskEventTypes": ["leakedCredentials"]},
    )


def test_service_principal_actions_leave_users_alone(any_client: TestClient) -> None:
    user_id = risky_user(any_client, riskLevel="high")
    principal_id = contoso_app(any_client)

    for action in ACTIONS:
        response = act_on_service_principals(any_client, action, [user_id, principal_id])
        assert response.status_code == 204
        assert risk_of(any_client, principal_id) == OUTCOME[action]

    user = odata_json(any_client.get(f"{V1}/riskyUsers/{user_id}"))
    assert (user["riskLevel"], user["riskState"]) == ("high", "atRisk")


# -- history --------------------------------------------------------------------------------------


def test_history_answers_the_graph_envelope_on_both_versions(client: TestClient) -> None:
    principal_id = contoso_app(client, riskEventType="suspiciousSignins")
    item = {
        **expected_principal(principal_id),
        "servicePrincipalId": principal_id,
        "initiatedBy": None,
        "activity": {"detail": None, "riskEventTypes": ["suspiciousSignins"]},
    }

    v1 = odata_json(client.get(f"{LIST}/{principal_id}/history"))
    beta = odata_json(client.get(f"{BETA}/riskyServicePrincipals/{principal_id}/history"))

    assert v1 == {
        "@odata.context": context(f"riskyServicePrincipals('{principal_id}')/history"),
        "value": [item],
    }
    assert list(v1["value"][0]) == HISTORY_FIELDS
    assert beta == {
        "@odata.context": context(f"riskyServicePrincipals('{principal_id}')/history", "beta"),
        "value": [{**item, "accountEnabled": True}],
    }
    assert list(beta["value"][0]) == [*BETA_FIELDS, *HISTORY_FIELDS[len(FIELDS) :]]


def test_get_history_item_by_principal_id_and_by_ticks_id(
    any_client: TestClient, clock: FakeClock
) -> None:
    principal_id = contoso_app(any_client)
    clock.advance(minutes=5)
    act_on_service_principals(any_client, "dismiss", [principal_id])
    newest, older = history(any_client, principal_id)
    url = f"{LIST}/{principal_id}/history"
    entity = context(f"riskyServicePrincipals('{principal_id}')/history/$entity")

    current = odata_json(any_client.get(f"{url}/{principal_id}"))
    previous = odata_json(any_client.get(f"{url}/{principal_id}{T0_TICKS}"))
    by_upper_case = odata_json(any_client.get(f"{url.upper()}/{principal_id.upper()}{T0_TICKS}"))

    assert older["id"] == f"{principal_id}{T0_TICKS}"
    assert current == {"@odata.context": entity, **newest}
    assert previous == {"@odata.context": entity, **older}
    assert by_upper_case["id"] == older["id"]
    assert list(previous) == ["@odata.context", *HISTORY_FIELDS]


def test_history_lists_newest_first_and_pages_with_next_links(
    any_client: TestClient, clock: FakeClock
) -> None:
    principal_id = contoso_app(any_client)
    for action in ("confirmCompromised", "dismiss", "confirmCompromised", "dismiss"):
        clock.advance(minutes=1)
        act_on_service_principals(any_client, action, [principal_id])
    url = f"{LIST}/{principal_id}/history"

    first = odata_json(any_client.get(url, params={"$top": "2"}))
    second = odata_json(any_client.get(first["@odata.nextLink"]))
    third = odata_json(any_client.get(second["@odata.nextLink"]))

    assert first["@odata.nextLink"].startswith(f"{BASE}{url}?$top=2&$skiptoken=")
    states = [i["riskState"] for page in (first, second, third) for i in page["value"]]
    assert states == ["dismissed", "confirmedCompromised"] * 2 + ["atRisk"]
    assert "@odata.nextLink" not in third


def test_history_filters_and_selects(client: TestClient, clock: FakeClock) -> None:
    principal_id = contoso_app(client)
    clock.advance(minutes=1)
    act_on_service_principals(client, "confirmCompromised", [principal_id])
    url = f"{LIST}/{principal_id}/history"

    by_initiator = odata_json(
        client.get(url, params={"$filter": "initiatedBy ne null", "$select": "riskState,id"})
    )
    by_detail = odata_json(
        client.get(
            url,
            params={"$filter": "activity/detail eq 'adminConfirmedServicePrincipalCompromised'"},
            headers=INCLUDE_UNKNOWN,
        )
    )
    by_principal = listed(client, url, **{"$filter": f"servicePrincipalId eq {principal_id}"})

    assert by_initiator == {
        "@odata.context": context(
            f"riskyServicePrincipals('{principal_id}')/history(riskState,id)"
        ),
        "value": [{"id": principal_id, "riskState": "confirmedCompromised"}],
    }
    assert [i["id"] for i in by_detail["value"]] == [principal_id]
    assert len(by_principal) == 2


# -- detections ----------------------------------------------------------------------------------


def full_detection(**overrides: Any) -> dict[str, Any]:
    """A detection with every optional field set."""
    return service_principal_detection(
        id=secrets.token_hex(26),
        servicePrincipalDisplayName="Contoso App",
        appId="b55552fe-a272-4b56-990b-95038d917878",
        riskEventType="investigationsThreatIntelligence",
        riskLevel="high",
        activityDateTime="2026-02-28T23:10:05.5Z",
        detectedDateTime="2026-03-01T01:02:03.0000010+02:00",
        ipAddress="198.51.100.23",
        requestId="d9f6c6cd-8a5c-4b8e-a0d9-55bb5ad53b00",
        correlationId="0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        keyIds=["9d9fea30-d8e3-481b-b57c-0ef569a989e5"],
        additionalInfo='[{"Key":"alertUrl","Value":null}]',
        mitreTechniqueId="T1078.004",
        location={"city": "Seattle", "state": "Washington", "countryOrRegion": "US"},
        **overrides,
    )


def expected_detection(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": body["id"],
        "requestId": "d9f6c6cd-8a5c-4b8e-a0d9-55bb5ad53b00",
        "correlationId": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "riskEventType": "investigationsThreatIntelligence",
        "riskState": "atRisk",
        "riskLevel": "high",
        "riskDetail": "none",
        "source": "IdentityProtection",
        "detectionTimingType": "offline",
        "activity": "unknownFutureValue",  # servicePrincipal, an evolvable member
        "tokenIssuerType": "AzureAD",
        "ipAddress": "198.51.100.23",
        "location": {
            "city": "Seattle",
            "state": "Washington",
            "countryOrRegion": "US",
            "geoCoordinates": None,
        },
        "activityDateTime": "2026-02-28T23:10:05.5000000Z",
        "detectedDateTime": "2026-02-28T23:02:03.0000010Z",
        "lastUpdatedDateTime": T0,
        "servicePrincipalId": body["servicePrincipalId"],
        "servicePrincipalDisplayName": "Contoso App",
        "appId": "b55552fe-a272-4b56-990b-95038d917878",
        "keyIds": ["9d9fea30-d8e3-481b-b57c-0ef569a989e5"],
        "additionalInfo": '[{"Key":"alertUrl","Value":null}]',
    }


def test_list_detections_answers_every_field_in_order(any_client: TestClient) -> None:
    body = full_detection()
    add_service_principal_detections(any_client, body)

    v1 = odata_json(any_client.get(DETECTIONS))
    beta = odata_json(any_client.get(f"{BETA}/servicePrincipalRiskDetections"))
    asked = detections(any_client, **INCLUDE_UNKNOWN)[0]

    assert v1 == {
        "@odata.context": context("servicePrincipalRiskDetections"),
        "value": [expected_detection(body)],
    }
    assert list(v1["value"][0]) == DETECTION_FIELDS
    assert beta == {
        "@odata.context": context("servicePrincipalRiskDetections", "beta"),
        "value": [{**expected_detection(body), "mitreTechniqueId": "T1078.004"}],
    }
    assert list(beta["value"][0]) == [*DETECTION_FIELDS, "mitreTechniqueId"]
    assert asked["activity"] == "servicePrincipal"


def test_get_detection_answers_the_entity(any_client: TestClient) -> None:
    body = full_detection()
    add_service_principal_detections(any_client, body)

    found = odata_json(any_client.get(f"{DETECTIONS}/{body['id']}"))

    assert found == {
        "@odata.context": context("servicePrincipalRiskDetections/$entity"),
        **expected_detection(body),
    }


def test_detections_default_to_offline_service_principal_activity(client: TestClient) -> None:
    add_service_principal_detections(client, service_principal_detection())

    (found,) = detections(client, **INCLUDE_UNKNOWN)

    assert (found["detectionTimingType"], found["activity"], found["location"]) == (
        "offline",
        "servicePrincipal",
        None,
    )


def test_detections_list_newest_first_and_page_with_next_links(
    any_client: TestClient, clock: FakeClock
) -> None:
    made = []
    for _ in range(5):
        made += add_service_principal_detections(any_client, service_principal_detection())
        clock.advance(minutes=1)

    first = odata_json(any_client.get(DETECTIONS, params={"$top": "3"}))
    second = odata_json(any_client.get(first["@odata.nextLink"]))
    oldest_first = listed(any_client, DETECTIONS, **{"$orderby": "detectedDateTime asc"})

    newest_first = [d["id"] for d in reversed(made)]
    assert [d["id"] for d in first["value"] + second["value"]] == newest_first
    assert "@odata.nextLink" not in second
    assert [d["id"] for d in oldest_first] == newest_first[::-1]


DETECTION_FILTERS = [
    ("riskEventType eq 'leakedCredentials'", "A"),
    ("riskLevel eq 'high' or riskEventType eq 'suspiciousSignins'", "BC"),
    ("servicePrincipalDisplayName eq 'Fabrikam Sync'", "B"),
    ("appId eq '00000000-0000-4000-8000-00000000000c'", "C"),
    ("startswith(servicePrincipalDisplayName,'Contoso')", "AC"),
    ("ipAddress eq '203.0.113.9'", "B"),
    ("location/countryOrRegion eq 'FR'", "B"),
    ("detectionTimingType eq 'offline'", "ABC"),
    ("requestId eq null", "AC"),
    ("detectedDateTime gt 2026-03-01T09:30:00.1234560Z", "BC"),
]


@pytest.mark.parametrize(("text", "expected"), DETECTION_FILTERS)
def test_filter_detections(client: TestClient, clock: FakeClock, text: str, expected: str) -> None:
    made = {}
    for letter, fields in {
        "A": {"servicePrincipalDisplayName": "Contoso App"},
        "B": {
            "servicePrincipalDisplayName": "Fabrikam Sync",
            "riskEventType": "suspiciousSignins",
            "ipAddress": "203.0.113.9",
            "requestId": "r-1",
            "location": {"countryOrRegion": "FR"},
        },
        "C": {
            "servicePrincipalDisplayName": "Contoso Billing",
            "appId": "00000000-0000-4000-8000-00000000000c",
            "riskEventType": "maliciousApplication",
            "riskLevel": "high",
        },
    }.items():
        (created,) = add_service_principal_detections(client, service_principal_detection(**fields))
        made[created["id"]] = letter
        clock.advance(minutes=1)

    found = listed(client, DETECTIONS, **{"$filter": text})

    assert "".join(sorted(made[d["id"]] for d in found)) == expected


def test_filter_detections_by_principal_and_evolvable_activity(client: TestClient) -> None:
    principal_id = risky_service_principal(client)
    add_service_principal_detections(client, service_principal_detection(activity="signin"))

    by_principal = listed(
        client, DETECTIONS, **{"$filter": f"servicePrincipalId eq {principal_id}"}
    )
    sign_ins = listed(client, DETECTIONS, **{"$filter": "activity eq 'signin'"})
    hidden = listed(client, DETECTIONS, **{"$filter": "activity eq 'unknownFutureValue'"})
    named = odata_json(
        client.get(
            DETECTIONS,
            params={"$filter": "activity eq 'servicePrincipal'"},
            headers=INCLUDE_UNKNOWN,
        )
    )["value"]

    assert [d["servicePrincipalId"] for d in by_principal] == [principal_id]
    assert [d["activity"] for d in sign_ins] == ["signin"]
    assert [d["servicePrincipalId"] for d in hidden] == [principal_id]
    assert [d["servicePrincipalId"] for d in named] == [principal_id]


def test_select_detections(client: TestClient) -> None:
    body = full_detection()
    add_service_principal_detections(client, body)

    found = odata_json(
        client.get(
            f"{BETA}/servicePrincipalRiskDetections/{body['id']}",
            params={"$select": "keyIds,mitreTechniqueId"},
        )
    )

    assert found == {
        "@odata.context": context(
            "servicePrincipalRiskDetections(keyIds,mitreTechniqueId)/$entity", "beta"
        ),
        "keyIds": ["9d9fea30-d8e3-481b-b57c-0ef569a989e5"],
        "mitreTechniqueId": "T1078.004",
    }


# -- licences --------------------------------------------------------------------------------------


def set_tenant(client: TestClient, **update: Any) -> None:
    response = client.put(f"/_admin/tenants/{TENANT}", json=update)
    assert response.status_code == 204, response.text


def test_without_workload_identities_premium_level_and_detail_read_hidden(
    any_client: TestClient, clock: FakeClock
) -> None:
    principal_id = contoso_app(any_client)
    clock.advance(minutes=1)
    act_on_service_principals(any_client, "confirmCompromised", [principal_id])
    set_tenant(any_client, workloadIdentities=False)
    hidden = {"riskLevel": "hidden", "riskDetail": "hidden"}

    listed_principal = listed(any_client)[0]
    entity = get(any_client, principal_id)
    items = history(any_client, principal_id, **INCLUDE_UNKNOWN)
    item = odata_json(any_client.get(f"{LIST}/{principal_id}/history/{principal_id}{T0_TICKS}"))
    found = detections(any_client, **INCLUDE_UNKNOWN)

    assert listed_principal == expected_principal(
        principal_id,
        riskLastUpdatedDateTime="2026-03-01T09:31:00.1234560Z",
        riskState="confirmedCompromised",
        **hidden,
    )
    assert {k: entity[k] for k in ("riskLevel", "riskState", "riskDetail")} == {
        **hidden,
        "riskState": "confirmedCompromised",
    }
    assert [(i["riskLevel"], i["riskDetail"]) for i in [*items, item]] == [("hidden", "hidden")] * 3
    # The activity's detail, where one was written, is hidden too; its event types are not.
    assert [i["activity"] for i in items] == [
        {"detail": "hidden", "riskEventTypes": ["adminConfirmedServicePrincipalCompromised"]},
        {"detail": None, "riskEventTypes": ["leakedCredentials"]},
    ]
    assert [(d["riskLevel"], d["riskDetail"]) for d in found] == [("hidden", "hidden")] * 2
    assert sorted(d["riskEventType"] for d in found) == [
        "adminConfirmedServicePrincipalCompromised",
        "leakedCredentials",
    ]


def test_without_workload_identities_premium_filters_see_hidden(any_client: TestClient) -> None:
    principal_id = contoso_app(any_client)
    set_tenant(any_client, workloadIdentities=False)

    def ids(url: str, text: str) -> list[str]:
        found = listed(any_client, url, **{"$filter": text})
        return [p.get("servicePrincipalId", p["id"]) for p in found]

    assert ids(LIST, "riskLevel eq 'hidden' and riskDetail eq 'hidden'") == [principal_id]
    assert ids(LIST, "riskLevel eq 'high'") == []
    assert any_client.get(f"{LIST}/$count?$filter=riskLevel eq 'hidden'").text == "1"
    assert any_client.get(f"{LIST}/$count?$filter=riskLevel eq 'high'").text == "0"
    assert ids(DETECTIONS, "riskLevel eq 'hidden'") == [principal_id]
    assert ids(DETECTIONS, "riskLevel eq 'high'") == []


def test_without_workload_identities_premium_history_filters_see_hidden(
    any_client: TestClient,
) -> None:
    principal_id = contoso_app(any_client)
    act_on_service_principals(any_client, "dismiss", [principal_id])
    set_tenant(any_client, workloadIdentities=False)
    url = f"{LIST}/{principal_id}/history"

    def states(text: str) -> list[str]:
        return [i["riskState"] for i in listed(any_client, url, **{"$filter": text})]

    assert states("riskLevel eq 'hidden' and riskDetail eq 'hidden'") == ["dismissed", "atRisk"]
    assert states("riskLevel eq 'high' or riskLevel eq 'none'") == []
    assert states("activity/detail eq 'hidden'") == ["dismissed"]
    assert states("activity/detail eq null") == ["atRisk"]
    assert states("activity/detail eq 'unknownFutureValue'") == []


def test_workload_identities_premium_back_shows_everything_again(any_client: TestClient) -> None:
    principal_id = contoso_app(any_client)
    set_tenant(any_client, workloadIdentities=False)
    set_tenant(any_client, workloadIdentities=True)

    assert risk_of(any_client, principal_id) == ("high", "atRisk", "none")


def test_a_p1_tenant_with_workload_identities_premium_sees_everything(
    any_client: TestClient,
) -> None:
    principal_id = contoso_app(any_client)
    set_tenant(any_client, licence="P1")

    assert risk_of(any_client, principal_id) == ("high", "atRisk", "none")
    assert act_on_service_principals(any_client, "dismiss", [principal_id]).status_code == 204
    assert risk_of(any_client, principal_id) == OUTCOME["dismiss"]


# -- $batch ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "root"), [("v1.0", V1), ("beta", BETA)])
def test_reads_and_actions_in_one_batch(client: TestClient, version: str, root: str) -> None:
    principal_id = contoso_app(client)
    base = "/identityProtection/riskyServicePrincipals"
    requests = [
        {"id": "1", "method": "GET", "url": f"{base}/{principal_id}"},
        {
            "id": "2",
            "method": "POST",
            "url": f"{base}/confirmCompromised",
            "headers": {"Content-Type": "application/json"},
            "body": {"servicePrincipalIds": [principal_id]},
            "dependsOn": ["1"],
        },
        {"id": "3", "method": "GET", "url": f"{base}/{principal_id}/history", "dependsOn": ["2"]},
        {"id": "4", "method": "GET", "url": f"{base}/$count", "dependsOn": ["2"]},
        {
            "id": "5",
            "method": "GET",
            "url": "/identityProtection/servicePrincipalRiskDetections?$top=1",
            "dependsOn": ["2"],
        },
        {
            "id": "6",
            "method": "POST",
            "url": f"{base}/confirmSafe",
            "headers": {"Content-Type": "application/json"},
            "body": {"servicePrincipalIds": [principal_id]},
        },
    ]

    body = odata_json(client.post(f"/{version}/$batch", json={"requests": requests}))

    first, acted, items, counted, recorded, refused = body["responses"]
    assert [r["id"] for r in body["responses"]] == ["1", "2", "3", "4", "5", "6"]
    assert (first["status"], first["body"]["riskState"]) == (200, "atRisk")
    assert first["body"]["@odata.context"] == context("riskyServicePrincipals/$entity", version)
    assert (acted["status"], "body" in acted) == (204, False)
    assert [i["riskState"] for i in items["body"]["value"]] == ["confirmedCompromised", "atRisk"]
    # A body that is not JSON (the /$count's text) travels base64-encoded.
    assert (counted["status"], base64.b64decode(counted["body"])) == (200, b"1")
    assert recorded["body"]["value"][0]["riskEventType"] == (
        "adminConfirmedServicePrincipalCompromised"
    )
    assert refused["status"] == 400
    assert (
        refused["body"]["error"]["message"] == "Resource not found for the segment 'confirmSafe'."
    )
    assert get(client, principal_id, root)["riskState"] == "confirmedCompromised"
