"""passwordSpray: one address failing for many accounts, and more failing than succeeding."""

from __future__ import annotations

from datetime import datetime

from idprotect.domain.enums import RiskDetectionTimingType, RiskLevel
from idprotect.domain.signins import SignIn
from idprotect.engine.findings import Context, Finding


def password_spray(sign_in: SignIn, context: Context) -> list[Finding]:
    """Offline. When the window ending with this sign-in is a spray's, every sign-in from the
    address in it is sprayed: those before it too, so an account sprayed before the address
    was recognised is found as well. High for a success (the spray may have found its
    password), medium for a failure; once per sign-in."""
    ip, history = sign_in.ip_address, context.history
    if ip is None or not _spraying(ip, sign_in.created_at, context):
        return []
    previous = history.previous_from(ip, sign_in)
    if previous is not None and previous < sign_in.created_at and _spraying(ip, previous, context):
        # The window ending with the address's sign-in before this one held every other sign-in
        # of this window, and was a spray's: they were found with it.
        sprayed = [sign_in]
    else:
        start = sign_in.created_at - context.settings.spray_window
        # Users' sign-ins: a service principal's from the address is not sprayed.
        found = history.sign_ins_from(ip, start, sign_in.created_at)
        sprayed = [s for s in found if s.service_principal_id is None]
    return [_finding(s, sign_in, context) for s in sprayed]


def _spraying(ip: str, end: datetime, context: Context) -> bool:
    """Whether the window ending at `end` holds at least `spray_accounts` accounts failing from
    the address with a spray's failure (`spray_failure_codes`), and more failing than
    succeeding (an organisation's own busy address has its users succeeding). Accounts are
    users: the history counts no service principal's sign-in."""
    settings = context.settings
    start = end - settings.spray_window
    failures = settings.spray_failure_codes
    failed, succeeded = context.history.spray_accounts_from(ip, start, end, failures)
    return failed >= settings.spray_accounts and failed > succeeded


def _finding(sprayed: SignIn, evaluated: SignIn, context: Context) -> Finding:
    settings = context.settings
    # The reasons name the rule, not a window's counts: whichever sign-in recognises the spray
    # first (which depends on the order sign-ins arrive in), the detection is the same.
    reasons = {
        "ipAddress": sprayed.ip_address or "",
        "minFailedAccounts": str(settings.spray_accounts),
        "windowMinutes": f"{settings.spray_window.total_seconds() / 60:g}",
    }
    return Finding(
        "passwordSpray",
        RiskLevel.HIGH if sprayed.succeeded else RiskLevel.MEDIUM,
        RiskDetectionTimingType.OFFLINE,
        reasons,
        sign_in=None if sprayed.id == evaluated.id else sprayed,
    )
