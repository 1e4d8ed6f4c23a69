"""msgraph-sdk and azure-identity exactly as their READMEs show them, base URL untouched:
under mock_graph they sign in at login.microsoftonline.com and call graph.microsoft.com."""

from __future__ import annotations

import anyio
from azure.identity import ClientSecretCredential
from azure.identity.aio import ClientSecretCredential as AsyncClientSecretCredential
from msgraph import GraphServiceClient
from msgraph.generated.identity_protection.risky_users.dismiss.dismiss_post_request_body import (
    DismissPostRequestBody,
)
from msgraph.generated.models.risk_state import RiskState
from msgraph.generated.models.risky_user import RiskyUser
from msgraph_core.tasks.page_iterator import PageIterator

from idprotect.testing import mock_graph


def test_msgraph_sdk_with_client_secret_credential():
    with mock_graph() as graph:
        seeded = {graph.add_risky_user() for _ in range(25)}  # two pages of 20
        app = graph.register_app()
        credential = ClientSecretCredential(app.tenant_id, app.client_id, app.client_secret)
        client = GraphServiceClient(credential, ["https://graph.microsoft.com/.default"])

        async def list_then_dismiss() -> tuple[list[RiskyUser], RiskyUser | None]:
            risky_users = client.identity_protection.risky_users
            users: list[RiskyUser] = []
            await PageIterator(await risky_users.get(), client.request_adapter).iterate(
                lambda user: users.append(user) or True
            )
            await risky_users.dismiss.post(DismissPostRequestBody(user_ids=[users[0].id]))
            return users, await risky_users.by_risky_user_id(users[0].id or "").get()

        with credential:
            users, dismissed = anyio.run(list_then_dismiss)

    assert {u.id for u in users} == seeded
    assert dismissed is not None
    assert dismissed.risk_state == RiskState.Dismissed


def test_msgraph_sdk_with_the_async_client_secret_credential():
    """The pattern of the SDK's own examples: azure.identity.aio signs in through aiohttp."""
    with mock_graph() as graph:
        seeded = {graph.add_risky_user() for _ in range(3)}
        app = graph.register_app()

        async def list_users() -> list[RiskyUser]:
            credential = AsyncClientSecretCredential(
                app.tenant_id, app.client_id, app.client_secret
            )
            async with credential:
                client = GraphServiceClient(credential, ["https://graph.microsoft.com/.default"])
                page = await client.identity_protection.risky_users.get()
            return page.value if page and page.value else []

        users = anyio.run(list_users)

    assert {u.id for u in users} == seeded
