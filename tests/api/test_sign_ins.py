"""Sign-ins on Graph (auditLogs/signIns): the envelope and signIn's fields in Graph's order,
filters per property, paging newest first, permissions and roles, tenants apart, licences, and
the confirmCompromised / confirmSafe / dismiss actions with their effect on the sign-in, its
detections and its user, and the input they refuse."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from idprotect.store.engine import Database
from tests.api.expect import BASE, graph_error, odata_json
from tests.auth.tokens import TENANT_A, TENANT_B, admin, app_bearer, user_bearer
from tests.conftest import FakeClock, make_client
from tests.factories import ACTOR, TENANT, V1, new_id

SIGN_INS = "/v1.0/auditLogs/signIns"
BETA_SIGN_INS = "/beta/auditLogs/signIns"
CONTEXT = f"{BASE}/v1.0/$metadata#auditLogs/signIns"
TOR_EXIT = "198.51.100.66"  # on the anonymizer list: anonymizedIPAddress, medium, real time
LEAKED = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"  # SHA-1 of "password"
AUDIT = "AuditLog.Read.All"
WRITE = "IdentityRiskyUser.ReadWrite.All"
APP_WRITE = "IdentityRiskEvent.ReadWrite.All"
MISSING = "You cannot perform the requested operation, required scopes are missing in the token."
NOT_RISKY = "These requestIds do not exist in your tenant or they are not risky."
SIGN_IN_FIELDS = [
    "id",
    "createdDateTime",
    "userDisplayName",
    "userPrincipalName",
    "userId",
    "appId",
    "appDisplayName",
    "ipAddress",
    "clientAppUsed",
    "correlationId",
    "conditionalAccessStatus",
    "isInteractive",
    "riskDetail",
    "riskLevelAggregated",
    "riskLevelDuringSignIn",
    "riskState",
    "riskEventTypes",
    "riskEventTypes_v2",
    "status",
    "deviceDetail",
    "location",
]
BETA_FIELDS = [
    "authenticationRequirement",
    "userAgent",
    "servicePrincipalId",
    "servicePrincipalName",
    "servicePrincipalCredentialKeyId",
    "signInEventTypes",
]


def sign_in(**overrides: Any) -> dict[str, Any]:
    """A sign-in event as the identity provider reports it (Graph's signIn shape)."""
    body: dict[str, Any] = {
        "id": new_id(),
        "createdDateTime": "2026-02-20T08:00:00Z",
        "userId": "3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a91",
        "userPrincipalName": "adele@contoso.com",
        "userDisplayName": "Adele Vance",
        "appId": "de8bc8b5-d9f9-48b1-a8ad-b748da725064",
        "appDisplayName": "Graph Explorer",
        "ipAddress": "203.0.113.10",
        "clientAppUsed": "Browser",
        "correlationId": "d79f5bee-5860-4832-928f-3133e22ae912",
        "conditionalAccessStatus": "notApplied",
        "userAgent": "Mozilla/5.0",
        "authenticationRequirement": "singleFactorAuthentication",
        "location": {
            "city": "Redmond",
            "state": "Washington",
            "countryOrRegion": "US",
            "geoCoordinates": {"latitude": 47.68, "longitude": -122.12},
        },
        "deviceDetail": {"browser": "Edge 120.0", "operatingSystem": "Windows 11"},
    }
    body.update(overrides)
    return body


def ingest(
    client: TestClient,
    *events: dict[str, Any],
    tenant: str = TENANT,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    url = f"/_admin/tenants/{tenant}"
    listed = client.put(
        f"{url}/threatLists/anonymizer", json={"value": [TOR_EXIT]}, headers=headers
    )
    assert listed.status_code == 200, listed.text
    response = client.post(f"{url}/signIns", json={"value": list(events)}, headers=headers)
    assert response.status_code == 200, response.text
    done: dict[str, Any] = response.json()
    return done


def risky(**overrides: Any) -> dict[str, Any]:
    """A sign-in from a Tor exit node."""
    return sign_in(ipAddress=TOR_EXIT, **overrides)


def act(client: TestClient, action: str, ids: list[str], **kwargs: Any) -> httpx.Response:
    return client.post(f"{SIGN_INS}/{action}", json={"requestIds": ids}, **kwargs)


def get(client: TestClient, sign_in_id: str) -> dict[str, Any]:
    response = client.get(f"{SIGN_INS}/{sign_in_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def user(client: TestClient, user_id: str) -> dict[str, Any]:
    response = client.get(f"{V1}/riskyUsers/{user_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def detections_of(client: TestClient, request_id: str) -> list[dict[str, Any]]:
    response = client.get(
        f"{V1}/riskDetections", params={"$filter": f"requestId eq '{request_id}'"}
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["value"]
    return found


def history(client: TestClient, user_id: str) -> list[dict[str, Any]]:
    response = client.get(f"{V1}/riskyUsers/{user_id}/history")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["value"]
    return found


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["value"]]


UNKNOWN = {"Prefer": "include-unknown-enum-members"}


def refused(response: httpx.Response) -> None:
    """Graph's 400 (its message is each refusal's own, tested where it is made)."""
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "BadRequest"


# -- reads ---------------------------------------------------------------------------------------


def test_list_answers_graphs_envelope_and_sign_in_shape(any_client: TestClient) -> None:
    event = risky(credentialHashes=[LEAKED])
    any_client.post(f"/_admin/tenants/{TENANT}/leakedCredentials", json={"value": [LEAKED]})
    ingest(any_client, event)

    response = any_client.get(SIGN_INS)

    odata_json(response)
    body = response.json()
    assert list(body) == ["@odata.context", "value"]
    assert body["@odata.context"] == CONTEXT
    (found,) = body["value"]
    assert list(found) == SIGN_IN_FIELDS
    assert found == {
        "id": event["id"],
        "createdDateTime": "2026-02-20T08:00:00.0000000Z",
        "userDisplayName": "Adele Vance",
        "userPrincipalName": "adele@contoso.com",
        "userId": event["userId"],
        "appId": "de8bc8b5-d9f9-48b1-a8ad-b748da725064",
        "appDisplayName": "Graph Explorer",
        "ipAddress": TOR_EXIT,
        "clientAppUsed": "Browser",
        "correlationId": "d79f5bee-5860-4832-928f-3133e22ae912",
        "conditionalAccessStatus": "notApplied",
        "isInteractive": True,
        "riskDetail": "none",
        # Real time: the anonymizer (medium); offline too: the leaked credential (high).
        "riskLevelAggregated": "high",
        "riskLevelDuringSignIn": "medium",
        "riskState": "atRisk",
        "riskEventTypes": ["anonymizedIPAddress", "leakedCredentials"],
        "riskEventTypes_v2": ["anonymizedIPAddress", "leakedCredentials"],
        "status": {"errorCode": 0, "failureReason": None, "additionalDetails": None},
        "deviceDetail": {
            "deviceId": "",
            "displayName": None,
            "operatingSystem": "Windows 11",
            "browser": "Edge 120.0",
            "isCompliant": None,
            "isManaged": None,
            "trustType": None,
        },
        "location": {
            "city": "Redmond",
            "state": "Washington",
            "countryOrRegion": "US",
            "geoCoordinates": {"altitude": None, "latitude": 47.68, "longitude": -122.12},
        },
    }


def test_a_sign_in_without_risk_reads_none(client: TestClient) -> None:
    event = sign_in(location=None, status={"errorCode": 50126, "failureReason": "Bad password"})
    ingest(client, event)

    found = get(client, event["id"])

    assert (found["riskState"], found["riskDetail"]) == ("none", "none")
    assert (found["riskLevelAggregated"], found["riskLevelDuringSignIn"]) == ("none", "none")
    assert found["riskEventTypes"] == found["riskEventTypes_v2"] == []
    assert found["status"]["errorCode"] == 50126
    assert found["location"] == {
        "city": None,
        "state": None,
        "countryOrRegion": None,
        "geoCoordinates": None,
    }


def test_the_old_enum_names_what_it_has_and_v2_everything(client: TestClient) -> None:
    event = sign_in()
    ingest(client, event)
    ingest(client, sign_in(id="late", createdDateTime="2026-02-20T09:00:00Z", ipAddress=TOR_EXIT))

    assert get(client, "late")["riskEventTypes"] == ["anonymizedIPAddress"]


def test_get_answers_one_sign_in_and_beta_adds_its_own(client: TestClient) -> None:
    event = sign_in()
    ingest(client, event)

    response = client.get(f"{SIGN_INS}/{event['id']}")
    beta = client.get(f"{BETA_SIGN_INS}/{event['id']}").json()

    assert response.json()["@odata.context"] == f"{CONTEXT}/$entity"
    assert list(response.json())[1:] == SIGN_IN_FIELDS
    assert beta["@odata.context"] == f"{BASE}/beta/$metadata#auditLogs/signIns/$entity"
    assert list(beta)[1:] == [*SIGN_IN_FIELDS, *BETA_FIELDS]
    assert beta["authenticationRequirement"] == "singleFactorAuthentication"
    assert beta["userAgent"] == "Mozilla/5.0"
    # A user's sign-in names no service principal, as Graph writes it.
    assert beta["servicePrincipalId"] == ""
    assert beta["servicePrincipalName"] is None
    assert beta["servicePrincipalCredentialKeyId"] is None
    assert beta["signInEventTypes"] == ["interactiveUser"]


def test_get_of_an_unknown_sign_in_is_a_404(client: TestClient) -> None:
    graph_error(client.get(f"{SIGN_INS}/nope"), 404, "NotFound", "The signIn 'nope' was not found.")


def test_paths_match_without_regard_to_case(client: TestClient) -> None:
    event = sign_in()
    ingest(client, event)

    assert ids(client.get("/v1.0/auditlogs/signins")) == [event["id"]]
    assert client.get(f"/v1.0/AuditLogs/SignIns('{event['id']}')").status_code == 200


def test_select_names_fields_and_the_context(client: TestClient) -> None:
    event = sign_in()
    ingest(client, event)

    response = client.get(SIGN_INS, params={"$select": "riskState,id,location"})

    body = response.json()
    assert body["@odata.context"] == f"{CONTEXT}(riskState,id,location)"
    assert list(body["value"][0]) == ["id", "riskState", "location"]
    refused(client.get(SIGN_INS, params={"$select": "userAgent"}))
    assert client.get(BETA_SIGN_INS, params={"$select": "userAgent"}).status_code == 200


def test_newest_first_with_keyset_pages(any_client: TestClient) -> None:
    events = [sign_in(createdDateTime=f"2026-02-2{day}T08:00:00Z") for day in range(5)]
    ingest(any_client, *events)
    newest_first = [e["id"] for e in reversed(events)]

    first = any_client.get(SIGN_INS, params={"$top": "2"})
    seen = ids(first)
    link = first.json()["@odata.nextLink"]
    assert link.startswith(f"{BASE}{SIGN_INS}?$top=2&$skiptoken=")
    while link:
        page = any_client.get(link)
        seen += ids(page)
        link = page.json().get("@odata.nextLink")

    assert seen == newest_first
    ascending = any_client.get(SIGN_INS, params={"$orderby": "createdDateTime asc"})
    assert ids(ascending) == newest_first[::-1]


def test_a_skiptoken_of_another_query_is_refused(client: TestClient) -> None:
    ingest(client, sign_in(), sign_in(createdDateTime="2026-02-21T08:00:00Z"))
    link = client.get(SIGN_INS, params={"$top": "1"}).json()["@odata.nextLink"]
    token = link.split("$skiptoken=", 1)[1]

    refused(client.get(SIGN_INS, params={"$top": "1", "$skiptoken": token, "$select": "id"}))
    refused(client.get(f"{V1}/riskDetections", params={"$skiptoken": token}))


FILTERS = [
    ("createdDateTime ge 2026-02-21T00:00:00Z", ["b", "c"]),
    ("createdDateTime le 2026-02-21T00:00:00Z", ["a"]),
    ("createdDateTime eq 2026-02-22T08:00:00Z", ["c"]),
    ("userId eq 'AAAAAAAA-0000-4000-8000-000000000001'", ["a", "c"]),
    ("userPrincipalName eq 'bob@contoso.com'", ["b"]),
    ("startswith(userPrincipalName,'al')", ["a", "c"]),
    ("startswith(userDisplayName,'Bob')", ["b"]),
    ("appId eq 'app-b'", ["b"]),
    ("startswith(appDisplayName,'Out')", ["b"]),
    (f"ipAddress eq '{TOR_EXIT}'", ["c"]),
    ("startswith(ipAddress,'203.0.113.')", ["a", "b"]),
    ("clientAppUsed eq 'IMAP'", ["b"]),
    ("correlationId eq 'corr-a'", ["a"]),
    ("conditionalAccessStatus eq 'success'", ["b"]),
    ("riskState eq 'atRisk'", ["c"]),
    ("riskState eq 'none'", ["a", "b"]),
    ("riskLevelDuringSignIn eq 'medium'", ["c"]),
    ("riskLevelAggregated eq 'medium'", ["c"]),
    ("riskDetail eq 'none'", ["a", "b", "c"]),
    ("location/countryOrRegion eq 'FR'", ["b"]),
    ("startswith(location/city,'Red')", ["a", "c"]),
    ("location/state eq 'Washington'", ["a", "c"]),
    ("deviceDetail/browser eq 'Firefox'", ["b"]),
    ("startswith(deviceDetail/operatingSystem,'Win')", ["a", "c"]),
    ("id eq 'b'", ["b"]),
    ("riskState eq 'atRisk' and userId eq 'aaaaaaaa-0000-4000-8000-000000000001'", ["c"]),
]


@pytest.fixture(scope="module")
def three(module_database: Database) -> TestClient:
    """Sign-ins a (Alice, Redmond), b (Bob, Paris, IMAP, failed) and c (Alice, Tor)."""
    client = make_client(module_database, FakeClock())
    alice = "aaaaaaaa-0000-4000-8000-000000000001"
    ingest(
        client,
        sign_in(id="a", userId=alice, userPrincipalName="alice@contoso.com",
            userDisplayName="Alice", correlationId="corr-a"),
        sign_in(id="b", createdDateTime="2026-02-21T08:00:00Z", userId=new_id(),
            userPrincipalName="bob@contoso.com", userDisplayName="Bob", appId="app-b",
            appDisplayName="Outlook", ipAddress="203.0.113.99", clientAppUsed="IMAP",
            conditionalAccessStatus="success", status={"errorCode": 50126},
            location={"city": "Paris", "countryOrRegion": "FR"},
            deviceDetail={"browser": "Firefox", "operatingSystem": "Linux"}),
        risky(id="c", createdDateTime="2026-02-22T08:00:00Z", userId=alice,
            userPrincipalName="alice@contoso.com", userDisplayName="Alice"),
    )  # fmt: skip
    return client


@pytest.mark.parametrize(("expression", "expected"), FILTERS)
def test_filter_keeps_what_graph_would(
    three: TestClient, expression: str, expected: list[str]
) -> None:
    found = ids(three.get(SIGN_INS, params={"$filter": expression}))
    assert sorted(found) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "createdDateTime gt 2026-02-21T00:00:00Z",  # eq, le and ge only
        "appId ne 'app-b'",  # eq only
        "startswith(appId,'app')",
        "riskState ne 'none'",
        "isInteractive eq true",  # not filterable on Graph
        "status/errorCode eq '0'",  # an Int32: a number, not a string
        "status/errorCode eq 0.5",
        "status/errorCode eq 2147483648",
        "status/errorCode eq 1e3",
        "userAgent eq 'x'",
    ],
)
def test_filters_graph_does_not_list_are_refused(three: TestClient, expression: str) -> None:
    refused(three.get(SIGN_INS, params={"$filter": expression}))


def test_options_graph_does_not_take_are_refused(three: TestClient) -> None:
    refused(three.get(SIGN_INS, params={"$count": "true"}))
    refused(three.get(SIGN_INS, params={"$orderby": "userId"}))
    refused(three.get(f"{SIGN_INS}/a", params={"$top": "1"}))
    graph_error(
        three.get(f"{SIGN_INS}/$count"),
        400,
        "BadRequest",
        "The /$count segment is not supported on signIns.",
    )


def test_an_action_path_is_not_a_sign_in(three: TestClient) -> None:
    response = three.get(f"{SIGN_INS}/dismiss")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


# -- licences ------------------------------------------------------------------------------------


def test_p1_sees_sign_ins_with_their_risk_hidden(client: TestClient) -> None:
    event = risky()
    malicious = sign_in(ipAddress="192.0.2.9", createdDateTime="2026-02-20T09:00:00Z")
    listed = client.put(
        f"/_admin/tenants/{TENANT}/threatLists/malicious", json={"value": ["192.0.2.0/24"]}
    )
    assert listed.status_code == 200, listed.text
    ingest(client, event, malicious)
    client.put(f"/_admin/tenants/{TENANT}", json={"licence": "P1"})

    found = get(client, event["id"])

    assert found["riskState"] == "atRisk"
    assert (found["riskLevelAggregated"], found["riskLevelDuringSignIn"]) == ("hidden", "hidden")
    assert found["riskDetail"] == "hidden"
    assert found["riskEventTypes_v2"] == ["anonymizedIPAddress"]  # a nonpremium detection
    # maliciousIPAddress is a premium one: named `generic`, as riskDetections name it.
    assert get(client, malicious["id"])["riskEventTypes_v2"] == ["generic"]
    hidden = client.get(SIGN_INS, params={"$filter": "riskLevelAggregated eq 'hidden'"})
    assert sorted(ids(hidden)) == sorted([event["id"], malicious["id"]])
    assert ids(client.get(SIGN_INS, params={"$filter": "riskLevelAggregated eq 'medium'"})) == []
    graph_error(
        act(client, "dismiss", [event["id"]]),
        403,
        "Forbidden",
        "Your tenant is not licensed for this feature.",
    )


def test_a_free_tenant_has_no_sign_in_logs(client: TestClient) -> None:
    event = sign_in()
    ingest(client, event)
    client.put(f"/_admin/tenants/{TENANT}", json={"licence": "Free"})

    message = "Your tenant is not licensed for this feature."
    graph_error(client.get(SIGN_INS), 403, "Forbidden", message)
    graph_error(client.get(f"{SIGN_INS}/{event['id']}"), 403, "Forbidden", message)


# -- actions and their effects -------------------------------------------------------------------


def test_dismiss_closes_the_sign_in_its_detections_and_the_users_risk(
    any_client: TestClient, clock: FakeClock
) -> None:
    event = risky()
    ingest(any_client, event)
    user_id = event["userId"]
    before = len(history(any_client, user_id))

    assert act(any_client, "dismiss", [event["id"]]).status_code == 204

    found = any_client.get(f"{SIGN_INS}/{event['id']}", headers=UNKNOWN).json()
    assert (found["riskState"], found["riskDetail"]) == ("dismissed", "adminDismissedRiskForSignIn")
    assert found["riskLevelAggregated"] == "none"
    assert found["riskLevelDuringSignIn"] == "medium"  # what was seen then stays
    assert get(any_client, event["id"])["riskDetail"] == "unknownFutureValue"  # evolvable
    (detection,) = detections_of(any_client, event["id"])
    assert (detection["riskState"], detection["riskLevel"]) == ("dismissed", "medium")
    risky_user = any_client.get(f"{V1}/riskyUsers/{user_id}", headers=UNKNOWN).json()
    assert (risky_user["riskLevel"], risky_user["riskState"]) == ("none", "dismissed")
    assert risky_user["riskDetail"] == "adminDismissedRiskForSignIn"
    items = history(any_client, user_id)
    assert len(items) == before + 1
    assert items[0]["initiatedBy"] == ACTOR
    assert items[0]["activity"]["riskEventTypes"] == ["anonymizedIPAddress"]


def test_an_action_repeated_changes_nothing_more(client: TestClient, clock: FakeClock) -> None:
    event = risky()
    ingest(client, event)
    assert act(client, "dismiss", [event["id"]]).status_code == 204
    after_first = (get(client, event["id"]), user(client, event["userId"]))
    items = history(client, event["userId"])
    clock.advance(minutes=5)

    assert act(client, "dismiss", [event["id"], event["id"]]).status_code == 204

    assert (get(client, event["id"]), user(client, event["userId"])) == after_first
    assert history(client, event["userId"]) == items


def test_confirm_safe_leaves_the_user_at_the_risk_that_stays_active(client: TestClient) -> None:
    tor = risky()
    leaked = sign_in(credentialHashes=[LEAKED], createdDateTime="2026-02-20T09:00:00Z")
    client.post(f"/_admin/tenants/{TENANT}/leakedCredentials", json={"value": [LEAKED]})
    ingest(client, tor, leaked)
    assert user(client, tor["userId"])["riskLevel"] == "high"

    assert act(client, "confirmSafe", [tor["id"]]).status_code == 204

    found = get(client, tor["id"])
    assert (found["riskState"], found["riskDetail"]) == (
        "confirmedSafe",
        "adminConfirmedSigninSafe",
    )
    (detection,) = detections_of(client, tor["id"])
    assert (detection["riskState"], detection["riskDetail"]) == (
        "confirmedSafe",
        "adminConfirmedSigninSafe",
    )
    # leakedCredentials is the user's risk, not the sign-in's: it stays active, and high.
    risky_user = user(client, tor["userId"])
    assert (risky_user["riskLevel"], risky_user["riskState"]) == ("high", "atRisk")


def test_confirm_safe_of_the_users_only_risk_clears_it(client: TestClient) -> None:
    event = risky()
    ingest(client, event)

    assert act(client, "confirmSafe", [event["id"]]).status_code == 204

    risky_user = user(client, event["userId"])
    assert (risky_user["riskLevel"], risky_user["riskState"]) == ("none", "confirmedSafe")
    assert risky_user["riskDetail"] == "adminConfirmedSigninSafe"


def test_confirm_compromised_makes_the_sign_in_its_detections_and_user_high(
    any_client: TestClient,
) -> None:
    event = risky()
    ingest(any_client, event)

    assert act(any_client, "confirmCompromised", [event["id"]]).status_code == 204

    found = get(any_client, event["id"])
    assert (found["riskState"], found["riskDetail"], found["riskLevelAggregated"]) == (
        "confirmedCompromised",
        "adminConfirmedSigninCompromised",
        "high",
    )
    (detection,) = detections_of(any_client, event["id"])
    assert (detection["riskState"], detection["riskLevel"]) == ("confirmedCompromised", "high")
    risky_user = user(any_client, event["userId"])
    assert (risky_user["riskLevel"], risky_user["riskState"]) == ("high", "atRisk")
    assert risky_user["riskDetail"] == "adminConfirmedSigninCompromised"
    assert history(any_client, event["userId"])[0]["initiatedBy"] == ACTOR


def test_confirm_compromised_of_an_unflagged_sign_in_records_a_detection(
    client: TestClient,
) -> None:
    event = sign_in()
    ingest(client, event)
    assert client.get(f"{V1}/riskyUsers/{event['userId']}").status_code == 404

    assert act(client, "confirmCompromised", [event["id"]]).status_code == 204

    (detection,) = detections_of(client, event["id"])
    assert detection["riskEventType"] == "generic"
    assert (detection["riskLevel"], detection["riskState"]) == ("high", "confirmedCompromised")
    assert detection["detectionTimingType"] == "offline"
    assert detection["ipAddress"] == event["ipAddress"]
    risky_user = user(client, event["userId"])
    assert (risky_user["riskLevel"], risky_user["userPrincipalName"]) == (
        "high",
        "adele@contoso.com",
    )


def test_a_dismissed_compromised_sign_in_lowers_its_user(client: TestClient) -> None:
    event = risky()
    ingest(client, event)
    act(client, "confirmCompromised", [event["id"]])

    assert act(client, "dismiss", [event["id"]]).status_code == 204

    risky_user = user(client, event["userId"])
    assert (risky_user["riskLevel"], risky_user["riskState"]) == ("none", "dismissed")
    (detection,) = detections_of(client, event["id"])
    assert detection["riskState"] == "dismissed"


def test_a_user_confirmed_compromised_stays_so(client: TestClient) -> None:
    event = risky()
    ingest(client, event)
    confirmed = client.post(
        f"{V1}/riskyUsers/confirmCompromised", json={"userIds": [event["userId"]]}
    )
    assert confirmed.status_code == 204

    assert act(client, "dismiss", [event["id"]]).status_code == 204

    assert user(client, event["userId"])["riskState"] == "confirmedCompromised"


def test_actions_answer_on_beta_too(client: TestClient) -> None:
    event = risky()
    ingest(client, event)

    response = client.post(f"{BETA_SIGN_INS}/confirmSafe", json={"requestIds": [event["id"]]})

    assert response.status_code == 204
    assert get(client, event["id"])["riskState"] == "confirmedSafe"


def test_an_action_naming_an_unknown_sign_in_changes_nothing(any_client: TestClient) -> None:
    event = risky()
    ingest(any_client, event)
    before = get(any_client, event["id"])

    graph_error(act(any_client, "dismiss", [event["id"], "nope"]), 400, "BadRequest", NOT_RISKY)

    assert get(any_client, event["id"]) == before
    assert user(any_client, event["userId"])["riskState"] == "atRisk"


def test_dismiss_needs_a_risky_sign_in_and_confirm_safe_does_not(client: TestClient) -> None:
    event = sign_in()
    ingest(client, event)

    graph_error(act(client, "dismiss", [event["id"]]), 400, "BadRequest", NOT_RISKY)
    assert act(client, "confirmSafe", [event["id"]]).status_code == 204
    assert get(client, event["id"])["riskState"] == "confirmedSafe"
    # A sign-in confirmed safe is no user's risk: no one became risky.
    assert client.get(f"{V1}/riskyUsers/{event['userId']}").status_code == 404


def test_sign_ins_of_a_deleted_user_are_refused(client: TestClient) -> None:
    event = risky()
    ingest(client, event)
    deleted = client.delete(f"/_admin/tenants/{TENANT}/users/{event['userId']}")
    assert deleted.status_code == 204, deleted.text

    response = act(client, "confirmCompromised", [event["id"]])

    refused(response)
    assert get(client, event["id"])["riskState"] == "atRisk"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "The parameter 'requestIds' is required for the operation 'dismiss'."),
        ({"requestIds": []}, "The parameter 'requestIds' must hold at least one id."),
        ({"requestIds": "a"}, "The parameter 'requestIds' must be an array of strings."),
        ({"requestIds": [1]}, "requestIds[0] must be a non-empty string."),
        ({"requestIds": [" "]}, "requestIds[0] must be a non-empty string."),
        (
            {"userIds": ["a"]},
            "The parameter 'userIds' in the request payload is not a valid parameter for the "
            "operation 'dismiss'.",
        ),
        (
            {"requestIds": [str(i) for i in range(61)]},
            "The parameter 'requestIds' can hold at most 60 ids; 61 were given.",
        ),
        ([], "The request body must be a JSON object with a 'requestIds' array."),
    ],
)
def test_bad_action_bodies_are_refused(client: TestClient, body: Any, message: str) -> None:
    graph_error(client.post(f"{SIGN_INS}/dismiss", json=body), 400, "BadRequest", message)


def test_an_action_body_must_be_json(client: TestClient) -> None:
    response = client.post(
        f"{SIGN_INS}/confirmSafe", content=b"requestIds=a", headers={"Content-Type": "text/plain"}
    )
    refused(response)


def test_sixty_ids_are_taken(client: TestClient) -> None:
    events = [risky(createdDateTime=f"2026-02-20T08:{i:02d}:00Z") for i in range(60)]
    ingest(client, *events)

    assert act(client, "dismiss", [e["id"] for e in events]).status_code == 204

    dismissed = client.get(SIGN_INS, params={"$filter": "riskState eq 'dismissed'", "$top": "100"})
    assert len(ids(dismissed)) == 60


# -- permissions, roles and tenants --------------------------------------------------------------


@pytest.fixture
def secure(sqlite_database: Database, clock: FakeClock) -> TestClient:
    """Tokens verified; the built-in issuer mints them."""
    return make_client(sqlite_database, clock, auth="on")


def seeded(client: TestClient, tenant: str = TENANT_A) -> dict[str, Any]:
    event = risky()
    ingest(client, event, tenant=tenant, headers=admin(client, tenant))
    return event


def forbidden(response: httpx.Response) -> None:
    graph_error(response, 403, "Forbidden", MISSING)


def test_an_app_reads_with_audit_log_read_all(secure: TestClient) -> None:
    event = seeded(secure)
    reader = app_bearer(secure, TENANT_A, AUDIT)

    assert ids(secure.get(SIGN_INS, headers=reader)) == [event["id"]]
    assert secure.get(f"{SIGN_INS}/{event['id']}", headers=reader).status_code == 200
    forbidden(act(secure, "dismiss", [event["id"]], headers=reader))
    for other in ("IdentityRiskEvent.Read.All", "IdentityRiskyUser.ReadWrite.All"):
        forbidden(secure.get(SIGN_INS, headers=app_bearer(secure, TENANT_A, other)))


def test_an_app_acts_with_identity_risk_event_read_write_all(secure: TestClient) -> None:
    event = seeded(secure)

    forbidden(act(secure, "dismiss", [event["id"]], headers=app_bearer(secure, TENANT_A, WRITE)))
    writer = app_bearer(secure, TENANT_A, APP_WRITE)
    assert act(secure, "dismiss", [event["id"]], headers=writer).status_code == 204
    forbidden(secure.get(SIGN_INS, headers=writer))


@pytest.mark.parametrize(
    "role",
    ["Reports Reader", "Security Reader", "Security Operator", "Global Reader",
        "Security Administrator", "Global Administrator"],
)  # fmt: skip
def test_a_user_reads_in_a_sign_in_reading_role(secure: TestClient, role: str) -> None:
    event = seeded(secure)
    headers = user_bearer(secure, TENANT_A, scopes=(AUDIT,), roles=(role,), oid=new_id())

    assert ids(secure.get(SIGN_INS, headers=headers)) == [event["id"]]


def test_a_user_without_a_role_or_the_scope_reads_nothing(secure: TestClient) -> None:
    seeded(secure)
    no_role = user_bearer(secure, TENANT_A, scopes=(AUDIT,), roles=(), oid=new_id())
    no_scope = user_bearer(
        secure, TENANT_A, scopes=("IdentityRiskyUser.Read.All",), roles=("Security Reader",),
        oid=new_id(),
    )  # fmt: skip

    forbidden(secure.get(SIGN_INS, headers=no_role))
    forbidden(secure.get(SIGN_INS, headers=no_scope))


def test_a_user_acts_with_the_risky_users_write_scope_as_security_administrator(
    secure: TestClient,
) -> None:
    event = seeded(secure)
    oid = new_id()
    writer = user_bearer(
        secure, TENANT_A, scopes=(WRITE,), roles=("Security Administrator",), oid=oid
    )
    reader_role = user_bearer(
        secure, TENANT_A, scopes=(WRITE,), roles=("Security Reader",), oid=oid
    )
    app_scope = user_bearer(
        secure, TENANT_A, scopes=(APP_WRITE,), roles=("Security Administrator",), oid=oid
    )

    forbidden(act(secure, "dismiss", [event["id"]], headers=reader_role))
    forbidden(act(secure, "dismiss", [event["id"]], headers=app_scope))
    assert act(secure, "dismiss", [event["id"]], headers=writer).status_code == 204
    reader = app_bearer(secure, TENANT_A, "IdentityRiskyUser.Read.All")
    items = secure.get(f"{V1}/riskyUsers/{event['userId']}/history", headers=reader).json()
    assert items["value"][0]["initiatedBy"] == oid


def test_tenants_see_and_act_on_their_own_sign_ins_only(secure: TestClient) -> None:
    mine = seeded(secure, TENANT_A)
    theirs = seeded(secure, TENANT_B)
    reader = app_bearer(secure, TENANT_A, AUDIT)
    writer = app_bearer(secure, TENANT_A, APP_WRITE)

    assert ids(secure.get(SIGN_INS, headers=reader)) == [mine["id"]]
    assert secure.get(f"{SIGN_INS}/{theirs['id']}", headers=reader).status_code == 404
    graph_error(
        act(secure, "confirmCompromised", [theirs["id"]], headers=writer),
        400,
        "BadRequest",
        NOT_RISKY,
    )
    b_reader = app_bearer(secure, TENANT_B, AUDIT)
    assert secure.get(f"{SIGN_INS}/{theirs['id']}", headers=b_reader).json()["riskState"] == (
        "atRisk"
    )


def test_a_skiptoken_of_one_tenant_is_refused_to_another(secure: TestClient) -> None:
    for tenant in (TENANT_A, TENANT_B):
        ingest(
            secure,
            sign_in(),
            sign_in(createdDateTime="2026-02-21T08:00:00Z"),
            tenant=tenant,
            headers=admin(secure, tenant),
        )
    link = secure.get(
        SIGN_INS, params={"$top": "1"}, headers=app_bearer(secure, TENANT_A, AUDIT)
    ).json()["@odata.nextLink"]

    refused(secure.get(link, headers=app_bearer(secure, TENANT_B, AUDIT)))


def test_sign_ins_answer_inside_a_batch(client: TestClient) -> None:
    event = risky()
    ingest(client, event)
    requests = [
        {"id": "1", "method": "GET", "url": f"/auditLogs/signIns/{event['id']}"},
        {
            "id": "2",
            "method": "POST",
            "url": "/auditLogs/signIns/dismiss",
            "body": {"requestIds": [event["id"]]},
            "headers": {"Content-Type": "application/json"},
            "dependsOn": ["1"],
        },
    ]

    response = client.post("/v1.0/$batch", json={"requests": requests})

    answers = {answer["id"]: answer for answer in response.json()["responses"]}
    assert answers["1"]["status"] == 200
    assert answers["1"]["body"]["riskState"] == "atRisk"
    assert answers["2"]["status"] == 204
    assert get(client, event["id"])["riskState"] == "dismissed"


@pytest.mark.parametrize(
    ("expression", "codes"),
    [
        ("status/errorCode eq 0", [0]),
        ("status/errorCode ne 0", [50126]),
        ("status/errorCode gt 0", [50126]),
        ("status/errorCode in (50126, 50053)", [50126]),
        ("status/errorCode le -1", []),
    ],
)
def test_sign_ins_filter_on_their_error_code(
    client: TestClient, expression: str, codes: list[int]
) -> None:
    ingest(client, sign_in(), sign_in(status={"errorCode": 50126}))

    found = odata_json(client.get(SIGN_INS, params={"$filter": expression}))["value"]

    assert sorted({s["status"]["errorCode"] for s in found}) == codes
