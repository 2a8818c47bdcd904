"""WCAG 2.2 A/AA checks with axe-core on the public pages, at a phone-sized viewport."""
import re
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES = ["/", "/villages/bat-trang", "/experiences/tan-cuong-tea-morning", "/experiences/bat-trang-ceramics-museum", "/no-such-page",
         "/products/tra-moc-cau-tan-cuong", "/t/TCMC26A3", "/t/NO2SUCH"]


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


@pytest.mark.parametrize("locale", ["vi", "ko"])
@pytest.mark.parametrize("path", PAGES)
def test_no_axe_violations(live_server, axe_page, path, locale):
    axe_page.goto(f"{live_server}{path}?lang={locale}")
    assert axe_page.locator("html").get_attribute("lang") == locale
    assert violations(axe_page) == []


@pytest.mark.parametrize("path", PAGES)
def test_pages_fit_a_phone_and_break_no_csp_rule(live_server, phone_page, path):
    messages = []
    phone_page.on("console", lambda m: messages.append(m.text))
    phone_page.goto(f"{live_server}{path}?lang=vi")
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    assert [m for m in messages if "Content Security Policy" in m] == []


def test_search_form_works_without_javascript(live_server, browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/?lang=en")
    page.select_option("#craft", "tea")
    # Without JavaScript the click is a full page load: wait for the results page,
    # or the cards are read from a page that is half gone.
    with page.expect_navigation(url=re.compile(r"craft=tea")):
        page.click("button[type=submit]")
    titles = page.locator(".card__title a").all_inner_texts()
    assert titles and all("tea" in t.lower() for t in titles)
    context.close()
