"""The authorization-code flow with PKCE as Entra runs it for public clients: the authorize
request, the grant a code stands for, and each refusal with Entra's error and AADSTS code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from idprotect.auth.permissions import ADMINISTER, MANAGE_SIGNALS, PERMISSIONS
from idprotect.issuer.apps import AppRegistration
from idprotect.issuer.grant import Refusal

CODE_LIFETIME = timedelta(minutes=10)
GRAPH = "https://graph.microsoft.com/"
OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
# What a user may delegate: Graph's permissions; never idprotect's own /_admin ones, whose
# requirement names no directory role.
DELEGATED = PERMISSIONS - ADMINISTER.permissions - MANAGE_SIGNALS.permissions
_DELEGATED = {name.lower(): name for name in DELEGATED}
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of a SHA-256, unpadded
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 section 4.1
_PARAMETERS = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
    "code_challenge", "code_challenge_method", "response_mode", "login_hint")  # fmt: skip


@dataclass(frozen=True, slots=True)
class AuthorizeRequest:
    """The parameters of /authorize that idprotect reads (others, as `prompt`, are ignored)."""

    client_id: str = ""
    redirect_uri: str = ""
    response_type: str = ""
    scope: str = ""
    state: str = ""
    nonce: str = ""
    code_challenge: str = ""
    code_challenge_method: str = ""
    response_mode: str = ""
    login_hint: str = ""

    @classmethod
    def from_parameters(cls, params: Mapping[str, str]) -> AuthorizeRequest:
        return cls(**{name: params.get(name, "") for name in _PARAMETERS})

    def parameters(self) -> dict[str, str]:
        return {name: value for name, value in asdict(self).items() if value}


@dataclass(frozen=True, slots=True)
class CodeGrant:
    """What an authorization code stands for, stored until it is redeemed or expires."""

    tenant_id: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    object_id: str
    user_principal_name: str
    display_name: str
    scopes: tuple[str, ...]
    directory_roles: tuple[str, ...]
    nonce: str
    openid: bool

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> CodeGrant:
        fields = json.loads(text)
        for name in ("scopes", "directory_roles"):
            fields[name] = tuple(fields[name])
        return cls(**fields)


def redirect_registered(redirect_uri: str, app: AppRegistration) -> bool:
    """Whether `redirect_uri` is one of the app's, exactly; a loopback URI registered without a
    port matches on any port, as Entra's do for native apps."""
    if redirect_uri in app.redirect_uris:
        return True
    asked = urlsplit(redirect_uri)
    if asked.scheme != "http" or asked.hostname not in ("localhost", "127.0.0.1", "::1"):
        return False
    portless = asked._replace(netloc=asked.netloc.rsplit(":", 1)[0] if asked.port else asked.netloc)
    return portless.geturl() in app.redirect_uris


def refuse_client_or_redirect(
    request: AuthorizeRequest, app: AppRegistration | None, tenant: str
) -> Refusal | None:
    """Refusals answered on the issuer's own page: none may send the browser elsewhere."""
    if not request.client_id:
        return _missing("client_id")
    if app is None:
        return Refusal(400, "unauthorized_client", 700016,
            f"Application with identifier '{request.client_id}' was not found in the "
            f"directory '{tenant}'.")  # fmt: skip
    if not app.redirect_uris:
        return Refusal(400, "invalid_request", 500113,
            "No reply address is registered for the application.")  # fmt: skip
    if not redirect_registered(request.redirect_uri, app):
        return Refusal(400, "invalid_request", 50011,
            f"The redirect URI '{request.redirect_uri}' specified in the request does not "
            "match the redirect URIs configured for the application "
            f"'{app.client_id}'.")  # fmt: skip
    return None


def refuse_authorize(request: AuthorizeRequest) -> Refusal | None:
    """Refusals sent back to the (registered) redirect URI, as Entra sends them."""
    if request.response_type != "code":
        return Refusal(400, "unsupported_response_type", 700054,
            f"response_type '{request.response_type}' is not enabled for the "
            "application.")  # fmt: skip
    if request.response_mode not in ("", "query", "fragment", "form_post"):
        return Refusal(400, "invalid_request", 9002313,
            f"Invalid request. response_mode '{request.response_mode}' is not supported: "
            "use query, fragment or form_post.")  # fmt: skip
    if not request.code_challenge:
        return Refusal(400, "invalid_request", 9002325,
            "Proof Key for Code Exchange is required for cross-origin authorization code "
            "redemption.")  # fmt: skip
    if request.code_challenge_method != "S256":
        return Refusal(400, "invalid_request", 501491,
            "Invalid code_challenge_method: only S256 is accepted.")  # fmt: skip
    if not _CHALLENGE.match(request.code_challenge):
        return Refusal(400, "invalid_request", 501491,
            "Invalid size of Code_Challenge parameter.")  # fmt: skip
    return _refuse_scope(request.scope)


def _refuse_scope(scope: str) -> Refusal | None:
    unknown = [item for item in scope.split() if not _is_known_scope(item)]
    if unknown or not granted_scopes(scope):
        return Refusal(400, "invalid_scope", 70011,
            f"The provided value for the input parameter 'scope' is not valid. The scope "
            f"{' '.join(unknown) or scope} is not valid: ask for Graph's .default or its "
            "Identity Protection permissions.")  # fmt: skip
    return None


def _is_known_scope(item: str) -> bool:
    return item in OIDC_SCOPES or bool(granted_scopes(item))


def granted_scopes(scope: str) -> tuple[str, ...]:
    """The Graph permissions a scope parameter asks for; `.default` asks for all of them."""
    granted: set[str] = set()
    for item in scope.split():
        name = item[len(GRAPH) :] if item.lower().startswith(GRAPH) else item
        if name == ".default" and item != name:
            granted |= DELEGATED
        elif name.lower() in _DELEGATED:
            granted.add(_DELEGATED[name.lower()])
    return tuple(sorted(granted))


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def refuse_redemption(
    form: Mapping[str, str], grant: CodeGrant | None, *, redeemed: bool, expired: bool
) -> Refusal | None:
    """The token request of the code flow against the code's grant, in Entra's order."""
    if grant is None:
        return Refusal(400, "invalid_grant", 9002313,
            "Invalid request. Request is malformed or invalid.")  # fmt: skip
    if redeemed:
        return Refusal(400, "invalid_grant", 54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid "
            "code or use an existing refresh token.")  # fmt: skip
    if expired:
        return Refusal(400, "invalid_grant", 70008,
            "The provided authorization code or refresh token has expired due to "
            "inactivity. Send a new interactive authorization request for this user and "
            "resource.")  # fmt: skip
    return _refuse_binding(form, grant)


def _refuse_binding(form: Mapping[str, str], grant: CodeGrant) -> Refusal | None:
    if form["client_id"] != grant.client_id:
        return Refusal(400, "invalid_grant", 70000,
            "The provided value for the 'code' parameter is not valid: it was issued to "
            "another client.")  # fmt: skip
    if form["redirect_uri"] != grant.redirect_uri:
        return Refusal(400, "invalid_grant", 500112,
            "The reply address does not match the reply address provided when requesting "
            "Authorization code.")  # fmt: skip
    verifier = form["code_verifier"]
    matches = hmac.compare_digest(challenge_of(verifier), grant.code_challenge)
    if not _VERIFIER.match(verifier) or not matches:
        return Refusal(400, "invalid_grant", 501481,
            "The Code_Verifier does not match the code_challenge supplied in the "
            "authorization request.")  # fmt: skip
    return None


def refuse_code_request(form: Mapping[str, str]) -> Refusal | None:
    for name in ("client_id", "code", "redirect_uri", "code_verifier"):
        if not form.get(name):
            return _missing(name)
    return None


def _missing(name: str) -> Refusal:
    return Refusal(400, "invalid_request", 900144,
        f"The request body must contain the following parameter: '{name}'.")  # fmt: skip
