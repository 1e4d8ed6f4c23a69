"""Operations of each kind's detections (riskDetections, servicePrincipalRiskDetections,
agentRiskDetections): list and get, made from the kind's entry in api/kinds.py."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from idprotect.api import wire
from idprotect.api.kinds import API_KINDS, ApiKind
from idprotect.api.pipeline import Call
from idprotect.api.routing import Operation, Query, Runs
from idprotect.auth.permissions import READ_RISK_EVENTS
from idprotect.domain import detections as service
from idprotect.errors import BadRequest
from idprotect.odata.options import Target

Answer = Callable[[Call], Response]


def _listing(api: ApiKind) -> Answer:
    def answer(call: Call) -> Response:
        listing, root = call.listing, call.root
        assert listing is not None
        page = service.list_risk_detections(
            call.store, api.kind, tenant_id=call.principal.tenant_id, page=listing.page
        )
        return wire.collection(
            root,
            api.detections_set,
            [api.detection_fields(d, root) for d in page.items],
            page=page,
            options=listing.options,
            binding=listing.binding,
            path=call.path,
        )

    return answer


def _not_countable(call: Call) -> Response:
    # Graph declares the detection sets not countable (CSDL Countable=false).
    collection = call.path.rsplit("/", 2)[-2]
    raise BadRequest(f"The /$count segment is not supported on {collection}.")


def _getting(api: ApiKind) -> Answer:
    def answer(call: Call) -> Response:
        assert call.options is not None
        detection = service.get_risk_detection(
            call.store,
            api.kind,
            tenant_id=call.principal.tenant_id,
            detection_id=call.params["detection_id"],
        )
        fields = api.detection_fields(detection, call.root)
        return wire.entity(call.root, api.detections_set, fields, select=call.options.select)

    return answer


def operations(api: ApiKind) -> list[Operation]:
    base = f"/{api.detections_set}"
    query = api.detections
    return [
        Operation(
            "GET",
            base,
            _listing(api),
            Runs.READ,
            READ_RISK_EVENTS,
            query=Query(query, Target.COLLECTION),
        ),
        Operation(
            "GET", f"{base}/$count", _not_countable, Runs.LOOP, READ_RISK_EVENTS, documented=False
        ),
        Operation(
            "GET",
            f"{base}/{{detection_id}}",
            _getting(api),
            Runs.READ,
            READ_RISK_EVENTS,
            query=Query(query, Target.ENTITY),
        ),
    ]


def all_operations() -> list[Operation]:
    return [
        operation.under(root, documented=root != "/beta")
        for api in API_KINDS
        for operation in operations(api)
        for root in api.roots
    ]
