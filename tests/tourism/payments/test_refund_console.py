"""The operator's refunds page: money to pay back by hand is listed and marked paid once;
a refund Stripe refused is listed and can be tried again once; other operators see neither."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import cancel_as_guest, make_operator, make_staff, sign_in
from tests.tourism.payments.conftest import NOW, card_payment, choose_card, deliver, pay, stripe_events
from tourism.booking.models import BookingStatus
from tourism.payments.models import Payment, PaymentStatus, Refund, RefundStatus

STARTS = NOW + timedelta(days=5)


@pytest.fixture
def operators(dbsession, held):
    """(ours, theirs): ours runs the village of the `held` bookings; each has one staff member."""
    booking, _token = held()  # makes the village and the session the tests book
    held.session = booking.session
    ours = make_operator(dbsession, "htx-the", villages=[booking.experience.village])
    theirs = make_operator(dbsession, "htx-khac")
    make_staff(dbsession, ours, email="ours@example.com")
    make_staff(dbsession, theirs, email="theirs@example.com")
    return ours, theirs


def cancel(app, token, at):
    app.extra_environ["tourism.now"] = at
    assert cancel_as_guest(app, token).status_int == 303
    app.extra_environ["tourism.now"] = NOW


def cash_refund(app, dbsession, held) -> Refund:
    """A booking paid in cash at the village, then cancelled: 300,000 ₫ to pay back by hand."""
    booking, token = held(session=held.session)
    form = app.get(f"/booking/{token}", {"lang": "en"}).forms[0]
    form["provider"] = "on_site"
    form.submit(status=303)
    payment = dbsession.scalar(select(Payment).where(Payment.booking_id == booking.id))
    payment.status = PaymentStatus.SUCCEEDED
    dbsession.flush()
    cancel(app, token, STARTS - timedelta(hours=30))
    (refund,) = payment.refunds
    return refund


def failed_card_refund(app, dbsession, held, stripe_client, webhook_secret) -> Refund:
    booking, token = held(session=held.session)
    choose_card(app, token).follow()
    payment = card_payment(dbsession, booking)
    pay(stripe_client, payment.provider_reference)
    deliver(app, stripe_events(stripe_client, payment.provider_reference, "payment_intent.succeeded")[0], webhook_secret)
    assert booking.status == BookingStatus.CONFIRMED
    real_intent, payment.provider_reference = payment.provider_reference, "pi_unknownToStripe"
    dbsession.flush()
    cancel(app, token, STARTS - timedelta(hours=72))
    (refund,) = payment.refunds
    assert refund.status == RefundStatus.FAILED
    payment.provider_reference = real_intent  # Stripe knows the payment again: a retry can work
    dbsession.flush()
    return refund


def mark_paid_form(page, refund):
    return [f for f in page.forms.values() if f.action.endswith(f"/console/refunds/{refund.id}/paid")][0]


def test_money_to_pay_back_is_listed_and_marked_paid_once(card_app_at, dbsession, held, operators):
    refund = cash_refund(card_app_at, dbsession, held)
    sign_in(card_app_at, "ours@example.com")
    page = card_app_at.get("/console/refunds", {"lang": "en"})
    assert "300,000" in page.text and refund.payment.booking.contact_name in page.text

    form = mark_paid_form(page, refund)
    unconfirmed = form.submit().follow()  # the box not ticked: nothing happens, and it says why
    assert "Tick the box" in unconfirmed.text and refund.status == RefundStatus.PENDING

    form = mark_paid_form(unconfirmed, refund)
    form["confirm"] = True
    done = form.submit().follow()
    assert "Marked as paid back" in done.text and refund.status == RefundStatus.SUCCEEDED
    assert refund.payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert not [f for f in done.forms.values() if f.action.endswith(f"/refunds/{refund.id}/paid")]

    again = form.submit().follow()  # the same form pressed twice (a stale page)
    assert "already marked" in again.text and refund.status == RefundStatus.SUCCEEDED


def test_another_operator_sees_and_changes_nothing(card_app_at, dbsession, held, operators):
    refund = cash_refund(card_app_at, dbsession, held)
    sign_in(card_app_at, "theirs@example.com")
    page = card_app_at.get("/console/refunds", {"lang": "en"})
    assert refund.payment.booking.contact_name not in page.text and "Nothing to pay back" in page.text
    token = page.forms[0]["csrf_token"].value
    for action in ("paid", "retry"):
        card_app_at.post(f"/console/refunds/{refund.id}/{action}", {"csrf_token": token, "confirm": "yes"}, status=403)
    card_app_at.post("/console/refunds/999999/paid", {"csrf_token": token, "confirm": "yes"}, status=404)
    card_app_at.post("/console/refunds/abc/paid", {"csrf_token": token, "confirm": "yes"}, status=404)
    assert refund.status == RefundStatus.PENDING


def test_strangers_are_asked_to_sign_in_and_cannot_post(card_app_at, dbsession, held, operators):
    refund = cash_refund(card_app_at, dbsession, held)
    assert "/console/sign-in" in card_app_at.get("/console/refunds").location
    token = card_app_at.get("/console/sign-in").forms[0]["csrf_token"].value
    card_app_at.post(f"/console/refunds/{refund.id}/paid", {"csrf_token": token, "confirm": "yes"}, status=403)
    assert refund.status == RefundStatus.PENDING


def test_an_admin_sees_every_operators_refunds(card_app_at, dbsession, held, operators):
    refund = cash_refund(card_app_at, dbsession, held)
    make_staff(dbsession, None, email="admin@example.com")
    sign_in(card_app_at, "admin@example.com")
    assert refund.payment.booking.contact_name in card_app_at.get("/console/refunds", {"lang": "en"}).text


def test_a_failed_card_refund_is_shown_and_tried_again_once(card_app_at, dbsession, held, operators, stripe_client,
                                                             webhook_secret):
    failed = failed_card_refund(card_app_at, dbsession, held, stripe_client, webhook_secret)
    sign_in(card_app_at, "ours@example.com")
    page = card_app_at.get("/console/refunds", {"lang": "en"})
    assert "Refunds that failed" in page.text and failed.failure_reason in page.text
    form = [f for f in page.forms.values() if f.action.endswith(f"/console/refunds/{failed.id}/retry")][0]
    done = form.submit().follow()
    assert "sent again" in done.text
    payment = failed.payment
    retried = [r for r in payment.refunds if r.id != failed.id]
    assert [(r.amount, r.status) for r in retried] == [(600_000, RefundStatus.SUCCEEDED)]
    assert payment.status == PaymentStatus.REFUNDED
    refunds_at_stripe = stripe_client.v1.refunds.list(params={"payment_intent": payment.provider_reference}).data
    assert [r.amount for r in refunds_at_stripe] == [600_000]
    assert failed.failure_reason not in done.text  # no longer waiting for the operator

    again = form.submit().follow()
    assert "already tried again" in again.text
    assert len(dbsession.scalars(select(Refund).where(Refund.payment_id == payment.id)).all()) == 2
