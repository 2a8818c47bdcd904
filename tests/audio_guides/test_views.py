"""The visitor's pages through WebTest: a stop in several languages with its fallbacks, codes
typed in lower case or not at all, other add-ons' panels on a stop, the keypad, the tour
page, the offline list, and the experience page's link to its audio guide."""
import pytest
from bs4 import BeautifulSoup
from markupsafe import Markup
from webtest import TestApp

from audio_guides.models import Stop, StopImage, StopText, Tour, TourExperience, TourText, Track
from tests.factories import make_experience, make_village
from tourism import configure
from tourism.catalog.models import PublicationStatus
from tourism.media import media_store

FRAME = bytes([0xFF, 0xFB, 0x18, 0xC4]) + bytes(140)  # MPEG-1 Layer III, 32 kbit/s, 32 kHz, mono
FRAME_SECONDS = 1152 / 32000


def silent_mp3(seconds: float, title: str = "") -> bytes:
    """A real MP3 of `seconds` of silence (frames whose side information is all zero): browsers play it.

    `title` goes in an ID3v1 tag at the end, so that two tracks are two files."""
    tag = b"TAG" + title.encode()[:30].ljust(30, b"\0") + bytes(94) + b"\xff"
    return FRAME * (int(seconds / FRAME_SECONDS) + 1) + (tag if title else b"")


def make_track(store, stop, locale, seconds=12.0, transcript=None, vtt=None) -> Track:
    data = silent_mp3(seconds, title=f"{stop.code} {locale}")
    track = Track(locale=locale, audio_key=store.put(data, "mp3"), content_type="audio/mpeg",
                  size_bytes=len(data), duration_seconds=round(len(data) // len(FRAME) * FRAME_SECONDS, 3),
                  transcript_html=transcript or f"<p>Transcript {stop.code} {locale}.</p>",
                  vtt_key=store.put(vtt.encode(), "vtt") if vtt else None)
    stop.tracks.append(track)
    return track


def make_tour(dbsession, store, village, slug="tour-thu", *, stops, prefix="ZQ", texts=None, experience=None,
              status=PublicationStatus.PUBLISHED, seconds=12.0) -> Tour:
    """A tour whose stops are given as [(texts {locale: title}, track locales), …]; codes are prefix + A, B, …"""
    tour = Tour(slug=slug, village=village, status=status)
    for locale, title in (texts or {"vi": "Dạo làng thử", "en": "Test village walk"}).items():
        tour.texts.append(TourText(locale=locale, title=title, summary=f"{title}: summary"))
    for i, (titles, locales) in enumerate(stops):
        stop = Stop(position=i, code=f"{prefix}{'ABCDEFGHJK'[i]}", keypad_number=i + 1)
        for locale, title in titles.items():
            stop.texts.append(StopText(locale=locale, title=title, summary=f"{title}: summary"))
        stop.images.append(StopImage(path="demo/bat-trang-kiln.svg", width=1200, height=800, position=0,
                                     alt={"vi": f"Ảnh {titles.get('vi', '')}", "en": f"Picture {i}"}))
        tour.stops.append(stop)
        for locale in locales:
            make_track(store, stop, locale, seconds=seconds)
    dbsession.add(tour)
    dbsession.flush()
    if experience is not None:
        dbsession.add(TourExperience(tour_id=tour.id, experience_id=experience.id))
        dbsession.flush()
    dbsession.refresh(tour)
    return tour


@pytest.fixture
def store(app):
    return media_store(app.registry)


@pytest.fixture
def tour(dbsession, store):
    village = make_village(dbsession, slug="lang-nghe-thu", texts={"vi": "Làng Nghề Thử", "en": "Craft Test Village"})
    experience = make_experience(dbsession, village, "dao-lang-thu", texts={"vi": "Dạo làng", "en": "Village walk"})
    return make_tour(dbsession, store, village, experience=experience, stops=[
        ({"vi": "Cổng làng", "en": "Village gate", "ko": "마을 입구"}, ("vi", "en", "ko")),
        ({"vi": "Lò bầu", "en": "Dragon kiln"}, ("vi", "en")),
        ({"vi": "Đình làng"}, ("vi",)),
    ])


def soup(response):
    return BeautifulSoup(response.text, "html.parser")


def text(element) -> str:
    return " ".join(element.get_text().split())


# --- the stop -------------------------------------------------------------------------------

def test_stop_in_english_plays_the_english_track_with_its_transcript(testapp, tour):
    response = testapp.get("/g/ZQB", {"lang": "en"})
    page = soup(response)
    assert page.html["lang"] == "en"
    assert text(page.h1) == "Dragon kiln"
    track = next(t for t in tour.stops[1].tracks if t.locale == "en")
    audio = page.find("audio", id="stop-audio")
    assert audio.has_attr("controls") and audio["preload"] == "metadata"
    assert audio.source["src"].endswith(f"/media/{track.audio_key}") and audio.source["type"] == "audio/mpeg"
    assert text(page.select_one(".transcript .prose")) == "Transcript ZQB en."
    assert page.select_one(".transcript .prose")["lang"] == "en"
    assert page.find(id="track-fallback") is None
    assert "not yet translated" not in response.text
    assert "Stop 2 of 3" in text(page.select_one(".page-header__meta"))
    # Next and previous stops, and the whole tour.
    assert page.find("a", rel="prev")["href"].endswith("/g/ZQA")
    assert page.find("a", rel="next")["href"].endswith("/g/ZQC")
    assert [a["href"].rsplit("/", 1)[1] for a in page.select(".stop-list a")] == ["ZQA", "ZQB", "ZQC"]
    assert page.select_one(".stop-list a[aria-current=page]")["href"].endswith("/g/ZQB")
    image = page.select_one(".stop__image img")
    assert (image["width"], image["height"], image["alt"]) == ("1200", "800", "Picture 1")


def test_stop_in_vietnamese(testapp, tour):
    page = soup(testapp.get("/g/ZQA", {"lang": "vi"}))
    assert page.html["lang"] == "vi"
    assert text(page.h1) == "Cổng làng"
    assert text(page.select_one(".transcript .prose")) == "Transcript ZQA vi."
    assert page.find(id="track-fallback") is None
    assert page.find("a", rel="prev") is None


def test_stop_in_korean_says_the_recording_is_the_english_one(testapp, tour):
    page = soup(testapp.get("/g/ZQB", headers={"Accept-Language": "ko-KR,ko;q=0.9"}))
    assert page.html["lang"] == "ko"
    notice = page.find(id="track-fallback")
    # Babel names both languages in Korean; the sentence is the catalog's (English until translated).
    assert "한국어" in text(notice) and "영어" in text(notice)
    assert page.find("audio")["aria-describedby"] == "track-fallback"
    assert page.select_one(".transcript .prose")["lang"] == "en"
    assert page.h1["lang"] == "en"  # no Korean text either: English, and the page says so
    assert page.select_one("p.notice[role=note]") is not None


def test_korean_stop_with_a_korean_track_has_no_notice(testapp, tour):
    page = soup(testapp.get("/g/ZQA", {"lang": "ko"}))
    assert page.find(id="track-fallback") is None
    assert text(page.h1) == "마을 입구"
    assert text(page.select_one(".transcript .prose")) == "Transcript ZQA ko."


def test_english_fallback_notice_names_the_language_played(testapp, tour):
    page = soup(testapp.get("/g/ZQC", {"lang": "en"}))
    assert text(page.find(id="track-fallback")) == "No English recording yet: playing the Vietnamese one."
    assert "not yet translated into your language; it is shown in Vietnamese" in text(page)
    assert page.find("a", rel="next") is None


def test_language_switch_is_remembered(testapp, tour):
    testapp.get("/g/ZQA", {"lang": "ko"})
    page = soup(testapp.get("/g/ZQA", headers={"Accept-Language": "en"}))
    assert page.html["lang"] == "ko"
    switcher = {a["hreflang"]: a["href"] for a in page.select(".language-switcher a")}
    assert switcher["vi"].endswith("/g/ZQA?lang=vi")


def test_every_track_has_a_transcript(testapp, tour):
    for stop in tour.stops:
        for locale in ("vi", "en", "ko", "fr"):
            page = soup(testapp.get(f"/g/{stop.code}", {"lang": locale}))
            assert page.find("audio") is not None
            assert text(page.select_one(".transcript .prose")).startswith("Transcript")


def test_transcript_html_is_the_stored_sanitised_markup(testapp, dbsession, tour):
    track = tour.stops[0].tracks[0]
    track.transcript_html = "<p>Gốm <em>men lam</em></p><p>Lò &amp; lửa</p>"
    dbsession.flush()
    page = soup(testapp.get("/g/ZQA", {"lang": track.locale}))
    prose = page.select_one(".transcript .prose")
    assert [p.decode_contents() for p in prose.find_all("p")] == ["Gốm <em>men lam</em>", "Lò &amp; lửa"]


def test_captions_track_when_there_is_one(testapp, dbsession, store, tour):
    track = next(t for t in tour.stops[0].tracks if t.locale == "en")
    track.vtt_key = store.put(b"WEBVTT\n\n00:00.000 --> 00:02.000\nHello\n", "vtt")
    dbsession.flush()
    page = soup(testapp.get("/g/ZQA", {"lang": "en"}))
    captions = page.select_one("audio track")
    assert captions["kind"] == "captions" and captions["srclang"] == "en"
    assert captions["src"].endswith(f"/media/{track.vtt_key}")


def test_stop_page_hands_the_lock_screen_its_details(testapp, tour):
    import json

    page = soup(testapp.get("/g/ZQB", {"lang": "en"}))
    data = json.loads(page.find("script", id="stop-data").string)
    assert data["title"] == "Dragon kiln"
    assert data["tour"] == "Test village walk"
    assert data["village"] == "Craft Test Village"
    assert data["artwork"][0]["src"].split("?")[0].endswith("/static/demo/bat-trang-kiln.svg")
    assert data["previous"].endswith("/g/ZQA") and data["next"].endswith("/g/ZQC")
    assert data["played"] == "http://example.com/g/ZQB/played?lang=en"  # counted in the language heard
    korean = json.loads(soup(testapp.get("/g/ZQB", {"lang": "ko"})).find("script", id="stop-data").string)
    assert korean["played"].endswith("/g/ZQB/played?lang=en")
    scripts = [s["src"] for s in page.find_all("script", src=True)]
    assert any("/audio-static/js/stop.js" in src for src in scripts)
    assert not [s for s in page.find_all("script") if not s.get("src") and s.get("type") != "application/json"
                and s.get("type") != "application/ld+json"]


def test_lowercase_code_redirects_permanently(testapp, tour):
    response = testapp.get("/g/zqb", {"lang": "ko"}, status=301)
    assert response.location == "http://example.com/g/ZQB?lang=ko"
    response = testapp.get("/g/Zqb", status=301)
    assert response.location == "http://example.com/g/ZQB"


@pytest.mark.parametrize("path", ["/g/NOPE", "/g/nope", "/g/0O1I", "/g/" + "A" * 13, "/g/" + "x" * 500,
                                  "/g/%E2%80%AE", "/g/ZQA%00", "/g/%20ZQA"])
def test_unknown_code_is_a_404_in_the_visitors_language_with_a_way_on(testapp, tour, path):
    response = testapp.get(path, headers={"Accept-Language": "en"}, status=404)
    page = soup(response)
    assert text(page.h1) == "Page not found"
    assert response.headers["Cache-Control"] == "no-store"
    assert "http://example.com/tours/tour-thu/keypad" in [a["href"] for a in page.select(".tour-list a")]
    assert len(response.text) < 30_000  # a 500-character code is cut, not repeated at length


def test_unknown_code_page_in_korean(testapp, tour):
    page = soup(testapp.get("/g/NOPE", headers={"Accept-Language": "ko"}, status=404))
    assert page.html["lang"] == "ko"
    assert text(page.h1) != "Page not found"


def test_undecodable_code_is_a_clear_400(testapp, tour):
    response = testapp.get("/g/%ff", headers={"Accept-Language": "en"}, status=400)
    assert "We could not understand this request" in response.text


@pytest.mark.parametrize("path", ["/g/", "/g/..%2F..", "/g/ZQA/extra", "/g/ZQA/played/x"])
def test_other_addresses_under_g_are_the_sites_404(testapp, tour, path):
    response = testapp.get(path, headers={"Accept-Language": "en"}, status=404)
    assert text(soup(response).h1) == "Page not found"


def test_draft_tour_stops_are_not_found(testapp, dbsession, tour):
    tour.status = PublicationStatus.DRAFT
    dbsession.flush()
    testapp.get("/g/ZQA", status=404)
    testapp.get("/g/zqa", status=404)
    testapp.get("/tours/tour-thu", status=404)
    testapp.get("/tours/tour-thu/keypad", status=404)
    testapp.get("/tours/tour-thu/offline.json", status=404)


def test_stop_without_a_recording_says_so(testapp, dbsession, store, tour):
    stop = tour.stops[2]
    stop.tracks.clear()
    dbsession.flush()
    page = soup(testapp.get("/g/ZQC", {"lang": "en"}))
    assert page.find("audio") is None
    assert "This stop has no recording yet." in text(page)


# --- other add-ons' panels on a stop --------------------------------------------------------

STOPS_GIVEN = []  # what the test panel was called with


def stop_panel(request, stop):
    STOPS_GIVEN.append(stop)
    return Markup('<section class="test-stop-panel"><h2>In 3D</h2> <p>{}</p></section>').format(stop.code)


@pytest.fixture(scope="module")
def app_with_stop_panel(app_settings):
    config = configure(app_settings)
    config.add_panel("audio_stop", lambda request, stop: None)  # nothing to show: no trace on the page
    config.add_panel("audio_stop", stop_panel)
    return config.make_wsgi_app()


@pytest.fixture
def panel_testapp(app_with_stop_panel, testapp):
    """`testapp` (its transaction, its database session) in front of the app with the panel."""
    STOPS_GIVEN.clear()
    return TestApp(app_with_stop_panel, extra_environ=testapp.extra_environ)


def test_an_audio_stop_panel_shows_on_the_stop_page_after_the_transcript(panel_testapp, tour):
    page = soup(panel_testapp.get("/g/ZQB", {"lang": "en"}))
    assert [stop.id for stop in STOPS_GIVEN] == [tour.stops[1].id]  # the page's stop, and only it
    panels = page.select(".test-stop-panel")
    assert [text(p) for p in panels] == ["In 3D ZQB"]
    # Inside the stop's article, after the player and the transcript, before the list of stops.
    panel = panels[0]
    assert panel.find_parent("article", class_="stop") is not None
    assert panel.find_previous_sibling("section", class_="transcript") is not None
    assert panel.find_previous_sibling("section", class_="player") is not None
    assert panel.find_next_sibling("section").h2["id"] == "stops-title"
    # The player is as it was.
    assert page.find("audio", id="stop-audio").has_attr("controls")
    assert page.select_one(".player__skip") is not None and page.find(id="stop-data") is not None


def test_a_stop_without_a_transcript_still_shows_its_panels(panel_testapp, dbsession, tour):
    tour.stops[2].tracks.clear()
    dbsession.flush()
    page = soup(panel_testapp.get("/g/ZQC", {"lang": "en"}))
    assert [text(p) for p in page.select(".test-stop-panel")] == ["In 3D ZQC"]


def test_without_panels_the_stop_page_has_none(testapp, tour):
    assert soup(testapp.get("/g/ZQB", {"lang": "en"})).select(".test-stop-panel") == []


# --- the tour and its keypad ----------------------------------------------------------------

def test_tour_page_lists_the_stops_and_offers_offline_saving(testapp, tour):
    import json

    page = soup(testapp.get("/tours/tour-thu", {"lang": "en"}))
    assert text(page.h1) == "Test village walk"
    assert [text(a) for a in page.select(".stop-list a")] == ["1 Village gate", "2 Dragon kiln", "3 Đình làng"]
    assert page.find("a", href="http://example.com/tours/tour-thu/keypad") is not None
    offline = page.find(id="offline")
    assert text(offline.h2) == "Save this tour for offline use"
    assert [o["value"] for o in offline.select("#offline-lang option")] == ["en", "ko", "vi"]
    assert offline.select_one("#offline-lang option[selected]")["value"] == "en"
    assert offline.find("progress") is not None
    config = json.loads(page.find("script", id="offline-config").string)
    assert config["manifest"] == "/tours/tour-thu/offline.json"
    assert config["worker"] == "/g/sw.js" and config["scopes"] == ["/g/", "/tours/"]
    assert "${size}" in config["messages"]["size"]
    assert "Recorded in Vietnamese" in text(page.select_one(".page-header__meta"))
    assert page.find("a", href="http://example.com/experiences/dao-lang-thu") is not None


def test_tour_page_picks_the_recordings_language_the_visitor_will_hear(testapp, tour):
    page = soup(testapp.get("/tours/tour-thu", {"lang": "fr"}))
    assert page.select_one("#offline-lang option[selected]")["value"] == "en"


def test_unknown_tour_is_a_404(testapp, tour):
    testapp.get("/tours/no-such-tour", status=404)
    testapp.get("/tours/" + "x" * 300, status=404)
    testapp.get("/tours/no-such-tour/keypad", status=404)
    response = testapp.get("/tours/no-such-tour/offline.json", status=404)
    assert response.json["ok"] is False


def test_tours_index_links_every_keypad(testapp, tour):
    page = soup(testapp.get("/tours", {"lang": "en"}))
    assert "http://example.com/tours/tour-thu/keypad" in [a["href"] for a in page.select(".tour-list a")]


def test_keypad_page_is_a_form_that_works_without_javascript(testapp, tour):
    page = soup(testapp.get("/tours/tour-thu/keypad", {"lang": "en"}))
    form = page.find("form", class_="keypad__form")
    assert form["method"] == "get" and form["action"] == "http://example.com/tours/tour-thu/keypad"
    field = form.find("input", id="number")
    assert field["inputmode"] == "numeric" and field["name"] == "number"
    assert page.find("label", attrs={"for": "number"}) is not None


@pytest.mark.parametrize("number", ["2", " 2 ", "02"])
def test_keypad_number_opens_its_stop(testapp, tour, number):
    response = testapp.get("/tours/tour-thu/keypad", {"number": number}, status=303)
    assert response.location == "http://example.com/g/ZQB"


def test_keypad_unknown_number_says_so(testapp, tour):
    response = testapp.get("/tours/tour-thu/keypad", {"number": "9", "lang": "en"}, status=404)
    page = soup(response)
    assert text(page.find(id="number-error")) == "No stop on this tour has the number 9. Check the number on the sign."
    assert page.find("input", id="number")["aria-invalid"] == "true"
    assert page.find("input", id="number")["value"] == "9"


@pytest.mark.parametrize("entry", ["abc", "-1", "1.5", "", "9" * 40, "١", "<script>", "3 4"])
def test_keypad_garbage_asks_for_digits(testapp, tour, entry):
    response = testapp.get("/tours/tour-thu/keypad", {"number": entry, "lang": "en"}, status=400)
    page = soup(response)
    assert "Type the number printed on the stop, in digits" in text(page.find(id="number-error"))
    assert "<script>" not in response.text.split('id="number-error"')[1].split("</p>")[0]


def test_keypad_page_knows_every_number_for_offline_use(testapp, tour):
    import json

    page = soup(testapp.get("/tours/tour-thu/keypad", {"lang": "en"}))
    config = json.loads(page.find("script", id="keypad-config").string)
    assert config["stops"] == {"1": "/g/ZQA", "2": "/g/ZQB", "3": "/g/ZQC"}
    assert config["messages"]["unknown"].startswith("No stop on this tour has the number ${number}.")


# --- offline --------------------------------------------------------------------------------

def test_offline_list_has_every_page_and_the_chosen_languages_audio(testapp, tour):
    response = testapp.get("/tours/tour-thu/offline.json", {"lang": "ko"})
    manifest = response.json
    assert response.headers["Cache-Control"] == "no-cache"
    assert manifest["lang"] == "ko" and manifest["cache"] == "langviet-tour-tour-thu"
    pages = {f["key"]: f["url"] for f in manifest["files"] if f["kind"] == "page"}
    assert pages == {
        "/tours/tour-thu": "/tours/tour-thu?lang=ko",
        "/tours/tour-thu/keypad": "/tours/tour-thu/keypad?lang=ko",
        "/g/ZQA": "/g/ZQA?lang=ko", "/g/ZQB": "/g/ZQB?lang=ko", "/g/ZQC": "/g/ZQC?lang=ko",
    }
    # Korean where there is a Korean recording, else what the page plays: English, then Vietnamese.
    expected = [next(t for t in tour.stops[0].tracks if t.locale == "ko"),
                next(t for t in tour.stops[1].tracks if t.locale == "en"),
                next(t for t in tour.stops[2].tracks if t.locale == "vi")]
    audio = [f for f in manifest["files"] if f["kind"] == "audio"]
    assert [(f["url"], f["bytes"]) for f in audio] == [(f"/media/{t.audio_key}", t.size_bytes) for t in expected]
    others = {t.audio_key for stop in tour.stops for t in stop.tracks} - {t.audio_key for t in expected}
    assert not [f for f in manifest["files"] if f["url"].split("/")[-1] in others]
    assert all(f["bytes"] > 0 for f in manifest["files"])
    assert manifest["total_bytes"] == sum(f["bytes"] for f in manifest["files"])
    urls = [f["url"] for f in manifest["files"]]
    assert len(urls) == len(set(urls))
    statics = [u.split("?")[0] for u in urls if f"{u}".startswith(("/static/", "/audio-static/"))]
    assert set(statics) >= {"/static/css/site.css", "/audio-static/css/audio.css", "/audio-static/js/stop.js",
                            "/static/demo/bat-trang-kiln.svg"}


def test_offline_list_sizes_are_what_is_served(testapp, tour):
    manifest = testapp.get("/tours/tour-thu/offline.json", {"lang": "en"}).json
    for f in manifest["files"]:
        served = testapp.get(f["url"], headers={"Accept-Language": "vi"})
        assert len(served.body) == f["bytes"], f["url"]
        if f["kind"] == "page":
            assert soup(served).html["lang"] == "en"


def test_offline_list_follows_the_visitors_language_without_lang(testapp, tour):
    manifest = testapp.get("/tours/tour-thu/offline.json", headers={"Accept-Language": "vi"}).json
    assert manifest["lang"] == "vi"
    assert {f["url"] for f in manifest["files"] if f["kind"] == "page"} >= {"/g/ZQA?lang=vi"}


def test_service_worker_is_served_for_both_scopes_and_never_kept_stale(testapp):
    response = testapp.get("/g/sw.js")
    assert response.content_type == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "Content-Range" in response.text and "206" in response.text


# --- the experience page --------------------------------------------------------------------

def test_experience_page_links_its_audio_guide(testapp, tour):
    page = soup(testapp.get("/experiences/dao-lang-thu", {"lang": "en"}))
    panel = page.select_one(".audio-guide-link")
    assert text(panel.h2) == "Audio guide in 1 language"  # only Vietnamese is recorded at every stop
    assert "Test village walk" in text(panel)
    link = panel.find("a")
    assert (link["href"], text(link)) == ("http://example.com/tours/tour-thu", "Open the audio guide")


def test_experience_page_counts_languages_recorded_at_every_stop(testapp, dbsession, store, tour):
    for stop in tour.stops:
        for locale in {"vi", "en", "ko"} - {t.locale for t in stop.tracks}:
            make_track(store, stop, locale)
    dbsession.flush()
    page = soup(testapp.get("/experiences/dao-lang-thu", {"lang": "en"}))
    assert text(page.select_one(".audio-guide-link h2")) == "Audio guide in 3 languages"
    assert text(page.select_one(".audio-guide-link .muted")) == "(English, Korean, and Vietnamese)"


def test_experience_without_a_published_tour_has_no_panel(testapp, dbsession, tour):
    tour.status = PublicationStatus.DRAFT
    dbsession.flush()
    page = soup(testapp.get("/experiences/dao-lang-thu", {"lang": "en"}))
    assert page.select_one(".audio-guide-link") is None
