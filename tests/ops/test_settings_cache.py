"""A tenant's throttle and fault settings, as each process keeps them (ops/guard.py): a change
through /_admin is forgotten once it is committed, never before; a request that read the
settings while the change was being committed uses what it read, and does not keep it."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.responses import Response

from idprotect.api.routing import Operation, Runs
from idprotect.errors import ServiceUnavailable
from idprotect.ops.guard import Guard, MemoryCounters
from idprotect.ops.throttle import NAMED
from idprotect.store import ops_state
from idprotect.store.engine import Database
from tests.conftest import FakeClock, make_client
from tests.factories import TENANT

ADMIN = f"/_admin/tenants/{TENANT}"
PLAN = '{"seed":1,"rules":[{"failNext":1,"failStatus":503}]}'


def test_the_guard_forgets_a_change_once_it_is_committed(
    sqlite_database: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What another request would read when the guard forgets: the change, committed."""
    client = make_client(sqlite_database, clock)
    guard: Guard = client.app._guard  # type: ignore[attr-defined]
    seen: list[tuple[str | None, str | None]] = []
    forget = guard.forget

    def forgetting(tenant_id: str) -> None:
        with sqlite_database.unit_of_work() as store:
            seen.append(ops_state.tenant_documents(store.connection, tenant_id))
        forget(tenant_id)

    monkeypatch.setattr(guard, "forget", forgetting)
    assert client.put(f"{ADMIN}/faults", json={"seed": 1, "rules": [{"failNext": 1}]}).is_success
    assert client.put(f"{ADMIN}/throttle", json={"profile": "graph"}).is_success
    assert client.delete(f"{ADMIN}/faults").is_success

    assert [(throttle is not None, faults is not None) for throttle, faults in seen] == [
        (False, True),
        (True, True),
        (True, False),
    ]


def _answer(call: Any) -> Response:
    return Response()


def test_settings_read_while_a_change_is_committed_are_not_kept() -> None:
    """A request that read the old settings before the change's commit, and got them after
    the change was forgotten, uses them; the next request reads again and meets the change."""
    stored: list[tuple[str | None, str | None]] = [(None, None)]
    first_read, release = asyncio.Event(), asyncio.Event()

    async def read(tenant_id: str) -> tuple[str | None, str | None]:
        documents = stored[0]
        if not first_read.is_set():
            first_read.set()
            await release.wait()
        return documents

    guard = Guard(server_profile=NAMED["off"], counters=MemoryCounters(), read_documents=read)
    call = SimpleNamespace(principal=SimpleNamespace(tenant_id=TENANT, app_id=None))
    call.scope = {"state": {}}  # type: ignore[attr-defined]
    operation = Operation("GET", "/v1.0/identityProtection/riskyUsers", _answer, Runs.READ)

    async def scenario() -> None:
        reading = asyncio.create_task(guard.admit(call, operation))  # type: ignore[arg-type]
        await first_read.wait()
        stored[0] = (None, PLAN)  # the change is committed,
        guard.forget(TENANT)  # then forgotten
        release.set()
        await reading  # read before the change: no fault
        with pytest.raises(ServiceUnavailable):
            await guard.admit(call, operation)  # type: ignore[arg-type]

    asyncio.run(scenario())
