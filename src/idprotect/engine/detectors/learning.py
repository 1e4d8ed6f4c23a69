"""Whether a principal's behaviour is learned: enough sign-ins, or long enough since the first."""

from __future__ import annotations

from datetime import datetime

from idprotect.engine.findings import Context


def has_learned(context: Context, principal_id: str, at: datetime) -> bool:
    """After `learning_sign_ins` sign-ins or `learning_period` since the user's first, whichever
    comes first (Entra's atypical travel: 10 sign-ins or 14 days); a user never seen before has
    learned nothing."""
    settings = context.settings
    count, first = context.history.learned(principal_id, at)
    if first is None:
        return False
    return count >= settings.learning_sign_ins or at - first >= settings.learning_period
