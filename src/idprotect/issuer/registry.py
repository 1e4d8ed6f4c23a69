"""SqlIdentityStore: the SQL of the built-in issuer's signing keys and the tenants' app
registrations (tables in store/tables.py; Database.identity() opens one)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from idprotect.issuer.apps import AppRegistration
from idprotect.issuer.keys import SigningKey
from idprotect.store.tables import app_registrations, signing_keys

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
            )
        )


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
    )
