"""The `/_admin` routes of the risk engine: sign-ins in, and the tenant's threat lists."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, cast

from pydantic import AfterValidator, BaseModel, Field
from starlette.responses import Response

from idprotect.api.admin import _admin, _body, _input, _json
from idprotect.api.kinds import SERVICE_PRINCIPALS, USERS
from idprotect.api.pipeline import Call
from idprotect.engine.ingest import MAX_SIGN_INS, SignInStore, ingest_sign_ins
from idprotect.errors import NotFound
from idprotect.sign_in_events import SignInEvent, network, sha1

# A JSON body is 32 MiB at most; a list is as long as that allows.
_LIST_MAX = 500_000


class SignInBatch(BaseModel):
    value: list[SignInEvent] = Field(min_length=1, max_length=MAX_SIGN_INS)


class ThreatList(StrEnum):
    ANONYMIZER = "anonymizer"
    MALICIOUS = "malicious"


class Networks(BaseModel):
    """Addresses and CIDR ranges, IPv4 or IPv6."""

    value: list[Annotated[str, AfterValidator(network)]] = Field(max_length=_LIST_MAX)


class Credentials(BaseModel):
    """SHA-1 digests of breached credentials (40 hex digits each)."""

    value: list[Annotated[str, AfterValidator(sha1)]] = Field(min_length=1, max_length=_LIST_MAX)


def _store(call: Call) -> SignInStore:
    """The request's store, which is SQL's: it keeps sign-ins and threat lists too."""
    return cast(SignInStore, call.store)


def add_sign_ins(call: Call) -> Response:
    """Ingest sign-ins (`{"value": [...]}`, at most 1,000): the engine runs over them; answers
    how many were new and the detections as Graph shows them: users' riskDetections and
    servicePrincipalRiskDetections."""
    tenant_id, batch = _input(call, SignInBatch)
    done = ingest_sign_ins(
        _store(call),
        tenant_id=tenant_id,
        sign_ins=[event.to_domain() for event in batch.value],
        settings=call.services.settings.engine_settings(),
    )
    found = {
        api.detections_set: [
            api.detection_fields(d, call.root)
            for d in done.detections
            if isinstance(d, api.kind.detection_type)
        ]
        for api in (USERS, SERVICE_PRINCIPALS)
    }
    return _json(
        {
            "received": done.received,
            "ingested": done.ingested,
            "detections": found[USERS.detections_set],
            SERVICE_PRINCIPALS.detections_set: found[SERVICE_PRINCIPALS.detections_set],
        }
    )


def _list_name(call: Call) -> ThreatList:
    name = call.params["list"]
    try:
        return ThreatList(name)
    except ValueError:
        raise NotFound(
            f"There is no threat list '{name}'; there are anonymizer and malicious."
        ) from None


def _prepare_list(call: Call) -> tuple[str, Networks]:
    _list_name(call)
    return _body(Networks)(call)


def replace_threat_list(call: Call) -> Response:
    """The tenant's list becomes the given networks (an empty list empties it)."""
    tenant_id, networks = _input(call, Networks)
    name = _list_name(call).value
    count = _store(call).replace_ip_list(tenant_id, name, networks.value)
    return _json({"list": name, "count": count})


def add_leaked_credentials(call: Call) -> Response:
    """Add SHA-1 digests to the tenant's breach corpus."""
    tenant_id, credentials = _input(call, Credentials)
    count = _store(call).add_leaked_credentials(tenant_id, credentials.value)
    return _json({"added": count})


OPERATIONS = (
    _admin("POST", "/signIns", add_sign_ins, prepare=_body(SignInBatch)),
    _admin("PUT", "/threatLists/{list}", replace_threat_list, prepare=_prepare_list),
    _admin("POST", "/leakedCredentials", add_leaked_credentials, prepare=_body(Credentials)),
)
