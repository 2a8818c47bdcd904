"""Stripe against localstripe: a real `stripe` SDK talking to a fake Stripe on 127.0.0.1.

localstripe runs as a subprocess for the whole session. The app under test is the usual
one (testing.ini) with its Stripe placeholders pointed at that localstripe; views run in the
test's rolled-back transaction like every other WebTest test. Webhooks are the events
localstripe generated, signed with the test secret exactly as Stripe signs them (events it
never sends, such as `charge.refunded`, are built here and signed the same way); one test
lets localstripe deliver them itself to the app served by waitress (see test_webhooks.py).
"""
import importlib.util
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import stripe
from sqlalchemy import select
from waitress.server import create_server
from webtest import TestApp

from tests import concurrency
from tests.conftest import in_ci, prepare_database
from tests.factories import contact, make_experience, make_session, make_village
from tests.smtp import free_port
from tourism import configure
from tourism.booking import services as booking_services
from tourism.payments.models import Payment
from tourism.payments.services import providers

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
SECRET_KEY = "sk_test_langviet_localstripe"
PUBLISHABLE_KEY = "pk_test_langviet_localstripe"


def _answers(url: str) -> bool:
    request = urllib.request.Request(f"{url}/v1/balance", headers={"Authorization": f"Bearer {SECRET_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """The base URL of a localstripe started for this test session (stopped at its end)."""
    if importlib.util.find_spec("localstripe") is None:
        message = "localstripe is not installed: pip install -c constraints.txt -e '.[testing]'"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    port = free_port()
    log = open(tmp_path_factory.mktemp("localstripe") / "localstripe.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "tests.tourism.payments.localstripe_server", "--port", str(port)],
                               cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               env=dict(os.environ, PYTHONPATH=str(ROOT)))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not _answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"localstripe did not start (see {log.name})", pytrace=False)
        time.sleep(0.1)
    yield url
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


@pytest.fixture(scope="session")
def webhook_secret():
    return "whsec_" + secrets.token_hex(16)


@pytest.fixture(scope="session")
def stripe_settings(app_settings, localstripe, webhook_secret):
    return dict(app_settings, **{
        "stripe.secret_key": SECRET_KEY,
        "stripe.publishable_key": PUBLISHABLE_KEY,
        "stripe.webhook_secret": webhook_secret,
        "stripe.api_base": localstripe,
    })


@pytest.fixture(scope="session")
def stripe_app(stripe_settings):
    wsgi_app = configure(stripe_settings).make_wsgi_app()
    yield wsgi_app
    wsgi_app.registry["db.engine"].dispose()


@pytest.fixture(scope="session")
def stripe_client(localstripe):
    """Our own view of localstripe, playing the guest's browser (Stripe.js) and Stripe's dashboard."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe}, max_network_retries=0)


@pytest.fixture
def provider(stripe_app):
    return providers(stripe_app.registry)["stripe"]


@pytest.fixture
def stripe_testapp(stripe_app, tm, dbsession):
    return TestApp(stripe_app, extra_environ={
        "HTTP_HOST": "example.com", "tm.active": True, "tm.manager": tm, "app.dbsession": dbsession,
    })


@pytest.fixture(scope="session")
def live_stripe_app(base_settings, localstripe, webhook_secret, tmp_path_factory):
    """The app pointed at localstripe, on a database of its own (SQLite, with the demo data):
    tests that commit (a served app, a browser) leave nothing in the shared test databases."""
    url = f"sqlite:///{tmp_path_factory.mktemp('live-stripe') / 'live.sqlite'}"
    prepare_database(url)
    wsgi_app = configure(dict(base_settings, **{
        "sqlalchemy.url": url,
        "stripe.secret_key": SECRET_KEY,
        "stripe.publishable_key": PUBLISHABLE_KEY,
        "stripe.webhook_secret": webhook_secret,
        "stripe.api_base": localstripe,
    })).make_wsgi_app()
    yield wsgi_app
    wsgi_app.registry["db.engine"].dispose()


@pytest.fixture
def served_stripe_app(live_stripe_app):
    """`live_stripe_app` served by waitress on 127.0.0.1 (its requests commit, like in production)."""
    server = create_server(live_stripe_app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


def committed(registry, work):
    """Run `work(dbsession)` in its own committed transaction and return what it returns."""
    return concurrency.committed(registry["dbsession_factory"], work)


@pytest.fixture
def card_app_at(stripe_testapp):
    """The app with card payments (localstripe), its clock at NOW."""
    stripe_testapp.extra_environ["tourism.now"] = NOW
    return stripe_testapp


@pytest.fixture
def held(dbsession):
    """hold(adults=2, …) → (booking, token): a held booking at NOW in a session five days on.

    Adults pay 300,000 ₫; cancelling 48 hours or more before the start refunds 100%, 24 to
    48 hours 50%, later nothing. The experience has Korean texts for the e-mails.
    """
    village = make_village(dbsession, slug="the-stripe", province="Tỉnh Thẻ",
                           texts={"vi": "Làng Thẻ", "en": "Card Village", "ko": "카드 마을"})
    experience = make_experience(dbsession, village, "the-stripe-gom",
                                 texts={"vi": "Nặn gốm", "en": "Throw a pot", "ko": "물레 도자기 체험"})

    def hold(adults=2, locale="en", price=None, capacity=10, session=None, email="card@example.com", now=NOW):
        if price is not None:
            experience.price_tiers[0].price = price
            dbsession.flush()
        session = session or make_session(dbsession, experience, NOW + timedelta(days=5), capacity=capacity)
        return booking_services.create_hold(dbsession, session=session, party={"adult": adults},
                                            contact=contact(locale=locale, email=email), now=now)

    return hold


def choose_card(testapp, token, lang="en"):
    """The guest picks "card" on the manage page (the card page or a 400 with the reason)."""
    form = testapp.get(f"/booking/{token}", {"lang": lang}).forms[0]
    form["provider"] = "stripe"
    return form.submit(status="*")


def card_payment(dbsession, booking) -> Payment:
    """The booking's latest card payment."""
    return dbsession.scalars(select(Payment).where(Payment.booking_id == booking.id, Payment.provider == "stripe")
                             .order_by(Payment.attempt.desc())).first()


# --- helpers -------------------------------------------------------------------------------------

def pay(client, intent_id: str, card: str = "4242424242424242") -> str:
    """What Stripe.js does when the guest submits the Payment Element: the PaymentIntent's
    status afterwards ("succeeded", or "requires_payment_method" when the card is declined)."""
    method = client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    client.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
    try:
        return client.v1.payment_intents.confirm(intent_id).status
    except stripe.CardError:
        return client.v1.payment_intents.retrieve(intent_id).status


def stripe_events(client, intent_id: str, event_type: str) -> list[dict]:
    """The events localstripe generated for one PaymentIntent, oldest first, as Stripe sends them."""
    events = [e.to_dict() for e in client.v1.events.list(params={"type": event_type, "limit": 100}).auto_paging_iter()]
    return sorted((e for e in events if e["data"]["object"].get("id") == intent_id), key=lambda e: e["created"])


def event(event_type: str, obj: dict, event_id: str | None = None) -> dict:
    """An event Stripe would send (for the types localstripe never sends)."""
    return {"id": event_id or "evt_" + secrets.token_hex(12), "object": "event", "type": event_type,
            "created": int(time.time()), "livemode": False, "api_version": "2026-01-28.clover",
            "data": {"object": obj}}


def signed(payload: dict | str, secret: str, timestamp: int | None = None) -> tuple[bytes, dict]:
    """(body, headers) of a delivery signed like Stripe does: HMAC-SHA256 of "<t>.<body>"."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return body.encode("utf-8"), {"Stripe-Signature": header, "Content-Type": "application/json"}


def deliver(testapp, payload, secret, status=200):
    body, headers = signed(payload, secret)
    return testapp.post("/payments/stripe/webhook", body, headers=headers, status=status)
