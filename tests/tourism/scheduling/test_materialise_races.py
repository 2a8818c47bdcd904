"""Materialising sessions against a guest booking one of them, each in its own transaction.

A schedule change (or the worker's hourly materialising) deletes the sessions its rules no
longer make, as long as nobody ever booked them. A guest may be booking such a session at
that very moment:

- the session is read with no guests, a guest books it, then it is deleted: the DELETE must
  see the booking and keep the session (with its guest). The negative control (the session
  deleted by its id alone, as the ORM does) fails on the bookings' foreign key: the worker or
  the owner gets a database error, and on a database without that key the guest's booking
  would point at nothing;
- the session is deleted, then a guest's booking reaches the database before that commits:
  the guest is told the session is no longer available (a DomainError, as for a sold-out
  session). The negative control (the booking written without first checking its session is
  still there) gets the foreign key's IntegrityError, a 500 for the guest.
"""
import time as clock
from contextlib import contextmanager
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import delete, func, select

from tests.concurrency import all_at_once, committed, guard_switched_off
from tests.factories import contact, make_experience, make_session, make_village
from tests.tourism.scheduling.test_console_races import GUESTS, SLUG, race_db  # noqa: F401  (the fixture)
from tourism.booking import services as booking
from tourism.booking.models import Booking
from tourism.catalog.models import Experience, Village
from tourism.exceptions import DomainError
from tourism.scheduling import editing, services
from tourism.scheduling.models import ExperienceSession, ScheduleRule

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 24)
HORIZON = 30
PAUSE = 0.4  # long enough for the other transaction to do its part meanwhile
ROUNDS = 3


def unbooked_session(factory, number: int) -> int:
    """A session made by a schedule, nobody booked; the schedule is then removed (its row only),
    so the next materialising deletes the session."""
    def make(db):
        village = db.scalar(select(Village).where(Village.slug == SLUG)) or make_village(
            db, slug=SLUG, province="Tỉnh Đua")
        experience = make_experience(db, village, f"{SLUG}-m{number}", max_party=GUESTS)
        pattern = editing.read_pattern({"weekday": ["1"], "times": "07:00", "valid_from": "2026-12-01",
                                        "valid_until": "2026-12-01", "capacity": "10"}, today=TODAY)
        editing.run_change(db, experience, editing.add_rule(experience, pattern), today=TODAY,
                           horizon_days=HORIZON, save=True)
        session = db.scalar(select(ExperienceSession).where(ExperienceSession.experience_id == experience.id))
        return session.id
    return committed(factory, make)


def remove_the_rule(factory, session_id) -> None:
    def remove(db):
        experience_id = db.get(ExperienceSession, session_id).experience_id
        db.delete(db.scalar(select(ScheduleRule).where(ScheduleRule.experience_id == experience_id)))
    committed(factory, remove)


def book(factory, session_id):
    """A guest holds 2 seats, as the booking page does (a session gone is the page's 404)."""
    def hold(db):
        session = db.get(ExperienceSession, session_id)
        if session is None:
            return ("booking refused", "not found")
        booking.create_hold(db, session=session, party={"adult": 2}, contact=contact(), now=NOW)
        return ("booked",)
    try:
        return committed(factory, hold)
    except DomainError as refused:
        return ("booking refused", refused.message.interpolate())


def where_it_ended(factory, session_id) -> tuple[bool, int]:
    """(the session is still there, bookings pointing at it)."""
    return committed(factory, lambda db: (
        db.get(ExperienceSession, session_id) is not None,
        db.scalar(select(func.count()).select_from(Booking).where(Booking.session_id == session_id))))


@contextmanager
def widened(guard, seconds: float):
    """The guard on, with a pause between reading the sessions and deleting one."""
    guard.pause_seconds = seconds
    try:
        yield
    finally:
        guard.pause_seconds = 0.0


# --- read with no guests, booked, then deleted ---------------------------------------------------

def materialise_while_a_guest_books(factory, session_id):
    """Attempt 0: the worker's materialising (it pauses between reading and deleting);
    attempt 1: a guest books in that pause."""
    def attempt(i):
        if i == 0:
            def materialise(db):
                experience = db.get(Experience, db.get(ExperienceSession, session_id).experience_id)
                return services.materialise_sessions(db, experience, today=TODAY, horizon_days=HORIZON)
            try:
                report = committed(factory, materialise)
            except Exception as error:  # noqa: BLE001  (shown to the test)
                return ("error", repr(error))
            return ("materialised", report.deleted)
        clock.sleep(PAUSE / 4)
        return book(factory, session_id)
    return all_at_once(2, attempt)


def test_negative_control_without_the_guard_a_session_booked_meanwhile_is_deleted_by_its_id(backend, race_db):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unguarded writers never interleave")
    session_id = unbooked_session(race_db, 0)
    remove_the_rule(race_db, session_id)
    with guard_switched_off(services.DELETE_GUARD, pause_seconds=PAUSE):
        outcomes = materialise_while_a_guest_books(race_db, session_id)
    # The guest booked in the pause; the DELETE by id then hit the booking: only the foreign
    # key stopped a booking on no session, with an error where the worker should carry on.
    assert outcomes[1] == ("booked",)
    assert outcomes[0][0] == "error" and "ForeignKeyViolation" in outcomes[0][1], outcomes
    assert where_it_ended(race_db, session_id) == (True, 1)


def test_with_the_guard_a_session_booked_meanwhile_is_kept_with_its_guest(backend, race_db):
    session_id = unbooked_session(race_db, 1)
    remove_the_rule(race_db, session_id)
    with widened(services.DELETE_GUARD, PAUSE):
        outcomes = materialise_while_a_guest_books(race_db, session_id)
    if backend == "sqlite":  # one writer at a time: the guest comes after, and finds no session
        assert outcomes == [("materialised", 1), ("booking refused", "not found")]
        assert where_it_ended(race_db, session_id) == (False, 0)
        return
    assert outcomes[1] == ("booked",)
    assert outcomes[0] == ("materialised", 0), outcomes
    assert where_it_ended(race_db, session_id) == (True, 1)
    # Kept as a session of no schedule: the next schedule change lists it with its guests.
    assert committed(race_db, lambda db: db.get(ExperienceSession, session_id).rule_id) is None


# --- deleted, then booked before the delete commits -----------------------------------------------

def remove_schedule_while_a_guest_books(factory, session_id, delay_booking: float):
    """Attempt 0: the owner removes the schedule (the session goes), and the transaction stays
    open a moment before its commit; attempt 1: a guest books the session meanwhile."""
    def attempt(i):
        if i == 0:
            def save(db):
                experience = db.get(Experience, db.get(ExperienceSession, session_id).experience_id)
                rule = db.scalar(select(ScheduleRule).where(ScheduleRule.experience_id == experience.id))
                preview = editing.run_change(db, experience, editing.remove_rule(rule), today=TODAY,
                                             horizon_days=HORIZON, save=True)
                clock.sleep(PAUSE)
                return len(preview.of(editing.GONE))
            try:
                return ("removed", committed(factory, save))
            except editing.Blocked:
                return ("change refused",)
            except Exception as error:  # noqa: BLE001  (shown to the test)
                return ("error", repr(error))
        clock.sleep(delay_booking)
        try:
            return book(factory, session_id)
        except Exception as error:  # noqa: BLE001  (shown to the test)
            return ("error", repr(error))
    return all_at_once(2, attempt)


def test_negative_control_a_booking_written_without_checking_its_session_gets_a_database_error(
        backend, race_db, monkeypatch):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unguarded writers never interleave")
    session_id = unbooked_session(race_db, 2)
    monkeypatch.setattr(booking, "keep_session_row", lambda dbsession, session: None)
    outcomes = remove_schedule_while_a_guest_books(race_db, session_id, delay_booking=PAUSE / 4)
    assert outcomes[0] == ("removed", 1), outcomes
    assert outcomes[1][0] == "error" and "ForeignKeyViolation" in outcomes[1][1], outcomes
    assert where_it_ended(race_db, session_id) == (False, 0)


def test_a_guest_booking_a_session_being_deleted_is_told_it_is_no_longer_available(race_db):
    for round_number in range(ROUNDS):
        session_id = unbooked_session(race_db, 10 + round_number)
        outcomes = remove_schedule_while_a_guest_books(race_db, session_id, delay_booking=PAUSE / 4)
        assert outcomes[0] == ("removed", 1), outcomes
        assert outcomes[1][0] == "booking refused", outcomes
        assert outcomes[1][1] in ("This session is no longer available: choose another date.", "not found")
        assert where_it_ended(race_db, session_id) == (False, 0)
    # Either order, never an error nor a booking on no session.
    for round_number in range(ROUNDS):
        session_id = unbooked_session(race_db, 20 + round_number)
        outcomes = remove_schedule_while_a_guest_books(race_db, session_id, delay_booking=0.03 * round_number)
        assert sorted(o[0] for o in outcomes) in (["booking refused", "removed"], ["booked", "change refused"]), \
            outcomes
        there, bookings = where_it_ended(race_db, session_id)
        assert there == bool(bookings)


def test_the_guests_page_says_the_session_is_gone_with_its_form_and_no_error(app_at, dbsession, monkeypatch):
    """The guest opened the booking form, then a schedule change deleted the session: sending
    the form gets the message in the page (400), not a 500."""
    village = make_village(dbsession, slug="lang-mat", province="Tỉnh Mất")
    experience = make_experience(dbsession, village, "lang-mat-gom", max_party=6)
    session = make_session(dbsession, experience, datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc), capacity=4)
    form = app_at.get(f"/book/{session.id}", {"lang": "en"}).forms[0]
    form["tier_adult"], form["name"], form["email"] = "2", "Kim Min-ji", "minji@example.kr"
    form["phone"], form["country"], form["language"] = "+82 10 1234 5678", "KR", "ko"
    really_keep = booking.keep_session_row

    def deleted_just_before(db, session_read):  # the schedule change's DELETE, committed meanwhile
        db.execute(delete(ExperienceSession).where(ExperienceSession.id == session_read.id)
                   .execution_options(synchronize_session=False))
        really_keep(db, session_read)

    monkeypatch.setattr(booking, "keep_session_row", deleted_just_before)
    refused = form.submit(status=400)
    assert "This session is no longer available: choose another date." in refused.text
    assert dbsession.scalar(select(func.count()).select_from(Booking).where(Booking.session_id == session.id)) == 0
