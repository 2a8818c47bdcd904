"""Products picked up at the gate, in headless Chromium at phone size: the scanner shows what
to hand over after admitting (with JavaScript, without it, and offline from the saved guest
list, where it says plainly that handing over needs a connection); "Handed over" records it.
The deliveries console page passes axe."""
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import PHONE, sign_in_live
from tests.browser.test_accessibility import violations
from tests.concurrency import committed
from tests.conftest import VIETNAM
from tests.factories import contact, make_experience, make_session
from tests.tourism.shop.factories import make_product
from tourism.booking import services
from tourism.booking.models import BookingProductLine, Fulfilment
from tourism.catalog.models import PublicationStatus, Village
from tourism.shop import checkout

pytestmark = pytest.mark.browser

GUESTS = ("js", "offline", "no_js", "axe")
PRODUCT = "2 × Blue-glaze cup set"
ADDRESS = checkout.DeliveryAddress("Trần Văn Minh", "0912 345 678", "12 Hàng Bạc", "Phường Hàng Bạc",
                                   "Quận Hoàn Kiếm", "Hà Nội")


@dataclass(frozen=True)
class Stall:
    session_id: int
    references: dict[str, str]  # guest → booking reference
    booking_ids: dict[str, int]

    def url(self, live_server, locale="en"):
        return f"{live_server}/console/sessions/{self.session_id}/checkin?lang={locale}"


@pytest.fixture(scope="module")
def stall(live_db):
    """A Bát Tràng session today with a pickup booking of two cup sets per test, and one
    delivery. The experience and the product are drafts, so no public page changes."""
    def work(db):
        village = db.scalar(select(Village).where(Village.slug == "bat-trang"))
        experience = make_experience(db, village, "bat-trang-handover-browser", max_party=8,
                                     texts={"vi": "Thử quầy nhận hàng", "en": "Pickup trial"})
        cups = make_product(db, village, "bo-chen-men-lam-thu", status=PublicationStatus.DRAFT, stock=50,
                            texts={"vi": "Bộ chén men lam", "en": "Blue-glaze cup set"})
        starts = datetime.combine(datetime.now(VIETNAM).date(), time(12), VIETNAM).astimezone(timezone.utc)
        session = make_session(db, experience, starts, capacity=40)
        before = starts - timedelta(days=2)
        references, ids = {}, {}
        for i, guest in enumerate(GUESTS + ("delivery",)):
            delivery = guest == "delivery"
            booking, _token = services.create_hold(
                db, session=session, party={"adult": 1}, now=before,
                contact=contact(name=f"Khách nhận {i}", email=f"pickup{i}@example.com"),
                basket=checkout.Basket(((cups.id, 2),), Fulfilment.DELIVERY if delivery else Fulfilment.PICKUP,
                                       ADDRESS if delivery else None))
            services.confirm_booking(db, booking, now=before)
            references[guest], ids[guest] = booking.reference, booking.id
        experience.status = PublicationStatus.DRAFT
        return Stall(session.id, references, ids)

    return committed(live_db, work)


@pytest.fixture
def phones(browser):
    """phones() → a new phone (browser context) each call; closed after the test."""
    contexts = []

    def make(**options):
        contexts.append(browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, **options))
        return contexts[-1]

    yield make
    for context in contexts:
        context.close()


def handed_over(live_db, booking_id) -> bool:
    return committed(live_db, lambda db: db.scalar(
        select(BookingProductLine.handed_over_at).where(BookingProductLine.booking_id == booking_id)) is not None)


def open_scanner(phone, live_server, live_staff, stall):
    page = phone.new_page()
    sign_in_live(page, live_server, live_staff)
    page.goto(stall.url(live_server))
    page.wait_for_selector("html[data-offline-ready]", state="attached")
    expect(page.locator("#list-state")).to_contain_text("Guest list saved on this phone")
    return page


def admit(page, reference, people="1"):
    page.fill("#reference", reference)
    page.fill("#people", people)
    page.click("#admit")


def test_admitted_online_the_products_are_handed_over(live_server, live_db, live_staff, stall, phones):
    page = open_scanner(phones(), live_server, live_staff, stall)
    admit(page, stall.references["js"])
    expect(page.locator("#checkin-result-title")).to_have_text("Admitted")
    box = page.locator("#checkin-handover")
    expect(box.locator("p").first).to_have_text("To hand over:")
    expect(box.locator("li")).to_have_text([PRODUCT])
    button = box.get_by_role("button", name="Handed over")
    assert button.bounding_box()["height"] >= 44
    button.click()
    expect(page.locator("#checkin-result-title")).to_have_text("Products handed over")
    expect(page.locator("#checkin-result")).to_contain_text(f"Handed over: {PRODUCT}")
    assert handed_over(live_db, stall.booking_ids["js"])
    expect(page.locator("#checkin-handover button")).to_have_count(0)


def test_offline_the_list_shows_and_says_handing_over_needs_a_connection(live_server, live_db, live_staff, stall,
                                                                         phones):
    phone = phones()
    page = open_scanner(phone, live_server, live_staff, stall)
    phone.set_offline(True)
    admit(page, stall.references["offline"].lower())
    expect(page.locator("#checkin-result-title")).to_have_text("Admitted — saved on this phone, will sync")
    box = page.locator("#checkin-handover")
    expect(box.locator("p").first).to_have_text("To hand over:")
    expect(box.locator("li")).to_have_text([PRODUCT])
    expect(box).to_contain_text("No connection: “Handed over” only works online.")
    expect(box.locator("button")).to_have_count(0)
    phone.set_offline(False)
    expect(page.locator("#sync-report")).to_contain_text("Scans sent and synced: 1.")
    assert not handed_over(live_db, stall.booking_ids["offline"])


def test_without_javascript(live_server, live_db, live_staff, stall, phones):
    page = phones(java_script_enabled=False).new_page()
    sign_in_live(page, live_server, live_staff)
    page.goto(stall.url(live_server))
    admit(page, stall.references["no_js"])
    assert f"To hand over: {PRODUCT}" in " ".join(page.inner_text("#checkin-handover").split())
    page.click("#checkin-handover button")
    assert page.locator("#checkin-result-title").inner_text() == "Products handed over"
    assert handed_over(live_db, stall.booking_ids["no_js"])


def test_the_pickup_list_and_the_deliveries_page_have_no_axe_violations(live_server, live_staff, stall, axe_page):
    sign_in_live(axe_page, live_server, live_staff, locale="vi")
    axe_page.goto(stall.url(live_server, locale="vi"))
    axe_page.wait_for_selector("html[data-offline-ready]", state="attached")
    admit(axe_page, stall.references["axe"])
    axe_page.locator("#checkin-handover button").wait_for()
    assert violations(axe_page) == []
    axe_page.goto(f"{live_server}/console/deliveries?lang=vi")
    expect(axe_page.locator(".transfer-card")).to_contain_text("Trần Văn Minh")
    assert violations(axe_page) == []
    for button in axe_page.locator(".transfer-card button").all():
        assert button.bounding_box()["height"] >= 44
    assert axe_page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
