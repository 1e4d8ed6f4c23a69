"""Which issuers the service trusts: the built-in one and those the settings name."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from idprotect.auth.keysets import (
    FetchJson,
    KeySource,
    discovery_source,
    jwks_file_source,
    jwks_url_source,
)
from idprotect.auth.verifier import TokenVerifier, VerifierSettings
from idprotect.domain.clock import Clock, utc_now
from idprotect.issuer.service import builtin_key_source
from idprotect.settings import Settings
from idprotect.store.engine import Database


def fetch_json_over_http(url: str) -> dict[str, Any]:
    response = httpx.get(url, timeout=10, follow_redirects=True)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def build_verifier(
    settings: Settings, database: Database, clock: Clock, fetch_json: FetchJson
) -> TokenVerifier:
    refresh = settings.key_refresh_seconds
    # Key validity runs on the real clock, like token lifetimes (not the app's data clock).
    sources: list[KeySource] = [builtin_key_source(database, utc_now)]
    sources += [
        jwks_url_source(u, fetch_json, min_refresh_seconds=refresh)
        for u in settings.trusted_jwks_urls
    ]
    sources += [
        jwks_file_source(Path(p), min_refresh_seconds=refresh) for p in settings.trusted_jwks_files
    ]
    sources += [
        discovery_source(u, fetch_json, min_refresh_seconds=refresh)
        for u in settings.trusted_discovery_urls
    ]
    verifier_settings = VerifierSettings(
        audiences=settings.audiences,
        clock_skew_seconds=settings.clock_skew_seconds,
        cache_size=settings.token_cache_size,
    )
    return TokenVerifier(sources, verifier_settings, now=time.time)
