"""/authorize: the sign-in page of the code flow, its form, and the way back to the client.

Plain Starlette. The page posts to itself with a token that must match a SameSite=Strict cookie
(a sign-in cannot be forged from another site); the browser is only ever sent to a redirect URI
registered for the client, checked again on every request.
"""

from __future__ import annotations

import hmac
import secrets
from html import escape
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from idprotect.domain.clock import utc_now
from idprotect.issuer.code_flow import (
    AuthorizeRequest,
    CodeGrant,
    granted_scopes,
    refuse_authorize,
    refuse_client_or_redirect,
)
from idprotect.issuer.grant import Refusal
from idprotect.issuer.passwords import DirectoryUser
from idprotect.issuer.responses import entra_error, issuer_base, issuer_database
from idprotect.issuer.sign_in import authenticate, find_public_client, issue_code

_CSRF_COOKIE = "idprotect_signin"
_WRONG = "AADSTS50126: Your account or password is incorrect."
_STALE = "This sign-in page has expired or was opened elsewhere: please sign in again."


async def authorize(request: Request) -> Response:
    """GET shows the sign-in page; POST checks the password and sends a code back."""
    tenant: str = request.path_params["tenant"]
    if request.method == "POST":
        body = (await request.body()).decode("utf-8", errors="replace")
        params = dict(parse_qsl(body, keep_blank_values=True))
    else:
        params = dict(request.query_params)
    asked = AuthorizeRequest.from_parameters(params)
    refused = await _refuse(request, tenant, asked)
    if refused is not None:
        return refused
    if request.method == "GET":
        return _page(asked, message="")
    if not _csrf_matches(request, params.get("csrf", "")):
        return _page(asked, message=_STALE, status=400)
    user = await run_in_threadpool(
        authenticate, issuer_database(request), tenant,
        params.get("username", ""), params.get("password", ""),
    )  # fmt: skip
    if user is None:
        return _page(asked, message=_WRONG, status=400)
    code = await run_in_threadpool(
        issue_code, issuer_database(request), _grant(asked, user), utc_now()
    )
    return _back(asked, {"code": code, "state": asked.state})


async def _refuse(request: Request, tenant: str, asked: AuthorizeRequest) -> Response | None:
    app = None
    if asked.client_id:
        app = await run_in_threadpool(
            find_public_client, issuer_database(request), tenant, asked.client_id,
            issuer_base(request),
        )  # fmt: skip
    refusal = refuse_client_or_redirect(asked, app, tenant)
    if refusal is not None:
        return entra_error(refusal)
    refusal = refuse_authorize(asked)
    return _back(asked, _error_parameters(refusal, asked)) if refusal else None


def _error_parameters(refusal: Refusal, asked: AuthorizeRequest) -> dict[str, str]:
    return {
        "error": refusal.error,
        "error_description": f"AADSTS{refusal.code}: {refusal.description}",
        "error_uri": f"https://login.microsoftonline.com/error?code={refusal.code}",
        "state": asked.state,
    }


def _back(asked: AuthorizeRequest, parameters: dict[str, str]) -> Response:
    """To the client's registered redirect URI, with the answer in its query (or fragment)."""
    kept = {name: value for name, value in parameters.items() if value}
    if asked.response_mode == "form_post":
        return _form_post(asked.redirect_uri, kept)
    answer = urlencode(kept)
    if asked.response_mode == "fragment":
        return RedirectResponse(f"{asked.redirect_uri}#{answer}", status_code=302)
    joiner = "&" if "?" in asked.redirect_uri else "?"
    return RedirectResponse(f"{asked.redirect_uri}{joiner}{answer}", status_code=302)


def _form_post(redirect_uri: str, parameters: dict[str, str]) -> Response:
    """form_post: a form the browser posts to the client (a script of its own submits it)."""
    fields = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in parameters.items()
    )
    body = _FORM_POST.format(action=escape(redirect_uri), fields=fields)
    headers = _headers(redirect_uri, script=True)
    return HTMLResponse(body, headers=headers)


def _grant(asked: AuthorizeRequest, user: DirectoryUser) -> CodeGrant:
    return CodeGrant(
        tenant_id=user.tenant_id,
        client_id=asked.client_id,
        redirect_uri=asked.redirect_uri,
        code_challenge=asked.code_challenge,
        object_id=user.object_id,
        user_principal_name=user.user_principal_name,
        display_name=user.display_name,
        scopes=granted_scopes(asked.scope),
        directory_roles=tuple(sorted(user.directory_roles)),
        nonce=asked.nonce,
        openid="openid" in asked.scope.split(),
    )


def _csrf_matches(request: Request, sent: str) -> bool:
    expected = request.cookies.get(_CSRF_COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected.encode(), sent.encode())


def _page(asked: AuthorizeRequest, *, message: str, status: int = 200) -> Response:
    csrf = secrets.token_urlsafe(24)
    hidden = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in asked.parameters().items()
    )
    body = _PAGE.format(
        hidden=hidden,
        csrf=escape(csrf),
        login_hint=escape(asked.login_hint),
        message=f'<p class="error" role="alert">{escape(message)}</p>' if message else "",
    )
    response = HTMLResponse(body, status_code=status, headers=_headers(asked.redirect_uri))
    response.set_cookie(_CSRF_COOKIE, csrf, httponly=True, samesite="strict", max_age=1800)
    return response


def _headers(redirect_uri: str, *, script: bool = False) -> dict[str, str]:
    target = urlsplit(redirect_uri)
    back = f"{target.scheme}://{target.netloc}"
    policy = (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        f"frame-ancestors 'none'; form-action 'self' {back}"
    )
    if script:
        policy += "; script-src 'self'"
    return {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


_FORM_POST = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Signing in - idprotect</title>
<link rel="stylesheet" href="/console/static/console.css">
<script src="/console/static/form-post.js" defer></script></head>
<body class="signin"><main>
<form method="post" action="{action}" id="form-post">{fields}
<p>Signed in. Returning to the application...</p>
<button type="submit">Continue</button>
</form></main></body></html>
"""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - idprotect</title>
<link rel="stylesheet" href="/console/static/console.css">
</head>
<body class="signin">
<main>
<h1>Sign in</h1>
<p>idprotect: sign in with your directory account.</p>
{message}
<form method="post" autocomplete="on">
{hidden}
<input type="hidden" name="csrf" value="{csrf}">
<label for="username">Email or user principal name</label>
<input id="username" name="username" type="email" required autofocus autocomplete="username"
  value="{login_hint}">
<label for="password">Password</label>
<input id="password" name="password" type="password" required autocomplete="current-password">
<button type="submit" id="signin">Sign in</button>
</form>
</main>
</body>
</html>
"""
