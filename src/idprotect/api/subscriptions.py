"""Graph-style change notifications for Identity Protection (an idprotect extension):
`/subscriptions` on v1.0 and beta, with Graph's subscription contract: the notificationUrl
validation handshake, clientState, expirationDateTime and renewal, reauthorization (the
`reauthorize` action), lifecycle notifications."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, cast

import httpx
from starlette.responses import Response

from idprotect.api import deps
from idprotect.api.pipeline import Call
from idprotect.api.routing import Operation, Runs
from idprotect.api.wire import graph_datetime, odata_response
from idprotect.auth.permissions import READ_RISK_EVENTS, READ_RISKY_USERS, authorize
from idprotect.errors import BadRequest
from idprotect.signals import service
from idprotect.signals.streams import Stream
from idprotect.signals.subscriptions import new_subscription, resource_of

_TEXT = {"Content-Type": "text/plain; charset=utf-8"}
# Graph gives a notification URL ten seconds to answer its validation request.
VALIDATION_SECONDS = 10.0
RESOURCE_READS = {
    "identityProtection/riskyUsers": READ_RISKY_USERS,
    "identityProtection/riskDetections": READ_RISK_EVENTS,
}


def subscription_view(stream: Stream, call: Call, *, entity: bool = True) -> dict[str, Any]:
    config = stream.config
    expires = graph_datetime(stream.expires_at) if stream.expires_at else None
    view: dict[str, Any] = {
        "id": stream.id,
        "resource": config["resource"],
        "applicationId": config.get("applicationId"),
        "changeType": config["changeType"],
        "clientState": config.get("clientState"),
        "notificationUrl": config["notificationUrl"],
        "notificationQueryOptions": None,
        "lifecycleNotificationUrl": config.get("lifecycleNotificationUrl"),
        "expirationDateTime": expires,
        "creatorId": config.get("creatorId"),
        "includeResourceData": bool(config.get("includeResourceData")),
        "latestSupportedTlsVersion": config.get("latestSupportedTlsVersion"),
        "encryptionCertificate": config.get("encryptionCertificate"),
        "encryptionCertificateId": config.get("encryptionCertificateId"),
        "notificationUrlAppId": None,
    }
    if entity:
        context = f"{call.root.base_url}/{call.root.version}/$metadata#subscriptions/$entity"
        view = {"@odata.context": context, **view}
    return view


def _body(call: Call) -> dict[str, Any]:
    body = deps.json_body(call.scope, call.body)
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


def _creating(call: Call) -> Stream:
    """The subscription the body asks for, once the caller may read its resource."""
    body = _body(call)
    authorize(call.principal, RESOURCE_READS[resource_of(body.get("resource"))])
    creator = {"applicationId": call.principal.app_id, "creatorId": call.principal.object_id}
    return new_subscription(
        body, tenant_id=call.principal.tenant_id, creator=creator, version=call.root.version,
        until=call.principal.expires_at, now=call.services.clock(),
        allowed_hosts=call.services.settings.signals_allowed_hosts,
    )  # fmt: skip


async def create_subscription(call: Call) -> Response:
    stream = call.input
    assert isinstance(stream, Stream)
    await _validate(stream.config["notificationUrl"])
    if stream.config.get("lifecycleNotificationUrl"):
        await _validate(stream.config["lifecycleNotificationUrl"])
    database = call.services.database
    await deps.write(database, lambda store: service.add_subscription(_connection(store), stream))
    response = odata_response(subscription_view(stream, call))
    response.status_code = 201
    return response


async def _validate(url: str) -> None:
    """Graph's handshake: POST `?validationToken=…`; the URL answers 200 with the token."""
    token = secrets.token_urlsafe(24)
    try:
        async with httpx.AsyncClient(timeout=VALIDATION_SECONDS) as client:
            answer = await client.post(
                url, params={"validationToken": token}, content=b"", headers=_TEXT
            )
    except (httpx.HTTPError, httpx.InvalidURL, ValueError):  # ValueError: a name IDNA refuses
        raise BadRequest(f"Subscription validation request failed. Notification endpoint "
                         f"'{url}' could not be reached.") from None  # fmt: skip
    if answer.status_code != 200 or answer.text != token:
        raise BadRequest(
            f"Subscription validation request failed. Notification endpoint '{url}' must "
            "respond with 200 OK and the validation token in the body."
        )


def _connection(store: object) -> Any:
    return cast(Any, store).connection


def _find(call: Call) -> Stream:
    connection, tenant_id = _connection(call.store), call.principal.tenant_id
    return service.find_subscription(connection, tenant_id, call.params["subscription_id"])


def _authorizing(call: Call) -> Stream:
    """The subscription a caller renews or reauthorizes: it must still read its resource."""
    stream = _find(call)
    authorize(call.principal, RESOURCE_READS[stream.config["resource"]])
    return stream


def list_subscriptions(call: Call) -> Response:
    found = service.list_subscriptions(_connection(call.store), call.principal.tenant_id)
    context = f"{call.root.base_url}/{call.root.version}/$metadata#subscriptions"
    value = [subscription_view(s, call, entity=False) for s in found]
    return odata_response({"@odata.context": context, "value": value})


def get_subscription(call: Call) -> Response:
    return odata_response(subscription_view(_find(call), call))


def update_subscription(call: Call) -> Response:
    """Renews (and reauthorizes, as Graph's does) the subscription."""
    stream = _authorizing(call)
    renewed = service.renew_subscription(
        _connection(call.store), call.principal.tenant_id, stream.id, _body(call),
        until=call.principal.expires_at, now=call.services.clock(),
        allowed_hosts=call.services.settings.signals_allowed_hosts,
    )  # fmt: skip
    return odata_response(subscription_view(renewed, call))


def reauthorize_subscription(call: Call) -> Response:
    """Graph's reauthorize action, the answer to a reauthorizationRequired notification."""
    stream = _authorizing(call)
    service.reauthorize_subscription(
        _connection(call.store), call.principal.tenant_id, stream.id,
        until=call.principal.expires_at, now=call.services.clock(),
    )  # fmt: skip
    return Response(status_code=204)


def delete_subscription(call: Call) -> Response:
    connection, tenant_id = _connection(call.store), call.principal.tenant_id
    service.delete_subscription(connection, tenant_id, call.params["subscription_id"])
    return Response(status_code=204)


def _operations(root: str) -> list[Operation]:
    one = f"{root}/subscriptions/{{subscription_id}}"
    op: Callable[..., Operation] = Operation
    return [
        op("POST", f"{root}/subscriptions", create_subscription, Runs.LOOP, prepare=_creating),
        op("GET", f"{root}/subscriptions", list_subscriptions, Runs.READ),
        op("GET", one, get_subscription, Runs.READ),
        op("PATCH", one, update_subscription, Runs.WRITE),
        op("DELETE", one, delete_subscription, Runs.WRITE),
        op("POST", f"{one}/reauthorize", reauthorize_subscription, Runs.WRITE),
    ]  # fmt: skip


OPERATIONS = (*_operations("/v1.0"), *_operations("/beta"))
