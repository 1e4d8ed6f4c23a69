"""leakedCredentials: a credential the user signed in with is in a breach corpus."""

from __future__ import annotations

from idprotect.domain.enums import ActivityType, RiskDetectionTimingType, RiskLevel
from idprotect.domain.signins import SignIn
from idprotect.engine.findings import Context, Finding


def leaked_credentials(sign_in: SignIn, context: Context) -> list[Finding]:
    """Offline, user risk, always high (Entra): once per user and credential."""
    found = []
    for digest in dict.fromkeys(h.upper() for h in sign_in.credential_hashes):
        if context.lists.is_leaked(digest):
            key = f"{sign_in.user_id}\x00{digest}"
            reasons = {"credentialSha1Prefix": digest[:5]}
            found.append(
                Finding(
                    "leakedCredentials",
                    RiskLevel.HIGH,
                    RiskDetectionTimingType.OFFLINE,
                    reasons,
                    activity=ActivityType.USER,
                    key=key,
                )
            )
    return found
