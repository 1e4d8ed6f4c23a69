"""riskyUsers with $filter, $select, $orderby, $count and /$count: every operator and literal form.

Six users, A to F, each made risky an hour after the previous one (`T(hours)` is when):
A Adele Vance, adelev@, high, atRisk       D 100%_sure, pct@, dismissed at T(4)
B Alex Wilber, alexw@, medium, atRisk      E no names, high, atRisk, deleted
C O'Brien, obrien@, confirmed safe at T(3) F adele vance, ADELE@, confirmed compromised
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.store.engine import Database
from tests.api.expect import BASE, ODATA_JSON, bad_request, odata_json
from tests.conftest import FakeClock, make_client
from tests.factories import V1, act, delete_user, new_id, risky_user

LIST = f"{V1}/riskyUsers"
CONTEXT = f"{BASE}/v1.0/$metadata#identityProtection/riskyUsers"
ASK = {"Prefer": "include-unknown-enum-members"}
Users = dict[str, str]


def T(hours: int) -> str:  # noqa: N802
    """When the user of that hour was last updated, as Graph writes it."""
    return f"2026-03-01T{9 + hours:02d}:30:00.1234560Z"


@pytest.fixture(scope="module")
def shared(module_database: Database) -> tuple[TestClient, Users]:
    """The six users, made once per database: every test here only reads."""
    clock = FakeClock()
    client = make_client(module_database, clock)
    made: Users = {}

    def add(letter: str, name: str | None, upn: str | None, level: str) -> str:
        fields = {"userDisplayName": name, "userPrincipalName": upn, "riskLevel": level}
        made[letter] = risky_user(client, userId=new_id(), **fields)
        return made[letter]

    add("A", "Adele Vance", "adelev@contoso.com", "high")
    clock.advance(hours=1)
    add("B", "Alex Wilber", "alexw@contoso.com", "medium")
    clock.advance(hours=1)
    add("C", "O'Brien", "obrien@contoso.com", "low")
    clock.advance(hours=1)
    act(client, "confirmSafe", [made["C"]])
    clock.advance(hours=1)
    act(client, "dismiss", [add("D", "100%_sure", "pct@contoso.com", "high")])
    clock.advance(hours=1)
    delete_user(client, add("E", None, None, "high"))
    clock.advance(hours=1)
    act(client, "confirmCompromised", [add("F", "adele vance", "ADELE@contoso.com", "medium")])
    return client, made


@pytest.fixture
def any_client(shared: tuple[TestClient, Users]) -> TestClient:
    return shared[0]


@pytest.fixture
def users(shared: tuple[TestClient, Users]) -> Users:
    return shared[1]


def letters(users: Users, body: dict[str, Any]) -> str:
    by_id = {user_id: letter for letter, user_id in users.items()}
    return "".join(by_id[user["id"]] for user in body["value"])


def filtered(any_client: TestClient, users: Users, text: str, **headers: str) -> str:
    body = odata_json(any_client.get(LIST, params={"$filter": text}, headers=headers))
    return "".join(sorted(letters(users, body)))


FILTERS = [
    # Enums: bare-quoted and namespace-qualified; eq ne in.
    ("riskLevel eq 'high'", "AEF"),
    ("riskLevel eq microsoft.graph.riskLevel'high'", "AEF"),
    ("riskLevel ne 'high'", "BCD"),
    ("riskLevel in ('medium', microsoft.graph.riskLevel'none')", "BCD"),
    ("riskState eq 'atRisk' and isDeleted eq false", "AB"),
    ("riskState eq 'atRisk' or riskState eq 'dismissed'", "ABDE"),
    ("riskDetail eq 'adminDismissedAllRiskForUser'", "D"),
    # Boolean structure: not, parentheses, precedence (and binds tighter than or).
    ("not (riskState eq 'atRisk')", "CDF"),
    ("riskLevel eq 'medium' or riskLevel eq 'high' and isDeleted eq true", "BE"),
    ("(riskLevel eq 'medium' or riskLevel eq 'high') and not (isDeleted eq true)", "ABF"),
    (
        "riskLevel eq 'high' and (riskState eq 'confirmedCompromised' or userDisplayName eq null)",
        "EF",
    ),
    # Booleans.
    ("isDeleted eq true", "E"),
    ("isDeleted ne true", "ABCDF"),
    ("isProcessing eq false", "ABCDEF"),
    # Strings: '' escapes a quote, case matters, null is a value of its own.
    ("userDisplayName eq 'O''Brien'", "C"),
    ("userDisplayName eq null", "E"),
    ("userDisplayName ne null", "ABCDF"),
    ("userDisplayName ne 'O''Brien'", "ABDEF"),
    ("userPrincipalName eq 'ADELE@contoso.com'", "F"),
    ("userPrincipalName eq 'adele@contoso.com'", ""),
    ("userDisplayName in ('Adele Vance', 'adele vance', 'nobody')", "AF"),
    # startswith: case-sensitive; % and _ are plain characters; null never starts with anything.
    ("startswith(userDisplayName,'Ad')", "A"),
    ("startswith(userPrincipalName,'a')", "AB"),
    ("not startswith(userPrincipalName,'a')", "CDEF"),
    ("startswith(userDisplayName,'100%_')", "D"),
    ("startswith(userDisplayName,'10_%')", ""),
    ("startswith(userDisplayName,'')", "ABCDF"),
    # DateTimeOffset: bare or quoted, any offset, 7 fractional digits; gt is strict.
    (f"riskLastUpdatedDateTime gt {T(3)}", "DEF"),
    (f"riskLastUpdatedDateTime ge {T(3)}", "CDEF"),
    (f"riskLastUpdatedDateTime lt '{T(1)}'", "A"),
    (f"riskLastUpdatedDateTime le {T(1)}", "AB"),
    ("riskLastUpdatedDateTime eq 2026-03-01T11:30:00.123456+01:00", "B"),
    ("riskLastUpdatedDateTime ne 2026-03-01T10:30:00.1234560Z", "ACDEF"),
    (
        "riskLastUpdatedDateTime ge 2026-03-01T12:30Z and "
        "riskLastUpdatedDateTime lt 2026-03-01T14:30Z",
        "CD",
    ),
    ("riskLastUpdatedDateTime eq null", ""),
]


@pytest.mark.parametrize(("text", "expected"), FILTERS)
def test_filter(any_client: TestClient, users: Users, text: str, expected: str) -> None:
    assert filtered(any_client, users, text) == expected


@pytest.mark.parametrize("form", ["{id}", "{ID}", "'{ID}'", "'{id}'"])
def test_ids_are_guids_in_any_case_quoted_or_bare(
    any_client: TestClient, users: Users, form: str
) -> None:
    literal = form.format(id=users["A"], ID=users["A"].upper())
    assert filtered(any_client, users, f"id eq {literal}") == "A"
    assert filtered(any_client, users, f"id in ({literal}, {users['B']})") == "AB"
    assert filtered(any_client, users, f"id ne {literal}") == "BCDEF"


def test_evolvable_members_are_seen_as_unknown_future_value_without_the_header(
    any_client: TestClient, users: Users
) -> None:
    assert filtered(any_client, users, "riskDetail eq 'unknownFutureValue'") == "C"
    assert filtered(any_client, users, "riskDetail ne 'unknownFutureValue'") == "ABDEF"
    bad_request(
        any_client.get(LIST, params={"$filter": "riskDetail eq 'adminConfirmedAccountSafe'"}),
        "Invalid filter clause: 'adminConfirmedAccountSafe' is an evolvable member of riskDetail;"
        " send the header 'Prefer: include-unknown-enum-members' to filter on it.",
    )


def test_evolvable_members_are_filterable_by_name_with_the_header(
    any_client: TestClient, users: Users
) -> None:
    by_name = filtered(any_client, users, "riskDetail eq 'adminConfirmedAccountSafe'", **ASK)
    sentinel = filtered(any_client, users, "riskDetail eq 'unknownFutureValue'", **ASK)

    assert (by_name, sentinel) == ("C", "")


@pytest.mark.parametrize(
    "query",
    [
        "$filter=riskLevel eq 'high'",
        "filter=riskLevel eq 'high'",
        "$FILTER=riskLevel+eq+'high'&",
        "$filter=riskLevel%20eq%20%27high%27",
        "Filter=riskLevel eq 'high'&top=5&",
    ],
)
def test_clients_spell_options_as_they_like(
    any_client: TestClient, users: Users, query: str
) -> None:
    body = odata_json(any_client.get(f"{LIST}?{query}"))

    assert "".join(sorted(letters(users, body))) == "AEF"


MEMBERS = "hidden, high, low, medium, none, unknownFutureValue"
DATE_ONLY = (
    "expected a value of type DateTimeOffset for 'riskLastUpdatedDateTime', found date "
    "2021-06-01 (a time and zone are needed: 2021-06-01T00:00:00Z) at column 28"
)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "riskLevel gt 'low'",
            "operator 'gt' is not supported on 'riskLevel' (supported: eq, in, ne) at column 11",
        ),
        ("riskLevl eq 'high'", "unknown property 'riskLevl' at column 1"),
        (
            "riskLevel eq 'High'",
            f"'High' is not a member of riskLevel (valid members: {MEMBERS}) at column 14",
        ),
        ("contains(userDisplayName,'a')", "function 'contains' is not supported at column 1"),
        ("riskLastUpdatedDateTime gt 2021-06-01", DATE_ONLY),
        (
            "history/any(h: h/riskLevel eq 'high')",
            "lambda operator 'any' is not supported at column 1",
        ),
        (
            "id eq 'not-a-guid'",
            "expected a value of type Guid for 'id', found string 'not-a-guid' at column 7",
        ),
    ],
)
def test_a_filter_outside_the_subset_is_a_bad_request_saying_what_and_where(
    any_client: TestClient, text: str, reason: str
) -> None:
    bad_request(any_client.get(LIST, params={"$filter": text}), f"Invalid filter clause: {reason}.")


# -- $select -------------------------------------------------------------------------------------


def test_select_names_the_fields_and_the_context(any_client: TestClient, users: Users) -> None:
    body = odata_json(
        any_client.get(LIST, params={"$select": "riskState,id", "$filter": f"id eq {users['C']}"})
    )

    assert body == {
        "@odata.context": f"{CONTEXT}(riskState,id)",
        "value": [{"id": users["C"], "riskState": "confirmedSafe"}],
    }


def test_select_on_an_entity(any_client: TestClient, users: Users) -> None:
    body = odata_json(any_client.get(f"{LIST}/{users['C']}", params={"$select": "riskDetail"}))
    asked = odata_json(any_client.get(f"{LIST}/{users['C']}?$select=riskDetail", headers=ASK))

    assert body == {
        "@odata.context": f"{CONTEXT}(riskDetail)/$entity",
        "riskDetail": "unknownFutureValue",
    }
    assert asked["riskDetail"] == "adminConfirmedAccountSafe"


def test_select_star_is_every_field(any_client: TestClient, users: Users) -> None:
    body = odata_json(any_client.get(LIST, params={"$select": "*", "$top": "1"}))

    assert body["@odata.context"] == f"{CONTEXT}(*)"
    assert len(body["value"][0]) == 9


def test_select_of_an_unknown_property_is_a_bad_request(any_client: TestClient) -> None:
    bad_request(
        any_client.get(LIST, params={"$select": "id,riskType"}),
        "Could not find a property named 'riskType' on type 'microsoft.graph.riskyUser'.",
    )


# -- $orderby ------------------------------------------------------------------------------------


def walk(any_client: TestClient, users: Users, params: dict[str, str]) -> str:
    """Every page, following nextLinks: the users' letters in the order listed."""
    body = odata_json(any_client.get(LIST, params=params))
    found = letters(users, body)
    while "@odata.nextLink" in body:
        body = odata_json(any_client.get(body["@odata.nextLink"]))
        found += letters(users, body)
    return found


def _by_id(users: Users, group: str) -> str:
    return "".join(sorted(group, key=lambda letter: users[letter]))


@pytest.mark.parametrize("top", ["2", "500"])
def test_orderby_each_sortable_property_both_ways(
    any_client: TestClient, users: Users, top: str
) -> None:
    def order(orderby: str) -> str:
        return walk(any_client, users, {"$orderby": orderby, "$top": top})

    assert order("riskLastUpdatedDateTime") == "ABCDEF"
    assert order("riskLastUpdatedDateTime desc") == "FEDCBA"
    # Nulls first ascending, last descending; strings by code point (upper case first).
    assert order("userPrincipalName asc") == "EFABCD"
    assert order("userPrincipalName desc") == "DCBAFE"
    assert order("userDisplayName") == "EDABCF"
    assert order("userDisplayName DESC") == "FCBADE"
    # riskLevel in Graph's enum order: low, medium, high, hidden, none; ties by id.
    levels = "B" + _by_id(users, "AEF") + _by_id(users, "CD")
    assert order("riskLevel") == levels
    assert order("riskLevel desc") == levels[::-1]


def test_orderby_with_filter_and_select(any_client: TestClient, users: Users) -> None:
    params = {
        "$filter": "riskLevel eq 'high'",
        "$orderby": "riskLastUpdatedDateTime desc",
        "$select": "id",
        "$top": "1",
    }
    assert walk(any_client, users, params) == "FEA"


# -- $count and /$count --------------------------------------------------------------------------


def test_count_true_adds_the_total_to_every_page(any_client: TestClient, users: Users) -> None:
    params = {"$filter": "riskLevel eq 'high' and riskState eq 'atRisk'", "$select": "id,riskState"}
    first = odata_json(any_client.get(LIST, params={**params, "$count": "true", "$top": "1"}))
    link = first.pop("@odata.nextLink")
    second = odata_json(any_client.get(link))

    assert link.startswith(
        f"{BASE}{LIST}?$filter=riskLevel+eq+%27high%27+and+riskState+eq+%27atRisk%27"
        "&$select=id%2criskState&$count=true&$top=1&$skiptoken="
    )
    first_id, second_id = sorted([users["A"], users["E"]])  # listed by id
    assert first == {
        "@odata.context": f"{CONTEXT}(id,riskState)",
        "@odata.count": 2,
        "value": [{"id": first_id, "riskState": "atRisk"}],
    }
    assert second == {
        "@odata.context": f"{CONTEXT}(id,riskState)",
        "@odata.count": 2,
        "value": [{"id": second_id, "riskState": "atRisk"}],
    }


def test_count_false_and_no_count_are_the_same(any_client: TestClient, users: Users) -> None:
    assert "@odata.count" not in odata_json(any_client.get(LIST, params={"$count": "FALSE"}))
    assert odata_json(any_client.get(LIST, params={"$count": "True"}))["@odata.count"] == 6


def test_the_count_segment_answers_a_plain_number(any_client: TestClient, users: Users) -> None:
    everyone = any_client.get(f"{LIST}/$count")
    high = any_client.get(f"{LIST}/$count", params={"$filter": "riskLevel eq 'high'"})

    assert (everyone.status_code, everyone.text) == (200, "6")
    assert everyone.headers["content-type"] == "text/plain;charset=utf-8"
    assert everyone.headers["content-type"] != ODATA_JSON
    assert high.text == "3"
    assert any_client.get("/beta/riskyUsers/$COUNT").text == "6"


@pytest.mark.parametrize("option", ["$top=1", "$select=id", "$orderby=riskLevel", "$count=true"])
def test_the_count_segment_takes_only_a_filter(any_client: TestClient, option: str) -> None:
    name = option.split("=")[0]
    bad_request(
        any_client.get(f"{LIST}/$count?{option}"),
        f"Query option '{name}' is not allowed with /$count.",
    )
