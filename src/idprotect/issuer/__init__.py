"""The built-in development issuer: Entra-shaped tokens for the client-credentials grant.

In layers, each importing only from those before it:
- keys.py, apps.py, claims.py, client_assertion.py, grant.py: plain records and rules (no web,
  no SQL): signing keys, app registrations and their secrets, token claims, certificate
  credentials, and the grant's refusals with Entra's codes;
- registry.py: the SQL of the signing keys and app registrations;
- service.py: the issuer at work on a Database (keys, registrations, tokens); trust.py: which
  issuers' tokens the service verifies, the built-in one first;
- endpoints.py (HTTP, plain Starlette) and cli.py (commands): the two doors.

tests/test_layers.py keeps these lines true.
"""
