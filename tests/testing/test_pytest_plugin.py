"""The pytest plugin's fixtures (loaded through the `pytest11` entry point)."""

from __future__ import annotations

import httpx
import pytest
import requests

from idprotect.testing import MockGraph
from tests.testing import integration

OTHER_TENANT = "33333333-4444-4555-8666-777777777777"


def test_idprotect_graph_and_token(idprotect_graph: MockGraph, idprotect_token: str):
    user_id = idprotect_graph.add_risky_user()

    users = integration.risky_users_with_requests(idprotect_token)

    assert [u["id"] for u in users] == [user_id]


def test_each_test_starts_empty(idprotect_token: str):
    assert integration.risky_users_with_httpx(idprotect_token) == []


def test_idprotect_url(idprotect_graph: MockGraph, idprotect_url: str, idprotect_token: str):
    user_id = idprotect_graph.add_risky_user()

    response = requests.get(
        f"{idprotect_url}/v1.0/identityProtection/riskyUsers/{user_id}",
        headers={"Authorization": f"Bearer {idprotect_token}"},
        timeout=10,
    )

    assert response.json()["id"] == user_id


@pytest.mark.idprotect(tenant_id=OTHER_TENANT)
def test_the_marker_sets_options(idprotect_graph: MockGraph, idprotect_token: str):
    app = idprotect_graph.register_app()
    response = httpx.get(
        f"{integration.GRAPH}/v1.0/identityProtection/riskyUsers",
        headers={"Authorization": f"Bearer {idprotect_token}"},
    )

    assert idprotect_graph.tenant_id == app.tenant_id == OTHER_TENANT
    assert response.status_code == 200
