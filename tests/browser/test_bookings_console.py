"""The bookings console in Chromium on a phone, as a Bát Tràng staff member: find a guest by a
name typed without accents, open the booking, move it to another session; the cancel page and
a booking taken by hand on the way. axe finds nothing in Vietnamese and Korean, nothing
scrolls sideways, the content security policy is never broken, and it all works as plain
forms (the search is a GET form, every action a POST)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.browser.conftest import sign_in_live
from tests.browser.test_accessibility import violations
from tests.concurrency import committed
from tests.factories import contact
from tourism.booking import services
from tourism.booking.models import Booking
from tourism.catalog.models import Experience
from tourism.scheduling.models import ExperienceSession

pytestmark = pytest.mark.browser
EXPERIENCE = "bat-trang-pottery-wheel"  # run by the live staff member's operator
GUESTS = {"vi": "Trần Thị Hoà", "ko": "Trần Văn Khải"}


def booked_guest(live_db, name: str) -> dict:
    """A confirmed booking for two, three weeks or more ahead (far from the sessions other
    browser tests book), and the session it should move to."""
    def work(db):
        experience = db.scalar(select(Experience).where(Experience.slug == EXPERIENCE))
        now = datetime.now(timezone.utc)
        sessions = [s for s in db.scalars(select(ExperienceSession)
                                          .where(ExperienceSession.experience_id == experience.id,
                                                 ExperienceSession.starts_at > now + timedelta(days=21))
                                          .order_by(ExperienceSession.starts_at))
                    if s.capacity - s.seats_booked - s.seats_held >= 2 and s.closure_id is None][:2]
        booking, _token = services.create_hold(db, session=sessions[0], party={"adult": 2}, now=now,
                                               contact=contact(name=name, email="hoa@example.com", locale="vi"))
        services.confirm_booking(db, booking, now=now)
        return {"id": booking.id, "target": sessions[1].id}
    return committed(live_db, work)


def checked(page, csp: list) -> None:
    assert page.locator("h1").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px on a phone"
    assert violations(page) == [], page.url
    assert csp == [], page.url


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_find_a_guest_open_the_booking_and_move_it(live_server, live_staff, live_db, axe_page, locale):
    page = axe_page
    csp = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    name = GUESTS[locale]
    guest = booked_guest(live_db, name)
    sign_in_live(page, live_server, live_staff, locale=locale)

    page.goto(f"{live_server}/console/bookings")
    assert page.locator("html").get_attribute("lang") == locale
    checked(page, csp)

    # Typed without accents, as on a phone keyboard without Vietnamese input.
    page.fill("#f-q", "tran " + {"vi": "hoa", "ko": "khai"}[locale])
    page.locator("form[role=search] button[type=submit]").click()
    cards = page.locator(".bk-card")
    assert cards.count() == 1 and cards.locator(".transfer-card__name").inner_text() == name
    checked(page, csp)

    cards.locator(".transfer-card__name a").click()
    page.wait_for_url(f"{live_server}/console/bookings/{guest['id']}")
    checked(page, csp)

    # The cancel page (only looked at: the booking is kept).
    page.locator(f"a[href='/console/bookings/{guest['id']}/cancel']").click()
    assert page.locator("button.button--danger").is_visible()
    checked(page, csp)
    page.go_back()

    page.locator(f"a[href='/console/bookings/{guest['id']}/move']").click()
    checked(page, csp)
    page.check(f"#session-{guest['target']}")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/console/bookings/{guest['id']}")
    assert page.locator("main .notice[role=status]").count() == 1
    checked(page, csp)
    moved = committed(live_db, lambda db: db.get(Booking, guest["id"]).session_id)
    assert moved == guest["target"]


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_booking_by_hand_pages_have_no_axe_violations(live_server, live_staff, axe_page, locale):
    page = axe_page
    csp = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in_live(page, live_server, live_staff, locale=locale)
    page.goto(f"{live_server}/console/bookings/new")
    checked(page, csp)
    page.locator("main form button[type=submit]").click()
    checked(page, csp)
    page.locator("a[href^='/console/bookings/new/']").last.click()
    checked(page, csp)
    page.fill("#new-party", "0")
    page.fill("#new-name", "")
    page.locator("main form.cf-form button[type=submit]").click()  # nothing filled in: refused
    assert page.locator("[role=alert]").is_visible()
    assert page.locator("[aria-invalid=true]").count() >= 2
    checked(page, csp)
