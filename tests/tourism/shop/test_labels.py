"""Packaging labels: 24 labels on an A4 sheet, each QR opening the batch's traceability
page; every script's text survives; only the batch's operator's staff (and admins) print them."""
import io
from datetime import date

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from webtest import TestApp

from tests.factories import make_operator, make_staff, make_village, sign_in
from tourism.shop import labels
from tourism.shop.models import Product, ProductBatch, ProductText, Unit
from tourism.tickets.fonts import load_fonts

URL = "https://langviet.vn/t/TC24XK7M"


@pytest.fixture(scope="module")
def fonts():
    return load_fonts()


def sample(**fields) -> labels.LabelData:
    values = dict(url=URL, names=["Chè Tân Cương đặc biệt", "Tân Cương special green tea"], code="Lô TC24XK7M",
                  made_on="Ngày sản xuất: 12 thg 3, 2026", producer="Nhà sản xuất: Hợp tác xã chè Tân Cương",
                  scan="Quét mã để xem ai làm ra sản phẩm", ocop_stars=4, title="Chè Tân Cương · TC24XK7M",
                  language="vi")
    values.update(fields)
    return labels.LabelData(**values)


def pages(data: bytes) -> list[str]:
    """Each page's text, with line breaks (where a paragraph wrapped) and runs of spaces as one space."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def scanned(data: bytes) -> list[str]:
    """The QR codes a phone would read off the printed page (rendered at 150 dpi)."""
    image = pypdfium2.PdfDocument(data)[0].render(scale=150 / 72).to_pil()
    found = zxingcpp.read_barcodes(image)
    assert {b.format for b in found} == {zxingcpp.BarcodeFormat.QRCode}
    return [b.text for b in found]


# --- the sheet ----------------------------------------------------------------------------------

def test_one_page_of_24_labels_each_scanning_to_the_batch_page(fonts):
    data = labels.label_sheet_pdf(sample(), fonts)
    assert data.startswith(b"%PDF-")
    [text] = pages(data)
    assert scanned(data) == [URL] * labels.COLUMNS * labels.ROWS == [URL] * 24
    for expected in ("Chè Tân Cương đặc biệt", "Tân Cương special green tea", "OCOP ★★★★", "Lô TC24XK7M",
                     "Ngày sản xuất: 12 thg 3, 2026", "Quét mã để xem ai làm ra sản phẩm"):
        assert text.count(expected) == 24, expected


def test_the_qr_is_at_error_correction_q_for_scuffed_packaging(fonts):
    image = pypdfium2.PdfDocument(labels.label_sheet_pdf(sample(), fonts))[0].render(scale=150 / 72).to_pil()
    assert {b.ec_level for b in zxingcpp.read_barcodes(image)} == {"Q"}


def test_every_script_renders_with_embedded_fonts(fonts):
    data = labels.label_sheet_pdf(sample(names=["Trà Tân Cương", "탄끄엉 녹차", "新疆绿茶"], ocop_stars=None,
                                         producer="生産者: 山田 花子", language="ja"), fonts)
    [text] = pages(data)
    for expected in ("Trà Tân Cương", "탄끄엉 녹차", "新疆绿茶", "山田"):
        assert expected in text
    assert "OCOP" not in text  # a product without a rating shows no stars
    fonts_used = [font.get_object() for font in PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"].values()]
    assert all("/FontFile2" in font["/FontDescriptor"] for font in fonts_used)  # carried in the file


def test_long_words_shrink_to_fit_their_label(fonts):
    long_name = "Chè búp non Tân Cương hái tay buổi sớm, sao suốt trong chảo gang " * 3
    data = labels.label_sheet_pdf(sample(names=[long_name.strip()], producer="Nhà sản xuất: " + "Hợp tác xã " * 8),
                                  fonts)
    assert len(pages(data)) == 1
    assert scanned(data) == [URL] * 24  # the text did not run over the codes


def test_product_names_vietnamese_then_english_once_each():
    def product(**names):
        return Product(slug="che", texts=[ProductText(locale=locale, name=name) for locale, name in names.items()])

    assert labels.product_names(product(en="Green tea", vi="Chè xanh", ko="녹차")) == ["Chè xanh", "Green tea"]
    assert labels.product_names(product(vi="Nón lá", en="Nón lá")) == ["Nón lá"]
    assert labels.product_names(product(ko="녹차")) == ["녹차"]
    assert labels.product_names(product()) == ["che"]


# --- the console route ----------------------------------------------------------------------------

@pytest.fixture
def client(app, tm, dbsession):
    return TestApp(app, extra_environ={"HTTP_HOST": "example.com", "tm.active": True, "tm.manager": tm,
                                            "app.dbsession": dbsession})


@pytest.fixture
def village(dbsession):
    return make_village(dbsession, slug="lang-nhan", province="Tỉnh Nhãn")


@pytest.fixture
def operator(dbsession, village):
    return make_operator(dbsession, "htx-nhan", villages=[village])


@pytest.fixture
def batch(dbsession, village, operator):
    product = Product(slug="che-nhan", village_id=village.id, price=150000, unit=Unit.BOX, stock=20, ocop_stars=4,
                      producer="Hợp tác xã chè Nhãn", origin="Xã Nhãn",
                      texts=[ProductText(locale="vi", name="Chè Nhãn đặc biệt"),
                             ProductText(locale="en", name="Nhãn special tea")])
    product.batches.append(ProductBatch(code="NH24XK7M", made_on=date(2026, 3, 12)))
    dbsession.add(product)
    dbsession.flush()
    return product.batches[0]


def labels_url(batch_id) -> str:
    return f"/console/batches/{batch_id}/labels.pdf"


def test_staff_print_their_batchs_labels_in_their_language(client, dbsession, operator, batch):
    make_staff(dbsession, operator)
    sign_in(client)
    response = client.get(labels_url(batch.id), params={"lang": "en"})
    assert response.content_type == "application/pdf"
    assert response.headers["Content-Disposition"] == 'inline; filename="labels-che-nhan-NH24XK7M.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    [text] = pages(response.body)
    for expected in ("Chè Nhãn đặc biệt", "Nhãn special tea", "Batch NH24XK7M", "Made on Mar 12, 2026",
                     "Producer: Hợp tác xã chè Nhãn", "OCOP ★★★★", "Scan to see who made it"):
        assert expected in text
    assert scanned(response.body) == ["http://example.com/t/NH24XK7M"] * 24


def test_strangers_are_sent_to_sign_in(client, batch):
    response = client.get(labels_url(batch.id))
    assert response.status_int == 303 and "/console/sign-in?next=" in response.location


def test_another_operators_staff_may_not_print_them(client, dbsession, batch):
    other = make_operator(dbsession, "htx-khac", villages=[make_village(dbsession, "lang-khac")])
    make_staff(dbsession, other, email="khac@example.com")
    sign_in(client, "khac@example.com")
    client.get(labels_url(batch.id), status=403)


def test_an_admin_may_print_any(client, dbsession, batch):
    make_staff(dbsession, None, email="admin@example.com")
    sign_in(client, "admin@example.com")
    assert client.get(labels_url(batch.id)).content_type == "application/pdf"


def test_unknown_batches_are_not_found(client, dbsession, operator, batch):
    make_staff(dbsession, operator)
    sign_in(client)
    for batch_id in (batch.id + 10_000, "abc", "99999999999999999999"):
        client.get(labels_url(batch_id), status=404)
