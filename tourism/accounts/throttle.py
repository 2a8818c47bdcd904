"""Throttling: a few wrong passwords per account, more per address, then a pause; and the
same for "Forgot your password?" requests, so nobody can flood an inbox or our mail relay.

Attempts are rows, so every process and every restart sees the same count. The limit per
account stops guessing one staff member's password from many addresses; the limit per
address stops one machine trying many accounts. Staff at one village often share one
address (the cooperative's Wi-Fi), hence its higher limit. Reset requests count whether or
not the e-mail has an account, so the limit tells nobody which e-mails have one.
"""
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from tourism.accounts.models import ResetRequest, SignInFailure

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5
PER_ADDRESS = 30

RESET_WINDOW = timedelta(hours=1)
RESETS_PER_ACCOUNT = 3
RESETS_PER_ADDRESS = 10


def _wait(dbsession, when, column, value: str, limit: int, window: timedelta, now: datetime) -> timedelta | None:
    """How long until fewer than `limit` rows with `column == value` have `when` in the last `window`."""
    since = now - window
    attempts = select(when).where(column == value, when > since)
    count = dbsession.scalar(select(func.count()).select_from(attempts.subquery()))
    if count < limit:
        return None
    # Allowed again once the oldest attempt that still counts leaves the window.
    oldest = dbsession.scalar(attempts.order_by(when.desc()).offset(limit - 1).limit(1))
    return max(oldest + window - now, timedelta(seconds=1))


def _longest(*waits) -> timedelta | None:
    waits = [w for w in waits if w]
    return max(waits) if waits else None


def wait_before_sign_in(dbsession, email: str, address: str, now: datetime) -> timedelta | None:
    """How long this account or address must wait before trying again; None if it may try now."""
    return _longest(
        _wait(dbsession, SignInFailure.failed_at, SignInFailure.email, email, PER_ACCOUNT, WINDOW, now),
        _wait(dbsession, SignInFailure.failed_at, SignInFailure.address, address, PER_ADDRESS, WINDOW, now),
    )


def record_failure(dbsession, email: str, address: str, now: datetime) -> None:
    dbsession.add(SignInFailure(email=email[:254], address=address[:64], failed_at=now))
    dbsession.flush()


def clear_failures(dbsession, email: str) -> None:
    """A correct password forgives the account's earlier mistakes (not the address's)."""
    dbsession.execute(delete(SignInFailure).where(SignInFailure.email == email))


def wait_before_reset(dbsession, email: str, address: str, now: datetime) -> timedelta | None:
    """How long before this e-mail or address may ask for another reset link; None: now."""
    return _longest(
        _wait(dbsession, ResetRequest.requested_at, ResetRequest.email, email, RESETS_PER_ACCOUNT,
              RESET_WINDOW, now),
        _wait(dbsession, ResetRequest.requested_at, ResetRequest.address, address, RESETS_PER_ADDRESS,
              RESET_WINDOW, now),
    )


def record_reset_request(dbsession, email: str, address: str, now: datetime) -> None:
    dbsession.add(ResetRequest(email=email[:254], address=address[:64], requested_at=now))
    dbsession.flush()


def forget_old_failures_task(dbsession, now: datetime, registry) -> None:
    """Worker task: attempts older than their window no longer count; drop them."""
    dbsession.execute(delete(SignInFailure).where(SignInFailure.failed_at <= now - WINDOW))
    dbsession.execute(delete(ResetRequest).where(ResetRequest.requested_at <= now - RESET_WINDOW))
