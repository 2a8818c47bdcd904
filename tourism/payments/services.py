"""Payments rules: which providers exist, what a booking has paid, refunds by the policy."""
from sqlalchemy import func, select

from tourism.payments.models import Payment, PaymentStatus

PROVIDERS_KEY = "payments.providers"


def providers(registry) -> dict:
    """Name → provider, in the order the settings list them."""
    return registry[PROVIDERS_KEY]


def amount_paid(dbsession, booking) -> int:
    """Money actually received for the booking, less refunds."""
    return dbsession.scalar(
        select(func.coalesce(func.sum(Payment.amount - Payment.refunded_amount), 0))
        .where(Payment.booking_id == booking.id, Payment.status == PaymentStatus.SUCCEEDED)
    )
