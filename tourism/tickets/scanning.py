"""What the check-in scanner asks of the server, always for one session: the sessions to
scan for, the guest list a phone keeps for working offline, and admissions of tickets for
that session only.

The rules of admitting (a party never exceeded, a scan recorded once) are `checkin`'s;
this module adds the scanner's scope. A scanner opened for one session admits only that
session's tickets: a genuine ticket for another session of the same operator is answered
with which session it is for; one of another operator's is simply "not for this session",
so a scanner never tells its user about other operators' bookings.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tourism.booking.models import Booking, BookingProductLine, BookingStatus
from tourism.catalog.models import Experience, Village
from tourism.catalog.services import experience_text
from tourism.i18n import Formatter, _
from tourism.scheduling.models import ExperienceSession
from tourism.shop.models import Product
from tourism.tickets import checkin
from tourism.tickets.checkin import AdmissionRefused, AdmissionSummary, AdmitResult, ScanRefused
from tourism.tickets.codes import REFERENCE_ALPHABET, REFERENCE_LENGTH, TicketCodeError, TicketKeys
from tourism.tickets.models import Admission
from tourism.tickets.services import ticket_code

# One sync request carries at most this many scans; a phone with more sends several.
MAX_SYNC_SCANS = 200
# A party is at most 0xFFFF (the ticket format); a number typed at the gate, far less.
MAX_PEOPLE = 999
# "K7M2-QX9P" with a few stray spaces; anything longer typed in the reference field is a code.
LONGEST_REFERENCE_ENTRY = 16

NOT_FOR_THIS_SESSION = _("This ticket is not for this session.")


class OtherSession(AdmissionRefused):
    """A genuine ticket (or a reference) for another session of the same operator."""

    def __init__(self, session: ExperienceSession, message):
        super().__init__("other_session", message)
        self.session = session


@dataclass(frozen=True)
class CheckinSession:
    """A session the scanner list shows: its village's local day and its guests so far."""

    session: ExperienceSession
    local_day: date
    day_offset: int  # 0 today, 1 tomorrow (in the village's time zone)
    summary: AdmissionSummary


@dataclass(frozen=True)
class Guest:
    """A booking on a session's guest list. `code` is its ticket code (None once cancelled)."""

    booking: Booking
    admitted: int
    code: str | None

    @property
    def remaining(self) -> int:
        return max(self.booking.seats - self.admitted, 0) if self.code else 0


# --- reading ----------------------------------------------------------------------------

def operator_of(session: ExperienceSession) -> int | None:
    return session.experience.village.operator_id


def session_label(session: ExperienceSession, locale: str) -> str:
    """"Pottery at the wheel · Tue, Dec 1 · 14:30", in `locale` and the village's time."""
    fmt = Formatter(locale)
    tz = session.experience.village.time_zone
    title = experience_text(session.experience, locale).value.title
    day = session.starts_at.astimezone(ZoneInfo(tz)).date()
    return f"{title} · {fmt.day_label(day)} · {fmt.local_time(session.starts_at, tz)}"


def sessions_on_days(dbsession, *, operator_id: int | None, now: datetime, days: int = 2) -> list[tuple]:
    """(session, local day, day offset) for sessions on their village's local today and the
    `days - 1` days after, of the villages of `operator_id` (None: every village), by day
    then start. Cancelled sessions are included: guests may still turn up with a ticket."""
    # Time zones differ per village: fetch a day either side, then keep the local days.
    query = (select(ExperienceSession).join(Experience, Experience.id == ExperienceSession.experience_id)
             .join(Village, Village.id == Experience.village_id)
             .where(ExperienceSession.starts_at >= now - timedelta(days=1),
                    ExperienceSession.starts_at < now + timedelta(days=days + 1))
             .order_by(ExperienceSession.starts_at, ExperienceSession.id))
    if operator_id is not None:
        query = query.where(Village.operator_id == operator_id)
    rows = []
    for session in dbsession.scalars(query):
        zone = ZoneInfo(session.experience.village.time_zone)
        local_day = session.starts_at.astimezone(zone).date()
        offset = (local_day - now.astimezone(zone).date()).days
        if 0 <= offset < days:
            rows.append((session, local_day, offset))
    rows.sort(key=lambda row: (row[2], row[0].starts_at, row[0].id))
    return rows


def checkin_sessions(dbsession, *, operator_id: int | None, now: datetime, days: int = 2) -> list[CheckinSession]:
    """`sessions_on_days`, each with its guests booked and admitted so far."""
    return [CheckinSession(session, local_day, offset, checkin.admission_summary(dbsession, session.id))
            for session, local_day, offset in sessions_on_days(dbsession, operator_id=operator_id, now=now,
                                                               days=days)]


def guest_list(dbsession, keys: TicketKeys, session: ExperienceSession) -> list[Guest]:
    """The session's confirmed and cancelled bookings (a cancelled one, so a phone offline
    can still say so), by guest name, with how many each has had admitted."""
    bookings = list(dbsession.scalars(
        select(Booking).where(Booking.session_id == session.id,
                              Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.CANCELLED)))
        # Each guest's tiers and products to hand over are shown: read them all at once.
        .options(selectinload(Booking.lines),
                 selectinload(Booking.product_lines).selectinload(BookingProductLine.product)
                 .selectinload(Product.texts))
        .order_by(Booking.contact_name, Booking.reference)))
    admitted = dict(dbsession.execute(
        select(Admission.booking_id, func.sum(Admission.people))
        .join(Booking, Booking.id == Admission.booking_id)
        .where(Booking.session_id == session.id).group_by(Admission.booking_id)).all())
    return [Guest(booking, admitted.get(booking.id, 0),
                  ticket_code(keys, booking) if booking.status == BookingStatus.CONFIRMED else None)
            for booking in bookings]


def booking_at_session(dbsession, session: ExperienceSession, reference) -> Booking | None:
    """The booking of `session` with this reference (as typed: "k7m2-qx9p"), or None."""
    cleaned = clean_reference(reference)
    booking = _booking(dbsession, cleaned) if cleaned is not None else None
    return booking if booking is not None and booking.session_id == session.id else None


def clean_reference(text) -> str | None:
    """A booking reference as typed at the gate ("k7m2-qx9p ") → "K7M2QX9P", or None."""
    if not isinstance(text, str):
        return None
    reference = "".join(c for c in text.upper() if c not in " -.\t")
    if len(reference) != REFERENCE_LENGTH or any(c not in REFERENCE_ALPHABET for c in reference):
        return None
    return reference


# --- admitting ----------------------------------------------------------------------------

def code_for_session(dbsession, keys: TicketKeys, session: ExperienceSession, *, code: str | None = None,
                     reference: str | None = None, locale: str) -> str:
    """The ticket code to admit at `session`: `code` itself when it is for this session,
    or the signed code of the booking with `reference` (staff at the gate may look one up).
    A `reference` too long to be one is taken as a code (a hardware scanner types codes).

    Raises TicketCodeError for a code that is not genuine, AdmissionRefused("unknown_booking")
    for a reference with no booking in this operator's sessions, OtherSession for one of
    this operator's other sessions (its message names the session, in `locale`), and
    AdmissionRefused("other_session") for another operator's ticket.
    """
    if not code and isinstance(reference, str) and len(reference.strip()) > LONGEST_REFERENCE_ENTRY:
        code = reference.strip()  # typed by a hardware scanner, or pasted: a code, not a reference
    if code:
        claims = keys.verify(code)
        if claims.session_id == session.id:
            return code
        booking = _booking(dbsession, claims.reference)
        if booking is not None and booking.session_id == session.id:
            return code  # moved here after its ticket was sent: `admit` says to ask for the new one
        raise _elsewhere(dbsession, session, claims.session_id, locale,
                         AdmissionRefused("other_session", NOT_FOR_THIS_SESSION))
    cleaned = clean_reference(reference)
    unknown = AdmissionRefused("unknown_booking", _("No booking for this session has the reference ${reference}.",
                                                    mapping={"reference": (reference or "").strip()[:20]}))
    if cleaned is None:
        raise unknown
    booking = _booking(dbsession, cleaned)
    if booking is None:
        raise unknown
    if booking.session_id != session.id:
        raise _elsewhere(dbsession, session, booking.session_id, locale, unknown)
    return ticket_code(keys, booking)


def admit_at_session(dbsession, keys: TicketKeys, session: ExperienceSession, *, code: str | None = None,
                     reference: str | None = None, people: int | None, scan_id: str, now: datetime,
                     locale: str, device: str = "") -> AdmitResult:
    """Admit `people` (None: everyone the ticket has left) of a ticket, scanned (`code`) or
    typed (`reference`), at `session`, as `checkin.admit` does.

    Raises what `code_for_session` and `checkin.admit` raise; raising means nothing changed.
    """
    code = code_for_session(dbsession, keys, session, code=code, reference=reference, locale=locale)
    if people is None:
        booking = _booking(dbsession, keys.verify(code).reference)
        left = booking.seats - checkin.admitted_count(dbsession, booking) if booking is not None else 1
        people = max(left, 1)  # nobody left: `admit` answers "all admitted"
    elif isinstance(people, int) and not isinstance(people, bool) and people > MAX_PEOPLE:
        raise AdmissionRefused("bad_people", _("Enter how many people as a whole number."))
    return checkin.admit(dbsession, keys, code=code, people=people, scan_id=scan_id, now=now, device=device)


def sync_at_session(dbsession, keys: TicketKeys, session: ExperienceSession, scans: list, *, now: datetime,
                    locale: str) -> list[AdmitResult | ScanRefused]:
    """Record scans a phone queued offline at `session`, as `checkin.sync_scans` does; a scan
    of a ticket for another session is refused (ScanRefused, saying which session)."""
    results: list[AdmitResult | ScanRefused] = []
    for scan in scans:
        if isinstance(scan, dict) and isinstance(scan.get("code"), str):
            try:
                code_for_session(dbsession, keys, session, code=scan["code"], locale=locale)
            except (TicketCodeError, AdmissionRefused) as error:
                scan_id = scan.get("scan_id") if isinstance(scan.get("scan_id"), str) else ""
                results.append(ScanRefused(scan_id, error.reason, error.message))
                continue
        results += checkin.sync_scans(dbsession, keys, [scan], now)
    return results


def _booking(dbsession, reference: str) -> Booking | None:
    return dbsession.scalar(select(Booking).where(Booking.reference == reference))


def _elsewhere(dbsession, session: ExperienceSession, other_id: int, locale: str,
               otherwise: AdmissionRefused) -> AdmissionRefused:
    """OtherSession naming `other_id` when it is the same operator's, else `otherwise`."""
    other = dbsession.get(ExperienceSession, other_id)
    if other is None or operator_of(other) != operator_of(session):
        return otherwise
    return OtherSession(other, _("This ticket is for another session: ${session}.",
                                 mapping={"session": session_label(other, locale)}))
