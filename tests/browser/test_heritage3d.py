"""3D heritage pages in headless Chromium at phone size, on the demo models: the <model-viewer>
element upgrades and loads the model from our own origin (nothing else is asked of the
network), the hotspots are buttons that take the keyboard's focus and open their note, the
guided views turn the camera, the poster keeps its place (no layout shift), axe finds
nothing in vi and ko, and with JavaScript off the poster and the notes are still there.

WebGL comes from SwiftShader (software rendering), as on a phone without a usable GPU.
"""
import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser

VASE = "/heritage/chu-dau-vase"


@pytest.fixture
def viewer_page(webgl_browser, live_server):
    """A phone page on which every request that leaves the loopback server is refused and recorded."""
    # Reduced motion: the camera jumps to where a hotspot or a guided view sends it, instead
    # of gliding there frame by frame (slow on a software renderer).
    context = webgl_browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                        reduced_motion="reduce")
    page = context.new_page()
    page.outside_requests = []
    page.problems = []
    own = urlparse(live_server).netloc

    def guard(route):
        url = urlparse(route.request.url)
        if url.scheme in ("http", "https") and url.netloc != own:
            page.outside_requests.append(route.request.url)
            return route.abort()
        return route.continue_()

    context.route("**/*", guard)
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    yield page
    context.close()


def wait_for_model(page, selector="model-viewer"):
    page.wait_for_function("() => customElements.get('model-viewer') !== undefined")
    # Loaded, then drawn at least once.
    page.wait_for_function(f"() => document.querySelector({selector!r}).loaded === true", timeout=30_000)
    page.wait_for_function(f"() => document.querySelector({selector!r}).modelIsVisible === true")


def test_the_viewer_upgrades_loads_the_model_and_its_hotspots_take_focus(viewer_page, live_server):
    page = viewer_page
    page.goto(f"{live_server}{VASE}?lang=en")
    stage = page.locator("model-viewer")
    before = stage.bounding_box()
    assert before["height"] > 300  # the poster's space is there before anything loads
    wait_for_model(page)
    after = stage.bounding_box()
    assert (after["width"], after["height"]) == (before["width"], before["height"])
    expect(page.locator(".h3d-status")).to_have_text("3D model ready: drag to turn it, pinch or scroll to zoom.")
    assert page.evaluate("document.querySelector('model-viewer').modelIsVisible") is True

    hotspots = page.locator("button.h3d-hotspot")
    expect(hotspots).to_have_count(4)
    # Keyboard: Tab moves from the first hotspot to the second; Enter opens its note.
    hotspots.nth(0).focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('slot')") == "hotspot-2"
    expect(hotspots.nth(1)).to_be_visible()
    page.keyboard.press("Enter")
    expect(hotspots.nth(1)).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".h3d-notes li").nth(1)).to_have_class("is-active")
    position = [float(c.rstrip("m")) for c in hotspots.nth(1).get_attribute("data-position").split()]
    # The camera turns towards the detail.
    page.wait_for_function(
        "p => { const t = document.querySelector('model-viewer').getCameraTarget();"
        " return Math.abs(t.x - p[0]) + Math.abs(t.y - p[1]) + Math.abs(t.z - p[2]) < 1e-3; }", arg=position)

    # Guided views become buttons that move the camera.
    views = page.locator(".h3d-views button")
    expect(views).to_have_count(3)
    views.nth(2).click()
    expect(views.nth(2)).to_have_attribute("aria-pressed", "true")
    phi = float(page.locator(".h3d-views li").nth(2).get_attribute("data-orbit").split()[1].rstrip("deg"))
    page.wait_for_function(
        "phi => Math.abs(document.querySelector('model-viewer').getCameraOrbit().phi * 180 / Math.PI - phi) < 0.5",
        arg=phi)

    assert page.outside_requests == []
    assert [p for p in page.problems if "Content Security Policy" in p or "Refused" in p] == []


def viewer_requests(page) -> list[str]:
    return [url for url in page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
            if "model-viewer" in url or url.endswith(".glb")]


def test_the_experience_page_loads_the_viewer_and_model_only_near_them(viewer_page, live_server):
    page = viewer_page
    page.goto(f"{live_server}/experiences/tan-cuong-tea-morning?lang=ko")
    page.wait_for_load_state("networkidle")
    # The 3D section is below the booking form, beyond the 400 px margin at which the viewer
    # starts loading: a visitor who only books downloads none of it.
    assert page.evaluate("document.querySelector('model-viewer').getBoundingClientRect().top") > PHONE["height"] + 400
    assert viewer_requests(page) == []
    page.locator("model-viewer").scroll_into_view_if_needed()
    wait_for_model(page)
    expect(page.locator(".h3d-panel button.h3d-hotspot")).to_have_count(4)
    assert page.outside_requests == []
    assert page.problems == []


def test_a_phone_saving_data_loads_the_3d_view_only_when_asked(webgl_browser, live_server):
    context = webgl_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_init_script("Object.defineProperty(navigator, 'connection', {value: {saveData: true}})")
    page = context.new_page()
    page.goto(f"{live_server}{VASE}?lang=en")
    page.wait_for_load_state("networkidle")
    assert viewer_requests(page) == []
    expect(page.locator("model-viewer img[slot=poster]")).to_be_visible()
    offer = page.locator(".h3d-load button")
    expect(offer).to_have_text(re.compile(r"^Turn it in 3D \((1\.[0-9]|1) MB to download\)$"))
    offer.click()
    wait_for_model(page)
    assert len(viewer_requests(page)) == 2  # the viewer, then the model
    expect(offer).to_be_hidden()
    context.close()


def test_at_an_audio_stop_the_model_loads_only_when_the_visitor_asks(viewer_page, live_server):
    page = viewer_page
    page.goto(f"{live_server}/g/TCC?lang=ko")
    offer = page.locator(".h3d-stop .h3d-load button")
    offer.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    assert viewer_requests(page) == []  # even with the model on screen
    offer.click()
    wait_for_model(page)
    expect(page.locator(".h3d-stop button.h3d-hotspot")).to_have_count(4)
    assert page.outside_requests == []


@pytest.mark.parametrize("locale", ["vi", "ko"])
@pytest.mark.parametrize("path", [VASE, "/villages/dong-ho"])
def test_no_axe_violations_on_3d_pages(live_server, axe_page, path, locale):
    axe_page.goto(f"{live_server}{path}?lang={locale}")
    axe_page.locator("model-viewer").scroll_into_view_if_needed()  # the viewer loads near the screen
    axe_page.wait_for_function("() => customElements.get('model-viewer') !== undefined")
    assert violations(axe_page) == []


def test_without_javascript_the_poster_and_the_notes_tell_the_story(browser, live_server):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}{VASE}?lang=vi")
    poster = page.locator("model-viewer img[slot=poster]")
    expect(poster).to_be_visible()
    box = poster.bounding_box()
    assert box["width"] > 300 and abs(box["width"] - box["height"]) < 2  # square poster, full width
    assert page.evaluate("document.querySelector('model-viewer img').naturalWidth") == 640  # it did load
    expect(page.locator("button.h3d-hotspot").first).to_be_hidden()  # no dead buttons
    expect(page.locator(".h3d-notes li")).to_have_count(4)
    expect(page.locator(".h3d-notes li").first).to_be_visible()
    expect(page.locator(".h3d-views li")).to_have_count(3)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    context.close()
