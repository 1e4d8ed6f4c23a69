"""A certificate-credential job: dismisses the risky users that an allow-list clears.

azure.identity.aio's CertificateCredential with a PEM file holding the key and certificate
(as a secret store or a pipeline drops it on disk), with msgraph-sdk.
"""

from __future__ import annotations

from azure.identity.aio import CertificateCredential
from msgraph.generated.identity_protection.risky_users.dismiss.dismiss_post_request_body import (
    DismissPostRequestBody,
)

from tests.compat.integrations.cloud import PUBLIC_CLOUD, Cloud


async def dismiss_cleared(
    tenant_id: str,
    client_id: str,
    certificate_path: str,
    cleared: set[str],
    cloud: Cloud = PUBLIC_CLOUD,
) -> list[str]:
    """Dismisses the users at risk whose principal name is in `cleared`; returns their ids."""
    credential = CertificateCredential(
        tenant_id, client_id, certificate_path, **cloud.credential_options()
    )
    async with credential:
        client, close = cloud.graph_client(credential)
        try:
            page = await client.identity_protection.risky_users.get()
            ids = [
                user.id
                for user in (page.value if page and page.value else [])
                if user.id and user.user_principal_name in cleared
            ]
            if ids:
                body = DismissPostRequestBody(user_ids=ids)
                await client.identity_protection.risky_users.dismiss.post(body)
        finally:
            await close()
    return ids
