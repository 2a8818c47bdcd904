"""Handing over the products sold with a booking: marking, pressing twice, refusals, what a
cancellation refunds afterwards, taking a press back ("Undo"), and two staff phones pressing
at the same moment (on PostgreSQL, with a negative control)."""
from datetime import datetime, timedelta, timezone

import pytest
import transaction
from sqlalchemy import delete, select

from tests.concurrency import all_at_once, committed, guard_switched_off, race_engine
from tests.factories import contact, make_experience, make_session, make_village
from tests.tourism.shop.factories import link, make_product
from tourism.booking import services
from tourism.booking.models import Booking, BookingProductLine, BookingStatus, Fulfilment
from tourism.db import get_session_factory, get_tm_session
from tourism.scheduling.models import ExperienceSession
from tourism.shop import checkout, handover
from tourism.shop.handover import HandOverRefused, hand_over, marked_at_from_text, take_back
from tourism.shop.models import Product

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)  # 08:00 in Hà Nội
LATER = NOW + timedelta(hours=2)
IN_THREE_DAYS = NOW + timedelta(days=3)
TEA_PRICE, CUP_PRICE, ADULT = 180000, 90000, 300000
ADDRESS = checkout.DeliveryAddress("Trần Văn Minh", "0912 345 678", "12 Hàng Bạc", "Phường Hàng Bạc",
                                   "Quận Hoàn Kiếm", "Hà Nội")


@pytest.fixture
def experience(dbsession):
    village = make_village(dbsession, slug="giao-che", province="Tỉnh Giao")
    return make_experience(dbsession, village, "giao-che-hai", max_party=6, prices=(("adult", ADULT),),
                           cancellation=((48, 100), (24, 50)))


@pytest.fixture
def tea(dbsession, experience):
    product = make_product(dbsession, experience.village, "che-giao", price=TEA_PRICE, stock=10,
                           texts={"vi": "Trà móc câu Tân Cương, hộp 200 g", "en": "Tân Cương fish-hook tea, 200 g box"})
    link(dbsession, experience, product)
    return product


@pytest.fixture
def cup(dbsession, experience):
    return make_product(dbsession, experience.village, "chen-giao", price=CUP_PRICE, stock=10,
                        texts={"vi": "Chén gốm", "en": "Clay cup"})


@pytest.fixture
def session(dbsession, experience):
    return make_session(dbsession, experience, IN_THREE_DAYS, capacity=10)


def hold(dbsession, session, items, fulfilment=Fulfilment.PICKUP):
    booking, _token = services.create_hold(
        dbsession, session=session, party={"adult": 1}, contact=contact(), now=NOW,
        basket=checkout.Basket(tuple(sorted(items)), fulfilment,
                               ADDRESS if fulfilment == Fulfilment.DELIVERY else None))
    return booking


def confirmed(dbsession, session, items, fulfilment=Fulfilment.PICKUP):
    booking = hold(dbsession, session, items, fulfilment)
    services.confirm_booking(dbsession, booking, now=NOW)
    return booking


def handed_over_at(dbsession, booking) -> list:
    return list(dbsession.scalars(select(BookingProductLine.handed_over_at)
                                  .where(BookingProductLine.booking_id == booking.id)
                                  .order_by(BookingProductLine.id)))


# --- marking -----------------------------------------------------------------------------------

def test_every_line_is_marked_and_returned(dbsession, session, tea, cup):
    booking = confirmed(dbsession, session, [(tea.id, 2), (cup.id, 1)])
    done = hand_over(dbsession, booking, now=LATER)
    assert not done.already_handed_over
    assert sorted((line.product_id, line.quantity) for line in done.marked) == sorted([(tea.id, 2), (cup.id, 1)])
    assert all(line.handed_over_at == LATER for line in done.marked)  # the loaded lines are up to date
    assert handed_over_at(dbsession, booking) == [LATER, LATER]
    assert handover.lines_text(done.marked, "vi") == ["2 × Trà móc câu Tân Cương, hộp 200 g", "1 × Chén gốm"]


def test_pressed_again_it_changes_nothing_and_says_so(dbsession, session, tea):
    booking = confirmed(dbsession, session, [(tea.id, 2)])
    hand_over(dbsession, booking, now=LATER)
    again = hand_over(dbsession, booking, now=LATER + timedelta(minutes=5))
    assert again.already_handed_over and again.marked == ()
    assert handed_over_at(dbsession, booking) == [LATER]  # the first time stays


def test_handing_over_neither_takes_nor_gives_stock(dbsession, session, tea):
    booking = confirmed(dbsession, session, [(tea.id, 2)])
    hand_over(dbsession, booking, now=LATER)
    dbsession.refresh(tea)
    assert tea.stock == 8


def test_a_pay_at_the_village_booking_is_confirmed_so_its_products_are_handed_over(dbsession, session, tea):
    booking = hold(dbsession, session, [(tea.id, 1)])
    booking.payment_provider = "on_site"
    services.confirm_booking(dbsession, booking, now=NOW)  # accepted for payment at the village
    assert hand_over(dbsession, booking, now=LATER).marked


# --- refusals ----------------------------------------------------------------------------------

def test_a_held_booking_is_refused(dbsession, session, tea):
    booking = hold(dbsession, session, [(tea.id, 2)])
    with pytest.raises(HandOverRefused) as error:
        hand_over(dbsession, booking, now=NOW)
    assert error.value.reason == "not_confirmed"
    assert error.value.message.interpolate().startswith("This booking is not confirmed")
    assert handed_over_at(dbsession, booking) == [None]


def test_an_expired_hold_is_refused(dbsession, session, tea):
    booking = hold(dbsession, session, [(tea.id, 2)])
    services.release_expired_holds(dbsession, now=NOW + timedelta(hours=1))
    with pytest.raises(HandOverRefused) as error:
        hand_over(dbsession, booking, now=LATER)
    assert error.value.reason == "not_confirmed"


def test_a_cancelled_booking_is_refused(dbsession, session, tea):
    booking = confirmed(dbsession, session, [(tea.id, 2)])
    services.cancel_booking(dbsession, booking, now=NOW)
    with pytest.raises(HandOverRefused) as error:
        hand_over(dbsession, booking, now=LATER)
    assert error.value.reason == "cancelled"
    assert error.value.message.interpolate() == "This booking was cancelled: its products cannot be handed over."
    assert handed_over_at(dbsession, booking) == [None]


def test_a_cancellation_the_loaded_booking_has_not_seen_is_refused(dbsession, session, tea):
    """The status is read from the database (locked), not from a booking loaded earlier."""
    booking = confirmed(dbsession, session, [(tea.id, 2)])
    dbsession.execute(Booking.__table__.update().where(Booking.id == booking.id)
                      .values(status=BookingStatus.CANCELLED.value))
    with pytest.raises(HandOverRefused):
        hand_over(dbsession, booking, now=LATER)


def test_a_booking_without_products_has_nothing_to_hand_over(dbsession, session):
    booking, _token = services.create_hold(dbsession, session=session, party={"adult": 1}, contact=contact(),
                                           now=NOW)
    services.confirm_booking(dbsession, booking, now=NOW)
    with pytest.raises(HandOverRefused) as error:
        hand_over(dbsession, booking, now=LATER)
    assert error.value.reason == "no_products"


def test_a_delivery_is_not_handed_over_at_the_gate_nor_a_pickup_sent(dbsession, session, tea):
    delivery = confirmed(dbsession, session, [(tea.id, 1)], Fulfilment.DELIVERY)
    pickup = confirmed(dbsession, session, [(tea.id, 1)])
    with pytest.raises(HandOverRefused, match="to be delivered"):
        hand_over(dbsession, delivery, now=LATER, fulfilment=Fulfilment.PICKUP)
    with pytest.raises(HandOverRefused, match="to be picked up"):
        hand_over(dbsession, pickup, now=LATER, fulfilment=Fulfilment.DELIVERY)
    assert handed_over_at(dbsession, delivery) == handed_over_at(dbsession, pickup) == [None]
    assert hand_over(dbsession, delivery, now=LATER, fulfilment=Fulfilment.DELIVERY).marked


# --- what a cancellation refunds afterwards -------------------------------------------------------

def test_cancelling_after_the_hand_over_refunds_only_the_rest(dbsession, session, tea, cup):
    booking = confirmed(dbsession, session, [(tea.id, 2), (cup.id, 1)])
    paid = booking.total_amount
    at = IN_THREE_DAYS - timedelta(hours=30)  # the policy gives half of the experience back
    assert services.refund_due(booking, paid, at) == (50, ADULT // 2 + 2 * TEA_PRICE + CUP_PRICE)
    hand_over(dbsession, booking, now=LATER)
    refunded = services.cancel_booking(dbsession, booking, now=at,
                                       refund=lambda b: services.refund_due(b, paid, at)[1])
    assert refunded == ADULT // 2  # the policy's share of the experience; the products are the guest's
    dbsession.refresh(tea)
    dbsession.refresh(cup)
    assert (tea.stock, cup.stock) == (8, 9)  # not back on the shelf


def test_a_line_not_handed_over_is_still_refunded_in_full(dbsession, session, tea, cup):
    """Lines marked one by one (a line added after the hand-over, say): only the rest comes back."""
    booking = confirmed(dbsession, session, [(tea.id, 2), (cup.id, 1)])
    paid = booking.total_amount
    hand_over(dbsession, booking, now=LATER)
    cup_line = next(line for line in booking.product_lines if line.product_id == cup.id)
    cup_line.handed_over_at = None
    dbsession.flush()
    at = IN_THREE_DAYS - timedelta(hours=30)
    refunded = services.cancel_booking(dbsession, booking, now=at,
                                       refund=lambda b: services.refund_due(b, paid, at)[1])
    assert refunded == ADULT // 2 + CUP_PRICE
    dbsession.refresh(cup)
    assert cup.stock == 10


def test_a_sent_delivery_keeps_its_shipping_fee(dbsession, session, tea):
    booking = confirmed(dbsession, session, [(tea.id, 1)], Fulfilment.DELIVERY)
    paid = booking.total_amount
    at = IN_THREE_DAYS - timedelta(hours=60)  # the experience is refunded in full
    assert services.refund_due(booking, paid, at)[1] == paid
    hand_over(dbsession, booking, now=LATER, fulfilment=Fulfilment.DELIVERY)
    assert services.refund_due(booking, paid, at)[1] == ADULT


# --- reading ---------------------------------------------------------------------------------------

def test_what_is_left_to_hand_over_at_the_gate(dbsession, session, tea):
    pickup = confirmed(dbsession, session, [(tea.id, 2)])
    delivery = confirmed(dbsession, session, [(tea.id, 1)], Fulfilment.DELIVERY)
    held = hold(dbsession, session, [(tea.id, 1)])
    assert handover.lines_text(handover.to_hand_over(pickup), "en") == ["2 × Tân Cương fish-hook tea, 200 g box"]
    assert handover.to_hand_over(delivery) == [] and handover.to_hand_over(held) == []
    hand_over(dbsession, pickup, now=LATER)
    assert handover.to_hand_over(pickup) == []


# --- "Undo": taking a press back ------------------------------------------------------------------

def test_undo_within_the_window_puts_the_products_back_to_hand_over(dbsession, session, tea, cup):
    booking = confirmed(dbsession, session, [(tea.id, 2), (cup.id, 1)])
    done = hand_over(dbsession, booking, now=LATER)
    assert done.marked_at == LATER
    taken = take_back(dbsession, booking, marked_at=done.marked_at, now=LATER + timedelta(minutes=15))
    assert not taken.already_taken_back
    assert sorted(line.product_id for line in taken.lines) == sorted([tea.id, cup.id])
    assert handed_over_at(dbsession, booking) == [None, None]
    assert len(handover.to_hand_over(booking)) == 2  # the loaded lines are up to date
    assert hand_over(dbsession, booking, now=LATER + timedelta(minutes=16)).marked  # and handed over again


def test_undo_takes_back_only_what_that_press_marked(dbsession, session, tea, cup):
    booking = confirmed(dbsession, session, [(tea.id, 2), (cup.id, 1)])
    tea_line = next(line for line in booking.product_lines if line.product_id == tea.id)
    tea_line.handed_over_at = NOW  # given the day before
    dbsession.flush()
    done = hand_over(dbsession, booking, now=LATER)
    (taken,) = take_back(dbsession, booking, marked_at=done.marked_at, now=LATER + timedelta(minutes=1)).lines
    assert taken.product_id == cup.id
    assert tea_line.handed_over_at == NOW


def test_after_the_window_it_is_too_late(dbsession, session, tea):
    booking = confirmed(dbsession, session, [(tea.id, 2)])
    hand_over(dbsession, booking, now=LATER)
    with pytest.raises(HandOverRefused) as error:
        take_back(dbsession, booking, marked_at=LATER, now=LATER + timedelta(minutes=16))
    assert error.value.reason == "too_late"
    assert error.value.message.interpolate() == ("These products were handed over more than 15 minutes ago: "
                                                 "this can no longer be undone.")
    assert handed_over_at(dbsession, booking) == [LATER]


def test_undo_pressed_twice_changes_nothing_the_second_time(dbsession, session, tea):
    booking = confirmed(dbsession, session, [(tea.id, 2)])
    hand_over(dbsession, booking, now=LATER)
    take_back(dbsession, booking, marked_at=LATER, now=LATER + timedelta(minutes=1))
    again = take_back(dbsession, booking, marked_at=LATER, now=LATER + timedelta(minutes=2))
    assert again.already_taken_back and again.lines == ()
    assert handed_over_at(dbsession, booking) == [None]
    # An old "Undo" pressed after the products were handed over again leaves them handed over.
    hand_over(dbsession, booking, now=LATER + timedelta(minutes=3))
    assert take_back(dbsession, booking, marked_at=LATER, now=LATER + timedelta(minutes=4)).already_taken_back
    assert handed_over_at(dbsession, booking) == [LATER + timedelta(minutes=3)]


def test_a_cancelled_bookings_hand_over_is_not_undone(dbsession, session, tea):
    booking = confirmed(dbsession, session, [(tea.id, 2)])
    hand_over(dbsession, booking, now=LATER)
    services.cancel_booking(dbsession, booking, now=LATER)  # the handed-over tea was not refunded
    with pytest.raises(HandOverRefused) as error:
        take_back(dbsession, booking, marked_at=LATER, now=LATER + timedelta(minutes=1))
    assert error.value.reason == "cancelled"
    assert error.value.message.interpolate() == "This booking was cancelled: the hand-over can no longer be undone."
    assert handed_over_at(dbsession, booking) == [LATER]


def test_the_time_of_a_press_read_back_from_a_form():
    assert marked_at_from_text(LATER.isoformat()) == LATER
    for text in ("2026-12-01T03:00:00", "yesterday", "", None, "2026-12-01T03:00:00+00:00" + "0" * 40):
        assert marked_at_from_text(text) is None


# --- two phones at once ---------------------------------------------------------------------------

PHONES = 6


@pytest.fixture
def race_booking(db_url):
    """A committed, confirmed pickup booking of two products, on an engine of its own."""
    engine = race_engine(db_url, PHONES)
    factory = get_session_factory(engine)
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        db = get_tm_session(factory, manager)
        village = make_village(db, slug="giao-dua", province="Tỉnh Giao Đua")
        experience = make_experience(db, village, "giao-dua-hai", max_party=3)
        session = make_session(db, experience, IN_THREE_DAYS, capacity=10)
        tea = make_product(db, village, "che-giao-dua", stock=10, texts={"en": "Race tea"})
        cup = make_product(db, village, "chen-giao-dua", stock=10, texts={"en": "Race cup"})
        booking = confirmed(db, session, [(tea.id, 2), (cup.id, 1)])
        ids = (session.id, booking.id, (tea.id, cup.id))
    yield factory, ids[1]
    session_id, booking_id, product_ids = ids
    with engine.begin() as conn:
        from tourism.booking.models import BookingLine, BookingToken
        from tourism.catalog.models import Experience, Village
        from tourism.shop.models import ProductText

        for table in (BookingToken, BookingLine, BookingProductLine):
            conn.execute(delete(table).where(table.booking_id == booking_id))
        conn.execute(delete(Booking).where(Booking.id == booking_id))
        conn.execute(delete(ExperienceSession).where(ExperienceSession.id == session_id))
        conn.execute(delete(ProductText).where(ProductText.product_id.in_(product_ids)))
        conn.execute(delete(Product).where(Product.id.in_(product_ids)))
        conn.execute(delete(Experience).where(Experience.slug == "giao-dua-hai"))
        conn.execute(delete(Village).where(Village.slug == "giao-dua"))
    engine.dispose()


def press_at_once(factory, booking_id) -> list:
    """Every phone presses "Handed over" at once: how many lines each one marked."""
    def phone(i):
        return committed(factory, lambda db: len(hand_over(db, db.get(Booking, booking_id),
                                                           now=LATER + timedelta(seconds=i)).marked))

    return all_at_once(PHONES, phone)


@pytest.fixture
def guard_off():
    with guard_switched_off(handover.HANDOVER_GUARD):
        yield


@pytest.mark.usefixtures("guard_off")
def test_negative_control_without_the_guard_two_phones_both_hand_over(backend, race_booking):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unguarded writers never interleave")
    factory, booking_id = race_booking
    outcomes = press_at_once(factory, booking_id)
    assert [o for o in outcomes if isinstance(o, tuple)] == []
    # Phones that read the lines before either wrote all "handed them over": counted twice or more.
    assert sum(outcomes) > 2, outcomes


def test_with_the_guard_two_phones_at_once_hand_over_once(race_booking):
    factory, booking_id = race_booking
    outcomes = press_at_once(factory, booking_id)
    assert [o for o in outcomes if isinstance(o, tuple)] == []  # no errors
    assert sorted(outcomes) == [0] * (PHONES - 1) + [2]  # one phone marked both lines, the others nothing
    stamps = committed(factory, lambda db: list(db.scalars(
        select(BookingProductLine.handed_over_at).where(BookingProductLine.booking_id == booking_id))))
    assert len(stamps) == 2 and None not in stamps and len(set(stamps)) == 1
