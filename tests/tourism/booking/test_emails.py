"""The confirmation e-mail: in the booker's language, through a real SMTP server, with an .ics
that puts the session at the right time in a guest's own time zone."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest

from tests.factories import contact, make_experience, make_session, make_village
from tourism.booking import services
from tourism.notify.services import send_due

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
STARTS = datetime(2026, 12, 2, 1, 30, tzinfo=timezone.utc)  # 08:30 in Hà Nội, 10:30 in Seoul


@pytest.fixture
def confirmed(dbsession, app):
    village = make_village(dbsession, slug="thu-mail", province="Tỉnh Thư",
                           texts={"vi": "Làng Thư", "en": "Letter Village", "ko": "편지 마을"})
    experience = make_experience(dbsession, village, "thu-mail-gom",
                                 texts={"vi": "Nặn gốm", "en": "Throw a pot", "ko": "물레 도자기 체험"})

    def book(locale):
        session = make_session(dbsession, experience, STARTS, capacity=10)
        booking, _token = services.create_hold(dbsession, session=session, party={"adult": 2, "child": 1},
                                               contact=contact(locale=locale, email=f"guest-{locale}@example.com"),
                                               now=NOW)
        services.confirm_booking(dbsession, booking, now=NOW, registry=app.registry)
        return booking

    return book


def deliver(dbsession, smtp_server):
    report = send_due(dbsession, now=NOW + timedelta(seconds=1), mailer=smtp_server.mailer(),
                      sender="LàngViệt <no-reply@langviet.test>")
    assert report["sent"] >= 1
    return smtp_server.received


def test_korean_guest_gets_a_korean_email_with_the_session_in_her_calendar(dbsession, confirmed, smtp_server):
    booking = confirmed("ko")
    (message,) = [m for m in deliver(dbsession, smtp_server) if m["To"] == "guest-ko@example.com"]
    assert "물레 도자기 체험" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert services.format_reference(booking.reference) in body
    assert "8:30" in body and "1:30" not in body and "베트남 시간" in body  # village time, and said so
    (ics,) = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    event = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
    start = event.decoded("DTSTART")
    assert str(start.tzinfo) == "Asia/Ho_Chi_Minh"
    assert start.astimezone(ZoneInfo("Asia/Seoul")).strftime("%H:%M") == "10:30"
    assert start.astimezone(timezone.utc) == STARTS


def test_vietnamese_guest_gets_vietnamese_and_one_email_only(dbsession, confirmed, smtp_server, app):
    booking = confirmed("vi")
    services.confirm_booking(dbsession, booking, now=NOW, registry=app.registry)  # a retried confirmation
    messages = [m for m in deliver(dbsession, smtp_server) if m["To"] == "guest-vi@example.com"]
    assert len(messages) == 1
    assert "Nặn gốm" in messages[0]["Subject"]
    assert "08:30" in messages[0].get_body(("plain",)).get_content()
