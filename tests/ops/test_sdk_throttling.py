"""The official SDK against `idprotect serve --throttle graph`: msgraph-core's retry handler
meets Graph's 429s (no Retry-After, as Graph sends for identity protection) and backs off; a
client listing 2,000 users gets every page, and the SOAR playbook completes, with every
assertion it makes without throttling.

Time is asserted only as a lower bound (what the limit implies), never as an upper one."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_http.middleware.options import RetryHandlerOption
from msgraph.generated.identity_protection.risky_users.risky_users_request_builder import (
    RiskyUsersRequestBuilder,
)

from idprotect.issuer.apps import unregistered_app
from idprotect.issuer.service import app_token
from idprotect.store.engine import Database, make_engine
from tests.compat.conftest import ADMIN_ROLE, Tenant, detection
from tests.compat.kinds import config
from tests.compat.loop import Loop
from tests.compat.sdk import credential, v1_client
from tests.system.server import ServerProcess

pytestmark = pytest.mark.slow
USERS = 2_000
# Pages small enough to be read faster than one a second (a page of 500 takes the SDK about
# two seconds to parse on a busy machine, under the limit by itself).
TOP = 100


@pytest.fixture
def throttled(tmp_path: Path) -> Iterator[Tenant]:
    """`serve --throttle graph --tls`, tokens verified; a new tenant with its admin door."""
    server = ServerProcess(
        f"sqlite:///{tmp_path / 'idprotect.db'}", tmp_path, "--throttle", "graph",
        auth="on", tls_dir=tmp_path / "tls",
    )  # fmt: skip
    database = Database(make_engine(server.db_url))
    tenant_id = str(uuid.uuid4())
    try:
        server.start(timeout=60)
        token = app_token(
            database, unregistered_app(tenant_id, "seeder"), now=datetime.now(UTC),
            lifetime=timedelta(hours=1), roles=frozenset({ADMIN_ROLE}),
        )  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"}
        verify = server.ssl_context()
        with httpx.Client(base_url=server.base_url, headers=headers, verify=verify) as admin:
            yield Tenant(server, tenant_id, admin)
    finally:
        database.dispose()
        server.stop()


def throttled_count(tenant: Tenant) -> int:
    metrics = tenant.admin.get("/metrics").text
    found = re.search(
        r'^idprotect_throttled_total\{bucket="identityProtection"\} (\S+)$', metrics, re.M
    )
    return int(float(found.group(1))) if found else 0


def test_an_sdk_client_lists_2000_users_through_graphs_throttling(
    throttled: Tenant, loop: Loop
) -> None:
    throttled.add_risk_detections(*(detection() for _ in range(USERS)))
    users = v1_client(throttled, credential(throttled, loop), loop).identity_protection.risky_users
    query = RiskyUsersRequestBuilder.RiskyUsersRequestBuilderGetQueryParameters(top=TOP)

    def retrying() -> RequestConfiguration[Any]:
        """msgraph-core's retry handler, its backoff without the 3 s base delay (the default
        adds it to every retry: the same behaviour, slower), up to 10 retries."""
        configuration: RequestConfiguration[Any] = config(query)
        configuration.options = [RetryHandlerOption(delay=0, max_retries=10)]
        return configuration

    async def every_page() -> list[list[str]]:
        page = await users.get(request_configuration=retrying())
        pages = [[u.id for u in page.value]]
        while page.odata_next_link:
            page = await users.with_url(page.odata_next_link).get(request_configuration=retrying())
            pages.append([u.id for u in page.value])
        return pages

    started = time.monotonic()
    pages = loop.run(every_page())
    elapsed = time.monotonic() - started

    ids = [pid for page in pages for pid in page]
    assert len(pages) == USERS // TOP
    assert len(ids) == len(set(ids)) == USERS
    assert throttled_count(throttled) > 0  # the SDK met 429s, and retried them
    assert elapsed >= len(pages) - 1  # one request a second: the limit's own lower bound


def test_the_playbook_completes_against_graphs_throttling(tmp_path: Path, loop: Loop) -> None:
    from tests.compat import test_playbook as playbook

    server = ServerProcess(
        f"sqlite:///{tmp_path / 'idprotect.db'}", tmp_path, "--demo", "--throttle", "graph",
        auth="on", tls_dir=tmp_path / "tls",
    )  # fmt: skip
    database = Database(make_engine(server.db_url))
    try:
        server.start(timeout=60)
        token = app_token(
            database, unregistered_app(playbook.DEMO_TENANT_ID, "playbook-admin"),
            now=datetime.now(UTC), lifetime=timedelta(hours=1), roles=frozenset({ADMIN_ROLE}),
        )  # fmt: skip
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(
            base_url=server.base_url, headers=headers, verify=server.ssl_context()
        ) as admin:
            demo = Tenant(server, playbook.DEMO_TENANT_ID, admin)
            # The same scenario and assertions as without throttling.
            playbook.test_playbook_against_the_demo_tenant(demo, loop, "sdk")
            assert throttled_count(demo) > 0
    finally:
        database.dispose()
        server.stop()
