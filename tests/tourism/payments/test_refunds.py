"""Refunds: by the experience's cancellation policy, through Stripe's Refund API for cards and
recorded for the operator for money taken by hand; never more than was paid; a refund that
fails is kept and shown, and the cancellation stands."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import cancel_as_guest
from tests.tourism.payments.conftest import NOW, card_payment, choose_card, deliver, event, pay, stripe_events
from tourism.booking.models import BookingStatus
from tourism.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from tourism.payments.refunds import RefundRefused, mark_refund_paid, refund_booking
from tourism.payments.services import amount_paid, failed_refunds, manual_refunds_due

STARTS = NOW + timedelta(days=5)  # the sessions `held` makes


@pytest.fixture
def paid(card_app_at, dbsession, held, stripe_client, webhook_secret):
    """paid() → (booking, token, payment): a booking paid by card (600,000 ₫) and confirmed by its webhook."""
    def make(**hold_args):
        booking, token = held(**hold_args)
        choose_card(card_app_at, token).follow()
        payment = card_payment(dbsession, booking)
        pay(stripe_client, payment.provider_reference)
        deliver(card_app_at, stripe_events(stripe_client, payment.provider_reference, "payment_intent.succeeded")[0],
                webhook_secret)
        assert booking.status == BookingStatus.CONFIRMED
        return booking, token, payment

    return make


def cancel(card_app_at, token, at):
    card_app_at.extra_environ["tourism.now"] = at
    response = cancel_as_guest(card_app_at, token)
    assert response.status_int == 303
    return response.follow()


def refunds_at_stripe(stripe_client, payment):
    return stripe_client.v1.refunds.list(params={"payment_intent": payment.provider_reference}).data


@pytest.mark.parametrize("hours_before, percent, status", [
    (72, 100, PaymentStatus.REFUNDED),            # at least 48 hours before: everything back
    (30, 50, PaymentStatus.PARTIALLY_REFUNDED),   # 24 to 48 hours: half
])
def test_cancelling_a_card_booking_refunds_by_the_policy_through_stripe(card_app_at, dbsession, paid, stripe_client,
                                                                         hours_before, percent, status):
    booking, token, payment = paid()
    manage = cancel(card_app_at, token, STARTS - timedelta(hours=hours_before))
    expected = 600_000 * percent // 100
    assert booking.status == BookingStatus.CANCELLED
    (refund,) = payment.refunds
    assert (refund.amount, refund.status, refund.reason) == (expected, RefundStatus.SUCCEEDED, "cancellation")
    (at_stripe,) = refunds_at_stripe(stripe_client, payment)
    assert at_stripe.id == refund.provider_reference and at_stripe.amount == expected
    assert refund.idempotency_key == f"langviet-refund-{payment.id}-1"
    assert payment.status == status and payment.refunded_amount == expected
    assert amount_paid(dbsession, booking) == 600_000 - expected
    assert "refunded to your card" in manage.text
    dbsession.refresh(booking.session)
    assert booking.session.seats_booked == 0


def test_cancelling_late_refunds_nothing(card_app_at, dbsession, paid, stripe_client):
    booking, token, payment = paid()
    cancel(card_app_at, token, STARTS - timedelta(hours=10))
    assert booking.status == BookingStatus.CANCELLED
    assert payment.refunds == [] and refunds_at_stripe(stripe_client, payment) == []
    assert payment.status == PaymentStatus.SUCCEEDED


def test_a_refund_larger_than_what_was_paid_is_refused_and_changes_nothing(card_app_at, dbsession, paid, provider,
                                                                           stripe_client):
    booking, _token, payment = paid(locale="en")
    with pytest.raises(RefundRefused) as refused:
        refund_booking(dbsession, booking, 600_001, reason="operator", now=NOW, providers={"stripe": provider})
    assert "more than what was paid" in str(refused.value.message.interpolate())
    assert "₫600,000" in refused.value.message.interpolate()
    assert payment.refunds == [] and payment.refunded_amount == 0 and payment.status == PaymentStatus.SUCCEEDED
    assert refunds_at_stripe(stripe_client, payment) == []
    # After a partial refund, only the rest can still go back.
    refund_booking(dbsession, booking, 450_000, reason="operator", now=NOW, providers={"stripe": provider})
    with pytest.raises(RefundRefused):
        provider.refund(dbsession, booking, 150_001, now=NOW)
    assert provider.refund(dbsession, booking, 150_000, now=NOW).amount == 150_000
    assert payment.status == PaymentStatus.REFUNDED
    assert sum(r.amount for r in refunds_at_stripe(stripe_client, payment)) == 600_000
    with pytest.raises(RefundRefused):
        refund_booking(dbsession, booking, 1, reason="operator", now=NOW, providers={"stripe": provider})


def test_a_failed_refund_is_kept_and_shown_and_the_cancellation_stands(card_app_at, dbsession, paid, stripe_client):
    booking, token, payment = paid()
    # Stripe refuses the refund (here: it no longer knows the payment).
    payment.provider_reference = "pi_unknownToStripe"
    dbsession.flush()
    manage = cancel(card_app_at, token, STARTS - timedelta(hours=72))
    assert booking.status == BookingStatus.CANCELLED
    (refund,) = payment.refunds
    assert refund.status == RefundStatus.FAILED and refund.amount == 600_000 and refund.failure_reason
    assert payment.refunded_amount == 0 and payment.status == PaymentStatus.SUCCEEDED  # still owed: refundable again
    assert failed_refunds(dbsession, booking_ids=[booking.id]) == [refund]
    assert "could not be sent automatically" in manage.text


def test_a_refund_that_fails_later_at_stripe_is_shown(card_app_at, dbsession, paid, webhook_secret):
    booking, token, payment = paid()
    cancel(card_app_at, token, STARTS - timedelta(hours=72))
    (refund,) = payment.refunds
    failed = {"id": refund.provider_reference, "object": "refund", "amount": refund.amount, "status": "failed",
              "failure_reason": "expired_or_canceled_card", "payment_intent": payment.provider_reference}
    deliver(card_app_at, event("refund.failed", failed), webhook_secret)
    assert refund.status == RefundStatus.FAILED and refund.failure_reason == "expired_or_canceled_card"
    assert payment.refunded_amount == 0 and payment.status == PaymentStatus.SUCCEEDED
    # A "succeeded" update delivered after the failure changes nothing.
    deliver(card_app_at, event("refund.updated", dict(failed, status="succeeded")), webhook_secret)
    assert refund.status == RefundStatus.FAILED
    assert failed_refunds(dbsession)[-1] == refund
    assert "could not be sent automatically" in card_app_at.get(f"/booking/{token}", {"lang": "en"}).text


def test_money_taken_at_the_village_is_recorded_for_the_operator_to_pay_back(card_app_at, dbsession, held):
    booking, token = held()
    form = card_app_at.get(f"/booking/{token}", {"lang": "en"}).forms[0]
    form["provider"] = "on_site"
    form.submit(status=303)
    payment = dbsession.scalar(select(Payment).where(Payment.booking_id == booking.id))
    payment.status = PaymentStatus.SUCCEEDED  # the village took the cash on arrival… then plans changed
    dbsession.flush()
    manage = cancel(card_app_at, token, STARTS - timedelta(hours=30))
    (refund,) = payment.refunds
    assert (refund.amount, refund.status, refund.provider_reference) == (300_000, RefundStatus.PENDING, None)
    assert manual_refunds_due(dbsession, booking_ids=[booking.id]) == [refund]
    assert "will be paid back to you by the village" in manage.text
    mark_refund_paid(dbsession, refund, now=NOW)
    assert refund.status == RefundStatus.SUCCEEDED and manual_refunds_due(dbsession, booking_ids=[booking.id]) == []
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED


def test_cancelling_before_paying_closes_the_open_attempts(card_app_at, dbsession, held, stripe_client):
    booking, token = held()
    choose_card(card_app_at, token)
    payment = card_payment(dbsession, booking)
    card_app_at.post(f"/booking/{token}/cancel", {"csrf_token": _csrf(card_app_at, token)}, status=303)
    assert booking.status == BookingStatus.CANCELLED and payment.status == PaymentStatus.CANCELLED
    assert stripe_client.v1.payment_intents.retrieve(payment.provider_reference).status == "canceled"
    assert dbsession.scalar(select(func.count()).select_from(Refund)) == 0


def _csrf(card_app_at, token):
    return card_app_at.get(f"/booking/{token}").forms[0]["csrf_token"].value
