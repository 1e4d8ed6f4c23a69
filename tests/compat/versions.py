"""The two official SDKs side by side: for a version, a signed-in client and the generated
classes the tests build requests from and read answers into."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from msgraph.generated.identity_protection.risk_detections.risk_detections_request_builder import (
    RiskDetectionsRequestBuilder,
)
from msgraph.generated.identity_protection.risky_users.count.count_request_builder import (
    CountRequestBuilder,
)
from msgraph.generated.identity_protection.risky_users.dismiss.dismiss_post_request_body import (
    DismissPostRequestBody,
)
from msgraph.generated.identity_protection.risky_users.item.history.history_request_builder import (
    HistoryRequestBuilder,
)
from msgraph.generated.identity_protection.risky_users.risky_users_request_builder import (
    RiskyUsersRequestBuilder,
)
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.risky_user import RiskyUser
from msgraph.generated.models.risky_user_collection_response import RiskyUserCollectionResponse
from msgraph_beta.generated.identity_protection.risk_detections.risk_detections_request_builder import (  # noqa: E501
    RiskDetectionsRequestBuilder as BetaRiskDetectionsRequestBuilder,
)
from msgraph_beta.generated.identity_protection.risky_users.count.count_request_builder import (
    CountRequestBuilder as BetaCountRequestBuilder,
)
from msgraph_beta.generated.identity_protection.risky_users.dismiss.dismiss_post_request_body import (  # noqa: E501
    DismissPostRequestBody as BetaDismissPostRequestBody,
)
from msgraph_beta.generated.identity_protection.risky_users.item.history.history_request_builder import (  # noqa: E501
    HistoryRequestBuilder as BetaHistoryRequestBuilder,
)
from msgraph_beta.generated.identity_protection.risky_users.risky_users_request_builder import (
    RiskyUsersRequestBuilder as BetaRiskyUsersRequestBuilder,
)
from msgraph_beta.generated.models.o_data_errors.o_data_error import (
    ODataError as BetaODataError,
)
from msgraph_beta.generated.models.risky_user import RiskyUser as BetaRiskyUser
from msgraph_beta.generated.models.risky_user_collection_response import (
    RiskyUserCollectionResponse as BetaRiskyUserCollectionResponse,
)
from msgraph_core.requests.batch_request_builder import BatchRequestBuilder
from msgraph_core.tasks.page_iterator import PageIterator

from tests.compat.conftest import Tenant
from tests.compat.loop import Loop
from tests.compat.sdk import beta_client, credential, v1_client


@dataclass(frozen=True)
class Sdk:
    """One SDK (v1.0 or beta): its signed-in client, its batch builder and its classes."""

    version: str
    client: Any  # msgraph.GraphServiceClient or msgraph_beta.GraphServiceClient
    batch: BatchRequestBuilder
    dismiss_body: type
    risky_users_query: type
    count_query: type
    history_query: type
    detections_query: type
    risky_user: type
    risky_user_collection: type
    odata_error: type

    @property
    def risky_users(self) -> Any:
        return self.client.identity_protection.risky_users

    @property
    def risk_detections(self) -> Any:
        return self.client.identity_protection.risk_detections

    async def all_items(self, first_page: Any) -> list[Any]:
        """The items of `first_page` and of every page its nextLinks lead to."""
        items: list[Any] = []
        await PageIterator(first_page, self.client.request_adapter).iterate(
            lambda item: items.append(item) or True
        )
        return items


def signed_in_sdk(version: str, tenant: Tenant, loop: Loop) -> Sdk:
    """The SDK of `version`, signed in as a new app of `tenant`."""
    signed_in = credential(tenant, loop)
    if version == "v1.0":
        client = v1_client(tenant, signed_in, loop)
        return Sdk(
            version,
            client,
            client.batch,
            DismissPostRequestBody,
            RiskyUsersRequestBuilder.RiskyUsersRequestBuilderGetQueryParameters,
            CountRequestBuilder.CountRequestBuilderGetQueryParameters,
            HistoryRequestBuilder.HistoryRequestBuilderGetQueryParameters,
            RiskDetectionsRequestBuilder.RiskDetectionsRequestBuilderGetQueryParameters,
            RiskyUser,
            RiskyUserCollectionResponse,
            ODataError,
        )
    beta = beta_client(tenant, signed_in, loop)
    # msgraph-beta-sdk's client has no `batch` property; it is msgraph-core's builder either way.
    return Sdk(
        version,
        beta,
        BatchRequestBuilder(beta.request_adapter),
        BetaDismissPostRequestBody,
        BetaRiskyUsersRequestBuilder.RiskyUsersRequestBuilderGetQueryParameters,
        BetaCountRequestBuilder.CountRequestBuilderGetQueryParameters,
        BetaHistoryRequestBuilder.HistoryRequestBuilderGetQueryParameters,
        BetaRiskDetectionsRequestBuilder.RiskDetectionsRequestBuilderGetQueryParameters,
        BetaRiskyUser,
        BetaRiskyUserCollectionResponse,
        BetaODataError,
    )


def raised(loop: Loop, call: Callable[[], Awaitable[Any]]) -> ODataError | BetaODataError:
    """The SDK's ODataError that `call` raises."""

    async def attempt() -> None:
        await call()

    with pytest.raises((ODataError, BetaODataError)) as caught:
        loop.run(attempt())
    return caught.value
