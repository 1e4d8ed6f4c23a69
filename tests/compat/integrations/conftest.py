"""Where the integrations run: under mock_graph(), under the pytest plugin's fixture, and against
`idprotect serve --tls` (the compatibility server) with their cloud settings pointed at it.

Each environment seeds a tenant and registers apps the same way, so one test body, with the
same assertions, runs in all three.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from idprotect.issuer.apps import unregistered_app
from idprotect.issuer.client_assertion import load_certificate, new_certificate, thumbprints
from idprotect.issuer.service import app_token, register_certificate_app
from idprotect.store.engine import Database
from idprotect.testing import MockGraph, mock_graph
from tests.compat.conftest import READ_WRITE, Tenant
from tests.compat.integrations.cloud import PUBLIC_CLOUD, Cloud
from tests.factories import detection


@dataclass(frozen=True)
class CertificateApp:
    client_id: str
    key_pem: str
    certificate_pem: str
    path: str  # key and certificate in one PEM file

    @property
    def thumbprint(self) -> str:
        return thumbprints(load_certificate(self.certificate_pem)).sha1_hex


class Environment(Protocol):
    tenant_id: str
    cloud: Cloud
    # Environment variables of a pipeline that points its job at this cloud.
    environ: dict[str, str]

    def register_app(self) -> tuple[str, str]: ...
    def register_certificate_app(self) -> CertificateApp: ...
    def add_risky_users(self, count: int, **fields: Any) -> list[str]: ...
    def risky_user(self, user_id: str) -> dict[str, Any]: ...


def _write(directory: Path, key_pem: str, certificate_pem: str) -> str:
    path = directory / f"{uuid.uuid4()}.pem"
    path.write_text(key_pem + certificate_pem)
    return str(path)


class InProcess:
    """mock_graph: Microsoft's hosts, routed to idprotect in this process."""

    cloud = PUBLIC_CLOUD
    environ: dict[str, str] = {}  # noqa: RUF012 - read only

    def __init__(self, graph: MockGraph, directory: Path) -> None:
        self.graph, self.tenant_id, self._directory = graph, graph.tenant_id, directory

    def register_app(self) -> tuple[str, str]:
        app = self.graph.register_app()
        return app.client_id, app.client_secret

    def register_certificate_app(self) -> CertificateApp:
        app = self.graph.register_certificate_app()
        path = _write(self._directory, app.private_key_pem, app.certificate_pem)
        return CertificateApp(app.client_id, app.private_key_pem, app.certificate_pem, path)

    def add_risky_users(self, count: int, **fields: Any) -> list[str]:
        created = self.graph.add_risk_detections(
            *(detection(**{"riskLevel": "high", **fields}) for _ in range(count))
        )
        return [d["userId"] for d in created]

    def risky_user(self, user_id: str) -> dict[str, Any]:
        url = f"https://graph.microsoft.com/v1.0/identityProtection/riskyUsers/{user_id}"
        response = httpx.get(url, headers={"Authorization": f"Bearer {self.graph.token()}"})
        user: dict[str, Any] = response.raise_for_status().json()
        return user


class Served:
    """`idprotect serve --tls`: the integrations' cloud settings name it and trust its CA."""

    def __init__(self, tenant: Tenant, database: Database, directory: Path) -> None:
        self._tenant, self._database, self._directory = tenant, database, directory
        self.tenant_id = tenant.tenant_id
        base, ca = tenant.server.base_url, str(tenant.server.ca_certfile)
        self.cloud = Cloud(
            authority_host=base.removeprefix("https://"), graph_url=base, ca_bundle=ca
        )
        self.environ = {"AZURE_AUTHORITY_HOST": base, "GRAPH_URL": base,
                        "SSL_CERT_FILE": ca, "REQUESTS_CA_BUNDLE": ca}  # fmt: skip

    def register_app(self) -> tuple[str, str]:
        return self._tenant.register_app()

    def register_certificate_app(self) -> CertificateApp:
        key_pem, certificate_pem = new_certificate("compat", datetime.now(UTC))
        app = register_certificate_app(
            self._database, tenant_id=self.tenant_id, display_name="compat",
            roles=frozenset(READ_WRITE), certificate_pem=certificate_pem,
        )  # fmt: skip
        path = _write(self._directory, key_pem, certificate_pem)
        return CertificateApp(app.client_id, key_pem, certificate_pem, path)

    def add_risky_users(self, count: int, **fields: Any) -> list[str]:
        created = self._tenant.add_risk_detections(
            *(detection(**{"riskLevel": "high", **fields}) for _ in range(count))
        )
        return [d["userId"] for d in created]

    def risky_user(self, user_id: str) -> dict[str, Any]:
        token = app_token(
            self._database, unregistered_app(self.tenant_id, "compat-reader"),
            now=datetime.now(UTC), lifetime=timedelta(minutes=5), roles=frozenset(READ_WRITE),
        )  # fmt: skip
        response = self._tenant.admin.get(
            f"/v1.0/identityProtection/riskyUsers/{user_id}",
            headers={"Authorization": f"Bearer {token}"},
        )
        user: dict[str, Any] = response.raise_for_status().json()
        return user


ENVIRONMENTS = [
    pytest.param("in_process", id="mock_graph"),
    pytest.param("pytest_plugin", id="pytest_plugin"),
    pytest.param("served", id="served", marks=pytest.mark.slow),
]


@pytest.fixture(params=ENVIRONMENTS)
def environment(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Environment]:
    if request.param == "in_process":
        with mock_graph() as graph:
            yield InProcess(graph, tmp_path)
    elif request.param == "pytest_plugin":
        yield InProcess(request.getfixturevalue("idprotect_graph"), tmp_path)
    else:
        yield _served(request, tmp_path, monkeypatch)


@pytest.fixture
def served(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Served:
    """Only `idprotect serve`: for clients that mock_graph does not route."""
    return _served(request, tmp_path, monkeypatch)


def _served(
    request: pytest.FixtureRequest, directory: Path, monkeypatch: pytest.MonkeyPatch
) -> Served:
    tenant: Tenant = request.getfixturevalue("tenant")
    served = Served(tenant, request.getfixturevalue("server_database"), directory)
    # How requests trusts a CA: the variable wins over Session.verify (and MSAL's verify=).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tenant.server.ca_certfile))
    return served
