"""The Graph operations of one version, made from each principal kind's entry (api/kinds.py)
alike: its risky principals (list, count, get, the kind's actions), their history where the
kind has one, and its detections, with the query options each accepts; then $batch.

Names come from the entry: the operation `list_risky_service_principals_v1_0`, the path
parameter `riskyServicePrincipal-id`, the schema `microsoft.graph.riskyServicePrincipal`.
"""

from __future__ import annotations

from dataclasses import dataclass

from idprotect.api.kinds import API_KINDS, LEGACY_BETA, ApiKind
from idprotect.api.openapi.batch import batch_operation
from idprotect.api.openapi.common import (
    Operation,
    Paths,
    a,
    graph_operation,
    json_body,
    ok,
    operation_id,
    path_id,
    singular,
    snake,
)
from idprotect.api.openapi.entities import entity_response, schema_name
from idprotect.api.openapi.options import Parameter, entity_options, filter_option, list_options
from idprotect.api.openapi.schemas import GRAPH, JsonSchema, collection_response, ref
from idprotect.auth.permissions import READ_RISK_EVENTS, Requirement
from idprotect.domain.kinds import MAX_ACTION_IDS
from idprotect.domain.transitions import AdminAction
from idprotect.odata.collections import Collection

VERSIONS = ("v1.0", "beta")
_FIRST = "$response.body#/value/0/id"
_ACTIONS = {
    "dismiss": "Dismiss the risk of {}",
    "confirmCompromised": "Confirm {} compromised",
    "confirmSafe": "Confirm {} safe",
}


def _id_name(collection: Collection) -> str:
    """The path parameter of one item of `collection`: riskyUser-id."""
    return f"{collection.entity_type.removeprefix(GRAPH)}-id"


@dataclass(frozen=True, slots=True)
class _Reads:
    """The reads of one collection on one version."""

    version: str
    requirement: Requirement
    collection: Collection
    within: tuple[Parameter, ...] = ()  # the path parameters of what holds it

    @property
    def schema(self) -> str:
        return schema_name(self.collection.entity_type, self.version)

    def listing(self, name: str, *, summary: str, text: str) -> Operation:
        return graph_operation(
            self.version,
            name,
            summary,
            self.requirement,
            parameters=[*self.within, *list_options(self.collection, self.version)],
            responses=ok(text, collection_response(self.schema)),
            extra=(404,) if self.within else (),
        )

    def counting(self, name: str, *, summary: str) -> Operation:
        number = json_body({"type": "string", "pattern": "^[0-9]+$"}, "text/plain")
        return graph_operation(
            self.version,
            name,
            summary,
            self.requirement,
            parameters=[filter_option(self.collection)],
            responses={"200": {"description": "The number, as text.", **number}},
        )

    def getting(self, name: str, item: Parameter, *, summary: str, text: str) -> Operation:
        return graph_operation(
            self.version,
            name,
            summary,
            self.requirement,
            parameters=[*self.within, item, *entity_options(self.collection, self.version)],
            responses=ok(text, entity_response(self.schema)),
            extra=(404,),
        )


def graph_paths(version: str) -> Paths:
    """Every kind's operations that `version` serves, then $batch."""
    root = f"/{version}/identityProtection"
    paths: Paths = {}
    for api in API_KINDS:
        if root in api.roots:
            paths.update(_principal_paths(api, version))
            paths.update(_detection_paths(api, version))
    paths[f"/{version}/$batch"] = {"post": batch_operation(version)}
    return paths


def kind_text(api: ApiKind) -> str:
    """What the kind serves, and where, in words: a line of the document's description."""
    versions = [root.split("/")[1] for root in api.roots if root.endswith("/identityProtection")]
    served = " and ".join(f"`/{version}`" for version in versions)
    history = ", their history" if api.history is not None else ""
    actions = " / ".join(action.name for action in api.kind.actions)
    legacy = ""
    if LEGACY_BETA in api.roots:
        legacy = f" (beta also answers on its legacy root paths, `/beta/{api.set_name}...`)"
    return (
        f"- risky {api.kind.plural}{history}, {api.detections_set} and the {actions} actions, "
        f"on {served}{legacy}"
    )


def _principal_paths(api: ApiKind, version: str) -> Paths:
    base = f"/{version}/identityProtection/{api.set_name}"
    plural, whose = api.kind.plural, singular(api)
    reads, one = _Reads(version, api.read, api.principals), snake(api.kind.entity)
    key = path_id(_id_name(api.principals), f"The {whose}'s object id.")
    listing = reads.listing(
        f"list_{snake(api.set_name)}",
        summary=f"List risky {plural}",
        text=f"A page of risky {plural}.",
    )
    paths: Paths = {
        base: {"get": listing},
        f"{base}/$count": {
            "get": reads.counting(f"count_{snake(api.set_name)}", summary=f"Count risky {plural}")
        },
        f"{base}/{{{key['name']}}}": {
            "get": reads.getting(
                f"get_{one}", key, summary=f"Get a risky {whose}", text=f"The risky {whose}."
            )
        },
    }
    paths.update({f"{base}/{x.name}": {"post": _action(api, x, version)} for x in api.kind.actions})
    follow = [f"get_{one}"]
    if api.history is not None:
        paths.update(_history_paths(api, version, principal=f"{base}/{{{key['name']}}}", key=key))
        follow.append(f"list_{one}_history")
    _link(version, listing, {key["name"]: _FIRST}, *follow)
    return paths


def _history_paths(api: ApiKind, version: str, *, principal: str, key: Parameter) -> Paths:
    """The history of the principal at `principal`, whose id is the path parameter `key`."""
    assert api.history is not None
    one, whose = snake(api.kind.entity), singular(api)
    reads = _Reads(version, api.read, api.history, within=(key,))
    item = path_id(_id_name(api.history), "The history item's id.")
    listing = reads.listing(
        f"list_{one}_history",
        summary=f"List a risky {whose}'s history",
        text="A page of history items, newest first.",
    )
    from_request = {key["name"]: f"$request.path.{key['name']}", item["name"]: _FIRST}
    _link(version, listing, from_request, f"get_{one}_history_item")
    getting = reads.getting(
        f"get_{one}_history_item",
        item,
        summary=f"Get a history item of a risky {whose}",
        text="The history item.",
    )
    return {
        f"{principal}/history": {"get": listing},
        f"{principal}/history/{{{item['name']}}}": {"get": getting},
    }


def _detection_paths(api: ApiKind, version: str) -> Paths:
    base, whose = f"/{version}/identityProtection/{api.detections_set}", singular(api)
    reads = _Reads(version, READ_RISK_EVENTS, api.detections)
    one = snake(api.detections.entity_type.removeprefix(GRAPH))
    key = path_id(_id_name(api.detections), "The detection's id.")
    listing = reads.listing(
        f"list_{snake(api.detections_set)}",
        summary=f"List {whose} risk detections",
        text="A page of detections, newest first.",
    )
    _link(version, listing, {key["name"]: _FIRST}, f"get_{one}")
    getting = reads.getting(
        f"get_{one}", key, summary=f"Get {a(whose)}'s risk detection", text="The detection."
    )
    return {base: {"get": listing}, f"{base}/{{{key['name']}}}": {"get": getting}}


def _action(api: ApiKind, action: AdminAction, version: str) -> Operation:
    return graph_operation(
        version,
        f"{snake(action.name)}_{snake(api.set_name)}",
        _ACTIONS[action.name].format(api.kind.plural),
        api.write,
        description=(
            f"Sets each one's riskState `{action.state}`, riskLevel `{action.level}` and "
            f"riskDetail `{action.detail}`."
        ),
        requestBody={"required": True, **json_body(ref(action_body_name(api)))},
        responses={"204": {"description": "Applied and stored."}},
    )


def action_body_name(api: ApiKind) -> str:
    """microsoft.graph.userIdsBody."""
    return f"{GRAPH}{api.kind.ids_field}Body"


def action_bodies() -> dict[str, JsonSchema]:
    """Each kind's actions' body: its ids field (userIds), at most MAX_ACTION_IDS of them."""
    return {
        action_body_name(api): {
            "type": "object",
            "required": [api.kind.ids_field],
            "properties": {
                api.kind.ids_field: {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_ACTION_IDS,
                    "items": {"type": "string", "pattern": r"\S"},
                    "description": f"Ids of risky {api.kind.plural}. Ids never seen are "
                    "ignored (see strict mode).",
                }
            },
            "patternProperties": {"^@": {}},
            "additionalProperties": False,
        }
        for api in API_KINDS
    }


def _link(version: str, operation: Operation, parameters: dict[str, str], *names: str) -> None:
    """OpenAPI links from a list's first item to the operations that read it further."""
    operation["responses"]["200"]["links"] = {
        name: {"operationId": operation_id(name, version), "parameters": parameters}
        for name in names
    }
