"""Fixtures of the security suite: a service with token verification on, and two issuers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from idprotect.issuer.keys import SigningKey
from idprotect.issuer.service import signing_key
from idprotect.store.engine import Database
from tests.auth.issuers import KEY_ALGORITHMS, TestIssuer, new_key
from tests.conftest import FakeClock, make_client


@pytest.fixture(scope="session")
def key_pairs() -> dict[str, Any]:
    """One private key of each type of KEY_ALGORITHMS, by type; made once (RSA keys are slow)."""
    return {key_type: new_key(key_type) for key_type in KEY_ALGORITHMS}


@pytest.fixture
def test_issuer() -> Iterator[TestIssuer]:
    with TestIssuer() as issuer:
        yield issuer


def secure_client(database: Database, clock: FakeClock, issuer: TestIssuer) -> TestClient:
    """Tokens verified; trusts the built-in issuer, the test issuer's JWKS (Entra-shaped) and
    its discovery document (its own issuer). Key sets may reload on every unknown kid."""
    return make_client(
        database,
        clock,
        auth="on",
        trusted_jwks_urls=(issuer.jwks_url,),
        trusted_discovery_urls=(issuer.discovery_url,),
        key_refresh_seconds=0.0,
    )


@pytest.fixture
def any_secure(database: Database, clock: FakeClock, test_issuer: TestIssuer) -> TestClient:
    """A secure client that runs once on SQLite and once on PostgreSQL."""
    return secure_client(database, clock, test_issuer)


@pytest.fixture
def secure(any_secure: TestClient) -> TestClient:
    """The security suite runs on both databases too."""
    return any_secure


@pytest.fixture
def builtin_key(secure: TestClient) -> SigningKey:
    """The built-in issuer's signing key in the secure client's database."""
    database: Database = secure.app.state.database  # type: ignore[attr-defined]
    return signing_key(database, datetime.now(UTC))
