"""Builders for audio-guide tests: tours with stops, and tiny recordings in every container.

The recordings are made here, byte by byte, so the tests need no encoder: frames of
silence with real headers, which mutagen (and the EBML reader) read like any file. Where
`lame` or `sox` is installed, tests also try files those real encoders wrote.
"""
import struct

from mutagen.ogg import OggPage

from audio_guides.models import Stop, StopText, Tour, TourText, Track
from tourism.catalog.models import PublicationStatus


def make_tour(dbsession, village, slug="tour-thu", *, status=PublicationStatus.PUBLISHED, stops=3,
              prefix="T", titles=None) -> Tour:
    """A tour of `village` with `stops` stops: codes <prefix>2, <prefix>3…, keypad numbers 1…,
    titles in Vietnamese and English ("Điểm 1" / "Stop 1" unless `titles` gives (vi, en) pairs)."""
    tour = Tour(slug=slug, village=village, status=status)
    tour.texts = [TourText(locale="vi", title=f"Tham quan {slug}", summary=""),
                  TourText(locale="en", title=f"Tour of {slug}", summary="")]
    for number in range(1, stops + 1):
        vi, en = titles[number - 1] if titles else (f"Điểm {number}", f"Stop {number}")
        stop = Stop(position=number, code=f"{prefix}{number + 1}", keypad_number=number)
        stop.texts = [StopText(locale="vi", title=vi, summary=""), StopText(locale="en", title=en, summary="")]
        tour.stops.append(stop)
    dbsession.add(tour)
    dbsession.flush()
    return tour


def add_track(dbsession, stop, locale="vi", *, key=None, size=1234, duration=61.5, transcript="<p>Xin chào</p>"):
    track = Track(locale=locale, audio_key=key or ("a" * 64 + ".mp3"), content_type="audio/mpeg",
                  size_bytes=size, duration_seconds=duration, transcript_html=transcript)
    stop.tracks.append(track)
    dbsession.flush()
    return track


# --- recordings -----------------------------------------------------------------------------

def mp3(seconds=2.0, id3=True) -> bytes:
    """MPEG-1 Layer III, 128 kbps, 44.1 kHz: 417-byte frames of silence (1152 samples each)."""
    header = bytes([0xFF, 0xFB, 0x90, 0x64])
    frames = max(1, round(seconds * 44100 / 1152))
    body = (header + bytes(413)) * frames
    if not id3:
        return body
    tag = b"TIT2" + struct.pack(">I", 6) + b"\x00\x00" + b"\x03Stop"  # one text frame: a title
    return b"ID3\x03\x00\x00" + _syncsafe(len(tag)) + tag + body


def _syncsafe(n: int) -> bytes:
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def adts(seconds=2.0) -> bytes:
    """AAC-LC in ADTS frames, 44.1 kHz stereo; each 1024-sample frame 200 bytes."""
    length = 200
    header = bytes([
        0xFF, 0xF1,  # sync, MPEG-4, layer 0, no CRC
        (1 << 6) | (4 << 2) | (2 >> 2),  # profile LC (1), 44.1 kHz (index 4), channel config high bit
        ((2 & 3) << 6) | (length >> 11),
        (length >> 3) & 0xFF,
        ((length & 7) << 5) | 0x1F,  # buffer fullness 0x7FF (VBR)
        0xFC,
    ])
    frames = max(1, round(seconds * 44100 / 1024))
    return (header + bytes(length - len(header))) * frames


def _ogg(packets_per_page: list[tuple[list[bytes], int]]) -> bytes:
    out = []
    for sequence, (packets, position) in enumerate(packets_per_page):
        page = OggPage()
        page.serial, page.sequence, page.position, page.packets = 0x4C56, sequence, position, packets
        page.first = sequence == 0
        page.last = sequence == len(packets_per_page) - 1
        out.append(page.write())
    return b"".join(out)


def ogg_opus(seconds=2.0) -> bytes:
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 8) + b"langviet" + struct.pack("<I", 0)
    silence = bytes([0xF8, 0xFF, 0xFE])  # one 20 ms CELT frame of silence
    frames = max(1, round(seconds * 50))
    pages, done = [([head], 0), ([tags], 0)], 0
    while done < frames:
        count = min(50, frames - done)
        done += count
        pages.append(([silence] * count, 312 + done * 960))
    return _ogg(pages)


def ogg_vorbis(seconds=2.0) -> bytes:
    ident = b"\x01vorbis" + struct.pack("<IBIiiiBB", 0, 1, 44100, 0, 64000, 0, 0xB8, 1)
    comment = b"\x03vorbis" + struct.pack("<I", 8) + b"langviet" + struct.pack("<I", 0) + b"\x01"
    setup = b"\x05vorbis" + bytes(16)
    return _ogg([([ident], 0), ([comment, setup], 0), ([bytes(20)] * 10, round(seconds * 44100))])


def ogg_flac() -> bytes:
    return _ogg([([b"\x7fFLAC\x01\x00\x00\x01fLaC" + bytes(38)], 0), ([bytes(10)], 44100)])


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full(kind: bytes, payload: bytes, version=0, flags=0) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags) + payload)


def _trak(handler: bytes, sample_entry: bytes, timescale: int, duration: int) -> bytes:
    mdhd = _full(b"mdhd", struct.pack(">IIIIHH", 0, 0, timescale, duration, 0x55C4, 0))
    hdlr = _full(b"hdlr", struct.pack(">I", 0) + handler + bytes(12) + b"\x00")
    stsd = _full(b"stsd", struct.pack(">I", 1) + sample_entry)
    stbl = _box(b"stbl", stsd)
    return _box(b"trak", _box(b"mdia", mdhd + hdlr + _box(b"minf", stbl)))


def _mp4a(sample_rate=44100) -> bytes:
    # AudioSampleEntry: 6 reserved, data reference index, 8 reserved, channels, sample size,
    # 4 reserved, rate 16.16; then an esds box naming AAC-LC (object type 0x40).
    entry = bytes(6) + struct.pack(">H", 1) + bytes(8) + struct.pack(">HHI", 2, 16, 0) + struct.pack(">I", sample_rate << 16)
    decoder_specific = b"\x05\x02\x12\x10"
    decoder_config = b"\x04" + bytes([13 + len(decoder_specific)]) + b"\x40\x15" + bytes(3) + \
        struct.pack(">II", 128000, 128000) + decoder_specific
    es = b"\x03" + bytes([3 + len(decoder_config) + 3]) + b"\x00\x01\x00" + decoder_config + b"\x06\x01\x02"
    return _box(b"mp4a", entry + _full(b"esds", es))


def m4a(seconds=2.0, video=False, brand=b"M4A ") -> bytes:
    ftyp = _box(b"ftyp", brand + struct.pack(">I", 0) + b"M4A mp42isom")
    mvhd = _full(b"mvhd", struct.pack(">IIII", 0, 0, 1000, round(seconds * 1000)) + bytes(80))
    traks = _trak(b"soun", _mp4a(), 44100, round(seconds * 44100))
    if video:
        traks = _trak(b"vide", _box(b"avc1", bytes(78)), 90000, round(seconds * 90000)) + traks
    return ftyp + _box(b"moov", mvhd + traks) + _box(b"mdat", bytes(64))


def _ebml_id(element: int) -> bytes:
    return element.to_bytes((element.bit_length() + 7) // 8, "big")


def _el(element: int, payload: bytes, unknown_size=False) -> bytes:
    size = b"\x01\xff\xff\xff\xff\xff\xff\xff" if unknown_size else b"\x01" + len(payload).to_bytes(7, "big")
    return _ebml_id(element) + size + payload


def _uint(element: int, value: int) -> bytes:
    return _el(element, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def webm(seconds=2.0, *, codec=b"A_OPUS", with_duration=True, video=False, doc_type=b"webm") -> bytes:
    """A WebM file: EBML header, Segment (unknown size, as MediaRecorder writes it) with Info,
    Tracks and one Cluster of 20 ms SimpleBlocks."""
    header = _el(0x1A45DFA3, _uint(0x4286, 1) + _el(0x4282, doc_type) + _uint(0x4287, 4) + _uint(0x4285, 2))
    info = _uint(0x2AD7B1, 1_000_000) + _el(0x4D80, b"langviet")
    if with_duration:
        info += _el(0x4489, struct.pack(">d", seconds * 1000))
    entries = _el(0xAE, _uint(0xD7, 1) + _uint(0x83, 2) + _el(0x86, codec))
    if video:
        entries += _el(0xAE, _uint(0xD7, 2) + _uint(0x83, 1) + _el(0x86, b"V_VP8"))
    blocks = b"".join(_el(0xA3, b"\x81" + struct.pack(">h", t) + b"\x80" + b"\xf8\xff\xfe")
                      for t in range(0, round(seconds * 1000) + 1, 20))
    cluster = _el(0x1F43B675, _uint(0xE7, 0) + blocks, unknown_size=True)
    return header + _el(0x18538067, _el(0x1549A966, info) + _el(0x1654AE6B, entries) + cluster, unknown_size=True)
