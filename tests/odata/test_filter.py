"""The `$filter` parser, table-driven: filter text -> printed tree, or -> the exact 400 message."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from idprotect.domain.predicates import And, Comparison, In, Not, Operator, Or, StartsWith
from idprotect.errors import BadRequest
from idprotect.odata.filter import evaluate, parse_filter, print_tree, unparse
from idprotect.odata.schema import Boolean, DateTimeOffset, Enum, Guid, Property, Schema, String
from idprotect.odata.tree import format_literal

RISK_LEVEL = Enum(
    "riskLevel", frozenset({"low", "medium", "high", "hidden", "none", "unknownFutureValue"})
)
RISK_STATE = Enum(
    "riskState",
    frozenset(
        {"none", "confirmedSafe", "remediated", "dismissed", "atRisk", "confirmedCompromised"}
        | {"unknownFutureValue"}
    ),
)
RISK_DETAIL = Enum(
    "riskDetail",
    frozenset(
        [
            "none",
            "adminGeneratedTemporaryPassword",
            "userPerformedSecuredPasswordChange",
            "userPerformedSecuredPasswordReset",
            "adminConfirmedSigninSafe",
            "aiConfirmedSigninSafe",
            "userPassedMFADrivenByRiskBasedPolicy",
            "adminDismissedAllRiskForUser",
            "adminConfirmedSigninCompromised",
            "hidden",
            "adminConfirmedUserCompromised",
            "unknownFutureValue",
            "m365DAdminDismissedDetection",
            "adminConfirmedServicePrincipalCompromised",
            "adminDismissedAllRiskForServicePrincipal",
            "userChangedPasswordOnPremises",
            "adminDismissedRiskForSignIn",
            "adminConfirmedAccountSafe",
            "microsoftRevokedSessions",
        ]
    ),
)
ACTIVITY = Enum(
    "activityType", frozenset({"signin", "user", "unknownFutureValue", "servicePrincipal"})
)
TIMING = Enum(
    "riskDetectionTimingType",
    frozenset({"notDefined", "realtime", "nearRealtime", "offline", "unknownFutureValue"}),
)
TOKEN_ISSUER = Enum(
    "tokenIssuerType",
    frozenset(
        {"AzureAD", "ADFederationServices", "UnknownFutureValue", "AzureADBackupAuth"}
        | {"ADFederationServicesMFAAdapter", "NPSExtension"}
    ),
)

RISKY_USERS = Schema(
    {
        "id": Guid(),
        "isDeleted": Boolean(),
        "isProcessing": Boolean(),
        "riskDetail": RISK_DETAIL,
        "riskLastUpdatedDateTime": DateTimeOffset(),
        "riskLevel": RISK_LEVEL,
        "riskState": RISK_STATE,
        "userDisplayName": String(),
        "userPrincipalName": String(),
    }
)
RISK_DETECTIONS = Schema(
    {
        "id": String(),
        "activity": ACTIVITY,
        "activityDateTime": DateTimeOffset(),
        "correlationId": String(),
        "detectedDateTime": DateTimeOffset(),
        "detectionTimingType": TIMING,
        "ipAddress": String(),
        "lastUpdatedDateTime": DateTimeOffset(),
        "location/city": String(),
        "location/state": String(),
        "location/countryOrRegion": String(),
        "requestId": String(),
        "riskDetail": RISK_DETAIL,
        "riskEventType": String(),
        "riskLevel": RISK_LEVEL,
        "riskState": RISK_STATE,
        "source": String(),
        "tokenIssuerType": TOKEN_ISSUER,
        "userDisplayName": String(),
        "userId": String(),
        "userPrincipalName": String(),
    }
)
SCHEMAS = {"users": RISKY_USERS, "detections": RISK_DETECTIONS}

GUID = "8a1b0000-0000-4000-8000-00000000000a"
HIGH = "(eq riskLevel 'high')"
AT_RISK = "(eq riskState 'atRisk')"

ACCEPTED = [
    # What real clients send (Graph docs, PowerShell, Graph Explorer).
    ("users", "riskLevel eq 'high' and riskState eq 'atRisk'", f"(and {HIGH} {AT_RISK})"),
    (
        "users",
        "riskLastUpdatedDateTime gt 2021-06-01T00:00:00Z",
        "(gt riskLastUpdatedDateTime 2021-06-01T00:00:00Z)",
    ),
    ("users", "riskLevel eq microsoft.graph.riskLevel'medium'", "(eq riskLevel 'medium')"),
    ("users", "startswith(userPrincipalName,'adele')", "(startswith userPrincipalName 'adele')"),
    ("users", "userDisplayName eq 'O''Brien'", "(eq userDisplayName 'O''Brien')"),
    ("users", "not (isDeleted eq true)", "(not (eq isDeleted true))"),
    (
        "users",
        "riskState eq 'atRisk' and isDeleted eq false",
        f"(and {AT_RISK} (eq isDeleted false))",
    ),
    ("users", "isProcessing ne true", "(ne isProcessing true)"),
    (
        "detections",
        "riskEventType in ('unlikelyTravel','anonymizedIPAddress')",
        "(in riskEventType 'unlikelyTravel' 'anonymizedIPAddress')",
    ),
    ("detections", "location/countryOrRegion eq 'US'", "(eq location/countryOrRegion 'US')"),
    (
        "detections",
        "riskEventType eq 'unlikelyTravel' or riskEventType eq 'anonymizedIPAddress'",
        "(or (eq riskEventType 'unlikelyTravel') (eq riskEventType 'anonymizedIPAddress'))",
    ),
    (
        "detections",
        "activityDateTime ge 2021-06-01T00:00:00Z and activityDateTime lt 2021-07-01T00:00:00Z",
        "(and (ge activityDateTime 2021-06-01T00:00:00Z) (lt activityDateTime "
        "2021-07-01T00:00:00Z))",
    ),
    (
        "detections",
        "detectedDateTime gt 2020-11-03T21:48:53.4298425Z",
        "(gt detectedDateTime 2020-11-03T21:48:53.429842Z)",
    ),
    ("detections", f"userId eq '{GUID}'", f"(eq userId '{GUID}')"),
    ("detections", "tokenIssuerType eq 'AzureAD'", "(eq tokenIssuerType 'AzureAD')"),
    ("detections", "activity eq microsoft.graph.activityType'signin'", "(eq activity 'signin')"),
    # Keyword case and odd spacing.
    ("users", "riskLevel EQ 'high' And riskState Eq 'atRisk'", f"(and {HIGH} {AT_RISK})"),
    ("users", "  riskLevel   eq\t'high'  ", HIGH),
    ("users", "riskLevel eq'high'and(riskState eq'atRisk')", f"(and {HIGH} {AT_RISK})"),
    ("users", "isDeleted eq TRUE", "(eq isDeleted true)"),
    (
        "users",
        "NOT startswith(userPrincipalName,'admin')",
        "(not (startswith userPrincipalName 'admin'))",
    ),
    ("users", "StartsWith( userDisplayName , 'Ad' )", "(startswith userDisplayName 'Ad')"),
    (
        "users",
        "riskLevel eq 'high' OR riskLevel eq 'medium'",
        f"(or {HIGH} (eq riskLevel 'medium'))",
    ),
    # Precedence, grouping and flattening.
    (
        "users",
        "riskLevel eq 'high' or riskLevel eq 'low' and isDeleted eq false",
        f"(or {HIGH} (and (eq riskLevel 'low') (eq isDeleted false)))",
    ),
    (
        "users",
        "(riskLevel eq 'high' or riskLevel eq 'low') and isDeleted eq false",
        f"(and (or {HIGH} (eq riskLevel 'low')) (eq isDeleted false))",
    ),
    (
        "users",
        "riskLevel eq 'high' and riskState eq 'atRisk' and isDeleted eq false",
        f"(and {HIGH} {AT_RISK} (eq isDeleted false))",
    ),
    (
        "users",
        "(riskLevel eq 'high' and riskState eq 'atRisk') and isDeleted eq false",
        f"(and {HIGH} {AT_RISK} (eq isDeleted false))",
    ),
    (
        "users",
        "riskLevel eq 'high' or (riskLevel eq 'low' or riskLevel eq 'none')",
        f"(or {HIGH} (eq riskLevel 'low') (eq riskLevel 'none'))",
    ),
    ("users", "((riskLevel eq 'high'))", HIGH),
    ("users", "not not (isDeleted eq true)", "(not (not (eq isDeleted true)))"),
    (
        "users",
        "not (riskLevel eq 'high') and isDeleted eq false",
        f"(and (not {HIGH}) (eq isDeleted false))",
    ),
    (
        "users",
        "not (riskLevel eq 'high' or isDeleted eq true)",
        f"(not (or {HIGH} (eq isDeleted true)))",
    ),
    # Literals of every type.
    ("users", "riskLevel in ('high','medium')", "(in riskLevel 'high' 'medium')"),
    (
        "users",
        "riskLevel in (microsoft.graph.riskLevel'high', 'low')",
        "(in riskLevel 'high' 'low')",
    ),
    (
        "users",
        "riskDetail eq 'adminConfirmedAccountSafe'",
        "(eq riskDetail 'adminConfirmedAccountSafe')",
    ),
    ("users", "riskDetail ne null", "(ne riskDetail null)"),
    ("users", "riskLastUpdatedDateTime eq null", "(eq riskLastUpdatedDateTime null)"),
    (
        "users",
        "riskLastUpdatedDateTime ge 2021-06-01T00:00:00.1234567+02:00",
        "(ge riskLastUpdatedDateTime 2021-05-31T22:00:00.123456Z)",
    ),
    (
        "users",
        "riskLastUpdatedDateTime le 2021-06-01T00:00:00-05:00",
        "(le riskLastUpdatedDateTime 2021-06-01T05:00:00Z)",
    ),
    (
        "users",
        "riskLastUpdatedDateTime lt '2021-06-01T00:00:00Z'",
        "(lt riskLastUpdatedDateTime 2021-06-01T00:00:00Z)",
    ),
    (
        "users",
        "riskLastUpdatedDateTime lt 2021-06-01T10:30Z",
        "(lt riskLastUpdatedDateTime 2021-06-01T10:30:00Z)",
    ),
    (
        "users",
        "riskLastUpdatedDateTime ne 2021-06-01t00:00:00z",
        "(ne riskLastUpdatedDateTime 2021-06-01T00:00:00Z)",
    ),
    ("users", "id eq 8A1B0000-0000-4000-8000-00000000000A", f"(eq id '{GUID}')"),
    ("users", "id eq '8A1B0000-0000-4000-8000-00000000000A'", f"(eq id '{GUID}')"),
    (
        "users",
        f"id in ({GUID}, '{GUID.replace('a', 'b')}')",
        f"(in id '{GUID}' '{GUID.replace('a', 'b')}')",
    ),
    ("users", "userDisplayName eq ''", "(eq userDisplayName '')"),
    ("users", "userDisplayName eq 'Adèle Vance'", "(eq userDisplayName 'Adèle Vance')"),
    (
        "users",
        "userPrincipalName eq 'ADELE@Contoso.com'",
        "(eq userPrincipalName 'ADELE@Contoso.com')",
    ),
    (
        "users",
        "userDisplayName eq 'riskLevel eq ''high'' and (x)'",
        "(eq userDisplayName 'riskLevel eq ''high'' and (x)')",
    ),
    (
        "users",
        "userDisplayName eq '2021-06-01T00:00:00Z'",
        "(eq userDisplayName '2021-06-01T00:00:00Z')",
    ),
    ("detections", "riskEventType eq 'somethingNew'", "(eq riskEventType 'somethingNew')"),
    ("detections", "riskEventType in ('generic')", "(in riskEventType 'generic')"),
    ("detections", "location/city eq null", "(eq location/city null)"),
    ("detections", "startswith(ipAddress,'203.0.')", "(startswith ipAddress '203.0.')"),
    (
        "detections",
        "lastUpdatedDateTime gt 2021-06-01T00:00:00Z and (riskLevel eq 'high' or riskLevel eq "
        "'medium')",
        f"(and (gt lastUpdatedDateTime 2021-06-01T00:00:00Z) (or {HIGH} (eq riskLevel 'medium')))",
    ),
]


@pytest.mark.parametrize(("schema", "text", "tree"), ACCEPTED)
def test_accepted_filters_parse_to_their_tree(schema: str, text: str, tree: str) -> None:
    assert print_tree(parse_filter(text, SCHEMAS[schema])) == tree


@pytest.mark.parametrize(("schema", "text", "tree"), ACCEPTED)
def test_accepted_filters_unparse_to_text_that_parses_the_same(
    schema: str, text: str, tree: str
) -> None:
    node = parse_filter(text, SCHEMAS[schema])
    assert parse_filter(unparse(node), SCHEMAS[schema]) == node


DEEP = "(" * 51 + "isDeleted eq true" + ")" * 51
MEMBERS = "hidden, high, low, medium, none, unknownFutureValue"

REFUSED = [
    ("users", "riskLevl eq 'high'", "unknown property 'riskLevl' at column 1"),
    ("users", "RiskLevel eq 'high'", "unknown property 'RiskLevel' at column 1"),
    ("detections", "location eq 'US'", "unknown property 'location' at column 1"),
    ("detections", "location/country eq 'US'", "unknown property 'location/country' at column 1"),
    (
        "users",
        "isDeleted gt true",
        "operator 'gt' is not supported on 'isDeleted' (supported: eq, ne) at column 11",
    ),
    (
        "users",
        "riskLevel ge 'low'",
        "operator 'ge' is not supported on 'riskLevel' (supported: eq, in, ne) at column 11",
    ),
    (
        "users",
        "isDeleted in (true)",
        "operator 'in' is not supported on 'isDeleted' (supported: eq, ne) at column 11",
    ),
    (
        "users",
        "startswith(riskLevel,'h')",
        "function 'startswith' is not supported on 'riskLevel' (riskLevel) at column 1",
    ),
    (
        "users",
        "startswith(id,'8a')",
        "function 'startswith' is not supported on 'id' (Guid) at column 1",
    ),
    (
        "users",
        "riskLastUpdatedDateTime gt 'yesterday'",
        "expected a value of type DateTimeOffset for 'riskLastUpdatedDateTime', found string "
        "'yesterday' at column 28",
    ),
    (
        "users",
        "riskLastUpdatedDateTime gt 2021-06-01",
        "expected a value of type DateTimeOffset for 'riskLastUpdatedDateTime', found date "
        "2021-06-01 (a time and zone are needed: 2021-06-01T00:00:00Z) at column 28",
    ),
    (
        "users",
        "riskLastUpdatedDateTime gt 2021-06-01T00:00:00",
        "invalid datetime 2021-06-01T00:00:00 (a time zone is required, e.g. Z) at column 28",
    ),
    (
        "users",
        "riskLastUpdatedDateTime gt 2021-02-30T00:00:00Z",
        "invalid datetime 2021-02-30T00:00:00Z (day is out of range for month) at column 28",
    ),
    (
        "users",
        "riskLastUpdatedDateTime gt 2021-06-01T00:00:00.12345678Z",
        "invalid datetime 2021-06-01T00:00:00.12345678Z (at most 7 fractional digits) at column 28",
    ),
    ("users", "riskLastUpdatedDateTime gt null", "null cannot be used with 'gt' at column 28"),
    (
        "users",
        "userDisplayName eq 2021-06-01T00:00:00Z",
        "expected a value of type String for 'userDisplayName', found datetime "
        "2021-06-01T00:00:00Z at column 20",
    ),
    (
        "users",
        f"userDisplayName eq {GUID}",
        f"expected a value of type String for 'userDisplayName', found guid {GUID} at column 20",
    ),
    (
        "users",
        "isDeleted eq 'true'",
        "expected a value of type Boolean for 'isDeleted', found string 'true' at column 14",
    ),
    (
        "users",
        "isDeleted eq 1",
        "expected a value of type Boolean for 'isDeleted', found number 1 at column 14",
    ),
    (
        "users",
        "riskLevel eq 2",
        "expected a value of type riskLevel for 'riskLevel', found number 2 at column 14",
    ),
    (
        "users",
        "id eq 'not-a-guid'",
        "expected a value of type Guid for 'id', found string 'not-a-guid' at column 7",
    ),
    (
        "users",
        "riskLevel eq 'urgent'",
        f"'urgent' is not a member of riskLevel (valid members: {MEMBERS}) at column 14",
    ),
    (
        "users",
        "riskLevel eq 'High'",
        f"'High' is not a member of riskLevel (valid members: {MEMBERS}) at column 14",
    ),
    (
        "users",
        "riskLevel in ('high', 'severe')",
        f"'severe' is not a member of riskLevel (valid members: {MEMBERS}) at column 23",
    ),
    (
        "users",
        "riskLevel eq microsoft.graph.riskLevel'urgent'",
        f"'urgent' is not a member of riskLevel (valid members: {MEMBERS}) at column 14",
    ),
    (
        "users",
        "riskLevel eq microsoft.graph.riskState'atRisk'",
        "expected a value of type riskLevel for 'riskLevel', found enum "
        "microsoft.graph.riskState'atRisk' (expected microsoft.graph.riskLevel) at column 14",
    ),
    (
        "users",
        "userDisplayName eq microsoft.graph.riskLevel'high'",
        "expected a value of type String for 'userDisplayName', found enum "
        "microsoft.graph.riskLevel'high' at column 20",
    ),
    ("users", "contains(userDisplayName,'a')", "function 'contains' is not supported at column 1"),
    (
        "users",
        "endswith(userPrincipalName,'@contoso.com')",
        "function 'endswith' is not supported at column 1",
    ),
    (
        "users",
        "history/any(h: h/riskLevel eq 'high')",
        "lambda operator 'any' is not supported at column 1",
    ),
    ("users", "riskLevel eq 'high' foo", "unexpected name 'foo' at column 21"),
    ("users", "userDisplayName eq 'O'Brien'", "unexpected name 'Brien' at column 23"),
    (
        "users",
        "riskLevel eq 'high' and and isDeleted eq false",
        "unexpected keyword 'and' at column 25",
    ),
    ("users", "riskLevel eq 'high' && isDeleted eq false", "unexpected character '&' at column 21"),
    ("users", "startswith(userPrincipalName,'a') eq true", "unexpected keyword 'eq' at column 35"),
    ("users", "(riskLevel eq 'high'", "missing ')' for the '(' at column 1"),
    ("users", "riskLevel eq 'high')", "unexpected ')' at column 20"),
    (
        "users",
        "(riskLevel eq 'high' isDeleted eq true)",
        "expected ')', found name 'isDeleted' at column 22",
    ),
    ("users", "riskLevel eq", "expected a literal, found end of filter at column 13"),
    ("users", "riskLevel eq 'high' and", "unexpected end of filter at column 24"),
    (
        "users",
        "riskLevel 'high'",
        "expected an operator after 'riskLevel', found string 'high' at column 11",
    ),
    (
        "users",
        "isDeleted",
        "expected an operator after 'isDeleted', found end of filter at column 10",
    ),
    (
        "users",
        "not isDeleted eq true",
        "'not' must be followed by '(' or a function, e.g. not (isDeleted eq true) at column 5",
    ),
    (
        "users",
        "riskLevel eq riskState",
        "expected a literal, found name 'riskState' (properties compare to literals) at column 14",
    ),
    ("users", "'high' eq riskLevel", "expected a property name, found string 'high' at column 1"),
    ("users", "riskLevel in ('high', null)", "null cannot be used with 'in' at column 23"),
    ("users", "riskLevel in ()", "expected a literal, found ')' at column 15"),
    ("users", "riskLevel in 'high'", "expected '(' after 'in', found string 'high' at column 14"),
    (
        "detections",
        "riskEventType in ('unlikelyTravel',)",
        "expected a literal, found ')' at column 36",
    ),
    ("users", "startswith(userPrincipalName)", "expected ',', found ')' at column 29"),
    (
        "users",
        "startswith(userPrincipalName, null)",
        "null cannot be used with 'startswith' at column 31",
    ),
    ("users", "userDisplayName eq 'abc", "unterminated string at column 20"),
    ("users", "$filter=riskLevel eq 'high'", "unexpected character '$' at column 1"),
    ("users", "riskLevel eq @level", "unexpected character '@' at column 14"),
    ("users", "", "the filter is empty"),
    ("users", " \t ", "the filter is empty"),
    ("users", "()", "unexpected ')' at column 2"),
    ("users", DEEP, "nesting deeper than 50 levels at column 51"),
    ("users", "not " * 60 + "(isDeleted eq true)", "nesting deeper than 50 levels at column 201"),
    ("users", "x" * 4001, "the filter is longer than 4000 characters"),
]


@pytest.mark.parametrize(("schema", "text", "reason"), REFUSED)
def test_refused_filters_say_what_and_where(schema: str, text: str, reason: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_filter(text, SCHEMAS[schema])
    assert raised.value.message == f"Invalid filter clause: {reason}."
    assert raised.value.code == "BadRequest"


@pytest.mark.parametrize("depth", [1000, 1990])
def test_pathological_nesting_is_a_bad_request_not_a_recursion_error(depth: int) -> None:
    for text in ("(" * depth, "not " * (depth // 2) + "(isDeleted eq true)"):
        with pytest.raises(BadRequest, match="nesting deeper than 50 levels"):
            parse_filter(text, RISKY_USERS)


def test_nesting_of_fifty_is_allowed() -> None:
    text = "(" * 50 + "isDeleted eq true" + ")" * 50
    assert print_tree(parse_filter(text, RISKY_USERS)) == "(eq isDeleted true)"


def test_a_filter_of_exactly_the_maximum_length_is_allowed() -> None:
    text = "userDisplayName eq '" + "a" * 3979 + "'"
    assert len(text) == 4000
    assert parse_filter(text, RISKY_USERS) == Comparison("userDisplayName", Operator.EQ, "a" * 3979)


def test_the_tree_holds_converted_typed_literals() -> None:
    node = parse_filter(
        "riskLastUpdatedDateTime gt 2021-06-01T00:00:00.1234567+02:00 and "
        "isDeleted eq false and id in (8A1B0000-0000-4000-8000-00000000000A)",
        RISKY_USERS,
    )
    assert node == And(
        (
            Comparison(
                "riskLastUpdatedDateTime",
                Operator.GT,
                datetime(2021, 5, 31, 22, 0, 0, 123456, tzinfo=UTC),
            ),
            Comparison("isDeleted", Operator.EQ, False),
            In("id", (GUID,)),
        )
    )


def test_the_schema_decides_which_operators_a_property_allows() -> None:
    schema = Schema(
        {
            "riskLevel": Property.of(RISK_LEVEL, [Operator.EQ]),
            "userDisplayName": Property.of(String(), [*Operator]),
        }
    )
    assert print_tree(parse_filter("userDisplayName ge 'M'", schema)) == "(ge userDisplayName 'M')"
    with pytest.raises(BadRequest, match=r"operator 'ne' is not supported .*\(supported: eq\)"):
        parse_filter("riskLevel ne 'high'", schema)


@pytest.mark.parametrize(
    ("kind", "operator"),
    [
        (Boolean(), Operator.GT),
        (RISK_LEVEL, Operator.LT),
        (Guid(), Operator.STARTSWITH),
        (DateTimeOffset(), Operator.STARTSWITH),
    ],
)
def test_schemas_refuse_operators_a_type_cannot_support(
    kind: Boolean | Enum | Guid | DateTimeOffset, operator: Operator
) -> None:
    with pytest.raises(ValueError, match=f"operators {operator} cannot apply to a {kind.name}"):
        Property.of(kind, [operator])


def test_schemas_refuse_malformed_paths() -> None:
    with pytest.raises(ValueError, match="not a property path"):
        Schema({"location//city": String()})


def test_enums_need_members() -> None:
    with pytest.raises(ValueError, match="declares no members"):
        Enum("riskLevel", frozenset())


ACTIVITY_EVOLVABLE = Enum(
    "activityType",
    frozenset({"signin", "user", "unknownFutureValue", "servicePrincipal"}),
    evolvable=frozenset({"servicePrincipal"}),
)


def test_an_enum_holds_its_members_as_frozen_sets_whatever_it_was_given() -> None:
    members: Any = {"signin", "user", "unknownFutureValue", "servicePrincipal"}
    evolvable: Any = ["servicePrincipal"]
    kind = Enum("activityType", members, evolvable=evolvable)

    assert type(kind.members) is frozenset
    assert type(kind.evolvable) is frozenset
    assert kind == Enum(
        "activityType",
        frozenset({"signin", "user", "unknownFutureValue", "servicePrincipal"}),
        evolvable=frozenset({"servicePrincipal"}),
    )
    assert hash(kind) == hash(ACTIVITY_EVOLVABLE)
    assert (kind.name, kind.qualified_name, kind.sentinel) == (
        "activityType",
        "microsoft.graph.activityType",
        "unknownFutureValue",
    )


@pytest.mark.parametrize(
    ("members", "evolvable", "sentinel"),
    [
        ({"a", "unknownFutureValue"}, {"b"}, "unknownFutureValue"),
        ({"a", "b"}, {"b"}, "unknownFutureValue"),
        ({"a", "b", "UnknownFutureValue"}, {"b"}, "unknownFutureValue"),
        ({"a", "b", "unknownFutureValue"}, {"a", "c"}, "unknownFutureValue"),
    ],
)
def test_evolvable_members_and_their_sentinel_must_be_members(
    members: set[str], evolvable: set[str], sentinel: str
) -> None:
    with pytest.raises(ValueError, match=r"^evolvable members of kind must be members$"):
        Enum("kind", frozenset(members), evolvable=frozenset(evolvable), sentinel=sentinel)


def test_an_enum_without_evolvable_members_needs_no_sentinel_among_them() -> None:
    kind = Enum("kind", frozenset({"a"}), sentinel="absent")
    assert (kind.evolvable, kind.sentinel) == (frozenset(), "absent")
    assert Enum("kind", frozenset({"a", "b", "UnknownFutureValue"}), frozenset({"b"}),
                "UnknownFutureValue").evolvable == {"b"}  # fmt: skip


# -- evaluation: the reference semantics, nulls included ------------------------------------

JUNE = datetime(2021, 6, 1, tzinfo=UTC)
USER: Mapping[str, object] = {
    "riskLevel": "high",
    "riskState": "atRisk",
    "riskDetail": None,
    "riskLastUpdatedDateTime": JUNE,
    "userDisplayName": "Adele Vance",
    "userPrincipalName": None,
    "isDeleted": False,
}

EVALUATED = [
    ("riskLevel eq 'high' and riskState eq 'atRisk'", True),
    ("riskLevel eq 'low' or isDeleted eq false", True),
    ("riskLevel in ('low', 'medium')", False),
    ("riskLevel in ('low', 'high')", True),
    ("riskLevel ne 'high'", False),
    ("riskDetail eq null", True),
    ("riskDetail ne null", False),
    ("riskDetail eq 'hidden'", False),
    ("riskDetail ne 'hidden'", True),
    ("riskDetail in ('hidden', 'none')", False),
    ("not (riskDetail eq 'hidden')", True),
    ("riskLevel eq null", False),
    ("riskLevel ne null", True),
    ("id eq null", True),
    ("id ne 8a1b0000-0000-4000-8000-00000000000a", True),
    ("riskLastUpdatedDateTime gt 2021-06-01T00:00:00Z", False),
    ("riskLastUpdatedDateTime ge 2021-06-01T00:00:00Z", True),
    ("riskLastUpdatedDateTime lt 2021-06-01T02:00:00+02:00", False),
    ("riskLastUpdatedDateTime le 2021-06-01T02:00:00+02:00", True),
    ("riskLastUpdatedDateTime eq '2021-06-01T00:00:00Z'", True),
    ("startswith(userDisplayName,'Adele')", True),
    ("startswith(userDisplayName,'adele')", False),
    ("startswith(userDisplayName,'')", True),
    ("startswith(userPrincipalName,'')", False),
    ("not startswith(userPrincipalName,'a')", True),
    ("userDisplayName eq 'adele vance'", False),
    ("userPrincipalName eq null and not (userDisplayName eq null)", True),
]


@pytest.mark.parametrize(("text", "matches"), EVALUATED)
def test_evaluation_follows_odata_null_semantics(text: str, matches: bool) -> None:
    assert evaluate(parse_filter(text, RISKY_USERS), USER) is matches


def test_ordering_on_a_null_value_is_false_both_ways_and_its_negation_true() -> None:
    record = {"riskLastUpdatedDateTime": None}
    gt = Comparison("riskLastUpdatedDateTime", Operator.GT, JUNE)
    le = Comparison("riskLastUpdatedDateTime", Operator.LE, JUNE)
    assert (evaluate(gt, record), evaluate(le, record), evaluate(Not(gt), record)) == (
        False,
        False,
        True,
    )


def test_strings_order_by_code_point() -> None:
    node = Or((StartsWith("userDisplayName", "Z"), Comparison("userDisplayName", Operator.GT, "a")))
    assert evaluate(node, {"userDisplayName": "b"}) is True
    assert evaluate(node, {"userDisplayName": "B"}) is False


# -- numbers and other literals a client may make as long as the filter allows ----------------

DIGITS = "9" * 3900  # with its property, still under 4,000 characters; never converted to int
FRACTION = "1" * 3900

LONG_LITERALS = [
    ("isDeleted eq " + DIGITS, f"expected a value of type Boolean for 'isDeleted', found number "
     f"{DIGITS} at column 14"),
    ("userDisplayName eq -" + DIGITS, "expected a value of type String for 'userDisplayName', "
     f"found number -{DIGITS} at column 20"),
    ("riskLevel eq 1." + FRACTION, "expected a value of type riskLevel for 'riskLevel', found "
     f"number 1.{FRACTION} at column 14"),
    ("riskLevel eq 1e" + DIGITS, "expected a value of type riskLevel for 'riskLevel', found "
     f"number 1e{DIGITS} at column 14"),
    ("riskLevel in (-1.5E-" + DIGITS + ")", "expected a value of type riskLevel for 'riskLevel', "
     f"found number -1.5E-{DIGITS} at column 15"),
    ("riskLastUpdatedDateTime gt " + DIGITS, "expected a value of type DateTimeOffset for "
     f"'riskLastUpdatedDateTime', found number {DIGITS} at column 28"),
    ("riskLastUpdatedDateTime gt 10000-01-01T00:00:00Z", "expected a value of type "
     "DateTimeOffset for 'riskLastUpdatedDateTime', found number 10000 at column 28"),
    ("riskLastUpdatedDateTime gt '10000-01-01T00:00:00Z'", "expected a value of type "
     "DateTimeOffset for 'riskLastUpdatedDateTime', found string '10000-01-01T00:00:00Z' at "
     "column 28"),
    (f"riskLastUpdatedDateTime gt 2021-06-01T00:00:00.{FRACTION}Z", "invalid datetime "
     f"2021-06-01T00:00:00.{FRACTION}Z (at most 7 fractional digits) at column 28"),
    (f"riskLastUpdatedDateTime gt '2021-06-01T00:00:00.{FRACTION}Z'", "expected a value of type "
     f"DateTimeOffset for 'riskLastUpdatedDateTime', found string '2021-06-01T00:00:00.{FRACTION}"
     "Z' at column 28"),
    (f"riskLastUpdatedDateTime gt 2021-06-01T00:00:00+{DIGITS}:00", "invalid datetime "
     "2021-06-01T00:00:00 (a time zone is required, e.g. Z) at column 28"),
    ("riskLastUpdatedDateTime gt 0001-01-01T00:00:00+00:01", "invalid datetime "
     "0001-01-01T00:00:00+00:01 (date value out of range) at column 28"),
    ("riskLastUpdatedDateTime gt 9999-12-31T23:59:59.9999999-00:01", "invalid datetime "
     "9999-12-31T23:59:59.9999999-00:01 (date value out of range) at column 28"),
    (f"id eq {GUID}{'0' * 3900}", "expected a value of type Guid for 'id', found number 8 at "
     "column 7"),
    (f"id eq '{GUID}{'0' * 3900}'", "expected a value of type Guid for 'id', found string "
     f"'{GUID}{'0' * 3900}' at column 7"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "reason"), LONG_LITERALS)
def test_long_numbers_and_out_of_range_literals_are_bad_requests(text: str, reason: str) -> None:
    assert len(text) <= 4000
    with pytest.raises(BadRequest) as raised:
        parse_filter(text, RISKY_USERS)
    assert raised.value.message == f"Invalid filter clause: {reason}."


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        (
            "riskLastUpdatedDateTime gt 0001-01-01T00:00:00Z",
            "(gt riskLastUpdatedDateTime 0001-01-01T00:00:00Z)",
        ),
        (
            "riskLastUpdatedDateTime lt 9999-12-31T23:59:59.9999999Z",
            "(lt riskLastUpdatedDateTime 9999-12-31T23:59:59.999999Z)",
        ),
        (
            "riskLastUpdatedDateTime ge 0001-01-01T05:00:00+05:00",
            "(ge riskLastUpdatedDateTime 0001-01-01T00:00:00Z)",
        ),
    ],
)
def test_the_first_and_last_representable_moments_are_literals(text: str, tree: str) -> None:
    assert print_tree(parse_filter(text, RISKY_USERS)) == tree


# -- nesting is counted per filter and per branch --------------------------------------------

AT_LIMIT = "(" * 50 + "isDeleted eq true" + ")" * 50


@pytest.mark.parametrize(
    "text",
    [
        "not " * 49 + "(isDeleted eq true)",
        "not (" * 25 + "isDeleted eq true" + ")" * 25,
        "not (" * 25 + "startswith(userDisplayName,'a')" + ")" * 25,
        "(" * 49 + "not startswith(userDisplayName,'a')" + ")" * 49,
    ],
)
def test_nesting_of_exactly_fifty_is_allowed_whatever_nests(text: str) -> None:
    assert parse_filter(text, RISKY_USERS) is not None


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("not " * 50 + "(isDeleted eq true)", 201),
        ("not (" * 25 + "not (isDeleted eq true)" + ")" * 25, 126),
        ("(" * 50 + "not startswith(userDisplayName,'a')" + ")" * 50, 51),
        ("(" * 50 + "(isDeleted eq true) or (isDeleted eq false)" + ")" * 50, 51),
    ],
)
def test_nesting_of_fifty_one_is_refused_where_it_starts(text: str, column: int) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_filter(text, RISKY_USERS)
    assert raised.value.message == (
        f"Invalid filter clause: nesting deeper than 50 levels at column {column}."
    )


@pytest.mark.parametrize(
    "text",
    [
        " and ".join([AT_LIMIT] * 3),
        " or ".join(["not (isDeleted eq true)"] * 60),
        " and ".join(["(isDeleted eq true)"] * 60),
        "(" * 49 + " or ".join(["(isDeleted eq true)"] * 60) + ")" * 49,
        "(" * 48 + " and ".join(["not (isDeleted eq true)"] * 60) + ")" * 48,
    ],
)
def test_siblings_do_not_add_up_to_nesting(text: str) -> None:
    assert parse_filter(text, RISKY_USERS) is not None


def test_each_filter_counts_its_own_nesting() -> None:
    with pytest.raises(BadRequest, match="nesting deeper than 50 levels"):
        parse_filter(DEEP, RISKY_USERS)
    for _ in range(3):
        assert print_tree(parse_filter(AT_LIMIT, RISKY_USERS)) == "(eq isDeleted true)"
    with pytest.raises(BadRequest, match="nesting deeper than 50 levels"):
        parse_filter("not " * 60 + "(isDeleted eq true)", RISKY_USERS)
    assert parse_filter("not " * 49 + "(isDeleted eq true)", RISKY_USERS) is not None


# -- function names: startswith in any case, never under a namespace or a path ---------------

FUNCTIONS = [
    ("STARTSWITH (userDisplayName,'a')", None),
    ("sTaRtSwItH(userDisplayName,'a')", None),
    ("microsoft.graph.startswith(userDisplayName,'a')",
     "function 'microsoft.graph.startswith' is not supported at column 1"),
    ("not microsoft.graph.startswith(userDisplayName,'a')",
     "function 'microsoft.graph.startswith' is not supported at column 5"),
    ("odata.startswith(userDisplayName,'a')",
     "function 'odata.startswith' is not supported at column 1"),
    ("location/startswith(location/city,'a')",
     "function 'location/startswith' is not supported at column 1"),
    ("microsoft.graph.contains(userDisplayName,'a')",
     "function 'microsoft.graph.contains' is not supported at column 1"),
    ("any(userDisplayName,'a')", "function 'any' is not supported at column 1"),
    ("ANY(userDisplayName,'a')", "function 'ANY' is not supported at column 1"),
    ("history/ALL(h: h/riskLevel eq 'high')", "lambda operator 'ALL' is not supported at column 1"),
    ("a/b/any(x: x eq 1)", "lambda operator 'any' is not supported at column 1"),
    ("microsoft.graph.any(x)", "function 'microsoft.graph.any' is not supported at column 1"),
    ("history/startswith(x)", "function 'history/startswith' is not supported at column 1"),
    ("startswith", "unknown property 'startswith' at column 1"),
    ("startswith(", "expected a property name, found end of filter at column 12"),
    ("startswith(userDisplayName,'a','b')", "expected ')', found ',' at column 31"),
    ("startswith('a',userDisplayName)", "expected a property name, found string 'a' at column 12"),
    ("startswith(microsoft.graph.userDisplayName,'a')",
     "unknown property 'microsoft.graph.userDisplayName' at column 12"),
    ("startswith(userDisplayName,2)",
     "expected a value of type String for 'userDisplayName', found number 2 at column 28"),
    ("startswith(userDisplayName,microsoft.graph.riskLevel'high')",
     "expected a value of type String for 'userDisplayName', found enum "
     "microsoft.graph.riskLevel'high' at column 28"),
    ("microsoft.graph.riskLevel eq 'high'",
     "unknown property 'microsoft.graph.riskLevel' at column 1"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "reason"), FUNCTIONS)
def test_function_names(text: str, reason: str | None) -> None:
    if reason is None:
        assert parse_filter(text, RISKY_USERS) == StartsWith("userDisplayName", "a")
        return
    with pytest.raises(BadRequest) as raised:
        parse_filter(text, RISKY_USERS)
    assert raised.value.message == f"Invalid filter clause: {reason}."


# -- how trees print, and what each parsing step says when it stops ---------------------------


def test_unparse_writes_keywords_in_lower_case_and_groups_only_what_needs_it() -> None:
    text = (
        "riskLevel EQ 'high' AND (isDeleted eq false OR not (startswith(userDisplayName,'A'))) "
        "and riskState in ('atRisk', 'dismissed') and riskLastUpdatedDateTime gt "
        "2021-06-01T00:00:00.5+02:00"
    )
    assert unparse(parse_filter(text, RISKY_USERS)) == (
        "riskLevel eq 'high' and (isDeleted eq false or not (startswith(userDisplayName,'A'))) "
        "and riskState in ('atRisk','dismissed') and riskLastUpdatedDateTime gt "
        "2021-05-31T22:00:00.5Z"
    )


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2021, 6, 1, 0, 0, 0, 500000, tzinfo=UTC), "2021-06-01T00:00:00.5Z"),
        (datetime(2021, 6, 1, 0, 0, 0, 50000, tzinfo=UTC), "2021-06-01T00:00:00.05Z"),
        (datetime(2021, 6, 1, 0, 0, 0, 1, tzinfo=UTC), "2021-06-01T00:00:00.000001Z"),
        (datetime(2021, 6, 1, 2, 0, tzinfo=timezone(timedelta(hours=2))), "2021-06-01T00:00:00Z"),
        (datetime(2021, 6, 1, 0, 0, tzinfo=timezone(timedelta(hours=-5))), "2021-06-01T05:00:00Z"),
    ],
)
def test_datetime_literals_print_in_utc_with_the_fraction_they_need(
    moment: datetime, text: str
) -> None:
    assert format_literal(moment) == text


@pytest.mark.parametrize(
    "before",
    ["(isDeleted eq true) and ", "not (isDeleted eq true) or ", "not not (isDeleted eq true) and "],
)
def test_after_side_by_side_groups_nesting_counts_from_where_it_is(before: str) -> None:
    assert parse_filter(before + AT_LIMIT, RISKY_USERS) is not None
    with pytest.raises(BadRequest, match="nesting deeper than 50 levels"):
        parse_filter(before + DEEP, RISKY_USERS)


def test_startswith_needs_the_property_to_allow_it() -> None:
    schema = Schema({"userDisplayName": Property.of(String(), [Operator.EQ])})
    with pytest.raises(BadRequest) as raised:
        parse_filter("startswith(userDisplayName,'a')", schema)
    assert raised.value.message == (
        "Invalid filter clause: function 'startswith' is not supported on 'userDisplayName' "
        "(String) at column 1."
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("riskLevel in (null)", "null cannot be used with 'in' at column 15"),
        ("riskLevel in ('high', 2)", "expected a value of type riskLevel for 'riskLevel', found "
         "number 2 at column 23"),
        ("riskLevel in ('high' 'low')", "expected ',' or ')', found string 'low' at column 22"),
        ("riskLevel in ('high',", "expected a literal, found end of filter at column 22"),
        ("riskLevel 'eq' 'high'", "expected an operator after 'riskLevel', found string 'eq' at "
         "column 11"),
        ("riskLevel riskState 'high'", "expected an operator after 'riskLevel', found name "
         "'riskState' at column 11"),
    ],
)  # fmt: skip
def test_lists_and_operators_say_what_they_expected(text: str, reason: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_filter(text, RISKY_USERS)
    assert raised.value.message == f"Invalid filter clause: {reason}."


def test_a_type_alone_allows_its_default_operators() -> None:
    assert Property.of(String()) == Property(String(), String.default)
    assert Property.of(RISK_LEVEL).operators == {Operator.EQ, Operator.NE, Operator.IN}
    schema = Schema({"a": Boolean(), "b/c": Property.of(String(), [Operator.GT])})
    assert dict(schema) == {
        "a": Property(Boolean(), frozenset({Operator.EQ, Operator.NE})),
        "b/c": Property(String(), frozenset({Operator.GT})),
    }


def test_every_unsuitable_operator_is_named() -> None:
    with pytest.raises(ValueError, match=r"^operators gt, lt cannot apply to a Boolean property$"):
        Property.of(Boolean(), [Operator.LT, Operator.GT, Operator.EQ])


def test_datetime_literals_print_the_same_whatever_the_hosts_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moment = datetime(2021, 6, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        assert format_literal(moment) == "2021-06-01T00:00:00Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_an_enum_may_hold_nothing_but_its_sentinel_and_evolvable_members() -> None:
    kind = Enum("kind", frozenset({"unknownFutureValue", "b"}), evolvable=frozenset({"b"}))
    assert kind.members == kind.evolvable | {kind.sentinel}
