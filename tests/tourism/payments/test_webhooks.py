"""Stripe webhooks: only a verified `payment_intent.succeeded` confirms a card booking; repeated,
late, out-of-order, forged and foreign events change nothing they should not; a payment that
cannot be kept goes back to the card and the guest is told."""
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from webtest import TestApp

from tests.factories import contact, make_experience, make_session, make_village
from tests.tourism.payments.conftest import (NOW, card_payment, choose_card, committed, deliver, event, pay,
                                             signed, stripe_events)
from tourism.booking import services as booking_services
from tourism.booking.models import Booking, BookingStatus
from tourism.clock import utcnow
from tourism.notify.models import OutboxMessage
from tourism.payments.models import Payment, PaymentStatus, Refund, RefundStatus, WebhookEvent
from tourism.payments.services import amount_paid


def inbox(dbsession):
    return dbsession.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()


def emails_to(dbsession, address):
    return dbsession.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)).all()


@pytest.fixture
def started(card_app_at, dbsession, held):
    """start(…) → (booking, token, payment): a held booking whose guest chose to pay by card."""
    def start(**hold_args):
        booking, token = held(**hold_args)
        choose_card(card_app_at, token).follow()
        return booking, token, card_payment(dbsession, booking)

    return start


def test_a_paid_booking_is_confirmed_by_the_webhook_not_by_the_return(card_app_at, dbsession, started, stripe_client,
                                                                      webhook_secret):
    booking, token, payment = started()
    assert pay(stripe_client, payment.provider_reference) == "succeeded"
    waiting = card_app_at.get(f"/booking/{token}/card/return", {"redirect_status": "succeeded", "lang": "en"})
    assert "waiting for your bank" in waiting.text and booking.status == BookingStatus.HELD
    assert emails_to(dbsession, "card@example.com") == []

    (succeeded,) = stripe_events(stripe_client, payment.provider_reference, "payment_intent.succeeded")
    assert deliver(card_app_at, succeeded, webhook_secret).json == {"received": True, "duplicate": False}

    assert booking.status == BookingStatus.CONFIRMED and booking.payment_provider == "stripe"
    assert payment.status == PaymentStatus.SUCCEEDED and amount_paid(dbsession, booking) == 600_000
    (email,) = emails_to(dbsession, "card@example.com")
    assert booking.reference[:4] in email.subject + email.body_text
    (row,) = inbox(dbsession)
    assert (row.provider, row.event_id, row.outcome) == ("stripe", succeeded["id"], "processed: booking confirmed")
    # Now the return page and the card page both lead to the confirmed booking.
    assert card_app_at.get(f"/booking/{token}/card/return").location.endswith(f"/booking/{token}")
    manage = card_app_at.get(f"/booking/{token}", {"lang": "en"})
    assert "Your booking is confirmed." in manage.text and "Paid by card" in manage.text


def test_a_declined_card_fails_the_attempt_and_the_guest_can_try_again(card_app_at, dbsession, started, stripe_client,
                                                                       webhook_secret):
    booking, token, payment = started()
    assert pay(stripe_client, payment.provider_reference, "4000000000000002") == "requires_payment_method"
    (failed,) = stripe_events(stripe_client, payment.provider_reference, "payment_intent.payment_failed")
    deliver(card_app_at, failed, webhook_secret)
    assert payment.status == PaymentStatus.FAILED and payment.failure_reason == "Your card was declined."
    assert booking.status == BookingStatus.HELD
    assert "did not go through" in card_app_at.get(f"/booking/{token}/card/return", {"lang": "en"}).text
    # A new attempt, a new PaymentIntent; this time the card is good.
    choose_card(card_app_at, token).follow()
    retry = card_payment(dbsession, booking)
    assert retry.attempt == 2 and retry.provider_reference != payment.provider_reference
    assert pay(stripe_client, retry.provider_reference) == "succeeded"
    (succeeded,) = stripe_events(stripe_client, retry.provider_reference, "payment_intent.succeeded")
    deliver(card_app_at, succeeded, webhook_secret)
    assert booking.status == BookingStatus.CONFIRMED and payment.status == PaymentStatus.FAILED


def test_a_repeated_webhook_changes_nothing(card_app_at, dbsession, started, stripe_client, webhook_secret):
    booking, _token, payment = started()
    pay(stripe_client, payment.provider_reference)
    (succeeded,) = stripe_events(stripe_client, payment.provider_reference, "payment_intent.succeeded")
    deliver(card_app_at, succeeded, webhook_secret)
    again = deliver(card_app_at, succeeded, webhook_secret)
    assert again.json == {"received": True, "duplicate": True}
    assert len(inbox(dbsession)) == 1 and len(emails_to(dbsession, "card@example.com")) == 1
    dbsession.refresh(booking.session)
    assert booking.session.seats_booked == 2 and booking.session.seats_held == 0


@pytest.mark.parametrize("order", [("succeeded", "failed"), ("failed", "succeeded")])
def test_out_of_order_events_cannot_undo_a_payment(card_app_at, dbsession, started, stripe_client, webhook_secret, order):
    """The guest's first card is declined, the second (on the same PaymentIntent, as the
    Payment Element allows) accepted; Stripe may deliver the two events in either order.

    localstripe cannot confirm an intent again after a decline, so the earlier failure is
    built here from the intent localstripe reports, as Stripe would have sent it."""
    booking, _token, payment = started()
    assert pay(stripe_client, payment.provider_reference) == "succeeded"
    succeeded = stripe_events(stripe_client, payment.provider_reference, "payment_intent.succeeded")[0]
    declined = dict(succeeded["data"]["object"], status="requires_payment_method", latest_charge=None,
                    last_payment_error={"code": "card_declined", "message": "Your card was declined."})
    events = {"succeeded": succeeded, "failed": event("payment_intent.payment_failed", declined)}
    for kind in order:
        deliver(card_app_at, events[kind], webhook_secret)
    assert payment.status == PaymentStatus.SUCCEEDED and payment.failure_reason is None
    assert booking.status == BookingStatus.CONFIRMED
    outcomes = [row.outcome for row in inbox(dbsession)]
    if order[0] == "succeeded":
        assert outcomes == ["processed: booking confirmed", "no change: payment already succeeded"]
    else:
        assert outcomes == ["processed: payment failed", "processed: booking confirmed"]


def test_a_late_payment_retakes_free_seats(card_app_at, dbsession, started, stripe_client, webhook_secret):
    booking, _token, payment = started()
    pay(stripe_client, payment.provider_reference)
    later = NOW + timedelta(minutes=40)  # the 15-minute hold is long gone
    booking_services.release_expired_holds(dbsession, now=later)  # the worker's pass
    dbsession.refresh(booking)
    assert booking.status == BookingStatus.EXPIRED
    card_app_at.extra_environ["tourism.now"] = later
    (succeeded,) = stripe_events(stripe_client, payment.provider_reference, "payment_intent.succeeded")
    deliver(card_app_at, succeeded, webhook_secret)
    assert booking.status == BookingStatus.CONFIRMED and payment.status == PaymentStatus.SUCCEEDED
    dbsession.refresh(booking.session)
    assert booking.session.seats_booked == 2 and booking.session.seats_held == 0
    assert len(emails_to(dbsession, "card@example.com")) == 1


def test_a_late_payment_for_seats_taken_meanwhile_is_refunded_and_the_guest_told(
        card_app_at, dbsession, started, held, stripe_client, webhook_secret):
    booking, _token, payment = started(capacity=2, locale="ko", email="minjun@example.kr")
    pay(stripe_client, payment.provider_reference)
    later = NOW + timedelta(minutes=20)
    other, _ = held(session=booking.session, email="other@example.com", now=later)  # takes the freed seats
    card_app_at.extra_environ["tourism.now"] = later + timedelta(minutes=1)
    (succeeded,) = stripe_events(stripe_client, payment.provider_reference, "payment_intent.succeeded")
    deliver(card_app_at, succeeded, webhook_secret)

    assert booking.status == BookingStatus.EXPIRED and other.status == BookingStatus.HELD
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_amount == 600_000
    (refund,) = payment.refunds
    assert (refund.status, refund.reason, refund.amount) == (RefundStatus.SUCCEEDED, "late_payment", 600_000)
    (at_stripe,) = stripe_client.v1.refunds.list(params={"payment_intent": payment.provider_reference}).data
    assert at_stripe.id == refund.provider_reference and at_stripe.amount == 600_000
    (email,) = emails_to(dbsession, "minjun@example.kr")
    assert '<html lang="ko">' in email.body_html and "물레 도자기 체험" in email.body_text
    assert "₩" not in email.body_text and "₫" in email.body_text
    assert inbox(dbsession)[0].outcome == "refunded: late_payment"
    dbsession.refresh(booking.session)
    assert booking.session.seats_booked == 0 and booking.session.seats_held == 2  # the other guest's hold


def test_a_payment_for_a_cancelled_booking_is_refunded(card_app_at, dbsession, started, stripe_client, webhook_secret):
    booking, token, payment = started()
    pay(stripe_client, payment.provider_reference)  # paid in one tab…
    booking_services.cancel_booking(dbsession, booking, now=NOW)  # …cancelled in another, before the event
    (succeeded,) = stripe_events(stripe_client, payment.provider_reference, "payment_intent.succeeded")
    deliver(card_app_at, succeeded, webhook_secret)
    assert booking.status == BookingStatus.CANCELLED and payment.status == PaymentStatus.REFUNDED
    assert payment.refunds[0].reason == "booking_cancelled"
    assert "refunded to your card" in card_app_at.get(f"/booking/{token}", {"lang": "en"}).text


@pytest.mark.parametrize("forgery", ["wrong secret", "tampered body", "no signature", "stale", "not json"])
def test_a_forged_webhook_is_refused_and_changes_nothing(card_app_at, dbsession, started, stripe_client, webhook_secret,
                                                         forgery):
    booking, _token, payment = started()
    pay(stripe_client, payment.provider_reference)
    (succeeded,) = stripe_events(stripe_client, payment.provider_reference, "payment_intent.succeeded")
    body, headers = signed(succeeded, webhook_secret)
    if forgery == "wrong secret":
        body, headers = signed(succeeded, "whsec_guessed")
    elif forgery == "tampered body":
        body = body.replace(b'"amount": 600000', b'"amount": 1')
    elif forgery == "no signature":
        headers.pop("Stripe-Signature")
    elif forgery == "stale":  # a captured delivery replayed an hour later
        body, headers = signed(succeeded, webhook_secret, timestamp=int(time.time()) - 3600)
    elif forgery == "not json":
        body, headers = signed("not json {", webhook_secret)
    response = card_app_at.post("/payments/stripe/webhook", body, headers=headers, status=400)
    assert "invalid" in response.json["error"]
    assert inbox(dbsession) == [] and booking.status == BookingStatus.HELD and payment.status == PaymentStatus.PENDING


def test_an_event_for_an_unknown_payment_is_acknowledged_and_changes_nothing(card_app_at, dbsession, started,
                                                                            stripe_client, webhook_secret):
    """200, not 4xx: the event is genuine (signed) but not ours (another integration on the
    same Stripe account, or a booking id that does not exist); an error answer would only
    make Stripe send it again for days. Nothing is refunded either: it is not our money."""
    booking, _token, payment = started()
    foreign = stripe_client.v1.payment_intents.create(params={
        "amount": 600_000, "currency": "vnd", "metadata": {"booking_id": "999999999", "booking_reference": "NOPE2345"}})
    pay(stripe_client, foreign.id)
    (succeeded,) = stripe_events(stripe_client, foreign.id, "payment_intent.succeeded")
    deliver(card_app_at, succeeded, webhook_secret)
    (row,) = inbox(dbsession)
    assert row.outcome == "ignored: unknown payment"
    assert booking.status == BookingStatus.HELD and payment.status == PaymentStatus.PENDING
    assert dbsession.scalar(select(func.count()).select_from(Refund)) == 0
    assert stripe_client.v1.refunds.list(params={"payment_intent": foreign.id}).data == []
    # An event type we do not handle is acknowledged the same way.
    deliver(card_app_at, event("customer.created", {"id": "cus_x", "object": "customer"}), webhook_secret)
    assert inbox(dbsession)[-1].outcome == "ignored: event type"


def test_a_refund_made_in_stripes_dashboard_is_recorded_once(card_app_at, dbsession, started, stripe_client,
                                                               webhook_secret):
    """localstripe sends no charge.refunded: the event is built and signed here, as Stripe sends
    it (recent API versions leave the charge's list of refunds out; the app reads them)."""
    booking, _token, payment = started()
    pay(stripe_client, payment.provider_reference)
    deliver(card_app_at, stripe_events(stripe_client, payment.provider_reference, "payment_intent.succeeded")[0],
            webhook_secret)
    made = stripe_client.v1.refunds.create(params={"payment_intent": payment.provider_reference, "amount": 100_000})
    intent = stripe_client.v1.payment_intents.retrieve(payment.provider_reference)
    charge = intent.latest_charge if isinstance(intent.latest_charge, str) else intent.latest_charge.id
    refunded = event("charge.refunded", {"id": charge, "object": "charge", "amount": 600_000, "currency": "vnd",
                                         "amount_refunded": 100_000, "refunded": False,
                                         "payment_intent": payment.provider_reference})
    deliver(card_app_at, refunded, webhook_secret)
    (refund,) = payment.refunds
    assert (refund.amount, refund.status, refund.reason) == (100_000, RefundStatus.SUCCEEDED, "provider")
    assert refund.provider_reference == made.id
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED and amount_paid(dbsession, booking) == 500_000
    # The same refund's own event (refund.created) is matched by its id, not counted twice.
    deliver(card_app_at, event("refund.created", {"id": made.id, "object": "refund", "amount": 100_000,
                                             "status": "succeeded", "payment_intent": payment.provider_reference}),
            webhook_secret)
    assert len(payment.refunds) == 1 and payment.refunded_amount == 100_000
    assert [row.outcome for row in inbox(dbsession)][-1] == "no change"


# --- delivered by localstripe itself --------------------------------------------------------------

@pytest.fixture
def live_server(live_stripe_app, served_stripe_app, localstripe, webhook_secret):
    """The served app, registered as localstripe's webhook endpoint for this test."""
    import urllib.request

    def register(events=None):
        body = {"url": f"{served_stripe_app}/payments/stripe/webhook", "secret": webhook_secret}
        if events is not None:
            body["events"] = events
        request = urllib.request.Request(f"{localstripe}/_config/webhooks/langviet", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(request, timeout=5).close()

    register()
    yield served_stripe_app
    register(events=["langviet.none"])  # localstripe cannot forget a webhook: make it match nothing


def test_localstripe_delivers_a_signed_webhook_that_confirms_the_booking(live_stripe_app, live_server, stripe_client):
    """End to end over HTTP and committed transactions: the guest books and chooses card,
    pays (at localstripe, as Stripe.js would), and localstripe's own signed delivery to the
    running app confirms the booking."""
    registry = live_stripe_app.registry
    email = "live-card@stripe-test.example"

    def setup(db):
        village = make_village(db, slug="the-song", province="Tỉnh Sống")
        experience = make_experience(db, village, "the-song-gom")
        session = make_session(db, experience, utcnow() + timedelta(days=5), capacity=10)
        booking, token = booking_services.create_hold(db, session=session, party={"adult": 2},
                                                      contact=contact(email=email), now=utcnow())
        return booking.id, token

    booking_id, token = committed(registry, setup)
    guest = TestApp(live_stripe_app, extra_environ={"HTTP_HOST": "example.com"})
    form = guest.get(f"/booking/{token}", {"lang": "en"}).forms[0]
    form["provider"] = "stripe"
    assert form.submit(status=303).location.endswith(f"/booking/{token}/card")
    intent_id = committed(registry, lambda db: db.scalar(
        select(Payment.provider_reference).where(Payment.booking_id == booking_id)))
    assert pay(stripe_client, intent_id) == "succeeded"
    status = lambda db: db.scalar(select(Booking.status).where(Booking.id == booking_id))  # noqa: E731
    deadline = time.monotonic() + 20
    while committed(registry, status) != BookingStatus.CONFIRMED and time.monotonic() < deadline:
        time.sleep(0.2)
    assert committed(registry, status) == BookingStatus.CONFIRMED
    outcome = committed(registry, lambda db: db.scalar(select(WebhookEvent.outcome).where(
        WebhookEvent.event_type == "payment_intent.succeeded", WebhookEvent.payload.contains(intent_id))))
    assert outcome == "processed: booking confirmed"
    assert "Your booking is confirmed." in guest.get(f"/booking/{token}", {"lang": "en"}).text


def test_a_payment_whose_webhook_never_came_is_found_by_the_worker(stripe_app, dbsession, started, stripe_client):
    from tourism.payments.webhooks import reconcile_task

    booking, _token, payment = started()
    pay(stripe_client, payment.provider_reference)
    assert reconcile_task(dbsession, NOW + timedelta(minutes=5), stripe_app.registry) == 0  # give the webhook time
    assert booking.status == BookingStatus.HELD
    assert reconcile_task(dbsession, NOW + timedelta(minutes=11), stripe_app.registry) == 1
    assert booking.status == BookingStatus.CONFIRMED and payment.status == PaymentStatus.SUCCEEDED
    assert reconcile_task(dbsession, NOW + timedelta(minutes=20), stripe_app.registry) == 0
