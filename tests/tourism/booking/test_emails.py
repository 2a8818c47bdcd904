"""The confirmation e-mail: in the booker's language, through a real SMTP server, with an .ics
that puts the session at the right time in a guest's own time zone; the cancellation e-mail,
with what comes back for each product (refunded in full, or handed over and kept)."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest

from tests.factories import contact, make_experience, make_session, make_village
from tests.tourism.shop.factories import make_product
from tourism.booking import services
from tourism.booking.models import Fulfilment
from tourism.shop import checkout
from tourism.shop.handover import hand_over
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


def test_a_cancelled_booking_is_confirmed_by_email_once_in_the_bookers_language(dbsession, confirmed, smtp_server,
                                                                              app):
    booking = confirmed("en")
    refunded = services.cancel_booking(dbsession, booking, now=NOW, registry=app.registry)
    services.cancel_booking(dbsession, booking, now=NOW, registry=app.registry)  # pressed twice
    messages = [m for m in deliver(dbsession, smtp_server) if m["To"] == "guest-en@example.com"]
    assert [m["Subject"].split(":")[0] for m in messages] == ["Booking confirmed", "Booking cancelled"]
    body = messages[1].get_body(("plain",)).get_content()
    assert refunded == 0 and "Your booking is cancelled." in body
    assert services.format_reference(booking.reference) in body and "/experiences/thu-mail-gom" in body
    manage_url = [line for line in body.splitlines() if "/booking/" in line][0].strip()
    assert services.find_by_token(dbsession, manage_url.rsplit("/", 1)[-1]) == booking


def test_a_refund_on_cancelling_is_announced_with_its_amount(dbsession, confirmed, smtp_server, app):
    booking = confirmed("en")
    services.cancel_booking(dbsession, booking, now=NOW, registry=app.registry, refund=lambda b: 450_000)
    (message,) = [m for m in deliver(dbsession, smtp_server) if m["Subject"].startswith("Booking cancelled")]
    body = message.get_body(("plain",)).get_content()
    assert "The village will pay" in body and "450,000" in body, body


def test_a_hold_let_go_sends_nothing(dbsession, app, smtp_server, confirmed):
    from tourism.notify.models import OutboxMessage
    from sqlalchemy import func, select

    booking = confirmed("en")
    before = dbsession.scalar(select(func.count()).select_from(OutboxMessage))
    session = booking.session
    held, _token = services.create_hold(dbsession, session=session, party={"adult": 1},
                                        contact=contact(locale="en", email="held@example.com"), now=NOW)
    services.cancel_booking(dbsession, held, now=NOW, registry=app.registry)
    assert dbsession.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_a_moved_booking_gets_the_new_date_and_a_new_ticket(dbsession, confirmed, smtp_server, app):
    from tourism.tickets.codes import REGISTRY_KEY

    booking = confirmed("ko")
    later = make_session(dbsession, booking.experience, STARTS + timedelta(days=1), capacity=10)
    services.move_booking(dbsession, booking, later, now=NOW, registry=app.registry)
    messages = [m for m in deliver(dbsession, smtp_server) if m["To"] == "guest-ko@example.com"]
    assert len(messages) == 2
    moved = messages[1]
    assert moved["Subject"] != messages[0]["Subject"] and "물레 도자기 체험" in moved["Subject"]
    ics = [p for p in moved.iter_attachments() if p.get_content_type() == "text/calendar"][0]
    start = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")[0].decoded("DTSTART")
    assert start.astimezone(timezone.utc) == STARTS + timedelta(days=1)
    pdfs = [p for p in moved.iter_attachments() if p.get_content_type() == "application/pdf"]
    if pdfs:  # the ticket, signed for the new session (absent only without the PDF fonts)
        from tests.tourism.tickets.samples import qr_codes

        (code,) = qr_codes(pdfs[0].get_content())
        claims = app.registry[REGISTRY_KEY].verify(code)
        assert claims.session_id == later.id


# --- the products on the cancellation e-mail ------------------------------------------------

TEA, CUP = 180_000, 90_000
ADDRESS = checkout.DeliveryAddress("Trần Văn Minh", "0912 345 678", "12 Hàng Bạc", "Phường Hàng Bạc",
                                   "Quận Hoàn Kiếm", "Hà Nội")


@pytest.fixture
def with_products(dbsession, app):
    """book(fulfilment, locale): a confirmed booking of 2 boxes of tea and 1 cup, e-mailed to guest-<locale>."""
    village = make_village(dbsession, slug="thu-hang", province="Tỉnh Hàng",
                           texts={"vi": "Làng Hàng", "en": "Goods Village"})
    experience = make_experience(dbsession, village, "thu-hang-che", texts={"vi": "Hái chè", "en": "Tea picking"})
    tea = make_product(dbsession, village, "che-thu-hang", price=TEA, stock=10,
                       texts={"vi": "Trà móc câu Tân Cương, hộp 200 g", "en": "Tân Cương fish-hook tea, 200 g box"})
    cup = make_product(dbsession, village, "chen-thu-hang", price=CUP, stock=10,
                       texts={"vi": "Chén gốm", "en": "Clay cup"})

    def book(fulfilment=Fulfilment.PICKUP, locale="en"):
        session = make_session(dbsession, experience, STARTS, capacity=10)
        booking, _token = services.create_hold(
            dbsession, session=session, party={"adult": 1}, now=NOW,
            contact=contact(locale=locale, email=f"guest-{locale}@example.com"),
            basket=checkout.Basket(((tea.id, 2), (cup.id, 1)), fulfilment,
                                   ADDRESS if fulfilment == Fulfilment.DELIVERY else None))
        services.confirm_booking(dbsession, booking, now=NOW, registry=app.registry)
        return booking

    return book


def cancel_paid(dbsession, app, booking):
    """Cancel a booking paid in full, refunding what the policy and the hand-over leave."""
    paid = booking.total_amount
    return services.cancel_booking(dbsession, booking, now=NOW, registry=app.registry,
                                   refund=lambda b: services.refund_due(b, paid, NOW)[1])


def cancellation(dbsession, smtp_server, to="guest-en@example.com"):
    (message,) = [m for m in deliver(dbsession, smtp_server)
                  if m["To"] == to and m["Subject"].startswith(("Booking cancelled", "Đã hủy"))]
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    return text, message.get_body(("html",)).get_content()


def test_the_cancellation_email_says_which_products_are_refunded(dbsession, app, smtp_server, with_products):
    booking = with_products()
    hand_over(dbsession, booking, now=NOW)
    cup_line = booking.product_lines[1]
    cup_line.handed_over_at = None  # given the tea, not yet the cup
    dbsession.flush()
    refunded = cancel_paid(dbsession, app, booking)
    assert refunded == 300_000 // 2 + CUP  # half the experience (24.5 hours before), and the cup
    text, html = cancellation(dbsession, smtp_server)
    assert "2 × Tân Cương fish-hook tea, 200 g box: already handed over, not refunded\n" in text
    assert "1 × Clay cup: refunded in full\n" in text
    assert "Products:\n2 × Tân Cương" in text
    assert "240,000" in text  # the refund itself, as before
    assert "2 × Tân Cương fish-hook tea, 200 g box: already handed over, not refunded<br>" in html
    assert "1 × Clay cup: refunded in full<br>" in html


def test_nothing_handed_over_is_all_refunded_in_full_in_the_guests_language(dbsession, app, smtp_server,
                                                                            with_products):
    booking = with_products(locale="vi")
    cancel_paid(dbsession, app, booking)
    text, _html = cancellation(dbsession, smtp_server, to="guest-vi@example.com")
    assert "2 × Trà móc câu Tân Cương, hộp 200 g" in text and "1 × Chén gốm" in text
    assert "not refunded" not in text and "Shipping" not in text


def test_a_sent_delivery_keeps_its_shipping_fee(dbsession, app, smtp_server, with_products):
    booking = with_products(Fulfilment.DELIVERY)
    hand_over(dbsession, booking, now=NOW, fulfilment=Fulfilment.DELIVERY)
    refunded = cancel_paid(dbsession, app, booking)
    assert refunded == 300_000 // 2
    text, html = cancellation(dbsession, smtp_server)
    assert "1 × Clay cup: already handed over, not refunded" in text
    assert "Shipping (₫35,000): not refunded, the products were already sent" in text
    assert "Shipping (₫35,000): not refunded, the products were already sent" in html


def test_a_delivery_not_sent_is_refunded_with_its_fee(dbsession, app, smtp_server, with_products):
    booking = with_products(Fulfilment.DELIVERY)
    cancel_paid(dbsession, app, booking)
    text, _html = cancellation(dbsession, smtp_server)
    assert "1 × Clay cup: refunded in full" in text and "Shipping (₫35,000): refunded in full" in text


def test_with_nothing_paid_back_no_refund_is_promised(dbsession, app, smtp_server, with_products):
    booking = with_products()
    services.cancel_booking(dbsession, booking, now=NOW, registry=app.registry)  # to pay at the village: nothing paid
    text, _html = cancellation(dbsession, smtp_server)
    assert "1 × Clay cup: not handed over, cancelled with the booking" in text
    assert "refunded in full" not in text
