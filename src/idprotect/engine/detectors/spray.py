"""passwordSpray: one address failing for many accounts, and more failing than succeeding."""

from __future__ import annotations

from idprotect.domain.enums import RiskDetectionTimingType, RiskLevel
from idprotect.domain.signins import SignIn
from idprotect.engine.findings import Context, Finding


def password_spray(sign_in: SignIn, context: Context) -> list[Finding]:
    """Offline. When the window that ends with this sign-in holds at least `spray_accounts`
    accounts failing from its address, and more failing than succeeding, every sign-in from the
    address in that window is sprayed: those before it too, so an account sprayed before the
    address was recognised is found as well. High for a success (the spray may have found its
    password), medium for a failure; once per sign-in."""
    ip, settings = sign_in.ip_address, context.settings
    if ip is None:
        return []
    start = sign_in.created_at - settings.spray_window
    failed, succeeded = context.history.accounts_from(ip, start, sign_in.created_at)
    if failed < settings.spray_accounts or failed <= succeeded:
        return []
    # The reasons name the rule, not this window's counts: whichever sign-in recognises the
    # spray first (which depends on the order sign-ins arrive in), the detection is the same.
    reasons = {
        "ipAddress": ip,
        "minFailedAccounts": str(settings.spray_accounts),
        "windowMinutes": f"{settings.spray_window.total_seconds() / 60:g}",
    }
    window = context.history.sign_ins_from(ip, start, sign_in.created_at)
    if all(s.id != sign_in.id for s in window):
        window.append(sign_in)
    return [
        Finding(
            "passwordSpray",
            RiskLevel.HIGH if sprayed.succeeded else RiskLevel.MEDIUM,
            RiskDetectionTimingType.OFFLINE,
            reasons,
            sign_in=None if sprayed.id == sign_in.id else sprayed,
        )
        for sprayed in window
    ]
