"""passwordSpray: one address failing for many accounts, and more failing than succeeding."""

from __future__ import annotations

from idprotect.domain.enums import RiskDetectionTimingType, RiskLevel
from idprotect.domain.signins import SignIn
from idprotect.engine.findings import Context, Finding


def password_spray(sign_in: SignIn, context: Context) -> list[Finding]:
    """Offline, for each account signing in from a spraying address within the window that
    ends with this sign-in: high when its sign-in succeeded (the spray may have found its
    password), medium otherwise. Once per account, address and window."""
    ip, settings = sign_in.ip_address, context.settings
    if ip is None:
        return []
    window = settings.spray_window
    start = sign_in.created_at - window
    failed, succeeded = context.history.accounts_from(ip, start, sign_in.created_at)
    if failed < settings.spray_accounts or failed <= succeeded:
        return []
    level = RiskLevel.HIGH if sign_in.succeeded else RiskLevel.MEDIUM
    bucket = int(sign_in.created_at.timestamp() // window.total_seconds())
    reasons = {"ipAddress": ip, "failedAccounts": str(failed), "succeededAccounts": str(succeeded)}
    key = f"{sign_in.user_id}\x00{ip}\x00{bucket}\x00{level.value}"
    finding = Finding("passwordSpray", level, RiskDetectionTimingType.OFFLINE, reasons, key=key)
    return [finding]
