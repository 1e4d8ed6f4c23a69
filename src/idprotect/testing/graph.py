"""`mock_graph`: an in-process idprotect answering Graph's and Entra's hosts, with test helpers."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast

import httpx

from idprotect.api.pipeline import Service
from idprotect.app import create_app
from idprotect.auth.principal import DEMO_TENANT_ID
from idprotect.auth.roles import ROLE_NAMES
from idprotect.domain.clock import Clock, utc_now
from idprotect.issuer.apps import unregistered_app
from idprotect.issuer.client_assertion import new_certificate
from idprotect.issuer.service import (
    app_token,
    register_app,
    register_certificate_app,
    user_token,
)
from idprotect.settings import Settings
from idprotect.store.engine import Database, make_engine
from idprotect.store.migrate import upgrade_database
from idprotect.store.tables import metadata
from idprotect.testing.credentials import AppCredentials, CertificateCredentials
from idprotect.testing.routing import routed
from idprotect.testing.server import ThreadedServer
from idprotect.testing.transport import AppTransport
from idprotect.tls import development_certificate

GRAPH_HOSTS = ("graph.microsoft.com", "login.microsoftonline.com")
# What a typical SOAR integration is granted: read and act on risky users, service principals
# and agents, read detections.
DEFAULT_APP_ROLES = (
    "IdentityRiskyUser.ReadWrite.All",
    "IdentityRiskyServicePrincipal.ReadWrite.All",
    "IdentityRiskyAgent.ReadWrite.All",
    "IdentityRiskEvent.Read.All",
)
ADMIN_ROLE = "IdentityProtection.Admin"
TOKEN_LIFETIME = timedelta(hours=1)
_ADMIN_CLIENT_ID = "idprotect-testing-admin"
F = TypeVar("F", bound=Callable[..., Any])


class SeedingError(Exception):
    """The /_admin API refused what a helper sent it (the body says why)."""


class MockGraph:
    """An idprotect in this process, on a temporary SQLite file, with tokens verified.

    While active (`with`, as a decorator, or `start()`/`stop()`), requests made through httpx,
    requests, aiohttp or urllib3 to `hosts` reach it instead of the network (aiohttp's through
    `serve()`, started on its first request). Each activation starts empty.
    """

    def __init__(
        self,
        *,
        tenant_id: str = DEMO_TENANT_ID,
        hosts: Iterable[str] = GRAPH_HOSTS,
        settings: Settings | None = None,
        clock: Clock = utc_now,
        raise_app_exceptions: bool = True,
    ) -> None:
        self.tenant_id = tenant_id
        self.hosts = frozenset(hosts)
        self._settings = settings or Settings()
        self._clock = clock
        self._raise_app_exceptions = raise_app_exceptions
        self._exits: ExitStack | None = None
        self._servers: dict[bool, ThreadedServer] = {}  # by tls
        self._servers_lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> MockGraph:
        if self._exits is not None:
            raise RuntimeError("this mock_graph is already active")
        with ExitStack() as exits:
            directory = Path(exits.enter_context(tempfile.TemporaryDirectory(prefix="idprotect-")))
            self._directory = directory
            url = f"sqlite:///{directory / 'idprotect.db'}"
            upgrade_database(url)
            self.database = Database(make_engine(url))
            exits.callback(self.database.dispose)
            settings = dataclasses.replace(self._settings, database_url=url)
            self.app: Service = create_app(settings, clock=self._clock, database=self.database)
            self.transport = AppTransport(self.app, raise_app_exceptions=self._raise_app_exceptions)
            exits.callback(self.transport.close)
            exits.enter_context(routed(self.hosts, self.transport, self.serve))
            exits.callback(self._stop_servers)
            _active.append(self)
            exits.callback(_active.remove, self)
            self._exits = exits.pop_all()
        return self

    def stop(self) -> None:
        exits, self._exits = self._exits, None
        if exits is not None:
            exits.close()

    def __enter__(self) -> MockGraph:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __call__(self, function: F) -> F:
        """As a decorator: the function (sync or async) runs with this mock active."""
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await function(*args, **kwargs)

            return cast(F, run_async)

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return cast(F, run)

    def reset(self) -> None:
        """Forget every tenant, user, detection and app registration (signing keys stay, so
        tokens already minted keep verifying)."""
        with self.database.engine.begin() as connection:
            for table in reversed(metadata.sorted_tables):
                if table.name != "signing_keys":
                    connection.execute(table.delete())
        self.app.state.known_tenants.clear()

    # -- the same state over HTTP -----------------------------------------------------------

    def serve(self, *, tls: bool = False) -> str:
        """Serve this state on 127.0.0.1 too (uvicorn in a thread); returns its base URL.

        With `tls`, over HTTPS with a development certificate (see `ca_certfile`)."""
        with self._servers_lock:
            if tls not in self._servers:
                files = development_certificate(self._directory / "tls") if tls else None
                self._servers[tls] = ThreadedServer(
                    self.app, settings=self.app.state.settings, tls=files
                ).start()
            return self._servers[tls].base_url

    @property
    def ca_certfile(self) -> Path:
        """The CA certificate that `serve(tls=True)` clients must trust."""
        return self._directory / "tls" / "ca.pem"

    def _stop_servers(self) -> None:
        with self._servers_lock:
            servers, self._servers = self._servers, {}
        for server in servers.values():
            server.stop()

    # -- tokens and app registrations -------------------------------------------------------

    def token(
        self, *roles: str, tenant_id: str | None = None, client_id: str = "idprotect-testing"
    ) -> str:
        """An app-only access token holding `roles` (by default `DEFAULT_APP_ROLES`)."""
        tenant = tenant_id or self.tenant_id
        return app_token(
            self.database,
            unregistered_app(tenant, client_id),
            now=utc_now(),
            lifetime=TOKEN_LIFETIME,
            roles=frozenset(roles or DEFAULT_APP_ROLES),
        )

    def user_token(
        self,
        object_id: str,
        *,
        scopes: Iterable[str] = DEFAULT_APP_ROLES,
        directory_roles: Iterable[str] = ("Security Administrator",),
        tenant_id: str | None = None,
    ) -> str:
        """A delegated token of a signed-in user; directory roles by name or template id."""
        return user_token(
            self.database,
            tenant_id=tenant_id or self.tenant_id,
            object_id=object_id,
            scopes=frozenset(scopes),
            directory_roles=frozenset(ROLE_NAMES.get(role, role) for role in directory_roles),
            now=utc_now(),
            lifetime=TOKEN_LIFETIME,
        )

    def register_app(
        self,
        *roles: str,
        display_name: str = "idprotect testing app",
        tenant_id: str | None = None,
    ) -> AppCredentials:
        """An app for the client-credentials grant at `AppCredentials.token_url`."""
        tenant = tenant_id or self.tenant_id
        app, secret = register_app(
            self.database,
            tenant_id=tenant,
            display_name=display_name,
            roles=frozenset(roles or DEFAULT_APP_ROLES),
        )
        return AppCredentials(tenant_id=tenant, client_id=app.client_id, client_secret=secret)

    def register_certificate_app(
        self,
        *roles: str,
        display_name: str = "idprotect testing app",
        tenant_id: str | None = None,
    ) -> CertificateCredentials:
        """An app whose credential is a new self-signed certificate (client assertions)."""
        tenant = tenant_id or self.tenant_id
        key_pem, certificate_pem = new_certificate(display_name, utc_now())
        app = register_certificate_app(
            self.database,
            tenant_id=tenant,
            display_name=display_name,
            roles=frozenset(roles or DEFAULT_APP_ROLES),
            certificate_pem=certificate_pem,
        )
        return CertificateCredentials(tenant, app.client_id, key_pem, certificate_pem)

    # -- seeding, through the /_admin API ---------------------------------------------------

    def add_risk_detections(
        self, *detections: Mapping[str, Any], tenant_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Record detections (Graph field names; `detection()` fills the required ones);
        returns them as Graph shows them. Their users become risky."""
        body = {"value": [detection(**d) for d in detections or ({},)]}
        created: list[dict[str, Any]] = self._admin("POST", "riskDetections", body, tenant_id)
        return created

    def add_risky_user(self, *, tenant_id: str | None = None, **fields: Any) -> str:
        """A user made risky by one detection (of `fields`); returns the user id."""
        user_id: str = self.add_risk_detections(fields, tenant_id=tenant_id)[0]["userId"]
        return user_id

    def add_users(self, *users: Mapping[str, Any], tenant_id: str | None = None) -> None:
        """Directory users (`id`, `displayName`, `userPrincipalName`, optional risk fields)."""
        self._admin("POST", "users", {"value": list(users)}, tenant_id)

    def load_fixtures(self, fixtures: Mapping[str, Any], tenant_id: str | None = None) -> None:
        """A fixtures document (docs/fixtures.md) into the tenant."""
        self._admin("POST", "fixtures", dict(fixtures), tenant_id)

    def set_licence(self, licence: str, tenant_id: str | None = None) -> None:
        """P2 (the default), P1 or Free."""
        self._admin("PUT", "", {"licence": licence}, tenant_id)

    def _admin(self, method: str, path: str, body: dict[str, Any], tenant_id: str | None) -> Any:
        tenant = tenant_id or self.tenant_id
        token = self.token(ADMIN_ROLE, tenant_id=tenant, client_id=_ADMIN_CLIENT_ID)
        url = f"https://{GRAPH_HOSTS[0]}/_admin/tenants/{tenant}/{path}".rstrip("/")
        request = httpx.Request(
            method, url, json=body, headers={"Authorization": f"Bearer {token}"}
        )
        response = self.transport.handle_request(request)
        response.read()
        if response.status_code >= 300:
            raise SeedingError(f"{method} {url}: {response.status_code} {response.text}")
        return response.json().get("value") if response.content else None


def detection(**fields: Any) -> dict[str, Any]:
    """A detection as /_admin takes it: `fields`, with a new user, names, `riskEventType`
    unfamiliarFeatures and `riskLevel` medium where they are not given."""
    user_id = fields.get("userId") or str(uuid.uuid4())
    defaults = {
        "userId": user_id,
        "userDisplayName": f"User {user_id[:8]}",
        "userPrincipalName": f"user.{user_id[:8]}@contoso.com",
        "riskEventType": "unfamiliarFeatures",
        "riskLevel": "medium",
    }
    return {**defaults, **fields}


_active: list[MockGraph] = []


def current_graph() -> MockGraph:
    """The innermost active mock (for a function under `@mock_graph()`)."""
    if not _active:
        raise RuntimeError("no mock_graph is active")
    return _active[-1]


# The moto-style name: `with mock_graph() as graph:` or `@mock_graph()`.
mock_graph = MockGraph
