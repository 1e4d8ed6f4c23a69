"""A separate test issuer with its own keys, served over HTTP on 127.0.0.1, and token helpers."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from idprotect.issuer.keys import SigningKey, mint_token

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
        self.extra_entries: list[Any] = []  # served after the keys, as they are
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
        keys = [public_jwk(k, kid, self.algs[kid]) for kid, k in self.keys.items()]
        return {"keys": [*keys, *self.extra_entries]}

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


def ec_key(curve: ec.EllipticCurve | None = None) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve or ec.SECP256R1())


# The key types a trusted key set may hold, and the algorithms each verifies (RFC 7518 3.3-3.5).
RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
KEY_ALGORITHMS = {
    "RSA": RSA_ALGORITHMS,
    "P-256": ("ES256",),
    "P-384": ("ES384",),
    "P-521": ("ES512",),
}
_CURVES = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}


def new_key(key_type: str) -> Any:
    """A private key of one of KEY_ALGORITHMS's types."""
    return rsa_key() if key_type == "RSA" else ec_key(_CURVES[key_type])


def segment(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def forged(header: dict[str, Any], payload: dict[str, Any]) -> str:
    """A token with this header and payload and a signature of random bytes."""
    signature = base64.urlsafe_b64encode(os.urandom(64)).decode().rstrip("=")
    return f"{segment(header)}.{segment(payload)}.{signature}"


def unusable_entries(rsa_private: rsa.RSAPrivateKey) -> dict[str, Any]:
    """Key set entries no token can be verified with, each named by its kid: malformed, private,
    symmetric, of other types or curves, or not meant for signatures."""
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_private))
    public = {k: rsa_jwk[k] for k in ("kty", "n", "e")}
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key()))
    ec_public = {k: ec_jwk[k] for k in ("kty", "crv", "x", "y")}
    okp = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(ed25519.Ed25519PrivateKey.generate()))
    k1 = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key(ec.SECP256K1()).public_key()))
    entries: dict[str, Any] = {
        "unknown-kty": {"kty": "XYZ", "n": public["n"], "e": "AQAB"},
        "no-kty": {"n": public["n"], "e": "AQAB"},
        "kty-not-a-string": {**public, "kty": ["RSA"]},
        "rsa-without-n": {"kty": "RSA", "e": "AQAB"},
        "rsa-n-not-a-string": {**public, "n": 12345},
        "rsa-n-not-base64url": {**public, "n": "!!!"},
        "rsa-empty-e": {**public, "e": ""},
        "rsa-private": {**rsa_jwk},
        "rsa-alg-es256": {**public, "alg": "ES256"},
        "rsa-alg-none": {**public, "alg": "none"},
        "rsa-alg-hs256": {**public, "alg": "HS256"},
        "ec-unknown-curve": {**ec_public, "crv": "P-999"},
        "ec-without-y": {k: v for k, v in ec_public.items() if k != "y"},
        "ec-point-off-the-curve": {**ec_public, "y": ec_public["x"]},
        "ec-curve-not-its-own": {**ec_public, "crv": "P-384"},
        "ec-private": {**ec_jwk},
        "ec-secp256k1": k1,
        "okp-ed25519": {k: okp[k] for k in ("kty", "crv", "x")},
        "oct": {"kty": "oct", "k": "c2VjcmV0"},
        "oct-without-k": {"kty": "oct"},
        "for-encryption": {**public, "use": "enc"},
        "use-not-a-string": {**public, "use": ["sig"]},
    }
    return {kid: {**entry, "kid": kid} for kid, entry in entries.items()}


# Entries without a kid a token could name (or not objects at all).
KIDLESS_ENTRIES: list[Any] = ["junk", 5, None, [], {"kty": "RSA"}, {"kid": 7, "kty": "RSA"}]
