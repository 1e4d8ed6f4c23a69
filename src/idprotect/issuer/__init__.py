"""The built-in development issuer: Entra-shaped tokens for the client-credentials grant and
for users signed in with the authorization-code flow and PKCE (public clients).

In layers, each importing only from those before it:
- keys.py, apps.py, claims.py, client_assertion.py, grant.py, code_flow.py, passwords.py: plain
  records and rules (no web, no SQL): signing keys, app registrations and their secrets, token
  claims, certificate credentials, the grants' refusals with Entra's codes, users' passwords;
- registry.py: the SQL of the signing keys and app registrations;
- service.py: the issuer at work on a Database (keys, registrations, tokens); sign_in.py: the
  code flow's (passwords, public clients, codes); trust.py: which issuers' tokens the service
  verifies, the built-in one first;
- endpoints.py, authorize.py (the sign-in page), responses.py (HTTP, plain Starlette) and cli.py,
  users_cli.py (commands): the two doors.

tests/test_layers.py keeps these lines true.
"""
