"""The village's products bought with a booking on the PDF ticket (the pickup list), the
session manifest and the confirmation e-mail."""
import io
from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.factories import contact, make_experience, make_session, make_village
from tests.tourism.shop.factories import link, make_product
from tourism.booking import services
from tourism.booking.models import Fulfilment
from tourism.notify.models import OutboxMessage
from tourism.shop import checkout
from tourism.tickets.services import manifest_for, manifest_pdf_for, ticket_pdf_for

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
ADDRESS = checkout.DeliveryAddress("Trần Văn Minh", "0912 345 678", "12 Hàng Bạc", "Phường Hàng Bạc",
                                   "Quận Hoàn Kiếm", "Hà Nội")


@pytest.fixture
def session(dbsession):
    village = make_village(dbsession, slug="lang-ve-che", province="Tỉnh Vé Chè")
    experience = make_experience(dbsession, village, "ve-che-hai", max_party=6,
                                 texts={"vi": "Hái chè có vé", "en": "Ticketed tea picking"})
    return make_session(dbsession, experience, NOW + timedelta(days=3), capacity=10)


@pytest.fixture
def tea(dbsession, session):
    product = make_product(dbsession, session.experience.village, "che-ve", price=180000, stock=10,
                           texts={"vi": "Trà móc câu hộp 200 g", "en": "Fish-hook tea, 200 g box",
                                  "ko": "목꺼우 녹차 200g"})
    link(dbsession, session.experience, product)
    return product


def book(app, dbsession, session, tea, fulfilment, *, name="Nguyễn Thị Lan", locale="vi"):
    booking, _token = services.create_hold(
        dbsession, session=session, party={"adult": 2}, contact=contact(name=name, locale=locale), now=NOW,
        basket=checkout.Basket(((tea.id, 2),), fulfilment, ADDRESS if fulfilment == Fulfilment.DELIVERY else None))
    services.confirm_booking(dbsession, booking, now=NOW, registry=app.registry)
    return booking


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_ticket_has_a_pickup_list(app, dbsession, session, tea):
    booking = book(app, dbsession, session, tea, Fulfilment.PICKUP)
    text = pdf_text(ticket_pdf_for(app.registry, dbsession, booking))
    assert "2 × Trà móc câu hộp 200 g" in text
    assert "Nhận tại làng" in text  # the list's heading, in the guest's language


def test_a_delivery_is_not_on_the_pickup_list(app, dbsession, session, tea):
    booking = book(app, dbsession, session, tea, Fulfilment.DELIVERY, locale="ko")
    assert "목꺼우 녹차" not in pdf_text(ticket_pdf_for(app.registry, dbsession, booking))


def test_the_manifest_lists_each_bookings_products(app, dbsession, session, tea):
    book(app, dbsession, session, tea, Fulfilment.PICKUP, name="Nguyễn Thị Lan")
    book(app, dbsession, session, tea, Fulfilment.DELIVERY, name="김민지", locale="ko")
    guests = {g.name: g.products for g in manifest_for(app.registry, dbsession, session, "en", now=NOW).guests}
    assert guests == {"Nguyễn Thị Lan": "2 × Fish-hook tea, 200 g box — to hand over",
                      "김민지": "2 × Fish-hook tea, 200 g box — delivery"}
    text = pdf_text(manifest_pdf_for(app.registry, dbsession, session, "vi", now=NOW))
    assert "Trà móc câu hộp 200 g" in text


def test_the_confirmation_email_lists_the_products_and_how_they_come(app, dbsession, session, tea):
    booking = book(app, dbsession, session, tea, Fulfilment.DELIVERY, locale="en")
    (email,) = dbsession.scalars(select(OutboxMessage).where(OutboxMessage.recipient == booking.contact_email)).all()
    assert "2 × Fish-hook tea, 200 g box" in email.body_text
    assert "12 Hàng Bạc" in email.body_text and "35,000" in email.body_text
    assert "2 × Fish-hook tea, 200 g box" in email.body_html
