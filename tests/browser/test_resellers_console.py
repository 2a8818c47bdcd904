"""Resellers in Chromium on a phone, as the owner of Bát Tràng's cooperative: add a reseller, choose what it may sell, issue a key, and see that key work on
the OCTO API at once; revoke it, and see it refused. axe finds nothing on any page, in
Vietnamese and Korean, and nothing scrolls sideways."""
import re

import pytest
import requests

from tests.browser.conftest import sign_in_live
from tests.browser.test_accessibility import violations
from tests.concurrency import committed
from tests.factories import STAFF_PASSWORD, make_staff
from tourism.accounts.services import find_operator

pytestmark = pytest.mark.browser

OWNER_EMAIL = "chu-nhiem-octo@bat-trang.example"


@pytest.fixture(scope="module")
def owner(live_db):
    committed(live_db, lambda db: make_staff(db, find_operator(db, "htx-gom-bat-trang"), email=OWNER_EMAIL,
                                             role="owner"))
    return OWNER_EMAIL, STAFF_PASSWORD


def checked(page) -> None:
    assert page.locator("h1").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px on a phone"
    assert violations(page) == [], page.url


def octo_products(live_server, key) -> requests.Response:
    return requests.get(f"{live_server}/octo/products", timeout=10,
                        headers={"Authorization": f"Bearer {key}", "Octo-Capabilities": ""})


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_add_a_reseller_issue_a_key_and_revoke_it(live_server, owner, axe_page, locale):
    page = axe_page
    sign_in_live(page, live_server, owner, locale=locale)
    page.goto(f"{live_server}/console/resellers?lang={locale}")
    checked(page)
    page.locator("main a.button[href$='/console/resellers/new']").click()
    checked(page)

    # A wrong commission is refused, in the owner's language, and nothing is added.
    name = f"Hanoi Travel {locale}"
    page.fill("#reseller-name", name)
    page.fill("#reseller-commission_percent", "120")
    page.locator("main form button[type=submit]").click()
    assert page.locator("[role=alert]").is_visible()
    assert page.locator("#reseller-commission_percent[aria-invalid=true]").count() == 1
    checked(page)

    page.fill("#reseller-commission_percent", "12")
    wheel = page.locator("input[name=experience]").first
    wheel.check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/console/resellers/\d+$"))
    checked(page)
    assert page.locator("h1").inner_text() == name

    page.locator("form[action$='/keys'] button[type=submit]").click()
    page.wait_for_url("**/keys")
    checked(page)
    key = page.locator("#new-key").input_value()
    assert key.startswith("lvk_") and len(key) > 40

    # The key works at once, and shows exactly what was ticked.
    answer = octo_products(live_server, key)
    assert answer.status_code == 200 and len(answer.json()) == 1

    page.locator("main .cf-actions a.button").click()
    page.locator("a.cf-danger").first.click()
    checked(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/console/resellers/\d+"))
    assert octo_products(live_server, key).json()["error"] == "FORBIDDEN"
    # The key was shown once: its page never shows it again.
    assert key not in page.content()
