"""Requests a generated run once found answered wrongly, replayed on every run.

A seed draws a request once; its row here asks it again on SQLite and PostgreSQL, whatever the
seeds of later runs. When schemathesis fails, its report gives the request (a curl command):
add a row with the answer Graph gives, as the API tests state it.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.expect import graph_error


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
]


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
    graph_error(any_client.request(method, path, json=body), status, code, message)
