"""The receiver: SETs from a trusted transmitter (here idprotect's own transmitter for another
tenant), pushed or polled, verified with its keys and taken in as detections; replays ignored."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.app import create_app
from idprotect.domain.kinds import USER
from idprotect.domain.paging import PageRequest
from idprotect.domain.tenants import View
from idprotect.settings import Settings
from idprotect.signals.delivery import Deliverer
from idprotect.signals.incoming import finding_of, subject_of_set
from idprotect.signals.receiver import Receivers, parse_transmitter, poll_transmitter
from idprotect.store.engine import Database
from tests.conftest import FakeClock
from tests.factories import TENANT, V1, risky_user
from tests.signals.helpers import FAST, PUSH, local, posting_through
from tests.signals.receiver import CAEP, RISC, check_event

RECEIVING = "c0c0c0c0-0000-4000-8000-00000000000c"
CONFIG = f"http://testserver/.well-known/ssf-configuration/ssf/{TENANT}"
AUDIENCE = f"idprotect:{RECEIVING}"


def _client(database: Database, clock: FakeClock, **entry: str) -> TestClient:
    """One service: the demo tenant transmits, RECEIVING trusts it."""
    fields = {"tenant": RECEIVING, "config": CONFIG, **entry}
    transmitter = ";".join(f"{k}={v}" for k, v in fields.items())
    holder: dict[str, TestClient] = {}
    settings = Settings(auth="off", ssf_transmitters=(transmitter,), key_refresh_seconds=0.0)
    app = create_app(settings, clock=clock, database=database,
                     fetch_json=lambda url: holder["client"].get(local(url)).json())  # fmt: skip
    holder["client"] = TestClient(app)
    return holder["client"]


def test_a_pushed_set_becomes_a_detection_and_a_replay_is_ignored(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = _client(sqlite_database, clock)
    stream = client.post(f"/ssf/{TENANT}/streams", json={
        "aud": AUDIENCE,
        "delivery": {"method": PUSH, "endpoint_url": f"http://testserver/ssf/{RECEIVING}/receiver"},
    })  # fmt: skip
    assert stream.status_code == 201
    risky_user(client, riskLevel="high", userPrincipalName="Ada@Contoso.com")
    deliverer = Deliverer(sqlite_database, FAST, post=posting_through(client), now=clock)
    assert deliverer.deliver_once() == 1

    detections = _detections_of(sqlite_database, RECEIVING)
    assert [(d.risk_event_type, d.risk_level.value, d.source) for d in detections] == [
        ("sharedSignalsRiskLevelChange", "high", "sharedSignals")
    ]
    assert detections[0].user_principal_name == "Ada@Contoso.com"
    assert deliverer.deliver_once() == 0
    with sqlite_database.unit_of_work() as store:
        risky = store.get_risky_principal(USER, RECEIVING, detections[0].principal_id)
    assert risky is not None
    assert risky.risk is not None
    assert risky.risk.level.value == "high"


def _detections_of(database: Database, tenant: str) -> list[Any]:
    """The receiving tenant's detections (the `--auth off` caller is the transmitter's tenant)."""
    with database.unit_of_work() as store:
        page = store.list_risk_detections(USER, tenant, PageRequest(limit=50), View.FULL)
    return list(page.items)


def test_a_refused_set_answers_rfc_8935s_error(sqlite_database: Database, clock: FakeClock) -> None:
    client = _client(sqlite_database, clock, aud="someone-else")
    stream = client.post(f"/ssf/{TENANT}/streams", json={"aud": AUDIENCE}).json()
    risky_user(client)
    poll = client.post(local(stream["delivery"]["endpoint_url"]), json={"returnImmediately": True})
    (token,) = poll.json()["sets"].values()
    headers = {"Content-Type": "application/secevent+jwt"}
    answer = client.post(f"/ssf/{RECEIVING}/receiver", content=token, headers=headers)
    assert answer.status_code == 400
    assert answer.json() == {
        "err": "invalid_audience",
        "description": "The SET is not for this receiver.",
    }
    unknown = client.post(f"/ssf/{TENANT}/receiver", content=token, headers=headers)
    assert unknown.json()["err"] == "invalid_issuer"
    wrong_type = client.post(f"/ssf/{RECEIVING}/receiver", content=token)
    assert wrong_type.json()["err"] == "invalid_request"


def test_a_remote_poll_stream_is_polled_acknowledged_and_replays_ignored(
    sqlite_database: Database, clock: FakeClock
) -> None:
    client = _client(sqlite_database, clock)
    stream = client.post(f"/ssf/{TENANT}/streams", json={"aud": AUDIENCE}).json()
    poll_url = stream["delivery"]["endpoint_url"]
    entry = f"tenant={RECEIVING};config={CONFIG};aud={AUDIENCE};poll={poll_url}"
    receivers = Receivers((entry,), lambda url: client.get(local(url)).json(), refresh_seconds=0)
    user_id = risky_user(client, riskLevel="medium")
    client.post(f"{V1}/riskyUsers/confirmCompromised", json={"userIds": [user_id]})

    transmitter = parse_transmitter(entry)
    assert poll_transmitter(sqlite_database, receivers, transmitter, client, clock=clock) == 3
    assert poll_transmitter(sqlite_database, receivers, transmitter, client, clock=clock) == 0
    types = sorted(d.risk_event_type for d in _detections_of(sqlite_database, RECEIVING))
    assert types == ["sharedSignalsCredentialCompromise", "sharedSignalsRiskLevelChange",
                     "sharedSignalsRiskLevelChange"]  # fmt: skip


# SETs shaped as the specifications' examples (CAEP 1.0 3.9, RISC 1.0 2.7 and 2.3).
SPEC_SHAPED = [
    ({"format": "iss_sub", "iss": "https://idp.example.com/1/", "sub": "jane.doe@example.com"},
     CAEP + "risk-level-change",
     {"current_level": "LOW", "previous_level": "HIGH", "event_timestamp": 1615304991,
      "principal": "USER", "risk_reason": "PASSWORD_FOUND_IN_DATA_BREACH"},
     ("sharedSignalsRiskLevelChange", "low")),
    ({"format": "iss_sub", "iss": "https://idp.example.com/2/", "sub": "joe.smith@example.com"},
     RISC + "credential-compromise", {"credential_type": "password"},
     ("sharedSignalsCredentialCompromise", "high")),
    ({"format": "email", "email": "foo@example.com"},
     RISC + "account-disabled", {"reason": "hijacking"},
     ("sharedSignalsAccountDisabled", "high")),
]  # fmt: skip


@pytest.mark.parametrize(("subject", "event_type", "event", "expected"), SPEC_SHAPED)
def test_the_specifications_example_sets_parse(
    subject: dict[str, str], event_type: str, event: dict[str, Any], expected: tuple[str, str]
) -> None:
    check_event(event_type, event)
    finding = finding_of(event_type, event)
    assert finding is not None
    assert (finding.risk_event_type, finding.level.value) == expected
    assert subject_of_set({"sub_id": subject}) == ("email", subject.get("sub") or subject["email"])


@pytest.mark.parametrize(
    "subject",
    [
        {"format": "opaque", "id": "x" * 129},
        {"format": "email", "email": "a" * 250 + "@b.example"},
        {"format": "opaque", "id": "nul\x00"},
        {"format": "phone_number", "phone_number": "+12065550100"},
        "not an object",
    ],
)
def test_a_subject_idprotect_cannot_keep_names_nobody(subject: object) -> None:
    assert subject_of_set({"sub_id": subject}) is None
