"""Routes of the riskDetections collection: list and get."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from idprotect.api import wire
from idprotect.api.deps import Db, RiskDetectionOptions, RiskDetectionsList, Root, require
from idprotect.auth.permissions import READ_RISK_EVENTS
from idprotect.auth.principal import Principal
from idprotect.domain import detections as service
from idprotect.errors import BadRequest

router = APIRouter()

Reader = Annotated[Principal, Depends(require(READ_RISK_EVENTS))]


@router.get("/riskDetections")
def list_risk_detections(
    request: Request, caller: Reader, root: Root, query: RiskDetectionsList, db: Db
) -> Response:
    with db.unit_of_work() as store:
        page = service.list_risk_detections(store, tenant_id=caller.tenant_id, page=query.page)
    values = [wire.risk_detection(d, root) for d in page.items]
    return wire.collection(
        root,
        "riskDetections",
        values,
        page=page,
        options=query.options,
        binding=query.binding,
        path=request.url.path,
    )


@router.get("/riskDetections/$count", include_in_schema=False)
def count_risk_detections(caller: Reader) -> Response:
    # Graph declares riskDetections not countable (CSDL Countable=false).
    raise BadRequest("The /$count segment is not supported on riskDetections.")


@router.get("/riskDetections/{detection_id}")
def get_risk_detection(
    detection_id: str, caller: Reader, root: Root, options: RiskDetectionOptions, db: Db
) -> Response:
    with db.unit_of_work() as store:
        detection = service.get_risk_detection(
            store, tenant_id=caller.tenant_id, detection_id=detection_id
        )
    fields = wire.risk_detection(detection, root)
    return wire.entity(root, "riskDetections", fields, select=options.select)
