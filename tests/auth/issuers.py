"""A separate test issuer with its own keys, served over HTTP on 127.0.0.1, and token helpers."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from idprotect.auth.issuer import SigningKey, mint_token

GRAPH = "https://graph.microsoft.com"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(private: Any, kid: str, alg: str = "RS256") -> dict[str, Any]:
    if isinstance(private, rsa.RSAPrivateKey):
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    else:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": alg})
    return dict(jwk)


def claims(tenant: str, **overrides: Any) -> dict[str, Any]:
    """An app-only Graph token's claims, Entra-shaped; override or drop (None) any of them."""
    now = int(time.time())
    base: dict[str, Any] = {
        "aud": GRAPH,
        "iss": f"https://sts.windows.net/{tenant}/",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "tid": tenant,
        "oid": str(uuid.uuid4()),
        "appid": str(uuid.uuid4()),
        "idtyp": "app",
        "roles": ["IdentityRiskyUser.ReadWrite.All", "IdentityRiskEvent.Read.All"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(private: Any, kid: str, payload: dict[str, Any], alg: str = "RS256") -> str:
    return jwt.encode(payload, private, algorithm=alg, headers={"kid": kid})


def sign_builtin(key: SigningKey, payload: dict[str, Any]) -> str:
    return mint_token(key, payload)


class TestIssuer:
    """Discovery + JWKS over HTTP; keys can be added (rotation) while it runs."""

    __test__ = False

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {"test-key-1": rsa_key()}
        self.algs: dict[str, str] = {"test-key-1": "RS256"}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.issuer = f"{self.base}/test-issuer"
        self.discovery_url = f"{self.issuer}/.well-known/openid-configuration"
        self.jwks_url = f"{self.base}/jwks"
        self.jwks_requests = 0
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TestIssuer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_key(self, kid: str, private: Any, alg: str = "RS256") -> None:
        self.keys[kid] = private
        self.algs[kid] = alg

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(k, kid, self.algs[kid]) for kid, k in self.keys.items()]}

    def token(self, payload: dict[str, Any], kid: str = "test-key-1") -> str:
        return sign(self.keys[kid], kid, payload, self.algs[kid])

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/jwks":
                    issuer.jwks_requests += 1
                    body = issuer.jwks()
                elif self.path == "/test-issuer/.well-known/openid-configuration":
                    body = {"issuer": issuer.issuer, "jwks_uri": issuer.jwks_url}
                else:
                    self.send_error(404)
                    return
                raw = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *_: object) -> None:
                pass

        return Handler


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())
