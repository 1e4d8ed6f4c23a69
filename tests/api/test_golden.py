"""Golden answers: a fixed script of requests covering every operation and the main errors, on a
fixed demo tenant, whose answers (status, the headers that matter, body) must not change, and
are the same on SQLite and PostgreSQL.

The answers are in golden/answers.json with what varies run to run normalised (request ids,
the error date, drawn detection ids, signed skiptokens). A change to the request pipeline must
leave them byte for byte as they are; a deliberate change to an answer rewrites the file:
`IDPROTECT_RECORD_GOLDEN=1 ./dev test tests/api/test_golden.py`, and the diff shows it.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.issuer.apps import unregistered_app
from idprotect.issuer.service import app_token
from idprotect.seeding.demo import load_demo_tenant
from idprotect.store.engine import Database
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT

GOLDEN = Path(__file__).parent / "golden" / "answers.json"
KEPT_HEADERS = (
    "content-type",
    "odata-version",
    "allow",
    "retry-after",
    "www-authenticate",
    "location",
    "cache-control",
)
ROOTS = ("/v1.0/identityProtection", "/beta/identityProtection")
JSON = {"Content-Type": "application/json"}
_REQUEST_ID = re.compile(r'"(request-id|client-request-id)": ?"[^"]*"')
_DATE = re.compile(r'"date": ?"[0-9T:-]+"')
_SKIPTOKEN = re.compile(r"skiptoken=[A-Za-z0-9_.%-]+")
_DETECTION_ID = re.compile(r"\b[0-9a-f]{64}\b")

Step = tuple[str, str, dict[str, str], Any]  # method, path, headers, JSON body (or bytes)


def _script(ids: dict[str, str]) -> list[Step]:
    u0, u1, u2, u3, u4, d0 = (ids[k] for k in ("u0", "u1", "u2", "u3", "u4", "d0"))
    reads: list[Step] = []
    for root in ROOTS:
        reads += [
            ("GET", f"{root}/riskyUsers?$top=3", {}, None),
            ("GET", f"{root}/riskyUsers?$top=3", {"Prefer": "include-unknown-enum-members"}, None),
            (
                "GET",
                f"{root}/riskyUsers?$filter=riskState eq 'atRisk' and riskLevel eq 'high'"
                "&$top=2&$select=id,riskLevel",
                {},
                None,
            ),
            ("GET", f"{root}/riskyUsers?$orderby=riskLastUpdatedDateTime desc&$top=2&$count=true",
             {}, None),
            ("GET", f"{root}/riskyUsers/$count", {}, None),
            ("GET", f"{root}/riskyUsers/{u0}", {}, None),
            ("GET", f"{root}/riskyUsers/{u0}/history?$top=2", {}, None),
            ("GET", f"{root}/riskyUsers/{u0}/history/{u0}", {}, None),
            ("GET", f"{root}/riskDetections?$top=2", {}, None),
            ("GET", f"{root}/riskDetections/{d0}", {}, None),
        ]  # fmt: skip
    v1 = ROOTS[0]
    errors: list[Step] = [
        ("GET", f"{v1}/riskyUsers/00000000-0000-0000-0000-000000000000", {}, None),
        ("GET", f"{v1}/riskyUsers?$filter=bogus eq 1", {}, None),
        ("GET", f"{v1}/riskyUsers?$top=0", {}, None),
        ("GET", f"{v1}/riskyUsers?$top=1" + "0" * 5000, {}, None),
        ("GET", f"{v1}/nope", {}, None),
        ("DELETE", f"{v1}/riskyUsers", {}, None),
        ("POST", f"{v1}/riskyUsers/dismiss", JSON, b"{not json"),
        ("POST", f"{v1}/riskyUsers/dismiss", JSON, {"userIds": [u0] * 61}),
        ("POST", f"{v1}/riskyUsers/dismiss", {}, b'{"userIds": []}'),
        ("POST", f"{v1}/riskyUsers/dismiss", JSON, {"ids": [u0]}),
    ]
    actions: list[Step] = [
        ("POST", f"{v1}/riskyUsers/dismiss", JSON, {"userIds": [u0, u1]}),
        ("GET", f"{v1}/riskyUsers/{u0}", {}, None),
        ("POST", f"{v1}/riskyUsers/confirmCompromised", JSON, {"userIds": [u2]}),
        ("GET", f"{v1}/riskyUsers/{u2}/history?$top=1", {}, None),
        ("POST", f"{ROOTS[1]}/riskyUsers/confirmSafe", JSON, {"userIds": [u3]}),
        ("GET", f"{ROOTS[1]}/riskyUsers/{u3}", {"Prefer": "include-unknown-enum-members"}, None),
        ("POST", "/v1.0/$batch", JSON, {"requests": [
            {"id": "1", "method": "GET", "url": f"/identityProtection/riskyUsers/{u0}"},
            {"id": "2", "method": "POST", "url": "/identityProtection/riskyUsers/dismiss",
             "dependsOn": ["1"], "headers": JSON, "body": {"userIds": [u4]}},
            {"id": "3", "method": "GET", "url": "/identityProtection/riskyUsers/nobody"},
            {"id": "4", "method": "GET", "url": "/identityProtection/riskDetections?$top=1",
             "dependsOn": ["3"]},
        ]}),
        ("POST", "/v1.0/$batch", JSON, {"requests": [{"id": "1", "method": "GET", "url": "//["}]}),
        ("POST", f"/_admin/tenants/{TENANT}/riskDetections", JSON, {"value": [{
            "id": "f" * 64, "userId": u1, "riskEventType": "unfamiliarFeatures",
            "riskLevel": "high", "ipAddress": "198.51.100.23",
            "location": {"city": "Oslo", "countryOrRegion": "NO"}}]}),
        ("GET", f"{v1}/riskyUsers/{u1}/history?$top=1", {}, None),
        ("GET", "/", {}, None),
        ("GET", "/health", {}, None),
    ]  # fmt: skip
    return reads + errors + actions


def _answer(response: Any) -> dict[str, Any]:
    text = response.text
    text = _REQUEST_ID.sub(lambda m: f'"{m[1]}":"<id>"', text)
    text = _DATE.sub('"date":"<date>"', text)
    text = _SKIPTOKEN.sub("skiptoken=<skiptoken>", text)
    drawn: dict[str, str] = {}
    text = _DETECTION_ID.sub(lambda m: drawn.setdefault(m[0], f"<detection{len(drawn)}>"), text)
    headers = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
    return {"status": response.status_code, "headers": headers, "body": text}


def _send(client: TestClient, step: Step) -> dict[str, Any]:
    method, path, headers, body = step
    content = body if isinstance(body, bytes) else None if body is None else json.dumps(body)
    answer = _answer(client.request(method, path, headers=headers, content=content))
    return {"request": f"{method} {path[:200]}", **answer}


def _ids(client: TestClient) -> dict[str, str]:
    base = ROOTS[0]
    at_risk = client.get(f"{base}/riskyUsers?$filter=riskState eq 'atRisk'&$top=5").json()
    users = [u["id"] for u in at_risk["value"]]
    detection = client.get(f"{base}/riskDetections?$top=1").json()["value"][0]["id"]
    return {**{f"u{i}": uid for i, uid in enumerate(users)}, "d0": detection}


@pytest.fixture
def demo(database: Database, clock: FakeClock) -> Database:
    load_demo_tenant(database, tenant_id=TENANT, now=clock(), users=40)
    clock.advance(minutes=5)
    return database


def test_the_answers_are_the_golden_ones(demo: Database, clock: FakeClock) -> None:
    client = make_client(demo, clock)
    answers = [_send(client, step) for step in _script(_ids(client))]
    verifying = make_client(demo, clock, auth="on")
    token = app_token(
        demo,
        unregistered_app(TENANT, "golden"),
        now=datetime.now(UTC),
        lifetime=timedelta(hours=1),
        roles=frozenset(),
    )
    for headers in ({}, {"Authorization": f"Bearer {token}"}, {"Authorization": "Bearer x.y.z"}):
        answers.append(_send(verifying, ("GET", f"{ROOTS[0]}/riskyUsers", headers, None)))
    if os.environ.get("IDPROTECT_RECORD_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(answers, indent=1, ensure_ascii=False) + "\n")
    expected = json.loads(GOLDEN.read_text())
    assert len(answers) == len(expected)
    for got, want in zip(answers, expected, strict=True):
        assert got == want, got["request"]
