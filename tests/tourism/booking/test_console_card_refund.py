"""Cancelling a card-paid booking from the console: the refund (the policy's, or the amount an
owner chose) goes back through Stripe — here the real `stripe` SDK against localstripe, the
fake Stripe of tests/tourism/payments/conftest.py."""
from datetime import timedelta

import pytest

from tests.factories import make_operator, make_staff, sign_in
from tests.tourism.payments.conftest import (  # noqa: F401 (fixtures)
    NOW,
    card_app_at,
    card_payment,
    choose_card,
    deliver,
    held,
    localstripe,
    pay,
    stripe_app,
    stripe_client,
    stripe_events,
    stripe_settings,
    stripe_testapp,
    webhook_secret,
)
from tourism.booking.models import BookingStatus
from tourism.payments.models import PaymentStatus, RefundStatus


@pytest.fixture
def paid_by_card(card_app_at, dbsession, held, stripe_client, webhook_secret):
    """A booking of 2 adults (600,000 ₫) five days on, paid by card; its operator has an owner
    and a staff member."""
    booking, token = held(adults=2)
    operator = make_operator(dbsession, "htx-the-bk", villages=[booking.experience.village])
    make_staff(dbsession, operator, email="owner@example.com", role="owner")
    choose_card(card_app_at, token).follow()
    payment = card_payment(dbsession, booking)
    pay(stripe_client, payment.provider_reference)
    deliver(card_app_at, stripe_events(stripe_client, payment.provider_reference, "payment_intent.succeeded")[0],
            webhook_secret)
    assert booking.status == BookingStatus.CONFIRMED and payment.status == PaymentStatus.SUCCEEDED
    return booking, payment


def refunds_at_stripe(stripe_client, payment):
    return stripe_client.v1.refunds.list(params={"payment_intent": payment.provider_reference}).data


def test_an_owners_override_is_refunded_through_stripe(card_app_at, dbsession, paid_by_card, stripe_client):
    booking, payment = paid_by_card
    sign_in(card_app_at, "owner@example.com")
    # Ten hours before the start the policy gives nothing back; the owner gives 250,000 ₫.
    card_app_at.extra_environ["tourism.now"] = booking.session.starts_at - timedelta(hours=10)
    page = card_app_at.get(f"/console/bookings/{booking.id}/cancel", {"lang": "en"})
    assert "gives back ₫0 (0% of what was paid)" in page.text
    form = page.forms[1]
    form["refund"], form["amount"] = "other", "250000"
    done = form.submit().follow()
    assert "₫250,000 goes back to" in done.text
    (refund,) = payment.refunds
    assert (refund.amount, refund.status, refund.reason) == (250000, RefundStatus.SUCCEEDED, "operator")
    assert refund.provider_reference.startswith("re_")
    (at_stripe,) = refunds_at_stripe(stripe_client, payment)
    assert (at_stripe.id, at_stripe.amount) == (refund.provider_reference, 250000)
    assert booking.status == BookingStatus.CANCELLED and payment.status == PaymentStatus.PARTIALLY_REFUNDED


def test_the_policys_refund_goes_through_stripe_too(card_app_at, dbsession, paid_by_card, stripe_client):
    booking, payment = paid_by_card
    sign_in(card_app_at, "owner@example.com")
    card_app_at.extra_environ["tourism.now"] = NOW
    page = card_app_at.get(f"/console/bookings/{booking.id}/cancel", {"lang": "en"})
    page.forms[1].submit().follow()  # "policy" is chosen by default
    (refund,) = payment.refunds
    assert (refund.amount, refund.status) == (600000, RefundStatus.SUCCEEDED)
    assert [r.amount for r in refunds_at_stripe(stripe_client, payment)] == [600000]
    assert payment.status == PaymentStatus.REFUNDED


def test_a_refund_stripe_refuses_is_said_and_kept(card_app_at, dbsession, paid_by_card, stripe_client):
    booking, payment = paid_by_card
    real_intent, payment.provider_reference = payment.provider_reference, "pi_unknownToStripe"
    dbsession.flush()
    sign_in(card_app_at, "owner@example.com")
    page = card_app_at.get(f"/console/bookings/{booking.id}/cancel", {"lang": "en"})
    form = page.forms[1]
    form["refund"], form["amount"] = "other", "100000"
    done = form.submit().follow()
    assert "The card refund did not go through" in done.text and "/console/refunds" in done.text
    (refund,) = payment.refunds
    assert (refund.amount, refund.status) == (100000, RefundStatus.FAILED)
    assert booking.status == BookingStatus.CANCELLED  # the cancellation stands
    assert refunds_at_stripe(stripe_client, payment.__class__(provider_reference=real_intent)) == []
