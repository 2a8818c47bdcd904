"""The village's products sold with a booking: parsing the form, stock held and given back,
refunds, and no overselling when guests race for the last units (with a negative control)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from webob.multidict import MultiDict

from tests.concurrency import all_at_once, committed, guard_switched_off
from tests.factories import contact, make_experience, make_session, make_village
from tests.tourism.shop.factories import committed_tea_session, link, make_product
from tourism.booking import services
from tourism.booking.models import Booking, BookingProductLine, BookingStatus, Fulfilment
from tourism.payments.models import Payment, PaymentStatus
from tourism.payments.settlement import settle_received_payment
from tourism.exceptions import DomainError
from tourism.scheduling.models import ExperienceSession
from tourism.shop import checkout, stock

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)  # 08:00 in Hà Nội
TOMORROW = NOW + timedelta(days=1)
IN_THREE_DAYS = NOW + timedelta(days=3)
TEA_PRICE = 180000
ADDRESS = {"delivery_name": "Trần Văn Minh", "delivery_phone": "0912 345 678",
           "delivery_street": "12 Hàng Bạc", "delivery_ward": "Phường Hàng Bạc",
           "delivery_district": "Quận Hoàn Kiếm", "delivery_province": "Hà Nội"}


@pytest.fixture
def experience(dbsession):
    village = make_village(dbsession, slug="mua-che", province="Tỉnh Mua")
    return make_experience(dbsession, village, "mua-che-hai", max_party=6,
                           prices=(("adult", 300000), ("child", 200000)))


@pytest.fixture
def tea(dbsession, experience):
    product = make_product(dbsession, experience.village, "che-mua-thu", price=TEA_PRICE, stock=5,
                           texts={"vi": "Chè Mua", "en": "Mua tea"})
    link(dbsession, experience, product)
    return product


@pytest.fixture
def session(dbsession, experience):
    return make_session(dbsession, experience, IN_THREE_DAYS, capacity=5)


def basket(dbsession, experience, form, locale="en"):
    return checkout.parse_basket(dbsession, MultiDict(form), experience, locale)


def hold(dbsession, session, the_basket, now=NOW, **kw):
    return services.create_hold(dbsession, session=session, party={"adult": 2}, contact=contact(), now=now,
                                basket=the_basket, **kw)


# --- the form ----------------------------------------------------------------------------

def test_a_pickup_basket(dbsession, experience, tea):
    parsed = basket(dbsession, experience, {f"product_{tea.id}": "2", "fulfilment": "pickup"})
    assert parsed == checkout.Basket(((tea.id, 2),), Fulfilment.PICKUP, None)


def test_no_products_needs_no_fulfilment(dbsession, experience, tea):
    assert basket(dbsession, experience, {f"product_{tea.id}": "0"}) == checkout.EMPTY_BASKET
    assert basket(dbsession, experience, {f"product_{tea.id}": ""}) == checkout.EMPTY_BASKET
    assert basket(dbsession, experience, {}) == checkout.EMPTY_BASKET


def test_a_delivery_basket_keeps_the_address(dbsession, experience, tea):
    parsed = basket(dbsession, experience, {f"product_{tea.id}": "1", "fulfilment": "delivery", **ADDRESS})
    assert parsed.address == checkout.DeliveryAddress("Trần Văn Minh", "0912 345 678", "12 Hàng Bạc",
                                                      "Phường Hàng Bạc", "Quận Hoàn Kiếm", "Hà Nội")


@pytest.mark.parametrize("quantity", ["-1", "100", "999999", "1.5", "two"])
def test_bad_quantities_name_the_product(dbsession, experience, tea, quantity):
    with pytest.raises(DomainError) as error:
        basket(dbsession, experience, {f"product_{tea.id}": quantity, "fulfilment": "pickup"})
    assert error.value.message.interpolate() == "Enter a quantity from 0 to 99 for Mua tea."
    assert error.value.field == f"product_{tea.id}"


def test_a_product_of_another_village_is_refused_by_name(dbsession, experience):
    elsewhere = make_village(dbsession, slug="lang-khac", province="Tỉnh Khác")
    vase = make_product(dbsession, elsewhere, "binh-khac", texts={"vi": "Bình Khác", "en": "Other vase"})
    with pytest.raises(DomainError) as error:
        basket(dbsession, experience, {f"product_{vase.id}": "1", "fulfilment": "pickup"}, locale="vi")
    assert error.value.message.interpolate() == "Bình Khác is not sold with this experience."


@pytest.mark.parametrize("form", [{"product_999999": "1"}, {"product_x": "1"}])
def test_unknown_products_are_refused(dbsession, experience, tea, form):
    with pytest.raises(DomainError, match="This product cannot be added to this booking."):
        basket(dbsession, experience, dict(form, fulfilment="pickup"))


def test_a_draft_product_is_refused(dbsession, experience, tea):
    from tourism.catalog.models import PublicationStatus

    tea.status = PublicationStatus.DRAFT
    dbsession.flush()
    with pytest.raises(DomainError, match="This product cannot be added to this booking."):
        basket(dbsession, experience, {f"product_{tea.id}": "1", "fulfilment": "pickup"})


@pytest.mark.parametrize("change, field, message", [
    ({"fulfilment": ""}, "fulfilment", "Choose whether to pick up the products at the village or have them delivered."),
    ({"fulfilment": "drone"}, "fulfilment", "Choose whether to pick up"),
    ({"delivery_country": "FR"}, "delivery_country", "We deliver within Vietnam only."),
    ({"delivery_street": " "}, "delivery_street", "Enter the house number and street"),
    ({"delivery_ward": ""}, "delivery_ward", "Enter the ward or commune"),
    ({"delivery_phone": "+33 6 12 34 56 78"}, "delivery_phone", "Enter a Vietnamese phone number"),
    ({"delivery_province": "x" * 101}, "delivery_province", "Enter the province"),
])
def test_bad_delivery_choices(dbsession, experience, tea, change, field, message):
    form = {f"product_{tea.id}": "1", "fulfilment": "delivery", **ADDRESS, **change}
    with pytest.raises(DomainError) as error:
        basket(dbsession, experience, form)
    assert error.value.field == field and error.value.message.interpolate().startswith(message)


def test_the_shipping_fee_setting():
    assert checkout.shipping_fee({}) == 35000
    assert checkout.shipping_fee({"tourism.shop.shipping_fee": "0"}) == 0
    with pytest.raises(ValueError):
        checkout.shipping_fee({"tourism.shop.shipping_fee": "-1"})


# --- holds, expiry, cancellation ------------------------------------------------------------

def test_a_hold_with_products_takes_their_stock_and_charges_one_total(dbsession, experience, tea, session):
    booking, _token = hold(dbsession, session, checkout.Basket(((tea.id, 2),), Fulfilment.PICKUP))
    dbsession.refresh(tea)
    assert tea.stock == 3
    assert [(line.product_id, line.quantity, line.unit_price) for line in booking.product_lines] == [
        (tea.id, 2, TEA_PRICE)]
    assert (booking.fulfilment, booking.shipping_fee) == (Fulfilment.PICKUP, 0)
    assert booking.total_amount == 2 * 300000 + 2 * TEA_PRICE


def test_a_delivery_adds_the_flat_fee_and_keeps_the_address(dbsession, experience, tea, session):
    parsed = basket(dbsession, experience, {f"product_{tea.id}": "1", "fulfilment": "delivery", **ADDRESS})
    booking, _token = hold(dbsession, session, parsed, shipping_fee=40000)
    assert booking.total_amount == 2 * 300000 + TEA_PRICE + 40000
    assert (booking.delivery_street, booking.delivery_province) == ("12 Hàng Bạc", "Hà Nội")


def test_out_of_stock_names_the_product_and_takes_neither_seats_nor_stock(dbsession, experience, tea, session):
    with pytest.raises(checkout.NotEnoughStock) as error:
        hold(dbsession, session, checkout.Basket(((tea.id, 6),), Fulfilment.PICKUP))
    assert error.value.message.interpolate() == "Only 5 of Chè Mua are left."  # in the guest's language (vi)
    dbsession.refresh(tea)
    dbsession.refresh(session)
    assert (tea.stock, session.seats_held, dbsession.scalar(select(Booking.id))) == (5, 0, None)


def test_a_sold_out_product_says_so(dbsession, experience, tea, session):
    tea.stock = 0
    dbsession.flush()
    with pytest.raises(checkout.NotEnoughStock) as error:
        hold(dbsession, session, checkout.Basket(((tea.id, 1),), Fulfilment.PICKUP))
    assert error.value.message.interpolate() == "Sorry, Chè Mua has just sold out."


def test_full_session_gives_the_stock_back(dbsession, experience, tea, session):
    with pytest.raises(services.NotEnoughSeats):
        services.create_hold(dbsession, session=session, party={"adult": 6}, contact=contact(), now=NOW,
                             basket=checkout.Basket(((tea.id, 2),), Fulfilment.PICKUP))
    dbsession.refresh(tea)
    assert tea.stock == 5


def test_an_expired_hold_puts_its_products_back(dbsession, experience, tea, session):
    booking, _token = hold(dbsession, session, checkout.Basket(((tea.id, 2),), Fulfilment.PICKUP))
    services.release_expired_holds(dbsession, now=NOW + timedelta(hours=1))
    dbsession.refresh(tea)
    dbsession.refresh(booking)
    assert (booking.status, tea.stock) == (BookingStatus.EXPIRED, 5)
    services.release_expired_holds(dbsession, now=NOW + timedelta(hours=2))  # never twice
    dbsession.refresh(tea)
    assert tea.stock == 5


def test_a_late_payment_retakes_the_stock_if_it_is_still_there(dbsession, experience, tea, session):
    booking, _token = hold(dbsession, session, checkout.Basket(((tea.id, 2),), Fulfilment.PICKUP))
    services.release_expired_holds(dbsession, now=NOW + timedelta(hours=1))
    tea.stock = 1
    dbsession.flush()
    with pytest.raises(checkout.NotEnoughStock):
        services.confirm_booking(dbsession, booking, now=NOW + timedelta(hours=1))
    dbsession.refresh(booking)
    assert booking.status == BookingStatus.EXPIRED
    tea.stock = 4
    dbsession.flush()
    services.confirm_booking(dbsession, booking, now=NOW + timedelta(hours=1))
    dbsession.refresh(tea)
    assert (booking.status, tea.stock) == (BookingStatus.CONFIRMED, 2)


def test_a_late_payment_for_products_sold_meanwhile_is_refunded_as_late(app, dbsession, experience, tea, session):
    booking, _token = hold(dbsession, session, checkout.Basket(((tea.id, 2),), Fulfilment.PICKUP))
    payment = Payment(booking=booking, provider="vietqr", amount=booking.total_amount, currency="VND",
                      status=PaymentStatus.PENDING)
    dbsession.add(payment)
    later = NOW + timedelta(hours=1)
    services.release_expired_holds(dbsession, now=later)
    tea.stock = 1  # sold to someone else while the transfer was on its way
    dbsession.flush()
    outcome = settle_received_payment(dbsession, payment, received=payment.amount, currency="VND",
                                      providers={}, now=later, registry=app.registry)
    assert outcome.endswith(": late_payment")
    assert [(r.reason, r.amount) for r in payment.refunds] == [("late_payment", booking.total_amount)]
    dbsession.refresh(booking)
    assert booking.status == BookingStatus.EXPIRED


def test_cancelling_refunds_the_products_in_full_and_puts_them_back(dbsession, experience, tea, session):
    booking, _token = hold(dbsession, session, checkout.Basket(((tea.id, 2),), Fulfilment.PICKUP))
    services.confirm_booking(dbsession, booking, now=NOW)
    paid = booking.total_amount
    at = IN_THREE_DAYS - timedelta(hours=30)  # the policy gives half of the experience back
    assert services.refund_due(booking, paid, at) == (50, 300000 + 2 * TEA_PRICE)
    refunded = services.cancel_booking(dbsession, booking, now=at,
                                       refund=lambda b: services.refund_due(b, paid, at)[1])
    dbsession.refresh(tea)
    assert (refunded, tea.stock) == (300000 + 2 * TEA_PRICE, 5)


def test_products_handed_over_are_neither_refunded_nor_put_back(dbsession, experience, tea, session):
    parsed = basket(dbsession, experience, {f"product_{tea.id}": "2", "fulfilment": "delivery", **ADDRESS})
    booking, _token = hold(dbsession, session, parsed, shipping_fee=35000)
    services.confirm_booking(dbsession, booking, now=NOW)
    paid = booking.total_amount
    at = IN_THREE_DAYS - timedelta(hours=30)  # the policy gives half of the experience back
    assert services.refund_due(booking, paid, at) == (50, 300000 + 2 * TEA_PRICE + 35000)
    booking.product_lines[0].handed_over_at = NOW
    dbsession.flush()
    assert services.refund_due(booking, paid, at) == (50, 300000)  # the fee paid for their shipping
    services.cancel_booking(dbsession, booking, now=at)
    dbsession.refresh(tea)
    assert tea.stock == 3


def test_a_part_payment_is_never_over_refunded(dbsession, experience, tea, session):
    booking, _token = hold(dbsession, session, checkout.Basket(((tea.id, 2),), Fulfilment.PICKUP))
    assert services.refund_due(booking, 100000, NOW) == (100, 100000)
    assert services.refund_due(booking, 0, NOW) == (100, 0)


def test_moving_keeps_the_products(dbsession, experience, tea, session):
    booking, _token = hold(dbsession, session, checkout.Basket(((tea.id, 2),), Fulfilment.PICKUP))
    services.confirm_booking(dbsession, booking, now=NOW)
    later = make_session(dbsession, experience, IN_THREE_DAYS + timedelta(days=1), capacity=5)
    services.move_booking(dbsession, booking, later, now=NOW)
    dbsession.refresh(tea)
    assert (booking.session_id, len(booking.product_lines), tea.stock) == (later.id, 1, 3)


def test_the_database_refuses_impossible_lines(dbsession, experience, tea, session):
    from sqlalchemy.exc import IntegrityError

    booking, _token = hold(dbsession, session, checkout.Basket(((tea.id, 1),), Fulfilment.PICKUP))
    with pytest.raises(IntegrityError):
        with dbsession.begin_nested():
            dbsession.add(BookingProductLine(booking_id=booking.id, product_id=tea.id, quantity=100, unit_price=1))
            dbsession.flush()


# --- the race for the last units -------------------------------------------------------------

UNITS = 7
GUESTS = 20


@pytest.fixture
def race_tea(db_url):
    """A committed session with plenty of seats and a product with UNITS units, on their own engine."""
    with committed_tea_session(db_url, GUESTS, "dua-che", units=UNITS, starts_at=IN_THREE_DAYS) as made:
        yield made


def race(factory, session_id, product_id) -> list[tuple]:
    def guest(i):
        try:
            committed(factory, lambda db: services.create_hold(
                db, session=db.get(ExperienceSession, session_id), party={"adult": 1}, contact=contact(),
                now=NOW, basket=checkout.Basket(((product_id, 1),), Fulfilment.PICKUP)))
        except checkout.NotEnoughStock as refused:
            return ("refused", refused.message.interpolate())
        return ("booked", 1)

    return all_at_once(GUESTS, guest)


def units_sold(factory, session_id) -> int:
    return committed(factory, lambda db: sum(db.scalars(
        select(BookingProductLine.quantity).join(Booking).where(Booking.session_id == session_id))))


@pytest.fixture
def guard_off():
    with guard_switched_off(stock.STOCK_GUARD):
        yield


@pytest.mark.usefixtures("guard_off")
def test_negative_control_without_the_guard_guests_oversell_the_tea(backend, race_tea):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unguarded writers never interleave")
    factory, session_id, product_id = race_tea
    outcomes = race(factory, session_id, product_id)
    assert units_sold(factory, session_id) > UNITS, outcomes


def test_with_the_guard_exactly_the_last_units_are_sold(race_tea):
    factory, session_id, product_id = race_tea
    outcomes = race(factory, session_id, product_id)
    assert [o for o in outcomes if o[0] == "error"] == []
    booked = sum(1 for kind, _ in outcomes if kind == "booked")
    refused = [message for kind, message in outcomes if kind == "refused"]
    assert booked == units_sold(factory, session_id) == UNITS
    assert len(refused) == GUESTS - UNITS
    assert all(m in ("Sorry, Race tea has just sold out.",) or m.startswith("Only ") for m in refused)
    assert committed(factory, lambda db: stock.stock_left(db, product_id)) == 0
    seats = committed(factory, lambda db: db.get(ExperienceSession, session_id).seats_held)
    assert seats == UNITS  # refused guests took no seats either
