"""SqlIdentityStore: the SQL of the built-in issuer's signing keys, the tenants' app
registrations, users' passwords and authorization codes (tables in store/tables/issuer.py;
Database.identity() opens one)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update

from idprotect.issuer.apps import AppRegistration
from idprotect.issuer.code_flow import CodeGrant
from idprotect.issuer.keys import SigningKey
from idprotect.issuer.passwords import DirectoryUser
from idprotect.store.tables import (
    app_registrations,
    authorization_codes,
    signing_keys,
    user_passwords,
)

# The key that signs (not rotated out) first, then the newest.
_SIGNING_ORDER = (
    signing_keys.c.retired_at.is_not(None),
    signing_keys.c.created_at.desc(),
    signing_keys.c.kid,
)


class SqlIdentityStore:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def valid_signing_keys(self, now: datetime) -> list[SigningKey]:
        """Keys that verify tokens now: the key not rotated out first (it signs), then newest."""
        k = signing_keys.c
        query = (
            select(signing_keys)
            .where(or_(k.retired_at.is_(None), k.retired_at > now))
            .order_by(*_SIGNING_ORDER)
        )
        return [_key_from_row(row) for row in self.connection.execute(query)]

    def all_signing_keys(self) -> list[SigningKey]:
        """Every key, those that no longer verify too, in the order of valid_signing_keys."""
        query = select(signing_keys).order_by(*_SIGNING_ORDER)
        return [_key_from_row(row) for row in self.connection.execute(query)]

    def add_signing_key(self, key: SigningKey) -> None:
        self.connection.execute(
            insert(signing_keys).values(
                kid=key.kid,
                private_pem=key.private_pem,
                public_jwk=json.dumps(key.public_jwk),
                created_at=key.created_at,
                retired_at=None,
            )
        )

    def retire_signing_keys(self, *, except_kid: str, at: datetime) -> None:
        k = signing_keys.c
        self.connection.execute(
            update(signing_keys)
            .where(k.kid != except_kid, or_(k.retired_at.is_(None), k.retired_at > at))
            .values(retired_at=at)
        )

    def get_app(self, tenant_id: str, client_id: str) -> AppRegistration | None:
        a = app_registrations.c
        row = self.connection.execute(
            select(app_registrations).where(a.tenant_id == tenant_id, a.client_id == client_id)
        ).first()
        return _app_from_row(row) if row else None

    def list_apps(self, tenant_id: str | None) -> list[AppRegistration]:
        """One tenant's app registrations (None: every tenant's), by tenant, name, client id."""
        a = app_registrations.c
        query = select(app_registrations).order_by(a.tenant_id, a.display_name, a.client_id)
        if tenant_id is not None:
            query = query.where(a.tenant_id == tenant_id)
        return [_app_from_row(row) for row in self.connection.execute(query)]

    def add_app(self, app: AppRegistration) -> None:
        self.connection.execute(
            insert(app_registrations).values(
                tenant_id=app.tenant_id,
                client_id=app.client_id,
                object_id=app.object_id,
                display_name=app.display_name,
                app_roles=json.dumps(sorted(app.app_roles)),
                secret_hash=app.secret_hash,
                certificate_pem=app.certificate_pem,
                redirect_uris=json.dumps(list(app.redirect_uris)),
            )
        )

    def get_user(self, tenant_id: str | None, user_principal_name: str) -> list[DirectoryUser]:
        """The users with a password of that name: in one tenant, or (None) in every tenant."""
        u = user_passwords.c
        query = select(user_passwords).where(u.user_principal_name == user_principal_name.lower())
        if tenant_id is not None:
            query = query.where(u.tenant_id == tenant_id)
        return [_user_from_row(row) for row in self.connection.execute(query.order_by(u.tenant_id))]

    def set_user(self, user: DirectoryUser, now: datetime) -> None:
        u = user_passwords.c
        self.connection.execute(
            delete(user_passwords).where(
                u.tenant_id == user.tenant_id, u.user_principal_name == user.user_principal_name
            )
        )
        self.connection.execute(
            insert(user_passwords).values(
                tenant_id=user.tenant_id,
                user_principal_name=user.user_principal_name,
                object_id=user.object_id,
                display_name=user.display_name,
                password_hash=user.password_hash,
                directory_roles=json.dumps(sorted(user.directory_roles)),
                updated_at=now,
            )
        )

    def add_code(self, code_hash: str, grant: CodeGrant, expires_at: datetime) -> None:
        self.connection.execute(
            insert(authorization_codes).values(
                code_hash=code_hash, grant=grant.to_json(), expires_at=expires_at
            )
        )

    def redeem_code(self, code_hash: str) -> tuple[CodeGrant, datetime, bool] | None:
        """The code's grant, expiry and whether it was redeemed before; marks it redeemed."""
        c = authorization_codes.c
        row = self.connection.execute(
            select(authorization_codes).where(c.code_hash == code_hash)
        ).first()
        if row is None:
            return None
        marked = self.connection.execute(
            update(authorization_codes)
            .where(c.code_hash == code_hash, c.redeemed.is_(False))
            .values(redeemed=True)
        )
        return CodeGrant.from_json(row.grant), row.expires_at, marked.rowcount != 1

    def forget_codes(self, before: datetime) -> None:
        c = authorization_codes.c
        self.connection.execute(delete(authorization_codes).where(c.expires_at < before))


def _key_from_row(row: Any) -> SigningKey:
    return SigningKey(
        kid=row.kid,
        private_pem=row.private_pem,
        public_jwk=json.loads(row.public_jwk),
        created_at=row.created_at,
        retired_at=row.retired_at,
    )


def _app_from_row(row: Any) -> AppRegistration:
    return AppRegistration(
        tenant_id=row.tenant_id,
        client_id=row.client_id,
        object_id=row.object_id,
        display_name=row.display_name,
        app_roles=frozenset(json.loads(row.app_roles)),
        secret_hash=row.secret_hash,
        certificate_pem=row.certificate_pem,
        redirect_uris=tuple(json.loads(row.redirect_uris)),
    )


def _user_from_row(row: Any) -> DirectoryUser:
    return DirectoryUser(
        tenant_id=row.tenant_id,
        user_principal_name=row.user_principal_name,
        object_id=row.object_id,
        display_name=row.display_name,
        password_hash=row.password_hash,
        directory_roles=frozenset(json.loads(row.directory_roles)),
    )
