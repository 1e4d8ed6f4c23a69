"""The built-in issuer's tables: signing keys, deployment secrets, app registrations, users'
passwords and authorization codes."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    String,
    Table,
    Text,
    func,
    text,
)

from idprotect.store.tables.base import UtcDateTime, metadata

# Keys of the built-in development issuer. They sign tokens for every tenant (as Entra's keys
# do), so they are the one table without a tenant id.
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_pem", Text, nullable=False),
    Column("public_jwk", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # Rotated out: no longer signs, still verifies until then.
    Column("retired_at", UtcDateTime()),
)

# Secrets of this deployment, made once and shared by every process (the $skiptoken key).
deployment_secrets = Table(
    "deployment_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, server_default=func.now()),
)

app_registrations = Table(
    "app_registrations",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("client_id", String(64), primary_key=True),
    Column("object_id", String(64), nullable=False),
    Column("display_name", String(256), nullable=False),
    Column("app_roles", Text, nullable=False),
    Column("secret_hash", String(256), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, server_default=func.now()),
    Column("certificate_pem", Text, nullable=True),  # a certificate credential, public part
    # A public client's redirect URIs (JSON list): it signs users in with the code flow.
    Column("redirect_uris", Text, nullable=False, server_default=text("'[]'")),
)

# Directory users who may sign in to the built-in issuer: their password and directory roles.
user_passwords = Table(
    "user_passwords",
    metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("user_principal_name", String(256), primary_key=True),  # lower case
    Column("object_id", String(64), nullable=False),
    Column("display_name", String(256), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("directory_roles", Text, nullable=False),  # JSON list of template ids
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Authorization codes of the code flow, by their SHA-256: single-use and short-lived.
authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("grant", Text, nullable=False),  # JSON: what the code grants, to whom, on what terms
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("redeemed", Boolean, nullable=False, server_default=text("false")),
)
