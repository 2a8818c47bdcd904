"""The 3D console in headless Chromium: a click on the model fills in a new hotspot's position
and direction (model-viewer's positionAndNormalFromPoint, WebGL on SwiftShader), the hotspot
saved then shows on the visitors' page; "Use the current camera" fills in a guided view; axe
finds nothing on the console pages in Vietnamese, errors shown included; nothing scrolls
sideways on a phone.

The model clicked on is the demo vase, as a copy of its own (same files, another slug, deleted
afterwards), so the demo asset that other browser tests look at keeps exactly its hotspots.
"""
import math

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_in_live
from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser

STAFF_EMAIL = "xuong@chu-dau.example"
COPY_SLUG = "chu-dau-vase-console-copy"
PLACE_FIELDS = ("x", "y", "z", "normal_x", "normal_y", "normal_z")


@pytest.fixture(scope="module")
def chu_dau_staff(live_db):
    """(email, password) of a staff member of Công ty Gốm Chu Đậu, who runs the village chu-dau."""
    from tests.concurrency import committed
    from tests.factories import STAFF_PASSWORD, make_staff
    from tourism.accounts.services import find_operator

    committed(live_db, lambda db: make_staff(db, find_operator(db, "gom-chu-dau"), email=STAFF_EMAIL))
    return STAFF_EMAIL, STAFF_PASSWORD


@pytest.fixture(scope="module")
def vase_copy(live_db):
    """(asset id, hotspot id) of a published copy of the demo vase, with one hotspot of its own;
    deleted after this module, so the village's gallery is the demo's again for other tests."""
    from sqlalchemy import select

    from heritage3d.models import AssetText, HeritageAsset, Hotspot, HotspotText
    from tests.concurrency import committed

    def copy(db):
        vase = db.scalar(select(HeritageAsset).where(HeritageAsset.slug == "chu-dau-vase"))
        fields = {name: getattr(vase, name) for name in (
            "village_id", "status", "model_key", "size_bytes", "triangle_count", "vertex_count", "poster_key",
            "poster_width", "poster_height", "licence", "creator", "attribution", "provenance")}
        asset = HeritageAsset(slug=COPY_SLUG, position=99, **fields)
        asset.texts = [AssetText(locale="vi", title="Bình thử cho bàn điều khiển")]
        asset.hotspots = [Hotspot(position=1, x=0, y=0.3, z=0.1, normal_x=0, normal_y=0, normal_z=1,
                                  texts=[HotspotText(locale="vi", label="Vai bình")])]
        db.add(asset)
        db.flush()
        return asset.id, asset.hotspots[0].id

    def remove(db):
        db.delete(db.scalar(select(HeritageAsset).where(HeritageAsset.slug == COPY_SLUG)))

    yield committed(live_db, copy)
    committed(live_db, remove)


@pytest.fixture
def webgl_page(webgl_browser):
    context = webgl_browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    yield page
    context.close()


def wait_for_model(page):
    page.wait_for_function("() => customElements.get('model-viewer') !== undefined")
    # Loaded, then drawn at least once (until then nothing is under the pointer).
    page.wait_for_function("() => document.querySelector('model-viewer').loaded === true", timeout=30_000)
    page.wait_for_function("() => document.querySelector('model-viewer').modelIsVisible === true")


def point_on_the_model(page) -> dict:
    """A point of the page where the model itself (not a hotspot button) is under the pointer,
    as near the middle of the viewer as possible; None if none comes within 10 s (a software
    renderer under load may take a few frames to frame the model)."""
    try:
        handle = page.wait_for_function(SEARCH_POINT, timeout=10_000)
    except PlaywrightTimeoutError:
        return None
    return handle.json_value()


SEARCH_POINT = """() => {
        const model = document.querySelector('model-viewer');
        const box = model.getBoundingClientRect();
        for (const [dx, dy] of [[0, 0], [0, 0.1], [0, -0.1], [0.05, 0.2], [-0.05, -0.2], [0, 0.3]]) {
            const x = box.left + box.width * (0.5 + dx), y = box.top + box.height * (0.5 + dy);
            if (document.elementFromPoint(x, y) === model && model.positionAndNormalFromPoint(x, y)) {
                return {x, y};
            }
        }
        return null;
    }"""


def test_a_click_on_the_model_places_a_hotspot_that_visitors_then_see(webgl_page, live_server, chu_dau_staff,
                                                                     vase_copy):
    page = webgl_page
    asset_id, _ = vase_copy
    sign_in_live(page, live_server, chu_dau_staff, locale="en")
    page.goto(f"{live_server}/console/heritage/{asset_id}/hotspots?lang=en")
    wait_for_model(page)
    for name in PLACE_FIELDS:
        assert page.input_value(f"#hotspot-{name}") == ""
    point = point_on_the_model(page)
    assert point is not None, "no point of the viewer shows the model"
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("() => document.querySelector('#hotspot-x').value !== ''")
    values = [float(page.input_value(f"#hotspot-{name}")) for name in PLACE_FIELDS]
    assert all(math.isfinite(value) for value in values)
    assert math.isclose(math.hypot(*values[3:]), 1.0, abs_tol=2e-3)
    expect(page.locator("[data-h3c-said]")).to_have_text(
        "Point placed: the position and direction fields below are filled in.")
    assert page.locator(".h3c-marker").count() == 1  # the new point is shown on the model

    page.fill("#hotspot-label-vi", "Hoa văn thử")
    page.get_by_role("button", name="Add the hotspot").click()
    expect(page.locator("[role=status]").first).to_have_text("Hotspot 2 was added.")
    page.goto(f"{live_server}/heritage/{COPY_SLUG}?lang=vi")
    expect(page.locator("ol.h3d-notes > li")).to_have_count(2)
    expect(page.locator("ol.h3d-notes > li").nth(1)).to_contain_text("Hoa văn thử")
    position = page.locator("button.h3d-hotspot").nth(1).get_attribute("data-position")
    assert [float(v.rstrip("m")) for v in position.split()] == pytest.approx(values[:3], abs=1e-4)
    assert page.problems == []


def test_the_current_camera_fills_in_a_guided_view(webgl_page, live_server, chu_dau_staff, vase_copy):
    page = webgl_page
    asset_id, _ = vase_copy
    sign_in_live(page, live_server, chu_dau_staff, locale="en")
    page.goto(f"{live_server}/console/heritage/{asset_id}/hotspots?lang=en")
    wait_for_model(page)
    page.get_by_role("button", name="Use the current camera").click()
    orbit, target = page.input_value("#view-orbit"), page.input_value("#view-target")
    assert orbit.endswith("m") and orbit.count("deg") == 2 and target.count("m") == 3
    page.fill("#view-caption-vi", "Toàn cảnh")
    page.get_by_role("button", name="Add the guided view").click()
    expect(page.locator("[role=status]").first).to_have_text("Guided view 1 was added.")
    page.goto(f"{live_server}/heritage/{COPY_SLUG}?lang=vi")
    assert page.locator("model-viewer").get_attribute("camera-orbit") == orbit


def console_urls(asset_id: int, hotspot_id: int) -> list[str]:
    return ["/console/heritage", "/console/heritage/new", f"/console/heritage/{asset_id}",
            f"/console/heritage/{asset_id}/hotspots", f"/console/heritage/hotspots/{hotspot_id}",
            f"/console/heritage/hotspots/{hotspot_id}/delete"]


def test_no_axe_violations_on_the_console_pages_in_vietnamese(axe_page, live_server, chu_dau_staff, vase_copy):
    sign_in_live(axe_page, live_server, chu_dau_staff, locale="vi")
    for path in console_urls(*vase_copy):
        axe_page.goto(f"{live_server}{path}?lang=vi")
        assert axe_page.locator("html").get_attribute("lang") == "vi"
        assert violations(axe_page) == [], path
    # The pages as they show errors: an empty upload, a hotspot without numbers.
    axe_page.goto(f"{live_server}/console/heritage/new?lang=vi")
    axe_page.locator("form.cf-form button[type=submit]").click()
    expect(axe_page.locator(".cf-summary")).to_be_visible()
    assert violations(axe_page) == []
    axe_page.goto(f"{live_server}/console/heritage/{vase_copy[0]}/hotspots?lang=vi")
    axe_page.locator("form.cf-form button[type=submit]").first.click()
    expect(axe_page.locator(".cf-summary")).to_be_visible()
    assert violations(axe_page) == []


def test_the_console_pages_fit_a_phone(phone_page, live_server, chu_dau_staff, vase_copy):
    sign_in_live(phone_page, live_server, chu_dau_staff, locale="vi")
    for path in console_urls(*vase_copy):
        phone_page.goto(f"{live_server}{path}?lang=vi")
        overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    assert PHONE["width"] == 390
