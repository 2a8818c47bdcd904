"""Today and Reports in Chromium on a phone, as the owner of Bát Tràng's cooperative: the day's
sessions with their numbers and links, last month's report with its charts beside their
tables, a CSV file downloaded for Excel; axe finds nothing in Vietnamese and Korean, nothing
scrolls sideways, the content security policy is never broken, and no script is needed."""
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.browser.conftest import sign_in_live
from tests.browser.test_accessibility import violations
from tests.concurrency import committed
from tests.conftest import VIETNAM
from tests.factories import STAFF_PASSWORD, contact, make_experience, make_session, make_staff
from tourism.accounts.services import find_operator
from tourism.booking import services
from tourism.catalog.models import PublicationStatus, Village
from tourism.payments.models import Payment, PaymentStatus

pytestmark = pytest.mark.browser

OWNER_EMAIL = "chu-nhiem@bat-trang.example"


def last_month(today):
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


@pytest.fixture(scope="module")
def owner(live_db):
    """The owner of Bát Tràng's cooperative, with a Bát Tràng experience (a draft, so the
    catalog pages other tests read do not change) booked last month and today."""
    def work(db):
        make_staff(db, find_operator(db, "htx-gom-bat-trang"), email=OWNER_EMAIL, role="owner")
        village = db.scalar(select(Village).where(Village.slug == "bat-trang"))
        experience = make_experience(db, village, "bat-trang-reports-browser", max_party=8,
                                     texts={"vi": "Thử báo cáo gốm", "en": "Report pottery", "ko": "보고서 도자기"})
        today = datetime.now(VIETNAM).date()
        first, _last = last_month(today)

        def at(day, hour):
            return datetime.combine(day, time(hour), VIETNAM).astimezone(timezone.utc)

        sessions = [make_session(db, experience, at(first + timedelta(days=d), 9), capacity=10) for d in (2, 9)]
        sessions.append(make_session(db, experience, at(today, 23), capacity=10))
        guests = [("Nguyễn Văn An", "vi", "VN", 2), ("김민준", "ko", "KR", 3), ("Claire Martin", "fr", "FR", 1)]
        for session in sessions:
            before = session.starts_at - timedelta(days=2)
            for name, locale, country, party in guests:
                booking, _token = services.create_hold(
                    db, session=session, party={"adult": party}, now=before,
                    contact=contact(name=name, email=f"{country.lower()}@example.com", locale=locale,
                                    country=country))
                services.confirm_booking(db, booking, now=before)
                db.add(Payment(booking_id=booking.id, provider="stripe", amount=booking.total_amount,
                               currency="VND", status=PaymentStatus.SUCCEEDED, updated_at=before))
        experience.status = PublicationStatus.DRAFT
        return OWNER_EMAIL, STAFF_PASSWORD

    return committed(live_db, work)


def checked(page) -> None:
    assert page.locator("h1").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px on a phone"
    assert violations(page) == [], page.url


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_today_and_reports_on_a_phone(live_server, owner, axe_page, tmp_path, locale):
    page = axe_page
    sign_in_live(page, live_server, owner, locale=locale)
    page.goto(f"{live_server}/console/today?lang={locale}")
    checked(page)
    card = page.locator(".rp-session", has_text={"vi": "Thử báo cáo gốm", "ko": "보고서 도자기"}[locale])
    assert card.locator("dd").first.inner_text() == "6"  # booked
    assert card.locator("a[href$='/manifest.pdf']").count() == 1
    assert card.locator("a[href$='/checkin']").count() == 1

    first, last = last_month(datetime.now(VIETNAM).date())
    page.goto(f"{live_server}/console/reports?lang={locale}")
    checked(page)
    assert page.locator("#rp-from").input_value() == first.isoformat()
    assert page.locator("#rp-to").input_value() == last.isoformat()
    assert page.locator("svg.rp-svg").count() == 6
    paid = page.locator("#rp-chart-paid rect").evaluate_all("rects => rects.map(r => +r.dataset.value)")
    assert sum(paid) == 2 * 6 * 300000  # two sessions, six guests at 300,000 ₫
    assert page.locator("#rp-chart-countries rect").count() == 3

    # By month, chosen in the form (no JavaScript involved).
    page.locator("#rp-by-month").check()
    page.locator("form.rp-form button[type=submit]").click()
    page.wait_for_url("**by=month**")
    checked(page)

    with page.expect_download() as download_info:
        page.locator(".rp-downloads a[href*='bookings.csv']").click()
    download = download_info.value
    assert download.suggested_filename == f"bookings-{first.isoformat()}-{last.isoformat()}-month.csv"
    data = (tmp_path / "report.csv")
    download.save_as(data)
    content = data.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    expected_title = {"vi": "Thử báo cáo gốm", "ko": "보고서 도자기"}[locale]
    line = next(line for line in text.splitlines() if expected_title in line)
    assert line.startswith(f"{first.isoformat()},{last.isoformat()},")
    assert ",3600000," in line  # paid, whole dong


def test_the_pages_keep_the_content_security_policy(live_server, owner, phone_page):
    csp = []
    phone_page.on("console", lambda message: csp.append(message.text)
                  if "Content Security Policy" in message.text else None)
    sign_in_live(phone_page, live_server, owner, locale="vi")
    for path in ("/console/today", "/console/reports", "/console/reports?by=month&from=2026-01-01&to=2026-12-31"):
        phone_page.goto(f"{live_server}{path}")
        assert phone_page.locator("h1").is_visible()
    assert csp == []


def test_reports_work_without_javascript(live_server, owner, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in_live(page, live_server, owner, locale="vi")
        page.goto(f"{live_server}/console/reports?lang=vi")
        assert page.locator("svg.rp-svg").count() == 6
        page.fill("#rp-from", "")
        page.locator("form.rp-form button[type=submit]").click()
        assert page.locator("[role=alert]").is_visible()
        assert page.locator("#rp-from[aria-invalid=true]").count() == 1
    finally:
        context.close()
