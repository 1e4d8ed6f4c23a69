"""The built-in issuer at work: signing keys in the database, app registrations, tokens.

Composes the plain records and rules (keys.py, apps.py, claims.py, grant.py) with the
Database; the endpoints, the CLI, /_admin and the testing helpers all call these functions.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt
from cryptography.hazmat.primitives import serialization

from idprotect.auth.keysets import KeySource
from idprotect.domain.clock import Clock
from idprotect.issuer.apps import AppRegistration, hash_secret, new_app, new_client_secret
from idprotect.issuer.claims import TOKEN_LIFETIME, app_token_claims, user_token_claims
from idprotect.issuer.client_assertion import load_certificate
from idprotect.issuer.grant import UNKNOWN, Refusal, client_assertion, refuse_client, refuse_request
from idprotect.issuer.keys import SigningKey, generate_signing_key, mint_token
from idprotect.store.engine import Database


def signing_key(database: Database, now: datetime) -> SigningKey:
    """The key that signs new tokens; the first one is generated and stored on first use."""
    with database.identity() as identity:
        keys = identity.valid_signing_keys(now)
    if keys:
        return keys[0]
    with database.identity(write=True) as identity:
        keys = identity.valid_signing_keys(now)  # another process may have made one meanwhile
        if keys:
            return keys[0]
        key = generate_signing_key(now)
        identity.add_signing_key(key)
        return key


def rotate_signing_keys(database: Database, now: datetime, grace: timedelta) -> SigningKey:
    """A new signing key; the others keep verifying for `grace`, then stop."""
    key = generate_signing_key(now)
    with database.identity(write=True) as identity:
        identity.add_signing_key(key)
        identity.retire_signing_keys(except_kid=key.kid, at=now + grace)
    return key


def list_signing_keys(database: Database, now: datetime) -> tuple[list[SigningKey], str | None]:
    """Every stored key, the one that signs first, and its kid (None before the first token)."""
    with database.identity() as identity:
        keys = identity.all_signing_keys()
    valid = (key for key in keys if key.retired_at is None or key.retired_at > now)
    return keys, next((key.kid for key in valid), None)


def public_jwks(database: Database, now: datetime) -> dict[str, list[dict[str, object]]]:
    signing_key(database, now)
    with database.identity() as identity:
        return {"keys": [key.public_jwk for key in identity.valid_signing_keys(now)]}


def builtin_key_source(database: Database, clock: Clock) -> KeySource:
    """The built-in issuer's keys as a trusted source, re-read every few seconds."""

    def load() -> tuple[dict[str, jwt.PyJWK], str | None]:
        with database.identity() as identity:
            keys = identity.valid_signing_keys(clock())
        return {key.kid: jwt.PyJWK(key.public_jwk) for key in keys}, None

    return KeySource("built-in issuer", load, min_refresh_seconds=1.0, max_age_seconds=30.0)


def register_app(
    database: Database,
    *,
    tenant_id: str,
    display_name: str,
    roles: frozenset[str],
    client_id: str | None = None,
    client_secret: str | None = None,
) -> tuple[AppRegistration, str]:
    """A new app registration; returns it with its client secret (shown once)."""
    secret = client_secret or new_client_secret()
    app = new_app(tenant_id, display_name, roles, client_id, secret_hash=hash_secret(secret))
    _add_app(database, app)
    return app, secret


def register_certificate_app(
    database: Database,
    *,
    tenant_id: str,
    display_name: str,
    roles: frozenset[str],
    certificate_pem: str,
    client_id: str | None = None,
) -> AppRegistration:
    """A new app registration whose credential is a certificate (public part, PEM), as one
    uploaded in the portal: it signs in with client assertions, not a secret."""
    certificate = load_certificate(certificate_pem)  # ValueError if it is none, or not RSA
    public_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    app = new_app(tenant_id, display_name, roles, client_id, certificate_pem=public_pem)
    _add_app(database, app)
    return app


def _add_app(database: Database, app: AppRegistration) -> None:
    with database.unit_of_work(write=True) as store:
        store.ensure_tenant(app.tenant_id)
    with database.identity(write=True) as identity:
        identity.add_app(app)


def list_apps(database: Database, tenant_id: str | None) -> list[AppRegistration]:
    """One tenant's app registrations, or (None) every tenant's."""
    with database.identity() as identity:
        return identity.list_apps(tenant_id)


def find_app(database: Database, tenant_id: str, client_id: str) -> AppRegistration | None:
    with database.identity() as identity:
        return identity.get_app(tenant_id, client_id)


def grant_token(
    database: Database,
    tenant_id: str,
    *,
    form: dict[str, str],
    credentials: tuple[str, str],
    audiences: tuple[str, ...],
    now: datetime,
) -> str | Refusal:
    """The client-credentials grant: a token for the app that `credentials` (client id and
    secret) or the form's client assertion authenticate, or Entra's refusal. Blocking: it reads
    the app, hashes the secret or checks the assertion's signature, and signs."""
    client_id, secret = credentials
    refusal = refuse_request(form, client_id)
    app = find_app(database, tenant_id, client_id) if refusal is None else None
    refusal = refusal or refuse_client(
        tenant_id, client_id, app, secret=secret, assertion=client_assertion(form),
        audiences=audiences, now=now,
    )  # fmt: skip
    if refusal is not None or app is None:
        return refusal or UNKNOWN
    return app_token(database, app, now=now, lifetime=TOKEN_LIFETIME)


def app_token(
    database: Database,
    app: AppRegistration,
    *,
    now: datetime,
    lifetime: timedelta,
    roles: frozenset[str] | None = None,
) -> str:
    granted = app.app_roles if roles is None else roles
    claims = app_token_claims(app, roles=granted, now=now, lifetime=lifetime)
    return mint_token(signing_key(database, now), claims)


def user_token(
    database: Database,
    *,
    tenant_id: str,
    object_id: str,
    scopes: frozenset[str],
    directory_roles: frozenset[str],
    now: datetime,
    lifetime: timedelta,
) -> str:
    claims = user_token_claims(
        tenant_id=tenant_id,
        object_id=object_id,
        scopes=scopes,
        directory_roles=directory_roles,
        now=now,
        lifetime=lifetime,
    )
    return mint_token(signing_key(database, now), claims)
