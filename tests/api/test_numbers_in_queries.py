"""Numbers clients write, of any length, in every option, literal, key, header and body: a
Graph 400 (or the 404 of an id that names nothing), never a 500, alone or inside $batch.

Python's int() refuses text of more than 4,300 digits (a ValueError): every number a client
sends is measured before it is converted, or never converted at all.

One user with two history items and one detection, made once per database; tests only read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from idprotect.domain.clock import MAX_TICKS
from idprotect.store.engine import Database
from tests.api.expect import bad_request, graph_error, odata_json
from tests.conftest import FakeClock, make_client
from tests.factories import V1, act, add_detections, detection, new_id

HUGE = "9" * 5000
DIGITS = "9" * 3900  # a number that still fits a $filter of 4,000 characters
USER = new_id()
USERS = f"{V1}/riskyUsers"
HISTORY = f"{USERS}/{USER}/history"
DETECTIONS = f"{V1}/riskDetections"
TOP = "it must be a whole number from 1 to 500."
DATETIME_OF_NUMBER = (
    "expected a value of type DateTimeOffset for '{}', found number {} at column {}"
)


@pytest.fixture(scope="module")
def any_client(module_database: Database) -> TestClient:
    clock = FakeClock()
    client = make_client(module_database, clock)
    add_detections(client, detection(userId=USER, riskLevel="high"))
    clock.advance(hours=1)
    act(client, "dismiss", [USER])
    return client


def filter_refused(reason: str) -> tuple[int, str, str]:
    return 400, "BadRequest", f"Invalid filter clause: {reason}."


def top_refused(value: str) -> tuple[int, str, str]:
    return 400, "BadRequest", f"Invalid value '{value}' for query option '$top': {TOP}"


def refused(message: str) -> tuple[int, str, str]:
    return 400, "BadRequest", message


def not_found(message: str) -> tuple[int, str, str]:
    return 404, "NotFound", message


# (path, query options, expected status, code, message)
CASES: list[tuple[str, dict[str, str], tuple[int, str, str]]] = [
    # $top on every collection, on both versions.
    (USERS, {"$top": HUGE}, top_refused(HUGE)),
    (USERS, {"top": "-" + HUGE}, top_refused("-" + HUGE)),
    (USERS, {"$top": "1" + "0" * 4300}, top_refused("1" + "0" * 4300)),
    (USERS, {"$top": "0" * 5000}, top_refused("0" * 5000)),
    (HISTORY, {"$top": HUGE}, top_refused(HUGE)),
    (DETECTIONS, {"$top": HUGE}, top_refused(HUGE)),
    ("/beta/riskyUsers", {"$TOP": HUGE}, top_refused(HUGE)),
    (f"/beta/riskyUsers/{USER}/history", {"$top": HUGE}, top_refused(HUGE)),
    # Where $top is not taken at all: /$count and single entities.
    (f"{USERS}/$count", {"$top": HUGE},
     refused("Query option '$top' is not allowed with /$count.")),
    (f"{USERS}/{USER}", {"$top": HUGE},
     refused("Query option '$top' is not allowed on a single entity.")),
    (f"{HISTORY}/{USER}", {"$top": HUGE},
     refused("Query option '$top' is not allowed on a single entity.")),
    # $count and $skip.
    (USERS, {"$count": HUGE},
     refused(f"Invalid value '{HUGE}' for query option '$count': it must be true or false.")),
    (DETECTIONS, {"$count": HUGE},
     refused("Query option '$count' is not supported on riskDetections.")),
    (USERS, {"$skip": HUGE}, refused("Query option '$skip' is not supported.")),
    (HISTORY, {"$skip": HUGE}, refused("Query option '$skip' is not supported.")),
    # Numbers in $filter: integers, decimals, exponents, years and fractions of any length.
    (USERS, {"$filter": f"isDeleted eq {DIGITS}"}, filter_refused(
        f"expected a value of type Boolean for 'isDeleted', found number {DIGITS} at column 14")),
    (f"{USERS}/$count", {"$filter": f"riskLastUpdatedDateTime gt 1e{DIGITS}"}, filter_refused(
        DATETIME_OF_NUMBER.format("riskLastUpdatedDateTime", f"1e{DIGITS}", 28))),
    (HISTORY, {"$filter": f"riskLevel in (1.{DIGITS})"}, filter_refused(
        f"expected a value of type riskLevel for 'riskLevel', found number 1.{DIGITS} at column "
        "15")),
    (DETECTIONS, {"$filter": "detectedDateTime gt 10000-01-01T00:00:00Z"}, filter_refused(
        DATETIME_OF_NUMBER.format("detectedDateTime", 10000, 21))),
    (DETECTIONS, {"$filter": f"detectedDateTime gt 2026-01-01T00:00:00.{DIGITS}Z"}, filter_refused(
        f"invalid datetime 2026-01-01T00:00:00.{DIGITS}Z (at most 7 fractional digits) at "
        "column 21")),
    (USERS, {"$filter": f"id eq 8a1b0000-0000-4000-8000-00000000000a{'0' * 3900}"},
     filter_refused("expected a value of type Guid for 'id', found number 8 at column 7")),
    (USERS, {"$filter": f"isDeleted eq {HUGE}"},
     filter_refused("the filter is longer than 4000 characters")),
    # $skiptokens of digits.
    (USERS, {"$skiptoken": HUGE}, refused("The $skiptoken is not valid.")),
    (HISTORY, {"$skiptoken": HUGE}, refused("The $skiptoken is not valid.")),
    (DETECTIONS, {"$skiptoken": HUGE}, refused("The $skiptoken is not valid.")),
    # Keys: a history item's ticks, user and detection ids.
    (f"{HISTORY}/{USER}{HUGE}", {},
     not_found(f"The riskyUserHistoryItem '{USER}{HUGE}' was not found.")),
    (f"{HISTORY}/{USER}{MAX_TICKS + 1}", {},
     not_found(f"The riskyUserHistoryItem '{USER}{MAX_TICKS + 1}' was not found.")),
    (f"{USERS}/{HUGE}", {}, not_found(f"The riskyUser '{HUGE}' was not found.")),
    (f"{USERS}/{HUGE}/history", {}, not_found(f"The riskyUser '{HUGE}' was not found.")),
    (f"{DETECTIONS}/{HUGE}", {}, not_found(f"The riskDetection '{HUGE}' was not found.")),
]  # fmt: skip


def _check(status: int, body: dict[str, Any], expected: tuple[int, str, str]) -> None:
    assert status == expected[0]
    error = body["error"]
    assert (error["code"], error["message"]) == expected[1:]


@pytest.mark.parametrize(("path", "params", "expected"), CASES)
def test_a_number_of_any_length_is_a_bad_request(
    any_client: TestClient, path: str, params: dict[str, str], expected: tuple[int, str, str]
) -> None:
    graph_error(any_client.get(path, params=params), *expected)


def batch_url(path: str, params: dict[str, str]) -> str:
    """The url of a batch request: relative to the version root."""
    relative = "/" + path.split("/", 2)[2]
    return f"{relative}?{urlencode(params)}" if params else relative


def batches() -> list[tuple[str, list[int]]]:
    """The cases' indexes by version, at most 20 to a batch."""
    by_version: dict[str, list[int]] = {}
    for index, (path, _, _) in enumerate(CASES):
        by_version.setdefault(path.split("/")[1], []).append(index)
    return [
        (version, indexes[first : first + 20])
        for version, indexes in by_version.items()
        for first in range(0, len(indexes), 20)
    ]


@pytest.mark.parametrize(("version", "indexes"), batches())
def test_inside_a_batch_each_request_answers_alone(
    any_client: TestClient, version: str, indexes: list[int]
) -> None:
    requests = [
        {"id": str(index), "method": "GET", "url": batch_url(*CASES[index][:2])}
        for index in indexes
    ]

    body = odata_json(any_client.post(f"/{version}/$batch", json={"requests": requests}))

    assert [item["id"] for item in body["responses"]] == [r["id"] for r in requests]
    for item, index in zip(body["responses"], indexes, strict=True):
        _check(item["status"], item["body"], CASES[index][2])


def test_the_same_options_within_bounds_are_answered(any_client: TestClient) -> None:
    for path in (USERS, HISTORY, DETECTIONS):
        body = odata_json(any_client.get(path, params={"$top": "0" * 4999 + "1"}))
        assert len(body["value"]) == 1


@pytest.mark.parametrize(
    "prefer",
    [
        f"odata.maxpagesize={HUGE}",
        f"odata.maxpagesize={HUGE}, include-unknown-enum-members",
        f"wait={HUGE}",
        "odata.maxpagesize=-1",
    ],
)
def test_preferences_this_service_does_not_apply_are_ignored(
    any_client: TestClient, prefer: str
) -> None:
    alone = odata_json(any_client.get(HISTORY, headers={"Prefer": prefer}))
    request = {"id": "1", "method": "GET", "url": batch_url(HISTORY, {}), "headers": {
        "Prefer": prefer}}  # fmt: skip
    batched = odata_json(any_client.post("/v1.0/$batch", json={"requests": [request]}))

    assert [item["id"] for item in alone["value"]] == [USER, f"{USER}{_older_ticks(alone)}"]
    assert batched["responses"][0]["status"] == 200
    assert batched["responses"][0]["body"]["value"] == alone["value"]


def _older_ticks(page: dict[str, Any]) -> str:
    older: str = page["value"][1]["id"]
    return older.removeprefix(USER)


def test_an_action_body_with_a_number_of_any_length_is_a_bad_request(
    any_client: TestClient,
) -> None:
    for number in (HUGE, "1e99999", "-" + HUGE):
        response = any_client.post(
            f"{USERS}/dismiss",
            content=f'{{"userIds": [{number}]}}',
            headers={"Content-Type": "application/json"},
        )
        bad_request(
            response,
            "Unable to read JSON request payload. Please ensure Content-Type header is set and "
            "payload is of valid JSON format.",
        )
    bad_request(
        any_client.post(f"{USERS}/dismiss", json={"userIds": [12]}),
        "userIds[0] must be a non-empty string.",
    )


def test_a_batch_holding_a_number_of_any_length_is_a_bad_request(any_client: TestClient) -> None:
    for payload in (
        f'{{"requests": [{{"id": {HUGE}, "method": "GET", "url": "/identityProtection"}}]}}',
        f'{{"requests": [], "x": {HUGE}}}',
    ):
        response = any_client.post(
            "/v1.0/$batch", content=payload, headers={"Content-Type": "application/json"}
        )
        bad_request(response, "Invalid batch payload format.")


def test_a_batch_request_id_of_digits_is_an_id_like_any_other(any_client: TestClient) -> None:
    request = {"id": HUGE, "method": "GET", "url": f"/identityProtection/riskyUsers/{USER}"}

    body = odata_json(any_client.post("/v1.0/$batch", json={"requests": [request]}))

    assert [(item["id"], item["status"]) for item in body["responses"]] == [(HUGE, 200)]
    numeric = any_client.post(
        "/v1.0/$batch", json={"requests": [{**request, "id": int(DIGITS[:18])}]}
    )
    bad_request(numeric, "requests[0] needs an 'id' that is a non-empty string.")
