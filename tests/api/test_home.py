"""The front door: `/` says what this is, `/health` answers probes, `/docs` works offline."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from idprotect.app import create_app
from idprotect.settings import Settings
from tests.api.expect import graph_error

DEMO_TENANT = "4a3d2c1b-6f5e-4d7c-8b9a-0e1f2a3b4c5d"


def test_home_maps_the_service(any_client: TestClient) -> None:
    response = any_client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["service"] == "idprotect"
    assert body["auth"] == "off"
    assert body["demoTenant"] == DEMO_TENANT
    assert body["docs"] == "http://testserver/docs"
    assert body["openapi"] == "http://testserver/openapi.json"
    assert body["health"] == "http://testserver/health"
    v1 = "http://testserver/v1.0"
    assert body["graph"]["v1.0"] == [
        f"{v1}/identityProtection/riskyUsers",
        f"{v1}/identityProtection/riskDetections",
        f"{v1}/identityProtection/riskyServicePrincipals",
        f"{v1}/identityProtection/servicePrincipalRiskDetections",
        f"{v1}/auditLogs/signIns",
    ]
    beta = "http://testserver/beta/identityProtection"
    assert f"{beta}/riskyAgents" in body["graph"]["beta"]
    assert f"{beta}/agentRiskDetections" in body["graph"]["beta"]
    for links in body["graph"].values():  # every link it gives answers
        for link in links:
            assert any_client.get(link).status_code == 200, link


def test_health_answers_once_the_database_does(any_client: TestClient) -> None:
    response = any_client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_health_is_a_graph_503_with_retry_after_while_the_database_is_down() -> None:
    settings = Settings(database_url="postgresql+psycopg://postgres@127.0.0.1:9/none", auth="off")
    with TestClient(create_app(settings)) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    graph_error(response, 503, "ServiceUnavailable", "The service is busy. Retry the request.")


def test_swagger_ui_is_served_from_the_package(any_client: TestClient) -> None:
    page = any_client.get("/docs")
    assert page.status_code == 200
    assert "/openapi.json" in page.text
    assets = re.findall(r"""["'](/docs/assets/[^"']+)["']""", page.text)
    assert len(assets) == 3  # script, stylesheet, icon: nothing from another host
    assert "//cdn" not in page.text
    for asset in assets:
        answer = any_client.get(asset)
        assert answer.status_code == 200, asset
        assert len(answer.content) > 100
