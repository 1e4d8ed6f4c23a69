"""A tenant's operations settings in the document (/_admin, not Graph): its throttling and its
fault plan (api/ops.py), their documents from the pydantic models that check them
(ops/config.py)."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from idprotect.api.openapi.common import Paths, admin_operation, json_body, ok
from idprotect.api.openapi.schemas import JsonSchema, ref
from idprotect.api.ops import FAULTS, THROTTLE
from idprotect.ops.config import FaultSpec, ThrottleSpec

_ROOT = "/_admin/tenants/{tenantId}"
_SHOWN_THROTTLE, _SHOWN_FAULTS = "throttleSettings", "faultPlan"


def ops_schemas() -> dict[str, JsonSchema]:
    """The documents as they are set (ThrottleSpec, FaultSpec and their parts), and as GET
    shows them: the throttle with the server's profile, the plan with no rules when none."""
    _, schema = models_json_schema(
        [(ThrottleSpec, "validation"), (FaultSpec, "validation")],
        by_alias=True,
        ref_template="#/components/schemas/{model}",
    )
    definitions: dict[str, JsonSchema] = schema["$defs"]
    throttle, faults = definitions["ThrottleSpec"], definitions["FaultSpec"]
    server = {"type": "string", "description": "The server's profile (`serve --throttle`)."}
    definitions[_SHOWN_THROTTLE] = {
        **throttle,
        "title": "The tenant's throttling",
        "required": [*throttle["required"], "serverProfile"],
        "properties": {**throttle["properties"], "serverProfile": server},
    }
    rules = {
        key: value for key, value in faults["properties"]["rules"].items() if key != "minItems"
    }
    definitions[_SHOWN_FAULTS] = {
        **faults,
        "title": "The tenant's fault plan (no rules: none)",
        "properties": {**faults["properties"], "rules": rules},
    }
    return definitions


def _document(name: str, description: str) -> dict[str, Any]:
    return {"200": {"description": description, **json_body(ref(name))}}


def ops_paths() -> Paths:
    """Its throttle (get, set) and its faults (get, set, clear), never throttled nor failed
    themselves (docs/operations.md)."""
    stored = {"204": {"description": "Stored; this process applies it at once."}}
    return {
        f"{_ROOT}/{THROTTLE}": {
            "get": admin_operation("get_throttle", "The tenant's throttling", body=None,
                responses=ok("Its profile (`default`: the server's).", ref(_SHOWN_THROTTLE))),
            "put": admin_operation("set_throttle", "Set the tenant's throttling",
                body=ref("ThrottleSpec"), responses=stored),
        },
        f"{_ROOT}/{FAULTS}": {
            "get": admin_operation("get_faults", "The tenant's fault plan", body=None,
                responses=_document(_SHOWN_FAULTS, "Its plan, or no rules.")),
            "put": admin_operation("set_faults", "Set the tenant's fault plan",
                body=ref("FaultSpec"),
                responses=_document("FaultSpec", "The plan, with its seed (drawn if none "
                                    "was given), to replay it.")),
            "delete": admin_operation("clear_faults", "Remove the tenant's fault plan",
                body=None, responses={"204": {"description": "Removed."}}),
        },
    }  # fmt: skip
