"""SqlIdentityStore on SQLite and PostgreSQL: the lists of app registrations and signing keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from idprotect.issuer.apps import AppRegistration
from idprotect.issuer.keys import generate_signing_key
from idprotect.store.engine import Database

A, B = "tenant-a", "tenant-b"
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _app(tenant_id: str, client_id: str, name: str) -> AppRegistration:
    return AppRegistration(
        tenant_id=tenant_id,
        client_id=client_id,
        object_id=f"oid-{client_id}",
        display_name=name,
        app_roles=frozenset({"IdentityRiskyUser.Read.All"}),
        secret_hash="hash",
    )


def test_apps_are_listed_by_tenant_then_name(database: Database) -> None:
    with database.identity(write=True) as identity:
        for app in (_app(B, "c3", "Alpha"), _app(A, "c2", "Zulu"), _app(A, "c1", "Alpha")):
            identity.add_app(app)
    with database.identity() as identity:
        every = [app.client_id for app in identity.list_apps(None)]
        in_a = [app.client_id for app in identity.list_apps(A)]
    assert every == ["c1", "c2", "c3"]
    assert in_a == ["c1", "c2"]


def test_every_signing_key_is_listed_the_signing_one_first(database: Database) -> None:
    older, old, newest = (generate_signing_key(NOW - timedelta(days=d)) for d in (2, 1, 0))
    with database.identity(write=True) as identity:
        identity.add_signing_key(older)
        identity.add_signing_key(old)
        identity.retire_signing_keys(except_kid=old.kid, at=NOW - timedelta(hours=1))
        identity.add_signing_key(newest)
        identity.retire_signing_keys(except_kid=newest.kid, at=NOW + timedelta(hours=1))
    with database.identity() as identity:
        listed = identity.all_signing_keys()
        valid = identity.valid_signing_keys(NOW)
    assert [(key.kid, key.retired_at) for key in listed] == [
        (newest.kid, None),
        (old.kid, NOW + timedelta(hours=1)),
        (older.kid, NOW - timedelta(hours=1)),  # no longer verifies, still listed
    ]
    assert [key.kid for key in valid] == [newest.kid, old.kid]
