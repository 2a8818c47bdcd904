"""Pay at the village: the booking is confirmed at once and paid in cash on the day."""
from sqlalchemy import select

from tourism.booking.services import confirm_booking
from tourism.i18n import _
from tourism.payments.interfaces import PaymentStart, RefundResult
from tourism.payments.refunds import refund_through
from tourism.payments.models import Payment, PaymentStatus


class OnSiteProvider:
    name = "on_site"
    label = _("Pay at the village")
    description = _("Pay in cash or by transfer when you arrive. Your seats are confirmed now.")

    def start_payment(self, dbsession, booking, *, now, request) -> PaymentStart:
        booking.payment_provider = self.name  # before confirming: the e-mail says how to pay
        confirm_booking(dbsession, booking, now=now, registry=request.registry)
        if dbsession.scalar(select(Payment.id).where(Payment.booking_id == booking.id,
                                                    Payment.provider == self.name)) is None:
            dbsession.add(Payment(booking_id=booking.id, provider=self.name, amount=booking.total_amount,
                                  currency=booking.currency, status=PaymentStatus.DUE_ON_SITE, updated_at=now))
        dbsession.flush()
        return PaymentStart(confirmed=True)

    def handle_notification(self, dbsession, request, *, now) -> None:
        raise NotImplementedError("payment at the village sends no notifications")

    def refund(self, dbsession, booking, amount: int, *, now) -> RefundResult:
        """Money handed over at the village is paid back there: the refund is recorded for the operator."""
        return refund_through(self, dbsession, booking, amount, now=now)
