"""Paying by card: a PaymentIntent per attempt (real `stripe` SDK against localstripe), the card
page with Stripe's Payment Element, what happens when Stripe.js cannot load, and settings."""
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from pyramid.exceptions import ConfigurationError
from sqlalchemy import select

from tests.tourism.payments.conftest import NOW, choose_card, pay
from tourism import configure
from tourism.booking.models import BookingStatus
from tourism.payments.models import Payment, PaymentStatus
from tourism.payments.stripe_provider import CSP_SOURCES, MAX_AMOUNT



def page(response):
    return BeautifulSoup(response.text, "html.parser")


def test_paying_by_card_creates_a_payment_intent_in_whole_dong(card_app_at, dbsession, held, stripe_client):
    booking, token = held()
    response = choose_card(card_app_at, token, "ko").maybe_follow()
    (payment,) = dbsession.scalars(select(Payment).where(Payment.booking_id == booking.id)).all()
    assert payment.provider == "stripe" and payment.status == PaymentStatus.PENDING and payment.attempt == 1
    intent = stripe_client.v1.payment_intents.retrieve(payment.provider_reference)
    assert intent.amount == 600_000 == booking.total_amount  # zero-decimal: dong, not "cents"
    assert intent.currency == "vnd"
    assert intent.metadata["booking_reference"] == booking.reference
    assert intent.metadata["booking_id"] == str(booking.id) and intent.metadata["attempt"] == "1"
    # The card page carries what the Payment Element needs, in the guest's language.
    form = page(response).select_one("#card-form")
    assert response.request.path == f"/booking/{token}/card"
    assert form["data-client-secret"] == intent.client_secret
    assert form["data-publishable-key"].startswith("pk_test_")
    assert form["data-stripe-js"] == "https://js.stripe.com/v3/"
    assert form["data-locale"] == "ko"
    assert form["data-return-url"].endswith(f"/booking/{token}/card/return")
    assert response.headers["Cache-Control"] == "no-store"
    # The booking is not confirmed by starting to pay.
    assert booking.status == BookingStatus.HELD


def test_the_card_page_allows_stripe_and_nothing_inline(card_app_at, held):
    _booking, token = held()
    response = choose_card(card_app_at, token).follow()
    csp = response.headers["Content-Security-Policy"]
    for directive, source in CSP_SOURCES:
        assert source in csp.split(f"{directive} ", 1)[1].split(";")[0]
    assert "'unsafe-inline'" not in csp
    assert "https://js.stripe.com" in response.headers["Permissions-Policy"]
    html = page(response)
    for script in html.find_all("script"):
        assert script.get("src", "").startswith("http://example.com/static/")  # Stripe.js is loaded by ours


def test_without_stripe_js_the_page_says_so_and_offers_the_other_ways(card_app_at, held):
    _booking, token = held()
    html = page(choose_card(card_app_at, token).follow())
    # No JavaScript: <noscript> explains; JavaScript but Stripe.js blocked: the script reveals #card-unavailable.
    assert "needs JavaScript" in html.find("noscript").get_text()
    assert "unavailable" in html.select_one("#card-unavailable").get_text()
    assert html.select_one("#card-unavailable").has_attr("hidden")
    assert html.select_one("#card-form").has_attr("hidden")  # shown only once Stripe.js is there
    other = html.select_one(f'form[action$="/booking/{token}/pay"]')
    assert [i["value"] for i in other.select('input[name="provider"]')] == ["on_site", "vietqr"]


def test_when_stripe_cannot_be_reached_the_page_offers_the_other_ways(card_app_at, dbsession, held, provider, monkeypatch):
    booking, token = held()
    card_page = choose_card(card_app_at, token)
    import stripe

    def unreachable(*args, **kwargs):
        raise stripe.APIConnectionError("connection refused")

    monkeypatch.setattr(provider.client.v1.payment_intents, "retrieve", unreachable)
    html = page(card_page.follow())
    assert not html.select_one("#card-unavailable").has_attr("hidden")
    assert html.select_one("#card-form") is None
    # Another way to pay still works from there.
    other = [f for f in card_page.follow().forms.values() if f.action.endswith("/pay")][0]
    other.submit(status=303)
    assert booking.status == BookingStatus.CONFIRMED and booking.payment_provider == "on_site"


def test_the_open_attempt_is_reused_and_a_failed_one_is_not(card_app_at, dbsession, held, stripe_client):
    booking, token = held()
    choose_card(card_app_at, token)
    choose_card(card_app_at, token)  # the guest came back to the manage page and chose card again
    (first,) = dbsession.scalars(select(Payment).where(Payment.booking_id == booking.id)).all()
    assert pay(stripe_client, first.provider_reference, "4000000000000002") == "requires_payment_method"
    first.status = PaymentStatus.FAILED  # as the payment_failed webhook does (see test_webhooks)
    dbsession.flush()
    choose_card(card_app_at, token)
    second = dbsession.scalars(select(Payment).where(Payment.booking_id == booking.id).order_by(Payment.id)).all()[-1]
    assert second.attempt == 2 and second.provider_reference != first.provider_reference
    assert stripe_client.v1.payment_intents.retrieve(second.provider_reference).metadata["attempt"] == "2"


@pytest.mark.parametrize("price, message", [
    (5_000, "Card payment is possible for totals from"),
    (MAX_AMOUNT, "Card payment is possible for totals from"),
])
def test_amounts_outside_stripes_limits_are_refused_clearly(card_app_at, dbsession, held, price, message):
    booking, token = held(adults=2, price=price)
    response = choose_card(card_app_at, token)
    assert response.status_int == 400
    alert = page(response).select_one('[role="alert"]').get_text()
    assert message in alert and "₫" in alert
    assert dbsession.scalars(select(Payment).where(Payment.booking_id == booking.id)).all() == []
    assert booking.status == BookingStatus.HELD


def test_an_expired_hold_cannot_be_paid_by_card(card_app_at, dbsession, held):
    booking, token = held()
    card_app_at.extra_environ["tourism.now"] = NOW + timedelta(minutes=16)
    manage = card_app_at.get(f"/booking/{token}", {"lang": "en"})
    assert "expired" in manage.text
    card_app_at.get(f"/booking/{token}/card", status=303)
    assert dbsession.scalars(select(Payment).where(Payment.booking_id == booking.id)).all() == []


def test_the_return_page_never_confirms(card_app_at, dbsession, held, stripe_client):
    booking, token = held()
    choose_card(card_app_at, token)
    payment = dbsession.scalar(select(Payment).where(Payment.booking_id == booking.id))
    assert pay(stripe_client, payment.provider_reference) == "succeeded"
    # Stripe sends the browser back with these parameters; anyone could forge them.
    response = card_app_at.get(f"/booking/{token}/card/return",
                          {"payment_intent": payment.provider_reference, "redirect_status": "succeeded", "lang": "en"})
    assert "waiting for your bank" in response.text
    assert page(response).select_one('meta[http-equiv="refresh"]') is not None
    assert booking.status == BookingStatus.HELD and payment.status == PaymentStatus.PENDING
    # Back on the card page: the intent is paid, so the guest is sent to the waiting page.
    assert card_app_at.get(f"/booking/{token}/card").location.endswith("/card/return")


def test_unknown_links_are_not_found(card_app_at):
    card_app_at.get("/booking/not-a-token/card", status=404)
    card_app_at.get("/booking/not-a-token/card/return", status=404)


def test_stripe_settings_are_required_and_named(app_settings):
    settings = dict(app_settings)
    settings.pop("stripe.webhook_secret")
    with pytest.raises(ConfigurationError, match="TOURISM_STRIPE_WEBHOOK_SECRET"):
        configure(settings)
    settings = dict(app_settings, **{"stripe.secret_key": " "})
    with pytest.raises(ConfigurationError, match="TOURISM_STRIPE_SECRET_KEY"):
        configure(settings)


def test_without_the_stripe_provider_nothing_of_stripe_is_served(app_settings):
    from webtest import TestApp

    settings = dict(app_settings, **{"tourism.payment_providers": "tourism.payments.on_site.OnSiteProvider"})
    for name in ("stripe.secret_key", "stripe.publishable_key", "stripe.webhook_secret"):
        settings.pop(name)
    testapp = TestApp(configure(settings).make_wsgi_app())
    response = testapp.get("/no-such-page", status=404)
    assert "stripe.com" not in response.headers["Content-Security-Policy"]
    testapp.post("/payments/stripe/webhook", "{}", status=404)
