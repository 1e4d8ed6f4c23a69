"""Rich notifications (includeResourceData): the subscription's certificate is checked, and each
notification carries its resource encrypted for it; the receiver here decrypts it as Graph's
documentation tells a receiver to (written from it with `cryptography`), and finds what a GET
of the resource answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from starlette.testclient import TestClient

from idprotect.store.engine import Database
from tests.api.expect import graph_error
from tests.conftest import FakeClock, make_client
from tests.factories import V1, add_detections, detection, risky_user
from tests.signals.helpers import SUBSCRIPTIONS, deliver_all, subscription_request
from tests.signals.receiver import Receiver, running_receiver

BETA = "/beta/identityProtection"


class Certificate:
    """A subscriber's self-signed certificate (Graph checks no issuer) and its private key."""

    def __init__(self, key: Any = None) -> None:
        self.key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhook receiver")])
        now = datetime.now(UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=30))
            .sign(self.key, hashes.SHA256())
        )
        self.der = self.certificate.public_bytes(Encoding.DER)

    @property
    def base64(self) -> str:
        return base64.b64encode(self.der).decode()

    @property
    def thumbprint(self) -> str:
        return hashlib.sha1(self.der).hexdigest().upper()

    def decrypt(self, content: dict[str, str]) -> dict[str, Any]:
        """Graph's steps: the symmetric key from dataKey (RSA, OAEP), the signature of data
        checked (HMAC-SHA256), then data decrypted (AES, CBC, PKCS7, IV the key's first 16
        bytes): the resource's JSON."""
        oaep = OAEP(mgf=MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
        key = self.key.decrypt(base64.b64decode(content["dataKey"]), oaep)
        data = base64.b64decode(content["data"])
        signature = hmac.digest(key, data, hashlib.sha256)
        assert hmac.compare_digest(signature, base64.b64decode(content["dataSignature"]))
        decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
        padded = decryptor.update(data) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        resource: dict[str, Any] = json.loads(unpadder.update(padded) + unpadder.finalize())
        return resource


@pytest.fixture(scope="module")
def certificate() -> Certificate:
    return Certificate()


@pytest.fixture
def client(sqlite_database: Database, clock: FakeClock) -> TestClient:
    return make_client(sqlite_database, clock)


def _request(receiver: Receiver, clock: FakeClock, **overrides: object) -> dict[str, object]:
    return subscription_request(receiver, clock, lifecycle=False, **overrides)


def _rich(certificate: Certificate, ident: str = "webhook-cert/1") -> dict[str, object]:
    return {
        "includeResourceData": True,
        "encryptionCertificate": certificate.base64,
        "encryptionCertificateId": ident,
    }


def _get(client: TestClient, path: str) -> dict[str, Any]:
    entity: dict[str, Any] = client.get(path).json()
    del entity["@odata.context"]
    return entity


def test_rich_notifications_carry_the_resource_as_get_answers_it(
    database: Database, clock: FakeClock, certificate: Certificate
) -> None:
    client = make_client(database, clock)
    with running_receiver() as receiver:
        body = _request(receiver, clock, **_rich(certificate))
        created = client.post(SUBSCRIPTIONS, json=body)
        assert created.status_code == 201, created.text
        user_id = risky_user(client)
        deliver_all(database, now=clock)
        after_detection = _get(client, f"{V1}/riskyUsers/{user_id}")
        client.post(f"{V1}/riskyUsers/dismiss", json={"userIds": [user_id]})
        deliver_all(database, now=clock)
        after_dismissal = _get(client, f"{V1}/riskyUsers/{user_id}")

    subscription = created.json()
    assert subscription["includeResourceData"] is True
    assert subscription["encryptionCertificate"] == certificate.base64
    assert subscription["encryptionCertificateId"] == "webhook-cert/1"
    first, second = receiver.notifications
    assert [first["changeType"], second["changeType"]] == ["created", "updated"]
    for item in (first, second):
        assert item["resourceData"]["id"] == user_id
        content = item["encryptedContent"]
        assert content["encryptionCertificateId"] == "webhook-cert/1"
        assert content["encryptionCertificateThumbprint"] == certificate.thumbprint
    assert certificate.decrypt(first["encryptedContent"]) == after_detection
    assert certificate.decrypt(second["encryptedContent"]) == after_dismissal
    assert after_dismissal["riskState"] == "dismissed"
    assert first["encryptedContent"]["dataKey"] != second["encryptedContent"]["dataKey"]


def test_a_beta_subscription_gets_betas_detection(
    sqlite_database: Database, client: TestClient, clock: FakeClock, certificate: Certificate
) -> None:
    with running_receiver() as receiver:
        body = _request(receiver, clock, resource="identityProtection/riskDetections",
                        changeType="created", **_rich(certificate))  # fmt: skip
        assert client.post("/beta/subscriptions", json=body).status_code == 201
        (added,) = add_detections(client, detection(riskEventType="leakedCredentials"))
        deliver_all(sqlite_database, now=clock)

    (item,) = receiver.notifications
    resource = certificate.decrypt(item["encryptedContent"])
    assert resource == _get(client, f"{BETA}/riskDetections/{added['id']}")
    assert resource["riskType"] == "leakedCredentials"


def test_a_rotated_certificate_encrypts_what_follows(
    sqlite_database: Database, client: TestClient, clock: FakeClock, certificate: Certificate
) -> None:
    rotated = Certificate()
    with running_receiver() as receiver:
        body = _request(receiver, clock, **_rich(certificate))
        subscription_id = client.post(SUBSCRIPTIONS, json=body).json()["id"]
        change = {"encryptionCertificate": rotated.base64, "encryptionCertificateId": "cert/2"}
        patched = client.patch(f"{SUBSCRIPTIONS}/{subscription_id}", json=change)
        assert patched.json()["encryptionCertificateId"] == "cert/2"
        user_id = risky_user(client)
        deliver_all(sqlite_database, now=clock)

    (item,) = receiver.notifications
    assert item["encryptedContent"]["encryptionCertificateThumbprint"] == rotated.thumbprint
    assert rotated.decrypt(item["encryptedContent"])["id"] == user_id


def _small_key_certificate() -> str:
    return Certificate(rsa.generate_private_key(public_exponent=65537, key_size=1024)).base64


def _ec_certificate() -> str:
    return Certificate(ec.generate_private_key(ec.SECP256R1())).base64


NEEDS_CERTIFICATE = (
    "includeResourceData needs encryptionCertificate: a base64-encoded X.509 certificate with "
    "an RSA public key."
)
KEY_SIZE = "encryptionCertificate must hold an RSA key of 2048 to 4096 bits."
BAD_REQUESTS = {
    "no certificate": ({"includeResourceData": True}, NEEDS_CERTIFICATE),
    "not base64": (
        {"includeResourceData": True, "encryptionCertificate": "not a certificate!"},
        "encryptionCertificate is not a base64-encoded X.509 certificate.",
    ),
    "not a certificate": (
        {"includeResourceData": True, "encryptionCertificate": "aGVsbG8="},
        "encryptionCertificate is not a base64-encoded X.509 certificate.",
    ),
    "small key": ({"includeResourceData": True, "encryptionCertificate": "SMALL"}, KEY_SIZE),
    "ec key": ({"includeResourceData": True, "encryptionCertificate": "EC"}, KEY_SIZE),
    "no id": (
        {"includeResourceData": True, "encryptionCertificate": "GOOD"},
        "includeResourceData needs encryptionCertificateId: your own identifier of the "
        "certificate, of 1 to 128 characters.",
    ),
    "long id": (
        {
            "includeResourceData": True,
            "encryptionCertificate": "GOOD",
            "encryptionCertificateId": "x" * 129,
        },
        "includeResourceData needs encryptionCertificateId: your own identifier of the "
        "certificate, of 1 to 128 characters.",
    ),
    "not a boolean": ({"includeResourceData": "yes"}, "includeResourceData must be true or false."),
}


@pytest.mark.parametrize(("fields", "message"), BAD_REQUESTS.values(), ids=BAD_REQUESTS)
def test_a_rich_subscription_without_a_usable_certificate_is_a_graph_400(
    client: TestClient, clock: FakeClock, certificate: Certificate,
    fields: dict[str, object], message: str,
) -> None:  # fmt: skip
    given = {
        "SMALL": _small_key_certificate,
        "EC": _ec_certificate,
        "GOOD": lambda: certificate.base64,
    }
    value = fields.get("encryptionCertificate")
    if isinstance(value, str) and value in given:
        fields = {**fields, "encryptionCertificate": given[value]()}
    with running_receiver() as receiver:
        refused = client.post(SUBSCRIPTIONS, json=_request(receiver, clock, **fields))
        assert receiver.validations == []  # refused before any validation request
    graph_error(refused, 400, "BadRequest", message)
    assert client.get(SUBSCRIPTIONS).json()["value"] == []


def test_a_certificate_in_pem_armor_is_taken(
    client: TestClient, clock: FakeClock, certificate: Certificate
) -> None:
    pem = certificate.certificate.public_bytes(Encoding.PEM).decode()
    with running_receiver() as receiver:
        body = _request(receiver, clock, **{**_rich(certificate), "encryptionCertificate": pem})
        assert client.post(SUBSCRIPTIONS, json=body).status_code == 201


def test_only_a_rich_subscription_takes_a_certificate(
    client: TestClient, clock: FakeClock, certificate: Certificate
) -> None:
    with running_receiver() as receiver:
        subscription_id = client.post(SUBSCRIPTIONS, json=_request(receiver, clock)).json()["id"]
    change = {"encryptionCertificate": certificate.base64, "encryptionCertificateId": "x"}
    refused = client.patch(f"{SUBSCRIPTIONS}/{subscription_id}", json=change)
    graph_error(
        refused,
        400,
        "BadRequest",
        "Only a subscription with includeResourceData has a certificate.",
    )
