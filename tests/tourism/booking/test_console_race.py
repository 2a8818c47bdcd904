"""Bookings taken by hand race like the website's: eight staff members (or staff and guests
online) booking the last seats of a session at the same moment never take more seats than it
has, and each refused one is told why with nothing left behind (no payment, no e-mail).

The negative control switches the seat guard off (read, pause, write back) and shows the
same race overbooking, on PostgreSQL (SQLite lets one writer in at a time)."""
import secrets
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import transaction
from sqlalchemy import delete, func, or_, select

from tests.concurrency import all_at_once, committed, guard_switched_off, race_engine
from tests.factories import make_experience, make_session, make_village
from tourism.booking import desk, services
from tourism.booking.models import Booking, BookingLine, BookingToken
from tourism.catalog.models import Experience, Village
from tourism.db import get_session_factory, get_tm_session
from tourism.forms import InvalidInput
from tourism.notify.models import OutboxMessage
from tourism.payments.models import Payment
from tourism.payments.services import providers
from tourism.scheduling.models import ExperienceSession

CAPACITY = 4
STAFF = 8
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def race_session(app, db_url):
    """A committed session of 4 seats on the race's own engine; removed afterwards."""
    engine = race_engine(db_url, STAFF)
    factory = get_session_factory(engine)
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        db = get_tm_session(factory, manager)
        village = make_village(db, slug="dua-tay", province="Tỉnh Đua Tay")
        experience = make_experience(db, village, "dua-tay-gom", max_party=4)
        session_id = make_session(db, experience, NOW + timedelta(days=3), capacity=CAPACITY).id
    yield factory, session_id
    with engine.begin() as conn:
        ids = list(conn.scalars(select(Booking.id).where(Booking.session_id == session_id)))
        payment_ids = list(conn.scalars(select(Payment.id).where(Payment.booking_id.in_(ids))))
        conn.execute(delete(OutboxMessage).where(or_(
            OutboxMessage.dedupe_key.in_([f"booking-confirmed:{i}" for i in ids]),
            OutboxMessage.dedupe_key.in_([f"vietqr-instructions:{i}" for i in payment_ids]))))
        conn.execute(delete(Payment).where(Payment.booking_id.in_(ids)))
        conn.execute(delete(BookingToken).where(BookingToken.booking_id.in_(ids)))
        conn.execute(delete(BookingLine).where(BookingLine.booking_id.in_(ids)))
        conn.execute(delete(Booking).where(Booking.id.in_(ids)))
        conn.execute(delete(ExperienceSession).where(ExperienceSession.id == session_id))
        conn.execute(delete(Experience).where(Experience.slug == "dua-tay-gom"))
        conn.execute(delete(Village).where(Village.slug == "dua-tay"))
    engine.dispose()


def race(app, factory, session_id, payment="at_village") -> list:
    request = SimpleNamespace(registry=app.registry)  # what the providers read from a request

    def staff_member(i):
        form = {"form_key": secrets.token_urlsafe(24), "tier_adult": "2", "name": f"Khách {i}",
                "email": f"khach{i}@example.com", "phone": "+84 912 345 678", "country": "VN", "language": "vi",
                "channel": "phone", "payment": payment}
        try:
            booking, _made = committed(factory, lambda db: desk.book_by_hand(
                db, session=db.get(ExperienceSession, session_id), form=form, now=NOW, request=request,
                providers=providers(app.registry)))
        except InvalidInput as refused:
            return ("refused", refused.errors["party"].interpolate())
        return ("booked", booking.id)

    return all_at_once(STAFF, staff_member)


def seats_and_rows(factory, session_id) -> tuple:
    def read(db):
        session = db.get(ExperienceSession, session_id)
        ids = select(Booking.id).where(Booking.session_id == session_id)
        return (session.seats_booked + session.seats_held,
                db.scalar(select(func.coalesce(func.sum(Booking.seats), 0)).where(Booking.session_id == session_id)),
                db.scalar(select(func.count()).select_from(Payment).where(Payment.booking_id.in_(ids))),
                db.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.recipient.like("khach%@example.com"))))
    return committed(factory, read)


def test_negative_control_without_the_guard_hand_bookings_overbook(backend, app, race_session):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unguarded writers never interleave")
    factory, session_id = race_session
    # Transfers keep the seats held: confirming would trip the CHECK constraint (the backstop)
    # and roll the overbooking back, hiding it.
    with guard_switched_off(services.SEAT_GUARD):
        outcomes = race(app, factory, session_id, payment="vietqr")
    _counter, seats, _payments, _emails = seats_and_rows(factory, session_id)
    assert seats > CAPACITY, outcomes


@pytest.mark.parametrize("payment", ["at_village", "vietqr"])
def test_hand_bookings_never_take_more_seats_than_the_session_has(app, race_session, payment):
    factory, session_id = race_session
    outcomes = race(app, factory, session_id, payment)
    assert [o for o in outcomes if o[0] == "error"] == []
    booked = [o for o in outcomes if o[0] == "booked"]
    refused = [message for kind, message in outcomes if kind == "refused"]
    assert len(booked) == CAPACITY // 2 and len(refused) == STAFF - CAPACITY // 2
    assert all(message == "Sorry, this session has just sold out." or message.startswith("Only ")
               for message in refused)
    # The winners have their payment (due, or a transfer awaited) and their e-mail; the losers
    # left nothing behind.
    assert seats_and_rows(factory, session_id) == (CAPACITY, CAPACITY, len(booked), len(booked))
