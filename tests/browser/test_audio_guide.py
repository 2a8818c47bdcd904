"""The audio guide in headless Chromium at phone size: a stop passes axe (vi, ko), its controls
are big enough and reachable by keyboard, the lock screen gets the track's details; the
keypad answers on the phone; and a tour saved for offline use opens with no connection and
plays a recording from its middle, the service worker answering the player's Range request
from the cache with a 206."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from audio_guides.media import MediaStore
from audio_guides.models import Tour
from tests.audio_guides.test_views import make_tour
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.test_accessibility import violations
from tests.concurrency import committed
from tourism.catalog.models import Village

pytestmark = pytest.mark.browser

SLUG = "browser-audio-walk"
SECONDS = 30.0  # each recording; the test seeks to the middle


@pytest.fixture(scope="module")
def guide(live_db, base_settings):
    """A published Bát Tràng tour of three stops on the live server, recorded in vi and en
    (ko at the first stop only), with real (silent) MP3 files in the live media store."""
    store = MediaStore(base_settings["audio_guides.media_dir"])

    def work(db):
        tour = db.scalar(select(Tour).where(Tour.slug == SLUG))
        if tour is None:
            village = db.scalar(select(Village).where(Village.slug == "bat-trang"))
            tour = make_tour(db, store, village, SLUG, prefix="BW", seconds=SECONDS, stops=[
                ({"vi": "Bến sông", "en": "River landing", "ko": "강 나루"}, ("vi", "en", "ko")),
                ({"vi": "Lò bầu cổ", "en": "The old dragon kiln"}, ("vi", "en")),
                ({"vi": "Chợ gốm", "en": "Pottery market"}, ("vi", "en")),
            ])
        return [stop.code for stop in tour.stops]

    return committed(live_db, work)


def stop_url(live_server, code, locale="en"):
    return f"{live_server}/g/{code}?lang={locale}"


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_stop_and_tour_pages_have_no_axe_violations(live_server, guide, axe_page, locale):
    for path in (f"/g/{guide[1]}", f"/tours/{SLUG}", f"/tours/{SLUG}/keypad", f"/tours/{SLUG}/keypad?number=99",
                 "/g/NOPE"):
        axe_page.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang={locale}")
        assert axe_page.locator("html").get_attribute("lang") == locale
        assert violations(axe_page) == [], path


def test_korean_stop_says_the_recording_is_english(live_server, guide, phone_page):
    phone_page.goto(stop_url(live_server, guide[1], "ko"))
    expect(phone_page.locator("#track-fallback")).to_contain_text("한국어")
    phone_page.goto(stop_url(live_server, guide[0], "ko"))
    expect(phone_page.locator("#track-fallback")).to_have_count(0)


def test_stop_controls_are_big_enough_and_reachable_by_keyboard(live_server, guide, phone_page):
    messages = []
    phone_page.on("console", lambda m: messages.append(m.text))
    phone_page.goto(stop_url(live_server, guide[1]))
    expect(phone_page.locator(".player__skip")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert [m for m in messages if "Content Security Policy" in m] == []
    controls = ["#stop-audio", ".player__skip button", ".stop-nav a", ".stop-list a", ".stop__more a", ".page-header a",
                ".language-switcher a"]
    for selector in controls:
        for target in phone_page.locator(selector).all():
            box = target.bounding_box()
            assert box["width"] >= 24 and box["height"] >= 24, f"{selector} is {box['width']}×{box['height']}"
    # Tab from the top reaches the player, the skip buttons and the way to the next stop.
    reached = set()
    for _ in range(40):
        phone_page.keyboard.press("Tab")
        reached.add(phone_page.evaluate(
            "(() => { const e = document.activeElement; return e.id || e.dataset.skip || e.rel || e.className; })()"))
    assert {"stop-audio", "-10", "10", "prev", "next"} <= reached
    # The skip buttons work from the keyboard.
    phone_page.wait_for_function("document.getElementById('stop-audio').readyState >= 1")
    phone_page.focus("[data-skip='10']")
    phone_page.keyboard.press("Enter")
    assert phone_page.evaluate("document.getElementById('stop-audio').currentTime") == pytest.approx(10, abs=0.5)


@pytest.mark.parametrize("path", [f"/tours/{SLUG}", f"/tours/{SLUG}/keypad", "/tours"])
def test_tour_pages_fit_a_phone_with_big_enough_controls(live_server, guide, phone_page, path):
    messages = []
    phone_page.on("console", lambda m: messages.append(m.text))
    phone_page.goto(f"{live_server}{path}?lang=vi")
    phone_page.wait_for_load_state("networkidle")
    assert phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert [m for m in messages if "Content Security Policy" in m] == []
    for target in phone_page.locator("main a, main button, main input, main select").all():
        if target.is_visible():
            box = target.bounding_box()
            assert box["width"] >= 24 and box["height"] >= 24, f"{target} is {box['width']}×{box['height']}"


def test_lock_screen_shows_the_stop_and_its_tour(live_server, guide, phone_page):
    phone_page.goto(stop_url(live_server, guide[1]))
    phone_page.wait_for_function("navigator.mediaSession.metadata !== null")
    metadata = phone_page.evaluate("""(() => { const m = navigator.mediaSession.metadata;
        return {title: m.title, album: m.album, artist: m.artist, artwork: m.artwork.map((a) => a.src)}; })()""")
    assert metadata["title"] == "The old dragon kiln"
    assert metadata["album"] == "Test village walk"
    assert metadata["artist"] == "Bát Tràng Pottery Village"
    assert metadata["artwork"] and "/static/demo/bat-trang-kiln.svg" in metadata["artwork"][0]
    # Pressing play tells the server once, with the language heard (the play count).
    with phone_page.expect_request(lambda r: "/played" in r.url) as beacon:
        phone_page.click("h1")  # a gesture: the page may now start playing
        phone_page.evaluate("document.getElementById('stop-audio').play()")
    assert beacon.value.method == "POST" and beacon.value.url.endswith(f"/g/{guide[1]}/played?lang=en")
    assert beacon.value.response().status == 204


def test_keypad_opens_a_stop_and_refuses_unknown_numbers_on_the_phone(live_server, guide, phone_page):
    phone_page.goto(f"{live_server}/tours/{SLUG}/keypad?lang=en")
    phone_page.fill("#number", "7")
    phone_page.click("form.keypad__form button")
    expect(phone_page.locator("#number-error")).to_have_text(
        "No stop on this tour has the number 7. Check the number on the sign.")
    assert phone_page.url.endswith("/keypad?lang=en")  # answered on the phone, not by the server
    phone_page.fill("#number", "3")
    phone_page.keyboard.press("Enter")
    phone_page.wait_for_url(f"{live_server}/g/{guide[2]}")


@pytest.fixture
def player_browser(browser):
    """A second browser that lets a page start playing without a tap (headless has no one to tap)."""
    player = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"])
    yield player
    player.close()


def play_from_the_middle(page):
    """Seek the stop's recording to its middle, play, and see it play on from there."""
    page.wait_for_function("document.getElementById('stop-audio').readyState >= 1")
    middle = page.evaluate("document.getElementById('stop-audio').duration / 2")
    assert middle == pytest.approx(SECONDS / 2, abs=1)
    page.evaluate("(t) => { const a = document.getElementById('stop-audio'); a.currentTime = t; a.play(); }", middle)
    page.wait_for_function(
        "(t) => document.getElementById('stop-audio').currentTime > t + 1", arg=middle, timeout=15_000)
    assert page.evaluate("document.getElementById('stop-audio').error") is None


def test_saved_tour_plays_from_the_middle_in_airplane_mode(live_server, guide, player_browser):
    phone = player_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"{live_server}/tours/{SLUG}?lang=en")
    # The size comes first, before anything is saved.
    expect(page.locator("#offline-size")).to_have_text(re.compile(r"^Saving needs [0-9.]+ kB on this phone \(15 files\)\.$"))
    assert page.locator("#offline-lang").input_value() == "en"
    english = page.locator("#offline-size").inner_text()
    page.select_option("#offline-lang", "ko")
    expect(page.locator("#offline-size")).not_to_have_text(english)  # the Korean tour's own size
    expect(page.locator("#offline-size")).to_have_text(re.compile(r"^Saving needs [0-9.]+ kB"))
    page.click("#offline-save")
    page.wait_for_selector("html[data-tour-saved='ko']", state="attached", timeout=30_000)
    assert page.locator("#offline-progress").evaluate("p => p.value") == 100
    expect(page.locator("#offline-status")).to_contain_text("Saved for offline use")
    expect(page.locator("#offline-remove")).to_be_visible()

    # Online, a recording that was not saved (Vietnamese) streams through the worker as before.
    page.goto(stop_url(live_server, guide[2], "vi"))
    play_from_the_middle(page)

    phone.set_offline(True)
    ranges = []
    page.on("response", lambda r: "/media/" in r.url and ranges.append(
        (r.status, r.from_service_worker, r.headers.get("content-range"))))
    response = page.goto(f"{live_server}/g/{guide[1]}")  # another stop, never opened before
    assert response.from_service_worker
    assert page.locator("html").get_attribute("lang") == "ko"
    expect(page.locator("#track-fallback")).to_contain_text("한국어")  # saved with the English recording
    play_from_the_middle(page)
    assert any(status == 206 and from_worker and content_range for status, from_worker, content_range in ranges), ranges
    # The keypad and the tour page open offline too, and the keypad still answers.
    page.goto(f"{live_server}/tours/{SLUG}/keypad")
    page.fill("#number", "1")
    page.click("form.keypad__form button")
    page.wait_for_url(f"{live_server}/g/{guide[0]}")
    expect(page.locator("h1")).to_have_text("강 나루")
    page.goto(f"{live_server}/tours/{SLUG}")
    expect(page.locator("#offline-status")).to_contain_text("Saved for offline use")
    # A lower-case code typed offline is the same stop.
    assert page.goto(f"{live_server}/g/{guide[2].lower()}").from_service_worker
    expect(page.locator("h1")).to_have_text("Pottery market")
    assert [e for e in errors if "Failed to load resource" not in e] == []

    # Back online, removing the tour takes it off the phone.
    phone.set_offline(False)
    page.goto(f"{live_server}/tours/{SLUG}?lang=en")
    page.click("#offline-remove")
    expect(page.locator("#offline-status")).to_have_text("The tour is no longer saved on this phone.")
    assert page.evaluate("caches.keys()") == []
    phone.close()
