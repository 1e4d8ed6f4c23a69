"""The code flow at work: users' passwords, public clients, codes issued and redeemed, and the
tokens they buy. Blocking (hashing, the database, signing): the endpoints call it on threads."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from idprotect.issuer.apps import AppRegistration, new_app
from idprotect.issuer.claims import TOKEN_LIFETIME, id_token_claims, user_token_claims
from idprotect.issuer.code_flow import (
    CODE_LIFETIME,
    GRAPH,
    CodeGrant,
    refuse_code_request,
    refuse_redemption,
)
from idprotect.issuer.grant import Refusal
from idprotect.issuer.keys import mint_token
from idprotect.issuer.passwords import (
    DUMMY_HASH,
    DirectoryUser,
    hash_password,
    password_matches,
    user_object_id,
)
from idprotect.issuer.service import signing_key
from idprotect.store.engine import Database

# The operator console's own public client: every tenant has it; it returns to /console/.
CONSOLE_CLIENT_ID = "1d0c0a5e-7c1d-4e0a-9b1e-5c0de5a1e0c1"
# Path segments that name no tenant: the user's own tenant decides.
ANY_TENANT = ("common", "organizations")


def set_password(
    database: Database,
    *,
    tenant_id: str,
    user_principal_name: str,
    password: str,
    directory_roles: frozenset[str],
    now: datetime,
    object_id: str | None = None,
    display_name: str | None = None,
) -> DirectoryUser:
    """Sets (or replaces) a user's password and directory roles; the tenant comes into being."""
    name = user_principal_name.strip().lower()
    user = DirectoryUser(
        tenant_id=tenant_id,
        user_principal_name=name,
        object_id=object_id or user_object_id(tenant_id, name),
        display_name=display_name or name.split("@")[0],
        password_hash=hash_password(password),
        directory_roles=directory_roles,
    )
    with database.unit_of_work(write=True) as store:
        store.ensure_tenant(tenant_id)
    with database.identity(write=True) as identity:
        identity.set_user(user, now)
    return user


def authenticate(
    database: Database, tenant: str, user_principal_name: str, password: str
) -> DirectoryUser | None:
    """The user whom this name and password sign in, in the tenant (or any, for `common`)."""
    scope = None if tenant.lower() in ANY_TENANT else tenant
    with database.identity() as identity:
        users = identity.get_user(scope, user_principal_name.strip())
    user = users[0] if len(users) == 1 else None
    matches = password_matches(password, user.password_hash if user else DUMMY_HASH)
    return user if matches else None


def find_public_client(
    database: Database, tenant: str, client_id: str, base_url: str
) -> AppRegistration | None:
    """The public client `client_id` of the tenant (any tenant, for `common`), or None."""
    if client_id == CONSOLE_CLIENT_ID:
        return console_client(base_url)
    with database.identity() as identity:
        if tenant.lower() not in ANY_TENANT:
            return identity.get_app(tenant, client_id)
        apps = [app for app in identity.list_apps(None) if app.client_id == client_id]
    return apps[0] if apps else None


def console_client(base_url: str) -> AppRegistration:
    object_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"idprotect:console:{CONSOLE_CLIENT_ID}"))
    return AppRegistration(
        tenant_id="",
        client_id=CONSOLE_CLIENT_ID,
        object_id=object_id,
        display_name="idprotect console",
        app_roles=frozenset(),
        secret_hash="",
        redirect_uris=(f"{base_url}/console/",),
    )


def issue_code(database: Database, grant: CodeGrant, now: datetime) -> str:
    code = secrets.token_urlsafe(48)
    with database.identity(write=True) as identity:
        identity.forget_codes(now - CODE_LIFETIME)
        identity.add_code(_digest(code), grant, now + CODE_LIFETIME)
    return code


def redeem_code(
    database: Database, tenant: str, form: Mapping[str, str], now: datetime
) -> dict[str, Any] | Refusal:
    """The token request of the code flow: the tokens, or Entra's refusal. A code is spent by
    its first redemption, refused or not, as Entra spends it."""
    refusal = refuse_code_request(form)
    if refusal is not None:
        return refusal
    with database.identity(write=True) as identity:
        found = identity.redeem_code(_digest(form["code"]))
    grant, expires_at, redeemed = found if found else (None, now, False)
    if grant is not None and tenant.lower() not in (*ANY_TENANT, grant.tenant_id):
        grant = None
    refusal = refuse_redemption(form, grant, redeemed=redeemed, expired=expires_at <= now)
    if refusal is not None or grant is None:
        return refusal or Refusal(400, "invalid_grant", 9002313, "Invalid request.")
    return _tokens(database, grant, now)


def _tokens(database: Database, grant: CodeGrant, now: datetime) -> dict[str, Any]:
    key = signing_key(database, now)
    access = user_token_claims(
        tenant_id=grant.tenant_id, object_id=grant.object_id, client_id=grant.client_id,
        scopes=frozenset(grant.scopes), directory_roles=frozenset(grant.directory_roles),
        now=now, lifetime=TOKEN_LIFETIME,
    )  # fmt: skip
    access |= {"upn": grant.user_principal_name, "name": grant.display_name}
    expires_in = int(TOKEN_LIFETIME.total_seconds()) - 1
    tokens: dict[str, Any] = {
        "token_type": "Bearer",
        "scope": " ".join(GRAPH + scope for scope in grant.scopes),
        "expires_in": expires_in,
        "ext_expires_in": expires_in,
        "access_token": mint_token(key, access),
    }
    if grant.openid:
        tokens["id_token"] = mint_token(key, _id_claims(grant, now))
        tokens["client_info"] = _client_info(grant)
    return tokens


def _id_claims(grant: CodeGrant, now: datetime) -> dict[str, Any]:
    return id_token_claims(
        tenant_id=grant.tenant_id, client_id=grant.client_id, object_id=grant.object_id,
        user_principal_name=grant.user_principal_name, display_name=grant.display_name,
        nonce=grant.nonce, now=now, lifetime=TOKEN_LIFETIME,
    )  # fmt: skip


def _client_info(grant: CodeGrant) -> str:
    """MSAL's account key: the user's object id and tenant, base64url JSON."""
    info = json.dumps({"uid": grant.object_id, "utid": grant.tenant_id}).encode()
    return base64.urlsafe_b64encode(info).decode().rstrip("=")


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def register_public_app(
    database: Database,
    *,
    tenant_id: str,
    display_name: str,
    redirect_uris: tuple[str, ...],
    client_id: str | None = None,
) -> AppRegistration:
    """A public client (a desktop app, a script with MSAL): no secret, users sign in to it."""
    app = new_app(tenant_id, display_name, frozenset(), client_id, redirect_uris=redirect_uris)
    with database.unit_of_work(write=True) as store:
        store.ensure_tenant(tenant_id)
    with database.identity(write=True) as identity:
        identity.add_app(app)
    return app
