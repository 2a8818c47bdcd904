"""Check-in: a ticket admits its party and never more — in one scan or several, replayed,
from two scanners at once, or synced from phones that were offline — and every bad scan
gets a clear answer and changes nothing. A check-in is undone for a few minutes, once."""
from datetime import datetime, timedelta, timezone

import pytest
import transaction
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, select

from tests.concurrency import all_at_once, committed, guard_switched_off
from tests.factories import contact, make_experience, make_session, make_village
from tourism.booking import services
from tourism.booking.models import Booking, BookingLine, BookingStatus, BookingToken
from tourism.catalog.models import Experience, Village
from tourism.db import get_engine, get_session_factory, get_tm_session
from tourism.scheduling.models import ExperienceSession
from tourism.tickets import checkin, codes
from tourism.tickets.checkin import AdmissionRefused, AdmitResult, ScanRefused, UndoRefused, UndoResult
from tourism.tickets.codes import TicketCodeError
from tourism.tickets.models import Admission, UndoneAdmission
from tourism.tickets.services import ticket_code

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)  # 08:00 in Hà Nội
STARTS = NOW + timedelta(days=1)
AT_THE_GATE = STARTS - timedelta(minutes=10)
PARTY = 4


@pytest.fixture
def keys(app):
    """The application's ticket keys (this overrides the throwaway key of conftest.py)."""
    return app.registry[codes.REGISTRY_KEY]


@pytest.fixture
def session(dbsession):
    village = make_village(dbsession, slug="cong-lang", province="Tỉnh Cổng")
    experience = make_experience(dbsession, village, "cong-lang-gom", max_party=6)
    return make_session(dbsession, experience, STARTS, capacity=10)


def confirmed(dbsession, session, seats=PARTY) -> Booking:
    booking, _token = services.create_hold(dbsession, session=session, party={"adult": seats}, contact=contact(),
                                           now=NOW)
    services.confirm_booking(dbsession, booking, now=NOW)
    return booking


@pytest.fixture
def booking(dbsession, session):
    return confirmed(dbsession, session)


@pytest.fixture
def code(keys, booking):
    return ticket_code(keys, booking)


def admit(dbsession, keys, code, people, scan_id, now=AT_THE_GATE, **kw) -> AdmitResult:
    return checkin.admit(dbsession, keys, code=code, people=people, scan_id=scan_id, now=now, **kw)


def refusal(error) -> str:
    return error.value.message.interpolate()


def admitted(dbsession, booking) -> int:
    return sum(a.people for a in checkin.admissions_for(dbsession, booking))


# --- online scans -----------------------------------------------------------------------

def test_the_whole_party_at_once(dbsession, keys, booking, code):
    result = admit(dbsession, keys, code, PARTY, "scan-1", device="  Cổng\tchính ")
    assert result == AdmitResult("scan-1", booking.reference, PARTY, admitted_total=PARTY, remaining=0,
                                 people_admitted_now=PARTY, duplicate_scan=False, warnings=[])
    (row,) = checkin.admissions_for(dbsession, booking)
    assert (row.people, row.admitted_at, row.received_at, row.device) == (PARTY, AT_THE_GATE, AT_THE_GATE,
                                                                         "Cổng chính")


def test_in_two_steps(dbsession, keys, booking, code):
    first = admit(dbsession, keys, code, 1, "scan-1")
    second = admit(dbsession, keys, code, 3, "scan-2", now=AT_THE_GATE + timedelta(minutes=5))
    assert (first.admitted_total, first.remaining) == (1, 3)
    assert (second.people_admitted_now, second.admitted_total, second.remaining) == (3, 4, 0)
    assert [a.scan_id for a in checkin.admissions_for(dbsession, booking)] == ["scan-1", "scan-2"]


def test_a_replayed_scan_returns_its_first_result_and_changes_nothing(dbsession, keys, booking, code):
    first = admit(dbsession, keys, code, 2, "scan-1")
    admit(dbsession, keys, code, 1, "scan-2")
    again = admit(dbsession, keys, code, 2, "scan-1", now=AT_THE_GATE + timedelta(minutes=1))
    assert again.duplicate_scan and not first.duplicate_scan
    assert (again.people_admitted_now, again.admitted_total, again.remaining) == (2, 2, 2)  # as it was then
    assert admitted(dbsession, booking) == 3 and len(checkin.admissions_for(dbsession, booking)) == 2


def test_a_replay_is_answered_even_after_the_day_or_a_cancellation(dbsession, keys, booking, code):
    admit(dbsession, keys, code, 2, "scan-1")
    booking.status = BookingStatus.CANCELLED
    dbsession.flush()
    late = admit(dbsession, keys, code, 2, "scan-1", now=STARTS + timedelta(days=3))
    assert late.duplicate_scan and late.people_admitted_now == 2


def test_over_admission_is_refused_with_the_count(dbsession, keys, booking, code):
    admit(dbsession, keys, code, 1, "scan-1")
    with pytest.raises(AdmissionRefused) as error:
        admit(dbsession, keys, code, 4, "scan-2")
    assert refusal(error) == "Only 3 people are left to admit on this ticket."
    assert error.value.reason == "too_many"
    admit(dbsession, keys, code, 3, "scan-3")
    with pytest.raises(AdmissionRefused) as error:
        admit(dbsession, keys, code, 1, "scan-4")
    assert refusal(error) == "All 4 people on this ticket have already been admitted."
    assert admitted(dbsession, booking) == PARTY


@pytest.mark.parametrize("people, message", [
    (0, "Admit at least one person."),
    (-2, "Admit at least one person."),
    ("2", "Enter how many people as a whole number."),
    (1.5, "Enter how many people as a whole number."),
    (True, "Enter how many people as a whole number."),
])
def test_a_bad_number_of_people(dbsession, keys, booking, code, people, message):
    with pytest.raises(AdmissionRefused) as error:
        admit(dbsession, keys, code, people, "scan-1")
    assert refusal(error) == message and admitted(dbsession, booking) == 0


@pytest.mark.parametrize("scan_id", ["", "x" * 65, "has space", "ngày"])
def test_a_scan_needs_a_usable_id(dbsession, keys, booking, code, scan_id):
    with pytest.raises(AdmissionRefused) as error:
        admit(dbsession, keys, code, 1, scan_id)
    assert error.value.reason == "bad_scan" and admitted(dbsession, booking) == 0


def forged(keys, code):
    """The same claims signed by someone else's key, under our key id."""
    claims = keys.verify(code)
    return codes.sign_ticket(Ed25519PrivateKey.generate(), keys.key_id, reference=claims.reference,
                             session_id=claims.session_id, party=claims.party + 10,
                             valid_from=claims.valid_from, valid_until=claims.valid_until)


@pytest.mark.parametrize("spoil, reason", [
    (lambda keys, code: code[:-7], "damaged"),
    (lambda keys, code: code[:40], "damaged"),
    (forged, "forged"),
    (lambda keys, code: "https://example.com/", "not_a_ticket"),
])
def test_forged_or_truncated_codes_admit_nobody(dbsession, keys, booking, code, spoil, reason):
    with pytest.raises(TicketCodeError) as error:
        admit(dbsession, keys, spoil(keys, code), 1, "scan-1")
    assert error.value.reason == reason
    assert dbsession.scalar(select(func.count()).select_from(Admission)) == 0


@pytest.mark.parametrize("when", [
    dict(now=STARTS + timedelta(days=1)),                                         # the day after
    dict(now=STARTS + timedelta(days=1), scanned_at=STARTS - timedelta(days=1)),  # offline, the day before
])
def test_a_ticket_for_another_day(dbsession, keys, booking, code, when):
    with pytest.raises(TicketCodeError) as error:
        admit(dbsession, keys, code, 1, "scan-1", **when)
    assert refusal(error) == "This ticket is for another day." and admitted(dbsession, booking) == 0


def test_a_cancelled_booking(dbsession, keys, booking, code):
    services.cancel_booking(dbsession, booking, now=NOW)
    with pytest.raises(AdmissionRefused) as error:
        admit(dbsession, keys, code, 1, "scan-1")
    assert refusal(error) == "This booking was cancelled." and admitted(dbsession, booking) == 0


def test_a_moved_booking_wants_its_new_ticket(dbsession, keys, session, booking, code):
    later = make_session(dbsession, booking.experience, STARTS + timedelta(days=2), capacity=10)
    services.move_booking(dbsession, booking, later, now=NOW)
    with pytest.raises(AdmissionRefused) as error:
        admit(dbsession, keys, code, 1, "scan-1")
    assert error.value.reason == "moved"
    assert refusal(error).startswith("This ticket is for another session; the booking was moved.")
    result = admit(dbsession, keys, ticket_code(keys, booking), PARTY, "scan-2", now=later.starts_at)
    assert result.remaining == 0


def test_a_ticket_that_does_not_match_its_booking(dbsession, keys, booking):
    claims = keys.verify(ticket_code(keys, booking))
    bigger = keys.sign(reference=booking.reference, session_id=booking.session_id, party=PARTY + 2,
                       valid_from=claims.valid_from, valid_until=claims.valid_until)
    with pytest.raises(AdmissionRefused) as error:
        admit(dbsession, keys, bigger, 1, "scan-1")
    assert refusal(error) == "This ticket does not match its booking."


def test_a_scan_id_already_used_for_another_ticket(dbsession, keys, session, code):
    other = confirmed(dbsession, session, seats=2)
    admit(dbsession, keys, code, 1, "scan-1")
    with pytest.raises(AdmissionRefused) as error:
        admit(dbsession, keys, ticket_code(keys, other), 1, "scan-1")
    assert error.value.reason == "scan_reused" and admitted(dbsession, other) == 0


def test_the_session_summary_counts_confirmed_guests(dbsession, keys, session, booking, code):
    other = confirmed(dbsession, session, seats=2)
    services.create_hold(dbsession, session=session, party={"adult": 1}, contact=contact(), now=NOW)  # not yet due
    admit(dbsession, keys, code, 3, "scan-1")
    admit(dbsession, keys, ticket_code(keys, other), 2, "scan-2")
    assert checkin.admission_summary(dbsession, session.id) == checkin.AdmissionSummary(booked=6, admitted=5,
                                                                                         remaining=1)


# --- offline sync -------------------------------------------------------------------------

def test_offline_scans_from_two_phones_admit_up_to_the_party_and_flag_the_excess(dbsession, keys, booking, code):
    first_phone = {"code": code, "people": 3, "scan_id": "phone-a-1", "device": "Phone A",
                   "scanned_at": (AT_THE_GATE - timedelta(hours=1)).isoformat()}
    second_phone = {"code": code, "people": 3, "scan_id": "phone-b-1", "device": "Phone B",
                    "scanned_at": AT_THE_GATE - timedelta(minutes=50)}
    synced_later = AT_THE_GATE + timedelta(hours=2)
    a, b = checkin.sync_scans(dbsession, keys, [first_phone, second_phone], synced_later)
    assert (a.people_admitted_now, a.warnings) == (3, [])
    assert (b.people_admitted_now, b.admitted_total, b.remaining) == (1, PARTY, 0)
    assert [w.interpolate() for w in b.warnings] == [
        "Admitted twice while offline: 2 more people than the ticket holds."]
    rows = checkin.admissions_for(dbsession, booking)
    assert [(r.people, r.admitted_at, r.received_at) for r in rows] == [
        (3, AT_THE_GATE - timedelta(hours=1), synced_later), (1, AT_THE_GATE - timedelta(minutes=50), synced_later)]

    # The second phone syncs the same scans again (its first answer was lost): nothing
    # changes, and the excess is still reported.
    a, b = checkin.sync_scans(dbsession, keys, [first_phone, second_phone], synced_later + timedelta(minutes=1))
    assert a.duplicate_scan and b.duplicate_scan
    assert [w.interpolate() for w in b.warnings] == [
        "Admitted twice while offline: 2 more people than the ticket holds."]
    assert admitted(dbsession, booking) == PARTY


def test_a_synced_scan_for_a_ticket_already_used_up_admits_nobody_and_says_so(dbsession, keys, booking, code):
    admit(dbsession, keys, code, PARTY, "online-1")
    (result,) = checkin.sync_scans(dbsession, keys, [
        {"code": code, "people": 2, "scan_id": "phone-1", "scanned_at": AT_THE_GATE}], AT_THE_GATE)
    assert (result.people_admitted_now, result.remaining) == (0, 0)
    assert [w.interpolate() for w in result.warnings] == [
        "Admitted twice while offline: 2 more people than the ticket holds."]
    assert admitted(dbsession, booking) == PARTY


def test_one_bad_scan_does_not_stop_the_others(dbsession, keys, session, booking, code):
    cancelled = confirmed(dbsession, session, seats=1)
    cancelled_code = ticket_code(keys, cancelled)
    services.cancel_booking(dbsession, cancelled, now=NOW)
    good = {"code": code, "people": 2, "scan_id": "s-good", "scanned_at": AT_THE_GATE}
    results = checkin.sync_scans(dbsession, keys, [
        {"code": code[:-3], "people": 1, "scan_id": "s-damaged", "scanned_at": AT_THE_GATE},
        {"code": cancelled_code, "people": 1, "scan_id": "s-cancelled", "scanned_at": AT_THE_GATE},
        {"code": code, "people": 1, "scan_id": "s-no-time"},
        {"code": code, "people": 1, "scan_id": "s-naive", "scanned_at": "2026-12-02T00:50:00"},
        "not a scan",
        good,
        {"code": code, "people": 2, "scan_id": "s-yesterday", "scanned_at": AT_THE_GATE - timedelta(days=1)},
    ], AT_THE_GATE)
    assert [(r.scan_id, r.reason) for r in results if isinstance(r, ScanRefused)] == [
        ("s-damaged", "damaged"), ("s-cancelled", "cancelled"), ("s-no-time", "bad_scan"),
        ("s-naive", "bad_scan"), ("", "bad_scan"), ("s-yesterday", "not_yet_valid")]
    assert results[5].people_admitted_now == 2
    assert [a.scan_id for a in checkin.admissions_for(dbsession, booking)] == ["s-good"]


# --- undoing a check-in -------------------------------------------------------------------

def undo(dbsession, session, scan_id, minutes_later=5) -> UndoResult:
    return checkin.undo_admission(dbsession, session, scan_id, AT_THE_GATE + timedelta(minutes=minutes_later))


def test_undo_within_the_window_takes_the_people_back(dbsession, keys, session, booking, code):
    admit(dbsession, keys, code, PARTY, "scan-1", device="Cổng chính")  # 4 instead of 2
    result = undo(dbsession, session, "scan-1", minutes_later=15)
    assert result == UndoResult("scan-1", booking.reference, PARTY, people=PARTY, admitted_total=0, remaining=PARTY,
                                already_undone=False)
    assert checkin.admissions_for(dbsession, booking) == []
    assert checkin.admission_summary(dbsession, session.id).admitted == 0
    (kept,) = dbsession.scalars(select(UndoneAdmission))
    assert (kept.booking_id, kept.people, kept.device, kept.undone_at) == (
        booking.id, PARTY, "Cổng chính", AT_THE_GATE + timedelta(minutes=15))
    # The right count, as a new scan.
    assert admit(dbsession, keys, code, 2, "scan-2").admitted_total == 2


def test_undo_takes_back_that_scan_only(dbsession, keys, session, booking, code):
    admit(dbsession, keys, code, 1, "scan-1")
    admit(dbsession, keys, code, 3, "scan-2")
    result = undo(dbsession, session, "scan-2")
    assert (result.people, result.admitted_total, result.remaining) == (3, 1, 3)
    assert [a.scan_id for a in checkin.admissions_for(dbsession, booking)] == ["scan-1"]


def test_after_the_window_the_guests_have_walked_in(dbsession, keys, session, booking, code):
    admit(dbsession, keys, code, 2, "scan-1")
    with pytest.raises(UndoRefused) as error:
        undo(dbsession, session, "scan-1", minutes_later=16)
    assert error.value.reason == "too_late"
    assert refusal(error) == ("This check-in was recorded more than 15 minutes ago: the guests have long walked in, "
                              "so it can no longer be undone.")
    assert admitted(dbsession, booking) == 2 and dbsession.scalar(select(func.count(UndoneAdmission.id))) == 0


def test_the_window_counts_from_when_the_server_recorded_an_offline_scan(dbsession, keys, session, booking, code):
    synced = AT_THE_GATE + timedelta(hours=1)
    checkin.sync_scans(dbsession, keys, [{"code": code, "people": 2, "scan_id": "phone-1",
                                          "scanned_at": AT_THE_GATE.isoformat()}], synced)
    result = checkin.undo_admission(dbsession, session, "phone-1", synced + timedelta(minutes=5))
    assert result.people == 2 and admitted(dbsession, booking) == 0


def test_undoing_twice_says_so_and_changes_nothing(dbsession, keys, session, booking, code):
    admit(dbsession, keys, code, 2, "scan-1")
    admit(dbsession, keys, code, 1, "scan-2")
    first = undo(dbsession, session, "scan-1")
    again = undo(dbsession, session, "scan-1", minutes_later=60)  # answered even after the window
    assert not first.already_undone and again.already_undone
    assert (again.people, again.admitted_total, again.remaining) == (2, 1, 3)
    assert admitted(dbsession, booking) == 1
    assert dbsession.scalar(select(func.count(UndoneAdmission.id))) == 1


def test_a_scan_sent_again_after_its_undo_admits_nobody(dbsession, keys, session, booking, code):
    admit(dbsession, keys, code, 2, "scan-1")
    undo(dbsession, session, "scan-1")
    with pytest.raises(AdmissionRefused) as error:  # the browser's "send again"
        admit(dbsession, keys, code, 2, "scan-1", now=AT_THE_GATE + timedelta(minutes=6))
    assert error.value.reason == "undone"
    assert refusal(error) == "This check-in was undone. To admit these guests, scan the ticket again."
    (synced,) = checkin.sync_scans(dbsession, keys, [{"code": code, "people": 2, "scan_id": "scan-1",
                                                      "scanned_at": AT_THE_GATE.isoformat()}], AT_THE_GATE)
    assert isinstance(synced, ScanRefused) and synced.reason == "undone"
    other = confirmed(dbsession, session, seats=2)
    with pytest.raises(AdmissionRefused) as error:  # its id is still taken
        admit(dbsession, keys, ticket_code(keys, other), 1, "scan-1")
    assert error.value.reason == "scan_reused"
    assert admitted(dbsession, booking) == 0 and admitted(dbsession, other) == 0


def test_another_sessions_scan_is_not_undone_here(dbsession, keys, session, booking, code):
    admit(dbsession, keys, code, 2, "scan-1")
    elsewhere = make_session(dbsession, booking.experience, STARTS + timedelta(days=2), capacity=10)
    for where, scan_id in ((elsewhere, "scan-1"), (session, "scan-never-made"), (session, "has space"),
                           (session, None)):
        with pytest.raises(UndoRefused) as error:
            undo(dbsession, where, scan_id)
        assert error.value.reason == "unknown_scan"
        assert refusal(error) == "No check-in with this scan was recorded at this session: there is nothing to undo."
    assert admitted(dbsession, booking) == 2


def test_a_cancelled_bookings_check_in_is_not_undone(dbsession, keys, session, booking, code):
    admit(dbsession, keys, code, 2, "scan-1")
    services.cancel_booking(dbsession, booking, now=AT_THE_GATE)
    with pytest.raises(UndoRefused) as error:
        undo(dbsession, session, "scan-1")
    assert error.value.reason == "cancelled"
    assert refusal(error) == "This booking was cancelled: its check-in can no longer be undone."
    assert admitted(dbsession, booking) == 2


# --- two scanners at once, on a committed database ----------------------------------------

@pytest.fixture
def committed_ticket(db_url, keys):
    """A confirmed booking for 4, committed through its own engine (the rolled-back test
    session cannot race); its rows are deleted afterwards."""
    engine = get_engine({"sqlalchemy.url": db_url})
    factory = get_session_factory(engine)
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        db = get_tm_session(factory, manager)
        village = make_village(db, slug="cong-dua", province="Tỉnh Cổng Đua")
        experience = make_experience(db, village, "cong-dua-gom", max_party=6)
        session = make_session(db, experience, STARTS, capacity=10)
        booking = confirmed(db, session)
        booking_id, code = booking.id, ticket_code(keys, booking)
    yield factory, booking_id, code
    with engine.begin() as conn:
        conn.execute(delete(Admission).where(Admission.booking_id == booking_id))
        conn.execute(delete(UndoneAdmission).where(UndoneAdmission.booking_id == booking_id))
        conn.execute(delete(BookingToken).where(BookingToken.booking_id == booking_id))
        conn.execute(delete(BookingLine).where(BookingLine.booking_id == booking_id))
        conn.execute(delete(Booking).where(Booking.id == booking_id))
        conn.execute(delete(ExperienceSession).where(ExperienceSession.id == session.id))
        conn.execute(delete(Experience).where(Experience.slug == "cong-dua-gom"))
        conn.execute(delete(Village).where(Village.slug == "cong-dua"))
    engine.dispose()


def race(factory, keys, code, scanners: int, people: int) -> list[tuple[str, object]]:
    """`scanners` threads admit `people` each from the same ticket at the same moment."""
    def scanner(i):
        try:
            result = committed(factory, lambda db: checkin.admit(db, keys, code=code, people=people,
                                                                 scan_id=f"race-{i}", now=AT_THE_GATE))
        except AdmissionRefused as refused:
            return ("refused", refused.message.interpolate())
        return ("admitted", result.people_admitted_now)

    return all_at_once(scanners, scanner)


def admitted_in_database(factory, booking_id) -> int:
    return committed(factory, lambda db: db.scalar(
        select(func.coalesce(func.sum(Admission.people), 0)).where(Admission.booking_id == booking_id)))


@pytest.fixture
def guard_off():
    with guard_switched_off(checkin.ADMISSION_GUARD):
        yield


@pytest.mark.usefixtures("guard_off")
def test_negative_control_without_the_lock_two_scanners_admit_the_party_twice(backend, committed_ticket, keys):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unlocked scans never interleave")
    factory, booking_id, code = committed_ticket
    outcomes = race(factory, keys, code, scanners=2, people=PARTY)
    assert admitted_in_database(factory, booking_id) > PARTY, outcomes


@pytest.fixture
def wide_window():
    """The lock on, with the same pause between counting and writing as the negative control."""
    checkin.ADMISSION_GUARD.pause_seconds = 0.05
    yield
    checkin.ADMISSION_GUARD.pause_seconds = 0.0


@pytest.mark.usefixtures("wide_window")
@pytest.mark.parametrize("scanners, people", [(2, PARTY), (8, 1)])
def test_scanners_racing_on_one_ticket_never_admit_more_than_the_party(committed_ticket, keys, scanners, people):
    factory, booking_id, code = committed_ticket
    outcomes = race(factory, keys, code, scanners, people)
    assert [o for o in outcomes if o[0] == "error"] == []
    winners = [n for kind, n in outcomes if kind == "admitted"]
    assert sum(winners) == admitted_in_database(factory, booking_id) == PARTY
    assert len(winners) == PARTY // people
    assert all(message == "All 4 people on this ticket have already been admitted."
               for kind, message in outcomes if kind == "refused")


UNDOING_PHONES = 4


def undo_at_once(factory, keys, booking_id, code) -> list:
    """One admission, then every phone presses "Undo this check-in" for it at the same moment."""
    committed(factory, lambda db: checkin.admit(db, keys, code=code, people=PARTY, scan_id="to-undo",
                                                now=AT_THE_GATE))

    def phone(i):
        def work(db):
            session = db.get(Booking, booking_id).session
            return "already" if checkin.undo_admission(db, session, "to-undo", AT_THE_GATE).already_undone \
                else "undone"
        return committed(factory, work)

    return all_at_once(UNDOING_PHONES, phone)


@pytest.mark.usefixtures("guard_off")
def test_negative_control_without_the_lock_phones_undoing_at_once_clash(backend, committed_ticket, keys):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unlocked undos never interleave")
    factory, booking_id, code = committed_ticket
    outcomes = undo_at_once(factory, keys, booking_id, code)
    # Each read the admission before any took it away: all but one fail, with a server error.
    assert [o for o in outcomes if isinstance(o, tuple)] != [], outcomes


@pytest.mark.usefixtures("wide_window")
def test_phones_undoing_at_once_undo_once(committed_ticket, keys):
    factory, booking_id, code = committed_ticket
    outcomes = undo_at_once(factory, keys, booking_id, code)
    assert sorted(outcomes) == ["already"] * (UNDOING_PHONES - 1) + ["undone"]
    assert admitted_in_database(factory, booking_id) == 0
