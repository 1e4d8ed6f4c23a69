"""JSON batching through msgraph-core's batch support, on `/v1.0/$batch` and `/beta/$batch`: items
built by the SDKs' request builders, sent by its BatchRequestBuilder, answers read back with
BatchResponseContent."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.serialization import ParseNode, SerializationWriter
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem
from msgraph_core.requests.batch_response_content import BatchResponseContent
from msgraph_core.requests.batch_response_item import BatchResponseItem
from msgraph_core.tasks.page_iterator import PageIterator

from tests.compat.conftest import Tenant
from tests.compat.loop import Loop
from tests.compat.versions import Sdk, signed_in_sdk

pytestmark = pytest.mark.slow  # a server process


class Item(BatchRequestItem):
    """msgraph-core 1.5.2 writes an item's dependencies as `depends_on`
    (BatchRequestItem.serialize), a key Graph does not read, so `dependsOn` never
    reaches the service (microsoftgraph/msgraph-sdk-python-core#996). This writes it again under
    Graph's name."""

    def serialize(self, writer: SerializationWriter) -> None:
        super().serialize(writer)
        writer.write_collection_of_primitive_values("dependsOn", self.depends_on)


@pytest.fixture(autouse=True)
def _json_bodies_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """BatchResponseItem reads each response's `body` with JsonParseNode.get_bytes_value(),
    which (kiota-serialization-json 1.16) answers None for anything but a base64 string, so
    every JSON body Graph sends is dropped and BatchResponseContent.response_body() cannot
    parse it (microsoft/kiota-python#737). This keeps the body as its JSON bytes, which is what
    response_body() decodes; a base64 string is still read by the SDK alone."""
    read_fields = BatchResponseItem.get_field_deserializers

    def fields(item: BatchResponseItem) -> dict[str, Callable[[ParseNode], None]]:
        deserializers = read_fields(item)
        read_body = deserializers["body"]

        def body(node: ParseNode) -> None:
            read_body(node)  # the SDK's own reading: a base64 string decoded, JSON dropped
            raw = node._json_node  # type: ignore[attr-defined]  # as the SDK reads `headers`
            if item.body is None and raw is not None:
                setattr(item, "body", json.dumps(raw).encode())  # noqa: B010  # typed BytesIO

        return {**deserializers, "body": body}

    monkeypatch.setattr(BatchResponseItem, "get_field_deserializers", fields)


@pytest.fixture(params=["v1.0", "beta"])
def api(request: pytest.FixtureRequest, tenant: Tenant, loop: Loop) -> Sdk:
    return signed_in_sdk(request.param, tenant, loop)


def _send(api: Sdk, loop: Loop, *items: Item) -> BatchResponseContent:
    content = BatchRequestContent({item.id: item for item in items})
    answer = loop.run(api.batch.post(content))
    assert isinstance(answer, BatchResponseContent)
    return answer


def test_dismiss_then_reads_depending_on_it(tenant: Tenant, api: Sdk, loop: Loop):
    acted, untouched = tenant.add_risky_users(2)
    risky_users = api.risky_users
    dismissed_only = RequestConfiguration(
        query_parameters=api.risky_users_query(
            filter="riskState eq 'dismissed'", select=["id", "riskState"]
        )
    )
    dismiss = Item(
        risky_users.dismiss.to_post_request_information(api.dismiss_body(user_ids=[acted])),
        id="dismiss",
    )
    read = Item(
        risky_users.by_risky_user_id(acted).to_get_request_information(),
        id="read",
        depends_on=[dismiss],
    )
    listed = Item(
        risky_users.to_get_request_information(dismissed_only), id="list", depends_on=["dismiss"]
    )

    answer = _send(api, loop, dismiss, read, listed)

    assert answer.get_response_status_codes() == {"dismiss": 204, "read": 200, "list": 200}
    done = answer.get_response_by_id("dismiss")
    assert isinstance(done, BatchResponseItem)
    assert done.body is None  # a 204 has no body
    user = answer.response_body("read", api.risky_user)
    assert isinstance(user, api.risky_user)
    assert (user.id, user.risk_state.value, user.risk_detail.value) == (
        acted,
        "dismissed",
        "adminDismissedAllRiskForUser",
    )
    page = answer.get_response_by_id("list", api.risky_user_collection)
    assert [(u.id, u.risk_state.value, u.risk_level) for u in page.value] == [
        (acted, "dismissed", None)  # riskLevel was not selected
    ]
    other = loop.run(risky_users.by_risky_user_id(untouched).get())
    assert other.risk_state.value == "atRisk"


def test_failing_request_answers_in_its_item_and_stops_its_dependents(
    tenant: Tenant, api: Sdk, loop: Loop
):
    (user_id,) = tenant.add_risky_users(1)
    unknown = str(uuid.uuid4())
    risky_users = api.risky_users
    missing = Item(risky_users.by_risky_user_id(unknown).to_get_request_information(), id="1")
    blocked = Item(
        risky_users.dismiss.to_post_request_information(api.dismiss_body(user_ids=[user_id])),
        id="2",
        depends_on=["1"],
    )
    independent = Item(risky_users.by_risky_user_id(user_id).to_get_request_information(), id="3")

    answer = _send(api, loop, missing, blocked, independent)

    assert answer.get_response_status_codes() == {"1": 404, "2": 424, "3": 200}
    not_found = answer.response_body("1", api.odata_error)
    assert not_found.error.code == "NotFound"
    assert unknown in not_found.error.message
    failed = answer.response_body("2", api.odata_error)
    assert failed.error.code == "FailedDependency"
    read = answer.response_body("3", api.risky_user)
    assert read.risk_state.value == "atRisk"
    # The dismissal never ran: a request of its own still finds the user at risk.
    after = loop.run(risky_users.by_risky_user_id(user_id).get())
    assert after.risk_state.value == "atRisk"
    history = loop.run(risky_users.by_risky_user_id(user_id).history.get())
    assert len(history.value) == 1


def test_item_headers_are_the_inner_responses(tenant: Tenant, api: Sdk, loop: Loop):
    (user_id,) = tenant.add_risky_users(1)
    item = Item(api.risky_users.by_risky_user_id(user_id).to_get_request_information(), id="a")

    answer = _send(api, loop, item)

    response = answer.get_response_by_id("a")
    assert isinstance(response, BatchResponseItem)
    assert response.headers is not None
    assert response.headers["OData-Version"] == "4.0"
    assert response.content_type is not None
    assert response.content_type.startswith("application/json;odata.metadata=minimal")
    body = json.loads(answer.get_response_stream_by_id("a").read())  # type: ignore[union-attr]
    version = api.version
    assert body["@odata.context"].endswith(
        f"/{version}/$metadata#identityProtection/riskyUsers/$entity"
    )


def test_next_page_requested_inside_a_batch(tenant: Tenant, api: Sdk, loop: Loop):
    seeded = tenant.add_risky_users(5)
    risky_users = api.risky_users
    adapter = api.client.request_adapter
    first_page = RequestConfiguration(query_parameters=api.risky_users_query(top=2))
    first = loop.run(risky_users.get(request_configuration=first_page))
    item = Item(risky_users.with_url(first.odata_next_link).to_get_request_information(), id="p2")
    # A builder made with_url() keeps the nextLink whole, and BatchRequestItem keeps the URL it
    # is given; its set_url() would not help: API_VERSION_REGEX, r'/\/(v1.0|beta)/', only
    # matches '//v1.0/'. Graph wants the URL relative to the version root.
    assert item.url == first.odata_next_link
    item.url = item.url.removeprefix(adapter.base_url)

    answer = _send(api, loop, item)

    assert answer.get_response_status_codes() == {"p2": 200}
    second = answer.response_body("p2", api.risky_user_collection)
    assert len(second.value) == 2
    assert second.odata_next_link.startswith(f"{adapter.base_url}/identityProtection/riskyUsers?")
    rest: list[Any] = []
    loop.run(PageIterator(second, adapter).iterate(lambda user: rest.append(user) or True))
    assert sorted(u.id for u in [*first.value, *rest]) == sorted(seeded)


def test_count_in_a_batch_comes_back_base64_encoded(tenant: Tenant, api: Sdk, loop: Loop):
    tenant.add_risky_users(3)
    item = Item(api.risky_users.count.to_get_request_information(), id="count")

    answer = _send(api, loop, item)

    response = answer.get_response_by_id("count")
    assert isinstance(response, BatchResponseItem)
    assert response.status == 200
    assert response.content_type == "text/plain;charset=utf-8"
    stream = answer.get_response_stream_by_id("count")
    assert stream is not None
    assert stream.read() == b"3"  # sent as "Mw==", decoded by the SDK as base64
