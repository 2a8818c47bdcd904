"""QR posters: one A4 page per stop, to print and fix at the stop.

Each page shows the stop's keypad number very large, its title in Vietnamese and English,
the tour's title, and a QR code of the stop's address with the address written below for
anyone who types it. The QR is at error correction H (30 % of it may be dirty, faded or
torn and it still scans: posters live outdoors) and holds the address in upper case:
"HTTPS://LANGVIET.VN/G/BT1". Upper-case letters, digits and ":/." are QR's alphanumeric
mode, which takes 5.5 bits a character instead of 8, so the code stays at version 3
(29×29) instead of 4 and its modules print larger. Scheme and host are case-insensitive;
the path /G/<CODE> is answered with a redirect to /g/<CODE> (console_views).

Like tourism.tickets.pdf, this module reads no catalog: the caller passes the fixed words
already in Vietnamese and English (`PosterLabels`).
"""
import io
from dataclasses import dataclass
from urllib.parse import urlsplit

from reportlab.graphics.barcode import qrencoder
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepInFrame, PageBreak, Paragraph, SimpleDocTemplate, Spacer

from audio_guides.models import Tour
from audio_guides.services import stop_text, tour_text
from tourism.tickets.fonts import FontSet
from tourism.tickets.pdf import ACCENT, INK, MUTED, QrCode

POSTER_LANGUAGES = ("vi", "en")
QR_LEVEL = "H"
QR_SIZE = 100 * mm
MARGIN = 15 * mm


@dataclass(frozen=True)
class PosterLabels:
    """A poster's fixed words in one language, translated by the caller."""

    stop: str  # "Stop" (above the keypad number)
    # "Scan or go to {address}": the literal placeholder {address} is replaced here.
    scan: str


DEFAULT_LABELS = {"vi": PosterLabels("Điểm dừng", "Quét mã hoặc vào {address}"),
                  "en": PosterLabels("Stop", "Scan or go to {address}")}


def poster_url(base_url: str, code: str) -> str:
    """The address the QR holds: the site's, upper case, then /G/<CODE>.

    Only scheme and host are upper-cased (they are case-insensitive); a path the site is
    mounted under keeps its case, at the cost of the compact mode.
    """
    parts = urlsplit(base_url.rstrip("/"))
    return f"{parts.scheme}://{parts.netloc}".upper() + parts.path + f"/G/{code}"


def typed_address(base_url: str, code: str) -> str:
    """The address as a person types it: "langviet.vn/g/BT1" (no scheme, lower-case host)."""
    parts = urlsplit(base_url.rstrip("/"))
    return f"{parts.netloc.lower()}{parts.path}/g/{code}"


class PosterQr(QrCode):
    """tourism's QR flowable at error correction H (the encoder picks alphanumeric mode
    when the text allows it)."""

    def __init__(self, text: str, size: float = QR_SIZE):
        Flowable.__init__(self)
        encoder = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, QR_LEVEL))
        encoder.addData(text)
        encoder.make()
        self.hAlign = "CENTER"
        self.code = text
        self.modules = encoder.modules
        self.size = size
        self.border = 4


def _styles(fonts: FontSet) -> dict[str, ParagraphStyle]:
    regular = dict(fontName=fonts.regular[0], alignment=TA_CENTER, textColor=INK)
    return {
        "brand": ParagraphStyle("brand", fontSize=12, leading=15, **dict(regular, textColor=ACCENT)),
        "tour": ParagraphStyle("tour", fontSize=11, leading=14, **dict(regular, textColor=MUTED)),
        "label": ParagraphStyle("label", fontSize=16, leading=20, **dict(regular, textColor=MUTED)),
        "number": ParagraphStyle("number", fontSize=120, leading=124, **regular),
        "title": ParagraphStyle("title", fontSize=28, leading=34, **regular),
        "title_en": ParagraphStyle("title_en", fontSize=20, leading=25, **dict(regular, textColor=MUTED)),
        "scan": ParagraphStyle("scan", fontSize=14, leading=19, **regular),
    }


def _para(fonts: FontSet, styles, text: str, style: str, bold: bool = False) -> Paragraph:
    markup = fonts.markup(text, bold)
    if bold:
        markup = f'<font name="{fonts.bold[0]}">{markup}</font>'
    return Paragraph(markup, styles[style])


def _scan_line(fonts: FontSet, styles, label: str, address: str) -> Paragraph:
    """"Scan or go to {address}" with the address in bold, to be read and typed."""
    before, placeholder, after = label.partition("{address}")
    if not placeholder:  # a translation that lost the placeholder still shows the address
        before, after = label + " ", ""
    bold = f'<font name="{fonts.bold[0]}">{fonts.markup(address, bold=True)}</font>'
    return Paragraph(fonts.markup(before) + bold + fonts.markup(after), styles["scan"])


def tour_posters_pdf(tour: Tour, base_url: str, fonts: FontSet,
                     labels: dict[str, PosterLabels] | None = None) -> bytes:
    """The tour's posters, one A4 page per stop in the tour's order; `labels` by language
    ("vi", "en"), defaulting to DEFAULT_LABELS. A tour without stops gives one page saying so."""
    labels = labels or DEFAULT_LABELS
    styles = _styles(fonts)
    vi, en = (labels[code] for code in POSTER_LANGUAGES)
    tour_titles = _both(tour_text(tour, "vi"), tour_text(tour, "en"))
    width, height = A4
    story = []
    for stop in tour.stops:
        titles = _both(stop_text(stop, "vi"), stop_text(stop, "en"))
        address = typed_address(base_url, stop.code)
        page = [
            _para(fonts, styles, "LàngViệt · " + tour_titles[0], "brand", bold=True),
            *[_para(fonts, styles, title, "tour") for title in tour_titles[1:]],
            Spacer(0, 6 * mm),
            _para(fonts, styles, f"{vi.stop} · {en.stop}" if vi.stop != en.stop else vi.stop, "label"),
            _para(fonts, styles, str(stop.keypad_number), "number", bold=True),
            Spacer(0, 8 * mm),
            _para(fonts, styles, titles[0], "title", bold=True),
            *[_para(fonts, styles, title, "title_en") for title in titles[1:]],
            Spacer(0, 6 * mm),
            PosterQr(poster_url(base_url, stop.code)),
            Spacer(0, 4 * mm),
            *[_scan_line(fonts, styles, label, address) for label in dict.fromkeys((vi.scan, en.scan))],
        ]
        # Whatever the titles' length, a stop stays on its own page.
        story += [KeepInFrame(width - 2 * MARGIN, height - 2 * MARGIN - 1, page, mode="shrink"), PageBreak()]
    if not story:
        story = [_para(fonts, styles, tour_titles[0], "title", bold=True)]
    else:
        story.pop()  # no empty page after the last stop
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=" · ".join(tour_titles), author="LàngViệt", lang="vi",
                            initialFontName=fonts.regular[0])  # not Helvetica, which is never embedded
    doc.build(story)
    return buffer.getvalue()


def _both(vi, en) -> list[str]:
    """[Vietnamese, English] texts' titles, without the English when it is the same text."""
    titles = [t.value.title for t in (vi, en) if t is not None]
    return list(dict.fromkeys(titles)) or [""]
