"""Panels (tourism.panels): add-ons' content on the catalog's pages, the catalog naming none.

A panel registered for "experience" or "village" renders on that page, with the page's
object; one that answers None adds nothing; panels keep the order they were registered in.
"""
import pytest
from bs4 import BeautifulSoup
from markupsafe import Markup, escape
from webtest import TestApp

from tourism import configure

EXPERIENCE = "tan-cuong-tea-morning"  # from the demo catalog
VILLAGE = "tan-cuong"


def panel(name, slug_of):
    def render(request, obj):
        title = request.localizer.translate("Test panel")
        return Markup('<section class="test-panel" data-panel="{}"><h2>{}</h2><p>{}</p></section>').format(
            name, title, escape(slug_of(obj) + " <b>"))
    return render


def silent(request, obj):
    return None


@pytest.fixture(scope="module")
def app_with_panels(app_settings):
    config = configure(app_settings)
    config.add_panel("experience", silent)
    config.add_panel("experience", panel("first", lambda experience: experience.slug))
    config.add_panel("experience", panel("second", lambda experience: experience.village.slug))
    config.add_panel("village", panel("village", lambda village: village.slug))
    config.add_panel("village", silent)
    config.add_panel("elsewhere", panel("elsewhere", lambda obj: "never"))  # a place no page renders
    return TestApp(config.make_wsgi_app())


def page(testapp, url):
    return BeautifulSoup(testapp.get(url, {"lang": "en"}).text, "html.parser")


def test_experience_panels_render_on_the_experience_page_in_order(app_with_panels):
    found = page(app_with_panels, f"/experiences/{EXPERIENCE}").select(".test-panel")
    assert [p["data-panel"] for p in found] == ["first", "second"]  # the one that answered None shows nothing
    assert found[0].h2.get_text() == "Test panel"
    assert found[0].p.get_text() == f"{EXPERIENCE} <b>"  # escaped by the panel, not re-escaped by the page
    assert found[1].p.get_text() == f"{VILLAGE} <b>"
    assert all(p.find_parent("article", class_="experience") is not None for p in found)


def test_village_panels_render_between_the_village_and_its_experiences(app_with_panels):
    html = page(app_with_panels, f"/villages/{VILLAGE}")
    found = html.select(".test-panel")
    assert [p["data-panel"] for p in found] == ["village"]
    assert found[0].p.get_text() == f"{VILLAGE} <b>"  # the panel got the page's village
    # A section of its own: after the village's article, before "Experiences in this village".
    assert found[0].find_parent("article") is None
    assert found[0].find_previous_sibling("article", class_="village") is not None
    assert found[0].find_next_sibling("section", class_="results") is not None


def test_without_panels_the_pages_are_as_before(testapp):
    assert page(testapp, f"/experiences/{EXPERIENCE}").select(".test-panel") == []
    assert page(testapp, f"/villages/{VILLAGE}").select(".test-panel") == []
