"""A server whose tokens are verified, a public client and users with passwords."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from idprotect.auth.roles import SECURITY_ADMINISTRATOR, SECURITY_READER
from idprotect.domain.clock import utc_now
from idprotect.issuer.sign_in import register_public_app, set_password
from idprotect.store.engine import Database
from tests.conftest import FakeClock, make_client

TENANT = "4a3d2c1b-6f5e-4d7c-8b9a-0e1f2a3b4c5d"
CLIENT_ID = "7b0f8e77-2d1c-4f39-9a6e-1c3b5d7f9a0b"
REDIRECT = "http://localhost:8400/callback"
ADMIN, READER, PASSWORD = "admin@contoso.com", "reader@contoso.com", "correct horse battery"


@pytest.fixture
def signed(sqlite_database: Database, clock: FakeClock) -> Iterator[TestClient]:
    """An app with `--auth on`, a public client, an administrator and a reader."""
    register_public_app(
        sqlite_database, tenant_id=TENANT, display_name="Script", client_id=CLIENT_ID,
        redirect_uris=("http://localhost", REDIRECT),
    )  # fmt: skip
    for name, role in ((ADMIN, SECURITY_ADMINISTRATOR), (READER, SECURITY_READER)):
        set_password(
            sqlite_database, tenant_id=TENANT, user_principal_name=name, password=PASSWORD,
            directory_roles=frozenset({role}), now=utc_now(),
        )  # fmt: skip
    with make_client(sqlite_database, clock, auth="on") as client:
        yield client
