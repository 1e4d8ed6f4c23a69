"""Routes of the riskDetections collection: list and get."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from idprotect.api import wire
from idprotect.api.deps import AppSettings, CollectionOptions, Db, EntityOptions, Root, require
from idprotect.auth.permissions import READ_RISK_EVENTS
from idprotect.auth.principal import Principal
from idprotect.domain import detections as service

router = APIRouter()

Reader = Annotated[Principal, Depends(require(READ_RISK_EVENTS))]


@router.get("/riskDetections")
def list_risk_detections(
    request: Request,
    caller: Reader,
    root: Root,
    options: CollectionOptions,
    db: Db,
    settings: AppSettings,
) -> Response:
    with db.unit_of_work() as store:
        page = service.list_risk_detections(
            store,
            tenant_id=caller.tenant_id,
            page=options.page(settings.default_page_size, scope=caller.tenant_id),
        )
    values = [wire.risk_detection(d, root) for d in page.items]
    return wire.collection(
        root,
        "riskDetections",
        values,
        page=page,
        options=options,
        path=request.url.path,
        scope=caller.tenant_id,
    )


@router.get("/riskDetections/{detection_id}")
def get_risk_detection(
    detection_id: str, caller: Reader, root: Root, _: EntityOptions, db: Db
) -> Response:
    with db.unit_of_work() as store:
        detection = service.get_risk_detection(
            store, tenant_id=caller.tenant_id, detection_id=detection_id
        )
    return wire.entity(root, "riskDetections/$entity", wire.risk_detection(detection, root))
