"""Requests a generated run once found answered wrongly, replayed on every run.

A seed draws a request once; its row here asks it again on SQLite and PostgreSQL, whatever the
seeds of later runs. When schemathesis fails, its report gives the request (a curl command):
add a row with the answer Graph gives, as the API tests state it. A path naming `{stream}` is
sent to a poll stream made for it.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.expect import graph_error
from tests.factories import TENANT


def _batch(url: str) -> dict[str, Any]:
    return {"requests": [{"id": "1", "method": "GET", "url": url}]}


# (method, path, JSON body, status, Graph error code, message)
FOUND: list[tuple[str, str, Any, int, str, str]] = [
    # urlsplit refused the authority of these sub-request urls with a ValueError: a 500.
    *[
        ("POST", "/v1.0/$batch", _batch(url), 400, "BadRequest", message)
        for url, message in [
            ("//[", "Request '1': the url must be relative, not '//['."),
            ("//l=]", "Request '1': the url must be relative, not '//l=]'."),
        ]
    ],
    # A set error's description was kept as whatever it was: null, a number, an object.
    (
        "POST",
        f"/ssf/{TENANT}/poll/{{stream}}",
        {"setErrs": {"k": {"err": "invalid_key", "description": None}}, "returnImmediately": True},
        400,
        "BadRequest",
        "'setErrs' must map each jti to an object with 'err' and 'description' (strings).",
    ),
]


def _made(client: TestClient, path: str) -> str:
    """`path`, with the poll stream it names made first."""
    if "{stream}" not in path:
        return path
    stream = client.post(f"/ssf/{TENANT}/streams", json={})
    assert stream.status_code == 201, stream.text
    return path.replace("{stream}", stream.json()["stream_id"])


@pytest.mark.parametrize(("method", "path", "body", "status", "code", "message"), FOUND)
def test_a_found_request_is_answered_as_graph_would(
    any_client: TestClient,
    method: str,
    path: str,
    body: Any,
    status: int,
    code: str,
    message: str,
) -> None:
    answer = any_client.request(method, _made(any_client, path), json=body)
    graph_error(answer, status, code, message)
