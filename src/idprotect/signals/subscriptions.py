"""Graph-style subscriptions (an idprotect extension: Graph has none for Identity Protection):
the rules of Graph's subscription contract for the resources signals/events.py can report, and
of its lifecycle (how long a subscription's authorization lasts, when it is reminded)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from idprotect.errors import BadRequest
from idprotect.signals.endpoints import receiver_url
from idprotect.signals.events import RESOURCES
from idprotect.signals.rich import certificate_id, recipient
from idprotect.signals.streams import WEBHOOK, Stream

# The longest a subscription lives before it must be renewed (PATCH expirationDateTime): Graph's
# own limit for directory resources is under three days.
MAX_LIFETIME = timedelta(minutes=4230)
CHANGE_TYPES = {
    "identityProtection/riskyUsers": ("created", "updated"),
    "identityProtection/riskDetections": ("created",),
}
MAX_CLIENT_STATE = 128
UPDATABLE = (
    "expirationDateTime",
    "notificationUrl",
    "encryptionCertificate",
    "encryptionCertificateId",
)
# Kept in the configuration, never shown: the API version (v1.0, beta) the subscription was
# created on, whose representation of the resource its rich notifications carry.
API_VERSION = "_version"
# reauthorizationRequired: the first when a quarter of what is left of the subscription's
# authorization (or of its life, if that ends first), at most an hour, remains; then every
# fifteen minutes until it is reauthorized or ends (docs/signals.md).
REMINDER_LEAD = timedelta(hours=1)
REMINDER_EVERY = timedelta(minutes=15)
TLS_VERSIONS = ("v1_0", "v1_1", "v1_2", "v1_3")


def resource_of(value: object) -> str:
    resource = str(value or "").strip("/")
    if resource not in RESOURCES:
        raise BadRequest(
            f"Subscriptions are offered for {' and '.join(RESOURCES)}; not for '{value}'."
        )
    return resource


def change_types(value: object, resource: str) -> str:
    allowed = CHANGE_TYPES[resource]
    given = [t.strip() for t in str(value or "").split(",") if t.strip()]
    wrong = [t for t in given if t not in allowed]
    if not given or wrong:
        raise BadRequest(
            f"changeType for '{resource}' must be one or more of {', '.join(allowed)}."
        )
    return ",".join(dict.fromkeys(given))


def expiration(value: object, now: datetime) -> datetime:
    """An expirationDateTime in the future, at most MAX_LIFETIME away."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise BadRequest("expirationDateTime must be an ISO 8601 date and time.") from None
    if moment.tzinfo is None:
        raise BadRequest("expirationDateTime must name its offset (Z for UTC).")
    if moment <= now:
        raise BadRequest("expirationDateTime must be in the future.")
    if moment > now + MAX_LIFETIME:
        raise BadRequest(
            f"expirationDateTime must be at most {int(MAX_LIFETIME.total_seconds() // 60)} "
            "minutes from now."
        )
    return moment


def tls_version(value: object) -> str:
    """Graph's latestSupportedTlsVersion: v1_0 to v1_3, v1_2 when not given."""
    if value is None:
        return "v1_2"
    if value not in TLS_VERSIONS:
        raise BadRequest(f"latestSupportedTlsVersion must be one of {', '.join(TLS_VERSIONS)}.")
    return str(value)


def client_state(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_CLIENT_STATE:
        raise BadRequest(f"clientState must be a string of at most {MAX_CLIENT_STATE} characters.")
    return value


def rich(body: dict[str, Any]) -> dict[str, Any]:
    """includeResourceData, and the certificate (and its id) that rich notifications need."""
    include = body.get("includeResourceData", False)
    if include is None or include is False:
        return {"includeResourceData": False}
    if include is not True:
        raise BadRequest("includeResourceData must be true or false.")
    certificate = body.get("encryptionCertificate")
    recipient(certificate)  # BadRequest unless a certificate with an RSA key
    return {
        "includeResourceData": True,
        "encryptionCertificate": certificate,
        "encryptionCertificateId": certificate_id(body.get("encryptionCertificateId")),
    }


def new_subscription(
    body: dict[str, Any], *, tenant_id: str, creator: dict[str, str | None], version: str,
    until: datetime | None, now: datetime, allowed_hosts: Sequence[str] = (),
) -> Stream:  # fmt: skip
    """A subscription from Graph's request body on API `version`, authorized until `until`
    (the caller's token expires); its URLs (on `allowed_hosts`, any when empty) answer the
    validation request, which the caller sends."""
    resource = resource_of(body.get("resource"))
    lifecycle = body.get("lifecycleNotificationUrl")
    config = {
        "resource": resource,
        "changeType": change_types(body.get("changeType"), resource),
        "notificationUrl": receiver_url(
            body.get("notificationUrl"), "notificationUrl", allowed_hosts
        ),
        "lifecycleNotificationUrl": receiver_url(
            lifecycle, "lifecycleNotificationUrl", allowed_hosts
        )
        if lifecycle
        else None,
        "clientState": client_state(body.get("clientState")),
        "latestSupportedTlsVersion": tls_version(body.get("latestSupportedTlsVersion")),
        **rich(body),
        **creator,
        API_VERSION: version,
    }
    expires = expiration(body.get("expirationDateTime"), now)
    stream = Stream(
        str(uuid.uuid4()), tenant_id, WEBHOOK, "enabled", config, now, expires_at=expires
    )
    return authorized(stream, until=until, now=now)


def authorized(stream: Stream, *, until: datetime | None, now: datetime) -> Stream:
    """The subscription authorized (created, renewed or reauthorized) by a caller whose token
    expires at `until` (None: never): its notifications are authorized until then, and its
    reauthorizationRequired reminders start again. One without a lifecycleNotificationUrl cannot
    be reminded: its authorization does not end."""
    if not stream.config.get("lifecycleNotificationUrl"):
        return replace(stream, authorized_until=None, reauthorize_at=None)
    ends = _ends(stream, until)
    lead = min(REMINDER_LEAD, max(ends - now, timedelta(0)) / 4)
    return replace(stream, authorized_until=until, reauthorize_at=ends - lead)


def reminded(stream: Stream, now: datetime) -> Stream:
    """After a reauthorizationRequired notification: the next is due, unless the end is first."""
    following = now + REMINDER_EVERY
    ends = _ends(stream, stream.authorized_until)
    return replace(stream, reauthorize_at=following if following < ends else None)


def _ends(stream: Stream, until: datetime | None) -> datetime:
    """Whichever comes first: the end of the authorization, or the subscription's expiry."""
    assert stream.expires_at is not None  # a subscription always has one
    return stream.expires_at if until is None else min(until, stream.expires_at)


def renewed(
    stream: Stream, body: dict[str, Any], now: datetime, allowed_hosts: Sequence[str] = ()
) -> Stream:
    """PATCH: a new expirationDateTime (and notificationUrl; a rich subscription's certificate,
    rotated); anything else is refused."""
    unknown = sorted(set(body) - set(UPDATABLE))
    if unknown:
        raise BadRequest(f"Only {', '.join(UPDATABLE)} can be updated, not {unknown[0]}.")
    config = dict(stream.config)
    if "notificationUrl" in body:
        url = body["notificationUrl"]
        config["notificationUrl"] = receiver_url(url, "notificationUrl", allowed_hosts)
    if "encryptionCertificate" in body or "encryptionCertificateId" in body:
        if not config.get("includeResourceData"):
            raise BadRequest("Only a subscription with includeResourceData has a certificate.")
        config.update(rich({**config, **body}))
    expires = (
        expiration(body.get("expirationDateTime"), now)
        if "expirationDateTime" in body
        else stream.expires_at
    )
    return replace(stream, config=config, expires_at=expires)
