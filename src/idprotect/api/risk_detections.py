"""Operations of the riskDetections collection: list and get."""

from __future__ import annotations

from starlette.responses import Response

from idprotect.api import wire
from idprotect.api.pipeline import Call
from idprotect.api.routing import Operation, Query, Runs
from idprotect.auth.permissions import READ_RISK_EVENTS
from idprotect.domain import detections as service
from idprotect.errors import BadRequest
from idprotect.odata.collections import RISK_DETECTIONS
from idprotect.odata.options import Target


def list_risk_detections(call: Call) -> Response:
    listing, root = call.listing, call.root
    assert listing is not None
    page = service.list_risk_detections(
        call.store, tenant_id=call.principal.tenant_id, page=listing.page
    )
    values = [wire.risk_detection(d, root) for d in page.items]
    return wire.collection(
        root,
        "riskDetections",
        values,
        page=page,
        options=listing.options,
        binding=listing.binding,
        path=call.path,
    )


def count_risk_detections(call: Call) -> Response:
    # Graph declares riskDetections not countable (CSDL Countable=false).
    raise BadRequest("The /$count segment is not supported on riskDetections.")


def get_risk_detection(call: Call) -> Response:
    assert call.options is not None
    detection = service.get_risk_detection(
        call.store, tenant_id=call.principal.tenant_id, detection_id=call.params["detection_id"]
    )
    fields = wire.risk_detection(detection, call.root)
    return wire.entity(call.root, "riskDetections", fields, select=call.options.select)


OPERATIONS = (
    Operation(
        "GET",
        "/riskDetections",
        list_risk_detections,
        Runs.READ,
        READ_RISK_EVENTS,
        query=Query(RISK_DETECTIONS, Target.COLLECTION),
    ),
    Operation(
        "GET",
        "/riskDetections/$count",
        count_risk_detections,
        Runs.LOOP,
        READ_RISK_EVENTS,
        documented=False,
    ),
    Operation(
        "GET",
        "/riskDetections/{detection_id}",
        get_risk_detection,
        Runs.READ,
        READ_RISK_EVENTS,
        query=Query(RISK_DETECTIONS, Target.ENTITY),
    ),
)
