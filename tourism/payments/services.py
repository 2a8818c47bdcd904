"""Payments rules: which providers exist, what a booking has paid, and how a payment's status moves.

A payment's status only moves forward (`advance_payment`), so provider events that arrive
late, twice or out of order change nothing they should not: a "payment failed" that arrives
after "succeeded" is ignored; a "succeeded" after "failed" is taken (Stripe lets the guest
try another card on the same PaymentIntent, and money received must never be ignored).
"""
from datetime import datetime

from sqlalchemy import func, select

from tourism.payments.models import RECEIVED, Payment, PaymentStatus, Refund, RefundStatus

PROVIDERS_KEY = "payments.providers"

# How far along a status is; a payment never moves to a lower rank (see advance_payment).
STATUS_RANK = {
    PaymentStatus.PENDING: 0,
    PaymentStatus.DUE_ON_SITE: 0,
    PaymentStatus.CANCELLED: 1,
    PaymentStatus.FAILED: 1,
    PaymentStatus.SUCCEEDED: 2,
    PaymentStatus.PARTIALLY_REFUNDED: 3,
    PaymentStatus.REFUNDED: 4,
}


def providers(registry) -> dict:
    """Name → provider, in the order the settings list them."""
    return registry[PROVIDERS_KEY]


def amount_paid(dbsession, booking) -> int:
    """Money actually received for the booking, less what was refunded or is owed back."""
    return dbsession.scalar(
        select(func.coalesce(func.sum(Payment.amount - Payment.refunded_amount), 0))
        .where(Payment.booking_id == booking.id, Payment.status.in_(RECEIVED))
    )


def advance_payment(payment: Payment, status: PaymentStatus, *, now: datetime, failure_reason: str | None = None) -> bool:
    """Move `payment` to `status` if that is a step forward; True when it changed.

    Refund statuses are not set here: they follow the refunds ledger (`sync_refund_status`).
    """
    if STATUS_RANK[status] <= STATUS_RANK[payment.status]:
        return False
    payment.status = status
    payment.updated_at = now
    if failure_reason is not None:
        payment.failure_reason = failure_reason[:500]
    elif status == PaymentStatus.SUCCEEDED:
        payment.failure_reason = None  # a retry on the same intent went through
    return True


def sync_refund_status(payment: Payment, *, now: datetime) -> None:
    """Set a received payment's status from what its live refunds add up to.

    The one way a status can step back: a refund that failed after being recorded gives
    its amount back to the payment (refunded → partially_refunded, say).
    """
    if payment.status not in RECEIVED:
        return
    if payment.refunded_amount <= 0:
        status = PaymentStatus.SUCCEEDED
    elif payment.refunded_amount < payment.amount:
        status = PaymentStatus.PARTIALLY_REFUNDED
    else:
        status = PaymentStatus.REFUNDED
    if payment.status != status:
        payment.status = status
        payment.updated_at = now


def payments_for(dbsession, booking) -> list[Payment]:
    """The booking's payments, oldest first."""
    return list(dbsession.scalars(select(Payment).where(Payment.booking_id == booking.id).order_by(Payment.id)))


def refunds_for(dbsession, booking) -> list[Refund]:
    """Every refund recorded against the booking's payments (failed ones too), oldest first."""
    return list(dbsession.scalars(
        select(Refund).join(Payment).where(Payment.booking_id == booking.id).order_by(Refund.id)
    ))


def failed_refunds(dbsession, *, booking_ids=None) -> list[Refund]:
    """Refunds the provider refused: money the operator still has to give back.

    For the operator console (limit to an operator's bookings with `booking_ids`, a list or
    a subquery of booking ids).
    """
    query = select(Refund).join(Payment).where(Refund.status == RefundStatus.FAILED)
    if booking_ids is not None:
        query = query.where(Payment.booking_id.in_(booking_ids))
    return list(dbsession.scalars(query.order_by(Refund.created_at, Refund.id)))


def manual_refunds_due(dbsession, *, booking_ids=None) -> list[Refund]:
    """Refunds recorded for the operator to pay back by hand (cash, bank transfer), not done yet."""
    query = (select(Refund).join(Payment)
             .where(Refund.status == RefundStatus.PENDING, Refund.provider_reference.is_(None)))
    if booking_ids is not None:
        query = query.where(Payment.booking_id.in_(booking_ids))
    return list(dbsession.scalars(query.order_by(Refund.created_at, Refund.id)))
