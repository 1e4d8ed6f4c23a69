"""Rich notifications (Graph's includeResourceData): the subscriber's encryption certificate,
checked, and each notification's resource encrypted for it as Graph documents the scheme: a
symmetric key of its own (AES-256, CBC, PKCS7 padding, the IV its first 16 bytes) encrypts the
resource's JSON, the certificate's RSA key encrypts that key (OAEP), and an HMAC-SHA256 with
the same key signs the encrypted data. Plain Python over `cryptography`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import padding as block_padding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.serialization import Encoding

from idprotect.errors import BadRequest

# Graph's limits: an RSA key of 2,048 to 4,096 bits; an encryptionCertificateId of 128 characters.
MIN_KEY_BITS, MAX_KEY_BITS = 2048, 4096
MAX_CERTIFICATE_ID = 128
_KEY_BYTES = 32  # AES-256
_ARMOR = re.compile(r"-----(BEGIN|END) CERTIFICATE-----|\s")
# What Graph's own samples decrypt the key with: OAEP with SHA-1 (.NET's fOAEP, Java's
# OAEPWithSHA1AndMGF1Padding, Node's default).
_OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)


@dataclass(frozen=True, slots=True)
class Recipient:
    """A subscriber's certificate, as encryption needs it."""

    key: rsa.RSAPublicKey
    thumbprint: str  # SHA-1 of the certificate (DER), upper-case hex, as Windows shows it


def recipient(certificate: object) -> Recipient:
    """The encryptionCertificate of a subscription request (base64 X.509, PEM armor allowed);
    BadRequest for anything but a certificate with an RSA key of an allowed size."""
    if not isinstance(certificate, str) or not certificate.strip():
        raise BadRequest(
            "includeResourceData needs encryptionCertificate: a base64-encoded X.509 "
            "certificate with an RSA public key."
        )
    return _recipient(_ARMOR.sub("", certificate))


@lru_cache(maxsize=256)
def _recipient(text: str) -> Recipient:
    """Loaded once per certificate: every notification of the subscription uses it."""
    try:
        loaded = x509.load_der_x509_certificate(base64.b64decode(text, validate=True))
        key = loaded.public_key()
    except (ValueError, binascii.Error, UnsupportedAlgorithm):
        raise BadRequest(
            "encryptionCertificate is not a base64-encoded X.509 certificate."
        ) from None
    if not isinstance(key, rsa.RSAPublicKey) or not MIN_KEY_BITS <= key.key_size <= MAX_KEY_BITS:
        raise BadRequest(
            f"encryptionCertificate must hold an RSA key of {MIN_KEY_BITS} to {MAX_KEY_BITS} bits."
        )
    der = loaded.public_bytes(Encoding.DER)
    thumbprint = hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()  # an identifier
    return Recipient(key, thumbprint)


def certificate_id(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_CERTIFICATE_ID:
        raise BadRequest(
            "includeResourceData needs encryptionCertificateId: your own identifier of the "
            f"certificate, of 1 to {MAX_CERTIFICATE_ID} characters."
        )
    return value


def encrypted_content(resource: dict[str, Any], certificate: str, ident: str) -> dict[str, str]:
    """Graph's encryptedContent of one notification: `resource` (its JSON) encrypted with a key
    of its own, that key encrypted for `certificate`, the encrypted data signed."""
    found = recipient(certificate)
    key = os.urandom(_KEY_BYTES)
    padder = block_padding.PKCS7(algorithms.AES.block_size).padder()
    plain = padder.update(orjson.dumps(resource)) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    data = encryptor.update(plain) + encryptor.finalize()
    return {
        "data": _b64(data),
        "dataSignature": _b64(hmac.digest(key, data, hashlib.sha256)),
        "dataKey": _b64(found.key.encrypt(key, _OAEP)),
        "encryptionCertificateId": ident,
        "encryptionCertificateThumbprint": found.thumbprint,
    }


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")
