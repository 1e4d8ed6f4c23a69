"""Key sources: loading, the bounded refresh rate, stale keys, issuer rules, JWKS files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idprotect.auth.keysets import (
    KeySource,
    discovery_source,
    entra_issuer_accepted,
    jwks_file_source,
    jwks_url_source,
    parse_jwks,
    verification_algorithms,
)
from tests.auth.issuers import KIDLESS_ENTRIES, ec_key, public_jwk, rsa_key, unusable_entries

TID = "a0a0a0a0-0000-4000-8000-00000000000a"
UNUSABLE_KIDS = list(unusable_entries(rsa_key()))


class Ticker:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counting_source(
    keys: dict[str, jwt.PyJWK], ticker: Ticker, **kw: float
) -> tuple[KeySource, list[int]]:
    loads: list[int] = []

    def load() -> tuple[dict[str, jwt.PyJWK], str | None]:
        loads.append(1)
        return dict(keys), None

    return KeySource("test", load, monotonic=ticker, **kw), loads


def test_an_unknown_kid_reloads_at_most_once_per_interval() -> None:
    ticker = Ticker()
    source, loads = counting_source({}, ticker, min_refresh_seconds=30)
    for _ in range(5):
        assert source.key("missing") is None
    assert len(loads) == 1
    ticker.now += 31
    source.key("missing")
    assert len(loads) == 2


def test_a_new_key_is_found_after_the_interval() -> None:
    ticker = Ticker()
    keys: dict[str, jwt.PyJWK] = {}
    source, _ = counting_source(keys, ticker, min_refresh_seconds=10)
    assert source.key("k2") is None
    keys["k2"] = jwt.PyJWK(public_jwk(rsa_key(), "k2"))
    ticker.now += 11
    assert source.key("k2") is not None


def test_keys_older_than_their_max_age_are_reloaded() -> None:
    ticker = Ticker()
    keys = {"k1": jwt.PyJWK(public_jwk(rsa_key(), "k1"))}
    source, loads = counting_source(keys, ticker, min_refresh_seconds=1, max_age_seconds=30)
    source.key("k1")
    source.key("k1")
    assert len(loads) == 1
    del keys["k1"]
    ticker.now += 31
    assert source.key("k1") is None  # a key retired at the issuer stops verifying


def test_an_unreachable_issuer_keeps_its_last_keys() -> None:
    ticker = Ticker()
    calls = []
    key = jwt.PyJWK(public_jwk(rsa_key(), "k1"))

    def load() -> tuple[dict[str, jwt.PyJWK], str | None]:
        calls.append(1)
        if len(calls) > 1:
            raise OSError("unreachable")
        return {"k1": key}, None

    source = KeySource("flaky", load, min_refresh_seconds=0, monotonic=ticker)
    assert source.key("k1") is key
    assert source.key("other") is None
    assert source.key("k1") is key


def test_entra_issuers_are_bound_to_the_tokens_tenant() -> None:
    assert entra_issuer_accepted(f"https://sts.windows.net/{TID}/", TID)
    assert entra_issuer_accepted(f"https://login.microsoftonline.com/{TID}/v2.0", TID)
    assert not entra_issuer_accepted(f"https://sts.windows.net/{TID}/", "another")
    assert not entra_issuer_accepted("https://sts.windows.net/common/", TID)


def test_jwks_parsing_skips_unusable_entries() -> None:
    good = public_jwk(rsa_key(), "good")
    document = {"keys": [good, {"kty": "RSA"}, {**good, "kid": "enc", "use": "enc"}, "junk"]}
    assert list(parse_jwks(document)) == ["good"]


def test_a_jwks_file_is_a_key_source(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [public_jwk(rsa_key(), "file-key")]}))
    source = jwks_file_source(path, min_refresh_seconds=0)
    assert source.key("file-key") is not None
    assert source.accepts_issuer(f"https://sts.windows.net/{TID}/", TID)


@pytest.fixture(scope="module")
def unusable() -> dict[str, Any]:
    return unusable_entries(rsa_key())


def test_every_unusable_entry_is_skipped_and_the_rest_of_the_set_stays(
    unusable: dict[str, Any],
) -> None:
    good = public_jwk(rsa_key(), "good")
    ec_good = public_jwk(ec_key(), "ec-good", "ES256")
    entries = [*unusable.values(), good, *KIDLESS_ENTRIES, {**good, "kid": 7}, ec_good]
    assert sorted(parse_jwks({"keys": entries})) == ["ec-good", "good"]


@pytest.mark.parametrize("kid", UNUSABLE_KIDS)
def test_an_unusable_entry_alone_gives_no_key(unusable: dict[str, Any], kid: str) -> None:
    assert parse_jwks({"keys": [unusable[kid]]}) == {}


@pytest.mark.parametrize(
    ("key", "algorithms"),
    [
        (lambda: rsa_key(), ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")),
        (lambda: ec_key(ec.SECP256R1()), ("ES256",)),
        (lambda: ec_key(ec.SECP384R1()), ("ES384",)),
        (lambda: ec_key(ec.SECP521R1()), ("ES512",)),
    ],
)
def test_each_key_type_verifies_its_own_algorithms(
    key: Callable[[], Any], algorithms: tuple[str, ...]
) -> None:
    jwk = public_jwk(key(), "k")
    del jwk["alg"]
    assert verification_algorithms(jwt.PyJWK(jwk)) == algorithms


@pytest.mark.parametrize(
    "document", ['{"keys": 5}', '{"keys": "abc"}', "[1, 2]", '"keys"', "not json", ""]
)
def test_a_key_set_file_that_is_not_a_key_set_gives_no_key(tmp_path: Path, document: str) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(document)
    assert jwks_file_source(path, min_refresh_seconds=0).key("any") is None


def test_each_source_is_named_after_where_its_keys_come_from(tmp_path: Path) -> None:
    def fetch(url: str) -> dict[str, Any]:
        return {"keys": []}

    url = "https://issuer.example/keys"
    assert jwks_url_source(url, fetch, min_refresh_seconds=0).name == f"jwks {url}"
    path = tmp_path / "jwks.json"
    assert jwks_file_source(path, min_refresh_seconds=0).name == f"jwks file {path}"
    assert discovery_source(url, fetch, min_refresh_seconds=0).name == f"discovery {url}"


def test_a_jwks_file_is_read_again_at_most_once_per_interval(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": []}))
    source = jwks_file_source(path, min_refresh_seconds=3600)
    assert source.key("new") is None
    path.write_text(json.dumps({"keys": [public_jwk(rsa_key(), "new")]}))
    assert source.key("new") is None  # not read again so soon
