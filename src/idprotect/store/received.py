"""What the signals receiver keeps: the SETs taken (by issuer and jti), and users by email."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from idprotect.store.tables import signal_received, users

_R = signal_received.c


def first_receipt(
    connection: Connection, tenant_id: str, issuer: str, jti: str, at: datetime
) -> bool:
    """Record the SET as received; False when it was received before (a replay)."""
    seen = select(_R.jti).where(_R.tenant_id == tenant_id, _R.issuer == issuer, _R.jti == jti)
    if connection.execute(seen).first() is not None:
        return False
    row = {"tenant_id": tenant_id, "issuer": issuer, "jti": jti, "received_at": at}
    connection.execute(insert(signal_received).values(**row))
    return True


def user_id_by_email(connection: Connection, tenant_id: str, email: str) -> str | None:
    """The user whose userPrincipalName is `email` (any case), if the directory has one."""
    query = (
        select(users.c.id)
        .where(users.c.tenant_id == tenant_id)
        .where(func.lower(users.c.user_principal_name) == email.lower())
        .limit(1)
    )
    found = connection.execute(query).scalar()
    return str(found) if found is not None else None
