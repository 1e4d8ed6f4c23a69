"""Risky agents (beta only): list, get, /$count, their subtypes, their detections and the
actions dismiss, confirmCompromised and confirmSafe. Refusals shared with service principals:
test_kinds_refusals.py."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.api.expect import BASE, bad_request, odata_json
from tests.conftest import FakeClock
from tests.factories import (
    BETA,
    TENANT,
    act_on_agents,
    add_agent_detections,
    add_agents,
    agent_detection,
    directory_agent,
    new_id,
    risky_agent,
    risky_service_principal,
)

LIST = f"{BETA}/riskyAgents"
DETECTIONS = f"{BETA}/agentRiskDetections"
INCLUDE_UNKNOWN = {"Prefer": "include-unknown-enum-members"}
T0 = "2026-03-01T09:30:00.1234560Z"  # the clock's start, as Graph writes it
BLUEPRINT = "b3390471-68c5-466a-9ac2-b93e2a454532"
EVIDENCE = "Agent targeted resources that it does not usually access."

FIELDS = [
    "@odata.type",
    "id",
    "agentDisplayName",
    "blueprintId",
    "identityType",
    "isDeleted",
    "isEnabled",
    "isProcessing",
    "riskLastModifiedDateTime",
    "riskState",
    "riskLevel",
    "riskDetail",
]
DETECTION_FIELDS = [
    "id",
    "agentId",
    "agentDisplayName",
    "blueprintId",
    "identityType",
    "activityDateTime",
    "detectedDateTime",
    "detectionTimingType",
    "lastModifiedDateTime",
    "riskDetail",
    "riskLevel",
    "riskState",
    "riskEventType",
    "riskEvidence",
    "additionalInfo",
    "source",
]
SUBTYPES = {
    "agentIdentity": "#microsoft.graph.riskyAgentIdentity",
    "agentUser": "#microsoft.graph.riskyAgentUser",
    "agentIdentityBlueprintPrincipal": "#microsoft.graph.riskyAgentIdentityBlueprintPrincipal",
}
# (riskLevel, riskState, riskDetail) each action leaves, as callers asking for evolvable
# members see it; others read riskDetail unknownFutureValue.
OUTCOME = {
    "dismiss": ("none", "dismissed", "adminDismissedRiskForAgent"),
    "confirmCompromised": ("high", "confirmedCompromised", "adminConfirmedAgentCompromised"),
    "confirmSafe": ("none", "confirmedSafe", "adminConfirmedAgentSafe"),
}
ACTIONS = tuple(OUTCOME)


def context(fragment: str) -> str:
    return f"{BASE}/beta/$metadata#identityProtection/{fragment}"


def get(client: TestClient, agent_id: str) -> dict[str, Any]:
    found: dict[str, Any] = odata_json(client.get(f"{LIST}/{agent_id}", headers=INCLUDE_UNKNOWN))
    return found


def risk_of(client: TestClient, agent_id: str) -> tuple[str, str, str]:
    found = get(client, agent_id)
    return found["riskLevel"], found["riskState"], found["riskDetail"]


def listed(client: TestClient, url: str = LIST, **params: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = odata_json(client.get(url, params=params))["value"]
    return found


def detections(client: TestClient, **headers: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = odata_json(
        client.get(DETECTIONS, params={"$top": "500"}, headers=headers)
    )["value"]
    return found


def ask_hr(client: TestClient, **overrides: Any) -> str:
    """The risky agent of Graph's examples."""
    return risky_agent(
        client,
        agentId=overrides.pop("agentId", new_id()),
        agentDisplayName="Ask HR Agent Identity",
        blueprintId=BLUEPRINT,
        riskLevel="high",
        **overrides,
    )


def expected_agent(agent_id: str, **overrides: Any) -> dict[str, Any]:
    identity_type = overrides.pop("identityType", "agentIdentity")
    return {
        "@odata.type": SUBTYPES[identity_type],
        "id": agent_id,
        "agentDisplayName": "Ask HR Agent Identity",
        "blueprintId": BLUEPRINT,
        "identityType": identity_type,
        "isDeleted": False,
        "isEnabled": True,
        "isProcessing": False,
        "riskLastModifiedDateTime": T0,
        "riskState": "atRisk",
        "riskLevel": "high",
        "riskDetail": "none",
        **overrides,
    }


# -- list, get, subtypes, /$count -----------------------------------------------------------------


def test_list_answers_the_graph_envelope_with_each_agents_subtype(any_client: TestClient) -> None:
    agent_id = ask_hr(any_client)

    body = odata_json(any_client.get(LIST))

    assert body == {"@odata.context": context("riskyAgents"), "value": [expected_agent(agent_id)]}
    assert list(body["value"][0]) == FIELDS


def test_get_answers_the_entity_with_its_subtype_first(any_client: TestClient) -> None:
    agent_id = ask_hr(any_client, identityType="agentUser")

    body = odata_json(any_client.get(f"{LIST}/{agent_id}"))

    assert body == {
        "@odata.context": context("riskyAgents/$entity"),
        **expected_agent(agent_id, identityType="agentUser"),
    }
    assert list(body) == ["@odata.context", *FIELDS]


@pytest.mark.parametrize("identity_type", list(SUBTYPES))
def test_the_subtype_follows_the_identity_type(client: TestClient, identity_type: str) -> None:
    agent_id = ask_hr(client, identityType=identity_type)

    (found,) = odata_json(client.get(LIST, headers=INCLUDE_UNKNOWN))["value"]

    assert (found["@odata.type"], found["identityType"]) == (SUBTYPES[identity_type], identity_type)
    assert found["id"] == agent_id


def test_a_blueprint_principal_reads_unknown_future_value_unless_asked(
    any_client: TestClient,
) -> None:
    agent_id = ask_hr(any_client, identityType="agentIdentityBlueprintPrincipal")

    plain = odata_json(any_client.get(f"{LIST}/{agent_id}"))
    (listed_plain,) = listed(any_client)
    asked = get(any_client, agent_id)
    (detection,) = detections(any_client)
    (asked_detection,) = detections(any_client, **INCLUDE_UNKNOWN)

    # The subtype still names it: only the evolvable member is withheld.
    for body in (plain, listed_plain):
        assert body["@odata.type"] == "#microsoft.graph.riskyAgentIdentityBlueprintPrincipal"
        assert body["identityType"] == "unknownFutureValue"
    assert asked["identityType"] == "agentIdentityBlueprintPrincipal"
    assert detection["identityType"] == "unknownFutureValue"
    assert asked_detection["identityType"] == "agentIdentityBlueprintPrincipal"


def test_directory_agents_take_their_risk_from_the_admin_api(client: TestClient) -> None:
    agent_id = new_id()
    add_agents(
        client,
        directory_agent(
            id=agent_id,
            agentDisplayName="Ask HR Agent Identity",
            blueprintId=BLUEPRINT,
            identityType="agentUser",
            isEnabled=False,
            riskLevel="medium",
            riskState="atRisk",
            riskLastModifiedDateTime="2026-02-01T08:00:00+01:00",
        ),
        directory_agent(),  # never risky: not listed
    )

    assert listed(client) == [
        expected_agent(
            agent_id,
            identityType="agentUser",
            isEnabled=False,
            riskLevel="medium",
            riskLastModifiedDateTime="2026-02-01T07:00:00.0000000Z",
        )
    ]
    assert client.get(f"{LIST}/$count").text == "1"


def test_an_agent_fixture_naming_risk_last_updated_date_time_is_refused(
    client: TestClient,
) -> None:
    body = directory_agent(riskLevel="high", riskLastUpdatedDateTime="2026-02-01T08:00:00Z")

    response = client.post(f"/_admin/tenants/{TENANT}/agents", json={"value": [body]})

    bad_request(
        response,
        "Invalid request body at 'value.0.riskLastUpdatedDateTime': Extra inputs are not "
        "permitted.",
    )
    assert listed(client) == []


def test_list_orders_by_id_and_pages_with_next_links(any_client: TestClient) -> None:
    created = add_agent_detections(any_client, *(agent_detection() for _ in range(21)))
    ids = sorted(d["agentId"] for d in created)

    first = odata_json(any_client.get(LIST))
    second = odata_json(any_client.get(first["@odata.nextLink"]))

    assert list(first) == ["@odata.context", "@odata.nextLink", "value"]
    assert first["@odata.nextLink"].startswith(f"{BASE}{LIST}?$skiptoken=")
    assert [a["id"] for a in first["value"]] == ids[:20]
    assert [a["id"] for a in second["value"]] == ids[20:]
    assert list(second) == ["@odata.context", "value"]


def test_top_and_count_carry_over_every_page(any_client: TestClient) -> None:
    created = add_agent_detections(any_client, *(agent_detection() for _ in range(5)))
    ids = sorted(d["agentId"] for d in created)
    seen: list[str] = []

    body = odata_json(any_client.get(LIST, params={"$count": "true", "$top": "2"}))
    pages = 1
    seen += [a["id"] for a in body["value"]]
    while "@odata.nextLink" in body:
        assert body["@odata.nextLink"].startswith(f"{BASE}{LIST}?$count=true&$top=2&$skiptoken=")
        body = odata_json(any_client.get(body["@odata.nextLink"]))
        assert (list(body)[1], body["@odata.count"]) == ("@odata.count", 5)
        seen += [a["id"] for a in body["value"]]
        pages += 1

    assert (seen, pages) == (ids, 3)


def test_the_count_segment_answers_a_plain_number(any_client: TestClient) -> None:
    add_agent_detections(
        any_client,
        agent_detection(riskLevel="high"),
        agent_detection(riskLevel="low", identityType="agentUser"),
        agent_detection(riskLevel="high", identityType="agentUser"),
    )

    everything = any_client.get(f"{LIST}/$count")
    users = any_client.get(f"{LIST}/$count", params={"$filter": "identityType eq 'agentUser'"})

    assert (everything.status_code, everything.text) == (200, "3")
    assert everything.headers["content-type"] == "text/plain;charset=utf-8"
    assert users.text == "2"


def test_orderby_each_sortable_property_both_ways_across_pages(
    any_client: TestClient, clock: FakeClock
) -> None:
    names = ["Bravo", "alpha", "Charlie"]  # made in this order, an hour apart
    for name in names:
        risky_agent(any_client, agentDisplayName=name)
        clock.advance(hours=1)

    def order(orderby: str) -> list[str]:
        body = odata_json(any_client.get(LIST, params={"$orderby": orderby, "$top": "2"}))
        found = [a["agentDisplayName"] for a in body["value"]]
        while "@odata.nextLink" in body:
            body = odata_json(any_client.get(body["@odata.nextLink"]))
            found += [a["agentDisplayName"] for a in body["value"]]
        return found

    assert order("riskLastModifiedDateTime") == names
    assert order("riskLastModifiedDateTime desc") == names[::-1]
    assert order("agentDisplayName") == ["Bravo", "Charlie", "alpha"]
    assert order("agentDisplayName desc") == ["alpha", "Charlie", "Bravo"]


def test_select_keeps_the_subtype_and_names_the_context(client: TestClient) -> None:
    agent_id = ask_hr(client, identityType="agentUser")

    body = odata_json(client.get(LIST, params={"$select": "riskLevel,id"}))
    entity = odata_json(client.get(f"{LIST}/{agent_id}", params={"$select": "agentDisplayName"}))

    assert body == {
        "@odata.context": context("riskyAgents(riskLevel,id)"),
        "value": [
            {"@odata.type": "#microsoft.graph.riskyAgentUser", "id": agent_id, "riskLevel": "high"}
        ],
    }
    assert entity == {
        "@odata.context": context("riskyAgents(agentDisplayName)/$entity"),
        "@odata.type": "#microsoft.graph.riskyAgentUser",
        "agentDisplayName": "Ask HR Agent Identity",
    }


# -- $filter on every documented property --------------------------------------------------------


def filter_agents(client: TestClient, clock: FakeClock) -> dict[str, str]:
    """A: Ask HR, an agent identity, high. B: Copilot Helper, an agent user, low, disabled,
    an hour later. C: O'Neil Bot, a blueprint principal, medium, confirmed safe two hours
    later, then deleted."""
    made = {letter: new_id() for letter in "ABC"}
    add_agents(
        client,
        directory_agent(
            id=made["B"],
            agentDisplayName="Copilot Helper",
            blueprintId="blueprint-b",
            identityType="agentUser",
            isEnabled=False,
        ),
    )
    risky_agent(
        client, agentId=made["A"], agentDisplayName="Ask HR", blueprintId=None, riskLevel="high"
    )
    clock.advance(hours=1)
    risky_agent(client, agentId=made["B"], riskLevel="low", identityType="agentUser")
    clock.advance(hours=1)
    risky_agent(
        client,
        agentId=made["C"],
        agentDisplayName="O'Neil Bot",
        blueprintId="blueprint-c",
        identityType="agentIdentityBlueprintPrincipal",
        riskLevel="medium",
    )
    assert act_on_agents(client, "confirmSafe", [made["C"]]).status_code == 204
    response = client.delete(f"/_admin/tenants/{TENANT}/agents/{made['C']}")
    assert response.status_code == 204
    return made


AGENT_FILTERS = [
    ("riskLevel eq 'high'", "A"),
    ("riskLevel ne 'high'", "BC"),
    ("riskState eq 'confirmedSafe'", "C"),
    ("riskState in ('atRisk', 'dismissed')", "AB"),
    ("riskDetail eq 'none'", "AB"),
    ("riskDetail eq 'unknownFutureValue'", "C"),
    ("identityType eq 'agentUser'", "B"),
    ("identityType eq 'unknownFutureValue'", "C"),
    ("agentDisplayName eq 'O''Neil Bot'", "C"),
    ("startswith(agentDisplayName,'Co')", "B"),
    ("agentDisplayName eq 'ask hr'", ""),
    ("blueprintId eq null", "A"),
    ("blueprintId eq 'blueprint-b'", "B"),
    ("isDeleted eq true", "C"),
    ("isEnabled eq false", "B"),
    ("isProcessing eq false and isDeleted eq false", "AB"),
    ("riskLastModifiedDateTime eq 2026-03-01T09:30:00.1234560Z", "A"),
    ("riskLastModifiedDateTime ge 2026-03-01T10:30:00.1234560Z", "BC"),
    ("riskLastModifiedDateTime le 2026-03-01T10:30:00.1234560Z", "AB"),
]


@pytest.mark.parametrize(("text", "expected"), AGENT_FILTERS)
def test_filter_on_each_documented_property(
    any_client: TestClient, clock: FakeClock, text: str, expected: str
) -> None:
    made = filter_agents(any_client, clock)
    letters = {agent_id: letter for letter, agent_id in made.items()}

    found = listed(any_client, **{"$filter": text})
    count = any_client.get(f"{LIST}/$count", params={"$filter": text}).text

    assert "".join(sorted(letters[a["id"]] for a in found)) == expected
    assert count == str(len(expected))


def test_filter_on_the_id_takes_eq_and_startswith(client: TestClient) -> None:
    agent_id, other = ask_hr(client), ask_hr(client)

    by_id = listed(client, **{"$filter": f"id eq '{agent_id}'"})
    by_prefix = listed(client, **{"$filter": f"startswith(id,'{agent_id[:8]}')"})

    assert [a["id"] for a in by_id] == [agent_id]
    assert [a["id"] for a in by_prefix] == [agent_id]
    assert [a["id"] for a in listed(client, **{"$filter": f"id ne '{agent_id}'"})] == [other]


def test_evolvable_members_are_filtered_by_name_with_the_header(client: TestClient) -> None:
    agent_id = ask_hr(client, identityType="agentIdentityBlueprintPrincipal")
    act_on_agents(client, "confirmCompromised", [agent_id])

    for text in (
        "identityType eq 'agentIdentityBlueprintPrincipal'",
        "riskDetail eq 'adminConfirmedAgentCompromised'",
    ):
        found = odata_json(client.get(LIST, params={"$filter": text}, headers=INCLUDE_UNKNOWN))
        assert [a["id"] for a in found["value"]] == [agent_id]
    bad_request(
        client.get(LIST, params={"$filter": "identityType eq 'agentIdentityBlueprintPrincipal'"}),
        "Invalid filter clause: 'agentIdentityBlueprintPrincipal' is an evolvable member of "
        "agentIdentityType; send the header 'Prefer: include-unknown-enum-members' to filter on "
        "it.",
    )


# -- actions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_sets_its_outcome(
    any_client: TestClient, clock: FakeClock, action: str
) -> None:
    first, second = ask_hr(any_client), risky_agent(any_client, riskLevel="low")
    clock.advance(hours=1)

    response = act_on_agents(any_client, action, [first, second])

    assert (response.status_code, response.content) == (204, b"")
    for agent_id in (first, second):
        found = get(any_client, agent_id)
        assert (found["riskLevel"], found["riskState"], found["riskDetail"]) == OUTCOME[action]
        assert found["riskLastModifiedDateTime"] == "2026-03-01T10:30:00.1234560Z"


@pytest.mark.parametrize("action", ACTIONS)
def test_each_actions_detail_reads_unknown_future_value_unless_asked(
    client: TestClient, clock: FakeClock, action: str
) -> None:
    agent_id = ask_hr(client)
    clock.advance(minutes=5)
    level, state, _ = OUTCOME[action]

    act_on_agents(client, action, [agent_id])

    assert odata_json(client.get(f"{LIST}/{agent_id}")) == {
        "@odata.context": context("riskyAgents/$entity"),
        **expected_agent(
            agent_id,
            riskLastModifiedDateTime="2026-03-01T09:35:00.1234560Z",
            riskState=state,
            riskLevel=level,
            riskDetail="unknownFutureValue",
        ),
    }
    assert listed(client)[0]["riskDetail"] == "unknownFutureValue"


@pytest.mark.parametrize("action", ["dismiss", "confirmSafe"])
def test_dismiss_and_confirm_safe_close_the_agents_detections(
    any_client: TestClient, clock: FakeClock, action: str
) -> None:
    agent_id = new_id()
    add_agent_detections(
        any_client,
        agent_detection(agentId=agent_id, riskLevel="medium"),
        agent_detection(agentId=agent_id, riskLevel="high", riskEventType="threatIntelligence"),
    )
    bystander = risky_agent(any_client)
    before = {d["id"]: d for d in detections(any_client, **INCLUDE_UNKNOWN)}
    clock.advance(minutes=5)
    _, state, detail = OUTCOME[action]

    act_on_agents(any_client, action, [agent_id])

    after = detections(any_client, **INCLUDE_UNKNOWN)
    closed = [d for d in after if d["agentId"] == agent_id]
    assert sorted(d["riskLevel"] for d in closed) == ["high", "medium"]
    for d in closed:
        assert d == {
            **before[d["id"]],
            "riskState": state,
            "riskDetail": detail,
            "lastModifiedDateTime": "2026-03-01T09:35:00.1234560Z",
        }
    (untouched,) = [d for d in after if d["agentId"] == bystander]
    assert untouched == before[untouched["id"]]
    assert [d["riskDetail"] for d in detections(any_client) if d["agentId"] == agent_id] == [
        "unknownFutureValue",
        "unknownFutureValue",
    ]


def test_confirm_compromised_records_an_admin_detection(
    any_client: TestClient, clock: FakeClock
) -> None:
    agent_id = ask_hr(any_client, identityType="agentUser")
    earlier = detections(any_client, **INCLUDE_UNKNOWN)
    clock.advance(minutes=10)

    act_on_agents(any_client, "confirmCompromised", [agent_id])

    recorded, *rest = detections(any_client, **INCLUDE_UNKNOWN)
    plain = detections(any_client)[0]
    assert rest == earlier  # the earlier detection stays active and unchanged
    assert len(recorded["id"]) == 64
    assert int(recorded["id"], 16) >= 0
    at = "2026-03-01T09:40:00.1234560Z"
    assert recorded == {
        "id": recorded["id"],
        "agentId": agent_id,
        "agentDisplayName": "Ask HR Agent Identity",
        "blueprintId": BLUEPRINT,
        "identityType": "agentUser",
        "activityDateTime": at,
        "detectedDateTime": at,
        "detectionTimingType": "offline",
        "lastModifiedDateTime": at,
        "riskDetail": "adminConfirmedAgentCompromised",
        "riskLevel": "high",
        "riskState": "confirmedCompromised",
        "riskEventType": "adminConfirmedAgentCompromised",
        "riskEvidence": "An administrator confirmed the agent compromised.",
        "additionalInfo": None,
        "source": "activeDirectory",
    }
    assert plain["riskDetail"] == "unknownFutureValue"


def test_confirm_compromised_makes_a_never_risky_directory_agent_risky(
    any_client: TestClient, clock: FakeClock
) -> None:
    agent_id = new_id()
    add_agents(
        any_client,
        directory_agent(
            id=agent_id, agentDisplayName="Ask HR Agent Identity", blueprintId=BLUEPRINT
        ),
    )
    clock.advance(days=1)

    assert act_on_agents(any_client, "confirmCompromised", [agent_id]).status_code == 204

    assert get(any_client, agent_id) == {
        "@odata.context": context("riskyAgents/$entity"),
        **expected_agent(
            agent_id,
            riskLastModifiedDateTime="2026-03-02T09:30:00.1234560Z",
            riskState="confirmedCompromised",
            riskDetail="adminConfirmedAgentCompromised",
        ),
    }
    (recorded,) = detections(any_client)
    assert (recorded["agentId"], recorded["riskEventType"]) == (
        agent_id,
        "adminConfirmedAgentCompromised",
    )


@pytest.mark.parametrize("action", ["dismiss", "confirmSafe"])
def test_dismiss_and_confirm_safe_leave_a_never_risky_agent_alone(
    any_client: TestClient, action: str
) -> None:
    agent_id = new_id()
    add_agents(any_client, directory_agent(id=agent_id))

    assert act_on_agents(any_client, action, [agent_id]).status_code == 204

    assert any_client.get(f"{LIST}/{agent_id}").status_code == 404
    assert listed(any_client) == []


def test_a_confirmed_compromised_agent_stays_so_when_detections_arrive(
    client: TestClient, clock: FakeClock
) -> None:
    agent_id = ask_hr(client)
    act_on_agents(client, "confirmCompromised", [agent_id])
    before = get(client, agent_id)
    clock.advance(minutes=1)

    add_agent_detections(client, agent_detection(agentId=agent_id, riskLevel="low"))

    assert get(client, agent_id) == before


def test_a_new_detection_after_confirm_safe_puts_the_agent_at_risk_again(
    any_client: TestClient, clock: FakeClock
) -> None:
    agent_id = ask_hr(any_client)
    clock.advance(minutes=1)
    act_on_agents(any_client, "confirmSafe", [agent_id])
    clock.advance(minutes=1)

    add_agent_detections(any_client, agent_detection(agentId=agent_id, riskLevel="low"))

    assert risk_of(any_client, agent_id) == ("low", "atRisk", "none")
    assert get(any_client, agent_id)["riskLastModifiedDateTime"] == "2026-03-01T09:32:00.1234560Z"


def test_agent_actions_leave_service_principals_alone(any_client: TestClient) -> None:
    principal_id = risky_service_principal(any_client, riskLevel="high")
    agent_id = ask_hr(any_client)

    for action in ACTIONS:
        assert act_on_agents(any_client, action, [principal_id, agent_id]).status_code == 204
        assert risk_of(any_client, agent_id) == OUTCOME[action]

    principal = odata_json(any_client.get(f"{BETA}/riskyServicePrincipals/{principal_id}"))
    assert (principal["riskLevel"], principal["riskState"]) == ("high", "atRisk")


# -- detections ----------------------------------------------------------------------------------


def full_detection(**overrides: Any) -> dict[str, Any]:
    """A detection with every optional field set, as Graph's example shows one."""
    return agent_detection(
        id=secrets.token_hex(32),
        agentDisplayName="Ask HR Agent Identity",
        blueprintId=BLUEPRINT,
        identityType="agentIdentity",
        riskEventType="unfamiliarResourceAccess",
        riskLevel="high",
        riskEvidence=EVIDENCE,
        activityDateTime="2025-07-30T15:38:56.959497Z",
        detectedDateTime="2025-07-30T17:38:56.959497+02:00",
        additionalInfo="",
        source="activeDirectory",
        **overrides,
    )


def expected_detection(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": body["id"],
        "agentId": body["agentId"],
        "agentDisplayName": "Ask HR Agent Identity",
        "blueprintId": BLUEPRINT,
        "identityType": "agentIdentity",
        "activityDateTime": "2025-07-30T15:38:56.9594970Z",
        "detectedDateTime": "2025-07-30T15:38:56.9594970Z",
        "detectionTimingType": "offline",
        "lastModifiedDateTime": T0,
        "riskDetail": "none",
        "riskLevel": "high",
        "riskState": "atRisk",
        "riskEventType": "unfamiliarResourceAccess",
        "riskEvidence": EVIDENCE,
        "additionalInfo": "",
        "source": "activeDirectory",
    }


def test_list_detections_answers_every_field_in_order(any_client: TestClient) -> None:
    body = full_detection()
    add_agent_detections(any_client, body)

    found = odata_json(any_client.get(DETECTIONS))

    assert found == {
        "@odata.context": context("agentRiskDetections"),
        "value": [expected_detection(body)],
    }
    assert list(found["value"][0]) == DETECTION_FIELDS


def test_get_detection_answers_the_entity(any_client: TestClient) -> None:
    body = full_detection()
    add_agent_detections(any_client, body)

    found = odata_json(any_client.get(f"{DETECTIONS}/{body['id']}"))
    selected = odata_json(
        any_client.get(f"{DETECTIONS}/{body['id']}", params={"$select": "riskEvidence,agentId"})
    )

    assert found == {
        "@odata.context": context("agentRiskDetections/$entity"),
        **expected_detection(body),
    }
    assert selected == {
        "@odata.context": context("agentRiskDetections(riskEvidence,agentId)/$entity"),
        "agentId": body["agentId"],
        "riskEvidence": EVIDENCE,
    }


def test_detections_default_to_offline_ones_from_active_directory(client: TestClient) -> None:
    body = agent_detection()
    del body["riskEvidence"], body["blueprintId"], body["identityType"]
    add_agent_detections(client, body)

    (found,) = detections(client)

    assert {k: found[k] for k in ("detectionTimingType", "source", "additionalInfo")} == {
        "detectionTimingType": "offline",
        "source": "activeDirectory",
        "additionalInfo": None,
    }
    assert (found["riskEvidence"], found["blueprintId"], found["identityType"]) == (
        None,
        None,
        "agentIdentity",
    )


def test_detections_list_newest_first_and_page_with_next_links(
    any_client: TestClient, clock: FakeClock
) -> None:
    made = []
    for _ in range(5):
        made += add_agent_detections(any_client, agent_detection())
        clock.advance(minutes=1)

    first = odata_json(any_client.get(DETECTIONS, params={"$top": "3"}))
    second = odata_json(any_client.get(first["@odata.nextLink"]))
    oldest_first = listed(any_client, DETECTIONS, **{"$orderby": "lastModifiedDateTime"})

    newest_first = [d["id"] for d in reversed(made)]
    assert first["@odata.nextLink"].startswith(f"{BASE}{DETECTIONS}?$top=3&$skiptoken=")
    assert [d["id"] for d in first["value"] + second["value"]] == newest_first
    assert "@odata.nextLink" not in second
    assert [d["id"] for d in oldest_first] == newest_first[::-1]


DETECTION_FILTERS = [
    ("riskEventType eq 'unfamiliarResourceAccess'", "AC"),
    ("riskLevel eq 'high' or riskEventType eq 'threatIntelligence'", "BC"),
    ("agentDisplayName eq 'Copilot Helper'", "B"),
    ("startswith(agentDisplayName,'Ask')", "AC"),
    ("blueprintId eq 'blueprint-c'", "C"),
    ("identityType eq 'agentUser'", "B"),
    ("riskEvidence eq 'Unusual sign-in pattern.'", "C"),
    ("source eq 'microsoftDefender'", "B"),
    ("source eq 'activeDirectory'", "AC"),
    ("detectionTimingType eq 'offline'", "ABC"),
    ("riskState eq 'atRisk'", "ABC"),
    ("detectedDateTime gt 2026-03-01T09:30:00.1234560Z", "BC"),
    ("lastModifiedDateTime le 2026-03-01T09:31:00.1234560Z", "AB"),
]


@pytest.mark.parametrize(("text", "expected"), DETECTION_FILTERS)
def test_filter_detections(client: TestClient, clock: FakeClock, text: str, expected: str) -> None:
    made = {}
    for letter, fields in {
        "A": {"agentDisplayName": "Ask HR"},
        "B": {
            "agentDisplayName": "Copilot Helper",
            "identityType": "agentUser",
            "riskEventType": "threatIntelligence",
            "source": "microsoftDefender",
        },
        "C": {
            "agentDisplayName": "Ask IT",
            "blueprintId": "blueprint-c",
            "riskEvidence": "Unusual sign-in pattern.",
            "riskLevel": "high",
        },
    }.items():
        (created,) = add_agent_detections(client, agent_detection(**fields))
        made[created["id"]] = letter
        clock.advance(minutes=1)

    found = listed(client, DETECTIONS, **{"$filter": text})

    assert "".join(sorted(made[d["id"]] for d in found)) == expected


def test_filter_detections_by_agent(client: TestClient) -> None:
    agent_id = risky_agent(client)
    risky_agent(client)

    by_agent = listed(client, DETECTIONS, **{"$filter": f"agentId eq '{agent_id}'"})
    by_prefix = listed(client, DETECTIONS, **{"$filter": f"startswith(agentId,'{agent_id[:6]}')"})

    assert [d["agentId"] for d in by_agent] == [agent_id]
    assert [d["agentId"] for d in by_prefix] == [agent_id]


# -- licences --------------------------------------------------------------------------------------


def test_agents_do_not_need_workload_identities_premium(any_client: TestClient) -> None:
    agent_id = ask_hr(any_client)
    response = any_client.put(f"/_admin/tenants/{TENANT}", json={"workloadIdentities": False})
    assert response.status_code == 204

    assert risk_of(any_client, agent_id) == ("high", "atRisk", "none")
    assert detections(any_client)[0]["riskLevel"] == "high"
    assert act_on_agents(any_client, "confirmSafe", [agent_id]).status_code == 204


# -- $batch ----------------------------------------------------------------------------------------


def test_reads_and_actions_in_one_beta_batch(client: TestClient) -> None:
    agent_id = ask_hr(client)
    base = "/identityProtection/riskyAgents"
    post = {"method": "POST", "headers": {"Content-Type": "application/json"}}
    requests = [
        {"id": "1", "method": "GET", "url": f"{base}/{agent_id}"},
        {
            **post,
            "id": "2",
            "url": f"{base}/confirmSafe",
            "body": {"agentIds": [agent_id]},
            "dependsOn": ["1"],
        },
        {"id": "3", "method": "GET", "url": f"{base}?$select=riskState", "dependsOn": ["2"]},
        {"id": "4", "method": "GET", "url": f"{base}/$count", "dependsOn": ["2"]},
        {"id": "5", "method": "GET", "url": "/identityProtection/agentRiskDetections?$top=1"},
        {"id": "6", "method": "GET", "url": f"{base}/{agent_id}/history"},
    ]

    body = odata_json(client.post("/beta/$batch", json={"requests": requests}))

    first, acted, after, counted, found, refused = body["responses"]
    assert [r["id"] for r in body["responses"]] == ["1", "2", "3", "4", "5", "6"]
    assert first["status"] == 200
    assert first["body"] == {
        "@odata.context": context("riskyAgents/$entity"),
        **expected_agent(agent_id),
    }
    assert (acted["status"], "body" in acted) == (204, False)
    assert after["body"]["value"] == [
        {"@odata.type": "#microsoft.graph.riskyAgentIdentity", "riskState": "confirmedSafe"}
    ]
    assert (counted["status"], base64.b64decode(counted["body"])) == (200, b"1")
    assert found["body"]["value"][0]["agentId"] == agent_id
    assert refused["status"] == 400
    assert refused["body"]["error"]["message"] == "Resource not found for the segment 'history'."


def test_agents_are_not_in_a_v1_batch(client: TestClient) -> None:
    ask_hr(client)
    requests = [{"id": "1", "method": "GET", "url": "/identityProtection/riskyAgents"}]

    (refused,) = odata_json(client.post("/v1.0/$batch", json={"requests": requests}))["responses"]

    assert refused["status"] == 400
    assert refused["body"]["error"]["message"] == (
        "Resource not found for the segment 'riskyAgents'."
    )
