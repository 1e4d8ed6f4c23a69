"""JSON batching: `POST /$batch` as Graph clients send it, and what each sub-request answers."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from idprotect.api.batch import METHODS
from idprotect.store.engine import Database
from tests.api.expect import BASE, ODATA_JSON, bad_request, graph_error, odata_json
from tests.auth.tokens import READ, TENANT_A, WRITE, app_bearer, seed_risky_user
from tests.conftest import FakeClock, make_client
from tests.factories import new_id, risky_user

ENTITY = f"{BASE}/v1.0/$metadata#identityProtection/riskyUsers/$entity"
MISSING = "You cannot perform the requested operation, required scopes are missing in the token."
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def get(request_id: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"id": request_id, "method": "GET", "url": url, **extra}


def dismiss(
    request_id: str,
    user_ids: list[str],
    *,
    url: str = "/identityProtection/riskyUsers/dismiss",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": request_id,
        "method": "POST",
        "url": url,
        "headers": {"Content-Type": "application/json"},
        "body": {"userIds": user_ids},
        **extra,
    }


def send_batch(
    client: TestClient,
    requests: list[dict[str, Any]],
    *,
    root: str = "/v1.0",
    headers: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The batch answered 200 with one response per request, in request order."""
    response = client.post(f"{root}/$batch", json={"requests": requests}, headers=headers)
    body = odata_json(response)
    assert list(body) == ["responses"]
    responses: list[dict[str, Any]] = body["responses"]
    assert [item["id"] for item in responses] == [request["id"] for request in requests]
    return responses


def ok(item: dict[str, Any], status: int = 200) -> Any:
    """An inner OData payload: its status, headers and body."""
    assert item["status"] == status, item
    assert list(item) == ["id", "status", "headers", "body"]
    assert item["headers"]["Content-Type"] == ODATA_JSON
    assert item["headers"]["OData-Version"] == "4.0"
    return item["body"]


def no_content(item: dict[str, Any]) -> None:
    assert (item["status"], list(item)) == (204, ["id", "status", "headers"]), item
    assert "Content-Type" not in item["headers"]


def inner_error(item: dict[str, Any], status: int, code: str, message: str) -> dict[str, Any]:
    """An inner response is Graph's error body with exactly this status, code and message."""
    assert item["status"] == status, item
    assert list(item) == ["id", "status", "headers", "body"]
    assert item["headers"]["Content-Type"] == "application/json"
    assert list(item["body"]) == ["error"]
    error = item["body"]["error"]
    assert list(error) == ["code", "message", "innerError"]
    assert (error["code"], error["message"]) == (code, message)
    inner: dict[str, Any] = error["innerError"]
    assert list(inner) == ["date", "request-id", "client-request-id"]
    assert _DATE.fullmatch(inner["date"])
    return inner


def not_found(user_id: str) -> str:
    return f"The riskyUser '{user_id}' was not found."


def test_gets_and_actions_in_one_batch(client: TestClient) -> None:
    user_id, other = risky_user(client), risky_user(client)

    first, dismissed, after, listed = send_batch(
        client,
        [
            get("1", f"/identityProtection/riskyUsers/{user_id}"),
            dismiss("2", [user_id], dependsOn=["1"]),
            get("3", f"identityProtection/riskyUsers/{user_id}", dependsOn=["2"]),
            get("4", "/identityProtection/riskyUsers?$top=5"),
        ],
    )

    body = ok(first)
    assert (body["@odata.context"], body["id"], body["riskState"]) == (ENTITY, user_id, "atRisk")
    no_content(dismissed)
    assert ok(after)["riskState"] == "dismissed"
    assert ok(listed)["@odata.context"] == f"{BASE}/v1.0/$metadata#identityProtection/riskyUsers"
    assert sorted(user["id"] for user in ok(listed)["value"]) == sorted([user_id, other])


def test_sub_requests_run_after_what_they_depend_on(client: TestClient) -> None:
    user_id = risky_user(client)

    read, dismissed = send_batch(
        client,
        [
            get("read", f"/identityProtection/riskyUsers/{user_id}", dependsOn=["DISMISS"]),
            dismiss("dismiss", [user_id]),
        ],
    )

    no_content(dismissed)
    assert ok(read)["riskState"] == "dismissed"


def test_a_failed_dependency_fails_its_dependants_with_424(client: TestClient) -> None:
    user_id, unknown = risky_user(client), new_id()

    missing, dependant, transitive, independent = send_batch(
        client,
        [
            get("1", f"/identityProtection/riskyUsers/{unknown}"),
            dismiss("2", [user_id], dependsOn=["1"]),
            get("3", f"/identityProtection/riskyUsers/{user_id}", dependsOn=["2"]),
            get("4", f"/identityProtection/riskyUsers/{user_id}"),
        ],
    )

    inner_error(missing, 404, "NotFound", not_found(unknown))
    message = "The request depends on request '{}', which failed."
    inner_error(dependant, 424, "FailedDependency", message.format("1"))
    inner_error(transitive, 424, "FailedDependency", message.format("2"))
    assert ok(independent)["riskState"] == "atRisk"  # the dismiss never ran


def test_inner_errors_have_graph_bodies_and_the_batch_still_answers_200(
    client: TestClient,
) -> None:
    unknown, sent = new_id(), "my-correlation-7"

    missing, segment, empty, method = send_batch(
        client,
        [
            get("1", f"/identityProtection/riskyUsers/{unknown}"),
            get("2", "/identityProtection/nothingHere"),
            dismiss("3", []),
            get("4", "/identityProtection/riskyUsers/dismiss"),
        ],
        headers={"client-request-id": sent},
    )

    inner = inner_error(missing, 404, "NotFound", not_found(unknown))
    assert inner["request-id"] == missing["headers"]["request-id"]
    assert inner["client-request-id"] == missing["headers"]["client-request-id"] == sent
    segment_message = "Resource not found for the segment 'nothingHere'."
    inner_error(segment, 400, "BadRequest", segment_message)
    inner_error(empty, 400, "BadRequest", "The parameter 'userIds' must hold at least one id.")
    method_message = "Specified HTTP method is not allowed for the request target."
    inner_error(method, 405, "Request_BadRequest", method_message)


def test_each_sub_request_has_its_own_request_id(client: TestClient) -> None:
    response = client.post(
        "/v1.0/$batch",
        json={"requests": [get(str(i), "/identityProtection/riskyUsers") for i in range(3)]},
    )

    ids = {item["headers"]["request-id"] for item in odata_json(response)["responses"]}
    assert len(ids | {response.headers["request-id"]}) == 4
    assert str(uuid.UUID(response.headers["request-id"])) == response.headers["request-id"]
    assert response.headers["client-request-id"] == response.headers["request-id"]


def test_beta_root(client: TestClient) -> None:
    user_id = risky_user(client)

    (item,) = send_batch(
        client, [get("1", f"/identityProtection/riskyUsers/{user_id}")], root="/beta"
    )

    context = f"{BASE}/beta/$metadata#identityProtection/riskyUsers/$entity"
    assert ok(item)["@odata.context"] == context


def test_beta_legacy_paths_inside_a_beta_batch(client: TestClient) -> None:
    user_id = risky_user(client)

    dismissed, read = send_batch(
        client,
        [
            dismiss("1", [user_id], url="/riskyUsers/dismiss"),
            get("2", f"riskyUsers/{user_id}", dependsOn=["1"]),
        ],
        root="/BETA",
    )

    no_content(dismissed)
    body = ok(read)
    assert (body["@odata.context"], body["riskState"]) == (
        f"{BASE}/beta/$metadata#riskyUsers/$entity",
        "dismissed",
    )


def test_legacy_paths_are_beta_only(client: TestClient) -> None:
    (item,) = send_batch(client, [get("1", "/riskyUsers")])

    inner_error(item, 400, "BadRequest", "Resource not found for the segment 'riskyUsers'.")


def test_a_batch_cannot_hold_a_batch(client: TestClient) -> None:
    nested = {
        "id": "1",
        "method": "POST",
        "url": "/$batch",
        "headers": {"Content-Type": "application/json"},
        "body": {"requests": [get("a", "/identityProtection/riskyUsers")]},
    }

    (item,) = send_batch(client, [nested])

    message = "A batch request cannot contain another batch request."
    inner_error(item, 400, "BadRequest", message)


def test_twenty_requests_is_the_limit(client: TestClient) -> None:
    requests = [get(str(i), "/identityProtection/riskyUsers") for i in range(21)]

    assert len(send_batch(client, requests[:20])) == 20
    response = client.post("/v1.0/$batch", json={"requests": requests})

    bad_request(response, "A batch can hold at most 20 requests; 21 were given.")


@pytest.mark.parametrize(("first", "second"), [("1", "1"), ("a", "A")])
def test_duplicate_ids_fail_the_whole_batch(client: TestClient, first: str, second: str) -> None:
    user_id = risky_user(client)
    requests = [dismiss(first, [user_id]), get(second, "/identityProtection/riskyUsers")]

    response = client.post("/v1.0/$batch", json={"requests": requests})

    bad_request(response, f"Request Id {second} has to be unique in a batch.")
    read = odata_json(client.get(f"/v1.0/identityProtection/riskyUsers/{user_id}"))
    assert read["riskState"] == "atRisk"  # nothing in the batch ran


GOOD = get("1", "/identityProtection/riskyUsers")
MALFORMED: list[tuple[Any, str]] = [
    ({"request": [GOOD]}, "Invalid batch payload format."),
    ({"requests": GOOD}, "Invalid batch payload format."),
    ([GOOD], "Invalid batch payload format."),
    ({"requests": ["1"]}, "requests[0] must be a JSON object."),
    ({"requests": [{**GOOD, "id": ""}]}, "requests[0] needs an 'id' that is a non-empty string."),
    ({"requests": [{**GOOD, "id": 1}]}, "requests[0] needs an 'id' that is a non-empty string."),
    (
        {"requests": [{**GOOD, "method": "HEAD"}]},
        "Request '1': the method must be one of GET, POST, PUT, PATCH, DELETE.",
    ),
    ({"requests": [{**GOOD, "url": ""}]}, "Request '1': the url must be a non-empty string."),
    (
        {"requests": [{**GOOD, "url": "https://graph.microsoft.com/v1.0/me"}]},
        "Request '1': the url must be relative, not 'https://graph.microsoft.com/v1.0/me'.",
    ),
    (
        {"requests": [{**GOOD, "url": "//evil.example/x"}]},
        "Request '1': the url must be relative, not '//evil.example/x'.",
    ),
    (
        {"requests": [{**GOOD, "url": "/../_admin/tenants"}]},
        "Request '1': the url leaves the version root.",
    ),
    (
        {"requests": [{**GOOD, "url": "/%2e%2e/_admin/tenants"}]},
        "Request '1': the url leaves the version root.",
    ),
    (
        {"requests": [{**GOOD, "headers": ["Content-Type"]}]},
        "Request '1': headers must map header names to printable ASCII strings.",
    ),
    (
        {"requests": [{**GOOD, "body": {"userIds": []}}]},
        "Request '1': a body needs a Content-Type header.",
    ),
    (
        {"requests": [{**GOOD, "headers": {"Accept": "*/*"}, "body": {}}]},
        "Request '1': a body needs a Content-Type header.",
    ),
    (
        {"requests": [{**GOOD, "headers": {"Content-Type": "text/plain"}, "body": "no!"}]},
        "Request '1': a body of type 'text/plain' must be base64.",
    ),
    (
        {"requests": [{**GOOD, "dependsOn": "2"}]},
        "Request '1': dependsOn must be an array of request ids.",
    ),
    ({"requests": [{**GOOD, "dependsOn": ["2"]}]}, "Request '1' depends on '2', not in the batch."),
    ({"requests": [{**GOOD, "dependsOn": ["1"]}]}, "The dependsOn of request '1' form a cycle."),
    (
        {"requests": [{**GOOD, "dependsOn": ["2"]}, get("2", "/x", dependsOn=["1"])]},
        "The dependsOn of request '1' form a cycle.",
    ),
]


def one(**fields: Any) -> dict[str, Any]:
    """A batch of one request: GOOD with `fields` replaced (None drops the field)."""
    request = {name: value for name, value in {**GOOD, **fields}.items() if value is not None}
    return {"requests": [request]}


def _rows(message: str, *batches: dict[str, Any]) -> list[tuple[Any, str]]:
    return [(batch, message) for batch in batches]


URL = "Request '1': the url must be a non-empty string."
RELATIVE = "Request '1': the url must be relative, not '{}'."
CONTROL = "Request '1': the url must not hold control characters."
METHOD = "Request '1': the method must be one of GET, POST, PUT, PATCH, DELETE."
HEADERS = "Request '1': headers must map header names to printable ASCII strings."
BASE64 = "Request '1': a body of type 'text/plain' must be base64."
ID = "requests[0] needs an 'id' that is a non-empty string."
DEPENDS = "Request '1': dependsOn must be an array of request ids."
CYCLE = "The dependsOn of request '1' form a cycle."
TEXT = {"Content-Type": "text/plain"}
ODD_URLS = ["//[", "//l=]", "http://[::1", "https://x:99999/", "//[::1]:0/v1.0", "x:/y"]
# Every parser a request goes through refuses what it cannot read with the batch's 400.
UNREADABLE: list[tuple[Any, str]] = [
    *_rows(URL, one(url=None), one(url=5), one(url=["/x"]), one(url=" "), one(url="\x1f")),
    *[(one(url=url), RELATIVE.format(url)) for url in ODD_URLS],
    *_rows(
        CONTROL,
        one(url="/identityProtection/riskyUsers\x00"),
        one(url="/identityProtection/riskyUsers/\r\n"),
        one(url="/identityProtection/risky\tUsers"),
        one(url="/identityProtection/riskyUsers?$top=\x1b"),
        one(url="/identityProtection/riskyUsers\x7f"),
    ),
    *_rows(METHOD, one(method=None), one(method=1), one(method=["GET"]), one(method="HEAD")),
    *_rows(METHOD, one(method=""), one(method="G ET"), one(method="OPTIONS")),
    *_rows(
        HEADERS,
        *[one(headers={"Accept": value}) for value in (1, None, ["a"], {}, "\u00e9", "\x00")],
        *[one(headers={name: "x"}) for name in ("", "Bad Name", "Accept:", "\u00e9", "A\nB")],
        one(headers={"Accept": "a\r\nX-Injected: 1"}),
        one(headers="Content-Type: application/json"),
        one(headers=1),
    ),
    *_rows(
        BASE64,
        *[one(headers=TEXT, body=body) for body in ("\u00e9", "e30", 5, True, [], {"a": 1})],
    ),
    *_rows(ID, one(id=None), one(id=1), one(id=1.5), one(id=" "), one(id=[]), one(id={})),
    *_rows(DEPENDS, *[one(dependsOn=names) for names in (1, {"2": 1}, [1], [None], [["2"]])]),
    *_rows(
        CYCLE,
        {"requests": [{**GOOD, "dependsOn": ["1", "1"]}]},
        {
            "requests": [
                {**GOOD, "dependsOn": ["3"]},
                get("2", "/x", dependsOn=["1"]),
                get("3", "/x", dependsOn=["2"]),
            ]
        },
    ),
]


@pytest.mark.parametrize(("payload", "message"), MALFORMED + UNREADABLE)
def test_a_malformed_batch_is_a_400(client: TestClient, payload: Any, message: str) -> None:
    bad_request(client.post("/v1.0/$batch", json=payload), message)


USERS = "/identityProtection/riskyUsers"
LONG = "a" * 8000
# Readable but odd: each is answered inside the batch as it would be if sent alone.
ANSWERED_ALONE: list[tuple[dict[str, Any], int, str, str]] = [
    (get("1", f"{USERS}/%ff"), 404, "NotFound", not_found("\ufffd")),
    (get("1", f"{USERS}/%00"), 404, "NotFound", not_found("\x00")),
    (get("1", f"{USERS}('%ff%fe')"), 404, "NotFound", not_found("\ufffd\ufffd")),
    (get("1", f"{USERS}/{LONG}"), 404, "NotFound", not_found(LONG)),
    (get("1", f"{USERS}/\u00e9 x#y"), 404, "NotFound", not_found("\u00e9 x")),
    (
        get("1", f"{USERS}?$filter=%ff"),
        400,
        "BadRequest",
        "Invalid filter clause: unexpected character '\ufffd' at column 1.",
    ),
    (
        get("1", f"{USERS}/dismiss", method="get"),
        405,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    ),
]


@pytest.mark.parametrize(("request_", "status", "code", "message"), ANSWERED_ALONE)
def test_odd_but_readable_requests_are_answered_inside_the_batch(
    any_client: TestClient, request_: dict[str, Any], status: int, code: str, message: str
) -> None:
    (item,) = send_batch(any_client, [request_])

    inner_error(item, status, code, message)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"requests": []}', "text/plain"),
        (b"", "application/json"),
    ],
)
def test_a_batch_that_is_not_json_is_a_400(
    client: TestClient, content: bytes, content_type: str
) -> None:
    response = client.post("/v1.0/$batch", content=content, headers={"Content-Type": content_type})

    bad_request(response, "Invalid batch payload format.")


def test_an_empty_batch_answers_no_responses(client: TestClient) -> None:
    assert send_batch(client, []) == []


def test_a_base64_body_reaches_the_sub_request(client: TestClient) -> None:
    user_id = risky_user(client)
    request = {**dismiss("1", [user_id]), "headers": {"Content-Type": "text/plain"}, "body": "e30="}

    (item,) = send_batch(client, [request])

    message = (
        "Unable to read JSON request payload. Please ensure Content-Type header is set and "
        "payload is of valid JSON format."
    )
    inner_error(item, 400, "BadRequest", message)


@pytest.fixture
def secure(sqlite_database: Database, clock: FakeClock) -> TestClient:
    """Tokens verified; the built-in issuer mints them (tests/auth/tokens.py)."""
    return make_client(sqlite_database, clock, auth="on")


def test_each_sub_request_is_authorized_on_its_own(secure: TestClient) -> None:
    user_id = seed_risky_user(secure, TENANT_A)

    refused, read = send_batch(
        secure,
        [dismiss("1", [user_id]), get("2", f"/identityProtection/riskyUsers/{user_id}")],
        headers=app_bearer(secure, TENANT_A, READ),
    )

    inner_error(refused, 403, "Forbidden", MISSING)
    assert ok(read)["riskState"] == "atRisk"


def test_a_writer_token_dismisses_inside_a_batch(secure: TestClient) -> None:
    user_id = seed_risky_user(secure, TENANT_A)

    dismissed, read = send_batch(
        secure,
        [
            dismiss("1", [user_id]),
            get("2", f"/identityProtection/riskyUsers/{user_id}", dependsOn=["1"]),
        ],
        headers=app_bearer(secure, TENANT_A, WRITE),
    )

    no_content(dismissed)
    assert ok(read)["riskState"] == "dismissed"


def test_sub_requests_cannot_bring_their_own_token(secure: TestClient) -> None:
    user_id = seed_risky_user(secure, TENANT_A)
    writer = app_bearer(secure, TENANT_A, WRITE)

    (refused,) = send_batch(
        secure,
        [{**dismiss("1", [user_id]), "headers": {"Content-Type": "application/json", **writer}}],
        headers=app_bearer(secure, TENANT_A, READ),
    )

    inner_error(refused, 403, "Forbidden", MISSING)


def test_a_batch_without_a_token_is_a_401(secure: TestClient) -> None:
    response = secure.post("/v1.0/$batch", json={"requests": [GOOD]})

    graph_error(response, 401, "InvalidAuthenticationToken", "Access token is empty.")
    assert response.headers["www-authenticate"].startswith('Bearer realm=""')


# Any batch at all: answered 200 or refused with Graph's 400, never a server error.

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=10)  # JSON cannot hold Cs
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)
_PRINTABLE = st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=6)
_URL_PIECES = [
    *("/", "//", "[", "]", ":", "@", "%", "%ff", "%00", "%2e%2e", "..", "?", "#", "&", "="),
    *("http:", "https://", "x:99999", "\x00", "\r\n", "\u00e9", " ", "'", "(", ")"),
    *("identityProtection", "riskyUsers", "riskDetections", "history", "dismiss", "$batch"),
    *("$top=", "$filter=", "$select=", "$skiptoken=", "$count=true", "a" * 3000),
]
_URLS = st.tuples(
    st.sampled_from(["", "/identityProtection/riskyUsers", "identityProtection/riskDetections"]),
    st.lists(st.sampled_from(_URL_PIECES) | _PRINTABLE, min_size=1, max_size=6).map("".join),
).map("".join)
_IDS = st.sampled_from(["1", "2", "3", "4", "A"])
_ASCII = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=8)
_HEADERS = st.dictionaries(
    st.sampled_from(["Accept", "Prefer", "client-request-id", "Content-Length", "X-a"]),
    st.sampled_from(["*/*", "include-unknown-enum-members"]) | _ASCII,
    max_size=2,
)
_JSON_BODIES = st.fixed_dictionaries({"userIds": st.lists(_TEXT, max_size=2)}) | _JSON
_BASE64 = st.binary(max_size=12).map(lambda data: base64.b64encode(data).decode())
_TYPED_BODIES = st.tuples(st.just("application/json"), _JSON_BODIES) | st.tuples(
    st.sampled_from(["text/plain", "application/octet-stream"]) | _ASCII, _BASE64
)


@st.composite
def _sub_request(draw: st.DrawFn, request_id: str) -> dict[str, Any]:
    """A request with an odd url, headers and body; sometimes a field is any JSON value."""
    methods = st.sampled_from([*METHODS, "get", "post"])
    request = {"id": request_id, "method": draw(methods), "url": draw(_URLS)}
    if draw(st.booleans()):
        request["headers"] = draw(_HEADERS)
    if draw(st.booleans()):
        content_type, request["body"] = draw(_TYPED_BODIES)
        request["headers"] = {**request.get("headers", {}), "Content-Type": content_type}
    if draw(st.booleans()):
        request["dependsOn"] = draw(st.lists(_IDS, max_size=2))
    field = draw(st.sampled_from([None] * 8 + ["id", "method", "url", "headers", "body"]))
    if field is not None:
        request[field] = draw(_JSON)
    return request


@st.composite
def _batches(draw: st.DrawFn) -> Any:
    """Up to four requests; now and then any JSON value instead of a batch."""
    if draw(st.integers(0, 9)) == 0:
        return draw(_JSON)
    count = draw(st.integers(0, 4))
    return {"requests": [draw(_sub_request(str(index + 1))) for index in range(count)]}


def _graph_error(body: Any) -> str:
    """Graph's error body, whatever its message; answers its code."""
    assert list(body) == ["error"]
    error = body["error"]
    assert list(error) == ["code", "message", "innerError"]
    assert isinstance(error["message"], str)
    assert list(error["innerError"]) == ["date", "request-id", "client-request-id"]
    code: str = error["code"]
    return code


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=_batches())
# Found by generated runs; kept here so that no seed can hide them again.
@example(payload=one(url="//["))
@example(payload=one(url="//l=]"))
@example(payload=one(headers={"Content-Type": "text/plain"}, body="\u00e9"))
def test_any_batch_is_answered_without_a_server_error(any_client: TestClient, payload: Any) -> None:
    response = any_client.post("/v1.0/$batch", json=payload)

    if response.status_code == 400:
        assert response.headers["content-type"] == "application/json"
        assert _graph_error(response.json()) == "BadRequest"
        return
    for item in odata_json(response)["responses"]:
        assert item["status"] < 500, item
        if item["status"] >= 400:
            _graph_error(item["body"])
