"""Sign-in throttling: a few wrong passwords per account, more per address, then a pause.

Failures are rows, so every process and every restart sees the same count. The limit per
account stops guessing one staff member's password from many addresses; the limit per
address stops one machine trying many accounts. Staff at one village often share one
address (the cooperative's Wi-Fi), hence its higher limit.
"""
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from tourism.accounts.models import SignInFailure

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5
PER_ADDRESS = 30


def _wait(dbsession, column, value: str, limit: int, now: datetime) -> timedelta | None:
    since = now - WINDOW
    failures = select(SignInFailure.failed_at).where(column == value, SignInFailure.failed_at > since)
    count = dbsession.scalar(select(func.count()).select_from(failures.subquery()))
    if count < limit:
        return None
    # Allowed again once the oldest failure that still counts leaves the window.
    oldest = dbsession.scalar(failures.order_by(SignInFailure.failed_at.desc()).offset(limit - 1).limit(1))
    return max(oldest + WINDOW - now, timedelta(seconds=1))


def wait_before_sign_in(dbsession, email: str, address: str, now: datetime) -> timedelta | None:
    """How long this account or address must wait before trying again; None if it may try now."""
    waits = [w for w in (_wait(dbsession, SignInFailure.email, email, PER_ACCOUNT, now),
                         _wait(dbsession, SignInFailure.address, address, PER_ADDRESS, now)) if w]
    return max(waits) if waits else None


def record_failure(dbsession, email: str, address: str, now: datetime) -> None:
    dbsession.add(SignInFailure(email=email[:254], address=address[:64], failed_at=now))
    dbsession.flush()


def clear_failures(dbsession, email: str) -> None:
    """A correct password forgives the account's earlier mistakes (not the address's)."""
    dbsession.execute(delete(SignInFailure).where(SignInFailure.email == email))


def forget_old_failures_task(dbsession, now: datetime, registry) -> None:
    """Worker task: failures older than the window no longer count; drop them."""
    dbsession.execute(delete(SignInFailure).where(SignInFailure.failed_at <= now - WINDOW))
