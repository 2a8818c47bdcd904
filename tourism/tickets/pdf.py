"""PDF tickets, VietQR transfer slips and session manifests, drawn with reportlab.

Each takes a dataclass of already-localised strings and returns the PDF's bytes: this module
never reads the database or a translation catalog, so it is fast to test and the caller
decides the language (the booker's for a ticket, the operator's for a manifest). Text is
set through `fonts.FontSet`, which switches font per run so Vietnamese, Korean, Chinese
and Japanese all render, and the fonts are embedded (subset) in every PDF.
"""
import io
import itertools
from dataclasses import dataclass, field

from reportlab.graphics.barcode import qrencoder
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (Flowable, KeepTogether, LongTable, Paragraph, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

from tourism.tickets.fonts import FontSet, load_fonts

# A6's width and a phone screen's proportions: reads on a phone, prints on A4 or A6.
TICKET_PAGE = (105 * mm, 200 * mm)
QR_SIZE = 58 * mm
# M restores 15 % of damaged modules and keeps a 129-character code at version 6 (41×41),
# so the modules stay large enough for a cracked phone screen under village sunlight.
QR_LEVEL = "M"
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
ACCENT = colors.HexColor("#9c3d10")  # Bát Tràng glaze brown
RULE = colors.HexColor("#cbd2d9")
STRIPE = colors.HexColor("#f5f7fa")


@dataclass(frozen=True)
class TicketLabels:
    """The ticket's fixed words, translated by the caller."""

    heading: str  # "Ticket"
    reference: str  # "Booking reference"
    show_code: str  # "Show this code at the village"
    when: str
    meeting_point: str
    party: str
    total: str
    products: str  # "To pick up at the village"
    policy: str  # "Cancellation policy"


@dataclass(frozen=True)
class TicketData:
    """Everything a ticket shows, already in the booker's language and time zone."""

    title: str
    village: str
    when: str  # "Saturday, 14 March 2026, 07:00"
    time_zone: str  # "Vietnam Time (GMT+07:00)"
    meeting_point: str  # may be empty
    party_lines: list[str]  # ["2 × Adult", "1 × Child"]
    total: str  # "700.000 ₫ — paid"
    reference: str  # as printed: "ABCD-EFGH"
    code: str  # the signed code the QR carries (codes.sign_ticket)
    guest_name: str
    labels: TicketLabels
    policy_lines: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)  # may be empty
    document_title: str = ""
    language: str = ""  # BCP 47, for screen readers: "vi", "ko"


@dataclass(frozen=True)
class TransferSlipLabels:
    """The transfer slip's fixed words, translated by the caller."""

    heading: str  # "Bank transfer"
    scan: str  # "Scan with your banking app: amount and message are filled in"
    bank: str
    account: str  # "Account number"
    account_name: str
    amount: str
    message: str  # "Transfer message"
    deadline: str  # "Pay before"
    booking: str  # "Booking"
    name: str
    when: str
    note: str  # what happens once the money arrives, or arrives late


@dataclass(frozen=True)
class TransferSlipData:
    """A VietQR transfer to make, already in the booker's language and time zone."""

    title: str
    village: str
    when: str  # "Saturday, 14 March 2026, 07:00"
    time_zone: str  # "Vietnam Time (GMT+07:00)"
    payload: str  # the VietQR (EMVCo) string the QR carries
    bank_name: str
    account: str
    account_name: str
    amount: str  # "700.000 ₫"
    reference: str  # as printed and to be typed as the message: "ABCD-EFGH"
    deadline: str  # "Tuesday, 1 December 2026, 08:15 · Vietnam Time (GMT+07:00)"
    guest_name: str
    labels: TransferSlipLabels
    document_title: str = ""
    language: str = ""  # BCP 47


@dataclass(frozen=True)
class ManifestLabels:
    heading: str  # "Guest list"
    name: str
    reference: str
    payment: str  # "Paid / due"
    language: str
    checked_in: str  # "Here"
    total: str
    # Localised, with the literal placeholders {page} and {pages}: "Page {page} of {pages}".
    page: str


@dataclass(frozen=True)
class ManifestGuest:
    name: str
    reference: str
    party: tuple[int, ...]  # one count per ManifestData.tiers, in that order
    payment: str  # "Paid" / "Due 350.000 ₫"
    due: bool  # set in bold, so the guide collects it
    language: str
    admitted: int = 0  # people already checked in: "2/3" replaces the box once any are in
    products: str = ""  # the village's products bought with the booking, under the name


@dataclass(frozen=True)
class ManifestData:
    """One session's guests, in the operator's language."""

    title: str
    village: str
    when: str
    time_zone: str
    tiers: tuple[str, ...]  # tier labels, the party columns
    guests: list[ManifestGuest]
    labels: ManifestLabels
    printed: str = ""  # "Printed 14/03/2026 06:12"
    summary: str = ""  # "18 bookings, 42 guests"
    language: str = ""  # BCP 47


class _Styles:
    """Paragraph styles in the fonts' names, with a CJK line-breaking twin of each.

    Chinese and Japanese have no spaces to break at; reportlab's 'CJK' wrapping breaks
    between any two characters, which would split Latin words, so it is used only for
    paragraphs that contain CJK text.
    """

    def __init__(self, fonts: FontSet):
        self.fonts = fonts
        base = dict(fontName=fonts.regular[0], textColor=INK)
        self._styles = {
            "small": ParagraphStyle("small", fontSize=7.5, leading=9.5, **dict(base, textColor=MUTED)),
            "body": ParagraphStyle("body", fontSize=9, leading=11.5, **base),
            "label": ParagraphStyle("label", fontSize=7, leading=9, **dict(base, textColor=MUTED)),
            "brand": ParagraphStyle("brand", fontSize=9, leading=11, **dict(base, textColor=ACCENT)),
            "title": ParagraphStyle("title", fontSize=13, leading=16, **base),
            "center": ParagraphStyle("center", fontSize=8, leading=10, alignment=TA_CENTER,
                                     **dict(base, textColor=MUTED)),
            "reference": ParagraphStyle("reference", fontSize=24, leading=28, alignment=TA_CENTER, **base),
            "cell": ParagraphStyle("cell", fontSize=8.5, leading=10.5, **base),
            "head": ParagraphStyle("head", fontSize=7.5, leading=9, **dict(base, textColor=MUTED)),
        }
        self._cjk = {name: ParagraphStyle(f"{name}_cjk", parent=style, wordWrap="CJK")
                     for name, style in self._styles.items()}

    def para(self, text: str, style: str, bold: bool = False) -> Paragraph:
        runs = self.fonts.runs(text, bold)
        chain = self.fonts.bold if bold else self.fonts.regular
        cjk = any(font != chain[0] for font, _ in runs)
        markup = self.fonts.markup(text, bold)
        if bold:
            markup = f'<font name="{chain[0]}">{markup}</font>'
        return Paragraph(markup, (self._cjk if cjk else self._styles)[style])


# --- ticket -------------------------------------------------------------------------------

class QrCode(Flowable):
    """The code as a QR (error correction M, alphanumeric mode) with its 4-module quiet zone.

    reportlab's own encoder makes the matrix; the modules are drawn as one filled path
    rather than through QrCodeWidget, whose hundreds of validated shapes took two thirds
    of a ticket's time.
    """

    def __init__(self, code: str, size: float = QR_SIZE, border: int = 4, hAlign: str = "CENTER"):
        super().__init__()
        self.hAlign = hAlign
        encoder = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, QR_LEVEL))
        encoder.addData(code)  # picks the alphanumeric mode for a ticket code
        encoder.make()
        self.code = code
        self.modules = encoder.modules
        self.size = size
        self.border = border

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        count = len(self.modules)
        box = self.size / (count + 2 * self.border)
        path = self.canv.beginPath()
        for r, row in enumerate(self.modules):
            y = self.size - (r + self.border + 1) * box
            c = 0
            for dark, run in itertools.groupby(row):
                length = len(list(run))
                if dark:
                    path.rect((c + self.border) * box, y, length * box, box)
                c += length
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)


def ticket_pdf(ticket: TicketData, *, fonts: FontSet | None = None) -> bytes:
    """A one-booking ticket: QR and reference first (what the gate needs), then the details.

    `fonts` defaults to the Debian font directories (fonts.load_fonts); raises
    ConfigurationError when the fonts are missing.
    """
    s = _Styles(fonts or load_fonts())
    labels = ticket.labels
    story = [
        s.para(f"LàngViệt · {labels.heading}", "brand", bold=True),
        Spacer(0, 1 * mm),
        s.para(ticket.title, "title", bold=True),
        s.para(ticket.village, "body"),
        Spacer(0, 2 * mm),
        QrCode(ticket.code),
        s.para(labels.show_code, "center"),
        Spacer(0, 2 * mm),
        s.para(labels.reference, "center"),
        s.para(ticket.reference, "reference", bold=True),
        s.para(ticket.guest_name, "center"),
        Spacer(0, 3 * mm),
    ]
    rows = [
        (labels.when, [ticket.when, ticket.time_zone]),
        (labels.meeting_point, [ticket.meeting_point] if ticket.meeting_point else []),
        (labels.party, ticket.party_lines),
        (labels.total, [ticket.total]),
    ]
    details = [[s.para(label, "label"), [s.para(line, "body") for line in lines]] for label, lines in rows if lines]
    story.append(Table(details, colWidths=[24 * mm, None], style=_details_style(s.fonts.regular[0])))
    if ticket.products:
        story.append(KeepTogether([Spacer(0, 3 * mm), s.para(labels.products, "label", bold=True),
                                   *[s.para(f"• {line}", "body") for line in ticket.products]]))
    if ticket.policy_lines:
        story.append(KeepTogether([Spacer(0, 3 * mm), s.para(labels.policy, "label", bold=True),
                                   *[s.para(line, "small") for line in ticket.policy_lines]]))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=TICKET_PAGE, leftMargin=7 * mm, rightMargin=7 * mm,
                            topMargin=7 * mm, bottomMargin=7 * mm, title=ticket.document_title or ticket.title,
                            author="LàngViệt", subject=ticket.reference, lang=ticket.language or None,
                            initialFontName=s.fonts.regular[0])  # not Helvetica, which is never embedded
    doc.build(story)
    return buffer.getvalue()


def transfer_slip_pdf(slip: TransferSlipData, *, fonts: FontSet | None = None) -> bytes:
    """One page to pay a VietQR transfer from: the QR first (a banking app scans it from the
    screen or from paper), then the details for typing it by hand, the deadline and the booking.

    Same page as a ticket, so it reads on a phone. `fonts` defaults to the Debian font
    directories (fonts.load_fonts); raises ConfigurationError when the fonts are missing.
    """
    s = _Styles(fonts or load_fonts())
    labels = slip.labels
    story = [
        s.para(f"LàngViệt · {labels.heading}", "brand", bold=True),
        Spacer(0, 2 * mm),
        QrCode(slip.payload),  # alphanumeric mode, level M: what banking apps read
        s.para(labels.scan, "center"),
        Spacer(0, 2 * mm),
        s.para(labels.amount, "center"),
        s.para(slip.amount, "reference", bold=True),
        Spacer(0, 3 * mm),
    ]
    transfer = [
        (labels.bank, [slip.bank_name]),
        (labels.account, [slip.account]),
        (labels.account_name, [slip.account_name]),
        (labels.message, [slip.reference]),
        (labels.deadline, [slip.deadline]),
    ]
    # The values a guest types by hand are bold: a wrong digit sends the money elsewhere.
    bold = {labels.account, labels.message}
    story.append(Table([[s.para(label, "label"), [s.para(line, "body", bold=label in bold) for line in lines]]
                        for label, lines in transfer],
                       colWidths=[26 * mm, None], style=_details_style(s.fonts.regular[0])))
    booking = [
        (labels.booking, [slip.title, slip.village]),
        (labels.when, [slip.when, slip.time_zone]),
        (labels.name, [slip.guest_name]),
    ]
    story += [
        Spacer(0, 3 * mm),
        Table([[s.para(label, "label"), [s.para(line, "body") for line in lines]] for label, lines in booking],
              colWidths=[26 * mm, None], style=_details_style(s.fonts.regular[0])),
        Spacer(0, 3 * mm),
        s.para(labels.note, "small"),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=TICKET_PAGE, leftMargin=7 * mm, rightMargin=7 * mm,
                            topMargin=7 * mm, bottomMargin=7 * mm,
                            title=slip.document_title or f"{labels.heading} {slip.reference}", author="LàngViệt",
                            subject=slip.reference, lang=slip.language or None,
                            initialFontName=s.fonts.regular[0])  # not Helvetica, which is never embedded
    doc.build(story)
    return buffer.getvalue()


def _details_style(font: str) -> TableStyle:
    return TableStyle([
        ("FONT", (0, 0), (-1, -1), font),  # a table's default, Helvetica, would be listed unembedded
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEABOVE", (0, 0), (-1, -1), 0.5, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ])


# --- manifest ----------------------------------------------------------------------------

class _CheckBox(Flowable):
    """An empty square to tick; one instance serves every row (it keeps no state)."""

    def __init__(self, size: float = 4.5 * mm):
        super().__init__()
        self.size = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        self.canv.setStrokeColor(INK)
        self.canv.setLineWidth(0.8)
        self.canv.rect(0, 0, self.size, self.size)


def _numbered_canvas(draw_page):
    """A canvas class that holds pages back until the end, so each can say "page 3 of 12"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                draw_page(self, number, len(self._pages))
                super().showPage()
            super().save()

    return NumberedCanvas


def manifest_pdf(manifest: ManifestData, *, fonts: FontSet | None = None) -> bytes:
    """A session's guest list on A4: a check-in box, name, reference, party per tier,
    paid or due, language; the column headings repeat on every page, and each page says
    which session it belongs to and "page n of N"."""
    fonts = fonts or load_fonts()
    s = _Styles(fonts)
    labels = manifest.labels
    page_width, page_height = A4
    margin = 12 * mm
    tier_width = 13 * mm
    # The language column fits "Vietnamese" on one line (at 22 mm it broke mid-word).
    fixed = [12 * mm, None, 23 * mm, *[tier_width] * len(manifest.tiers), 34 * mm, 26 * mm]
    name_width = page_width - 2 * margin - sum(w for w in fixed if w)
    widths = [name_width if w is None else w for w in fixed]

    header = [s.para(labels.checked_in, "head"), s.para(labels.name, "head"), s.para(labels.reference, "head"),
              *[s.para(tier, "head") for tier in manifest.tiers],
              s.para(labels.payment, "head"), s.para(labels.language, "head")]
    box = _CheckBox()
    rows = [header]
    totals = [0] * len(manifest.tiers)
    admitted = 0
    for guest in manifest.guests:
        for i, count in enumerate(guest.party):
            totals[i] += count
        admitted += guest.admitted
        # Printed during the session: who is already in shows as "2/3" instead of a blank box.
        here = f"{guest.admitted}/{sum(guest.party)}" if guest.admitted else box
        name = [s.para(guest.name, "cell"), s.para(guest.products, "small")] if guest.products else \
            s.para(guest.name, "cell")
        rows.append([here, name, guest.reference,
                     *[str(count) if count else "" for count in guest.party],
                     s.para(guest.payment, "cell", bold=guest.due), s.para(guest.language, "cell")])
    rows.append([f"{admitted}/{sum(totals)}" if admitted else "", s.para(labels.total, "cell", bold=True), "",
                 *[str(t) for t in totals], "", ""])

    first_tier, last_tier = 3, 2 + len(manifest.tiers)
    style = [
        ("FONT", (0, 0), (-1, -1), fonts.regular[0], 8.5),
        ("FONT", (2, 1), (2, -1), fonts.bold[0], 8.5),  # references are Latin: read them at a glance
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (first_tier, 0), (last_tier, -1), "CENTER"),
        ("ALIGN", (0, 1), (0, -1), "CENTER"),
        ("LINEBELOW", (0, 0), (-1, 0), 1, INK),
        ("LINEBELOW", (0, 1), (-1, -2), 0.3, RULE),
        ("LINEABOVE", (0, -1), (-1, -1), 1, INK),
        ("FONT", (first_tier, -1), (last_tier, -1), fonts.bold[0], 8.5),
        ("ROWBACKGROUNDS", (0, 1), (-1, -2), [colors.white, STRIPE]),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    table = LongTable(rows, colWidths=widths, repeatRows=1, style=style)

    def draw_page(canvas, number, count):
        _manifest_header(canvas, fonts, manifest, page_width, page_height, margin)
        canvas.setFont(fonts.regular[0], 7.5)
        canvas.setFillColor(MUTED)
        footer = labels.page.replace("{page}", str(number)).replace("{pages}", str(count))
        _draw_runs(canvas, fonts, page_width - margin, margin - 6 * mm, footer, 7.5, align="right")
        if manifest.printed:
            _draw_runs(canvas, fonts, margin, margin - 6 * mm, manifest.printed, 7.5)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=margin, rightMargin=margin,
                            topMargin=margin + 17 * mm, bottomMargin=margin,
                            title=f"{labels.heading} — {manifest.title}", author="LàngViệt",
                            lang=manifest.language or None, initialFontName=fonts.regular[0])
    doc.build([table], canvasmaker=_numbered_canvas(draw_page))
    return buffer.getvalue()


def _manifest_header(canvas, fonts, manifest, page_width, page_height, margin):
    top = page_height - margin
    canvas.setFillColor(ACCENT)
    _draw_runs(canvas, fonts, margin, top - 4 * mm, f"{manifest.labels.heading} · {manifest.village}", 9, bold=True)
    canvas.setFillColor(INK)
    _draw_runs(canvas, fonts, margin, top - 10 * mm, manifest.title, 12, bold=True)
    canvas.setFillColor(MUTED)
    _draw_runs(canvas, fonts, margin, top - 15 * mm, f"{manifest.when} · {manifest.time_zone}", 8.5)
    if manifest.summary:
        _draw_runs(canvas, fonts, page_width - margin, top - 15 * mm, manifest.summary, 8.5, align="right")


def _draw_runs(canvas, fonts: FontSet, x, y, text, size, bold=False, align="left"):
    """One line of text at (x, y), switching font per run; `align` right ends it at x."""
    runs = fonts.runs(text, bold)
    if align == "right":
        x -= sum(canvas.stringWidth(chunk, font, size) for font, chunk in runs)
    for font, chunk in runs:
        canvas.setFont(font, size)
        canvas.drawString(x, y, chunk)
        x += canvas.stringWidth(chunk, font, size)
