"""Typed, frozen settings: built once (by the CLI or a test) and passed down, never global."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, Literal

from idprotect.engine.settings import DEFAULT_SETTINGS as _ENGINE
from idprotect.engine.settings import EngineSettings
from idprotect.signals.settings import DeliverySettings, parse_transmitter

DEFAULT_DATABASE_URL = "sqlite:///./idprotect.db"
_ENV = "IDPROTECT_SETTINGS"

AuthMode = Literal["on", "off"]
HttpParser = Literal["httptools", "h11"]
LogFormat = Literal["text", "json"]
_POSITIVE = (
    "busy_timeout_seconds",
    "max_url_bytes",
    "max_body_bytes",
    "max_admin_body_bytes",
    "body_timeout_seconds",
    "header_timeout_seconds",
    "keep_alive_seconds",
    "max_head_bytes",
    "shutdown_timeout_seconds",
    "learning_sign_ins",
    "learning_period_seconds",
    "familiarity_period_seconds",
    "travel_speed_kmh",
    "spray_accounts",
    "spray_window_seconds",
    "signals_idle_seconds",
    "signals_timeout_seconds",
    "signals_backoff_seconds",
    "signals_max_backoff_seconds",
)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # "on": bearer tokens are verified. "off" (development only): every caller is the local
    # Security Administrator of the demo tenant.
    auth: AuthMode = "on"
    # Issuers trusted besides the built-in one: JWKS URLs and files (Entra-shaped issuers),
    # and OpenID discovery documents (their own issuer).
    trusted_jwks_urls: tuple[str, ...] = ()
    trusted_jwks_files: tuple[str, ...] = ()
    trusted_discovery_urls: tuple[str, ...] = ()
    audiences: tuple[str, ...] = (
        "https://graph.microsoft.com",
        "00000003-0000-0000-c000-000000000000",
    )
    clock_skew_seconds: int = 120
    # An unknown kid reloads a remote key set at most this often.
    key_refresh_seconds: float = 30.0
    token_cache_size: int = 10_000
    # Refuse action requests that name ids unknown to the tenant (Graph ignores them).
    strict_actions: bool = False
    # Page size when a request gives no $top (riskyUsers, history and riskDetections).
    default_page_size: int = 20
    # How long a request waits for a database lock before it answers 503 ServiceUnavailable
    # (SQLite's busy timeout, PostgreSQL's lock_timeout).
    busy_timeout_seconds: float = 30.0
    # What a request may send (docs/compatibility.md, "Limits on requests"). A URL: a
    # $filter at its limit (4,000 characters), percent-encoded, fits with room to spare.
    max_url_bytes: int = 16 * 1024
    # A body: 4 MiB, Graph's usual request limit; the largest legitimate Graph body, a $batch
    # of 20 actions of 60 ids, is about 51 KB. /_admin takes 10,000 detections at once.
    max_body_bytes: int = 4 * 1024 * 1024
    max_admin_body_bytes: int = 32 * 1024 * 1024
    # Time for a whole body to arrive, and (the server's) for a request line and headers.
    body_timeout_seconds: float = 30.0
    header_timeout_seconds: float = 10.0
    # An idle connection between two requests is closed after this long.
    keep_alive_seconds: int = 5
    # The request line and headers together (the URL limit above applies inside it).
    max_head_bytes: int = 64 * 1024
    # uvicorn's HTTP/1.1 parser (serving.py): httptools is faster; h11 lets the app answer
    # methods httptools does not know.
    http: HttpParser = "httptools"
    # The risk engine's thresholds (engine/settings.py says what each means); durations in
    # seconds, so that the settings travel as JSON to worker processes.
    learning_sign_ins: int = _ENGINE.learning_sign_ins
    learning_period_seconds: float = _ENGINE.learning_period.total_seconds()
    familiarity_period_seconds: float = _ENGINE.familiarity_period.total_seconds()
    travel_speed_kmh: float = _ENGINE.travel_speed_kmh
    travel_min_km: float = _ENGINE.travel_min_km
    spray_accounts: int = _ENGINE.spray_accounts
    spray_window_seconds: float = _ENGINE.spray_window.total_seconds()
    lateness_seconds: float = _ENGINE.lateness.total_seconds()
    # Signals (docs/signals.md): whether this process delivers the outbox (serve does), its
    # pace and backoff; the transmitters whose SETs the receiver takes, one per entry:
    # "tenant=GUID;config=SSF_CONFIGURATION_URL[;aud=AUDIENCE][;poll=URL][;authorization=...]".
    deliver_signals: bool = False
    signals_idle_seconds: float = 0.05
    signals_timeout_seconds: float = 5.0
    signals_backoff_seconds: float = 1.0
    signals_max_backoff_seconds: float = 300.0
    ssf_transmitters: tuple[str, ...] = ()
    # The inactivity_timeout this transmitter gives its SSF streams, in seconds: a stream whose
    # receiver neither polls nor calls the stream API for that long is disabled. None: none.
    ssf_inactivity_timeout_seconds: int | None = None
    # The hosts subscriptions' notifications and push streams' SETs may go to (a name, or
    # `*.example.com` for those below it), checked when a URL is given; empty: any
    # (signals/endpoints.py).
    signals_allowed_hosts: tuple[str, ...] = ()
    # Operations (docs/operations.md): one log line per request, in text or JSON; how long a
    # SIGTERM waits for requests in flight; the server's throttling profile ("off", "graph",
    # or a custom profile's JSON, ops/throttle.py); /metrics.
    request_log: bool = True
    log_format: LogFormat = "text"
    shutdown_timeout_seconds: float = 30.0
    throttle: str = "off"
    metrics: bool = True

    def __post_init__(self) -> None:
        if self.auth not in ("on", "off"):
            raise ValueError(f"unknown auth mode {self.auth!r}")
        if not 1 <= self.default_page_size <= 500:
            raise ValueError("default_page_size must be from 1 to 500")
        for name in _POSITIVE:
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.http not in ("httptools", "h11"):
            raise ValueError(f"unknown HTTP parser {self.http!r}")
        if self.log_format not in ("text", "json"):
            raise ValueError(f"unknown log format {self.log_format!r}")
        if self.max_url_bytes >= self.max_head_bytes:
            raise ValueError("max_url_bytes must be less than max_head_bytes")
        if not self.audiences:
            raise ValueError("at least one audience is needed")
        for entry in self.ssf_transmitters:
            parse_transmitter(entry)  # ValueError names the entry
        timeout = self.ssf_inactivity_timeout_seconds
        if timeout is not None and not (isinstance(timeout, int) and timeout >= 1):
            raise ValueError("ssf_inactivity_timeout_seconds must be a whole number of seconds")
        if self.travel_min_km < 0 or self.lateness_seconds < 0:
            raise ValueError("travel_min_km and lateness_seconds must not be negative")

    def engine_settings(self) -> EngineSettings:
        """The thresholds the risk engine's detectors read."""
        return EngineSettings(
            learning_sign_ins=self.learning_sign_ins,
            learning_period=timedelta(seconds=self.learning_period_seconds),
            familiarity_period=timedelta(seconds=self.familiarity_period_seconds),
            travel_speed_kmh=self.travel_speed_kmh,
            travel_min_km=self.travel_min_km,
            spray_accounts=self.spray_accounts,
            spray_window=timedelta(seconds=self.spray_window_seconds),
            lateness=timedelta(seconds=self.lateness_seconds),
        )

    def delivery_settings(self) -> DeliverySettings:
        return DeliverySettings(
            idle_seconds=self.signals_idle_seconds,
            timeout_seconds=self.signals_timeout_seconds,
            backoff_seconds=self.signals_backoff_seconds,
            max_backoff_seconds=self.signals_max_backoff_seconds,
        )

    def to_environ(self) -> dict[str, str]:
        """These settings as one environment variable, for server worker processes."""
        return {_ENV: json.dumps(asdict(self))}

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        raw = environ.get(_ENV)
        if not raw:
            return cls()
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(raw).items()
        }
        return cls(**values)
