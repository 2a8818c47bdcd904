"""What an operator may upload for a stop: recordings, transcripts and captions. No HTTP here.

A recording is judged by its bytes, never by its file name: the first bytes say which
container it claims to be (MP3, M4A/AAC, Ogg Vorbis/Opus, WebM), then a parser for that
container alone must read it to the end and find a duration above zero (mutagen for all but
WebM, which mutagen cannot read: a small EBML reader below does). A renamed text file, a
video, a cut-short or otherwise broken file is refused with a message saying what to do.

Transcripts are HTML reduced to a few tags by nh3 (ammonia); plain text is turned into
paragraphs. Captions are WebVTT files. Every refusal raises `UploadRefused` before anything
is stored; the media store is written only once everything has been checked.
"""
import io
import logging
import math
import re
import struct
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import nh3
from mutagen.aac import AAC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, Atoms
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from pyramid.exceptions import ConfigurationError
from sqlalchemy import select

from audio_guides.models import Stop, Track
from tourism.exceptions import DomainError
from audio_guides.i18n import _
from tourism.i18n import LOCALES

log = logging.getLogger(__name__)

MAX_UPLOAD_SETTING = "audio_guides.max_upload_mb"
DEFAULT_MAX_UPLOAD_MB = 50
# Anything larger is a video or an uncompressed master, not a stop's recording; the limit
# also bounds what one request may hold in memory (the file is read into memory to hash it).
HIGHEST_MAX_UPLOAD_MB = 200
MAX_TRANSCRIPT_CHARS = 100_000  # a 10-minute talk is about 10,000 characters
MAX_CAPTIONS_BYTES = 1024 * 1024
READ_CHUNK = 256 * 1024


class UploadRefused(DomainError):
    """The upload breaks a rule; nothing was stored. `status` is the HTTP status to answer with."""

    def __init__(self, message, *, field: str = "audio", status: int = 400):
        super().__init__(message, field=field)
        self.status = status


def max_upload_bytes(settings: dict) -> int:
    """The largest recording accepted, from `audio_guides.max_upload_mb` (default 50 MB).

    Raises ConfigurationError for anything but a whole number of megabytes from 1 to 200.
    """
    raw = str(settings.get(MAX_UPLOAD_SETTING, DEFAULT_MAX_UPLOAD_MB)).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= HIGHEST_MAX_UPLOAD_MB:
        raise ConfigurationError(
            f"{MAX_UPLOAD_SETTING} = {raw!r}: give the largest recording operators may upload as a whole "
            f"number of megabytes from 1 to {HIGHEST_MAX_UPLOAD_MB} (default {DEFAULT_MAX_UPLOAD_MB}).")
    return int(raw) * 1024 * 1024


def read_upload(fileobj, max_bytes: int, *, field: str = "audio") -> bytes:
    """The upload's bytes, read in chunks and abandoned as soon as they pass `max_bytes`.

    Raises UploadRefused (413) past the limit and (400) for an empty file.
    """
    chunks, size = [], 0
    while True:
        chunk = fileobj.read(READ_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes, field=field)
        chunks.append(chunk)
    if size == 0:
        raise UploadRefused(_("This file is empty. Nothing was saved: choose the file again."), field=field)
    return b"".join(chunks)


def too_large(max_bytes: int, *, field: str = "audio") -> UploadRefused:
    return UploadRefused(_(
        "This file is larger than ${size} MB, so it was not saved. Save the recording as MP3 "
        "(128 kbps is plenty for a voice: 5 minutes make about 5 MB) and upload that.",
        mapping={"size": max_bytes // (1024 * 1024)}), field=field, status=413)


# --- recordings --------------------------------------------------------------------------

@dataclass(frozen=True)
class AudioFormat:
    name: str  # as operators know it: "MP3"
    extension: str  # the media store key's, which also picks the Content-Type it is served with
    content_type: str


MP3_FORMAT = AudioFormat("MP3", "mp3", "audio/mpeg")
M4A_FORMAT = AudioFormat("M4A (AAC)", "m4a", "audio/mp4")
AAC_FORMAT = AudioFormat("AAC", "aac", "audio/aac")
OGG_FORMAT = AudioFormat("Ogg", "ogg", "audio/ogg")
OPUS_FORMAT = AudioFormat("Opus", "opus", "audio/ogg")
WEBM_FORMAT = AudioFormat("WebM", "webm", "audio/webm")

FORMAT_NAMES = {f.extension: f.name for f in (MP3_FORMAT, M4A_FORMAT, AAC_FORMAT, OGG_FORMAT, OPUS_FORMAT, WEBM_FORMAT)}
ACCEPTED_NAMES = "MP3, M4A (AAC), Ogg (Vorbis, Opus), WebM"
MP4_BRANDS = {b"M4A ", b"M4B ", b"mp42", b"mp41", b"isom", b"iso2", b"iso4", b"iso5", b"iso6"}
EBML_MAGIC = b"\x1a\x45\xdf\xa3"


@dataclass(frozen=True)
class CheckedAudio:
    data: bytes = dataclass_field(repr=False)
    format: AudioFormat
    duration_seconds: float


def format_name(key: str) -> str:
    """The name operators know a stored recording's format by ("MP3"), from its media key."""
    extension = key.rpartition(".")[2]
    return FORMAT_NAMES.get(extension, extension.upper())


def sniff(data: bytes) -> AudioFormat | None:
    """The container the first bytes announce (nothing more: `check_audio` reads the rest)."""
    if data.startswith(b"ID3") and len(data) >= 10:
        # An ID3v2 tag (MP3's, sometimes AAC's): its size is four 7-bit bytes, plus 10 for
        # the header and 10 more for a footer; what follows it is the audio.
        size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        end = 10 + size + (10 if data[5] & 0x10 else 0)
        following = sniff(data[end:end + 16])
        return following if following in (AAC_FORMAT, MP3_FORMAT) else MP3_FORMAT
    if len(data) >= 12 and data[4:8] == b"ftyp":
        brands = {data[8:12]} | {data[i:i + 4] for i in range(16, min(len(data), 64) - 3, 4)}
        return M4A_FORMAT if brands & MP4_BRANDS else None
    if data.startswith(b"OggS"):
        return OGG_FORMAT  # Vorbis or Opus: the first packet tells (check_audio)
    if data.startswith(EBML_MAGIC):
        return WEBM_FORMAT
    if len(data) >= 2 and data[0] == 0xFF:
        layer, version = (data[1] >> 1) & 0b11, (data[1] >> 3) & 0b11
        if data[1] & 0xF6 == 0xF0:  # 12 sync bits, then layer 00: ADTS
            return AAC_FORMAT
        if data[1] & 0xE0 == 0xE0 and layer == 0b01 and version != 0b01:  # 11 sync bits, layer III
            return MP3_FORMAT
    return None


def check_audio(data: bytes) -> CheckedAudio:
    """`data` as a recording browsers play, with its duration read from the file.

    Raises UploadRefused: not audio (whatever its name), a video, or unreadable.
    """
    claimed = sniff(data)
    if claimed is None and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        raise UploadRefused(_(
            "This is a WAV recording: too large for visitors' phones on a village connection. Save it as MP3 "
            "(most recording apps can, or use a free converter) and upload that. Nothing was saved."))
    if claimed is None:
        raise UploadRefused(_(
            "This file is not a sound recording we can use, whatever its name says. Upload an MP3, "
            "M4A (AAC), Ogg (Vorbis or Opus) or WebM sound file. Nothing was saved."))
    try:
        audio_format, duration = READERS[claimed](data)
    except UploadRefused:
        raise
    except Exception as error:  # noqa: BLE001  (any parser failure on untrusted bytes means: unreadable)
        log.info("unreadable %s upload (%d bytes): %r", claimed.name, len(data), error)
        raise UploadRefused(_(
            "This file starts like a ${format} recording but could not be read: it may be damaged or "
            "cut short. Export it again from your recording app and upload it again. Nothing was saved.",
            mapping={"format": claimed.name})) from None
    if not duration or not math.isfinite(duration) or duration <= 0:
        raise UploadRefused(_("This recording has no length (0 seconds): it holds no sound. Nothing was saved."))
    return CheckedAudio(data, audio_format, round(float(duration), 3))


def _with_mutagen(kind):
    # The class itself, not mutagen.File(): File() guesses the format partly from the file's
    # name (and finds no MP3 in a bare MPEG stream without one); here the bytes decided.
    def read(data: bytes):
        return kind(io.BytesIO(data)).info
    return read


def _read_mp3(data):
    info = _with_mutagen(MP3)(data)
    if info.layer != 3:
        raise ValueError(f"MPEG layer {info.layer}")
    return MP3_FORMAT, info.length


def _read_aac(data):
    return AAC_FORMAT, _with_mutagen(AAC)(data).length


def _read_ogg(data):
    # The first packet names the codec; Ogg FLAC, Speex or a Theora video are refused.
    if b"OpusHead" in data[:512]:
        return OPUS_FORMAT, _with_mutagen(OggOpus)(data).length
    if b"\x01vorbis" in data[:512]:
        return OGG_FORMAT, _with_mutagen(OggVorbis)(data).length
    raise _not_playable()


def _read_mp4(data):
    info = _with_mutagen(MP4)(data)
    handlers = _mp4_handlers(data)
    if b"vide" in handlers:
        raise _video()
    if b"soun" not in handlers or not info.codec.startswith("mp4a"):
        raise _not_playable()
    return M4A_FORMAT, info.length


def _mp4_handlers(data: bytes) -> set[bytes]:
    """The handler types ("soun", "vide") of the file's tracks."""
    fileobj = io.BytesIO(data)
    handlers = set()
    for trak in Atoms(fileobj)[b"moov"].findall(b"trak"):
        ok, hdlr = trak[b"mdia", b"hdlr"].read(fileobj)
        if ok:
            handlers.add(hdlr[8:12])
    return handlers


def _read_webm(data):
    webm = read_webm(data)
    if webm.doc_type != "webm":
        raise _not_playable()
    if webm.video:
        raise _video()
    if not webm.audio_codecs or not set(webm.audio_codecs) <= {"A_OPUS", "A_VORBIS"}:
        raise _not_playable()
    return WEBM_FORMAT, webm.duration_seconds


def _video() -> UploadRefused:
    return UploadRefused(_("This file is a video. Upload the sound only: most recording and video apps can "
                           "save or share it as MP3 or M4A. Nothing was saved."))


def _not_playable() -> UploadRefused:
    return UploadRefused(_(
        "This recording uses a kind of sound that not every phone can play. Save it as MP3 or M4A (AAC) "
        "and upload it again. Nothing was saved."))


READERS = {MP3_FORMAT: _read_mp3, AAC_FORMAT: _read_aac, OGG_FORMAT: _read_ogg, M4A_FORMAT: _read_mp4,
           WEBM_FORMAT: _read_webm}


# --- WebM: just enough EBML to know the codecs and the length -----------------------------

@dataclass
class WebmInfo:
    doc_type: str = ""
    audio_codecs: tuple[str, ...] = ()
    video: bool = False
    duration_seconds: float = 0.0


# Element ids (with their length marker, as the specification writes them).
_EBML, _DOC_TYPE = 0x1A45DFA3, 0x4282
_SEGMENT, _INFO, _TIMECODE_SCALE, _DURATION = 0x18538067, 0x1549A966, 0x2AD7B1, 0x4489
_TRACKS, _TRACK_ENTRY, _TRACK_TYPE, _CODEC_ID = 0x1654AE6B, 0xAE, 0x83, 0x86
_CLUSTER, _CLUSTER_TIMECODE, _SIMPLE_BLOCK, _BLOCK_GROUP, _BLOCK = 0x1F43B675, 0xE7, 0xA3, 0xA0, 0xA1
# Masters read child by child: browsers' MediaRecorder writes a Segment and Clusters of
# unknown size, so their sizes cannot be trusted to skip by. Everything else is skipped.
_DESCEND = {_EBML, _SEGMENT, _INFO, _TRACKS, _TRACK_ENTRY, _CLUSTER, _BLOCK_GROUP}
_AUDIO, _VIDEO = 2, 1


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int, bool]:
    """(value, position after it, whether it is the reserved "unknown size") of the
    variable-length integer at `pos`."""
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        raise ValueError("bad EBML variable-length integer")
    bits = first & (0xFF >> length)
    value = first if keep_marker else bits
    for byte in data[pos + 1:pos + length]:
        value = (value << 8) | byte
    unknown = bits == (0xFF >> length) and all(b == 0xFF for b in data[pos + 1:pos + length])
    return value, pos + length, unknown


def read_webm(data: bytes) -> WebmInfo:
    """The doc type, tracks and duration of a WebM/Matroska file; ValueError when it cannot be read.

    The duration is the Info element's, or else (a live recording has none) the time of the
    last block.
    """
    info = WebmInfo()
    tracks: list[dict] = []
    scale = 1_000_000  # nanoseconds per tick, the default
    duration = 0.0
    cluster_time = last_block = 0
    pos = 0
    while pos < len(data):
        element, pos, _ = _vint(data, pos, keep_marker=True)
        size, pos, unknown = _vint(data, pos, keep_marker=False)
        if element in _DESCEND:
            if element == _TRACK_ENTRY:
                tracks.append({"type": None, "codec": ""})
            continue
        if unknown or pos + size > len(data):
            raise ValueError(f"element {element:#x}: unknown size or cut short")
        payload, pos = data[pos:pos + size], pos + size
        if element == _DOC_TYPE:
            info.doc_type = payload.rstrip(b"\x00").decode("ascii", "replace")
        elif element == _TIMECODE_SCALE:
            scale = int.from_bytes(payload, "big")
        elif element == _DURATION:
            duration = struct.unpack(">f" if size == 4 else ">d", payload)[0]
        elif element in (_TRACK_TYPE, _CODEC_ID) and tracks:
            tracks[-1]["type" if element == _TRACK_TYPE else "codec"] = (
                int.from_bytes(payload, "big") if element == _TRACK_TYPE else payload.decode("ascii", "replace"))
        elif element == _CLUSTER_TIMECODE:
            cluster_time = int.from_bytes(payload, "big")
        elif element in (_SIMPLE_BLOCK, _BLOCK):
            _track, offset, _ = _vint(payload, 0, keep_marker=False)
            relative = struct.unpack(">h", payload[offset:offset + 2])[0]
            last_block = max(last_block, cluster_time + relative)
    if not info.doc_type:
        raise ValueError("no EBML doc type")
    info.audio_codecs = tuple(t["codec"] for t in tracks if t["type"] == _AUDIO)
    info.video = any(t["type"] == _VIDEO for t in tracks)
    info.duration_seconds = (duration or last_block) * scale / 1e9
    return info


# --- transcripts and captions -------------------------------------------------------------

TRANSCRIPT_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "h2", "h3", "a"}
_cleaner = nh3.Cleaner(
    tags=TRANSCRIPT_TAGS,
    clean_content_tags={"script", "style"},  # dropped with what they hold, not left as text
    attributes={"a": {"href"}},
    url_schemes={"http", "https"},
    url_relative="deny",  # a link in a transcript leads to a whole address, never a path on our site
    link_rel="noopener",
)
_BLOCK = re.compile(r"<(p|h2|h3|ul|ol)[ >]")


def clean_transcript(text: str) -> str:
    """Transcript HTML reduced to safe tags; text without paragraphs is made into paragraphs.

    Keeps p, br, strong, em, ul, ol, li, h2, h3 and links to http(s) addresses (with
    rel="noopener"); removes scripts, styles, event handlers, images and everything else.
    Plain text (or HTML with no block) is split into paragraphs at empty lines, with line
    breaks kept. Idempotent: cleaning a cleaned transcript changes nothing.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    cleaned = _cleaner.clean(text).strip()
    if not _BLOCK.search(cleaned):
        # Safe already (escaped text and inline tags): wrapping it adds only <p> and <br>;
        # the second pass balances a tag an empty line happened to split.
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", cleaned) if p.strip()]
        cleaned = _cleaner.clean("".join(f"<p>{'<br>'.join(p.splitlines())}</p>" for p in paragraphs)).strip()
    return cleaned


def check_transcript(text: str) -> str:
    """The cleaned transcript. Raises UploadRefused when it is too long or holds no words."""
    if len(text) > MAX_TRANSCRIPT_CHARS:
        raise UploadRefused(_("The transcript is longer than ${count} characters. Shorten it; nothing was saved.",
                              mapping={"count": MAX_TRANSCRIPT_CHARS}), field="transcript")
    cleaned = clean_transcript(text)
    if not _words(cleaned):
        raise UploadRefused(_("Write the transcript: the words of the recording, for visitors who cannot hear it. "
                              "Nothing was saved."), field="transcript")
    return cleaned


def _words(html: str) -> str:
    return nh3.clean(html, tags=set()).strip()


def check_captions(data: bytes) -> bytes:
    """A WebVTT file's bytes. Raises UploadRefused when it is not one."""
    if len(data) > MAX_CAPTIONS_BYTES:
        raise too_large(MAX_CAPTIONS_BYTES, field="captions")
    text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        decoded = ""
    first_line = decoded.split("\n", 1)[0].rstrip("\r")
    if not (first_line == "WEBVTT" or first_line.startswith(("WEBVTT ", "WEBVTT\t"))) or "\x00" in decoded:
        raise UploadRefused(_("The captions file must be a WebVTT file (.vtt, its first line is WEBVTT). "
                              "Nothing was saved."), field="captions")
    return data


# --- storing ------------------------------------------------------------------------------

def save_track(dbsession, store, stop, locale: str, *, audio: CheckedAudio | None = None,
               transcript: str | None = None, captions: bytes | None = None) -> Track:
    """Create or replace `stop`'s track in `locale` (one per stop and language).

    `audio` replaces the recording; `transcript` (raw, cleaned here) and `captions` (checked
    WebVTT) replace theirs when given. A new track needs both a recording and a transcript.
    Raises UploadRefused before writing anything. Files are put in the media store (named
    by their content, so a replaced recording gets a new key) before the row changes; a
    rolled-back transaction leaves at most an unused file behind.
    """
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}")
    # One upload per stop at a time: two people replacing the same language wait for each other.
    dbsession.execute(select(Stop.id).where(Stop.id == stop.id).with_for_update())
    track = dbsession.scalar(select(Track).where(Track.stop_id == stop.id, Track.locale == locale))
    cleaned = check_transcript(transcript) if transcript is not None and transcript.strip() else None
    if track is None:
        if audio is None:
            raise UploadRefused(_("Choose the recording to upload."))
        if cleaned is None:
            raise UploadRefused(_("Write the transcript too: visitors who cannot hear the recording read it "
                                  "instead. Nothing was saved."), field="transcript")
    if captions is not None:
        captions = check_captions(captions)
    if track is None:
        track = Track(locale=locale)
        stop.tracks.append(track)
    if audio is not None:
        track.audio_key = store.put(audio.data, audio.format.extension)
        track.content_type = audio.format.content_type
        track.size_bytes = len(audio.data)
        track.duration_seconds = audio.duration_seconds
    if cleaned is not None:
        track.transcript_html = cleaned
    if captions is not None:
        track.vtt_key = store.put(captions, "vtt")
    dbsession.flush()
    return track
