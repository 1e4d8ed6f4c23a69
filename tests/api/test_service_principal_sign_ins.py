"""Service principals' sign-ins through the API, on SQLite and PostgreSQL: the input refused
(Graph's 400 naming the problem), a leaked secret used from a malicious range raising
servicePrincipalRiskDetections that make the service principal risky, the licence's view,
tenants apart, replays, beta's listing of both kinds and v1.0's of users', and the sign-in
actions refusing a service principal's sign-in."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.expect import bad_request, odata_json
from tests.api.test_sign_ins import BETA_SIGN_INS, SIGN_INS, act, ids, sign_in
from tests.factories import TENANT, V1

SP = "7f3e2d1c-0b9a-4c8d-9e7f-6a5b4c3d2e1f"
KEY = "2b1c0d9e-8f7a-4b6c-9d5e-4f3a2b1c0d9e"
LEAKED = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"
MALICIOUS = "192.0.2.0/24"
OTHER_TENANT = "2f8e4d1a-3b5c-4e7f-9a1b-0c2d3e4f5a6b"


def workload(**overrides: Any) -> dict[str, Any]:
    """A service principal's sign-in as Graph beta writes one (client credentials)."""
    body = sign_in(
        userId="",
        userPrincipalName=None,
        userDisplayName=None,
        servicePrincipalId=SP,
        servicePrincipalName="payroll-sync",
        servicePrincipalCredentialKeyId=KEY,
        signInEventTypes=["servicePrincipal"],
        isInteractive=False,
        ipAddress="192.0.2.40",
        userAgent="python-requests/2.32",
        deviceDetail=None,
        clientAppUsed=None,
        authenticationRequirement=None,
        credentialHashes=[LEAKED],
    )
    body.update(overrides)
    return body


def post(client: TestClient, *events: dict[str, Any], tenant: str = TENANT) -> Any:
    return client.post(f"/_admin/tenants/{tenant}/signIns", json={"value": list(events)})


def attack(client: TestClient, tenant: str = TENANT, **overrides: Any) -> dict[str, Any]:
    """A leaked secret used from a malicious range."""
    admin = f"/_admin/tenants/{tenant}"
    assert client.put(f"{admin}/threatLists/malicious", json={"value": [MALICIOUS]}).is_success
    assert client.post(f"{admin}/leakedCredentials", json={"value": [LEAKED]}).is_success
    response = post(client, workload(**overrides), tenant=tenant)
    assert response.status_code == 200, response.text
    done: dict[str, Any] = response.json()
    return done


BODY = "Invalid request body at 'value.0"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"userId": "3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a91"}, "': Value error, a sign-in names one "
         "principal: a userId or a servicePrincipalId, not both."),
        ({"servicePrincipalId": ""}, "': Value error, a sign-in names one principal: a userId or "
         "a servicePrincipalId."),
        ({"servicePrincipalId": None}, "': Value error, a sign-in names one principal: a userId "
         "or a servicePrincipalId."),
        ({"servicePrincipalId": "x" * 129}, ".servicePrincipalId': String should have at most 128 "
         "characters."),
        ({"servicePrincipalId": 7}, ".servicePrincipalId': Input should be a valid string."),
        ({"servicePrincipalName": "x" * 257}, ".servicePrincipalName': String should have at most "
         "256 characters."),
        ({"servicePrincipalCredentialKeyId": ["k"]}, ".servicePrincipalCredentialKeyId': Input "
         "should be a valid string."),
        ({"signInEventTypes": ["interactiveUser"]}, "': Value error, a service principal's "
         "sign-in has signInEventTypes ['servicePrincipal']."),
        ({"signInEventTypes": ["managedIdentity"]}, ".signInEventTypes.0': Input should be "
         "'interactiveUser', 'nonInteractiveUser' or 'servicePrincipal'."),
        ({"signInEventTypes": []}, ".signInEventTypes': List should have at least 1 item after "
         "validation, not 0."),
        ({"signInEventTypes": "servicePrincipal"}, ".signInEventTypes': Input should be a valid "
         "array."),
        ({"isInteractive": True}, "': Value error, a service principal's sign-in is not "
         "interactive."),
    ],
)  # fmt: skip
def test_a_bad_service_principal_sign_in_is_refused(
    any_client: TestClient, change: dict[str, Any], message: str
) -> None:
    bad_request(post(any_client, workload(**change)), BODY + message)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"userId": ""}, "a sign-in names one principal: a userId or a servicePrincipalId."),
        ({"servicePrincipalName": "payroll-sync"}, "a user's sign-in has no servicePrincipalName "
         "or servicePrincipalCredentialKeyId."),
        ({"signInEventTypes": ["servicePrincipal"]}, "a user's sign-in has signInEventTypes "
         "['interactiveUser'] or ['nonInteractiveUser']."),
        ({"signInEventTypes": ["nonInteractiveUser"], "isInteractive": True}, "signInEventTypes "
         "and isInteractive disagree."),
    ],
)  # fmt: skip
def test_a_bad_users_sign_in_is_refused(
    any_client: TestClient, change: dict[str, Any], message: str
) -> None:
    bad_request(post(any_client, sign_in(**change)), f"{BODY}': Value error, {message}")


def test_graphs_empty_values_for_the_other_kind_are_taken(any_client: TestClient) -> None:
    user = sign_in(servicePrincipalId="", servicePrincipalName="", signInEventTypes=None)
    quiet = sign_in(signInEventTypes=["nonInteractiveUser"])
    response = post(any_client, user, quiet, workload(credentialHashes=[]))

    assert response.status_code == 200, response.text
    beta = odata_json(any_client.get(f"{BETA_SIGN_INS}/{quiet['id']}"))
    assert (beta["isInteractive"], beta["signInEventTypes"]) == (False, ["nonInteractiveUser"])


def test_a_leaked_secret_from_a_malicious_range_makes_the_service_principal_risky(
    any_client: TestClient,
) -> None:
    done = attack(any_client)

    assert done["detections"] == []
    found = {d["riskEventType"]: d for d in done["servicePrincipalRiskDetections"]}
    assert sorted(found) == ["investigationsThreatIntelligence", "leakedCredentials"]
    intelligence, leaked = found["investigationsThreatIntelligence"], found["leakedCredentials"]
    assert (intelligence["activity"], intelligence["riskLevel"]) == ("signin", "high")
    assert intelligence["requestId"] == done_id(any_client)
    assert (intelligence["servicePrincipalId"], intelligence["appId"]) == (SP, workload()["appId"])
    assert intelligence["servicePrincipalDisplayName"] == "payroll-sync"
    assert intelligence["keyIds"] == [KEY]
    # About the service principal, not the sign-in: activity servicePrincipal, an evolvable
    # member (unknownFutureValue without the Prefer header).
    assert (leaked["activity"], leaked["riskLevel"], leaked["requestId"]) == (
        "unknownFutureValue",
        "high",
        None,
    )
    risky = odata_json(any_client.get(f"{V1}/riskyServicePrincipals/{SP}"))
    assert (risky["riskLevel"], risky["riskState"], risky["displayName"]) == (
        "high",
        "atRisk",
        "payroll-sync",
    )
    history = odata_json(any_client.get(f"{V1}/riskyServicePrincipals/{SP}/history"))["value"]
    assert sorted(history[0]["activity"]["riskEventTypes"]) == sorted(found)
    assert odata_json(any_client.get(f"{V1}/riskyUsers"))["value"] == []


def done_id(client: TestClient) -> str:
    listed = odata_json(client.get(BETA_SIGN_INS))["value"]
    found: str = listed[0]["id"]
    return found


def test_without_workload_identities_premium_the_risk_reads_hidden(
    any_client: TestClient,
) -> None:
    update = any_client.put(f"/_admin/tenants/{TENANT}", json={"workloadIdentities": False})
    assert update.status_code == 204, update.text
    attack(any_client)

    risky = odata_json(any_client.get(f"{V1}/riskyServicePrincipals/{SP}"))
    found = odata_json(any_client.get(f"{V1}/servicePrincipalRiskDetections"))["value"]

    assert (risky["riskLevel"], risky["riskDetail"], risky["riskState"]) == (
        "hidden",
        "hidden",
        "atRisk",
    )
    assert {(d["riskLevel"], d["riskEventType"]) for d in found} == {
        ("hidden", "investigationsThreatIntelligence"),
        ("hidden", "leakedCredentials"),
    }


def test_tenants_are_apart(any_client: TestClient) -> None:
    attack(any_client)
    # The other tenant lists nothing: its sign-in is not on its lists.
    response = post(any_client, workload(), tenant=OTHER_TENANT)

    assert response.json()["servicePrincipalRiskDetections"] == []


def test_a_replay_records_nothing_twice_and_ids_are_stable(any_client: TestClient) -> None:
    first = attack(any_client)
    again = post(any_client, workload(id=done_id(any_client)))
    listed = odata_json(any_client.get(f"{V1}/servicePrincipalRiskDetections"))["value"]

    assert again.json()["servicePrincipalRiskDetections"] == []
    assert sorted(d["id"] for d in listed) == sorted(
        d["id"] for d in first["servicePrincipalRiskDetections"]
    )
    # The same secret in a later sign-in is the same leakedCredentials detection.
    later = post(any_client, workload(createdDateTime="2026-02-20T09:00:00Z"))
    assert [d["riskEventType"] for d in later.json()["servicePrincipalRiskDetections"]] == [
        "investigationsThreatIntelligence"
    ]


def test_beta_lists_both_kinds_and_v1_users_only(any_client: TestClient) -> None:
    user, service = sign_in(), workload(createdDateTime="2026-02-20T08:01:00Z")
    assert post(any_client, user, service).status_code == 200

    beta = odata_json(any_client.get(BETA_SIGN_INS))["value"]
    by_principal = odata_json(any_client.get(f"{BETA_SIGN_INS}?$filter=servicePrincipalId eq {SP}"))
    by_user = any_client.get(f"{BETA_SIGN_INS}?$filter=userId eq {user['userId']}")

    assert ids(any_client.get(SIGN_INS)) == [user["id"]]
    assert [s["id"] for s in beta] == [service["id"], user["id"]]
    assert {k: beta[0][k] for k in ("userId", "servicePrincipalId", "signInEventTypes")} == {
        "userId": "",
        "servicePrincipalId": SP,
        "signInEventTypes": ["servicePrincipal"],
    }
    assert (beta[0]["servicePrincipalName"], beta[0]["servicePrincipalCredentialKeyId"]) == (
        "payroll-sync",
        KEY,
    )
    assert [s["id"] for s in by_principal["value"]] == [service["id"]]
    assert ids(by_user) == [user["id"]]
    assert any_client.get(f"{SIGN_INS}/{service['id']}").status_code == 404
    bad_request(
        any_client.get(f"{SIGN_INS}?$filter=servicePrincipalId eq {SP}"),
        "Invalid filter clause: unknown property 'servicePrincipalId' at column 1.",
    )


@pytest.mark.parametrize("action", ["confirmCompromised", "confirmSafe", "dismiss"])
def test_the_sign_in_actions_refuse_a_service_principals_sign_in(
    any_client: TestClient, action: str
) -> None:
    attack(any_client)
    sign_in_id = done_id(any_client)

    bad_request(
        act(any_client, action, [sign_in_id]),
        f"These requestIds are service principals' sign-ins, which {action} does not take (act "
        f"on the service principals through riskyServicePrincipals): {sign_in_id}.",
    )
    beta = odata_json(any_client.get(f"{BETA_SIGN_INS}/{sign_in_id}"))
    assert beta["riskState"] == "atRisk"
