"""The operator's audio-guide pages: each operator sees and changes only their own tours;
stops are reordered safely; a recording is uploaded, replaced (its key changes) or refused
with a clear answer and nothing stored; transcripts are saved cleaned; play counts show."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select
from webtest import Upload

from audio_guides import console_views
from audio_guides.models import Track
from audio_guides.plays import record_play
from tests.audio_guides import factories as audio
from tests.conftest import stored_files
from tests.factories import make_operator, make_staff, make_village, sign_in
from tests.pages import form_to

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)  # 10:00 in Vietnam
TODAY = date(2026, 12, 1)


@pytest.fixture
def store(fresh_media_store):
    return fresh_media_store


@pytest.fixture
def tours(dbsession):
    """(ours, theirs): a tour of three stops for each of two operators, each with one staff member."""
    village = make_village(dbsession, slug="lang-audio", texts={"vi": "Làng Gốm", "en": "Pottery Village"})
    other = make_village(dbsession, slug="lang-audio-khac", texts={"vi": "Làng Lụa", "en": "Silk Village"})
    ours_op = make_operator(dbsession, "htx-audio", villages=[village])
    theirs_op = make_operator(dbsession, "htx-audio-khac", villages=[other])
    make_staff(dbsession, ours_op, email="ours@example.com")
    make_staff(dbsession, theirs_op, email="theirs@example.com")
    ours = audio.make_tour(dbsession, village, "gom-audio", prefix="GA",
                           titles=[("Lò bầu", "Dragon kiln"), ("Bàn xoay", "Potter's wheel"), ("Chợ gốm", "Market")])
    theirs = audio.make_tour(dbsession, other, "lua-audio", prefix="LA")
    return ours, theirs


def page(app, url):
    return app.get(url, {"lang": "en"})


def test_strangers_are_asked_to_sign_in_and_cannot_post(app_at, tours):
    ours, _ = tours
    stop = ours.stops[0]
    for url in ("/console/audio", f"/console/audio/tours/{ours.id}", f"/console/audio/tours/{ours.id}/posters.pdf",
                f"/console/audio/stops/{stop.id}"):
        assert "/console/sign-in" in app_at.get(url).location, url
    token = app_at.get("/console/sign-in").forms[0]["csrf_token"].value
    app_at.post(f"/console/audio/stops/{stop.id}/move", {"csrf_token": token, "place": "2"}, status=403)
    app_at.post(f"/console/audio/stops/{stop.id}/tracks/vi", {"csrf_token": token}, status=403)


def test_another_operators_staff_get_403_on_every_tour_stop_and_track_url(app_at, dbsession, tours, store):
    ours, theirs = tours
    stop = ours.stops[0]
    track = audio.add_track(dbsession, stop, "vi")
    sign_in(app_at, "theirs@example.com")
    listing = page(app_at, "/console/audio")
    assert "Tour of lua-audio" in listing.text and "gom-audio" not in listing.text
    token = page(app_at, f"/console/audio/tours/{theirs.id}").forms[0]["csrf_token"].value
    for url in (f"/console/audio/tours/{ours.id}", f"/console/audio/tours/{ours.id}/posters.pdf",
                f"/console/audio/stops/{stop.id}"):
        app_at.get(url, status=403)
    posts = {f"/console/audio/stops/{stop.id}/move": {"place": "3"},
             f"/console/audio/stops/{stop.id}/tracks/vi": {"transcript": "Hacked"},
             f"/console/audio/tracks/{track.id}/transcript": {"transcript": "Hacked"}}
    for url, fields in posts.items():
        app_at.post(url, dict(fields, csrf_token=token), status=403)
    app_at.post(f"/console/audio/stops/{stop.id}/tracks/vi", {"csrf_token": token},
                upload_files=[("audio", "x.mp3", audio.mp3())], status=403)
    # Ids that do not exist, or are not ids, are simply not found.
    for url in ("/console/audio/tours/999999999", "/console/audio/tours/abc", "/console/audio/stops/1e3",
                "/console/audio/stops/99999999999999"):
        app_at.get(url, status=404)
    app_at.post("/console/audio/tracks/999999999/transcript", {"csrf_token": token, "transcript": "x"}, status=404)
    dbsession.refresh(track)
    assert [s.position for s in ours.stops] == [1, 2, 3] and track.transcript_html == "<p>Xin chào</p>"
    assert stored_files(store) == []


def test_an_admin_sees_every_tour(app_at, dbsession, tours):
    make_staff(dbsession, None, email="admin@example.com")
    sign_in(app_at, "admin@example.com")
    listing = page(app_at, "/console/audio")
    assert "Tour of gom-audio" in listing.text and "Tour of lua-audio" in listing.text


def test_the_console_home_links_to_the_audio_guides(app_at, tours):
    home = sign_in(app_at, "ours@example.com")
    assert "/console/audio" in [a.get("href") for a in home.html.select(".console-links a")]


def test_the_tour_page_lists_stops_tracks_and_links(app_at, dbsession, tours):
    ours, _ = tours
    audio.add_track(dbsession, ours.stops[0], "vi", size=3 * 1048576, duration=125)
    sign_in(app_at, "ours@example.com")
    tour = page(app_at, f"/console/audio/tours/{ours.id}")
    assert [h.text for h in tour.html.select(".audio-stops h3")] == [
        "Stop 1: Dragon kiln", "Stop 2: Potter's wheel", "Stop 3: Market"]
    assert "Vietnamese: 2:05 · 3 MB" in tour.text
    hrefs = [a.get("href") for a in tour.html.select("a")]
    assert f"/console/audio/tours/{ours.id}/posters.pdf" in hrefs
    assert "http://example.com/g/GA2" in hrefs and f"/console/audio/stops/{ours.stops[0].id}" in hrefs
    assert tour.headers["Cache-Control"] == "no-store"


def test_stops_move_up_and_down_and_a_repeated_press_changes_nothing(app_at, dbsession, tours):
    ours, _ = tours
    first, second, third = ours.stops
    sign_in(app_at, "ours@example.com")
    tour = page(app_at, f"/console/audio/tours/{ours.id}")
    up = [f for f in tour.forms.values() if f.action.endswith(f"/stops/{third.id}/move")][0]  # only "up": it is last
    assert up["place"].value == "2"
    moved = up.submit().follow(params={"lang": "en"})
    assert "Moved “Market” to place 2." in moved.text
    assert [h.text for h in moved.html.select(".audio-stops h3")] == [
        "Stop 1: Dragon kiln", "Stop 3: Market", "Stop 2: Potter's wheel"]
    again = up.submit().follow(params={"lang": "en"})  # the same form, pressed twice
    assert "“Market” is already at place 2." in again.text
    dbsession.expire_all()
    assert [s.id for s in ours.stops] == [first.id, third.id, second.id]
    assert [s.keypad_number for s in ours.stops] == [1, 3, 2]  # printed numbers never change
    (down,) = [f for f in again.forms.values() if f.action.endswith(f"/stops/{first.id}/move")]  # first: only "down"
    down.submit()
    dbsession.expire_all()
    assert [s.id for s in ours.stops] == [third.id, first.id, second.id]
    token = up["csrf_token"].value
    app_at.post(f"/console/audio/stops/{first.id}/move", {"csrf_token": token, "place": "-1"}, status=400)
    app_at.post(f"/console/audio/stops/{first.id}/move", {"csrf_token": token, "place": "99"}, status=303)
    dbsession.expire_all()
    assert [s.id for s in ours.stops] == [third.id, second.id, first.id]  # a place past the end is the end


def upload_form(app, stop, locale="vi"):
    stop_page = page(app, f"/console/audio/stops/{stop.id}")
    return form_to(stop_page, f"/stops/{stop.id}/tracks/{locale}")


def test_a_recording_is_uploaded_with_its_transcript_then_replaced(app_at, dbsession, tours, store):
    ours, _ = tours
    stop = ours.stops[0]
    sign_in(app_at, "ours@example.com")
    form = upload_form(app_at, stop, "ko")
    form["audio"] = Upload("ghi-am.mp3", audio.mp3(3.0), "audio/mpeg")
    form["transcript"] = "첫 문단입니다.\n\n둘째 문단."
    done = form.submit().follow(params={"lang": "en"})
    assert "The Korean recording was saved (0:03)." in done.text
    (track,) = dbsession.scalars(select(Track).where(Track.stop_id == stop.id)).all()
    assert (track.locale, track.content_type, track.size_bytes) == ("ko", "audio/mpeg", len(audio.mp3(3.0)))
    assert track.duration_seconds == pytest.approx(3.0, abs=0.05)
    assert track.transcript_html == "<p>첫 문단입니다.</p><p>둘째 문단.</p>"
    assert stored_files(store) == [track.audio_key]
    player = done.html.select_one("#lang-ko audio")
    assert player.get("src") == f"/media/{track.audio_key}" and player.has_attr("controls")
    first_key = track.audio_key

    replace = form_to(done, f"/stops/{stop.id}/tracks/ko")
    replace["audio"] = Upload("new.ogg", audio.ogg_opus(5.0), "audio/ogg")
    replace["captions"] = Upload("ko.vtt", "WEBVTT\n\n00:00.000 --> 00:05.000\n안녕하세요\n".encode(), "text/vtt")
    replaced = replace.submit().follow(params={"lang": "en"})
    assert "The Korean recording was replaced (0:05)." in replaced.text
    dbsession.expire_all()
    (track,) = dbsession.scalars(select(Track).where(Track.stop_id == stop.id)).all()  # still one per language
    assert track.audio_key != first_key and track.audio_key.endswith(".opus") and track.content_type == "audio/ogg"
    assert track.duration_seconds == pytest.approx(5.0) and track.vtt_key.endswith(".vtt")
    assert track.transcript_html == "<p>첫 문단입니다.</p><p>둘째 문단.</p>"  # kept
    assert replaced.html.select_one("#lang-ko audio track").get("src") == f"/media/{track.vtt_key}"


@pytest.mark.parametrize("name, data, status, message", [
    ("notes.mp3", "Đây là một tệp văn bản, không phải âm thanh.\n".encode() * 50, 400,
     "This file is not a sound recording we can use, whatever its name says."),
    ("empty.mp3", b"", 400, "This file is empty. Nothing was saved"),
    ("broken.mp3", audio.mp3()[:300], 400, "This file starts like a MP3 recording but could not be read"),
    ("film.m4a", audio.m4a(video=True), 400, "This file is a video."),
])
def test_a_file_that_is_not_a_recording_is_refused_and_nothing_is_stored(app_at, dbsession, tours, store, name, data,
                                                                        status, message):
    stop = tours[0].stops[0]
    sign_in(app_at, "ours@example.com")
    form = upload_form(app_at, stop)
    form["audio"] = Upload(name, data, "audio/mpeg")
    form["transcript"] = "Lời thuyết minh."
    refused = form.submit(status=status)
    assert message in refused.text
    summary = refused.html.select_one("main > [role=alert]")  # at the top, where the page opens
    assert "Nothing was saved for Vietnamese." in summary.text and summary.a["href"] == "#error-vi"
    alert = refused.html.select_one("#lang-vi [role=alert]")
    assert alert is not None and message in alert.text
    field = refused.html.select_one("#audio-vi")
    assert field["aria-invalid"] == "true" and field["aria-describedby"] == "error-vi"
    assert refused.html.select_one("#transcript-vi").text == "Lời thuyết minh."  # what was typed is kept
    assert dbsession.scalars(select(Track).where(Track.stop_id == stop.id)).all() == []
    assert stored_files(store) == []


def test_a_new_recording_needs_a_transcript(app_at, dbsession, tours, store):
    stop = tours[0].stops[0]
    sign_in(app_at, "ours@example.com")
    form = upload_form(app_at, stop)
    form["audio"] = Upload("a.mp3", audio.mp3(), "audio/mpeg")
    form["transcript"] = "<script>alert(1)</script>"  # nothing left once cleaned
    refused = form.submit(status=400)
    assert "Write the transcript" in refused.text
    assert refused.html.select_one("#transcript-vi")["aria-invalid"] == "true"
    assert refused.html.select_one("#transcript-vi")["aria-describedby"] == "transcript-vi-hint error-vi"
    assert stored_files(store) == [] and dbsession.scalars(select(Track)
                                                           .where(Track.stop_id == stop.id)).all() == []


def test_an_oversize_upload_is_refused_without_storing(app_at, dbsession, tours, store, monkeypatch, app):
    stop = tours[0].stops[0]
    monkeypatch.setitem(app.registry, console_views.MAX_UPLOAD_KEY, 1024 * 1024)
    sign_in(app_at, "ours@example.com")
    form = upload_form(app_at, stop)
    assert "up to 1 MB" in form.response.text
    # Just over the limit: read in chunks and abandoned past it.
    form["audio"] = Upload("long.mp3", audio.mp3(70.0), "audio/mpeg")  # 1.1 MB
    form["transcript"] = "Lời thuyết minh."
    refused = form.submit(status=413)
    assert "This file is larger than 1 MB, so it was not saved." in refused.text
    assert refused.html.select_one("#lang-vi [role=alert]") is not None
    # Far over it: refused from its Content-Length, before the form is even read.
    form["audio"] = Upload("huge.mp3", audio.mp3(70.0) * 3, "audio/mpeg")  # 3.4 MB
    huge = form.submit(status=413)
    assert "This file is too large" in huge.text and "This file is larger than 1 MB" in huge.text
    assert huge.headers["Cache-Control"] == "no-store"
    assert stored_files(store) == [] and dbsession.scalars(select(Track)
                                                           .where(Track.stop_id == stop.id)).all() == []


def test_captions_that_are_not_webvtt_are_refused(app_at, dbsession, tours, store):
    stop = tours[0].stops[0]
    track = audio.add_track(dbsession, stop, "vi")
    sign_in(app_at, "ours@example.com")
    form = upload_form(app_at, stop)
    form["captions"] = Upload("subs.srt", b"1\n00:00:00,000 --> 00:00:02,000\nXin chao\n", "text/plain")
    refused = form.submit(status=400)
    assert "WebVTT" in refused.text and refused.html.select_one("#captions-vi")["aria-invalid"] == "true"
    assert track.vtt_key is None and stored_files(store) == []
    form = form_to(refused, f"/stops/{stop.id}/tracks/vi")
    nothing = form.submit(status=400)  # no file chosen at all
    assert "Choose the recording" in nothing.text


def test_a_transcript_is_saved_cleaned_and_shown_as_saved(app_at, dbsession, tours):
    stop = tours[0].stops[0]
    track = audio.add_track(dbsession, stop, "en")
    sign_in(app_at, "ours@example.com")
    stop_page = page(app_at, f"/console/audio/stops/{stop.id}")
    form = form_to(stop_page, f"/tracks/{track.id}/transcript")
    form["transcript"] = ('<h2 onclick="steal()">The kiln</h2><p>Built in 1890.<script>alert(1)</script></p>'
                          '<img src=x onerror=alert(2)><a href="javascript:alert(3)">more</a>'
                          '<a href="https://langviet.vn/more">read more</a>')
    saved = form.submit().follow(params={"lang": "en"})
    assert "The English transcript was saved, without what is not allowed" in saved.text
    dbsession.refresh(track)
    assert track.transcript_html == ('<h2>The kiln</h2><p>Built in 1890.</p><a rel="noopener">more</a>'
                                     '<a href="https://langviet.vn/more" rel="noopener">read more</a>')
    shown = saved.html.select_one("#lang-en .audio-transcript")
    assert shown.select_one("h2").text == "The kiln" and not shown.select("script, img, [onclick]")
    assert saved.html.select_one("#transcript-en").text == track.transcript_html
    assert "alert" not in saved.text

    form = form_to(saved, f"/tracks/{track.id}/transcript")
    form["transcript"] = "Just words."
    plain = form.submit().follow(params={"lang": "en"})
    assert "The English transcript was saved." in plain.text
    dbsession.refresh(track)
    assert track.transcript_html == "<p>Just words.</p>"


def test_play_counts_per_stop_and_language_appear(app_at, dbsession, tours):
    ours, _ = tours
    first, second, _third = ours.stops
    audio.add_track(dbsession, first, "vi")
    audio.add_track(dbsession, first, "en")
    for _ in range(3):
        record_play(dbsession, first, "en", TODAY)
    record_play(dbsession, first, "en", date(2026, 10, 1))  # more than 30 days ago
    record_play(dbsession, second, "ko", TODAY)  # counted even without a Korean track
    sign_in(app_at, "ours@example.com")
    tour = page(app_at, f"/console/audio/tours/{ours.id}")
    table = tour.html.select_one("table.stack")
    assert "last 30 days" in table.select_one("caption").text
    rows = [[td.text for td in tr.select("td")] for tr in table.select("tbody tr")]
    assert rows == [["1. Dragon kiln", "Vietnamese", "0", "0"], ["1. Dragon kiln", "English", "3", "4"],
                    ["2. Potter's wheel", "Korean", "1", "1"]]
    assert [th.get("scope") for th in table.select("thead th")] == ["col"] * 4
    assert "All stops and languages: 4 in the last 30 days, 5 since the start." in tour.text


def test_posters_come_as_a_pdf(app_at, tours):
    ours, _ = tours
    sign_in(app_at, "ours@example.com")
    pdf = app_at.get(f"/console/audio/tours/{ours.id}/posters.pdf")
    assert pdf.content_type == "application/pdf" and pdf.body.startswith(b"%PDF-")
    assert pdf.headers["Cache-Control"] == "no-store"
