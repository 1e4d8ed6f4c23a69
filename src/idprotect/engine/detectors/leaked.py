"""leakedCredentials: a credential the principal signed in with is in a breach corpus."""

from __future__ import annotations

from dataclasses import dataclass

from idprotect.domain.enums import ActivityType, RiskDetectionTimingType, RiskLevel
from idprotect.domain.signins import SignIn
from idprotect.engine.findings import Context, Finding


@dataclass(frozen=True, slots=True)
class LeakedCredentials:
    """Offline, always high (Entra), about the principal rather than the sign-in (`activity`:
    a user's, or a service principal's): once per principal and credential."""

    activity: ActivityType

    def __call__(self, sign_in: SignIn, context: Context) -> list[Finding]:
        found = []
        for digest in dict.fromkeys(h.upper() for h in sign_in.credential_hashes):
            if context.lists.is_leaked(digest):
                found.append(
                    Finding(
                        "leakedCredentials",
                        RiskLevel.HIGH,
                        RiskDetectionTimingType.OFFLINE,
                        {"credentialSha1Prefix": digest[:5]},
                        activity=self.activity,
                        key=f"{sign_in.principal_id}\x00{digest}",
                    )
                )
        return found


leaked_credentials = LeakedCredentials(ActivityType.USER)
service_principal_leaked_credentials = LeakedCredentials(ActivityType.SERVICE_PRINCIPAL)
