"""The experience page's extension point: add-ons' panels render there, the catalog naming none."""
import pytest
from bs4 import BeautifulSoup
from markupsafe import Markup, escape
from webtest import TestApp

from tourism import configure
from tourism.catalog.views import add_experience_panel

SLUG = "tan-cuong-tea-morning"  # from the demo catalog


def panel(request, experience):
    title = request.localizer.translate("Test panel")
    return Markup('<section class="test-panel"><h2>{}</h2><p>{}</p></section>').format(
        title, escape(experience.slug + " <b>"))


def silent(request, experience):
    return None


@pytest.fixture(scope="module")
def app_with_panels(app_settings):
    config = configure(app_settings)
    add_experience_panel(config, silent)
    add_experience_panel(config, panel)
    return TestApp(config.make_wsgi_app())


def test_a_registered_panel_renders_on_the_experience_page(app_with_panels):
    page = BeautifulSoup(app_with_panels.get(f"/experiences/{SLUG}", {"lang": "en"}).text, "html.parser")
    found = page.select(".test-panel")
    assert len(found) == 1  # the panel that answered None shows nothing
    assert found[0].h2.get_text() == "Test panel"
    assert found[0].p.get_text() == f"{SLUG} <b>"  # escaped by the panel, not re-escaped by the page
    assert found[0].find_parent("article", class_="experience") is not None


def test_without_panels_the_page_is_as_before(testapp):
    page = BeautifulSoup(testapp.get(f"/experiences/{SLUG}", {"lang": "en"}).text, "html.parser")
    assert page.select(".test-panel") == []
