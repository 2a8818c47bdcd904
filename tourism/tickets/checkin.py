"""Check-in: letting a ticket's party into the village, scanned online or synced from a
scanner that worked offline.

A scan is a signed ticket code, how many of its party walk in, and the id the scanning
device gave the scan. The rule — a ticket never admits more people than its party — is
kept by locking the booking row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's BEGIN
IMMEDIATE already lets one writer in at a time), adding up its admissions and writing the
new one inside one savepoint. A scan id is recorded once (a UNIQUE column), so a retried
request or an offline queue synced twice admits nobody a second time.

Online, a scan asking for more people than are left is refused. Offline, the people have
already walked in: a synced scan is admitted up to the party and the excess is reported as
a warning, never dropped in silence.

A mis-tap (the wrong party, 4 people instead of 2) is taken back by `undo_admission`, for a
short while (`UNDO_WINDOW`), under the same lock of the booking row. The undone scan is
kept aside (`UndoneAdmission`): undoing twice, or the same scan sent again, changes nothing.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from translationstring import TranslationString

from tourism.booking.models import Booking, BookingStatus
from tourism.clock import UNDO_WINDOW
from tourism.concurrency import RaceGuard
from tourism.exceptions import DomainError
from tourism.i18n import _
from tourism.tickets.codes import TicketCodeError, TicketKeys, check_validity
from tourism.tickets.models import DEVICE_LENGTH, SCAN_ID_LENGTH, Admission, UndoneAdmission

SCAN_ID_PATTERN = re.compile(rf"^[A-Za-z0-9._:-]{{1,{SCAN_ID_LENGTH}}}$")
BAD_SCAN = _("This scan is incomplete. Update the scanner and sync again.")
SCAN_REUSED = _("This scan was already recorded for another ticket. Update the scanner and sync again.")
UNKNOWN_SCAN = _("No check-in with this scan was recorded at this session: there is nothing to undo.")


class AdmissionRefused(DomainError):
    """A scan of a genuine code that admits nobody. `reason` is for programs, `message` for people.

    Reasons: bad_scan, bad_people, unknown_booking, mismatch, moved, cancelled,
    not_confirmed, all_admitted, too_many, scan_reused, undone (the scan sent again after
    its check-in was undone).
    """

    def __init__(self, reason: str, message: TranslationString):
        super().__init__(message)
        self.reason = reason


class UndoRefused(DomainError):
    """A check-in that was not undone. `reason` is for programs, `message` for people.

    Reasons: unknown_scan (not recorded at this session), too_late, cancelled, not_confirmed.
    """

    def __init__(self, reason: str, message: TranslationString):
        super().__init__(message)
        self.reason = reason


# Off (tests only), the booking row is not locked; a pause between counting the admissions
# and writing the new one lets two scans both see the same people left.
ADMISSION_GUARD = RaceGuard()


@dataclass(frozen=True)
class AdmitResult:
    """What a scan did. Counts are people; `remaining` is after this scan."""

    scan_id: str
    reference: str
    party: int
    admitted_total: int
    remaining: int
    people_admitted_now: int
    duplicate_scan: bool = False
    warnings: list[TranslationString] = field(default_factory=list)


@dataclass(frozen=True)
class UndoResult:
    """What "Undo this check-in" did: the `people` that scan had let in no longer count as
    admitted. Counts are people, after the undo; `already_undone` when it was undone before."""

    scan_id: str
    reference: str
    party: int
    people: int
    admitted_total: int
    remaining: int
    already_undone: bool = False


@dataclass(frozen=True)
class ScanRefused:
    """A synced scan that admitted nobody, with the error's reason and message."""

    scan_id: str
    reason: str
    message: TranslationString


@dataclass(frozen=True)
class AdmissionSummary:
    """A session's confirmed guests: booked, let in so far, still to come."""

    booked: int
    admitted: int
    remaining: int


def _offline_excess(count: int) -> TranslationString:
    return _("Admitted twice while offline: ${count} more people than the ticket holds.", mapping={"count": count})


# --- admitting ----------------------------------------------------------------------------

def admit(dbsession, keys: TicketKeys, *, code: str, people: int, scan_id: str, now: datetime,
          scanned_at: datetime | None = None, device: str = "") -> AdmitResult:
    """Let `people` of the ticket's party in, and record it under `scan_id`.

    `scanned_at` is when the ticket was scanned (default `now`, and never later than it);
    the ticket must be valid then. A `scan_id` already recorded for this ticket returns
    that scan's result again with `duplicate_scan=True` and changes nothing.

    Raises TicketCodeError for a code that is not genuine or not valid at the scan time,
    AdmissionRefused for a booking that is missing, cancelled, moved or does not match, for
    fewer than one person or more than are left. Raising means nothing was changed.
    Locks the booking row until the transaction ends.
    """
    return _admit(dbsession, keys, code=code, people=people, scan_id=scan_id, now=now,
                  scanned_at=scanned_at, device=device, offline=False)


def sync_scans(dbsession, keys: TicketKeys, scans: list[dict], now: datetime) -> list[AdmitResult | ScanRefused]:
    """Record the scans an offline scanner queued; one result per scan, in the same order.

    Each scan is a dict with `code`, `people`, `scan_id`, `scanned_at` (an aware datetime
    or ISO 8601 text with its offset) and optionally `device`. Each is processed in its
    own savepoint, so a bad scan is refused (ScanRefused) without stopping the others.
    People already let in are admitted up to what the ticket has left; the excess (two
    phones admitting the same ticket offline) comes back as a warning in the AdmitResult.
    """
    results: list[AdmitResult | ScanRefused] = []
    for scan in scans:
        scan_id = scan.get("scan_id") if isinstance(scan, dict) else None
        scan_id = scan_id if isinstance(scan_id, str) else ""
        try:
            code, scanned_at = _scan_fields(scan)
            results.append(_admit(dbsession, keys, code=code, people=scan.get("people"), scan_id=scan_id, now=now,
                                  scanned_at=scanned_at, device=scan.get("device") or "", offline=True))
        except (TicketCodeError, AdmissionRefused) as error:
            results.append(ScanRefused(scan_id, error.reason, error.message))
    return results


def _scan_fields(scan) -> tuple[str, datetime]:
    """A synced scan's code and time, or AdmissionRefused("bad_scan")."""
    if not isinstance(scan, dict) or not isinstance(scan.get("code"), str):
        raise AdmissionRefused("bad_scan", BAD_SCAN)
    scanned_at = scan.get("scanned_at")
    if isinstance(scanned_at, str):
        try:
            scanned_at = datetime.fromisoformat(scanned_at)
        except ValueError:
            scanned_at = None
    if not isinstance(scanned_at, datetime) or scanned_at.tzinfo is None:
        raise AdmissionRefused("bad_scan", BAD_SCAN)
    return scan["code"], scanned_at


def _admit(dbsession, keys, *, code, people, scan_id, now, scanned_at, device, offline) -> AdmitResult:
    claims = keys.verify(code)
    if not isinstance(scan_id, str) or not SCAN_ID_PATTERN.match(scan_id):
        raise AdmissionRefused("bad_scan", BAD_SCAN)
    if isinstance(people, bool) or not isinstance(people, int):
        raise AdmissionRefused("bad_people", _("Enter how many people as a whole number."))
    if people < 1:
        raise AdmissionRefused("bad_people", _("Admit at least one person."))
    if scanned_at is not None and scanned_at.tzinfo is None:
        raise ValueError("scanned_at must be timezone-aware")
    # A device clock running fast cannot record an admission in the future.
    at = now if scanned_at is None else min(scanned_at, now)
    try:
        with dbsession.begin_nested():
            booking = _lock_booking(dbsession, Booking.reference == claims.reference)
            earlier = dbsession.scalar(select(Admission).where(Admission.scan_id == scan_id))
            if earlier is not None:
                return _replay(dbsession, booking, earlier, people if offline else earlier.people)
            _check_not_undone(dbsession, booking, scan_id)
            check_validity(claims, at)
            _check_booking(booking, claims)
            admitted = _admitted(dbsession, booking.id)
            ADMISSION_GUARD.pause()
            remaining = booking.seats - admitted
            if not offline:
                _check_room(people, remaining, booking.seats)
            now_in = max(min(people, remaining), 0)
            if now_in:
                dbsession.add(Admission(booking_id=booking.id, scan_id=scan_id, people=now_in, admitted_at=at,
                                        received_at=now, device=_clean_device(device)))
                dbsession.flush()
    except IntegrityError:
        # The booking's lock serialises scans of one ticket: a clash on the scan id can
        # only come from the same id used, at the same moment, for another ticket.
        raise AdmissionRefused("scan_reused", SCAN_REUSED) from None
    excess = people - now_in
    return AdmitResult(scan_id, booking.reference, booking.seats, admitted + now_in, remaining - now_in, now_in,
                       warnings=[_offline_excess(excess)] if excess else [])


def _lock_booking(dbsession, which) -> Booking:
    """The booking matching `which` (a condition on Booking), its row locked."""
    query = select(Booking).where(which).execution_options(populate_existing=True)
    if ADMISSION_GUARD.enabled:
        query = query.with_for_update()
    booking = dbsession.scalar(query)
    if booking is None:
        raise AdmissionRefused("unknown_booking", _("No booking has this ticket's reference."))
    return booking


def _admitted(dbsession, booking_id: int, *, up_to: int | None = None) -> int:
    """People the booking's admissions let in (those with id ≤ `up_to` when given)."""
    query = select(func.coalesce(func.sum(Admission.people), 0)).where(Admission.booking_id == booking_id)
    if up_to is not None:
        query = query.where(Admission.id <= up_to)
    return dbsession.scalar(query)


def _replay(dbsession, booking: Booking, earlier: Admission, people: int) -> AdmitResult:
    """The result `earlier` gave when it was recorded; admissions are added in id order per
    booking (its lock serialises them), so the totals can be counted again (less any
    admission undone since)."""
    if earlier.booking_id != booking.id:
        raise AdmissionRefused("scan_reused", SCAN_REUSED)
    total = _admitted(dbsession, booking.id, up_to=earlier.id)
    excess = people - earlier.people
    return AdmitResult(earlier.scan_id, booking.reference, booking.seats, total, booking.seats - total,
                       earlier.people, duplicate_scan=True,
                       warnings=[_offline_excess(excess)] if excess > 0 else [])


def _check_not_undone(dbsession, booking: Booking, scan_id: str) -> None:
    """A scan whose check-in was undone, sent again (the browser's "send again"), admits nobody."""
    undone = dbsession.scalar(select(UndoneAdmission).where(UndoneAdmission.scan_id == scan_id))
    if undone is None:
        return
    if undone.booking_id != booking.id:
        raise AdmissionRefused("scan_reused", SCAN_REUSED)
    raise AdmissionRefused("undone", _("This check-in was undone. To admit these guests, scan the ticket again."))


def _check_booking(booking: Booking, claims) -> None:
    if booking.status == BookingStatus.CANCELLED:
        raise AdmissionRefused("cancelled", _("This booking was cancelled."))
    if booking.status != BookingStatus.CONFIRMED:
        raise AdmissionRefused("not_confirmed", _("This booking is not confirmed."))
    if booking.session_id != claims.session_id:
        # Bookings keep their reference when moved, and a move sends a new ticket.
        raise AdmissionRefused("moved", _("This ticket is for another session; the booking was moved. "
                                          "Ask the guest for the new ticket sent when it was moved."))
    if booking.seats != claims.party:
        raise AdmissionRefused("mismatch", _("This ticket does not match its booking."))


def _check_room(people: int, remaining: int, party: int) -> None:
    if remaining <= 0:
        raise AdmissionRefused("all_admitted", _("All ${count} people on this ticket have already been admitted.",
                                                 mapping={"count": party}))
    if people > remaining:
        raise AdmissionRefused("too_many", _("Only ${count} people are left to admit on this ticket.",
                                             mapping={"count": remaining}))


def _clean_device(device) -> str | None:
    if not isinstance(device, str):
        return None
    name = "".join(c for c in " ".join(device.split()) if c.isprintable())
    return name[:DEVICE_LENGTH] or None


# --- undoing ------------------------------------------------------------------------------

def undo_admission(dbsession, session, scan_id: str, now: datetime) -> UndoResult:
    """Take back the check-in recorded under `scan_id` at `session` (an ExperienceSession):
    the people it let in no longer count as admitted, and may be admitted again.

    Allowed for UNDO_WINDOW after the server recorded the scan; later, the guests have long
    walked in. Idempotent: a scan already undone returns its result again with
    `already_undone=True` and changes nothing. Raises UndoRefused, changing nothing, for a
    scan not recorded at this session (unknown, or another session's: nothing is said about
    it), one recorded too long ago, or a booking no longer confirmed (cancelled since).
    Locks the booking row until the transaction ends, as `admit` does.
    """
    if not isinstance(scan_id, str) or not SCAN_ID_PATTERN.match(scan_id):
        raise UndoRefused("unknown_scan", UNKNOWN_SCAN)
    booking_id = (dbsession.scalar(select(Admission.booking_id).where(Admission.scan_id == scan_id))
                  or dbsession.scalar(select(UndoneAdmission.booking_id).where(UndoneAdmission.scan_id == scan_id)))
    if booking_id is None:
        raise UndoRefused("unknown_scan", UNKNOWN_SCAN)
    with dbsession.begin_nested():
        booking = _lock_booking(dbsession, Booking.id == booking_id)
        if booking.session_id != session.id:
            raise UndoRefused("unknown_scan", UNKNOWN_SCAN)
        # Read again under the lock: another phone may have undone it meanwhile.
        admission = dbsession.scalar(select(Admission).where(Admission.scan_id == scan_id)
                                     .execution_options(populate_existing=True))
        if admission is None:
            undone = dbsession.scalar(select(UndoneAdmission).where(UndoneAdmission.scan_id == scan_id))
            if undone is None or undone.booking_id != booking.id:
                raise UndoRefused("unknown_scan", UNKNOWN_SCAN)
            return _undo_result(dbsession, booking, undone, already_undone=True)
        _check_undoable(booking, admission, now)
        ADMISSION_GUARD.pause()
        undone = UndoneAdmission(booking_id=booking.id, scan_id=admission.scan_id, people=admission.people,
                                 admitted_at=admission.admitted_at, received_at=admission.received_at,
                                 device=admission.device, undone_at=now)
        dbsession.delete(admission)
        dbsession.add(undone)
        dbsession.flush()
    return _undo_result(dbsession, booking, undone, already_undone=False)


def _check_undoable(booking: Booking, admission: Admission, now: datetime) -> None:
    if booking.status == BookingStatus.CANCELLED:
        raise UndoRefused("cancelled", _("This booking was cancelled: its check-in can no longer be undone."))
    if booking.status != BookingStatus.CONFIRMED:
        raise UndoRefused("not_confirmed", _("This booking is not confirmed: its check-in can no longer be undone."))
    if now - admission.received_at > UNDO_WINDOW:
        raise UndoRefused("too_late", _("This check-in was recorded more than ${minutes} minutes ago: the guests "
                                        "have long walked in, so it can no longer be undone.",
                                        mapping={"minutes": int(UNDO_WINDOW.total_seconds() // 60)}))


def _undo_result(dbsession, booking: Booking, undone: UndoneAdmission, *, already_undone: bool) -> UndoResult:
    admitted = _admitted(dbsession, booking.id)
    return UndoResult(undone.scan_id, booking.reference, booking.seats, undone.people, admitted,
                      max(booking.seats - admitted, 0), already_undone)


# --- reading ------------------------------------------------------------------------------

def admissions_for(dbsession, booking: Booking) -> list[Admission]:
    """The booking's admissions, in the order they were scanned."""
    return list(dbsession.scalars(select(Admission).where(Admission.booking_id == booking.id)
                                  .order_by(Admission.admitted_at, Admission.id)))


def admitted_count(dbsession, booking: Booking) -> int:
    """People the booking's admissions have let in so far."""
    return _admitted(dbsession, booking.id)


def admission_summary(dbsession, session_id: int) -> AdmissionSummary:
    """Guests of the session's confirmed bookings: booked, admitted, still to come."""
    confirmed = (Booking.session_id == session_id, Booking.status == BookingStatus.CONFIRMED)
    booked = dbsession.scalar(select(func.coalesce(func.sum(Booking.seats), 0)).where(*confirmed))
    admitted = dbsession.scalar(select(func.coalesce(func.sum(Admission.people), 0))
                                .join(Booking, Booking.id == Admission.booking_id).where(*confirmed))
    return AdmissionSummary(booked, admitted, booked - admitted)
