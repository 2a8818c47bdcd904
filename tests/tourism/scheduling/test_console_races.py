"""The schedule console against bookings at the same instant, each in its own transaction.

- An owner lowers a session's seats while guests take the last ones: whichever comes first
  wins, and a session never ends with more seats taken than it has. The negative control
  (the seats read, a pause, then the capacity written) shows the race is real: the
  database's CHECK is all that stops it, and the owner gets an error instead of a message.
- An owner lowers a schedule's seats, or closes a day, while a guest books its session:
  either the change is refused (the session has those guests) or the booking is, never both
  saved. The negative control (the sessions read without a lock, a pause, then the change
  written) ends in the database's CHECK error.
- An owner closes a day cancelling its session with guests, as previewed, while another
  guest books it: either the owner gets the new list (nothing changed) or the guest is
  refused; the new guest is never cancelled unseen.
"""
import time as clock
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import delete, select

from tests.concurrency import all_at_once, committed, guard_switched_off, race_engine
from tests.factories import contact, make_experience, make_session, make_village
from tourism.booking import bulk, closures
from tourism.booking import services as booking
from tourism.booking.models import Booking, BookingLine, BookingStatus, BookingToken
from tourism.catalog.models import Experience, Village
from tourism.db import get_session_factory
from tourism.scheduling import editing
from tourism.exceptions import DomainError
from tourism.notify.models import OutboxMessage
from tourism.payments.services import providers
from tourism.scheduling.models import Closure, ExperienceSession, ScheduleRule, SessionStatus

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 24)
STARTS = datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)  # Tuesday 1 December, 07:00 in Hà Nội
SLUG = "dua-lich"
GUESTS = 12
ROUNDS = 5


@pytest.fixture
def race_db(db_url):
    engine = race_engine(db_url, GUESTS + 2)
    factory = get_session_factory(engine)
    yield factory
    with engine.begin() as conn:
        experience_ids = select(Experience.id).where(Experience.slug.like(f"{SLUG}%"))
        session_ids = select(ExperienceSession.id).where(ExperienceSession.experience_id.in_(experience_ids))
        booking_ids = select(Booking.id).where(Booking.session_id.in_(session_ids))
        conn.execute(delete(BookingToken).where(BookingToken.booking_id.in_(booking_ids)))
        conn.execute(delete(BookingLine).where(BookingLine.booking_id.in_(booking_ids)))
        conn.execute(delete(Booking).where(Booking.session_id.in_(session_ids)))
        conn.execute(delete(ExperienceSession).where(ExperienceSession.experience_id.in_(experience_ids)))
        conn.execute(delete(Closure).where(Closure.experience_id.in_(experience_ids)))
        conn.execute(delete(ScheduleRule).where(ScheduleRule.experience_id.in_(experience_ids)))
        conn.execute(delete(Experience).where(Experience.slug.like(f"{SLUG}%")))
        conn.execute(delete(Village).where(Village.slug == SLUG))
    engine.dispose()


def new_session(factory, number: int, capacity: int, booked: int = 0) -> int:
    def make(db):
        village = db.scalar(select(Village).where(Village.slug == SLUG)) or make_village(
            db, slug=SLUG, province="Tỉnh Đua")
        experience = make_experience(db, village, f"{SLUG}-{number}", max_party=GUESTS)
        session = make_session(db, experience, STARTS, capacity=capacity, is_one_off=True)
        if booked:
            hold, _token = booking.create_hold(db, session=session, party={"adult": booked}, contact=contact(), now=NOW)
            booking.confirm_booking(db, hold, now=NOW)
        return session.id
    return committed(factory, make)


def counters(factory, session_id) -> tuple[int, int, int]:
    return committed(factory, lambda db: (lambda s: (s.capacity, s.seats_booked, s.seats_held))(
        db.get(ExperienceSession, session_id)))


# --- seats lowered while guests book -------------------------------------------------------------

def lower_and_book(factory, session_id, capacity: int, guests: int):
    """Attempt 0 lowers the capacity; the others each hold one seat."""
    def attempt(i):
        if i == 0:
            try:
                committed(factory, lambda db: editing.set_session_capacity(
                    db, db.get(ExperienceSession, session_id), {"capacity": str(capacity)}, now=NOW))
            except editing.InvalidInput as refused:
                return ("refused", refused.errors["capacity"].interpolate())
            return ("lowered", capacity)
        try:
            committed(factory, lambda db: booking.create_hold(
                db, session=db.get(ExperienceSession, session_id), party={"adult": 1}, contact=contact(), now=NOW))
        except booking.NotEnoughSeats:
            return ("sold out", 1)
        return ("held", 1)
    return all_at_once(guests + 1, attempt)


def test_negative_control_without_the_guard_lowering_races_the_bookings(backend, race_db):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unguarded writers never interleave")
    session_id = new_session(race_db, 0, capacity=10, booked=8)

    def attempt(i):
        if i == 0:  # reads 8 taken, pauses while a guest holds the last 2 seats, writes 8
            try:
                committed(race_db, lambda db: editing.set_session_capacity(
                    db, db.get(ExperienceSession, session_id), {"capacity": "8"}, now=NOW))
            except Exception as error:  # noqa: BLE001  (the point of the control)
                return ("error", repr(error))
            return ("lowered", 8)
        clock.sleep(0.05)
        committed(race_db, lambda db: booking.create_hold(
            db, session=db.get(ExperienceSession, session_id), party={"adult": 2}, contact=contact(), now=NOW))
        return ("held", 2)

    with guard_switched_off(editing.CAPACITY_GUARD, pause_seconds=0.3):
        outcomes = all_at_once(2, attempt)
    # The capacity check passed on a stale count: only the database's CHECK stopped an
    # overbooked session, and the owner got an error where a message was due.
    assert outcomes[1] == ("held", 2)
    assert outcomes[0][0] == "error" and "no_overbooking" in outcomes[0][1], outcomes
    assert counters(race_db, session_id) == (10, 8, 2)


def test_with_the_guard_a_session_never_has_more_taken_than_seats(race_db):
    for round_number in range(ROUNDS):
        session_id = new_session(race_db, round_number + 1, capacity=20, booked=2)
        outcomes = lower_and_book(race_db, session_id, capacity=6, guests=GUESTS)
        assert [o for o in outcomes if o[0] == "error"] == []
        capacity, booked, held = counters(race_db, session_id)
        held_ok = sum(1 for kind, _n in outcomes[1:] if kind == "held")
        assert booked == 2 and held == held_ok and booked + held <= capacity
        if outcomes[0][0] == "lowered":
            assert capacity == 6 and held_ok <= 4
        else:  # refused: more than 6 were already taken when it tried, and it says how many
            assert outcomes[0][0] == "refused" and capacity == 20 and held_ok > 4
            assert "already booked or held" in outcomes[0][1]
        # Every guest refused was refused because the session was full, and it was full.
        if any(kind == "sold out" for kind, _n in outcomes[1:]):
            assert booked + held == capacity


# --- a schedule's seats lowered, or a day closed, while a guest books -----------------------------

def scheduled_session(factory, number: int, capacity: int, booked: int) -> tuple[int, int]:
    """(session id, rule id) of a session made by a schedule, with `booked` seats booked."""
    def make(db):
        village = db.scalar(select(Village).where(Village.slug == SLUG)) or make_village(
            db, slug=SLUG, province="Tỉnh Đua")
        experience = make_experience(db, village, f"{SLUG}-{number}", max_party=GUESTS)
        pattern = editing.read_pattern({"weekday": ["1"], "times": "07:00", "valid_from": "2026-12-01",
                                        "valid_until": "2026-12-01", "capacity": str(capacity)}, today=TODAY)
        editing.run_change(db, experience, editing.add_rule(experience, pattern), today=TODAY, horizon_days=30,
                           save=True)
        session = db.scalar(select(ExperienceSession).where(ExperienceSession.experience_id == experience.id))
        hold, _token = booking.create_hold(db, session=session, party={"adult": booked}, contact=contact(), now=NOW)
        booking.confirm_booking(db, hold, now=NOW)
        return session.id, session.rule_id
    return committed(factory, make)


def change_and_book(factory, session_id, change_for, *, seats=1, delay_booking=0.0):
    """Attempt 0 saves `change_for(db, experience)` through the schedule console's rules;
    attempt 1 books `seats` on the session."""
    def attempt(i):
        if i == 0:
            def save(db):
                experience = db.get(Experience, db.get(ExperienceSession, session_id).experience_id)
                editing.run_change(db, experience, change_for(db, experience), today=TODAY, horizon_days=30,
                                   save=True)
            try:
                committed(factory, save)
            except editing.Blocked:
                return ("change refused",)
            except Exception as error:  # noqa: BLE001  (shown to the test)
                return ("error", repr(error))
            return ("changed",)
        clock.sleep(delay_booking)
        try:
            committed(factory, lambda db: booking.create_hold(
                db, session=db.get(ExperienceSession, session_id), party={"adult": seats}, contact=contact(),
                now=NOW))
        except (booking.NotEnoughSeats, DomainError):
            return ("booking refused",)
        return ("booked",)
    return all_at_once(2, attempt)


def lower_rule_to(capacity):
    def change_for(db, experience):
        rule = db.scalar(select(ScheduleRule).where(ScheduleRule.experience_id == experience.id))
        pattern = editing.pattern_of(rule)[0]
        return editing.edit_rule(experience, rule, editing.Pattern(pattern.weekdays, pattern.times, pattern.valid_from,
                                                                   pattern.valid_until, capacity))
    return change_for


def close_that_day(db, experience):
    return editing.add_closure(experience, editing.read_closure({"starts_on": "2026-12-01", "reason": "Mưa"},
                                                                today=TODAY))


def taken_beyond_rules(factory, session_id) -> bool:
    """A closed session with guests, or one with more guests than its schedule's seats."""
    def check(db):
        session = db.get(ExperienceSession, session_id)
        rule = db.get(ScheduleRule, session.rule_id) if session.rule_id else None
        taken = session.seats_booked + session.seats_held
        return (session.closure_id is not None and taken > 0) or (rule is not None and taken > rule.capacity)
    return committed(factory, check)


def test_negative_control_without_the_lock_lowering_a_schedule_races_a_booking(backend, race_db):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unguarded writers never interleave")
    session_id, _rule = scheduled_session(race_db, 0, capacity=10, booked=8)
    with guard_switched_off(editing.SCHEDULE_GUARD, pause_seconds=0.4):
        outcomes = change_and_book(race_db, session_id, lower_rule_to(8), seats=2, delay_booking=0.1)
    # The change counted the seats before the guest booked, and wrote 8 seats over 10 guests:
    # only the database's CHECK stopped it, with an error where a message was due.
    assert outcomes[1] == ("booked",)
    assert outcomes[0][0] == "error" and "no_overbooking" in outcomes[0][1], outcomes


def test_with_the_lock_lowering_a_schedule_and_a_booking_never_meet_above_the_seats(race_db):
    for round_number in range(ROUNDS):
        session_id, _rule = scheduled_session(race_db, round_number + 1, capacity=10, booked=8)
        outcomes = change_and_book(race_db, session_id, lower_rule_to(8), seats=2, delay_booking=0.02 * round_number)
        assert sorted(outcomes) in ([("booked",), ("change refused",)], [("booking refused",), ("changed",)]), outcomes
        assert not taken_beyond_rules(race_db, session_id)
        capacity, booked, held = counters(race_db, session_id)
        assert booked + held <= capacity


def test_with_the_lock_either_the_closure_or_the_booking_is_refused(race_db):
    for round_number in range(ROUNDS):
        session_id, _rule = scheduled_session(race_db, round_number + 1, capacity=10, booked=1)
        outcomes = change_and_book(race_db, session_id, close_that_day, delay_booking=0.02 * round_number)
        # The session already has a guest, so the closure is always refused; the new guest is not.
        assert sorted(outcomes) == [("booked",), ("change refused",)], outcomes
        assert not taken_beyond_rules(race_db, session_id)
    for round_number in range(ROUNDS):
        session_id = new_session(race_db, 10 + round_number, capacity=10)
        outcomes = change_and_book(race_db, session_id, close_that_day, delay_booking=0.02 * round_number)
        assert sorted(outcomes) in ([("booked",), ("change refused",)], [("booking refused",), ("changed",)]), outcomes
        assert not taken_beyond_rules(race_db, session_id)


# --- days closed with their sessions cancelled, while a guest books -------------------------------

def close_and_cancel_and_book(factory, registry, session_id, *, delay_booking: float, delay_closing: float):
    """Attempt 0 closes the session's day cancelling its sessions, as previewed just before
    (the preview's fingerprint); attempt 1 books a seat on the session meanwhile."""
    closure = editing.read_closure({"starts_on": "2026-12-01", "reason": "Bão"}, today=TODAY)

    def preview(db):
        experience = db.get(Experience, db.get(ExperienceSession, session_id).experience_id)
        return editing.run_change(db, experience, editing.add_closure(experience, closure), today=TODAY,
                                  horizon_days=30, save=False, now=NOW).fingerprint
    expected = committed(factory, preview)
    reason = bulk.Reason(bulk.CancelReason.RAIN, "", "vi")

    def attempt(i):
        if i == 0:
            clock.sleep(delay_closing)

            def save(db):
                experience = db.get(Experience, db.get(ExperienceSession, session_id).experience_id)
                closures.close_and_cancel(db, experience, closure, reason, expected=expected, today=TODAY,
                                          horizon_days=30, now=NOW, registry=registry, providers=providers(registry))
            try:
                committed(factory, save)
            except editing.PreviewChanged:
                return ("list changed",)
            except Exception as error:  # noqa: BLE001  (shown to the test)
                return ("error", repr(error))
            return ("closed and cancelled",)
        clock.sleep(delay_booking)
        try:
            committed(factory, lambda db: booking.create_hold(
                db, session=db.get(ExperienceSession, session_id), party={"adult": 1}, contact=contact(), now=NOW))
        except DomainError:
            return ("booking refused",)
        return ("booked",)
    return all_at_once(2, attempt)


def bookings_left(factory, session_id) -> tuple[str, list]:
    """The session's status, and its bookings that still hold seats (booked or held)."""
    def read(db):
        session = db.get(ExperienceSession, session_id)
        live = list(db.scalars(select(Booking.status).where(
            Booking.session_id == session_id, Booking.status.in_([BookingStatus.HELD, BookingStatus.CONFIRMED]))))
        return session.status, live
    return committed(factory, read)


def forget_emails(factory, session_id) -> None:
    """The guests' e-mails written by the cancellations (the outbox outlives the race's rows)."""
    def forget(db):
        ids = db.scalars(select(Booking.id).where(Booking.session_id == session_id))
        db.execute(delete(OutboxMessage).where(
            OutboxMessage.dedupe_key.in_([bulk.EMAIL_KEY.format(booking_id=i) for i in ids])))
    committed(factory, forget)


# (delay of the booking, delay of the closure): at once, the guest a little later, then earlier.
CLOSING_ROUNDS = [(0.0, 0.0), (0.02, 0.0), (0.05, 0.0), (0.0, 0.02), (0.0, 0.2)]


def test_closing_and_cancelling_cancels_only_the_guests_listed_whoever_comes_first(race_db, app):
    for round_number, (delay_booking, delay_closing) in enumerate(CLOSING_ROUNDS):
        session_id, _rule = scheduled_session(race_db, 30 + round_number, capacity=10, booked=2)
        try:
            outcomes = close_and_cancel_and_book(race_db, app.registry, session_id, delay_booking=delay_booking,
                                                 delay_closing=delay_closing)
            status, live = bookings_left(race_db, session_id)
        finally:
            forget_emails(race_db, session_id)
        # Either the guest came first (the owner is shown the new list, nothing closed), or
        # the closure did (the guest is refused): never a guest cancelled unseen, nor a
        # booking left on a cancelled session.
        assert sorted(outcomes) in ([("booked",), ("list changed",)],
                                    [("booking refused",), ("closed and cancelled",)]), outcomes
        if ("booked",) in outcomes:
            assert status == SessionStatus.OPEN and sorted(live) == [BookingStatus.CONFIRMED, BookingStatus.HELD]
        else:
            assert status == SessionStatus.CANCELLED and live == []
