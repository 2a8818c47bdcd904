"""QR posters: one A4 page per stop with its keypad number, its titles in Vietnamese and
English, and a QR code (error correction H, upper-case address in alphanumeric mode) that
scans back to an address the app answers."""
import io
from datetime import datetime, timezone

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4

from audio_guides import posters
from tests.audio_guides import factories as audio
from tests.factories import make_operator, make_staff, make_village, sign_in
from tourism.tickets.fonts import load_fonts

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)
TITLES = [("Lò bầu cổ", "Old dragon kiln"), ("Bàn xoay của nghệ nhân", "The artisan's wheel"),
          ("Chợ gốm Bát Tràng, nơi bán những bộ ấm chén men rạn đẹp nhất của làng từ bao đời nay",
           "Bát Tràng pottery market, where the village's finest crackle-glaze tea sets have been sold for generations")]


@pytest.fixture(scope="module")
def fonts():
    return load_fonts()


@pytest.fixture
def tour(dbsession):
    village = make_village(dbsession, slug="lang-poster")
    return audio.make_tour(dbsession, village, "poster-audio", prefix="BT", titles=TITLES)


def pages_text(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def test_one_page_per_stop_with_number_and_both_titles(tour, fonts):
    data = posters.tour_posters_pdf(tour, "https://langviet.vn", fonts)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 3  # the long titles shrink to fit: still one page each
    assert [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages] == [
        (round(A4[0]), round(A4[1]))] * 3
    for number, (text, (vi, en), stop) in enumerate(zip(pages_text(data), TITLES, tour.stops), start=1):
        assert vi in text and en in text
        assert "Tham quan poster-audio" in text and "Tour of poster-audio" in text
        assert f"Điểm dừng · Stop {number} " in text
        assert f"Scan or go to langviet.vn/g/{stop.code}" in text
        assert f"Quét mã hoặc vào langviet.vn/g/{stop.code}" in text
    assert reader.metadata.title == "Tham quan poster-audio · Tour of poster-audio"


def test_the_qr_scans_to_the_short_upper_case_address_at_level_h(tour, fonts):
    data = posters.tour_posters_pdf(tour, "https://langviet.vn", fonts)
    document = pypdfium2.PdfDocument(data)
    for index, stop in enumerate(tour.stops):
        image = document[index].render(scale=100 / 72).to_pil()  # 100 dpi: a phone sees far more
        found = zxingcpp.read_barcodes(image)
        assert [(b.format, b.text) for b in found] == [(zxingcpp.BarcodeFormat.QRCode,
                                                        f"HTTPS://LANGVIET.VN/G/{stop.code}")]
        assert found[0].ec_level == "H"


def test_upper_case_keeps_the_qr_at_version_3():
    assert len(posters.PosterQr("HTTPS://LANGVIET.VN/G/BT7").modules) == 29  # alphanumeric mode
    assert len(posters.PosterQr("https://langviet.vn/g/BT7").modules) == 33  # what lower case would cost


@pytest.mark.parametrize("base, url, typed", [
    ("https://langviet.vn", "HTTPS://LANGVIET.VN/G/BT2", "langviet.vn/g/BT2"),
    ("https://LangViet.vn/", "HTTPS://LANGVIET.VN/G/BT2", "langviet.vn/g/BT2"),
    ("http://localhost:6543", "HTTP://LOCALHOST:6543/G/BT2", "localhost:6543/g/BT2"),
    ("https://example.org/langviet", "HTTPS://EXAMPLE.ORG/langviet/G/BT2", "example.org/langviet/g/BT2"),
])
def test_the_addresses(base, url, typed):
    assert posters.poster_url(base, "BT2") == url
    assert posters.typed_address(base, "BT2") == typed


def test_a_tour_without_stops_is_one_page(dbsession, fonts):
    empty = audio.make_tour(dbsession, make_village(dbsession, slug="lang-trong"), "trong-audio", stops=0)
    pages = pages_text(posters.tour_posters_pdf(empty, "https://langviet.vn", fonts))
    assert len(pages) == 1 and "Tham quan trong-audio" in pages[0]


def test_the_console_serves_the_posters_and_the_app_answers_the_printed_address(app_at, dbsession, tour):
    make_operator(dbsession, "htx-poster", villages=[tour.village])
    make_staff(dbsession, tour.village.operator, email="poster@example.com")
    audio.add_track(dbsession, tour.stops[0], "vi")
    sign_in(app_at, "poster@example.com")
    pdf = app_at.get(f"/console/audio/tours/{tour.id}/posters.pdf", {"lang": "en"})
    assert pdf.content_type == "application/pdf"
    assert 'filename="LangViet-posters-poster-audio.pdf"' in pdf.headers["Content-Disposition"]
    first_page = pages_text(pdf.body)[0]
    assert "Scan or go to localhost:6543/g/BT2" in first_page  # the labels, from the catalogs
    assert first_page.count("Scan or go to") == 1  # an untranslated Vietnamese label is not printed twice
    found = zxingcpp.read_barcodes(pypdfium2.PdfDocument(pdf.body)[0].render(scale=100 / 72).to_pil())
    printed = found[0].text
    assert printed == "HTTP://LOCALHOST:6543/G/BT2"  # testing.ini's tourism.base_url
    path = printed.split("6543", 1)[1]
    redirect = app_at.get(path, status=301)
    assert redirect.location.endswith("/g/BT2")
    assert app_at.get(path + "?lang=ko", status=301).location.endswith("/g/BT2?lang=ko")
    assert redirect.follow().status_int == 200
