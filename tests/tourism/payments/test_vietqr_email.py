"""The e-mail a guest gets on choosing a VietQR transfer: once, in the booker's language, with
the QR as an inline PNG that scans back to the exact payload, and the PDF slip attached."""
import io
import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import zxingcpp
from PIL import Image
from pyramid.exceptions import ConfigurationError
from sqlalchemy import select

from tests.factories import contact, make_experience, make_session, make_village
from tourism.booking import services as booking_services
from tourism.booking.emails import request_for
from tourism.i18n import Formatter, _
from tourism.notify.models import OutboxMessage
from tourism.notify.services import build_email, send_due
from tourism.payments.services import providers
from tourism.payments.vietqr_provider import awaited_transfer

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
SENDER = "LàngViệt <no-reply@langviet.test>"
VIETNAM = "Asia/Ho_Chi_Minh"


@pytest.fixture
def hold(dbsession):
    """hold(locale, email) → (booking, token): 2 adults at 350,000 ₫, held at NOW for 15 minutes."""
    village = make_village(dbsession, slug="qr-thu", province="Tỉnh Thư",
                           texts={"vi": "Làng Thư", "en": "Letter Village", "ko": "편지 마을"})
    experience = make_experience(dbsession, village, "qr-thu-gom", prices=(("adult", 350000),),
                                 texts={"vi": "Nặn gốm", "en": "Throw a pot", "ko": "물레 도자기 체험"})
    session = make_session(dbsession, experience, NOW + timedelta(days=3), capacity=10)

    def make(locale="ko", email="minji@example.kr", name="Nguyễn Thị Hương"):
        return booking_services.create_hold(dbsession, session=session, party={"adult": 2},
                                            contact=contact(locale=locale, email=email, name=name), now=NOW)

    return make


def choose_transfer(app, token):
    form = app.get(f"/booking/{token}").forms[0]
    form["provider"] = "vietqr"
    return form.submit(status=303).follow()


def outbox_for(dbsession, email) -> list[OutboxMessage]:
    return list(dbsession.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)))


def inline_qr(message):
    """(img tag attributes, the PNG part it points to) of a MIME message's HTML body."""
    html_part = message.get_body(("html",))
    tag = re.search(r"<img\s[^>]*>", html_part.get_content()).group(0)
    attributes = dict(re.findall(r'([a-z]+)="([^"]*)"', tag))
    assert attributes["src"].startswith("cid:")
    cid = f"<{attributes['src'][4:]}>"
    (part,) = [p for p in message.walk() if p["Content-ID"] == cid]
    return attributes, part


def decoded(png: bytes) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_choosing_the_transfer_twice_enqueues_one_email(app_at, dbsession, hold):
    booking, token = hold(email="twice@example.kr")
    choose_transfer(app_at, token)
    tokens_after_first = len(booking.tokens)
    choose_transfer(app_at, token)
    (message,) = outbox_for(dbsession, "twice@example.kr")
    assert message.dedupe_key == f"vietqr-instructions:{awaited_transfer(dbsession, booking).id}"
    assert len(booking.tokens) == tokens_after_first  # the second choice issued no new link


def test_the_email_is_in_the_bookers_language_with_every_detail(app_at, app, dbsession, hold):
    booking, token = hold(locale="ko")
    choose_transfer(app_at, token)  # the page itself in the default language (Vietnamese)
    (message,) = outbox_for(dbsession, "minji@example.kr")
    translate = request_for(app.registry, "ko").localizer.translate
    ko = Formatter("ko")
    reference = booking_services.format_reference(booking.reference)
    assert reference in message.subject
    hello = translate(_("Hello %(name)s,")) % {"name": "Nguyễn Thị Hương"}
    assert hello != "Hello Nguyễn Thị Hương,"  # the catalog has it, so the check below means Korean
    for body in (message.body_text, message.body_html):
        for expected in (hello, translate(_("Account number")), "물레 도자기 체험", "편지 마을",
                         "Vietcombank", "0011000123456", "LANGVIET TEST", reference, ko.money(700000, "VND"),
                         ko.session_datetime(booking.session.starts_at, VIETNAM),
                         ko.session_datetime(booking.hold_expires_at, VIETNAM), ko.time_zone(VIETNAM)):
            assert expected in body, expected
    assert '<html lang="ko">' in message.body_html
    # The link in the e-mail opens the booking.
    (manage_url,) = re.findall(r"http://localhost:6543(/booking/\S+)", message.body_text)
    assert reference in app_at.get(manage_url).text


def test_the_html_shows_the_qr_as_an_inline_png_that_scans_to_the_payload(app_at, app, dbsession, hold):
    booking, token = hold()
    choose_transfer(app_at, token)
    (message,) = outbox_for(dbsession, "minji@example.kr")
    attributes, part = inline_qr(build_email(message, sender=SENDER))
    assert part.get_content_type() == "image/png"
    assert part.get_content_disposition() == "inline"
    assert part.get_content_maintype() == "image" and part.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    payload = providers(app.registry)["vietqr"].instructions(booking).payload
    assert decoded(part.get_content()) == [payload]
    # The alt text says what the picture is for and carries what it encodes.
    assert "0011000123456" in attributes["alt"] and booking_services.format_reference(booking.reference) in \
        attributes["alt"]
    assert Image.open(io.BytesIO(part.get_content())).size == (int(attributes["width"]), int(attributes["height"]))


def test_the_pdf_slip_is_attached(app_at, dbsession, hold):
    booking, token = hold()
    choose_transfer(app_at, token)
    (message,) = outbox_for(dbsession, "minji@example.kr")
    email = build_email(message, sender=SENDER)
    (pdf,) = list(email.iter_attachments())  # the PNG sits with the HTML, not among the attachments
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == f"LangViet-{booking.reference}-transfer.pdf"
    assert pdf.get_content().startswith(b"%PDF-")


def test_without_pdf_fonts_the_email_still_goes_without_the_slip(app_at, dbsession, hold, monkeypatch):
    def no_fonts(registry):
        raise ConfigurationError("Font DejaVuSans.ttf not found")

    monkeypatch.setattr("tourism.tickets.services.ticket_font_set", no_fonts)
    booking, token = hold()
    choose_transfer(app_at, token)
    (message,) = outbox_for(dbsession, "minji@example.kr")
    assert [a["content_type"] for a in message.attachments] == ["image/png"]
    assert "PDF" not in message.body_text


def test_no_email_once_the_hold_has_expired(app, dbsession, hold):
    booking, _token = hold()
    provider = providers(app.registry)["vietqr"]
    later = booking.hold_expires_at + timedelta(minutes=1)
    provider.start_payment(dbsession, booking, now=later, request=SimpleNamespace(registry=app.registry))
    assert awaited_transfer(dbsession, booking) is not None
    assert outbox_for(dbsession, "minji@example.kr") == []


def test_the_email_arrives_through_smtp_with_the_png_related_to_the_html(app_at, app, dbsession, hold, smtp_server):
    booking, token = hold(email="smtp-qr@example.kr")
    choose_transfer(app_at, token)
    send_due(dbsession, now=NOW + timedelta(seconds=1), mailer=smtp_server.mailer(), sender=SENDER)
    (received,) = [m for m in smtp_server.received if m["To"] == "smtp-qr@example.kr"]
    assert received.get_content_type() == "multipart/mixed"
    html = received.get_body(("html",))
    related = next(p for p in received.walk() if p.get_content_type() == "multipart/related")
    assert [p.get_content_type() for p in related.iter_parts()] == ["text/html", "image/png"]
    _attributes, part = inline_qr(received)
    assert part in list(related.iter_parts()) and html in list(related.iter_parts())
    assert decoded(part.get_content()) == [providers(app.registry)["vietqr"].instructions(booking).payload]
    assert [p.get_content_type() for p in received.iter_attachments()] == ["application/pdf"]
