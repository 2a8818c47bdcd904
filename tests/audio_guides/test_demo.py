"""The demo audio tours (audio_guides/demo): Bát Tràng and Tân Cương, each stop spoken in
Vietnamese and English (Tân Cương in Korean too) into small MP3s that the loader puts in the
media store; loading again changes nothing; and the speaker (espeak-ng + lame) itself."""
import array
import html
import math
import re
import subprocess
import wave

import pytest
from mutagen.mp3 import MP3
from sqlalchemy import select

import audio_guides.demo as audio_demo
from audio_guides.demo import data, speak
from audio_guides.demo.data import DemoDataError
from audio_guides.models import CODE_ALPHABET, StopText, Tour
from tests.conftest import in_ci
from tourism.media import MediaStore

DEMO = data.read()
EXPERIENCES = {
    "bat-trang-pottery-lanes": {"bat-trang-old-village-walk", "bat-trang-pottery-wheel", "bat-trang-ceramics-museum"},
    "tan-cuong-tea-trail": {"tan-cuong-tea-morning", "tan-cuong-tea-tasting"},
}
LOCALES = {"vi", "en", "ko", "zh", "ja", "fr"}


@pytest.fixture
def settings(base_settings):
    return base_settings


@pytest.fixture
def store(base_settings):
    return MediaStore(base_settings["tourism.media_dir"])


@pytest.fixture
def tours(dbsession):
    return {tour.slug: tour for tour in dbsession.scalars(select(Tour).where(Tour.slug.in_(EXPERIENCES)))}


def require_tools():
    missing = speak.missing_tools()
    if missing:
        message = f"{', '.join(missing)} not installed (apt-get install espeak-ng lame)"
        if in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def decoded_levels(mp3_path, tmp_path) -> tuple[float, float]:
    """(RMS in dBFS, share of 20 ms windows with sound) of an MP3, decoded by lame."""
    wav_path = tmp_path / "decoded.wav"
    subprocess.run(["lame", "--quiet", "--decode", str(mp3_path), str(wav_path)], check=True)
    with wave.open(str(wav_path)) as wav:
        rate = wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))[::4]  # every 4th sample is plenty
    window = rate // 4 // 50
    levels = [math.sqrt(sum(x * x for x in samples[i:i + window]) / window)
              for i in range(0, len(samples) - window, window)]
    rms = math.sqrt(sum(x * x for x in samples) / len(samples))
    return 20 * math.log10(max(rms, 1) / 32768), sum(level > 300 for level in levels) / len(levels)


# --- the file -------------------------------------------------------------------------------

def test_two_tours_of_at_least_five_stops_in_every_language():
    assert {tour.slug for tour in DEMO.tours} == set(EXPERIENCES)
    for tour in DEMO.tours:
        assert set(tour.texts) == LOCALES
        assert len(tour.stops) >= 5
        for stop in tour.stops:
            assert set(stop.texts) == LOCALES, stop.code
            assert all(fields["title"] and fields["summary"] for fields in stop.texts.values())
            for image in stop.images:
                assert set(image.alt) == LOCALES, stop.code


@pytest.mark.parametrize("tour, stop, locale, script", [
    pytest.param(*recording, id=f"{recording[1].code}-{recording[2]}") for recording in DEMO.recordings()])
def test_scripts_are_short_and_recorded_from_that_script(tour, stop, locale, script):
    if locale in ("vi", "en"):
        assert 40 <= len(script.split()) <= 80
    name = data.audio_filename(tour.slug, stop.code, locale)
    assert (data.AUDIO_DIR / name).is_file()
    assert data.read_manifest()[name]["script_sha256"] == data.script_sha256(script)


def test_tan_cuong_speaks_korean_and_the_recordings_stay_small():
    tan_cuong = next(tour for tour in DEMO.tours if tour.village == "tan-cuong")
    assert all(set(stop.scripts) == {"vi", "en", "ko"} for stop in tan_cuong.stops)
    recorded = {data.audio_filename(tour.slug, stop.code, locale) for tour, stop, locale, _ in DEMO.recordings()}
    on_disk = {path.name for path in data.AUDIO_DIR.glob("*.mp3")}
    assert on_disk == recorded == set(data.read_manifest())
    assert sum((data.AUDIO_DIR / name).stat().st_size for name in on_disk) <= 2_000_000


def test_transcript_is_the_script_escaped_in_paragraphs():
    assert data.transcript_html("Một <b>câu</b>.\n\nHai & <script>x</script>") == (
        "<p>Một &lt;b&gt;câu&lt;/b&gt;.</p><p>Hai &amp; &lt;script&gt;x&lt;/script&gt;</p>")
    assert data.paragraphs("  a\n b  \n\n\n c ") == ["a b", "c"]


def test_a_bad_file_is_refused_with_where(tmp_path):
    text = data.DEMO_FILE.read_text().replace('code = "TCE"', 'code = "TC0"')
    (tmp_path / "tours.toml").write_text(text)
    with pytest.raises(DemoDataError, match=r"stops\[4\].*code 'TC0'"):
        data.read(tmp_path / "tours.toml")


# --- loaded into the database ---------------------------------------------------------------

def test_tours_are_published_in_their_village_with_unique_codes_and_keypads(tours):
    assert set(tours) == set(EXPERIENCES)
    codes = []
    for tour in tours.values():
        assert tour.status == "published"
        assert len(tour.stops) >= 5
        assert [stop.position for stop in tour.stops] == list(range(len(tour.stops)))
        keypads = [stop.keypad_number for stop in tour.stops]
        assert len(set(keypads)) == len(keypads)
        for stop in tour.stops:
            assert 2 <= len(stop.code) <= 6 and set(stop.code) <= set(CODE_ALPHABET)
            # within about a kilometre of the village's own point
            assert abs(stop.latitude - tour.village.latitude) < 0.01
            assert abs(stop.longitude - tour.village.longitude) < 0.01
            codes.append(stop.code)
    assert len(set(codes)) == len(codes)
    assert tours["bat-trang-pottery-lanes"].village.slug == "bat-trang"
    assert [s.keypad_number for s in tours["tan-cuong-tea-trail"].stops] == [201, 202, 203, 204, 205]


def test_tours_link_their_experiences(tours):
    for slug, tour in tours.items():
        assert {experience.slug for experience in tour.experiences} == EXPERIENCES[slug]


def test_every_stop_has_vi_and_en_tracks_in_the_media_store(tours, store):
    for tour in tours.values():
        for stop in tour.stops:
            assert {"vi", "en"} <= {track.locale for track in stop.tracks}, stop.code
            if tour.slug == "tan-cuong-tea-trail":
                assert "ko" in {track.locale for track in stop.tracks}
            for track in stop.tracks:
                path = store.path(track.audio_key)
                assert store.exists(track.audio_key) and track.audio_key.endswith(".mp3")
                assert track.content_type == "audio/mpeg"
                assert track.size_bytes == path.stat().st_size
                assert track.duration_seconds > 10
                assert track.duration_seconds == pytest.approx(MP3(path).info.length)
                assert track.transcript_html.startswith("<p>") and track.transcript_html.endswith("</p>")
                assert "<script" not in track.transcript_html.lower()


def test_transcripts_are_the_scripts(tours):
    scripts = {(tour.slug, stop.code, locale): script for tour, stop, locale, script in DEMO.recordings()}
    for tour in tours.values():
        for stop in tour.stops:
            for track in stop.tracks:
                text = html.unescape(re.sub(r"</p><p>", "\n\n", track.transcript_html)[3:-4])
                assert text == scripts[tour.slug, stop.code, track.locale]


def test_stop_images_come_from_the_static_demo_folder(tours):
    images = [image for tour in tours.values() for stop in tour.stops for image in stop.images]
    assert len(images) >= 5
    for image in images:
        assert (data.STATIC_DIR / image.path).is_file()
        assert image.alt["vi"] and image.alt["en"]


def test_loading_again_changes_nothing(dbsession, settings):
    report = audio_demo.load(dbsession, settings)
    assert (report.created, report.updated, report.deleted) == (0, 0, 0)
    assert str(report) == "Audio tours: 2 tours, 11 stops, 27 tracks (0 rows created, 0 updated, 0 deleted)."


def test_loading_puts_back_what_was_changed_then_changes_nothing(dbsession, settings, tours):
    stop = tours["tan-cuong-tea-trail"].stops[2]
    stop.texts[0].title = "Changed by an operator"
    stop.tracks.remove(next(track for track in stop.tracks if track.locale == "ko"))
    stop.texts.append(StopText(locale="zz", title="Not in the file", summary=""))
    tours["bat-trang-pottery-lanes"].experiences = []
    dbsession.flush()

    report = audio_demo.load(dbsession, settings)
    assert (report.created, report.updated, report.deleted) == (1 + 3, 1, 1)  # the track and 3 links; the title; zz
    assert "ko" in {track.locale for track in stop.tracks}
    assert {experience.slug for experience in tours["bat-trang-pottery-lanes"].experiences} == EXPERIENCES[
        "bat-trang-pottery-lanes"]
    report = audio_demo.load(dbsession, settings)
    assert (report.created, report.updated, report.deleted) == (0, 0, 0)


def test_audio_spoken_from_an_older_script_is_refused(dbsession, settings, tmp_path):
    text = data.DEMO_FILE.read_text().replace("Bạn thử hái một nắm nhé.", "Bạn thử hái hai nắm nhé.")
    (tmp_path / "tours.toml").write_text(text)
    with pytest.raises(DemoDataError, match="tan-cuong-tea-trail-tcb-vi.mp3 was spoken from another script"):
        audio_demo.load(dbsession, settings, path=tmp_path / "tours.toml")


# --- the speaker ----------------------------------------------------------------------------

def test_english_speaks_vietnamese_names_with_the_vietnamese_voice():
    spoken = speak.ssml("Welcome to Bát Tràng & OCOP <workshops>.", "en", DEMO.speech)
    assert spoken == ('<speak><voice name="en-us">Welcome to </voice><voice name="vi">Bát Tràng</voice>'
                      '<voice name="en-us"> &amp; </voice><voice name="en-us">O C O P</voice>'
                      '<voice name="en-us"> &lt;workshops&gt;.</voice></speak>')
    assert '<voice name="vi">' not in speak.ssml("tomato", "en", DEMO.speech)  # whole words only


def test_speak_makes_a_small_valid_mp3(tmp_path):
    require_tools()
    target = speak.speak("Xin chào, đây là đồi chè Tân Cương.", "vi", tmp_path / "clip.mp3", DEMO.speech)
    info = MP3(target).info
    assert 1 < info.length < 10
    assert (info.channels, info.sample_rate, info.bitrate) == (1, 22050, 24000)
    loudness, voiced = decoded_levels(target, tmp_path)
    assert loudness > -35 and voiced > 0.5


def test_committed_recordings_are_speech_not_silence(tmp_path):
    require_tools()
    for path in sorted(data.AUDIO_DIR.glob("*.mp3")):
        loudness, voiced = decoded_levels(path, tmp_path)
        assert loudness > -30 and voiced > 0.6, path.name
