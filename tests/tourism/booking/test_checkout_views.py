"""Adding the village's products on the booking form (no JavaScript), through WebTest.

"A guest booking a Tân Cương tea-picking morning can add two boxes of the cooperative's OCOP
tea for pickup, pays one total" — with the demo experience and the demo tea.
"""
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.factories import make_session
from tourism.booking.models import Booking, Fulfilment
from tourism.catalog.models import Experience
from tourism.payments.models import Payment
from tourism.shop.models import Product

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
ADULT = 450000  # the demo experience's adult price
ADDRESS = {"delivery_name": "Trần Văn Minh", "delivery_phone": "0912 345 678",
           "delivery_street": "12 Hàng Bạc", "delivery_ward": "Phường Hàng Bạc",
           "delivery_district": "Quận Hoàn Kiếm", "delivery_province": "Hà Nội"}


@pytest.fixture
def tea_morning(dbsession):
    experience = dbsession.scalar(select(Experience).where(Experience.slug == "tan-cuong-tea-morning"))
    session = make_session(dbsession, experience, NOW + timedelta(days=3, minutes=17), capacity=8)
    tea = dbsession.scalar(select(Product).where(Product.slug == "tra-moc-cau-tan-cuong"))
    return session, tea


def page(response):
    return BeautifulSoup(response.text, "html.parser")


def fill(form, **values):
    defaults = {"tier_adult": "2", "name": "Nguyễn Thị Lan", "email": "lan@example.vn", "phone": "+84 912 345 678",
                "country": "VN", "language": "vi"}
    for key, value in dict(defaults, **values).items():
        if key in form.fields:
            form[key] = value
    return form


@pytest.mark.parametrize("locale", ["vi", "en", "ko"])
def test_two_boxes_of_ocop_tea_for_pickup_are_paid_in_one_total(app_at, dbsession, tea_morning, locale):
    session, tea = tea_morning
    stock_before = tea.stock
    form_page = app_at.get(f"/book/{session.id}", {"lang": locale})
    products = page(form_page).select_one("fieldset.booking-products")
    assert products is not None and products.select_one(f"#product_{tea.id}") is not None
    assert products.select_one("#fulfilment_pickup")["type"] == "radio"
    manage = fill(form_page.forms[0], language=locale, **{f"product_{tea.id}": "2", "fulfilment": "pickup"}
                  ).submit(status=303).follow()
    booking = dbsession.scalar(select(Booking).where(Booking.session_id == session.id))
    assert booking.fulfilment == Fulfilment.PICKUP
    assert booking.total_amount == 2 * ADULT + 2 * tea.price
    dbsession.refresh(tea)
    assert tea.stock == stock_before - 2
    summary = page(manage).select_one("#details-title").find_parent("section").get_text()
    assert "2 ×" in summary and tea.slug not in summary  # the tea's name, not its slug
    manage.forms[0].submit(status=303).follow()  # pay at the village (the first provider)
    (payment,) = dbsession.scalars(select(Payment).where(Payment.booking_id == booking.id)).all()
    assert payment.amount == 2 * ADULT + 2 * tea.price


def test_delivery_adds_the_shipping_fee(app_at, dbsession, tea_morning):
    session, tea = tea_morning
    form = fill(app_at.get(f"/book/{session.id}", {"lang": "en"}).forms[0],
                **{f"product_{tea.id}": "1", "fulfilment": "delivery", **ADDRESS})
    manage = form.submit(status=303).follow()
    booking = dbsession.scalar(select(Booking).where(Booking.session_id == session.id))
    assert booking.total_amount == 2 * ADULT + tea.price + 35000
    assert "12 Hàng Bạc" in manage.text


@pytest.mark.parametrize("values, field, message", [
    ({"qty": "-2", "fulfilment": "pickup"}, "product", "Enter a quantity from 0 to 99"),
    ({"qty": "1000", "fulfilment": "pickup"}, "product", "Enter a quantity from 0 to 99"),
    ({"qty": "1", "fulfilment": "delivery", "delivery_street": ""}, "delivery_street", "house number and street"),
    ({"qty": "1", "fulfilment": "delivery", "delivery_phone": "+33 6 12 34 56 78"}, "delivery_phone",
     "Vietnamese phone number"),
])
def test_bad_choices_are_explained_next_to_the_field_and_change_nothing(app_at, dbsession, tea_morning, values,
                                                                        field, message):
    session, tea = tea_morning
    stock_before = tea.stock
    values = dict(values)
    quantity = values.pop("qty")
    form = fill(app_at.get(f"/book/{session.id}", {"lang": "en"}).forms[0],
                **{f"product_{tea.id}": quantity, **ADDRESS, **values})
    response = form.submit(status=400)
    assert message in page(response).select_one('[role="alert"]').get_text()
    field_id = f"product_{tea.id}" if field == "product" else field
    assert page(response).select_one(f"#{field_id}")["aria-invalid"] == "true"
    assert dbsession.scalars(select(Booking).where(Booking.session_id == session.id)).all() == []
    dbsession.refresh(tea)
    assert tea.stock == stock_before


def test_an_address_abroad_is_refused_in_the_visitors_language(app_at, dbsession, tea_morning):
    session, tea = tea_morning
    form = fill(app_at.get(f"/book/{session.id}", {"lang": "vi"}).forms[0],
                **{f"product_{tea.id}": "1", "fulfilment": "delivery", **ADDRESS})
    fields = dict(form.submit_fields())
    fields["delivery_country"] = "FR"  # not a field of the form: a tampered request
    response = app_at.post(f"/book/{session.id}", fields, status=400)
    assert "Chúng tôi chỉ giao hàng trong lãnh thổ Việt Nam." in page(response).select_one('[role="alert"]').get_text()


def test_a_product_of_another_village_is_refused(app_at, dbsession, tea_morning):
    session, _tea = tea_morning
    other = dbsession.scalar(select(Product).where(Product.village_id != session.experience.village_id,
                                                   Product.status == "published"))
    form = fill(app_at.get(f"/book/{session.id}", {"lang": "en"}).forms[0])
    fields = dict(form.submit_fields())
    fields[f"product_{other.id}"] = "1"
    fields["fulfilment"] = "pickup"
    response = app_at.post(f"/book/{session.id}", fields, status=400)
    assert "is not sold with this experience" in page(response).select_one('[role="alert"]').get_text()


@pytest.mark.parametrize("locale, words", [("en", "Out of stock"), ("vi", "Hết hàng")])
def test_a_sold_out_product_is_shown_as_such_and_cannot_be_chosen(app_at, dbsession, tea_morning, locale, words):
    session, tea = tea_morning
    tea.stock = 0
    dbsession.flush()
    products = page(app_at.get(f"/book/{session.id}", {"lang": locale})).select_one("fieldset.booking-products")
    field = products.select_one(f"#product_{tea.id}")
    assert "disabled" in field.attrs  # a disabled field is not sent: nothing to refuse later
    assert words in products.select_one(f"label[for=product_{tea.id}]").get_text()
