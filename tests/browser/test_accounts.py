"""Accounts in Chromium at phone size, in Vietnamese and Korean, checked with axe:
"Forgot your password?" → the e-mailed link → a new password → signed in; then the owner's
team pages and "Your account"."""
import re

import pytest
from sqlalchemy import select

from tests.browser.conftest import sign_in_live
from tests.browser.test_accessibility import violations
from tests.concurrency import committed
from tests.factories import make_staff
from tourism.accounts.services import find_operator
from tourism.notify.models import OutboxMessage

pytestmark = pytest.mark.browser

NEW_PASSWORD = "gốm Bát Tràng men lam"
LINK = re.compile(r"https?://[^/\s]+(/console/password/[A-Za-z0-9_-]+)")


def owner(live_db, email):
    committed(live_db, lambda db: make_staff(db, find_operator(db, "htx-gom-bat-trang"), email=email, role="owner"))


def emailed_link(live_db, email) -> str:
    texts = committed(live_db, lambda db: db.scalars(
        select(OutboxMessage.body_text).where(OutboxMessage.recipient == email).order_by(OutboxMessage.id)).all())
    return LINK.findall(texts[-1])[-1]


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_forgot_password_then_a_new_one_from_the_emailed_link(live_server, live_db, axe_page, locale):
    email = f"quen-{locale}@bat-trang.example"
    owner(live_db, email)
    page = axe_page
    page.goto(f"{live_server}/console/sign-in?lang={locale}")
    page.click(".sign-in-help a")
    assert "/console/forgot-password" in page.url and violations(page) == []

    page.fill("#forgot-email", "not an address")
    page.click("main button[type=submit]")
    assert page.locator("#forgot-email").get_attribute("aria-invalid") == "true"
    assert violations(page) == []

    page.fill("#forgot-email", email)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/console/forgot-password/sent")
    assert page.locator("[role=status]").is_visible() and violations(page) == []

    path = emailed_link(live_db, email)
    page.goto(f"{live_server}{path}")
    assert page.locator("html").get_attribute("lang") == locale
    assert violations(page) == []
    page.fill("#choose-password", NEW_PASSWORD)
    page.fill("#choose-confirm", NEW_PASSWORD + " khác")
    page.click("main button[type=submit]")
    assert page.locator("#choose-confirm").get_attribute("aria-invalid") == "true"
    assert page.locator(".cf-summary").is_visible() and violations(page) == []

    page.fill("#choose-password", NEW_PASSWORD)
    page.fill("#choose-confirm", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/console")
    assert page.locator("main [role=status]").is_visible()  # "your password is saved, you are signed in"
    assert violations(page) == []

    # The link worked once: opened again, it says so.
    page.goto(f"{live_server}{path}")
    assert page.locator("main [role=alert]").is_visible() and violations(page) == []

    # The owner's pages: the team, a person, adding one, removing one; and their own account.
    for url in ("/console/staff", "/console/staff/new", "/console/account"):
        page.goto(f"{live_server}{url}")
        assert page.locator("h1").is_visible() and violations(page) == [], url
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, url
    page.goto(f"{live_server}/console/staff/new")
    page.click("main button[type=submit]")  # nothing filled in
    assert page.locator(".cf-summary").is_visible() and violations(page) == []
    page.goto(f"{live_server}/console/staff")
    page.locator(".ac-person h3 a").first.click()
    assert violations(page) == []
    page.click("main a.cf-danger")
    assert page.locator("button.button--danger").is_visible() and violations(page) == []

    # Signed out everywhere from "Your account": the new password signs in again.
    page.goto(f"{live_server}/console/account")
    page.locator("form[action$='/sign-out-everywhere'] button").click()
    page.wait_for_url(re.compile(r".*/console/sign-in$"))
    assert violations(page) == []
    sign_in_live(page, live_server, (email, NEW_PASSWORD), locale=locale)


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_a_forged_link_gets_a_clear_page(live_server, axe_page, locale):
    axe_page.goto(f"{live_server}/console/password/not-a-real-link?lang={locale}")
    assert axe_page.locator("main [role=alert]").is_visible()
    assert axe_page.locator("main a[href='/console/forgot-password']").is_visible()
    assert violations(axe_page) == []
