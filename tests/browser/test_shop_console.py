"""The product console in Chromium on a phone, as a Bát Tràng staff member: the list, a
product's page, its pictures, its batches, a new product refused for missing fields, and the
deliveries; axe finds nothing in Vietnamese and Korean, nothing scrolls sideways, and the
content security policy is never broken."""
import pytest

from tests.browser.conftest import sign_in_live
from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser


def checked(page, url: str) -> None:
    csp = []
    page.on("console", lambda message: csp.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(url)
    assert page.locator("h1").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{url} scrolls sideways by {overflow}px on a phone"
    assert violations(page) == [], url
    assert csp == [], url


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_the_product_console_has_no_axe_violations_on_a_phone(live_server, live_staff, axe_page, locale):
    page = axe_page
    sign_in_live(page, live_server, live_staff, locale=locale)
    checked(page, f"{live_server}/console/products")
    products = page.locator("main a[href*='/console/products/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    product_url = live_server + next(href for href in products if href.rstrip("/").split("/")[-1].isdigit())
    checked(page, product_url)
    assert page.locator("main form").count() >= 4  # stock, details, other stores, experiences
    checked(page, f"{product_url}/images")
    checked(page, f"{product_url}/batches")

    page.goto(f"{live_server}/console/products/new")
    page.locator("main form button[type=submit]").last.click()  # nothing filled in
    assert page.locator("[role=alert]").is_visible()
    assert page.locator("[aria-invalid=true]").count() >= 2
    assert violations(page) == []

    checked(page, f"{live_server}/console/deliveries")
