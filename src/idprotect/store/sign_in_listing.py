"""The Graph API's reads and feedback on a tenant's sign-ins (domain/sign_in_actions.py
SignInLog) in SQL: lists as keyset pages over the tenant's sign-ins, newest first, and the
detections a sign-in raised (their requestId)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, case, literal, select, update
from sqlalchemy.sql.elements import BindParameter

from idprotect.domain.enums import RiskDetail, RiskLevel, RiskState
from idprotect.domain.kinds import SERVICE_PRINCIPAL, USER
from idprotect.domain.paging import Page, PageRequest
from idprotect.domain.ports import RiskStore
from idprotect.domain.signins import SignIn, SignInRisk
from idprotect.domain.tenants import View
from idprotect.store import signins
from idprotect.store.compiled import CompiledSelect
from idprotect.store.kinds import ACTIVE, stored
from idprotect.store.listing import Listing, list_page
from idprotect.store.query import Ordering, SortKey
from idprotect.store.repository import SqlRiskStore
from idprotect.store.tables import sign_ins

_s = sign_ins.c
_TENANT: BindParameter[str] = bindparam("tenant")
_IDS: BindParameter[list[str]] = bindparam("ids", expanding=True)
_CHUNK = 500
_SCOPE: tuple[ColumnElement[bool], ...] = (_s.tenant_id == _TENANT,)
# v1.0 lists users' sign-ins only, as Graph's v1.0 does; beta lists service principals' too.
_USERS_SCOPE = (*_SCOPE, _s.principal_kind == USER.name)
_COLUMNS = [c for c in sign_ins.c if c.name != "tenant_id"]

# Graph's property paths (odata/collections.py SIGN_INS) -> the columns that hold them.
FILTER_COLUMNS: dict[str, ColumnElement[Any]] = {
    "id": _s.id,
    "createdDateTime": _s.created_at,
    "userId": _s.user_id,
    "userPrincipalName": _s.user_principal_name,
    "userDisplayName": _s.user_display_name,
    "appId": _s.app_id,
    "appDisplayName": _s.app_display_name,
    "ipAddress": _s.ip_address,
    "clientAppUsed": _s.client_app_used,
    "correlationId": _s.correlation_id,
    "conditionalAccessStatus": _s.conditional_access_status,
    "isInteractive": _s.is_interactive,
    "riskDetail": _s.risk_detail,
    "riskLevelAggregated": _s.risk_level_aggregated,
    "riskLevelDuringSignIn": _s.risk_level_during_sign_in,
    "riskState": _s.risk_state,
    "location/city": _s.city,
    "location/state": _s.state,
    "location/countryOrRegion": _s.country_or_region,
    "deviceDetail/browser": _s.browser,
    "deviceDetail/operatingSystem": _s.operating_system,
    "status/errorCode": _s.error_code,
}


def _id_of(kind: str) -> ColumnElement[Any]:
    """The principal's id for a sign-in of `kind`, "" for the other kind's (as Graph writes)."""
    return case((_s.principal_kind == kind, _s.user_id), else_=literal(""))


# Beta's sign-ins are both kinds': user_id holds either's id (docs/compatibility.md).
BETA_FILTER_COLUMNS = {
    **FILTER_COLUMNS,
    "userId": _id_of(USER.name),
    "servicePrincipalId": _id_of(SERVICE_PRINCIPAL.name),
}


def _hidden(columns: dict[str, ColumnElement[Any]]) -> dict[str, ColumnElement[Any]]:
    """What a LIMITED view filters on: the levels and the detail read `hidden` (domain
    as_seen)."""
    return {
        **columns,
        "riskDetail": literal(RiskDetail.HIDDEN.value),
        "riskLevelAggregated": literal(RiskLevel.HIDDEN.value),
        "riskLevelDuringSignIn": literal(RiskLevel.HIDDEN.value),
    }


# By (service principals' too, the view).
_COLUMNS_OF = {
    (False, View.FULL): FILTER_COLUMNS,
    (False, View.LIMITED): _hidden(FILTER_COLUMNS),
    (True, View.FULL): BETA_FILTER_COLUMNS,
    (True, View.LIMITED): _hidden(BETA_FILTER_COLUMNS),
}
_GET = CompiledSelect(select(*_COLUMNS).where(_s.tenant_id == _TENANT, _s.id == bindparam("id")))
_LOCK = select(*_COLUMNS).where(_s.tenant_id == _TENANT, _s.id.in_(_IDS)).with_for_update()


def _ordering(page: PageRequest) -> Ordering:
    """By createdDateTime then id: newest first unless `$orderby` says ascending."""
    descending = page.descending if page.order_by is not None else True
    return Ordering(SortKey(_s.created_at, datetime), SortKey(_s.id, str), descending=descending)


class SqlSignInLog:
    """domain.sign_in_actions.SignInLog on one connection (the unit of work's)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def list_sign_ins(
        self, tenant_id: str, page: PageRequest, view: View, *, service_principals: bool
    ) -> Page[SignIn]:
        columns = _COLUMNS_OF[service_principals, view]
        scope = _SCOPE if service_principals else _USERS_SCOPE
        listing = Listing(sign_ins, scope, {"tenant": tenant_id}, columns, _ordering(page))
        return list_page(self._connection, listing, page, signins.sign_in_from_row)

    def get_sign_in(
        self, tenant_id: str, sign_in_id: str, *, service_principals: bool
    ) -> SignIn | None:
        if "\x00" in sign_in_id:  # no stored key holds NUL (PostgreSQL refuses it)
            return None
        row = _GET.first(self._connection, {"tenant": tenant_id, "id": sign_in_id})
        if row is None or not (service_principals or row.principal_kind == USER.name):
            return None
        return signins.sign_in_from_row(row)

    def lock_sign_ins(self, tenant_id: str, ids: Sequence[str]) -> dict[str, SignIn]:
        found: dict[str, SignIn] = {}
        for chunk in _chunks(sorted(i for i in ids if "\x00" not in i)):
            for row in self._connection.execute(_LOCK, {"tenant": tenant_id, "ids": chunk}):
                found[row.id] = signins.sign_in_from_row(row)
        return found

    def set_sign_in_risks(self, tenant_id: str, risks: Mapping[str, SignInRisk]) -> None:
        signins.set_sign_in_risks(self._connection, tenant_id, risks)

    def linked_request_ids(self, tenant_id: str, request_ids: Sequence[str]) -> set[str]:
        d = stored(USER).detections.c
        found: set[str] = set()
        for chunk in _chunks(request_ids):
            query = select(d.request_id).where(d.tenant_id == tenant_id, d.request_id.in_(chunk))
            found.update(self._connection.scalars(query.distinct()))
        return found

    def settle_sign_in_detections(
        self,
        tenant_id: str,
        request_ids: Sequence[str],
        *,
        state: RiskState,
        detail: RiskDetail,
        level: RiskLevel | None,
        at: datetime,
    ) -> None:
        table = stored(USER).detections
        d = table.c
        values: dict[str, Any] = {"risk_state": state, "risk_detail": detail, "last_updated_at": at}
        if level is not None:
            values["risk_level"] = level
        for chunk in _chunks(request_ids):
            self._connection.execute(
                update(table)
                .where(d.tenant_id == tenant_id, d.request_id.in_(chunk), d.risk_state.in_(ACTIVE))
                .values(values)
            )


def sign_in_log(store: RiskStore) -> SqlSignInLog:
    """The sign-in log of a unit of work's store (the SQL one: it holds the sign-ins)."""
    assert isinstance(store, SqlRiskStore)
    return SqlSignInLog(store.connection)


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[start : start + _CHUNK] for start in range(0, len(values), _CHUNK)]
