"""Packaging labels: an A4 sheet of 24 labels (3 × 8 of 70 × 37 mm, the common die-cut
sheet) for one product batch, printed by the operator from the console.

Each label carries a QR code of the batch's traceability page (<base>/t/<CODE>), the
product's name in Vietnamese and English, the batch code, its harvest or production date,
the producer, the OCOP stars if any, and "Scan to see who made it". The fixed words are in
the staff member's language, like the manifest; fonts are tourism.tickets' embedded ones,
so Vietnamese, Korean, Chinese and Japanese names all render.

`label_sheet_pdf` reads no database and no catalog (fast to test); `label_data` gathers
and translates what it needs for a request.
"""
import io
from dataclasses import dataclass

import segno
from pyramid.response import Response
from pyramid.view import view_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepInFrame, Paragraph

from tourism.accounts.permissions import CONSOLE, OperatorResource, row_from_url
from tourism.i18n import _
from tourism.shop.models import ProductBatch
from tourism.tickets.fonts import FontSet, font_dirs, load_fonts
from tourism.tickets.pdf import ACCENT, INK, MUTED, QrCode

LABEL_WIDTH, LABEL_HEIGHT = 70 * mm, 37 * mm
COLUMNS, ROWS = 3, 8  # 210 × 296 mm: the whole A4 width, 0.5 mm spare in height
# Inside each label: die-cut sheets never sit exactly where the printer thinks they do.
PADDING = 3 * mm
QR_SIZE = 28 * mm
# Two modules of quiet zone in the symbol; the label's padding adds at least two more.
QR_BORDER = 2
# Q restores 25 % of damaged modules: labels get scuffed, creased and wet on the way home,
# and a batch URL is short enough to stay at version 3 (29 × 29) with modules near 0.8 mm.
QR_LEVEL = "q"
TEXT_GAP = 2.5 * mm


@dataclass(frozen=True)
class LabelData:
    """Everything a label shows, already in the staff member's language."""

    url: str  # the traceability page the QR opens
    names: list[str]  # the product's name in Vietnamese, then English (once when the same)
    code: str  # "Batch TC24XK"
    made_on: str  # "Made on 12 Mar 2026"
    producer: str  # "Producer: Hợp tác xã chè Tân Cương"
    scan: str  # "Scan to see who made it"
    ocop_stars: int | None = None
    title: str = ""  # the PDF's title
    language: str = ""  # BCP 47


class LabelQr(QrCode):
    """tickets' QR flowable (the modules drawn as one path), with segno's symbol at level Q."""

    def __init__(self, url: str, size: float = QR_SIZE):
        Flowable.__init__(self)
        self.hAlign = "LEFT"
        self.code = url
        self.modules = segno.make_qr(url, error=QR_LEVEL).matrix
        self.size = size
        self.border = QR_BORDER


def _styles(fonts: FontSet) -> dict[str, ParagraphStyle]:
    base = dict(fontName=fonts.regular[0], textColor=INK)
    return {
        "name": ParagraphStyle("name", fontSize=8.5, leading=10, **base),
        "name_en": ParagraphStyle("name_en", fontSize=7, leading=8.5, **dict(base, textColor=MUTED)),
        "ocop": ParagraphStyle("ocop", fontSize=7.5, leading=9.5, **dict(base, textColor=ACCENT)),
        "fact": ParagraphStyle("fact", fontSize=6.5, leading=8, **base),
        "scan": ParagraphStyle("scan", fontSize=6.5, leading=8, spaceBefore=2, **dict(base, textColor=ACCENT)),
    }


def _para(fonts: FontSet, styles, text: str, style: str, bold: bool = False) -> Paragraph:
    markup = fonts.markup(text, bold)
    if bold:
        markup = f'<font name="{fonts.bold[0]}">{markup}</font>'
    # Chinese and Japanese have no spaces to wrap at: break anywhere when the text has them.
    cjk = any(font not in (fonts.regular[0], fonts.bold[0]) for font, _chunk in fonts.runs(text, bold))
    return Paragraph(markup, ParagraphStyle(f"{style}_cjk", parent=styles[style], wordWrap="CJK")
                     if cjk else styles[style])


def _text_block(label: LabelData, fonts: FontSet, width: float, height: float) -> KeepInFrame:
    styles = _styles(fonts)
    names = label.names or [""]
    story = [_para(fonts, styles, names[0], "name", bold=True),
             *[_para(fonts, styles, name, "name_en") for name in names[1:]]]
    if label.ocop_stars:
        story.append(_para(fonts, styles, "OCOP " + "★" * label.ocop_stars, "ocop", bold=True))
    story += [_para(fonts, styles, label.code, "fact", bold=True),
              _para(fonts, styles, label.made_on, "fact"),
              _para(fonts, styles, label.producer, "fact"),
              _para(fonts, styles, label.scan, "scan")]
    # A long name or producer shrinks the text rather than spilling onto the next label.
    return KeepInFrame(width, height, story, mode="shrink")


def label_sheet_pdf(label: LabelData, fonts: FontSet) -> bytes:
    """One A4 page of COLUMNS × ROWS identical labels for `label`, fonts embedded."""
    page_width, page_height = A4
    left = (page_width - COLUMNS * LABEL_WIDTH) / 2
    top = page_height - (page_height - ROWS * LABEL_HEIGHT) / 2
    inner_height = LABEL_HEIGHT - 2 * PADDING
    text_width = LABEL_WIDTH - 2 * PADDING - QR_SIZE - TEXT_GAP
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, lang=label.language or None,
                    initialFontName=fonts.regular[0])  # not Helvetica, which is never embedded
    canvas.setTitle(label.title)
    canvas.setAuthor("LàngViệt")
    # Built and measured once, drawn 24 times.
    qr = LabelQr(label.url)
    qr.wrapOn(canvas, QR_SIZE, QR_SIZE)
    text = _text_block(label, fonts, text_width, inner_height)
    _width, text_height = text.wrapOn(canvas, text_width, inner_height)
    for row in range(ROWS):
        label_top = top - row * LABEL_HEIGHT
        for column in range(COLUMNS):
            x = left + column * LABEL_WIDTH + PADDING
            qr.drawOn(canvas, x, label_top - LABEL_HEIGHT + (LABEL_HEIGHT - QR_SIZE) / 2)
            text.drawOn(canvas, x + QR_SIZE + TEXT_GAP, label_top - PADDING - text_height)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- for a request: the batch's words in the staff member's language --------------------------

def product_names(product) -> list[str]:
    """The product's name in Vietnamese, then English, each once; any name it has otherwise."""
    names = {text.locale: text.name for text in product.texts}
    found = [names[locale] for locale in ("vi", "en") if names.get(locale)]
    return list(dict.fromkeys(found)) or [text.name for text in product.texts][:1] or [product.slug]


def label_data(request, batch: ProductBatch) -> LabelData:
    translate = request.localizer.translate
    product = batch.product
    names = product_names(product)
    return LabelData(
        url=request.route_url("shop.trace", code=batch.code),
        names=names,
        code=translate(_("Batch ${code}", mapping={"code": batch.code})),
        made_on=translate(_("Made on ${date}", mapping={"date": request.fmt.date(batch.made_on)})),
        producer=translate(_("Producer: ${name}", mapping={"name": product.producer})),
        scan=translate(_("Scan to see who made it")),
        ocop_stars=product.ocop_stars,
        title=f"{names[0]} · {batch.code}",
        language=request.locale_name,
    )


def labels_filename(batch: ProductBatch) -> str:
    return f"labels-{batch.product.slug}-{batch.code}.pdf"


# --- the console route ------------------------------------------------------------------------

def batch_resource(request) -> OperatorResource:
    """Route factory: the batch in the URL, owned by its product's village's operator (404 when unknown)."""
    batch = row_from_url(request, ProductBatch, "batch_id")
    return OperatorResource(batch.product.village.operator_id, batch)


@view_config(route_name="shop.batch_labels", request_method="GET", permission=CONSOLE)
def batch_labels(request):
    batch = request.context.obj
    data = label_sheet_pdf(label_data(request, batch), load_fonts(font_dirs(request.registry.settings)))
    response = Response(body=data, content_type="application/pdf")
    # Opened in the browser's viewer to print; no-store like the console's other PDFs.
    response.content_disposition = f'inline; filename="{labels_filename(batch)}"'
    response.cache_control = "no-store"
    return response


def includeme(config):
    # The label sheet for a batch, printed by the operator's staff (`shop.trace` is the
    # public page its QR opens).
    config.add_route("shop.batch_labels", "/console/batches/{batch_id}/labels.pdf", factory=batch_resource)
    config.scan(__name__)
