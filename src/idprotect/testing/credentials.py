"""What `mock_graph` hands a test to sign in with: an app's client secret or its certificate."""

from __future__ import annotations

import dataclasses

from idprotect.issuer.client_assertion import load_certificate, thumbprints


@dataclasses.dataclass(frozen=True, slots=True)
class AppCredentials:
    """An app registration for the client-credentials grant."""

    tenant_id: str
    client_id: str
    client_secret: str

    @property
    def token_url(self) -> str:
        return _token_url(self.tenant_id)


@dataclasses.dataclass(frozen=True, slots=True)
class CertificateCredentials:
    """An app registration whose credential is a certificate: its private key and certificate,
    for azure-identity's ClientCertificateCredential or MSAL's `client_credential`."""

    tenant_id: str
    client_id: str
    private_key_pem: str
    certificate_pem: str

    @property
    def pem(self) -> bytes:
        """Key and certificate in one PEM: ClientCertificateCredential's `certificate_data`,
        or the content of its `certificate_path`."""
        return (self.private_key_pem + self.certificate_pem).encode()

    @property
    def thumbprint(self) -> str:
        """SHA-1, hex, as the portal shows it and MSAL's `client_credential` takes it."""
        return thumbprints(load_certificate(self.certificate_pem)).sha1_hex

    @property
    def token_url(self) -> str:
        return _token_url(self.tenant_id)


def _token_url(tenant_id: str) -> str:
    return f"https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token"
