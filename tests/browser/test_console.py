"""The console's own pages in Chromium: sign-in (with a wrong password first), the landing
page and the refunds page, checked with axe at phone size, in Vietnamese and Korean."""
import pytest

from tests.browser.conftest import sign_in_live
from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_signing_in_and_the_console_pages_have_no_axe_violations(live_server, live_staff, axe_page, locale):
    page = axe_page
    page.goto(f"{live_server}/console/refunds?lang={locale}")
    assert "/console/sign-in" in page.url  # strangers are asked to sign in first
    page.fill("#email", live_staff[0])
    page.fill("#password", "not the password at all")
    page.click("main button[type=submit]")
    assert page.locator("[role=alert]").is_visible()
    assert page.locator("#password").get_attribute("aria-invalid") == "true"
    assert violations(page) == []

    sign_in_live(page, live_server, live_staff, locale=locale)
    assert page.locator("html").get_attribute("lang") == locale
    assert page.locator("main .console-links a").count() >= 4
    assert violations(page) == []

    page.goto(f"{live_server}/console/refunds")
    assert page.locator("h1").is_visible() and violations(page) == []

    page.click(".staff-bar button[type=submit]")  # sign out
    page.goto(f"{live_server}/console/refunds")
    assert "/console/sign-in" in page.url
