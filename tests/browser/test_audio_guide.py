"""The audio guide in headless Chromium at phone size, on the demo tours (audio_guides/demo,
loaded with the live server's data): stops pass axe (vi, ko), their controls are big enough
and reachable by keyboard, the lock screen gets the track's details and pressing play sends
the play count; the keypad answers on the phone; and the Tân Cương tour, saved for offline
use in Korean, opens with no connection and plays a recording from its middle, the service
worker answering the player's Range request from the cache with a 206."""
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from audio_guides import services
from audio_guides.models import Tour
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.test_accessibility import violations
from tests.concurrency import committed
from tourism.catalog.services import village_text

pytestmark = pytest.mark.browser

TEA = "tan-cuong-tea-trail"  # recorded in vi, en and ko at every stop
POTTERY = "bat-trang-pottery-lanes"  # vi and en only: Korean visitors hear English


@dataclass(frozen=True)
class Guide:
    slug: str
    codes: list[str]
    numbers: list[int]
    titles: dict[str, list[str]]  # locale → each stop's title as shown in that locale
    tour_title: str  # in English
    village: str  # in English
    images: list[str | None]  # each stop's first picture
    durations: dict[tuple[str, str], float]  # (code, locale of the page) → seconds of what it plays
    languages: set[str]  # recorded at every stop


def read_guide(db, slug) -> Guide:
    tour = db.scalar(select(Tour).where(Tour.slug == slug))
    if tour is None:
        pytest.fail(f"The demo tour {slug!r} is missing from the live database: audio_guides/demo not loaded?")
    return Guide(
        slug=slug,
        codes=[s.code for s in tour.stops],
        numbers=[s.keypad_number for s in tour.stops],
        titles={locale: [services.stop_text(s, locale).value.title for s in tour.stops] for locale in ("en", "ko")},
        tour_title=services.tour_text(tour, "en").value.title,
        village=village_text(tour.village, "en").value.name,
        images=[s.images[0].path if s.images else None for s in tour.stops],
        durations={(s.code, locale): services.track_for(s, locale).value.duration_seconds
                   for s in tour.stops for locale in ("vi", "en", "ko")},
        languages=set(services.track_languages(tour)),
    )


@pytest.fixture(scope="module")
def tea(live_db):
    guide = committed(live_db, lambda db: read_guide(db, TEA))
    assert {"vi", "en", "ko"} <= guide.languages and len(guide.codes) >= 5
    return guide


@pytest.fixture(scope="module")
def pottery(live_db):
    guide = committed(live_db, lambda db: read_guide(db, POTTERY))
    assert "ko" not in guide.languages
    return guide


def stop_url(live_server, code, locale="en"):
    return f"{live_server}/g/{code}?lang={locale}"


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_stop_and_tour_pages_have_no_axe_violations(live_server, tea, pottery, axe_page, locale):
    for path in (f"/g/{tea.codes[1]}", f"/g/{pottery.codes[2]}", f"/tours/{TEA}", f"/tours/{TEA}/keypad",
                 f"/tours/{TEA}/keypad?number=999", "/tours", "/g/NOPE"):
        axe_page.goto(f"{live_server}{path}{'&' if '?' in path else '?'}lang={locale}")
        assert axe_page.locator("html").get_attribute("lang") == locale
        assert violations(axe_page) == [], path


def test_korean_visitor_hears_english_where_there_is_no_korean_recording(live_server, tea, pottery, phone_page):
    phone_page.goto(stop_url(live_server, pottery.codes[1], "ko"))
    expect(phone_page.locator("#track-fallback")).to_contain_text("한국어")
    phone_page.goto(stop_url(live_server, tea.codes[1], "ko"))
    expect(phone_page.locator("#track-fallback")).to_have_count(0)
    expect(phone_page.locator("h1")).to_have_text(tea.titles["ko"][1])


def test_stop_controls_are_big_enough_and_reachable_by_keyboard(live_server, pottery, phone_page):
    messages = []
    phone_page.on("console", lambda m: messages.append(m.text))
    phone_page.goto(stop_url(live_server, pottery.codes[2]))
    expect(phone_page.locator(".player__skip")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert [m for m in messages if "Content Security Policy" in m] == []
    controls = ["#stop-audio", ".player__skip button", ".stop-nav a", ".stop-list a", ".stop__more a",
                ".page-header a", ".language-switcher a"]
    for selector in controls:
        for target in phone_page.locator(selector).all():
            box = target.bounding_box()
            assert box["width"] >= 24 and box["height"] >= 24, f"{selector} is {box['width']}×{box['height']}"
    # Tab from the top reaches the player, the skip buttons and the ways to the other stops.
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
    phone_page.keyboard.press("Shift+Tab")
    phone_page.keyboard.press("Enter")  # back 10 seconds
    assert phone_page.evaluate("document.getElementById('stop-audio').currentTime") == pytest.approx(0, abs=0.5)


@pytest.mark.parametrize("path", [f"/tours/{TEA}", f"/tours/{TEA}/keypad", "/tours", "/g/NOPE"])
def test_tour_pages_fit_a_phone_with_big_enough_controls(live_server, tea, phone_page, path):
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


def test_lock_screen_shows_the_stop_and_its_tour_and_playing_is_counted(live_server, tea, phone_page):
    phone_page.goto(stop_url(live_server, tea.codes[1]))
    phone_page.wait_for_function("navigator.mediaSession.metadata !== null")
    metadata = phone_page.evaluate("""(() => { const m = navigator.mediaSession.metadata;
        return {title: m.title, album: m.album, artist: m.artist, artwork: m.artwork.map((a) => a.src)}; })()""")
    assert metadata["title"] == tea.titles["en"][1]
    assert metadata["album"] == tea.tour_title
    assert metadata["artist"] == tea.village
    assert metadata["artwork"] and f"/static/{tea.images[1]}" in metadata["artwork"][0]
    # Pressing play tells the server once, with the language heard (the play count).
    with phone_page.expect_request(lambda r: "/played" in r.url) as beacon:
        phone_page.click("h1")  # a gesture: the page may now start playing
        phone_page.evaluate("document.getElementById('stop-audio').play()")
    assert beacon.value.method == "POST" and beacon.value.url.endswith(f"/g/{tea.codes[1]}/played?lang=en")
    assert beacon.value.response().status == 204


def test_keypad_opens_a_stop_and_refuses_unknown_numbers_on_the_phone(live_server, tea, phone_page):
    phone_page.goto(f"{live_server}/tours/{TEA}/keypad?lang=en")
    phone_page.fill("#number", "999")
    phone_page.click("form.keypad__form button")
    expect(phone_page.locator("#number-error")).to_have_text(
        "No stop on this tour has the number 999. Check the number on the sign.")
    assert phone_page.url.endswith("/keypad?lang=en")  # answered on the phone, not by the server
    phone_page.fill("#number", str(tea.numbers[2]))
    phone_page.keyboard.press("Enter")
    phone_page.wait_for_url(f"{live_server}/g/{tea.codes[2]}")


@pytest.fixture
def player_browser(browser):
    """A second browser that lets a page start playing without a tap (headless has no one to tap)."""
    player = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"])
    yield player
    player.close()


def play_from_the_middle(page, seconds: float):
    """Seek the stop's recording (`seconds` long) to its middle, play, and see it play on from there."""
    page.wait_for_function("document.getElementById('stop-audio').readyState >= 1")
    middle = page.evaluate("document.getElementById('stop-audio').duration / 2")
    assert middle == pytest.approx(seconds / 2, abs=1)
    page.evaluate("(t) => { const a = document.getElementById('stop-audio'); a.currentTime = t; a.play(); }", middle)
    page.wait_for_function(
        "(t) => document.getElementById('stop-audio').currentTime > t + 1", arg=middle, timeout=15_000)
    assert page.evaluate("document.getElementById('stop-audio').error") is None


def test_saved_tour_plays_from_the_middle_in_airplane_mode(live_server, tea, player_browser):
    phone = player_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(f"{live_server}/tours/{TEA}?lang=en")
    # The size comes first, before anything is saved.
    size = re.compile(r"^Saving needs [0-9.,]+ (kB|MB) on this phone \([0-9]+ files\)\.$")
    expect(page.locator("#offline-size")).to_have_text(size)
    assert page.locator("#offline-lang").input_value() == "en"
    english = page.locator("#offline-size").inner_text()
    page.select_option("#offline-lang", "ko")
    expect(page.locator("#offline-size")).not_to_have_text(english)  # the Korean recordings' own size
    expect(page.locator("#offline-size")).to_have_text(size)
    page.click("#offline-save")
    page.wait_for_selector("html[data-tour-saved='ko']", state="attached", timeout=30_000)
    assert page.locator("#offline-progress").evaluate("p => p.value") == 100
    expect(page.locator("#offline-status")).to_contain_text("Saved for offline use")
    expect(page.locator("#offline-remove")).to_be_visible()

    # Online, a recording that was not saved (Vietnamese) streams through the worker as before.
    page.goto(stop_url(live_server, tea.codes[4], "vi"))
    play_from_the_middle(page, tea.durations[(tea.codes[4], "vi")])

    phone.set_offline(True)
    ranges = []
    page.on("response", lambda r: "/media/" in r.url and ranges.append(
        (r.status, r.from_service_worker, r.headers.get("content-range"))))
    code = tea.codes[1]
    response = page.goto(f"{live_server}/g/{code}")  # a stop never opened before, no ?lang=
    assert response.from_service_worker
    # The phone remembers Vietnamese (?lang=vi above), but the server is out of reach: the saved Korean page.
    assert page.locator("html").get_attribute("lang") == "ko"
    expect(page.locator("h1")).to_have_text(tea.titles["ko"][1])
    expect(page.locator("#track-fallback")).to_have_count(0)
    play_from_the_middle(page, tea.durations[(code, "ko")])
    assert any(status == 206 and from_worker and content_range for status, from_worker, content_range in ranges), ranges
    # The keypad and the tour page open offline too, and the keypad still answers.
    page.goto(f"{live_server}/tours/{TEA}/keypad")
    page.fill("#number", str(tea.numbers[0]))
    page.click("form.keypad__form button")
    page.wait_for_url(f"{live_server}/g/{tea.codes[0]}")
    expect(page.locator("h1")).to_have_text(tea.titles["ko"][0])
    page.goto(f"{live_server}/tours/{TEA}")
    # The tour page saved with the Korean tour says so in Korean.
    page.wait_for_selector("html[data-tour-saved='ko']", state="attached")
    assert page.locator("html").get_attribute("lang") == "ko"
    expect(page.locator("#offline-status")).to_contain_text("한국어")
    # A lower-case code typed offline is the same stop.
    assert page.goto(f"{live_server}/g/{tea.codes[2].lower()}").from_service_worker
    expect(page.locator("h1")).to_have_text(tea.titles["ko"][2])
    assert [e for e in errors if "Failed to load resource" not in e] == []

    # Back online, removing the tour takes it off the phone.
    phone.set_offline(False)
    page.goto(f"{live_server}/tours/{TEA}?lang=en")
    page.click("#offline-remove")
    expect(page.locator("#offline-status")).to_have_text("The tour is no longer saved on this phone.")
    assert page.evaluate("caches.keys()") == []
    phone.close()
