"""The shop's "done when" journey in headless Chromium at phone size: a guest from Korea books
a Tân Cương tea-picking morning, adds two boxes of the cooperative's OCOP tea for pickup, sees
one total, confirms (pay at the village), and finds the boxes on the confirmation page and on
the PDF ticket; the operator finds them on the session's guest list; the package's QR code
opens the batch's traceability page. Also: the same journey paid by card (localstripe), no
axe violations on the shop's pages and the booking form with products, and that form
without JavaScript."""
import io
import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.browser.conftest import PHONE, sign_in_live
from tests.browser.test_accessibility import violations
from tests.concurrency import committed
from tests.conftest import VIETNAM
from tests.factories import STAFF_PASSWORD, make_session, make_staff
# The payments suite's fixtures: localstripe on 127.0.0.1 and the app pointed at it, served by waitress.
from tests.tourism.payments.conftest import committed as committed_in
from tests.tourism.payments.conftest import (deliver, live_stripe_app, localstripe, pay,  # noqa: F401
                                             served_stripe_app, stripe_client, stripe_events, webhook_secret)
from tourism.accounts.services import find_operator
from tourism.booking.models import Booking
from tourism.catalog.models import Experience
from tourism.payments.models import Payment
from tourism.shop.models import Product

pytestmark = pytest.mark.browser

EXPERIENCE = "tan-cuong-tea-morning"
TEA = "tra-moc-cau-tan-cuong"
TEA_NAME = {"vi": "Trà móc câu Tân Cương, hộp 200 g", "ko": "떤끄엉 목꺼우 녹차, 200g 상자"}
BATCH = "TCMC26B7"  # what the QR code on the demo's autumn boxes opens
STAFF_EMAIL = "thu@tan-cuong.example"
# Two adults at 450,000 ₫ and two boxes at 250,000 ₫, in one total.
TOTAL = {"vi": "1.400.000 ₫", "ko": "₫1,400,000"}


def visible(text: str) -> str:
    """Babel's no-break spaces read as spaces, runs of white space as one."""
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


def pdf_text(data: bytes) -> str:
    return visible("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def read_stock(db) -> int:
    return db.scalars(select(Product.stock).where(Product.slug == TEA)).one()


def stock(live_db) -> int:
    return committed(live_db, read_stock)


def add_tea_morning(db) -> tuple[int, str]:
    """(session id, month "YYYY-MM") of a morning of the demo tea-picking experience three
    days on, at 06:30 in Tân Cương: the demo's own sessions run March to October only, and
    these tests must not depend on the month they run in."""
    experience = db.scalars(select(Experience).where(Experience.slug == EXPERIENCE)).one()
    day = datetime.now(VIETNAM).date() + timedelta(days=3)
    session = make_session(db, experience, datetime.combine(day, time(6, 30), tzinfo=VIETNAM), capacity=20)
    return session.id, f"{day:%Y-%m}"


@pytest.fixture(scope="module")
def tea_morning(live_db):
    return committed(live_db, add_tea_morning)


@pytest.fixture(scope="module")
def tea_id(live_db) -> int:
    return committed(live_db, lambda db: db.scalars(select(Product.id).where(Product.slug == TEA)).one())


@pytest.fixture(scope="module")
def tan_cuong_staff(live_db):
    """(email, password) of a staff member of the cooperative running Tân Cương's tea mornings."""
    committed(live_db, lambda db: make_staff(db, find_operator(db, "htx-che-tan-cuong"), email=STAFF_EMAIL))
    return STAFF_EMAIL, STAFF_PASSWORD


def open_booking_form(page, live_server, tea_morning, locale):
    """From the experience page's calendar to the booking form of the test's morning."""
    session_id, month = tea_morning
    page.goto(f"{live_server}/experiences/{EXPERIENCE}?lang={locale}&month={month}")
    page.click(f'.slot a[href$="/book/{session_id}"]')
    page.wait_for_url(re.compile(rf"/book/{session_id}"))


def fill_booking_form(page, tea_id, locale, boxes=2, delivery=False, email=None):
    page.fill("#tier_adult", "2")
    page.fill(f"#product_{tea_id}", str(boxes))
    page.check("#fulfilment_delivery" if delivery else "#fulfilment_pickup")
    page.fill("#name", "김민지" if locale == "ko" else "Trần Văn Minh")
    page.fill("#email", email or f"tea-{locale}@example.com")
    page.fill("#phone", "+82 10 1234 5678" if locale == "ko" else "+84 912 345 678")
    page.select_option("#country", "KR" if locale == "ko" else "VN")
    page.click("form.booking-form button[type=submit]")
    if delivery:  # without an address: the form again, with the error
        page.locator("#form-error").wait_for()
    else:
        page.wait_for_url(re.compile(r"/booking/[^/]+$"))


def details(page) -> dict[str, str]:
    """The booking page's details, term → description."""
    rows = page.locator("#details-title + dl > div")
    return {visible(row.locator("dt").inner_text()): visible(row.locator("dd").inner_text()) for row in rows.all()}


def test_a_guest_books_tea_picking_with_two_boxes_for_pickup(live_server, live_db, browser, phone_page,
                                                             tea_morning, tea_id, tan_cuong_staff):
    page = phone_page
    before = stock(live_db)
    open_booking_form(page, live_server, tea_morning, "ko")
    tea_label = page.locator(f'label[for="product_{tea_id}"]')
    assert TEA_NAME["ko"] in tea_label.inner_text()
    assert page.locator(f"#product_{tea_id}").is_enabled()
    fill_booking_form(page, tea_id, "ko")

    # Held: the boxes, pickup and one total with them.
    held = details(page)
    assert held[TEA_NAME["ko"]] == "2 × ₫250,000"
    assert held["상품"] == "체험 당일 마을에서 수령"  # products: to pick up at the village on the day
    assert held["총 금액"] == TOTAL["ko"]
    assert TOTAL["ko"] in visible(page.locator("#pay-title ~ form").inner_text())
    assert stock(live_db) == before - 2  # taken with the hold, not at payment

    # Pay at the village: confirmed, and the boxes are still listed.
    page.check('input[name="provider"][value="on_site"]')
    page.click("#pay-title ~ form button[type=submit]")
    page.locator('.notice[role="status"]').wait_for()
    assert page.locator('a[href$="/ticket.pdf"]').count() == 1
    confirmed = details(page)
    assert confirmed[TEA_NAME["ko"]] == "2 × ₫250,000" and confirmed["총 금액"] == TOTAL["ko"]
    assert page.locator(f'#details-title + dl span[lang="ko"]:text-is("{TEA_NAME["ko"]}")').count() == 1
    assert stock(live_db) == before - 2  # confirming takes nothing more

    # The PDF ticket, downloaded through the page's link, has the pickup list.
    with page.expect_download() as download:
        page.click('a[href$="/ticket.pdf"]')
    ticket = pdf_text(Path(download.value.path()).read_bytes())
    assert "마을에서 수령" in ticket  # the list's heading, in the guest's language
    assert f"2 × {TEA_NAME['ko']}" in ticket

    # The operator's guest list for that session, from the check-in page's link.
    session_id, _month = tea_morning
    staff = browser.new_context(viewport=PHONE)
    console = staff.new_page()
    sign_in_live(console, live_server, tan_cuong_staff, locale="vi")
    console.goto(f"{live_server}/console/sessions/{session_id}/checkin?lang=vi")
    with console.expect_download() as download:
        console.click(f'a[href$="/console/sessions/{session_id}/manifest.pdf"]')
    manifest = pdf_text(Path(download.value.path()).read_bytes())
    staff.close()
    assert "김민지" in manifest
    assert f"2 × {TEA_NAME['vi']}" in manifest

    # The QR code on the box opens its batch, in the guest's language and in Vietnamese.
    for locale, made_on, how in (("ko", "2026년 9월 8일", "홍타이 2 마을 언덕"),
                                 ("vi", "8 tháng 9, 2026", "xóm Hồng Thái 2")):
        page.goto(f"{live_server}/t/{BATCH}?lang={locale}")
        assert page.locator("html").get_attribute("lang") == locale
        assert page.locator("h1").inner_text() == TEA_NAME[locale]
        body = visible(page.locator("main").inner_text())
        assert BATCH in body and made_on in body and how in body
        assert "Hợp tác xã Chè Tân Cương" in body and "Xã Tân Cương, tỉnh Thái Nguyên" in body
        assert "VietGAP" in body and "Chỉ dẫn địa lý Tân Cương" in body
        assert {"ko": "OCOP 4성", "vi": "OCOP 4 sao"}[locale] in body
        producer = page.locator("dd", has_text="Hợp tác xã Chè Tân Cương")
        assert producer.evaluate("e => e.closest('[lang]').lang") == "vi"  # read as Vietnamese


def test_the_same_journey_paid_by_card(browser, live_stripe_app, served_stripe_app,  # noqa: F811
                                       stripe_client, webhook_secret):  # noqa: F811
    """Card instead of the village: the card payment is the one total, and the boxes are on the
    confirmed booking. localstripe's Stripe.js has no Payment Element, so the test pays at
    localstripe as Stripe.js would and delivers Stripe's signed webhook itself."""
    from webtest import TestApp

    registry, email = live_stripe_app.registry, "tea-card@stripe-test.example"
    tea_morning = committed_in(registry, add_tea_morning)
    tea_id = committed_in(registry, lambda db: db.scalars(select(Product.id).where(Product.slug == TEA)).one())
    before = committed_in(registry, read_stock)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.route("https://js.stripe.com/**", lambda route: route.abort())  # no network here
    open_booking_form(page, served_stripe_app, tea_morning, "ko")
    fill_booking_form(page, tea_id, "ko", email=email)
    token = page.url.rsplit("/", 1)[1].split("?")[0]
    page.check('input[name="provider"][value="stripe"]')
    page.click("#pay-title ~ form button[type=submit]")
    page.wait_for_url(re.compile(r"/card"))

    intent_id, amount = committed_in(registry, lambda db: db.execute(
        select(Payment.provider_reference, Payment.amount).join(Booking, Payment.booking_id == Booking.id)
        .where(Booking.contact_email == email)).one())
    assert amount == 1400000  # two adults and two boxes, in one card payment
    assert pay(stripe_client, intent_id) == "succeeded"
    (succeeded,) = stripe_events(stripe_client, intent_id, "payment_intent.succeeded")
    deliver(TestApp(live_stripe_app, extra_environ={"HTTP_HOST": "example.com"}), succeeded, webhook_secret)

    page.goto(f"{served_stripe_app}/booking/{token}?lang=ko")
    page.locator('.notice[role="status"]').wait_for()
    assert page.locator('a[href$="/ticket.pdf"]').count() == 1  # confirmed
    confirmed = details(page)
    assert confirmed[TEA_NAME["ko"]] == "2 × ₫250,000" and confirmed["총 금액"] == TOTAL["ko"]
    assert confirmed["결제"] == "카드 결제 완료"  # payment: paid by card
    assert committed_in(registry, read_stock) == before - 2
    context.close()


def test_the_booking_form_with_products_works_without_javascript(live_server, live_db, browser, tea_morning, tea_id):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    before = stock(live_db)
    open_booking_form(page, live_server, tea_morning, "vi")
    assert page.locator("#delivery_street").is_visible()  # every field shows without JavaScript
    fill_booking_form(page, tea_id, "vi")
    assert details(page)[TEA_NAME["vi"]] == "2 × 250.000 ₫"
    assert TOTAL["vi"] in visible(page.locator("#pay-title ~ form").inner_text())
    page.check('input[name="provider"][value="on_site"]')
    page.click("#pay-title ~ form button[type=submit]")
    page.locator('.notice[role="status"]').wait_for()
    assert details(page)[TEA_NAME["vi"]] == "2 × 250.000 ₫"
    assert stock(live_db) == before - 2
    context.close()


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_shop_pages_and_the_booking_form_with_products_have_no_axe_violations(live_server, axe_page, tea_morning,
                                                                             tea_id, locale):
    for path in (f"/products/{TEA}", f"/t/{BATCH}"):
        axe_page.goto(f"{live_server}{path}?lang={locale}")
        assert violations(axe_page) == [], path
    open_booking_form(axe_page, live_server, tea_morning, locale)
    assert axe_page.locator(f"#product_{tea_id}").count() == 1
    assert violations(axe_page) == []
    # Delivery chosen without an address: the form again, the error tied to the field.
    fill_booking_form(axe_page, tea_id, locale, delivery=True)
    assert axe_page.locator('[role="alert"]').count() == 1
    assert axe_page.locator('#delivery_name[aria-invalid="true"][aria-describedby="form-error"]').count() == 1
    assert violations(axe_page) == []
