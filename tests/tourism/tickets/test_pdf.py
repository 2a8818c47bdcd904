"""PDF tickets and manifests: every script's text survives, the QR scans, pages are numbered."""
import io

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from tests.tourism.tickets.samples import NAMES, make_manifest, make_ticket
from tourism.tickets import pdf


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Text with line breaks (where a paragraph wrapped) and runs of spaces as one space."""
    return " ".join(text.split())


def font_resources(data: bytes) -> list:
    return [font.get_object() for page in PdfReader(io.BytesIO(data)).pages
            for font in page["/Resources"]["/Font"].values()]


@pytest.mark.parametrize("name", NAMES)
def test_a_ticket_keeps_every_script_intact(fonts, code, name):
    data = pdf.ticket_pdf(make_ticket(code, guest_name=name, products=[f"Bộ ấm chén cho {n}" for n in NAMES]),
                          fonts=fonts)
    assert data.startswith(b"%PDF-")
    text = flat("\n".join(pages_text(data)))
    for expected in (name, *NAMES, "Làm gốm cùng nghệ nhân Bát Tràng", "BT7K-Q2XM", "700.000 ₫",
                     "Hoàn tiền toàn bộ nếu huỷ trước ít nhất 48 giờ."):
        assert expected in text


def test_a_ticket_in_korean_wraps_and_renders(fonts, code):
    ticket = make_ticket(code, title="바트짱 장인과 함께하는 도자기 만들기", village="밧짱 도자기 마을",
                         policy_lines=["시작 48시간 전까지 취소하면 전액 환불됩니다." * 3], guest_name="김민준")
    text = flat("".join(pages_text(pdf.ticket_pdf(ticket, fonts=fonts))))
    assert "바트짱 장인과 함께하는 도자기 만들기" in text
    assert "김민준" in text


def test_every_font_is_embedded(fonts, code):
    for data in (pdf.ticket_pdf(make_ticket(code, guest_name="김민준"), fonts=fonts),
                 pdf.manifest_pdf(make_manifest(30), fonts=fonts)):
        names = set()
        for font in font_resources(data):
            # A TrueType subset carried in the file: no reader has to substitute anything.
            assert font["/Subtype"] == "/TrueType"
            assert "/FontFile2" in font["/FontDescriptor"]
            names.add(font["/BaseFont"].split("+")[1])
        assert {"DejaVuSans", "WenQuanYiMicroHei-0"} <= names


def test_the_qr_scans_back_to_the_signed_code(fonts, keys, code):
    """Render the PDF to pixels, as a phone camera would see it, and decode the QR."""
    data = pdf.ticket_pdf(make_ticket(code), fonts=fonts)
    page = pypdfium2.PdfDocument(data)[0]
    image = page.render(scale=150 / 72).to_pil()  # 150 dpi
    found = zxingcpp.read_barcodes(image)
    assert [(b.format, b.text) for b in found] == [(zxingcpp.BarcodeFormat.QRCode, code)]
    assert found[0].ec_level == "M"
    assert keys.verify(found[0].text).reference == "BT7KQ2XM"


def test_the_qr_holds_the_exact_code_in_alphanumeric_mode(code):
    qr = pdf.QrCode(code)
    assert qr.code == code
    assert len(qr.modules) == 41  # version 6: alphanumeric mode, error correction M


def test_a_ticket_without_optional_parts(fonts, code):
    ticket = make_ticket(code, meeting_point="", products=[], policy_lines=[])
    data = pdf.ticket_pdf(ticket, fonts=fonts)
    assert len(pages_text(data)) == 1
    text = pages_text(data)[0]
    assert "Điểm hẹn" not in text and "Nhận tại làng" not in text and "Chính sách huỷ" not in text


def test_the_usual_ticket_fits_one_page(fonts, code):
    assert len(pages_text(pdf.ticket_pdf(make_ticket(code), fonts=fonts))) == 1


def test_ticket_metadata(fonts, code):
    reader = PdfReader(io.BytesIO(pdf.ticket_pdf(make_ticket(code), fonts=fonts)))
    assert reader.metadata.title == "Làm gốm cùng nghệ nhân Bát Tràng"
    assert reader.metadata.subject == "BT7K-Q2XM"


def test_a_500_guest_manifest_repeats_its_header_on_every_page(fonts):
    manifest = make_manifest(500)
    pages = pages_text(pdf.manifest_pdf(manifest, fonts=fonts))
    assert len(pages) >= 5
    for number, text in enumerate(pages, start=1):
        for heading in ("Name", "Reference", "Adult", "Child", "Senior", "Paid / due", "Language", "Here"):
            assert heading in text, (number, heading)
        assert "Pottery with a Bát Tràng artisan" in text
        assert f"Page {number} of {len(pages)}" in text
    everything = "\n".join(pages)
    for guest in manifest.guests:
        assert guest.reference in everything
    for name in NAMES:
        assert everything.count(name) == 125
    # The totals row, on the last page: 1000 adults, 499 children (i % 3 summed), no seniors.
    assert "Total" in pages[-1] and "1000" in pages[-1] and "499" in pages[-1]


def test_an_empty_manifest_is_one_page(fonts):
    pages = pages_text(pdf.manifest_pdf(make_manifest(0), fonts=fonts))
    assert len(pages) == 1 and "Page 1 of 1" in pages[0] and "Total" in pages[0]
