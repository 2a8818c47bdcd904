"""The VietQR transfer slip: every script's text survives, the QR scans back to the exact
payload, and the manage page offers it only while the transfer is awaited."""
import io
from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from tests.factories import contact, make_experience, make_session, make_village
from tests.tourism.tickets.samples import NAMES, qr_codes
from tourism.booking import services as booking_services
from tourism.payments import vietqr
from tourism.payments.services import providers
from tourism.payments.vietqr_provider import awaited_transfer, mark_received
from tourism.tickets import pdf

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
PAYLOAD = vietqr.emv_payload(bank_bin="970436", account="0011000123456", amount=700000, reference="BT7KQ2XM")
LABELS = pdf.TransferSlipLabels(
    heading="Chuyển khoản", scan="Quét bằng ứng dụng ngân hàng", bank="Ngân hàng", account="Số tài khoản",
    account_name="Chủ tài khoản", amount="Số tiền", message="Nội dung chuyển khoản", deadline="Hạn chuyển",
    booking="Đặt chỗ", name="Họ tên", when="Thời gian", note="Chúng tôi xác nhận khi tiền về tài khoản.")


def make_slip(**overrides) -> pdf.TransferSlipData:
    values = dict(
        title="Làm gốm cùng nghệ nhân Bát Tràng", village="Làng gốm Bát Tràng",
        when="Thứ Bảy, 14 tháng 3, 2026 lúc 07:00", time_zone="Giờ Đông Dương (GMT+07:00)", payload=PAYLOAD,
        bank_name="Vietcombank", account="0011000123456", account_name="HTX GOM BAT TRANG", amount="700.000\xa0₫",
        reference="BT7K-Q2XM", deadline="Thứ Ba, 10 tháng 3, 2026 lúc 08:15 · Giờ Đông Dương (GMT+07:00)",
        guest_name=NAMES[0], labels=LABELS, language="vi")
    values.update(overrides)
    return pdf.TransferSlipData(**values)


def pdf_text(data: bytes) -> str:
    """The text of every page, line breaks and runs of spaces as one space."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


# --- the PDF ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_the_slip_keeps_the_details_and_every_script_intact(fonts, name):
    data = pdf.transfer_slip_pdf(make_slip(guest_name=name), fonts=fonts)
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    text = pdf_text(data)
    for expected in (name, "0011000123456", "BT7K-Q2XM", "700.000 ₫", "Vietcombank", "HTX GOM BAT TRANG",
                     "Nội dung chuyển khoản", "Làm gốm cùng nghệ nhân Bát Tràng", "Thứ Ba, 10 tháng 3, 2026 lúc 08:15"):
        assert expected in text, expected


def test_the_slips_qr_scans_back_to_the_exact_payload(fonts):
    assert qr_codes(pdf.transfer_slip_pdf(make_slip(), fonts=fonts)) == [PAYLOAD]


def test_an_account_with_letters_still_scans_exactly(fonts):
    # Lower-case letters leave QR's alphanumeric mode: the encoder must switch, not mangle them.
    payload = vietqr.emv_payload(bank_bin="970422", account="langviet2026", amount=350000, reference="BT7KQ2XM")
    assert qr_codes(pdf.transfer_slip_pdf(make_slip(payload=payload, account="langviet2026"), fonts=fonts)) == \
        [payload]


# --- the download from the manage page ---------------------------------------------------------------

@pytest.fixture
def held(dbsession):
    """A booking for two held at NOW by Nguyễn Thị Hương (Vietnamese), and its private token."""
    village = make_village(dbsession, slug="phieu-ck", province="Tỉnh Phiếu")
    experience = make_experience(dbsession, village, "phieu-ck-gom", prices=(("adult", 350000),))
    session = make_session(dbsession, experience, NOW + timedelta(days=2), capacity=10)
    return booking_services.create_hold(dbsession, session=session, party={"adult": 2},
                                        contact=contact(name="Nguyễn Thị Hương", email="huong@example.vn"), now=NOW)


def choose_transfer(app, token):
    form = app.get(f"/booking/{token}").forms[0]
    form["provider"] = "vietqr"
    return form.submit(status=303).follow()


def test_the_manage_page_links_the_slip_next_to_the_qr(app_at, app, held):
    booking, token = held
    page = choose_transfer(app_at, token)
    link = page.html.select_one('.transfer a[href$="/transfer.pdf"]')
    assert link is not None and link.get_text(strip=True)
    response = app_at.get(link["href"])
    assert response.content_type == "application/pdf"
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="LangViet-{booking.reference}-transfer.pdf"'
    assert "no-store" in response.headers["Cache-Control"]
    text = pdf_text(response.body)
    for expected in ("0011000123456", booking_services.format_reference(booking.reference), "Nguyễn Thị Hương",
                     "700.000 ₫"):
        assert expected in text, expected
    assert qr_codes(response.body) == [providers(app.registry)["vietqr"].instructions(booking).payload]


def test_no_slip_for_an_unknown_link(app_at):
    app_at.get("/booking/forged-token/transfer.pdf", status=404)


def test_no_slip_without_an_awaited_transfer(app_at, app, dbsession, held):
    booking, token = held
    app_at.get(f"/booking/{token}/transfer.pdf", status=404)  # held, but no transfer chosen
    choose_transfer(app_at, token)
    app_at.get(f"/booking/{token}/transfer.pdf", status=200)
    mark_received(dbsession, awaited_transfer(dbsession, booking), providers=providers(app.registry),
                  now=NOW + timedelta(minutes=5), registry=app.registry)
    app_at.get(f"/booking/{token}/transfer.pdf", status=404)  # paid: nothing left to transfer
