"""Upload rules, without HTTP: a recording is known by its bytes and must be readable to the
end with a length; sizes are bounded; transcripts keep only a few safe tags; captions must
be WebVTT; a track is one per stop and language, and its key follows its content."""
import io
import shutil
import subprocess

import pytest
from pyramid.exceptions import ConfigurationError
from sqlalchemy import select

from audio_guides import uploads
from audio_guides.models import Track
from tests.audio_guides import factories as audio
from tests.factories import make_village
from tourism.media import MediaStore

RECORDINGS = {
    "mp3 with an ID3 tag": (audio.mp3(2.0), "mp3", "audio/mpeg"),
    "mp3, bare frames": (audio.mp3(2.0, id3=False), "mp3", "audio/mpeg"),
    "aac in ADTS": (audio.adts(2.0), "aac", "audio/aac"),
    "m4a": (audio.m4a(2.0), "m4a", "audio/mp4"),
    "m4a with an isom brand": (audio.m4a(2.0, brand=b"isom"), "m4a", "audio/mp4"),
    "ogg vorbis": (audio.ogg_vorbis(2.0), "ogg", "audio/ogg"),
    "ogg opus": (audio.ogg_opus(2.0), "opus", "audio/ogg"),
    "webm opus": (audio.webm(2.0), "webm", "audio/webm"),
    "webm vorbis, no duration (as MediaRecorder writes it)": (audio.webm(2.0, codec=b"A_VORBIS", with_duration=False),
                                                              "webm", "audio/webm"),
}


@pytest.mark.parametrize("name", RECORDINGS)
def test_each_container_is_recognised_and_its_length_read(name):
    data, extension, content_type = RECORDINGS[name]
    checked = uploads.check_audio(data)
    assert (checked.format.extension, checked.format.content_type) == (extension, content_type)
    assert checked.duration_seconds == pytest.approx(2.0, abs=0.05)
    assert checked.data is data


def test_an_id3_tag_in_front_of_aac_does_not_make_it_an_mp3():
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + bytes(10)
    assert uploads.sniff(tag + audio.adts()) == uploads.AAC_FORMAT
    assert uploads.check_audio(tag + audio.adts()).format == uploads.AAC_FORMAT


@pytest.mark.parametrize("tool", ["lame", "sox"])
def test_files_from_real_encoders(tmp_path, tool):
    if not shutil.which("sox") or not shutil.which(tool):
        pytest.skip(f"{tool} is not installed")
    wav, out = tmp_path / "tone.wav", tmp_path / ("tone.mp3" if tool == "lame" else "tone.ogg")
    subprocess.run(["sox", "-n", "-r", "22050", "-c", "1", str(wav), "synth", "1.5", "sine", "440"], check=True)
    command = ["lame", "--quiet", "-b", "64", str(wav), str(out)] if tool == "lame" else ["sox", str(wav), str(out)]
    subprocess.run(command, check=True)
    checked = uploads.check_audio(out.read_bytes())
    assert checked.format.extension == ("mp3" if tool == "lame" else "ogg")
    assert checked.duration_seconds == pytest.approx(1.5, abs=0.1)
    with pytest.raises(uploads.UploadRefused, match="WAV"):
        uploads.check_audio(wav.read_bytes())


NOT_RECORDINGS = {
    "a text file named .mp3": ("Đây là văn bản, không phải âm thanh.\n".encode() * 20, "not a sound recording"),
    "html": (b"<!doctype html><script>alert(1)</script>", "not a sound recording"),
    "a pdf": (b"%PDF-1.7\n" + bytes(500), "not a sound recording"),
    "a png": (b"\x89PNG\r\n\x1a\n" + bytes(500), "not a sound recording"),
    "an mp3 cut short": (audio.mp3()[:300], "starts like a MP3 recording but could not be read"),
    "an ID3 tag and nothing": (b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"x" * 1000, "starts like a MP3"),
    "mpeg layer II": (bytes([0xFF, 0xFD, 0x90, 0x64]) + bytes(413), "not a sound recording"),
    "an m4a without its moov box": (audio.m4a()[:32], "starts like a M4A (AAC) recording"),
    "an mp4 video": (audio.m4a(video=True), "This file is a video"),
    "a webm video": (audio.webm(video=True), "This file is a video"),
    "webm with AAC": (audio.webm(codec=b"A_AAC"), "not every phone can play"),
    "matroska": (audio.webm(doc_type=b"matroska"), "not every phone can play"),
    "a webm cut short": (audio.webm()[:-5], "starts like a WebM recording"),
    "ogg flac": (audio.ogg_flac(), "not every phone can play"),
    "a zero-length mp4": (audio.m4a(0.0), "no length"),
}


@pytest.mark.parametrize("name", NOT_RECORDINGS)
def test_what_is_not_a_playable_recording_is_refused_with_a_clear_message(name):
    data, message = NOT_RECORDINGS[name]
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.check_audio(data)
    assert message in refused.value.message.interpolate()
    assert refused.value.status == 400 and refused.value.field == "audio"


def test_read_upload_stops_past_the_limit_and_refuses_empty_files():
    class Counting(io.BytesIO):
        read_bytes = 0

        def read(self, size=-1):
            chunk = super().read(size)
            self.read_bytes += len(chunk)
            return chunk

    huge = Counting(bytes(20 * 1024 * 1024))
    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.read_upload(huge, 1024 * 1024)
    assert refused.value.status == 413 and "larger than 1 MB" in refused.value.message.interpolate()
    assert huge.read_bytes <= 1024 * 1024 + uploads.READ_CHUNK  # never read to the end
    assert uploads.read_upload(io.BytesIO(b"x" * 1000), 1000) == b"x" * 1000
    with pytest.raises(uploads.UploadRefused, match="empty"):
        uploads.read_upload(io.BytesIO(b""), 1000)


@pytest.mark.parametrize("value, expected", [(None, 50), ("12", 12), (" 200 ", 200)])
def test_the_upload_limit_setting(value, expected):
    settings = {} if value is None else {uploads.MAX_UPLOAD_SETTING: value}
    assert uploads.max_upload_bytes(settings) == expected * 1024 * 1024


@pytest.mark.parametrize("value", ["0", "201", "-5", "1.5", "fifty", ""])
def test_a_wrong_upload_limit_stops_the_start(value):
    with pytest.raises(ConfigurationError, match="audio_guides.max_upload_mb"):
        uploads.max_upload_bytes({uploads.MAX_UPLOAD_SETTING: value})


@pytest.mark.parametrize("raw, clean", [
    ("<p>Hello <script>alert(1)</script>world</p>", "<p>Hello world</p>"),
    ('<p onclick="x()" style="color:red" class="c">Hi</p>', "<p>Hi</p>"),
    ('<img src=x onerror="alert(1)"><p>After</p>', "<p>After</p>"),
    ('<a href="javascript:alert(1)">x</a>', '<p><a rel="noopener">x</a></p>'),
    ('<a href=" JaVaScRiPt:alert(1)">x</a>', '<p><a rel="noopener">x</a></p>'),
    ('<a href="data:text/html,<script>alert(1)</script>">x</a>', '<p><a rel="noopener">x</a></p>'),
    ('<a href="/console/audio">x</a>', '<p><a rel="noopener">x</a></p>'),
    ('<a href="https://langviet.vn/a" target="_blank" rel="opener">x</a>',
     '<p><a href="https://langviet.vn/a" rel="noopener">x</a></p>'),
    ("<h1>Big</h1><h2>Title</h2><h3>Sub</h3>", "Big<h2>Title</h2><h3>Sub</h3>"),
    ("<ul><li><strong>a</strong></li><li><em>b</em></li></ul><ol><li>c</li></ol><br>",
     "<ul><li><strong>a</strong></li><li><em>b</em></li></ul><ol><li>c</li></ol><br>"),
    ("<style>p{}</style><iframe src='https://x'></iframe><svg onload=alert(1)></svg><p>ok</p>", "<p>ok</p>"),
    ("<!-- note --><p>ok</p>", "<p>ok</p>"),
    ("First line\nsecond line\n\nNext <paragraph> & 1 < 2", "<p>First line<br>second line</p><p>Next  &amp; 1 &lt; 2</p>"),
    ("<strong>Bold</strong> start\n\nthen <em>more</em>", "<p><strong>Bold</strong> start</p><p>then <em>more</em></p>"),
    ("Lò gốm & \"men\" rạn\r\n\r\nđoạn hai", "<p>Lò gốm &amp; \"men\" rạn</p><p>đoạn hai</p>"),
])
def test_transcripts_keep_only_safe_tags(raw, clean):
    cleaned = uploads.clean_transcript(raw)
    if clean is not None:
        assert cleaned == clean
    assert "script" not in cleaned and "onerror" not in cleaned and "javascript" not in cleaned.lower()
    assert uploads.clean_transcript(cleaned) == cleaned  # cleaning twice changes nothing


def test_plain_text_becomes_paragraphs():
    assert uploads.clean_transcript("Một\nhai\n\nBa") == "<p>Một<br>hai</p><p>Ba</p>"


def test_a_transcript_needs_words_and_has_a_limit():
    for empty in ("", "   ", "<script>alert(1)</script>", "<p> </p>"):
        with pytest.raises(uploads.UploadRefused, match="Write the transcript") as refused:
            uploads.check_transcript(empty)
        assert refused.value.field == "transcript"
    with pytest.raises(uploads.UploadRefused, match="longer than"):
        uploads.check_transcript("a" * (uploads.MAX_TRANSCRIPT_CHARS + 1))


@pytest.mark.parametrize("data", [b"WEBVTT\n\n00:00.000 --> 00:01.000\nXin ch\xc3\xa0o\n",
                                  b"\xef\xbb\xbfWEBVTT - Bat Trang\r\n\r\n", b"WEBVTT"])
def test_webvtt_captions_are_accepted(data):
    assert uploads.check_captions(data) == data


@pytest.mark.parametrize("data", [b"1\n00:00:00,000 --> 00:00:01,000\nHi\n", b"WEBVTTX\n", b"<script>",
                                  b"WEBVTT\n\xff\xfe", b"WEBVTT\n\x00", b""])
def test_other_captions_are_refused(data):
    with pytest.raises(uploads.UploadRefused, match="WebVTT") as refused:
        uploads.check_captions(data)
    assert refused.value.field == "captions"


# --- storing -------------------------------------------------------------------------------

@pytest.fixture
def stop(dbsession):
    return audio.make_tour(dbsession, make_village(dbsession, slug="lang-luu"), "luu-audio", prefix="SV",
                           stops=1).stops[0]


def files(store: MediaStore) -> list[str]:
    return sorted(p.name for p in store.root.rglob("*") if p.is_file()) if store.root.exists() else []


def test_a_track_is_created_then_replaced_with_a_new_key(dbsession, stop, tmp_path):
    store = MediaStore(tmp_path)
    first = uploads.save_track(dbsession, store, stop, "vi", audio=uploads.check_audio(audio.mp3(2.0)),
                               transcript="Lời thuyết minh")
    assert (first.locale, first.content_type, first.transcript_html) == ("vi", "audio/mpeg", "<p>Lời thuyết minh</p>")
    old_key = first.audio_key
    assert files(store) == [old_key] and store.path(old_key).read_bytes() == audio.mp3(2.0)
    second = uploads.save_track(dbsession, store, stop, "vi", audio=uploads.check_audio(audio.m4a(4.0)),
                                captions=b"WEBVTT\n")
    assert second is first and second.audio_key != old_key and second.audio_key.endswith(".m4a")
    assert (second.duration_seconds, second.content_type) == (4.0, "audio/mp4")
    assert second.transcript_html == "<p>Lời thuyết minh</p>" and second.vtt_key.endswith(".vtt")
    assert dbsession.scalars(select(Track).where(Track.stop_id == stop.id)).all() == [second]


def test_nothing_is_stored_when_a_rule_is_broken(dbsession, stop, tmp_path):
    store = MediaStore(tmp_path)
    recording = uploads.check_audio(audio.mp3())
    with pytest.raises(uploads.UploadRefused, match="Write the transcript too"):
        uploads.save_track(dbsession, store, stop, "en", audio=recording)
    with pytest.raises(uploads.UploadRefused, match="Choose the recording"):
        uploads.save_track(dbsession, store, stop, "en", transcript="Words")
    with pytest.raises(uploads.UploadRefused, match="WebVTT"):
        uploads.save_track(dbsession, store, stop, "en", audio=recording, transcript="Words", captions=b"nope")
    with pytest.raises(ValueError):
        uploads.save_track(dbsession, store, stop, "de", audio=recording, transcript="Words")
    assert files(store) == [] and dbsession.scalars(select(Track).where(Track.stop_id == stop.id)).all() == []
