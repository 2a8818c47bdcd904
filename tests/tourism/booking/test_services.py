"""Booking rules: party and contact checks, holds, expiry, confirmation, cancel and move."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from webob.multidict import MultiDict

from tests.factories import contact, make_experience, make_session, make_village
from tourism.booking import services
from tourism.booking.availability import availability
from tourism.booking.models import Booking, BookingStatus, BookingToken
from tourism.exceptions import DomainError
from tourism.scheduling.models import Closure, ExperienceResource, Resource, ResourceSlot, SessionStatus

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)  # 08:00 in Hà Nội
TOMORROW = NOW + timedelta(days=1)


@pytest.fixture
def experience(dbsession):
    village = make_village(dbsession, slug="dat-cho", province="Tỉnh Đặt")
    return make_experience(dbsession, village, "dat-cho-gom", max_party=6,
                           prices=(("adult", 300000), ("child", 200000)))


@pytest.fixture
def session(dbsession, experience):
    return make_session(dbsession, experience, TOMORROW, capacity=5)


def hold(dbsession, session, party=None, now=NOW, **kw):
    return services.create_hold(dbsession, session=session, party=party or {"adult": 2}, contact=contact(),
                                now=now, **kw)


# --- input ---------------------------------------------------------------------------

@pytest.mark.parametrize("form, message", [
    ({"tier_adult": "0"}, "Book for at least 1 people."),
    ({"tier_adult": "-1"}, "Enter how many people as a whole number."),
    ({"tier_adult": "99999999"}, "Enter how many people as a whole number."),
    ({"tier_adult": "7"}, "Book for at most 6 people."),
    ({"tier_vip": "1"}, "This ticket type does not exist for this experience."),
    ({"tier_child": "2"}, "Children need an adult with them: add at least one adult ticket."),
])
def test_bad_parties_get_a_clear_message(experience, form, message):
    with pytest.raises(DomainError) as error:
        services.parse_party(MultiDict(form), experience)
    assert error.value.message.interpolate() == message


def test_a_good_party(experience):
    assert services.parse_party(MultiDict({"tier_adult": "2", "tier_child": "1"}), experience) == {"adult": 2, "child": 1}


GOOD_CONTACT = {"name": "김민지", "email": "Minji@Example.kr", "phone": "+82 10-1234-5678", "country": "KR",
                "language": "ko"}


def test_names_in_any_script_and_normalised_email():
    parsed = services.parse_contact(MultiDict(GOOD_CONTACT))
    assert (parsed.name, parsed.email, parsed.country, parsed.locale) == ("김민지", "minji@example.kr", "KR", "ko")


@pytest.mark.parametrize("field, value", [
    ("name", ""), ("name", "x" * 10_000), ("email", "not-an-email"), ("email", "a@b"), ("phone", "call me"),
    ("phone", "12"), ("country", "XX"), ("language", "de"),
])
def test_bad_contact_fields(field, value):
    with pytest.raises(DomainError) as error:
        services.parse_contact(MultiDict(dict(GOOD_CONTACT, **{field: value})))
    assert error.value.field == field


# --- holds and the invariant ----------------------------------------------------------

def test_hold_takes_seats_and_stores_only_the_token_hash(dbsession, session):
    booking, token = hold(dbsession, session)
    dbsession.refresh(session)
    assert (session.seats_held, session.seats_booked, booking.status) == (2, 0, BookingStatus.HELD)
    assert booking.total_amount == 600000 and booking.hold_expires_at == NOW + timedelta(minutes=15)
    assert services.find_by_token(dbsession, token) == booking
    assert services.find_by_token(dbsession, token + "x") is None
    assert token not in {t.token_hash for t in dbsession.scalars(select(BookingToken))}


def test_reference_is_short_and_unambiguous(dbsession, session):
    booking, _token = hold(dbsession, session)
    assert len(booking.reference) == 8 and not set(booking.reference) & set("01OI")


def test_too_many_seats_says_how_many_are_left_and_changes_nothing(dbsession, session):
    hold(dbsession, session, {"adult": 3})
    with pytest.raises(services.NotEnoughSeats) as error:
        hold(dbsession, session, {"adult": 3})
    assert error.value.message.interpolate() == "Only 2 seats are left in this session."
    dbsession.refresh(session)
    assert session.seats_held == 3
    assert len(dbsession.scalars(select(Booking).where(Booking.session_id == session.id)).all()) == 1


@pytest.mark.parametrize("change, message", [
    (lambda s, db: setattr(s, "starts_at", NOW - timedelta(hours=1)), "This session has already started."),
    (lambda s, db: setattr(s, "starts_at", NOW + timedelta(minutes=90)),
     "Booking for this session has closed; it starts soon."),
    (lambda s, db: setattr(s, "status", SessionStatus.CANCELLED), "This session was cancelled."),
])
def test_sessions_that_cannot_be_booked(dbsession, session, change, message):
    change(session, dbsession)
    session.ends_at = session.starts_at + timedelta(hours=2)
    dbsession.flush()
    with pytest.raises(DomainError) as error:
        hold(dbsession, session)
    assert error.value.message.interpolate() == message


def test_closed_day_cannot_be_booked(dbsession, session, experience):
    closure = Closure(experience_id=experience.id, starts_on=TOMORROW.date(), ends_on=TOMORROW.date(), reason="Mưa")
    dbsession.add(closure)
    dbsession.flush()
    session.closure_id = closure.id
    dbsession.flush()
    with pytest.raises(DomainError, match="closed"):
        hold(dbsession, session)


def test_expired_holds_stop_counting_at_once_and_are_released_for_good(dbsession, session, experience):
    booking, _token = hold(dbsession, session, {"adult": 5})
    later = NOW + timedelta(minutes=16)
    window = dict(start=NOW, end=NOW + timedelta(days=2))
    assert availability(dbsession, experience, now=NOW, **window)[0].seats_left == 0
    assert availability(dbsession, experience, now=later, **window)[0].seats_left == 5  # before any job ran
    assert services.release_expired_holds(dbsession, now=later) == 5
    dbsession.refresh(session)
    dbsession.refresh(booking)
    assert session.seats_held == 0 and booking.status == BookingStatus.EXPIRED
    assert services.release_expired_holds(dbsession, now=later) == 0  # nothing twice


def test_a_new_hold_may_take_seats_of_an_expired_one(dbsession, session):
    first, _token = hold(dbsession, session, {"adult": 5})
    second, _token = hold(dbsession, session, {"adult": 4}, now=NOW + timedelta(minutes=20))
    dbsession.refresh(first)
    dbsession.refresh(session)
    assert first.status == BookingStatus.EXPIRED and session.seats_held == 4


def test_confirm_moves_held_seats_to_booked(dbsession, session):
    booking, _token = hold(dbsession, session)
    services.confirm_booking(dbsession, booking, now=NOW + timedelta(minutes=5))
    services.confirm_booking(dbsession, booking, now=NOW + timedelta(minutes=6))  # idempotent
    dbsession.refresh(session)
    assert booking.status == BookingStatus.CONFIRMED and (session.seats_held, session.seats_booked) == (0, 2)


def test_late_confirmation_retakes_free_seats_or_changes_nothing(dbsession, session):
    late, _token = hold(dbsession, session, {"adult": 3})
    services.confirm_booking(dbsession, late, now=NOW + timedelta(minutes=30))
    dbsession.refresh(session)
    assert late.status == BookingStatus.CONFIRMED and (session.seats_held, session.seats_booked) == (0, 3)

    too_late, _token = hold(dbsession, session, {"adult": 2}, now=NOW + timedelta(minutes=31))
    hold(dbsession, session, {"adult": 2}, now=NOW + timedelta(minutes=50))  # takes the seats back
    with pytest.raises(services.NotEnoughSeats):
        services.confirm_booking(dbsession, too_late, now=NOW + timedelta(minutes=51))
    dbsession.refresh(session)
    assert (session.seats_held, session.seats_booked) == (2, 3)


def test_move_is_atomic(dbsession, session, experience):
    booking, _token = hold(dbsession, session, {"adult": 3})
    services.confirm_booking(dbsession, booking, now=NOW)
    full = make_session(dbsession, experience, TOMORROW + timedelta(days=1), capacity=2)
    with pytest.raises(services.NotEnoughSeats):
        services.move_booking(dbsession, booking, full, now=NOW)
    dbsession.refresh(session)
    dbsession.refresh(full)
    assert booking.session_id == session.id and session.seats_booked == 3 and full.seats_booked == 0

    roomy = make_session(dbsession, experience, TOMORROW + timedelta(days=2), capacity=10)
    services.move_booking(dbsession, booking, roomy, now=NOW)
    dbsession.refresh(session)
    dbsession.refresh(roomy)
    assert booking.session_id == roomy.id and (session.seats_booked, roomy.seats_booked) == (0, 3)


def test_cancel_gives_seats_back_once_and_refunds_by_policy(dbsession, session):
    booking, _token = hold(dbsession, session)
    services.confirm_booking(dbsession, booking, now=NOW)
    assert services.refund_due(booking, 600000, NOW) == (50, 300000)  # 24 h before: half back
    assert services.refund_due(booking, 600000, TOMORROW - timedelta(hours=3)) == (0, 0)
    refunded = services.cancel_booking(dbsession, booking, now=NOW, refund=lambda b: 300000)
    again = services.cancel_booking(dbsession, booking, now=NOW, refund=lambda b: 300000)
    dbsession.refresh(session)
    assert (refunded, again, booking.status, session.seats_booked) == (300000, 0, BookingStatus.CANCELLED, 0)


def test_shared_resource_caps_two_experiences_at_once(dbsession, experience, session):
    boat = Resource(village_id=experience.village_id, name="Thuyền", capacity=4)
    other = make_experience(dbsession, experience.village, "dat-cho-thuyen")
    other_session = make_session(dbsession, other, TOMORROW, capacity=10)
    dbsession.add(boat)
    dbsession.flush()
    for e in (experience, other):
        dbsession.add(ExperienceResource(experience_id=e.id, resource_id=boat.id))
    dbsession.add(ResourceSlot(resource_id=boat.id, starts_at=TOMORROW, capacity=4))
    dbsession.flush()
    hold(dbsession, session, {"adult": 3})
    with pytest.raises(services.NotEnoughSeats) as error:
        hold(dbsession, other_session, {"adult": 2})
    assert error.value.seats_left == 1
    dbsession.refresh(other_session)
    assert other_session.seats_held == 0
