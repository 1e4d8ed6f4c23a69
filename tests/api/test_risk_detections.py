"""List and get riskDetections: fields, location, beta-only fields, order and paging."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from tests.api.expect import (
    BASE,
    BETA_RISK_DETECTION_FIELDS,
    RISK_DETECTION_FIELDS,
    bad_request,
    graph_error,
    odata_json,
)
from tests.factories import (
    BETA,
    TENANT,
    V1,
    add_detections,
    detection,
    new_id,
    signed_skiptoken,
)

LIST = f"{V1}/riskDetections"
CONTEXT = f"{BASE}/v1.0/$metadata#identityProtection/riskDetections"


def full_detection(**overrides: Any) -> dict[str, Any]:
    """A detection with every optional field set, as a sign-in detection reaches the service."""
    return detection(
        id=secrets.token_hex(32),
        userId=new_id(),
        userDisplayName="Diego Siciliani",
        userPrincipalName="diegos@contoso.com",
        riskEventType="unlikelyTravel",
        riskLevel="high",
        detectionTimingType="offline",
        activityDateTime="2026-02-28T23:10:05.5Z",
        detectedDateTime="2026-03-01T01:02:03.0000010+02:00",
        ipAddress="198.51.100.23",
        requestId="d9f6c6cd-8a5c-4b8e-a0d9-55bb5ad53b00",
        correlationId="0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        additionalInfo='[{"Key":"userAgent","Value":"Mozilla/5.0"}]',
        mitreTechniqueId="T1078",
        location={
            "city": "Seattle",
            "state": "Washington",
            "countryOrRegion": "US",
            "geoCoordinates": {"latitude": 47.6, "longitude": -122.33, "altitude": 56.0},
        },
        **overrides,
    )


def expected_v1(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": body["id"],
        "requestId": "d9f6c6cd-8a5c-4b8e-a0d9-55bb5ad53b00",
        "correlationId": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "riskEventType": "unlikelyTravel",
        "riskState": "atRisk",
        "riskLevel": "high",
        "riskDetail": "none",
        "source": "IdentityProtection",
        "detectionTimingType": "offline",
        "activity": "signin",
        "tokenIssuerType": "AzureAD",
        "ipAddress": "198.51.100.23",
        "activityDateTime": "2026-02-28T23:10:05.5000000Z",
        "detectedDateTime": "2026-02-28T23:02:03.0000010Z",
        "lastUpdatedDateTime": "2026-03-01T09:30:00.1234560Z",
        "userId": body["userId"],
        "userDisplayName": "Diego Siciliani",
        "userPrincipalName": "diegos@contoso.com",
        "additionalInfo": '[{"Key":"userAgent","Value":"Mozilla/5.0"}]',
        "location": {
            "city": "Seattle",
            "state": "Washington",
            "countryOrRegion": "US",
            "geoCoordinates": {"altitude": 56.0, "latitude": 47.6, "longitude": -122.33},
        },
    }


def listed(client: TestClient, url: str = LIST, **params: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = odata_json(client.get(url, params=params))["value"]
    return found


def test_list_risk_detections_answers_every_field(any_client: TestClient) -> None:
    body = full_detection()
    add_detections(any_client, body)

    response = odata_json(any_client.get(LIST))

    assert response == {"@odata.context": CONTEXT, "value": [expected_v1(body)]}
    assert list(response["value"][0]) == RISK_DETECTION_FIELDS
    assert list(response["value"][0]["location"]["geoCoordinates"]) == [
        "altitude",
        "latitude",
        "longitude",
    ]


def test_get_risk_detection_answers_the_entity(any_client: TestClient) -> None:
    body = full_detection()
    add_detections(any_client, body)

    response = odata_json(any_client.get(f"{LIST}/{body['id']}"))

    assert response == {"@odata.context": f"{CONTEXT}/$entity", **expected_v1(body)}


def test_defaults_are_a_signin_detection_issued_by_azure_ad(client: TestClient) -> None:
    add_detections(client, detection(location=None, ipAddress=None))

    (found,) = listed(client)

    assert (found["activity"], found["tokenIssuerType"], found["source"]) == (
        "signin",
        "AzureAD",
        "IdentityProtection",
    )
    assert (found["detectionTimingType"], found["location"], found["ipAddress"]) == (
        "realtime",
        None,
        None,
    )
    assert found["activityDateTime"] == found["detectedDateTime"] == "2026-03-01T09:30:00.1234560Z"


def test_a_location_without_coordinates_has_null_geo_coordinates(client: TestClient) -> None:
    add_detections(client, detection(location={"city": "Oslo", "countryOrRegion": "NO"}))

    (found,) = listed(client)

    assert found["location"] == {
        "city": "Oslo",
        "state": None,
        "countryOrRegion": "NO",
        "geoCoordinates": None,
    }


def test_evolvable_token_issuer_types_are_hidden_unless_asked(client: TestClient) -> None:
    created = add_detections(client, detection(tokenIssuerType="AzureADBackupAuth"))
    url = f"{LIST}/{created[0]['id']}"

    plain = odata_json(client.get(url))
    asked = odata_json(client.get(url, headers={"Prefer": "include-unknown-enum-members"}))

    assert (plain["tokenIssuerType"], asked["tokenIssuerType"]) == (
        "UnknownFutureValue",
        "AzureADBackupAuth",
    )


@pytest.mark.parametrize(
    ("path", "context"),
    [
        (f"{BETA}/riskDetections", f"{BASE}/beta/$metadata#identityProtection/riskDetections"),
        ("/beta/riskDetections", f"{BASE}/beta/$metadata#riskDetections"),
    ],
)
def test_beta_adds_risk_type_and_mitre_technique_id(
    client: TestClient, path: str, context: str
) -> None:
    body = full_detection()
    add_detections(client, body)

    listing = odata_json(client.get(path))
    entity = odata_json(client.get(f"{path}/{body['id']}"))

    expected = {**expected_v1(body), "riskType": "unlikelyTravel", "mitreTechniqueId": "T1078"}
    assert listing == {"@odata.context": context, "value": [expected]}
    assert entity == {"@odata.context": f"{context}/$entity", **expected}
    assert list(entity) == ["@odata.context", *BETA_RISK_DETECTION_FIELDS]


def test_v1_has_no_beta_only_fields(client: TestClient) -> None:
    add_detections(client, full_detection())

    (found,) = listed(client)

    assert "riskType" not in found
    assert "mitreTechniqueId" not in found


def test_beta_risk_type_of_a_string_outside_the_old_enum_is_unknown_future_value(
    client: TestClient,
) -> None:
    add_detections(client, detection(riskEventType="anomalousToken"))

    (found,) = listed(client, f"{BETA}/riskDetections")

    assert (found["riskEventType"], found["riskType"]) == ("anomalousToken", "unknownFutureValue")


def test_list_orders_newest_detected_first(any_client: TestClient) -> None:
    moments = ["2026-02-01T00:00:00Z", "2026-02-03T00:00:00Z", "2026-02-02T00:00:00Z"]
    add_detections(any_client, *(detection(detectedDateTime=m) for m in moments))

    found = listed(any_client)

    assert [d["detectedDateTime"] for d in found] == [
        "2026-02-03T00:00:00.0000000Z",
        "2026-02-02T00:00:00.0000000Z",
        "2026-02-01T00:00:00.0000000Z",
    ]


def test_next_links_walk_every_detection_once_even_with_equal_timestamps(
    any_client: TestClient,
) -> None:
    moments = ["2026-02-01T00:00:00Z"] * 4 + ["2026-02-02T00:00:00Z"] * 3
    add_detections(any_client, *(detection(detectedDateTime=m) for m in moments))
    everything = listed(any_client)
    seen: list[dict[str, Any]] = []

    body = odata_json(any_client.get(LIST, params={"$top": "2"}))
    seen += body["value"]
    for top in ("3", "1", "5"):
        assert body["@odata.nextLink"].startswith(f"{BASE}{LIST}?$top=")
        link = httpx.URL(body["@odata.nextLink"]).copy_set_param("$top", top)
        body = odata_json(any_client.get(link))
        seen += body["value"]
        if "@odata.nextLink" not in body:
            break

    assert seen == everything
    assert len({d["id"] for d in seen}) == 7
    assert "@odata.nextLink" not in body


def test_default_page_size_is_20(client: TestClient) -> None:
    add_detections(client, *(detection() for _ in range(21)))

    first = odata_json(client.get(LIST))
    second = odata_json(client.get(first["@odata.nextLink"]))

    assert [len(first["value"]), len(second["value"])] == [20, 1]
    assert list(second) == ["@odata.context", "value"]


@pytest.mark.parametrize(
    "position",
    [
        ["2026-01-01T00:00:00"],
        ["2026-01-01", "x"],
        ["2026-01-01T00:00:00", "x"],
        ["0001-01-01T00:00:00+05:00", "x"],
        ["not a time", "x"],
        ["2026-01-01T00:00:00+00:00", "a\u0000"],
        [1, 2],
    ],
)
def test_a_signed_skiptoken_with_a_position_of_another_shape_is_a_bad_request(
    any_client: TestClient, position: list[str | int]
) -> None:
    add_detections(any_client, detection())
    skiptoken = signed_skiptoken(any_client, *position, collection="riskDetections")

    bad_request(
        any_client.get(LIST, params={"$skiptoken": skiptoken}),
        "The $skiptoken is not valid for this collection.",
    )


@pytest.mark.parametrize("option", ["$skip", "$expand", "$search"])
def test_unsupported_options_are_refused(client: TestClient, option: str) -> None:
    bad_request(
        client.get(LIST, params={option: "x"}), f"Query option '{option}' is not supported."
    )


def test_count_is_refused_as_graph_declares_detections_not_countable(client: TestClient) -> None:
    bad_request(
        client.get(LIST, params={"$count": "true"}),
        "Query option '$count' is not supported on riskDetections.",
    )
    bad_request(
        client.get(f"{LIST}/$count"), "The /$count segment is not supported on riskDetections."
    )


@pytest.mark.parametrize("detection_id", ["0" * 64, "%00", "x" * 300])
def test_get_unknown_risk_detection_is_not_found(any_client: TestClient, detection_id: str) -> None:
    add_detections(any_client, detection())
    shown = detection_id.replace("%00", "\u0000")

    graph_error(
        any_client.get(f"{LIST}/{detection_id}"),
        404,
        "NotFound",
        f"The riskDetection '{shown}' was not found.",
    )


def test_detections_of_another_tenant_are_not_listed(client: TestClient) -> None:
    other = add_detections(client, detection(), tenant=new_id())

    assert listed(client) == []
    assert client.get(f"{LIST}/{other[0]['id']}").status_code == 404


def test_a_p1_tenant_filters_what_it_sees(any_client: TestClient) -> None:
    add_detections(
        any_client,
        detection(riskEventType="unlikelyTravel", riskLevel="high"),
        detection(riskEventType="leakedCredentials", riskLevel="low"),
        detection(riskEventType="generic", riskLevel="medium"),
    )
    response = any_client.put(f"/_admin/tenants/{TENANT}", json={"licence": "P1"})
    assert response.status_code == 204

    def types(text: str) -> list[str]:
        found = listed(any_client, **{"$filter": text, "$orderby": "detectedDateTime"})
        return sorted(d["riskEventType"] for d in found)

    assert types("riskLevel eq 'high'") == []
    assert types("riskLevel eq 'hidden' and riskDetail eq 'hidden'") == [
        "generic",
        "generic",
        "leakedCredentials",
    ]
    assert types("riskEventType eq 'unlikelyTravel'") == []
    assert types("riskEventType eq 'generic'") == ["generic", "generic"]
    assert types("startswith(riskEventType,'leaked')") == ["leakedCredentials"]
