"""Ticket and manifest data in the four scripts a ticket must render (the bench uses them too)."""
from datetime import datetime, timezone

from tourism.tickets import pdf
from tourism.tickets.codes import REFERENCE_ALPHABET

NAMES = ("Nguyễn Thị Hương", "김민준", "王小明", "山田太郎")
# 07:00 in Hà Nội on Saturday 14 March 2026
SESSION_START = datetime(2026, 3, 14, 0, 0, tzinfo=timezone.utc)
VIETNAM = "Asia/Ho_Chi_Minh"

TICKET_LABELS = pdf.TicketLabels(
    heading="Vé", reference="Mã đặt chỗ", show_code="Đưa mã này khi đến làng", when="Thời gian",
    meeting_point="Điểm hẹn", party="Số khách", total="Tổng cộng", products="Nhận tại làng",
    policy="Chính sách huỷ")


def make_ticket(code: str, **overrides) -> pdf.TicketData:
    values = dict(
        title="Làm gốm cùng nghệ nhân Bát Tràng", village="Làng gốm Bát Tràng",
        when="Thứ Bảy, 14 tháng 3, 2026 lúc 07:00", time_zone="Giờ Đông Dương (GMT+07:00)",
        meeting_point="Cổng đình Bát Tràng, số 1 đường Giang Cao", party_lines=["2 × Người lớn", "1 × Trẻ em"],
        total="700.000\xa0₫ — đã thanh toán", reference="BT7K-Q2XM", code=code, guest_name=NAMES[0],
        labels=TICKET_LABELS,
        policy_lines=["Hoàn tiền toàn bộ nếu huỷ trước ít nhất 48 giờ.", "Không hoàn tiền sau thời điểm đó."],
        products=["Bình hoa men lam tự nặn — nung và gửi về nhà"], language="vi")
    values.update(overrides)
    return pdf.TicketData(**values)


MANIFEST_LABELS = pdf.ManifestLabels(
    heading="Guest list", name="Name", reference="Reference", payment="Paid / due", language="Language",
    checked_in="Here", total="Total", page="Page {page} of {pages}")
LANGUAGES = ("Vietnamese", "Korean", "Chinese", "Japanese")


def reference_for(number: int) -> str:
    """A distinct printed reference ("BTAB-CD23") for each guest number."""
    letters = "".join(REFERENCE_ALPHABET[(number >> (5 * k)) & 31] for k in range(4))
    return f"BT{letters[:2]}-{letters[2:]}XM"


def make_manifest(count: int) -> pdf.ManifestData:
    guests = [
        pdf.ManifestGuest(name=NAMES[i % 4], reference=reference_for(i), party=(2, i % 3, 0),
                          payment="Due 350,000\xa0₫" if i % 5 == 0 else "Paid", due=i % 5 == 0,
                          language=LANGUAGES[i % 4])
        for i in range(count)
    ]
    return pdf.ManifestData(
        title="Pottery with a Bát Tràng artisan", village="Bát Tràng pottery village",
        when="Saturday, March 14, 2026 at 7:00 AM", time_zone="Indochina Time (GMT+07:00)",
        tiers=("Adult", "Child", "Senior"), guests=guests, labels=MANIFEST_LABELS,
        printed="Printed 3/14/26, 6:12 AM", summary=f"{count} bookings", language="en")


def qr_codes(data: bytes) -> list[str]:
    """Render a PDF's first page at 150 dpi, as a phone camera would see it, and decode its QR codes."""
    import pypdfium2
    import zxingcpp

    image = pypdfium2.PdfDocument(data)[0].render(scale=150 / 72).to_pil()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]
