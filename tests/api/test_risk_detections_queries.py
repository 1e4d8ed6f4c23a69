"""riskDetections with $filter, $select and $orderby: every operator and literal form.

Five detections, a to e (all read-only here, made once per database; `T(h)` is a moment):
a unlikelyTravel, high, atRisk, Seattle US, user U1, detected T(0)
b anonymizedIPAddress, medium, atRisk, Lyon FR, ADFederationServices, user U1, detected T(1)
c leakedCredentials, low, dismissed, no location or IP, AzureADBackupAuth, offline, T(2)
d new%_type, high, remediated, servicePrincipal (evolvable), São Paulo, detected T(2)
e generic, none, dismissed, lyon, EndUserReported, detected T(3)
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.store.engine import Database
from tests.api.expect import BASE, bad_request, odata_json
from tests.conftest import FakeClock, make_client
from tests.factories import BETA, V1, add_detections, detection, new_id

LIST = f"{V1}/riskDetections"
CONTEXT = f"{BASE}/v1.0/$metadata#identityProtection/riskDetections"
ASK = {"Prefer": "include-unknown-enum-members"}
U1 = new_id()
U2 = new_id()


def T(hours: int, minutes: int = 0) -> str:  # noqa: N802
    return f"2026-02-01T{10 + hours:02d}:{minutes:02d}:00.5000000Z"


def _where(city: str | None, country: str) -> dict[str, Any] | None:
    return None if city is None else {"city": city, "countryOrRegion": country}


SPECS: dict[str, dict[str, Any]] = {
    "a": {"riskEventType": "unlikelyTravel", "riskLevel": "high", "userId": U1,
          "location": _where("Seattle", "US"), "ipAddress": "198.51.100.23"},
    "b": {"riskEventType": "anonymizedIPAddress", "riskLevel": "medium", "userId": U1,
          "location": _where("Lyon", "FR"), "tokenIssuerType": "ADFederationServices"},
    "c": {"riskEventType": "leakedCredentials", "riskLevel": "low", "riskState": "dismissed",
          "location": None, "ipAddress": None, "tokenIssuerType": "AzureADBackupAuth",
          "detectionTimingType": "offline", "activity": "user"},
    "d": {"riskEventType": "new%_type", "riskLevel": "high", "riskState": "remediated",
          "activity": "servicePrincipal", "location": _where("São Paulo", "BR")},
    "e": {"riskEventType": "generic", "riskLevel": "none", "riskState": "dismissed",
          "userId": U2.upper(), "location": _where("lyon", "FR"), "source": "EndUserReported"},
}  # fmt: skip
DETECTED = {"a": T(0), "b": T(1), "c": T(2), "d": T(2), "e": T(3)}
ACTIVE = {"a": T(-1), "b": T(0, 30), "c": T(-2), "d": T(1, 30), "e": T(2, 30)}


@pytest.fixture(scope="module")
def shared(module_database: Database) -> tuple[TestClient, dict[str, str]]:
    clock = FakeClock()
    client = make_client(module_database, clock)
    made = {}
    for letter, spec in SPECS.items():
        body = detection(
            id=f"{letter}{new_id()}", detectedDateTime=DETECTED[letter],
            activityDateTime=ACTIVE[letter], **spec,
        )  # fmt: skip
        made[letter] = add_detections(client, body)[0]["id"]
        clock.advance(minutes=10)  # lastUpdatedDateTime: a first, e last
    return client, made


@pytest.fixture
def any_client(shared: tuple[TestClient, dict[str, str]]) -> TestClient:
    return shared[0]


def letters(any_client: TestClient, shared: Any, body: dict[str, Any]) -> str:
    by_id = {i: letter for letter, i in shared[1].items()}
    return "".join(by_id[d["id"]] for d in body["value"])


def filtered(client: TestClient, shared: Any, text: str, **headers: str) -> str:
    body = odata_json(client.get(LIST, params={"$filter": text}, headers=headers))
    return "".join(sorted(letters(client, shared, body)))


FILTERS = [
    ("riskEventType eq 'unlikelyTravel'", "a"),
    ("riskEventType in ('unlikelyTravel','anonymizedIPAddress')", "ab"),
    ("riskEventType eq 'unlikelyTravel' or riskEventType eq 'anonymizedIPAddress'", "ab"),
    ("riskEventType eq 'somethingNew'", ""),
    ("startswith(riskEventType,'new%_')", "d"),
    ("startswith(riskEventType,'new_%')", ""),
    ("location/countryOrRegion eq 'US'", "a"),
    ("location/city eq 'Lyon'", "b"),
    ("location/city in ('Lyon', 'lyon')", "be"),
    ("startswith(location/city,'S')", "ad"),
    ("location/city eq null", "c"),
    ("location/city ne null", "abde"),
    ("ipAddress eq null", "c"),
    ("startswith(ipAddress,'203.0.')", "bde"),
    ("startswith(ipAddress,'198.51.')", "a"),
    ("riskLevel eq 'high'", "ad"),
    ("riskLevel eq microsoft.graph.riskLevel'none'", "e"),
    ("not (riskLevel eq 'high')", "bce"),
    ("riskState eq 'atRisk'", "ab"),
    ("riskState ne 'atRisk' and riskLevel ne 'none'", "cd"),
    (f"userId eq '{U1}'", "ab"),
    (f"userId eq {U1.upper()}", "ab"),
    (f"userId eq '{U2.upper()}'", "e"),
    (f"userId in ({U2}, '{U1}')", "abe"),
    (f"detectedDateTime gt {T(2)}", "e"),
    (f"detectedDateTime ge {T(2)}", "cde"),
    (f"detectedDateTime lt '{T(1)}'", "a"),
    (f"detectedDateTime le {T(1)}", "ab"),
    ("detectedDateTime eq 2026-02-01T12:00:00.5+00:00", "cd"),
    ("detectedDateTime eq 2026-02-01T13:00:00.5000000+01:00", "cd"),
    (f"activityDateTime ge {T(0)} and activityDateTime lt {T(2)}", "bd"),
    ("lastUpdatedDateTime gt 2026-03-01T09:50:00.123456Z", "de"),
    ("tokenIssuerType eq microsoft.graph.tokenIssuerType'ADFederationServices'", "b"),
    ("tokenIssuerType eq 'UnknownFutureValue'", "c"),
    ("tokenIssuerType ne 'AzureAD'", "bc"),
    ("activity eq 'unknownFutureValue'", "d"),
    ("activity eq 'signin'", "abe"),
    ("detectionTimingType eq 'offline'", "c"),
    ("source eq 'EndUserReported'", "e"),
    ("requestId eq null and correlationId eq null", "abcde"),
    ("(riskLevel eq 'high' or riskLevel eq 'low') and location/city ne null", "ad"),
]


@pytest.mark.parametrize(("text", "expected"), FILTERS)
def test_filter(any_client: TestClient, shared: Any, text: str, expected: str) -> None:
    assert filtered(any_client, shared, text) == expected


def test_evolvable_members_by_name_need_the_header(any_client: TestClient, shared: Any) -> None:
    text = "tokenIssuerType eq 'AzureADBackupAuth'"
    assert filtered(any_client, shared, text, **ASK) == "c"
    assert filtered(any_client, shared, "activity eq 'servicePrincipal'", **ASK) == "d"
    assert filtered(any_client, shared, "activity eq 'unknownFutureValue'", **ASK) == ""
    bad_request(
        any_client.get(LIST, params={"$filter": text}),
        "Invalid filter clause: 'AzureADBackupAuth' is an evolvable member of tokenIssuerType; "
        "send the header 'Prefer: include-unknown-enum-members' to filter on it.",
    )


def walk(client: TestClient, shared: Any, params: dict[str, str]) -> str:
    body = odata_json(client.get(LIST, params=params))
    found = letters(client, shared, body)
    while "@odata.nextLink" in body:
        body = odata_json(client.get(body["@odata.nextLink"]))
        found += letters(client, shared, body)
    return found


@pytest.mark.parametrize("top", ["1", "3"])
def test_orderby_each_date_both_ways(any_client: TestClient, shared: Any, top: str) -> None:
    ids = shared[1]
    tie = "".join(sorted("cd", key=lambda letter: ids[letter]))  # equal dates: by id

    def order(orderby: str | None) -> str:
        params = {"$top": top} | ({"$orderby": orderby} if orderby else {})
        return walk(any_client, shared, params)

    assert order("detectedDateTime") == f"ab{tie}e"
    assert order("detectedDateTime desc") == order(None) == f"e{tie[::-1]}ba"
    assert order("activityDateTime asc") == "cabde"
    assert order("activityDateTime desc") == "edbac"
    assert order("lastUpdatedDateTime") == "abcde"
    assert order("lastUpdatedDateTime desc") == "edcba"


def test_filter_orderby_select_and_next_links(any_client: TestClient, shared: Any) -> None:
    params = {
        "$filter": "location/city ne null",
        "$orderby": "activityDateTime",
        "$select": "riskEventType,location",
        "$top": "3",
    }
    first = odata_json(any_client.get(LIST, params=params))
    second = odata_json(any_client.get(first["@odata.nextLink"]))

    assert first["@odata.nextLink"].startswith(
        f"{BASE}{LIST}?$filter=location%2fcity+ne+null&$orderby=activityDateTime"
        "&$select=riskEventType%2clocation&$top=3&$skiptoken="
    )
    assert first["@odata.context"] == f"{CONTEXT}(riskEventType,location)"
    assert [d["riskEventType"] for d in first["value"] + second["value"]] == [
        "unlikelyTravel",
        "anonymizedIPAddress",
        "new%_type",
        "generic",
    ]
    assert second == {
        "@odata.context": f"{CONTEXT}(riskEventType,location)",
        "value": [
            {
                "riskEventType": "generic",
                "location": {
                    "city": "lyon",
                    "state": None,
                    "countryOrRegion": "FR",
                    "geoCoordinates": None,
                },
            }
        ],
    }


def test_select_on_beta_may_name_beta_fields(any_client: TestClient, shared: Any) -> None:
    a = shared[1]["a"]
    body = odata_json(any_client.get(f"{BETA}/riskDetections/{a}?$select=riskType,id"))
    refused = any_client.get(f"{LIST}/{a}?$select=riskType")

    assert body == {
        "@odata.context": f"{BASE}/beta/$metadata#identityProtection/riskDetections(riskType,id)"
        "/$entity",
        "id": a,
        "riskType": "unlikelyTravel",
    }
    bad_request(
        refused,
        "Could not find a property named 'riskType' on type 'microsoft.graph.riskDetection'.",
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("$skip=1", "Query option '$skip' is not supported."),
        ("$orderby=riskLevel", "Invalid $orderby clause: 'riskLevel' cannot be ordered by "
         "(sortable: detectedDateTime, activityDateTime, lastUpdatedDateTime)."),
        ("$filter=riskType eq 'generic'", "Invalid filter clause: unknown property 'riskType' at "
         "column 1."),
        ("$filter=location/geoCoordinates/latitude gt 1", "Invalid filter clause: unknown property"
         " 'location/geoCoordinates/latitude' at column 1."),
    ],
)  # fmt: skip
def test_refused_forms(any_client: TestClient, query: str, message: str) -> None:
    bad_request(any_client.get(f"{LIST}?{query}"), message)
