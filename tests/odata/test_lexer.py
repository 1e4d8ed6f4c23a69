"""The `$filter` lexer, table-driven: tokens with kinds, values and 1-based columns."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from idprotect.errors import BadRequest
from idprotect.odata.lexer import Kind, Token, TokenValue, parse_datetime, tokenize

K = Kind


def _lex(text: str) -> list[tuple[Kind, TokenValue, int]]:
    return [(token.kind, token.value, token.column) for token in tokenize(text)]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        (
            "riskLevel eq 'high'",
            [
                (K.NAME, "riskLevel", 1),
                (K.KEYWORD, "eq", 11),
                (K.STRING, "high", 14),
                (K.END, None, 20),
            ],
        ),
        ("", [(K.END, None, 1)]),
        ("   ", [(K.END, None, 4)]),
        ("'O''Brien'", [(K.STRING, "O'Brien", 1), (K.END, None, 11)]),
        ("''''", [(K.STRING, "'", 1), (K.END, None, 5)]),
        ("''", [(K.STRING, "", 1), (K.END, None, 3)]),
        ("'a b'  'c'", [(K.STRING, "a b", 1), (K.STRING, "c", 8), (K.END, None, 11)]),
        ("location/countryOrRegion", [(K.NAME, "location/countryOrRegion", 1), (K.END, None, 25)]),
        (
            "EQ Ne gT And OR nOt IN",
            [
                (K.KEYWORD, "eq", 1),
                (K.KEYWORD, "ne", 4),
                (K.KEYWORD, "gt", 7),
                (K.KEYWORD, "and", 10),
                (K.KEYWORD, "or", 14),
                (K.KEYWORD, "not", 17),
                (K.KEYWORD, "in", 21),
                (K.END, None, 23),
            ],
        ),
        (
            "true FALSE null",
            [
                (K.BOOLEAN, True, 1),
                (K.BOOLEAN, False, 6),
                (K.NULL, None, 12),
                (K.END, None, 16),
            ],
        ),
        (
            "(a,b)",
            [
                (K.LPAREN, None, 1),
                (K.NAME, "a", 2),
                (K.COMMA, None, 3),
                (K.NAME, "b", 4),
                (K.RPAREN, None, 5),
                (K.END, None, 6),
            ],
        ),
        (
            "42 -1.5 2e10",
            [
                (K.NUMBER, "42", 1),
                (K.NUMBER, "-1.5", 4),
                (K.NUMBER, "2e10", 9),
                (K.END, None, 13),
            ],
        ),
        (
            "8A1B0000-0000-4000-8000-00000000000A",
            [(K.GUID, "8a1b0000-0000-4000-8000-00000000000a", 1), (K.END, None, 37)],
        ),
        (
            "2021-06-01T00:00:00Z",
            [(K.DATETIME, datetime(2021, 6, 1, tzinfo=UTC), 1), (K.END, None, 21)],
        ),
        (
            "2021-06-01T00:00:00.1234567+02:00",
            [
                (K.DATETIME, datetime(2021, 5, 31, 22, 0, 0, 123456, tzinfo=UTC), 1),
                (K.END, None, 34),
            ],
        ),
        ("2021-06-01", [(K.DATE, "2021-06-01", 1), (K.END, None, 11)]),
        (
            "microsoft.graph.riskLevel'high'",
            [(K.ENUM, "high", 1), (K.END, None, 32)],
        ),
        ("eq'high'", [(K.KEYWORD, "eq", 1), (K.STRING, "high", 3), (K.END, None, 9)]),
        (
            "microsoft.graph.riskLevel",
            [(K.NAME, "microsoft.graph.riskLevel", 1), (K.END, None, 26)],
        ),
        ("\tx\r\n", [(K.NAME, "x", 2), (K.END, None, 5)]),
    ],
)
def test_tokens(text: str, tokens: list[tuple[Kind, TokenValue, int]]) -> None:
    assert _lex(text) == tokens


def test_enum_literal_keeps_its_qualifier_and_raw_text() -> None:
    token = tokenize("microsoft.graph.riskState'atRisk'")[0]
    assert (token.qualifier, token.value, token.text) == (
        "microsoft.graph.riskState",
        "atRisk",
        "microsoft.graph.riskState'atRisk'",
    )


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("riskLevel", "name 'riskLevel'"),
        ("AND", "keyword 'AND'"),
        ("'x'", "string 'x'"),
        ("7", "number 7"),
        ("null", "null"),
        ("True", "boolean True"),
        (")", "')'"),
        ("", "end of filter"),
    ],
)
def test_tokens_describe_themselves_for_error_messages(text: str, description: str) -> None:
    assert tokenize(text)[0].describe() == description


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("'abc", "Invalid filter clause: unterminated string at column 1."),
        ("x eq 'it''s", "Invalid filter clause: unterminated string at column 6."),
        ("x && y", "Invalid filter clause: unexpected character '&' at column 3."),
        ("$filter", "Invalid filter clause: unexpected character '$' at column 1."),
        ("x eq [1]", "Invalid filter clause: unexpected character '[' at column 6."),
        ('x eq "a"', "Invalid filter clause: unexpected character '\"' at column 6."),
        ("é", "Invalid filter clause: unexpected character 'é' at column 1."),
        (
            "2021-13-01T00:00:00Z",
            "Invalid filter clause: invalid datetime 2021-13-01T00:00:00Z "
            "(month must be in 1..12) at column 1.",
        ),
        (
            "2021-06-01T00:00:00",
            "Invalid filter clause: invalid datetime 2021-06-01T00:00:00 "
            "(a time zone is required, e.g. Z) at column 1.",
        ),
        (
            "microsoft.graph.riskLevel'high",
            "Invalid filter clause: unterminated string at column 26.",
        ),
    ],
)
def test_lexical_errors_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(BadRequest) as raised:
        tokenize(text)
    assert raised.value.message == message


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2021-06-01T00:00:00Z", datetime(2021, 6, 1, tzinfo=UTC)),
        ("2021-06-01T10:30Z", datetime(2021, 6, 1, 10, 30, tzinfo=UTC)),
        ("2020-11-03T21:48:53.4298425Z", datetime(2020, 11, 3, 21, 48, 53, 429842, tzinfo=UTC)),
        ("2021-06-01T00:00:00.5Z", datetime(2021, 6, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        ("2021-06-01T00:00:00-05:30", datetime(2021, 6, 1, 5, 30, tzinfo=UTC)),
        ("2021-06-01t00:00:00z", datetime(2021, 6, 1, tzinfo=UTC)),
        ("9999-12-31T23:59:59.9999999Z", datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_datetimes_become_aware_utc_truncated_to_microseconds(text: str, moment: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == moment
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2021-06-01", "expected yyyy-mm-ddThh:mm"),
        ("2021-06-01T00:00:00.12345678Z", "at most 7 fractional digits"),
        ("2021-06-01T00:00:00+24:00", "offset out of range"),
        ("2021-06-01T00:00:00+01:60", "offset out of range"),
        ("2021-02-29T00:00:00Z", "day is out of range for month"),
        ("2021-06-01T24:00:00Z", "hour must be in 0..23"),
        ("0000-01-01T00:00:00Z", "year 0 is out of range"),
        ("0001-01-01T00:00:00+01:00", "out of range"),
    ],
)
def test_impossible_datetimes_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_datetime(text)


def test_the_end_token_has_no_text_and_stands_after_the_last_character() -> None:
    assert tokenize("x  ")[-1] == Token(Kind.END, "", 4)
    assert tokenize("")[-1] == Token(Kind.END, "", 1)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2021-06-01", "expected yyyy-mm-ddThh:mm[:ss[.fffffff]] and Z or an offset"),
        ("2021-06-01T00:00:00+24:00", "offset out of range"),
        ("2021-06-01T00:00:00-23:60", "offset out of range"),
        ("2021-06-01T00:00:00", "a time zone is required, e.g. Z"),
        ("2021-06-01T00:00:00." + "1" * 4000 + "Z", "at most 7 fractional digits"),
    ],
)
def test_datetime_refusals_say_exactly_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        parse_datetime(text)


def test_strings_with_doubled_quotes_end_at_their_own_closing_quote() -> None:
    assert _lex("'a''b' eq 'c'''") == [
        (K.STRING, "a'b", 1),
        (K.KEYWORD, "eq", 8),
        (K.STRING, "c'", 11),
        (K.END, None, 16),
    ]
