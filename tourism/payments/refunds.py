"""Refunds: money given back against a payment, through its provider or by the operator's hand.

Every refund is a row in `refunds` against one payment, and the payment's `refunded_amount`
is what its live refunds (pending or succeeded) add up to. A refund first reserves its
amount on the payment with one conditional UPDATE (`refunded_amount + amount <= amount`),
so a refund larger than what is left is refused and two refunds racing can never give back
more than was paid. Then:

- a provider that can send refunds (Stripe: `send_refund`) sends it at once, with an
  idempotency key derived from the payment and the refund's number, so a retried request
  never refunds twice; if the provider refuses, the refund is kept as FAILED (visible to the
  operator), its amount is released, and nothing raises: a booking cancellation stands;
- for the others (pay at the village, VietQR transfer) the refund is recorded PENDING for
  the operator to pay back by hand (`mark_refund_paid` when done).
"""
import logging
from datetime import datetime

from sqlalchemy import func, select, update

from tourism.booking.services import operator_booking_ids, refund_due
from tourism.exceptions import DomainError
from tourism.i18n import Formatter, _
from tourism.payments.interfaces import RefundResult
from tourism.payments.models import RECEIVED, Payment, PaymentStatus, Refund, RefundStatus
from tourism.payments.services import amount_paid, failed_refunds, manual_refunds_due, sync_refund_status

log = logging.getLogger(__name__)

# A refund's status moves forward only: a late "succeeded" never undoes a "failed".
REFUND_RANK = {RefundStatus.PENDING: 0, RefundStatus.SUCCEEDED: 1, RefundStatus.FAILED: 2}


class RefundRefused(DomainError):
    """The refund asked for is not possible (nothing changed)."""


def _money(amount: int, currency: str, locale: str) -> str:
    return Formatter(locale).money(amount, currency)


def refund_payment(dbsession, payment: Payment, amount: int, *, reason: str, now: datetime,
                   provider=None, locale: str | None = None) -> Refund:
    """Record a refund of `amount` against `payment` and send it through `provider`.

    `provider` is the payment's provider object, or None. One with `send_refund` sends the
    refund now (the refund comes back SUCCEEDED, PENDING while the provider processes it, or
    FAILED with its reason); without it the refund is recorded PENDING for the operator to
    pay back by hand. Raises RefundRefused, having changed nothing, when `amount` is not
    positive or is more than the payment has left to refund. Never raises for a provider
    error. Locks the payment row (the conditional UPDATE) until the transaction ends.
    """
    locale = locale or payment.booking.locale
    if amount <= 0:
        raise RefundRefused(_("A refund must be more than zero."))
    dbsession.flush()  # the refresh below must not drop changes not yet written
    reserved = dbsession.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status.in_(RECEIVED),
               Payment.refunded_amount + amount <= Payment.amount)
        .values(refunded_amount=Payment.refunded_amount + amount, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    dbsession.refresh(payment)
    if not reserved:
        raise RefundRefused(_("This refund is more than what was paid: at most ${amount} can still be given back.",
                              mapping={"amount": _money(payment.refundable, payment.currency, locale)}))
    number = dbsession.scalar(select(func.count()).select_from(Refund).where(Refund.payment_id == payment.id)) + 1
    refund = Refund(payment_id=payment.id, amount=amount, status=RefundStatus.PENDING, reason=reason[:40],
                    idempotency_key=f"langviet-refund-{payment.id}-{number}", created_at=now, updated_at=now)
    dbsession.add(refund)
    dbsession.flush()
    send = getattr(provider, "send_refund", None)
    if send is not None:
        send(dbsession, payment, refund, now=now)
        if refund.status == RefundStatus.FAILED:
            _release(dbsession, payment, refund.amount, now=now)
    sync_refund_status(payment, now=now)
    dbsession.flush()
    return refund


def refund_booking(dbsession, booking, amount: int, *, reason: str, now: datetime, providers: dict,
                   locale: str | None = None) -> list[Refund]:
    """Give `amount` back across the booking's received payments, newest first.

    `providers` maps a provider name to its object (see `refund_payment`). Returns the
    refunds recorded (a failed one included). Raises RefundRefused, having changed nothing,
    when `amount` is negative or more than everything still refundable on the booking.
    """
    locale = locale or booking.locale
    if amount < 0:
        raise RefundRefused(_("A refund must be more than zero."))
    payments = list(dbsession.scalars(
        select(Payment).where(Payment.booking_id == booking.id, Payment.status.in_(RECEIVED))
        .order_by(Payment.id.desc()).with_for_update()
    ))
    refundable = sum(p.refundable for p in payments)
    if amount > refundable:
        raise RefundRefused(_("This refund is more than what was paid: at most ${amount} can still be given back.",
                              mapping={"amount": _money(refundable, booking.currency, locale)}))
    refunds, left = [], amount
    with dbsession.begin_nested():
        for payment in payments:
            part = min(payment.refundable, left)
            if part <= 0:
                continue
            refunds.append(refund_payment(dbsession, payment, part, reason=reason, now=now,
                                          provider=providers.get(payment.provider), locale=locale))
            left -= part
    return refunds


def refund_through(provider, dbsession, booking, amount: int, *, now: datetime) -> RefundResult:
    """`PaymentProvider.refund` for any provider: give `amount` back on its payments of the booking.

    Providers with `send_refund` send it at once; for the others (money handed over at the
    village, bank transfers) the refund is recorded PENDING for the operator to pay back.
    """
    made = refund_booking(dbsession, booking, amount, reason="cancellation", now=now,
                          providers={provider.name: provider})
    sent = sum(r.amount for r in made if r.status != RefundStatus.FAILED)
    status = "failed" if made and not sent else (
        "succeeded" if all(r.status == RefundStatus.SUCCEEDED for r in made) else "pending")
    return RefundResult(amount=sent, status=status)


def refund_for_cancellation(dbsession, booking, *, now: datetime, providers: dict) -> int:
    """What cancelling gives back: the policy's share of what was paid, through each payment's
    provider; unpaid attempts (due at the village, a card payment not made) are closed.

    Returns the amount given back or owed back (failed refunds not counted). For
    `booking.services.cancel_booking(refund=...)`, which calls it inside its savepoint.
    """
    _percent, amount = refund_due(booking, amount_paid(dbsession, booking), now)
    refunds = refund_booking(dbsession, booking, amount, reason="cancellation", now=now, providers=providers)
    close_open_payments(dbsession, booking, now=now, providers=providers)
    return sum(r.amount for r in refunds if r.status != RefundStatus.FAILED)


def close_open_payments(dbsession, booking, *, now: datetime, providers: dict) -> None:
    """Cancel the booking's payments that took no money yet (due on site, a started card
    payment), and ask their providers to close them so they cannot be paid any more."""
    for payment in dbsession.scalars(select(Payment).where(
            Payment.booking_id == booking.id,
            Payment.status.in_((PaymentStatus.PENDING, PaymentStatus.DUE_ON_SITE)))):
        close = getattr(providers.get(payment.provider), "cancel_attempt", None)
        if close is not None:
            close(payment)  # best effort: a payment made anyway is refunded when it arrives
        payment.status = PaymentStatus.CANCELLED
        payment.updated_at = now
    dbsession.flush()


def apply_refund_status(dbsession, refund: Refund, status: RefundStatus, *, now: datetime,
                        failure_reason: str | None = None) -> bool:
    """A provider's news about a refund (forward only); True when it changed anything.

    A refund that fails gives its amount back to the payment's refundable total.
    """
    if REFUND_RANK[status] <= REFUND_RANK[refund.status]:
        return False
    refund.status = status
    refund.updated_at = now
    if failure_reason:
        refund.failure_reason = failure_reason[:500]
    payment = refund.payment
    if status == RefundStatus.FAILED:
        _release(dbsession, payment, refund.amount, now=now)
        log.error("refund %s of payment %s failed: %s", refund.id, payment.id, refund.failure_reason)
    sync_refund_status(payment, now=now)
    dbsession.flush()
    return True


def record_external_refund(dbsession, payment: Payment, amount: int, *, status: RefundStatus, now: datetime,
                           provider_reference: str | None = None) -> Refund | None:
    """A refund made outside LàngViệt (in the provider's dashboard), recorded so the books match.

    At most what is left to refund is recorded; returns None when nothing could be.
    """
    amount = min(amount, payment.refundable)
    if amount <= 0:
        log.error("payment %s: the provider reports a refund beyond what was paid", payment.id)
        return None
    dbsession.execute(update(Payment).where(Payment.id == payment.id)
                      .values(refunded_amount=Payment.refunded_amount + amount, updated_at=now)
                      .execution_options(synchronize_session=False))
    dbsession.refresh(payment)
    refund = Refund(payment_id=payment.id, amount=amount, status=status, reason="provider",
                    provider_reference=provider_reference, created_at=now, updated_at=now)
    dbsession.add(refund)
    sync_refund_status(payment, now=now)
    dbsession.flush()
    return refund


def mark_refund_paid(dbsession, refund: Refund, *, now: datetime) -> None:
    """The operator paid back a refund by hand (cash at the village, a bank transfer)."""
    if refund.provider_reference is not None:
        raise DomainError(_("This refund goes through the card provider; it cannot be marked as paid by hand."))
    if refund.status == RefundStatus.FAILED:
        raise DomainError(_("This refund failed; record a new one instead."))
    apply_refund_status(dbsession, refund, RefundStatus.SUCCEEDED, now=now)


def _release(dbsession, payment: Payment, amount: int, *, now: datetime) -> None:
    dbsession.execute(update(Payment).where(Payment.id == payment.id)
                      .values(refunded_amount=Payment.refunded_amount - amount, updated_at=now)
                      .execution_options(synchronize_session=False))
    dbsession.refresh(payment)


# --- the operator's list -----------------------------------------------------------------

RETRY_REASON = "retry-of-{id}"


def refunds_to_handle(dbsession, operator_id: int | None) -> tuple[list[Refund], list[Refund]]:
    """What the operator must act on: (refunds to pay back by hand, refunds that failed).

    Failed refunds already tried again successfully are left out. `operator_id` None
    means every operator's (a platform admin).
    """
    booking_ids = None if operator_id is None else operator_booking_ids(operator_id)
    failed = [r for r in failed_refunds(dbsession, booking_ids=booking_ids) if _retry_of(dbsession, r) is None]
    return manual_refunds_due(dbsession, booking_ids=booking_ids), failed


def _retry_of(dbsession, failed: Refund) -> Refund | None:
    """The live refund that tried `failed` again, if any."""
    return dbsession.scalar(select(Refund).where(
        Refund.payment_id == failed.payment_id, Refund.reason == RETRY_REASON.format(id=failed.id),
        Refund.status != RefundStatus.FAILED))


def retry_failed_refund(dbsession, failed: Refund, *, now: datetime, providers: dict) -> Refund:
    """Try a failed refund again through its provider, as a new refund row (the failure stays).

    Raises DomainError when the refund did not fail, or was already tried again with
    success (pressing the button twice refunds once), or RefundRefused when the payment
    has less left to give back. A new failure is returned, not raised.
    """
    if failed.status != RefundStatus.FAILED:
        raise DomainError(_("This refund did not fail; there is nothing to try again."))
    # Lock the payment first, so two presses of the button cannot both pass the check below.
    dbsession.execute(select(Payment.id).where(Payment.id == failed.payment_id).with_for_update())
    if _retry_of(dbsession, failed) is not None:
        raise DomainError(_("This refund was already tried again."))
    payment = failed.payment
    return refund_payment(dbsession, payment, failed.amount, reason=RETRY_REASON.format(id=failed.id), now=now,
                          provider=providers.get(payment.provider))
