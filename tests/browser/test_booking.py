"""Booking in a real browser: without JavaScript end to end, the live countdown with it,
and no accessibility violations on the booking pages (vi, ko) at phone size."""
import re

import pytest

from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser
EXPERIENCE = "/experiences/bat-trang-pottery-wheel"


def hold_seats(page, live_server, locale):
    page.goto(f"{live_server}{EXPERIENCE}?lang={locale}")
    page.locator(".slot a:visible").first.click()
    page.fill("#tier_adult", "2")
    page.fill("#name", "Trần Văn Minh" if locale == "vi" else "김민지")
    page.fill("#email", f"browser-{locale}@example.com")
    page.fill("#phone", "+84 912 345 678")
    page.select_option("#country", "VN")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/booking/"))


def test_booking_works_without_javascript(live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    hold_seats(page, live_server, "vi")
    assert page.locator("[data-countdown-seconds]").count() == 1
    page.click("form button[type=submit]")  # pay at the village
    assert page.locator('.notice[role="status"]').count() == 1
    assert page.locator("text=browser-vi@example.com").count() == 1
    context.close()


def test_countdown_ticks_with_javascript(live_server, phone_page):
    hold_seats(phone_page, live_server, "ko")
    countdown = phone_page.locator("[data-countdown-seconds]")
    phone_page.wait_for_function(
        "() => /^\\d+:\\d\\d$/.test(document.querySelector('[data-countdown-seconds]').textContent)")
    first = countdown.inner_text()
    phone_page.wait_for_timeout(1500)
    assert countdown.inner_text() != first


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_booking_pages_have_no_axe_violations(live_server, axe_page, locale):
    axe_page.goto(f"{live_server}{EXPERIENCE}?lang={locale}")
    assert violations(axe_page) == []
    axe_page.locator(".slot a:visible").first.click()
    assert violations(axe_page) == []
    axe_page.fill("#tier_adult", "0")
    axe_page.fill("#name", "x")
    axe_page.click("button[type=submit]")  # an error page with the form again
    assert axe_page.locator('[role="alert"]').count() == 1
    assert violations(axe_page) == []
    hold_seats(axe_page, live_server, locale)
    assert violations(axe_page) == []
    axe_page.click("form button[type=submit]")  # pay at the village: the confirmed page
    assert axe_page.locator('a[href$="/ticket.pdf"]').count() == 1
    assert violations(axe_page) == []
