"""Reports: what the console's Today page, its Reports page and their CSV files show.

Pure queries. Each function takes a database session, the operator whose villages it may
read (`operator_id`; None for a platform admin: every operator) and what else it needs
(`now`, a period, a locale for names), and returns dataclasses of ints, dates and strings:
no HTTP, no clock, no formatting. Each reads a fixed number of statements, however many
sessions there are (counts are added up in SQL per session, then per day in Python,
because each village has its own time zone).

What the numbers mean, the same on every page and in every CSV:
- a session's day is the date it starts in its village's time zone; a booking, its money
  and its guests count on the day of their session, not on the day they were made or paid;
- bookings are confirmed bookings: held (not paid yet) and expired ones are not counted;
  "cancelled" counts the bookings cancelled after they were confirmed;
- guests (visitors) are the people on confirmed bookings;
- paid is the money received, whatever became of the booking since (a cancelled booking's
  money was received too); refunds is what went back or is owed back against it (refunds
  pending or done; a failed refund gave nothing back), so paid − refunds is what was kept;
- occupancy is the guests on confirmed bookings over the capacity of the sessions that run
  (not cancelled, not on a closure day).
Amounts are whole dong (VND has no minor unit): integers, never floats.
"""
import enum
import re
from calendar import monthrange
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from tourism.booking.models import Booking, BookingStatus
from tourism.catalog.models import Experience, Village
from tourism.catalog.services import experience_text, village_text
from tourism.forms import Problems, raw
from tourism.i18n import _
from tourism.octo.models import RESELLER_CHANNEL
from tourism.payments.models import RECEIVED, Payment
from tourism.scheduling.models import ExperienceSession, SessionStatus
from tourism.tickets.models import Admission

# Today: today and the next 7 days.
TODAY_DAYS = 8
# A report covers at most two years: enough for "this year against last year", and a chart
# of more weeks than that is unreadable anyway.
MAX_PERIOD_DAYS = 731
# Every time zone is within 14 hours of UTC: a day either side of a period catches every
# village's local days, which are then kept by their local date.
_MARGIN = timedelta(days=1)


class Grain(enum.StrEnum):
    WEEK = "week"  # Monday to Sunday, as weeks run in Vietnam
    MONTH = "month"


# --- the period ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bucket:
    """One week or month of a period: `key` is its Monday or its first day; `first` and
    `last` are the days of it inside the period (the first and last buckets may be cut)."""

    key: date
    first: date
    last: date
    grain: Grain

    @property
    def whole(self) -> bool:
        return (self.first, self.last) == (self.key, _bucket_end(self.key, self.grain))


@dataclass(frozen=True)
class Period:
    """Days `first` to `last` (inclusive, the villages' local days), by week or by month."""

    first: date
    last: date
    grain: Grain = Grain.WEEK

    def buckets(self) -> list[Bucket]:
        result, key = [], bucket_key(self.first, self.grain)
        while key <= self.last:
            end = _bucket_end(key, self.grain)
            result.append(Bucket(key, max(key, self.first), min(end, self.last), self.grain))
            key = end + timedelta(days=1)
        return result

    def whole_months(self) -> "Period":
        """The months this period touches, from the first day of the first to the last of the last."""
        return Period(self.first.replace(day=1), _bucket_end(self.last.replace(day=1), Grain.MONTH), Grain.MONTH)


def bucket_key(day: date, grain: Grain) -> date:
    """The Monday of `day`'s week, or the first of its month."""
    return day - timedelta(days=day.weekday()) if grain == Grain.WEEK else day.replace(day=1)


def _bucket_end(key: date, grain: Grain) -> date:
    if grain == Grain.WEEK:
        return key + timedelta(days=6)
    return key.replace(day=monthrange(key.year, key.month)[1])


def last_month(today: date) -> Period:
    """The month before `today`'s, by week: what the Reports page opens on."""
    last = today.replace(day=1) - timedelta(days=1)
    return Period(last.replace(day=1), last, Grain.WEEK)


def quick_periods(today: date) -> dict[str, Period]:
    """The periods the Reports page offers in one tap."""
    month_start = today.replace(day=1)
    three_back = (month_start - timedelta(days=1)).replace(day=1)
    three_back = (three_back - timedelta(days=1)).replace(day=1)
    return {
        "this_month": Period(month_start, _bucket_end(month_start, Grain.MONTH), Grain.WEEK),
        "last_month": last_month(today),
        "last_3_months": Period(three_back, _bucket_end(today.replace(day=1), Grain.MONTH), Grain.MONTH),
        "this_year": Period(date(today.year, 1, 1), date(today.year, 12, 31), Grain.MONTH),
    }


_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\Z")


def parse_day(text: str) -> date | None:
    """A day as a date field sends it (2026-03-31) or as people write it here (31/3/2026)."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        found = _DAY_MONTH_YEAR.match(text)
        if found:
            day, month, year = (int(part) for part in found.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


def parse_period(params, *, today: date) -> Period:
    """The period a Reports form or CSV link asks for (`from`, `to`, `by`): last month by
    week when it names none. Raises tourism.forms.InvalidInput, one message per field."""
    if not raw(params, "from") and not raw(params, "to") and not raw(params, "by"):
        return last_month(today)
    problems = Problems()
    first, last = parse_day(raw(params, "from")), parse_day(raw(params, "to"))
    if first is None:
        problems.add("from", _("Enter the first day as a date, like 1/3/2026."))
    if last is None:
        problems.add("to", _("Enter the last day as a date, like 31/3/2026."))
    grain = next((g for g in Grain if g.value == raw(params, "by")), None)
    if grain is None:
        problems.add("by", _("Choose by week or by month."))
    if first is not None and last is not None:
        if last < first:
            problems.add("to", _("The last day must be on or after the first day."))
        elif (last - first).days + 1 > MAX_PERIOD_DAYS:
            problems.add("to", _("Choose at most two years at a time."))
    problems.raise_any()
    return Period(first, last, grain)


# --- which sessions ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Session:
    id: int
    experience_id: int
    village_id: int
    day: date
    running: bool  # not cancelled, not on a closure day
    cancelled: bool
    capacity: int


@dataclass(frozen=True)
class _Scope:
    """Whose sessions, and near which days: the operator's (None: all), one village's or all
    of them, those starting before `before` only when given."""

    operator_id: int | None
    village_id: int | None
    first: date
    last: date
    before: datetime | None = None

    def apply(self, query):
        """`query` (selecting from ExperienceSession or joining it) narrowed to the sessions
        in scope within a day of the period; callers keep the local days they want."""
        start = datetime.combine(self.first - _MARGIN, time(), tzinfo=timezone.utc)
        end = datetime.combine(self.last + timedelta(days=1) + _MARGIN, time(), tzinfo=timezone.utc)
        query = (query.join(Experience, Experience.id == ExperienceSession.experience_id)
                 .join(Village, Village.id == Experience.village_id)
                 .where(ExperienceSession.starts_at >= start, ExperienceSession.starts_at < end))
        if self.before is not None:
            query = query.where(ExperienceSession.starts_at < self.before)
        if self.operator_id is not None:
            query = query.where(Village.operator_id == self.operator_id)
        if self.village_id is not None:
            query = query.where(Village.id == self.village_id)
        return query


def _booking_query(*columns):
    return select(*columns).select_from(Booking).join(ExperienceSession, ExperienceSession.id == Booking.session_id)


def _sessions(dbsession, scope: _Scope) -> dict[int, _Session]:
    """The sessions in scope whose local day is in the period, by id."""
    rows = dbsession.execute(scope.apply(
        select(ExperienceSession.id, ExperienceSession.experience_id, ExperienceSession.starts_at,
               ExperienceSession.status, ExperienceSession.closure_id, ExperienceSession.capacity,
               Village.id, Village.time_zone)))
    found = {}
    for session_id, experience_id, starts_at, status, closure_id, capacity, village_id, zone in rows:
        day = starts_at.astimezone(ZoneInfo(zone)).date()
        if scope.first <= day <= scope.last:
            cancelled = status == SessionStatus.CANCELLED
            found[session_id] = _Session(session_id, experience_id, village_id, day,
                                         running=not cancelled and closure_id is None, cancelled=cancelled,
                                         capacity=capacity)
    return found


def _counted_bookings():
    """Confirmed bookings, and those cancelled after they were confirmed."""
    return or_(Booking.status == BookingStatus.CONFIRMED,
               and_(Booking.status == BookingStatus.CANCELLED, Booking.confirmed_at.is_not(None)))


def _bookings_by_session(dbsession, scope: _Scope) -> dict[int, dict]:
    """{session id: {"bookings", "guests", "cancelled"}}."""
    rows = dbsession.execute(scope.apply(
        _booking_query(Booking.session_id, Booking.status, func.count(), func.sum(Booking.seats))
        .where(_counted_bookings()).group_by(Booking.session_id, Booking.status)))
    found: dict[int, dict] = {}
    for session_id, status, count, seats in rows:
        counts = found.setdefault(session_id, {"bookings": 0, "guests": 0, "cancelled": 0})
        if status == BookingStatus.CONFIRMED:
            counts["bookings"] += count
            counts["guests"] += int(seats or 0)
        else:
            counts["cancelled"] += count
    return found


def _money_by_session(dbsession, scope: _Scope) -> dict[int, tuple[int, int]]:
    """{session id: (paid, refunded)}: money received for its bookings, and given back."""
    rows = dbsession.execute(scope.apply(
        _booking_query(Booking.session_id, func.sum(Payment.amount), func.sum(Payment.refunded_amount))
        .join(Payment, Payment.booking_id == Booking.id).where(Payment.status.in_(RECEIVED))
        .group_by(Booking.session_id)))
    return {session_id: (int(paid or 0), int(refunded or 0)) for session_id, paid, refunded in rows}


# --- names -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExperienceInfo:
    id: int
    slug: str
    title: str
    village_id: int
    village: str


def _experiences(dbsession, ids, locale: str) -> list[ExperienceInfo]:
    """The experiences with these ids, named in `locale`, by village then title."""
    if not ids:
        return []
    experiences = dbsession.scalars(
        select(Experience).where(Experience.id.in_(sorted(ids)))
        .options(selectinload(Experience.texts), selectinload(Experience.village).selectinload(Village.texts)))
    infos = [ExperienceInfo(e.id, e.slug, experience_text(e, locale).value.title, e.village_id,
                            village_text(e.village, locale).value.name) for e in experiences]
    return sorted(infos, key=lambda info: (info.village.casefold(), info.title.casefold(), info.id))


# --- bookings, revenue, refunds and occupancy per experience --------------------------------

@dataclass
class Figures:
    """What one experience (or all of them) did in one week or month."""

    bookings: int = 0
    guests: int = 0
    cancelled: int = 0
    paid: int = 0
    refunded: int = 0
    sessions: int = 0  # sessions that run
    booked_seats: int = 0  # guests on sessions that run
    capacity: int = 0  # of sessions that run

    @property
    def kept(self) -> int:
        return self.paid - self.refunded

    @property
    def occupancy(self) -> int | None:
        """Booked seats over capacity, in whole percent rounded half up; None without capacity."""
        if not self.capacity:
            return None
        return (200 * self.booked_seats + self.capacity) // (2 * self.capacity)

    def add(self, other: "Figures") -> None:
        for name in ("bookings", "guests", "cancelled", "paid", "refunded", "sessions", "booked_seats",
                     "capacity"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class ExperienceReport:
    period: Period
    buckets: list[Bucket]
    experiences: list[ExperienceInfo]
    figures: dict[tuple[int, date], Figures] = field(default_factory=dict)  # (experience id, bucket key)

    def cell(self, experience_id: int, key: date) -> Figures:
        return self.figures.get((experience_id, key), Figures())

    def bucket_total(self, key: date) -> Figures:
        total = Figures()
        for experience in self.experiences:
            total.add(self.cell(experience.id, key))
        return total

    def experience_total(self, experience_id: int) -> Figures:
        total = Figures()
        for bucket in self.buckets:
            total.add(self.cell(experience_id, bucket.key))
        return total

    def total(self) -> Figures:
        total = Figures()
        for bucket in self.buckets:
            total.add(self.bucket_total(bucket.key))
        return total


def experience_report(dbsession, *, operator_id: int | None, period: Period, locale: str,
                      village_id: int | None = None) -> ExperienceReport:
    """Bookings, guests, cancellations, money paid and refunded, and occupancy per experience
    and per week or month of `period`, for the experiences that had a session in it."""
    scope = _Scope(operator_id, village_id, period.first, period.last)
    sessions = _sessions(dbsession, scope)
    bookings = _bookings_by_session(dbsession, scope)
    money = _money_by_session(dbsession, scope)
    figures: dict[tuple[int, date], Figures] = {}
    for session in sessions.values():
        cell = figures.setdefault((session.experience_id, bucket_key(session.day, period.grain)), Figures())
        counts = bookings.get(session.id, {})
        cell.bookings += counts.get("bookings", 0)
        cell.guests += counts.get("guests", 0)
        cell.cancelled += counts.get("cancelled", 0)
        paid, refunded = money.get(session.id, (0, 0))
        cell.paid += paid
        cell.refunded += refunded
        if session.running:
            cell.sessions += 1
            cell.booked_seats += counts.get("guests", 0)
            cell.capacity += session.capacity
    experiences = _experiences(dbsession, {s.experience_id for s in sessions.values()}, locale)
    return ExperienceReport(period, period.buckets(), experiences, figures)


# --- visitors by language and country -------------------------------------------------------

@dataclass(frozen=True)
class VisitorCount:
    code: str  # a locale ("vi") or an ISO 3166 country code ("KR")
    bookings: int
    visitors: int


@dataclass
class VisitorReport:
    languages: list[VisitorCount]
    countries: list[VisitorCount]

    @property
    def visitors(self) -> int:
        return sum(count.visitors for count in self.languages)

    @property
    def bookings(self) -> int:
        return sum(count.bookings for count in self.languages)


def _visitor_rows(dbsession, scope: _Scope, sessions: dict[int, _Session]):
    """(session, locale, country, bookings, visitors) for the confirmed bookings of `sessions`."""
    rows = dbsession.execute(scope.apply(
        _booking_query(Booking.session_id, Booking.locale, Booking.contact_country, func.count(),
                       func.sum(Booking.seats))
        .where(Booking.status == BookingStatus.CONFIRMED)
        .group_by(Booking.session_id, Booking.locale, Booking.contact_country)))
    for session_id, locale, country, count, seats in rows:
        if session_id in sessions:
            yield sessions[session_id], locale, country, count, int(seats or 0)


def _ranked(bookings: Counter, visitors: Counter) -> list[VisitorCount]:
    return [VisitorCount(code, bookings[code], visitors[code])
            for code in sorted(visitors, key=lambda code: (-visitors[code], code))]


def visitor_report(dbsession, *, operator_id: int | None, period: Period,
                   village_id: int | None = None) -> VisitorReport:
    """The guests of confirmed bookings in `period`, by the language they booked in and by
    their country, the most first."""
    scope = _Scope(operator_id, village_id, period.first, period.last)
    sessions = _sessions(dbsession, scope)
    by = {name: (Counter(), Counter()) for name in ("language", "country")}
    for _session, locale, country, count, seats in _visitor_rows(dbsession, scope, sessions):
        for name, code in (("language", locale), ("country", country)):
            by[name][0][code] += count
            by[name][1][code] += seats
    return VisitorReport(_ranked(*by["language"]), _ranked(*by["country"]))


# --- the village statistics a provincial tourism office asks for ----------------------------

@dataclass
class VillageMonth:
    """Counts only: no names, no contacts, nothing about any one booking."""

    month: date  # its first day
    sessions_run: int = 0
    sessions_cancelled: int = 0
    bookings: int = 0
    visitors: int = 0
    by_country: Counter = field(default_factory=Counter)
    by_language: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class VillageStatistics:
    village_id: int
    slug: str
    name: str
    province: str
    months: list[VillageMonth]


def village_statistics(dbsession, *, operator_id: int | None, period: Period, now: datetime, locale: str,
                       village_id: int | None = None) -> list[VillageStatistics]:
    """Per village and whole month of `period`, up to `now` (sessions that have started): sessions
    run (with guests, not cancelled, not on a closure day), sessions cancelled, bookings and
    visitors, visitors by country and by language. Every village in scope is listed, with
    zeros for a quiet month."""
    period = period.whole_months()
    scope = _Scope(operator_id, village_id, period.first, period.last, before=now)
    sessions = _sessions(dbsession, scope)
    query = select(Village).order_by(Village.slug).options(selectinload(Village.texts))
    if operator_id is not None:
        query = query.where(Village.operator_id == operator_id)
    if village_id is not None:
        query = query.where(Village.id == village_id)
    villages = list(dbsession.scalars(query))
    months = {(v.id, b.key): VillageMonth(b.key) for v in villages for b in period.buckets()}
    guests: Counter = Counter()
    for session, locale_code, country, count, seats in _visitor_rows(dbsession, scope, sessions):
        month = months[(session.village_id, bucket_key(session.day, Grain.MONTH))]
        month.bookings += count
        month.visitors += seats
        month.by_country[country] += seats
        month.by_language[locale_code] += seats
        guests[session.id] += seats
    for session in sessions.values():
        month = months[(session.village_id, bucket_key(session.day, Grain.MONTH))]
        if session.cancelled:
            month.sessions_cancelled += 1
        elif session.running and guests[session.id]:
            month.sessions_run += 1
    return [VillageStatistics(village.id, village.slug, village_text(village, locale).value.name, village.province,
                              [months[(village.id, b.key)] for b in period.buckets()]) for village in villages]


# --- today and the next days ----------------------------------------------------------------

@dataclass(frozen=True)
class DaySession:
    """A session on the Today page, with its seats, check-in and money so far."""

    session_id: int
    experience_id: int
    title: str
    village: str
    time_zone: str
    starts_at: datetime
    local_day: date
    day_offset: int  # 0 today, 1 tomorrow… in the village's time zone
    capacity: int
    booked: int  # guests on confirmed bookings
    held: int  # seats held by guests still paying (holds not expired)
    admitted: int  # guests checked in (at most each booking's party)
    paid: int  # money received for the confirmed bookings, less refunds
    due: int  # what the confirmed bookings still owe (to collect at the village, or a transfer awaited);
    # a reseller's bookings owe nothing here: their customers paid the reseller
    cancelled: bool
    closed: bool  # on a closure day

    @property
    def free(self) -> int:
        if self.cancelled or self.closed:
            return 0
        return max(self.capacity - self.booked - self.held, 0)


def today_sessions(dbsession, *, operator_id: int | None, now: datetime, locale: str,
                   days: int = TODAY_DAYS) -> list[DaySession]:
    """The sessions of the operator's experiences on their village's local today and the
    `days - 1` days after, by day then start time. Cancelled sessions are included: guests
    may still turn up with a ticket, and the staff must see that they were cancelled."""
    scope = _Scope(operator_id, None, now.date() - _MARGIN, now.date() + timedelta(days=days))
    query = scope.apply(select(ExperienceSession)).options(
        selectinload(ExperienceSession.experience).selectinload(Experience.texts),
        selectinload(ExperienceSession.experience).selectinload(Experience.village).selectinload(Village.texts))
    sessions = []
    for session in dbsession.scalars(query):
        zone = ZoneInfo(session.experience.village.time_zone)
        local_day = session.starts_at.astimezone(zone).date()
        offset = (local_day - now.astimezone(zone).date()).days
        if 0 <= offset < days:
            sessions.append((session, local_day, offset))
    if not sessions:
        return []
    held = dict(dbsession.execute(scope.apply(
        _booking_query(Booking.session_id, func.sum(Booking.seats))
        .where(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now)
        .group_by(Booking.session_id))).all())
    paid = (select(func.coalesce(func.sum(Payment.amount - Payment.refunded_amount), 0))
            .where(Payment.booking_id == Booking.id, Payment.status.in_(RECEIVED)).scalar_subquery())
    admitted = (select(func.coalesce(func.sum(Admission.people), 0))
                .where(Admission.booking_id == Booking.id).scalar_subquery())
    totals: dict[int, list[int]] = {}  # session id: [booked, admitted, paid, due]
    for session_id, seats, total, paid_amount, admitted_people, channel in dbsession.execute(scope.apply(
            _booking_query(Booking.session_id, Booking.seats, Booking.total_amount, paid, admitted, Booking.channel)
            .where(Booking.status == BookingStatus.CONFIRMED))):
        row = totals.setdefault(session_id, [0, 0, 0, 0])
        row[0] += seats
        row[1] += min(int(admitted_people), seats)
        row[2] += int(paid_amount)
        if channel != RESELLER_CHANNEL:  # a reseller's customer paid the reseller: nothing to collect
            row[3] += max(total - int(paid_amount), 0)

    result = []
    for session, local_day, offset in sorted(sessions, key=lambda s: (s[2], s[0].starts_at, s[0].id)):
        experience = session.experience
        booked, admitted_count, paid_amount, due = totals.get(session.id, (0, 0, 0, 0))
        result.append(DaySession(
            session_id=session.id, experience_id=experience.id, title=experience_text(experience, locale).value.title,
            village=village_text(experience.village, locale).value.name, time_zone=experience.village.time_zone,
            starts_at=session.starts_at, local_day=local_day, day_offset=offset, capacity=session.capacity,
            booked=booked, held=int(held.get(session.id) or 0), admitted=admitted_count, paid=paid_amount, due=due,
            cancelled=session.status == SessionStatus.CANCELLED, closed=session.closure_id is not None))
    return result
