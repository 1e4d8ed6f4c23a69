"""Query options, table-driven: what parses, and the 400 for everything else."""

from __future__ import annotations

import pytest

from idprotect.errors import BadRequest
from idprotect.odata.options import parse_query_options
from idprotect.odata.skiptoken import decode_skiptoken, encode_skiptoken


@pytest.mark.parametrize(
    ("query", "top", "skiptoken"),
    [
        ("", None, None),
        ("$top=5", 5, None),
        ("top=5", 5, None),
        ("$TOP=500", 500, None),
        ("$top=1&", 1, None),
        ("$top=3&$skiptoken=abc", 3, "abc"),
        ("$top=3&foo=bar", 3, None),
    ],
)
def test_supported_options_parse(query: str, top: int | None, skiptoken: str | None) -> None:
    options = parse_query_options(query, collection=True)
    assert (options.top, options.skiptoken) == (top, skiptoken)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("$top=0", "Invalid value '0' for query option '$top'"),
        ("$top=501", "Invalid value '501' for query option '$top'"),
        ("$top=-1", "Invalid value '-1' for query option '$top'"),
        ("$top=ten", "Invalid value 'ten' for query option '$top'"),
        ("$top=", "Invalid value '' for query option '$top'"),
        ("$top=1&$top=2", "Query option '$top' was specified more than once."),
        ("$filter=riskLevel eq 'high'", "Query option '$filter' is not supported."),
        ("select=id", "Query option '$select' is not supported."),
        ("$skip=10", "Query option '$skip' is not supported."),
    ],
)
def test_refused_options_say_why(query: str, message: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_query_options(query, collection=True)
    assert raised.value.message.startswith(message)


def test_entities_take_no_paging_options() -> None:
    with pytest.raises(BadRequest, match="not allowed on a single entity"):
        parse_query_options("$top=5", collection=False)


def test_next_link_options_keep_the_odata_options_but_the_skiptoken() -> None:
    options = parse_query_options("top=5&$skiptoken=x&custom=a+b", collection=True)
    assert options.original == (("top", "5"),)


@pytest.mark.parametrize("position", [("a",), (1,), ("2026-03-01T00:00:00+00:00", "ff")])
def test_skiptoken_round_trips(position: tuple[str | int, ...]) -> None:
    assert decode_skiptoken(encode_skiptoken(position, scope="t1"), scope="t1") == position


@pytest.mark.parametrize("token", ["", "!!!", "bm90IGpzb24", "W10", "eyJhIjoxfQ", "W3RydWVd"])
def test_tokens_this_service_did_not_write_are_refused(token: str) -> None:
    with pytest.raises(BadRequest, match=r"\$skiptoken is not valid"):
        decode_skiptoken(token, scope="t1")


def test_a_token_of_one_tenant_is_refused_for_another() -> None:
    token = encode_skiptoken(("user-1",), scope="tenant-a")
    with pytest.raises(BadRequest, match=r"\$skiptoken is not valid"):
        decode_skiptoken(token, scope="tenant-b")
