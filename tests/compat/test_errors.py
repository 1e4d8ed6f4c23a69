"""Each error path raises the SDK's ODataError with Graph's status and code."""

from __future__ import annotations

import uuid

import pytest
from msgraph.generated.identity_protection.risky_users.dismiss.dismiss_post_request_body import (
    DismissPostRequestBody,
)
from msgraph_beta.generated.models.o_data_errors.o_data_error import (
    ODataError as BetaODataError,
)

from tests.compat.conftest import Tenant
from tests.compat.loop import Loop
from tests.compat.sdk import StaticToken, beta_client, credential, v1_client
from tests.compat.versions import raised

pytestmark = pytest.mark.slow  # a server process

EVENTS_ONLY = "IdentityRiskEvent.Read.All"


def test_unknown_user_is_404_not_found(tenant: Tenant, loop: Loop):
    client = v1_client(tenant, credential(tenant, loop), loop)
    unknown = str(uuid.uuid4())

    error = raised(loop, client.identity_protection.risky_users.by_risky_user_id(unknown).get)

    assert error.response_status_code == 404
    assert error.error is not None
    assert error.error.code == "NotFound"
    assert unknown in (error.error.message or "")


def test_missing_permission_is_403_forbidden(tenant: Tenant, loop: Loop):
    client = v1_client(tenant, credential(tenant, loop, EVENTS_ONLY), loop)

    error = raised(loop, client.identity_protection.risky_users.get)

    assert error.response_status_code == 403
    assert error.error is not None
    assert error.error.code == "Forbidden"


def test_bad_token_is_401_invalid_authentication_token(tenant: Tenant, loop: Loop):
    client = v1_client(tenant, StaticToken("not.a.token"), loop)

    error = raised(loop, client.identity_protection.risk_detections.get)

    assert error.response_status_code == 401
    assert error.error is not None
    assert error.error.code == "InvalidAuthenticationToken"


def test_bad_body_is_400_bad_request(tenant: Tenant, loop: Loop):
    client = v1_client(tenant, credential(tenant, loop), loop)
    empty = DismissPostRequestBody(user_ids=[])

    error = raised(loop, lambda: client.identity_protection.risky_users.dismiss.post(empty))

    assert error.response_status_code == 400
    assert error.error is not None
    assert error.error.code == "BadRequest"


def test_beta_errors_parse_too(tenant: Tenant, loop: Loop):
    client = beta_client(tenant, credential(tenant, loop, EVENTS_ONLY), loop)

    error = raised(loop, client.risky_users.get)

    assert isinstance(error, BetaODataError)
    assert error.response_status_code == 403
    assert error.error is not None
    assert error.error.code == "Forbidden"
