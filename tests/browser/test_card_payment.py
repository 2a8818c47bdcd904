"""The card page in headless Chromium when Stripe.js cannot load (offline, blocked) or when
JavaScript is off: the page says card payment is unavailable and the other ways to pay work."""
from datetime import timedelta

import pytest

from tests.factories import contact, make_experience, make_session, make_village
# The payments suite's fixtures: localstripe on 127.0.0.1 and the app pointed at it, served by waitress.
from tests.tourism.payments.conftest import (committed, live_stripe_app, localstripe,  # noqa: F401
                                             served_stripe_app, webhook_secret)
from tourism.booking import services as booking_services
from tourism.clock import utcnow

pytestmark = pytest.mark.browser
EMAIL = "browser-card@stripe-test.example"


@pytest.fixture
def card_page(live_stripe_app, served_stripe_app):  # noqa: F811
    """card_page(slug) → the URL of the card page of a held booking whose guest chose card."""
    from webtest import TestApp

    def make(slug):
        def setup(db):
            village = make_village(db, slug=slug, province="Tỉnh Trình Duyệt")
            experience = make_experience(db, village, f"{slug}-gom")
            session = make_session(db, experience, utcnow() + timedelta(days=5), capacity=10)
            return booking_services.create_hold(db, session=session, party={"adult": 2},
                                                contact=contact(email=EMAIL), now=utcnow())[1]

        token = committed(live_stripe_app.registry, setup)
        form = TestApp(live_stripe_app, extra_environ={"HTTP_HOST": "example.com"}).get(f"/booking/{token}").forms[0]
        form["provider"] = "stripe"
        form.submit(status=303)
        return f"{served_stripe_app}/booking/{token}/card?lang=en"

    return make


def test_blocked_stripe_js_is_explained_and_another_way_to_pay_works(browser, card_page):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.route("https://js.stripe.com/**", lambda route: route.abort())  # blocked, or no connection
    page.goto(card_page("the-chan"))
    unavailable = page.locator("#card-unavailable")
    unavailable.wait_for(state="visible", timeout=5000)
    assert "Card payment is unavailable right now." in unavailable.inner_text()
    assert page.locator("#card-form").is_hidden()
    page.click("text=Confirm booking")  # pay at the village instead
    page.wait_for_url("**/booking/*")
    assert "Your booking is confirmed." in page.inner_text("main")
    context.close()


def test_stripe_js_that_never_answers_is_given_up_on(browser, card_page):
    context = browser.new_context()
    page = context.new_page()
    page.route("https://js.stripe.com/**", lambda route: None)  # hangs: never fulfilled
    page.goto(card_page("the-treo"), wait_until="domcontentloaded")  # "load" waits for Stripe.js too
    assert page.locator("#card-unavailable").is_hidden()  # still waiting…
    page.locator("#card-unavailable").wait_for(state="visible", timeout=15000)
    assert page.locator("#card-form").is_hidden()
    context.close()


def test_without_javascript_the_page_says_card_payment_needs_it(browser, card_page):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(card_page("the-tat"))
    assert "Card payment needs JavaScript" in page.inner_text("main")
    assert page.locator("#card-form").is_hidden() and page.locator("#card-unavailable").is_hidden()
    assert page.locator('input[name="provider"][value="on_site"]').is_visible()
    context.close()
