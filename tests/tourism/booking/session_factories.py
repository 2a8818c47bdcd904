"""Builders for the session bulk-action tests (test_bulk.py, test_session_views.py): a village
run by its own operator, and confirmed bookings paid each way a guest can pay."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from tests.factories import contact, make_experience, make_operator, make_village
from tests.tourism.payments.conftest import pay
from tourism.booking import services
from tourism.booking.models import Booking, BookingStatus
from tourism.notify.models import OutboxMessage
from tourism.payments import vietqr_provider
from tourism.payments.models import Payment, PaymentStatus, Refund
from tourism.payments.services import providers
from tourism.shop import checkout

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)  # 08:00 in Hà Nội
STARTS = NOW + timedelta(hours=20)  # the policy would give nothing back by now: the village gives everything back
LATER = STARTS + timedelta(days=1)


def rain_village(dbsession, slug="mua-to", operator_slug="htx-mua"):
    """A village run by its own operator, with a pottery class in vi, en and ko (adults 300,000 ₫)."""
    village = make_village(dbsession, slug=slug, province="Tỉnh Mưa",
                           texts={"vi": "Làng Mưa", "en": "Rain Village", "ko": "비 마을"})
    make_operator(dbsession, slug=operator_slug, name=f"HTX {slug}", villages=[village])
    return make_experience(dbsession, village, f"{slug}-gom", max_party=10,
                           texts={"vi": "Nặn gốm", "en": "Throw a pot", "ko": "물레 도자기 체험"})


class Guests:
    """Confirmed bookings on a session, paid each way a guest can pay."""

    def __init__(self, dbsession, registry, session, stripe_client=None):
        self.dbsession, self.registry, self.session, self.stripe_client = dbsession, registry, session, stripe_client
        self.count = 0

    def hold(self, name="Bà Tư", locale="vi", adults=1, session=None, basket=checkout.EMPTY_BASKET, now=NOW):
        """A guest still paying (their hold lasts 15 minutes from `now`)."""
        self.count += 1
        email = f"guest{self.count}-{locale}@rain.example"
        booking, _token = services.create_hold(self.dbsession, session=session or self.session,
                                               party={"adult": adults}, basket=basket, now=now,
                                               contact=contact(name=name, locale=locale, email=email))
        return booking

    def at_village(self, name="Trần Văn Nam", locale="vi", adults=2, session=None) -> Booking:
        """Pays at the village on the day: nothing paid yet."""
        booking = self.hold(name, locale, adults, session)
        booking.payment_provider = "on_site"
        self.dbsession.add(Payment(booking_id=booking.id, provider="on_site", amount=booking.total_amount,
                                   currency="VND", status=PaymentStatus.DUE_ON_SITE, updated_at=NOW))
        services.confirm_booking(self.dbsession, booking, now=NOW, registry=self.registry)
        return booking

    def by_transfer(self, name="Lê Thị Hoa", locale="vi", adults=2, session=None, basket=checkout.EMPTY_BASKET):
        """Paid by VietQR transfer, received."""
        booking = self.hold(name, locale, adults, session, basket)
        booking.payment_provider = "vietqr"
        payment = vietqr_provider.pending_payment(self.dbsession, booking, now=NOW)
        vietqr_provider.mark_received(self.dbsession, payment, providers=providers(self.registry), now=NOW,
                                      registry=self.registry)
        assert booking.status == BookingStatus.CONFIRMED
        return booking

    def by_card(self, name="Kim Min-ji", locale="ko", adults=2, session=None) -> Booking:
        """Paid by card on (local) Stripe, as the webhook records it."""
        booking = self.hold(name, locale, adults, session)
        stripe = providers(self.registry)["stripe"]
        intent = stripe.client.v1.payment_intents.create(params={
            "amount": booking.total_amount, "currency": "vnd", "payment_method_types": ["card"]})
        assert pay(self.stripe_client, intent.id) == "succeeded"
        booking.payment_provider = "stripe"
        self.dbsession.add(Payment(booking_id=booking.id, provider="stripe", amount=booking.total_amount,
                                   currency="VND", status=PaymentStatus.SUCCEEDED, provider_reference=intent.id,
                                   updated_at=NOW))
        services.confirm_booking(self.dbsession, booking, now=NOW, registry=self.registry)
        return booking


def payment_of(dbsession, booking, provider_name=None) -> Payment:
    query = select(Payment).where(Payment.booking_id == booking.id).order_by(Payment.id.desc())
    if provider_name:
        query = query.where(Payment.provider == provider_name)
    return dbsession.scalars(query).first()


def refunds_of(dbsession, booking) -> list[Refund]:
    return list(dbsession.scalars(select(Refund).join(Payment).where(Payment.booking_id == booking.id)
                                  .order_by(Refund.id)))


def at_stripe(stripe_client, payment) -> list:
    return stripe_client.v1.refunds.list(params={"payment_intent": payment.provider_reference}).data


def outbox_count(dbsession) -> int:
    return dbsession.scalar(select(func.count()).select_from(OutboxMessage))
