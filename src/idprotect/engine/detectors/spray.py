"""passwordSpray: one address failing for many accounts, and more failing than succeeding."""

from __future__ import annotations

from idprotect.domain.enums import RiskDetectionTimingType, RiskLevel
from idprotect.domain.signins import SignIn
from idprotect.engine.findings import Context, Finding
from idprotect.engine.settings import EngineSettings


def password_spray(sign_in: SignIn, context: Context) -> list[Finding]:
    """Offline. When the window ending with this sign-in is a spray's, every sign-in from the
    address in it is sprayed: those before it too, so an account sprayed before the address
    was recognised is found as well. High for a success (the spray may have found its
    password), medium for a failure; once per sign-in."""
    window = _spraying_window(sign_in, context)
    if not window:
        return []
    settings = context.settings
    # The reasons name the rule, not this window's counts: whichever sign-in recognises the
    # spray first (which depends on the order sign-ins arrive in), the detection is the same.
    reasons = {
        "ipAddress": sign_in.ip_address or "",
        "minFailedAccounts": str(settings.spray_accounts),
        "windowMinutes": f"{settings.spray_window.total_seconds() / 60:g}",
    }
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


def _spraying_window(sign_in: SignIn, context: Context) -> list[SignIn]:
    """The sign-ins from the address in the `spray_window` ending with this one, if at least
    `spray_accounts` accounts failed in it with a password failure (`spray_failure_codes`) and
    more failed than succeeded; else none."""
    ip, settings, history = sign_in.ip_address, context.settings, context.history
    if ip is None:
        return []
    start = sign_in.created_at - settings.spray_window
    # Every failure counted: more than a spray's own, so a cheap, indexed first look.
    if not _crosses(settings, *history.accounts_from(ip, start, sign_in.created_at)):
        return []
    window = history.sign_ins_from(ip, start, sign_in.created_at)
    if all(s.id != sign_in.id for s in window):
        window.append(sign_in)
    codes = settings.spray_failure_codes
    failed = len({s.user_id for s in window if s.error_code in codes})
    succeeded = len({s.user_id for s in window if s.succeeded})
    return window if _crosses(settings, failed, succeeded) else []


def _crosses(settings: EngineSettings, failed: int, succeeded: int) -> bool:
    """At least `spray_accounts` accounts failing, and more failing than succeeding (an
    organisation's own busy address has its users succeeding)."""
    return failed >= settings.spray_accounts and failed > succeeded
