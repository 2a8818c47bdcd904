"""No overbooking under concurrency, on PostgreSQL and on SQLite.

Fifty guests race for a session of 20 seats, each asking for 1 to 3 seats, each in its own
transaction on its own connection. The negative control first switches the guard off
(read, pause, write back) and shows the race really overbooks; with the guard on, no more
than 20 seats are ever taken and every refused guest got the "only N seats left" message.
"""
from datetime import datetime, timedelta, timezone

import pytest
import transaction
from sqlalchemy import delete, func, select

from tests.concurrency import all_at_once, committed, guard_switched_off, race_engine
from tests.factories import contact, make_experience, make_session, make_village
from tourism.booking import services
from tourism.booking.models import Booking
from tourism.db import get_session_factory, get_tm_session
from tourism.scheduling.models import ExperienceSession

CAPACITY = 20
GUESTS = 50
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
REFUSALS = ("Sorry, this session has just sold out.", "Only ")


@pytest.fixture
def race_session(db_url):
    """A committed session of 20 seats on its own engine (the rolled-back test session cannot race)."""
    engine = race_engine(db_url, GUESTS)
    factory = get_session_factory(engine)
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        db = get_tm_session(factory, manager)
        village = make_village(db, slug="dua-tranh", province="Tỉnh Đua")
        experience = make_experience(db, village, "dua-tranh-gom", max_party=3)
        session_id = make_session(db, experience, NOW + timedelta(days=3), capacity=CAPACITY).id
    yield factory, session_id
    with engine.begin() as conn:
        from tourism.booking.models import BookingLine, BookingToken
        from tourism.catalog.models import Experience, Village

        booking_ids = select(Booking.id).where(Booking.session_id == session_id)
        conn.execute(delete(BookingToken).where(BookingToken.booking_id.in_(booking_ids)))
        conn.execute(delete(BookingLine).where(BookingLine.booking_id.in_(booking_ids)))
        conn.execute(delete(Booking).where(Booking.session_id == session_id))
        conn.execute(delete(ExperienceSession).where(ExperienceSession.id == session_id))
        conn.execute(delete(Experience).where(Experience.slug == "dua-tranh-gom"))
        conn.execute(delete(Village).where(Village.slug == "dua-tranh"))
    engine.dispose()


def race(factory, session_id) -> list[tuple[str, object]]:
    def guest(i):
        seats = 1 + i % 3
        try:
            committed(factory, lambda db: services.create_hold(
                db, session=db.get(ExperienceSession, session_id), party={"adult": seats}, contact=contact(), now=NOW))
        except services.NotEnoughSeats as refused:
            return ("refused", refused.message.interpolate())
        return ("booked", seats)

    return all_at_once(GUESTS, guest)


def seats_in_bookings(factory, session_id) -> int:
    return committed(factory, lambda db: db.scalar(
        select(func.coalesce(func.sum(Booking.seats), 0)).where(Booking.session_id == session_id)))


@pytest.fixture
def guard_off():
    with guard_switched_off(services.SEAT_GUARD):
        yield


@pytest.mark.usefixtures("guard_off")
def test_negative_control_without_the_guard_the_race_overbooks(backend, race_session):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unguarded writers never interleave")
    factory, session_id = race_session
    outcomes = race(factory, session_id)
    assert seats_in_bookings(factory, session_id) > CAPACITY, outcomes


def test_with_the_guard_never_more_than_capacity_and_every_refusal_is_explained(race_session):
    factory, session_id = race_session
    outcomes = race(factory, session_id)
    booked = sum(seats for kind, seats in outcomes if kind == "booked")
    refused = [message for kind, message in outcomes if kind == "refused"]
    assert [o for o in outcomes if o[0] == "error"] == []
    assert booked == seats_in_bookings(factory, session_id) <= CAPACITY
    assert booked >= CAPACITY - 2  # the session fills up (a last request of 3 may not fit 1–2 seats)
    assert refused and all(message.startswith(REFUSALS) for message in refused)
    counters = committed(factory, lambda db: (lambda s: (s.seats_held, s.seats_booked))(
        db.get(ExperienceSession, session_id)))
    assert counters == (booked, 0)


def test_a_form_sent_twice_at_the_same_moment_books_once(race_session):
    factory, session_id = race_session

    def submit(_i):
        booking, token = committed(factory, lambda db: services.create_hold(
            db, session=db.get(ExperienceSession, session_id), party={"adult": 2}, contact=contact(), now=NOW,
            form_key="one-form-two-clicks"))
        return (booking.reference, bool(token))

    references = all_at_once(2, submit)
    assert references[0] == references[1] and references[0][1] is True
    assert seats_in_bookings(factory, session_id) == 2
