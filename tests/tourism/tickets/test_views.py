"""A confirmed guest gets the PDF ticket (attached to the e-mail and from the manage page) and
the .ics; the QR on it scans back to a code the village's key verifies."""
import io
from datetime import datetime, timedelta, timezone

import icalendar
import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import select

from tests.factories import make_experience, make_session, make_village
from tourism.booking.models import Booking
from tourism.notify.models import OutboxMessage
from tourism.tickets import codes

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def session(dbsession):
    village = make_village(dbsession, slug="ve-lang", province="Tỉnh Vé",
                           texts={"vi": "Làng Vé", "en": "Ticket Village", "ko": "티켓 마을"})
    experience = make_experience(dbsession, village, "ve-gom", max_party=6,
                                 texts={"vi": "Nặn gốm", "en": "Throw a pot", "ko": "물레 도자기 체험"})
    return make_session(dbsession, experience, NOW + timedelta(days=1), capacity=10)


def book(app, session, name="김민준", locale="ko"):
    form = app.get(f"/book/{session.id}").forms[0]
    for key, value in {"tier_adult": "2", "name": name, "email": "minjun@example.kr", "phone": "+82 10 1234 5678",
                       "country": "KR", "language": locale}.items():
        form[key] = value
    manage = form.submit(status=303).follow()
    return manage.forms[0].submit(status=303).follow()  # pay at the village


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def qr_codes(data: bytes) -> list[str]:
    image = pypdfium2.PdfDocument(data)[0].render(scale=150 / 72).to_pil()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def test_ticket_pdf_from_the_manage_page(app_at, dbsession, session, app):
    manage = book(app_at, session)
    booking = dbsession.scalar(select(Booking).where(Booking.session_id == session.id))
    link = manage.html.select_one('a[href$="/ticket.pdf"]')["href"]
    response = app_at.get(link)
    assert response.content_type == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.body)
    assert "김민준" in text and f"{booking.reference[:4]}-{booking.reference[4:]}" in text
    assert "물레 도자기 체험" in text  # the booker's language
    (code,) = qr_codes(response.body)
    claims = app.registry[codes.REGISTRY_KEY].verify(code)
    assert (claims.reference, claims.session_id, claims.party) == (booking.reference, session.id, 2)


def test_the_confirmation_email_carries_the_ticket_and_the_ics(app_at, dbsession, session):
    book(app_at, session, name="Nguyễn Thị Hương", locale="vi")
    message = dbsession.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "minjun@example.kr"))
    types = sorted(a["content_type"] for a in message.attachments)
    assert types == ["application/pdf", "text/calendar"]


def test_ics_download_is_in_the_village_time_zone(app_at, session):
    manage = book(app_at, session)
    response = app_at.get(manage.html.select_one('a[href$="/calendar.ics"]')["href"])
    event = icalendar.Calendar.from_ical(response.body).walk("VEVENT")[0]
    assert str(event.decoded("DTSTART").tzinfo) == "Asia/Ho_Chi_Minh"
    assert event.decoded("DTSTART").astimezone(timezone.utc) == session.starts_at


def test_no_ticket_before_confirmation_or_with_a_bad_link(app_at, session):
    form = app_at.get(f"/book/{session.id}").forms[0]
    for key, value in {"tier_adult": "1", "name": "A", "email": "a@example.com", "phone": "+84 912 345 678",
                       "country": "VN"}.items():
        form[key] = value
    held = form.submit(status=303).location
    app_at.get(held + "/ticket.pdf", status=404)
    app_at.get(held + "/calendar.ics", status=404)
    app_at.get("/booking/forged-token/ticket.pdf", status=404)
