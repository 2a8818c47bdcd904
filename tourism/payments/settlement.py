"""Money that arrived for a payment: confirm the booking, or give the money back.

Whatever brought the news (Stripe's verified webhook, an operator marking a transfer
received, a bank statement line), the rule is the same and money is never silently kept:
a payment for a booking that can still be confirmed confirms it (re-taking the seats of an
expired hold if they are free); otherwise it is refunded and the guest is told.
"""
import logging

from tourism.booking.models import BookingStatus
from tourism.booking.services import NotEnoughSeats, confirm_booking
from tourism.exceptions import DomainError
from tourism.payments import refunds
from tourism.payments.emails import send_refund_notice
from tourism.payments.models import Payment, PaymentStatus, RefundStatus
from tourism.payments.services import advance_payment, amount_paid
from tourism.shop.checkout import NotEnoughStock

log = logging.getLogger(__name__)


def settle_received_payment(dbsession, payment: Payment, *, received: int, currency: str, providers: dict,
                            now, registry) -> str:
    """Record that `received` arrived for `payment` and act on it; returns what happened.

    Idempotent: a payment already received changes nothing.
    """
    if not advance_payment(payment, PaymentStatus.SUCCEEDED, now=now):
        return f"no change: payment already {payment.status}"
    dbsession.flush()
    booking = payment.booking
    if received != payment.amount or currency.upper() != payment.currency:
        log.error("payment %s received %s %s, expected %s %s", payment.id, received, currency,
                  payment.amount, payment.currency)
        return give_back(dbsession, payment, "amount_mismatch", providers=providers, now=now, registry=registry)
    if booking.status == BookingStatus.CONFIRMED:
        if amount_paid(dbsession, booking) - payment.amount >= booking.total_amount:
            return give_back(dbsession, payment, "duplicate_payment", providers=providers, now=now, registry=registry)
        # Confirmed to pay at the village, then paid online after all: this payment counts.
        refunds.close_open_payments(dbsession, booking, now=now, providers=providers)
        booking.payment_provider = payment.provider
        return "processed: booking was confirmed already, now paid"
    try:
        confirm_booking(dbsession, booking, now=now, registry=registry)
    except (NotEnoughSeats, NotEnoughStock):  # the hold expired and its seats or products went
        return give_back(dbsession, payment, "late_payment", providers=providers, now=now, registry=registry)
    except DomainError:  # cancelled meanwhile
        return give_back(dbsession, payment, "booking_cancelled", providers=providers, now=now, registry=registry)
    booking.payment_provider = payment.provider
    refunds.close_open_payments(dbsession, booking, now=now, providers=providers)
    return "processed: booking confirmed"


def give_back(dbsession, payment: Payment, reason: str, *, providers: dict, now, registry) -> str:
    """Refund all of a payment we cannot keep (through its provider when it can) and tell the guest."""
    refund = refunds.refund_payment(dbsession, payment, payment.refundable, reason=reason, now=now,
                                    provider=providers.get(payment.provider))
    send_refund_notice(dbsession, payment.booking, refund, registry=registry, now=now)
    if refund.status == RefundStatus.FAILED:
        return f"refund failed: {reason}"
    return f"refunded: {reason}"
