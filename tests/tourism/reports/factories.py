"""Hand-built bookings for the reports' tests: each in the state a test names, with its
payments and refunds written as the payment domain leaves them."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from tests.factories import contact
from tourism.booking import services as booking_services
from tourism.booking.models import Booking, BookingStatus
from tourism.payments.models import Payment, PaymentStatus, Refund, RefundStatus

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def local(year, month, day, hour, minute=0, zone=VIETNAM) -> datetime:
    """A moment given in a village's local time, as the UTC datetime the database keeps."""
    return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(timezone.utc)


def book(dbsession, session, party, *, status=BookingStatus.CONFIRMED, name="Nguyễn Thị Lan",
         email="lan@example.com", phone="+84 912 345 678", locale="vi", country="VN", paid=None,
         provider="stripe", refunded=0, due_on_site=False, hold_until=None) -> Booking:
    """A booking of `party` ({"adult": 2}) for `session`, made three days before it.

    `paid`: money received (a payment that succeeded, partly refunded when `refunded`);
    `due_on_site`: to pay at the village; `status`: CONFIRMED, HELD (hold until
    `hold_until`), EXPIRED, or CANCELLED after being confirmed."""
    made = session.starts_at - timedelta(days=3)
    booking, _token = booking_services.create_hold(
        dbsession, session=session, party=party, now=made,
        contact=contact(name=name, email=email, phone=phone, locale=locale, country=country))
    if status in (BookingStatus.CONFIRMED, BookingStatus.CANCELLED):
        booking_services.confirm_booking(dbsession, booking, now=made)
    if status == BookingStatus.CANCELLED:
        booking_services.cancel_booking(dbsession, booking, now=made + timedelta(hours=1))
    if status == BookingStatus.EXPIRED:
        booking_services.release_expired_holds(dbsession, now=booking.hold_expires_at + timedelta(minutes=1),
                                               session_id=session.id)
        dbsession.refresh(booking)
    if status == BookingStatus.HELD and hold_until is not None:
        booking.hold_expires_at = hold_until
    if paid is not None:
        payment_status = PaymentStatus.SUCCEEDED
        if refunded:
            payment_status = PaymentStatus.REFUNDED if refunded == paid else PaymentStatus.PARTIALLY_REFUNDED
        payment = Payment(booking_id=booking.id, provider=provider, amount=paid, currency="VND",
                          status=payment_status, refunded_amount=refunded, updated_at=made)
        dbsession.add(payment)
        dbsession.flush()
        if refunded:
            dbsession.add(Refund(payment_id=payment.id, amount=refunded, status=RefundStatus.SUCCEEDED,
                                 reason="cancellation", created_at=made + timedelta(hours=1)))
    if due_on_site:
        booking.payment_provider = "on_site"
        dbsession.add(Payment(booking_id=booking.id, provider="on_site", amount=booking.total_amount, currency="VND",
                              status=PaymentStatus.DUE_ON_SITE, updated_at=made))
    dbsession.flush()
    assert booking.status == status
    return booking
