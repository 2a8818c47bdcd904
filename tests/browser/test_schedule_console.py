"""Setting next season's schedule in Chromium on a phone, as a village cooperative's owner:
Tuesdays and Saturdays at 07:00 from 1 March to 31 October 2027, seen as sessions before
saving, then saved; axe finds nothing on the pages in Vietnamese and Korean, nothing scrolls
sideways, and the content security policy is never broken. Then days closed over a session
with a guest (one experience's, and the whole village's): refused with the list, the choice
to cancel it refused until its box is ticked, then the report; the keyboard's focus starts on
the list, on the error summary and on the report's heading, and axe finds nothing there."""
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.browser.conftest import sign_in_live
from tests.browser.test_accessibility import violations
from tests.concurrency import committed

pytestmark = pytest.mark.browser


@pytest.fixture
def season(live_db, request):
    """A village of its own (so no other browser test sees its sessions), its tea morning with
    no schedule yet, and the cooperative's owner; (email, password, experience id)."""
    from tests.factories import STAFF_PASSWORD, make_experience, make_operator, make_staff, make_village

    locale = request.node.callspec.params["locale"]

    def make(db):
        village = make_village(db, slug=f"lang-mua-{locale}", province="Thái Nguyên",
                               texts={"vi": "Làng Mùa", "en": "Season Village"})
        operator = make_operator(db, slug=f"htx-mua-{locale}", villages=[village])
        experience = make_experience(db, village, f"lang-mua-{locale}-hai-che", craft="tea",
                                     texts={"vi": "Buổi sáng hái chè", "en": "A tea-picking morning"})
        email = f"chu-nhiem-{locale}@mua.example"
        make_staff(db, operator, email=email, role="owner")
        return email, experience.id
    email, experience_id = committed(live_db, make)
    return (email, STAFF_PASSWORD), experience_id


def checked(page, expected_h1=True) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px on a phone"
    if expected_h1:
        assert page.locator("h1").is_visible()
    assert violations(page) == [], page.url


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_next_seasons_schedule_on_a_phone(live_server, live_db, axe_page, season, locale):
    from tourism.scheduling.models import ExperienceSession, ScheduleRule

    page = axe_page
    csp = []
    page.on("console", lambda message: csp.append(message.text) if "Content Security Policy" in message.text else None)
    credentials, experience_id = season
    sign_in_live(page, live_server, credentials, locale=locale)
    assert page.locator("html").get_attribute("lang") == locale

    page.goto(f"{live_server}/console/experiences")
    checked(page)
    page.click(f"a[href='/console/experiences/{experience_id}/schedule']")
    page.wait_for_url(f"**/console/experiences/{experience_id}/schedule")
    checked(page)

    rule = page.locator("form[action$='/schedule/rules']")
    rule.locator("input[name=weekday][value='1']").check()  # Tuesday
    rule.locator("input[name=weekday][value='5']").check()  # Saturday
    rule.locator("input[name=times]").fill("07:00")
    rule.locator("input[name=valid_from]").fill("2027-03-01")
    rule.locator("input[name=valid_until]").fill("2027-10-31")
    rule.locator("input[name=capacity]").fill("20")
    rule.locator("button[type=submit]").click()
    page.wait_for_load_state()

    # The preview: the new sessions, nothing saved yet.
    new_sessions = page.locator(".sc-effect").first.locator("li")
    assert new_sessions.count() > 0
    assert "2027" in new_sessions.first.text_content()
    previewed = int(page.locator(".sc-effect .sc-count").first.inner_text().strip("() "))
    checked(page)
    assert committed(live_db, lambda db: db.scalars(select(ScheduleRule).where(
        ScheduleRule.experience_id == experience_id)).all()) == []

    page.locator("form:has(input[name=fingerprint]) button[type=submit]").click()
    page.wait_for_url(f"**/console/experiences/{experience_id}/schedule#schedules")
    assert page.locator("[role=status]").first.is_visible()
    checked(page)

    rules = committed(live_db, lambda db: [(r.rrule, r.valid_from, r.valid_until, r.capacity) for r in db.scalars(
        select(ScheduleRule).where(ScheduleRule.experience_id == experience_id))])
    assert rules == [("FREQ=WEEKLY;BYDAY=TU,SA;BYHOUR=7;BYMINUTE=0", date(2027, 3, 1), date(2027, 10, 31), 20)]
    starts = committed(live_db, lambda db: list(db.scalars(select(ExperienceSession.starts_at).where(
        ExperienceSession.experience_id == experience_id).order_by(ExperienceSession.starts_at))))
    # The first is Tuesday 2 March 2027 at 07:00 in Thái Nguyên (00:00 UTC); as many were
    # saved as the preview listed, every one a Tuesday or a Saturday at 07:00.
    assert starts[0] == datetime(2027, 3, 2, 0, 0, tzinfo=timezone.utc) and len(starts) == previewed
    assert {(s.weekday(), s.hour, s.minute) for s in starts} == {(1, 0, 0), (5, 0, 0)}

    # A refused form is announced and each wrong field marked, in the page's language.
    rule = page.locator("form[action$='/schedule/rules']")
    rule.locator("input[name=times]").fill("25:00")
    rule.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[role=alert]").is_visible()
    assert page.locator("[aria-invalid=true]").count() >= 1
    checked(page)

    page.goto(f"{live_server}/console/experiences/{experience_id}")
    checked(page)
    assert csp == []


# --- days closed over a session with a guest: the owner cancels it with the closure ----------

@pytest.fixture
def guest_on_the_day(live_db, request):
    """A village of its own, its pottery class in three days at 07:00 with one guest paying at
    the village, and the cooperative's owner; (credentials, village id, experience id, session
    id, booking id, the day as 2027-01-31)."""
    from tests.conftest import VIETNAM
    from tests.factories import (
        STAFF_PASSWORD,
        contact,
        make_experience,
        make_operator,
        make_session,
        make_staff,
        make_village,
    )
    from tourism.booking import services
    from tourism.payments.models import Payment, PaymentStatus

    locale = request.node.callspec.params["locale"]
    day = datetime.now(VIETNAM).date() + timedelta(days=3)

    def make(db):
        village = make_village(db, slug=f"lang-dong-{locale}", province="Hà Nội",
                               texts={"vi": "Làng Đóng", "en": "Closed Village", "ko": "닫힌 마을"})
        operator = make_operator(db, slug=f"htx-dong-{locale}", villages=[village])
        experience = make_experience(db, village, f"lang-dong-{locale}-gom",
                                     texts={"vi": "Nặn gốm", "en": "Throw a pot", "ko": "물레 도자기 체험"})
        starts = datetime.combine(day, time(7), VIETNAM).astimezone(timezone.utc)
        session = make_session(db, experience, starts, capacity=10, is_one_off=True)
        now = datetime.now(timezone.utc)
        booking, _token = services.create_hold(db, session=session, party={"adult": 2}, now=now,
                                               contact=contact(name="Trần Văn Nam", locale="vi",
                                                               email=f"nam-{locale}@dong.example"))
        booking.payment_provider = "on_site"
        db.add(Payment(booking_id=booking.id, provider="on_site", amount=booking.total_amount, currency="VND",
                       status=PaymentStatus.DUE_ON_SITE, updated_at=now))
        services.confirm_booking(db, booking, now=now)
        email = f"chu-nhiem-dong-{locale}@dong.example"
        make_staff(db, operator, email=email, role="owner")
        return email, village.id, experience.id, session.id, booking.id
    email, *ids = committed(live_db, make)
    return ((email, STAFF_PASSWORD), *ids, day.isoformat())


@pytest.mark.parametrize("locale, where", [("vi", "experience"), ("ko", "village")])
def test_days_closed_over_a_guest_with_the_session_cancelled_on_a_phone(live_server, live_db, axe_page,
                                                                         guest_on_the_day, locale, where):
    """One experience's closed days in Vietnamese, the whole village's in Korean: the same pages."""
    from playwright.sync_api import expect

    from tourism.booking.models import Booking, BookingStatus
    from tourism.scheduling.models import Closure, ExperienceSession, SessionStatus

    page = axe_page
    credentials, village_id, experience_id, session_id, booking_id, day = guest_on_the_day
    sign_in_live(page, live_server, credentials, locale=locale)
    home = (f"/console/experiences/{experience_id}/schedule" if where == "experience" else
            f"/console/villages/{village_id}/closures")
    page.goto(f"{live_server}{home}")
    closure = page.locator("form:has(input[name=starts_on])")
    closure.locator("input[name=starts_on]").fill(day)
    closure.locator("input[name=reason]").fill("Nung lò")
    closure.locator("button[type=submit]").click()
    page.wait_for_load_state()

    # Refused, with the session and its guests listed, and the choice to cancel it.
    blocked = page.locator("#blocked")
    expect(blocked).to_be_focused()
    expect(blocked.locator(f"a[href='/console/sessions/{session_id}']")).to_be_visible()
    checked(page)

    # The box not ticked: nothing changes, and the focus is on what is missing.
    choice = page.locator("form:has(input[name=cancel_sessions])")
    choice.locator("input[name=cancel_reason][value=equipment]").check()
    choice.locator("textarea[name=cancel_note]").fill("Lò nung bị nứt.")
    choice.locator("button[type=submit]").click()
    page.wait_for_load_state()
    summary = page.locator("#cancel-problems")
    expect(summary).to_be_focused()
    expect(page.locator("#cancel-cancel_sessions")).to_have_attribute("aria-invalid", "true")
    checked(page)
    assert committed(live_db, lambda db: db.get(ExperienceSession, session_id).status) == SessionStatus.OPEN

    # Ticked (the reason and the note stay as typed): closed, cancelled, and the report.
    choice = page.locator("form:has(input[name=cancel_sessions])")
    expect(choice.locator("textarea[name=cancel_note]")).to_have_value("Lò nung bị nứt.")
    summary.locator("a[href='#cancel-cancel_sessions']").click()  # the summary leads to the box
    expect(page.locator("#cancel-cancel_sessions")).to_be_focused()
    page.keyboard.press("Space")
    choice.locator("button[type=submit]").click()
    page.wait_for_url("**/cancelled?session=*")
    expect(page.locator("h1#cancelled-title")).to_be_focused()
    assert page.locator("section table tbody tr").count() == 1
    checked(page)

    def outcome(db):
        closures = db.scalars(select(Closure).where(
            Closure.village_id == village_id if where == "village" else Closure.experience_id == experience_id))
        return ([c.starts_on.isoformat() for c in closures], db.get(ExperienceSession, session_id).status,
                db.get(Booking, booking_id).status)
    assert committed(live_db, outcome) == ([day], SessionStatus.CANCELLED, BookingStatus.CANCELLED)
