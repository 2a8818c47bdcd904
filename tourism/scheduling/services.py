"""Scheduling rules: expanding RRULEs in local time and materialising sessions.

`materialise_sessions` is idempotent: it makes the session rows match the rules, opening
hours and closures for the horizon, creating what is missing, updating what changed, and
deleting only sessions nobody ever booked.

It may run while guests book (the hourly worker takes no lock), so a session read with
nobody on it may be booked before it is deleted: the DELETE itself checks that nobody did
(`_delete_if_never_booked`), and keeps the session otherwise. A guest whose booking comes
after the DELETE is told the session is gone (booking.services.keep_session_row).
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import delete, or_, select

from tourism.catalog.models import Experience, ExperienceKind, PublicationStatus
from tourism.concurrency import RaceGuard
from tourism.exceptions import DomainError
from tourism.i18n import _
from tourism.scheduling.models import (
    Closure,
    ExperienceResource,
    ExperienceSession,
    Resource,
    ResourceSlot,
    ScheduleRule,
    SessionStatus,
)

DEFAULT_HORIZON_DAYS = 180
ALLOWED_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY"}

# The negative control of the race with a booking (tests only). Off: a session read with
# nobody on it is deleted by its id alone after a pause, as the ORM would. On, its pause
# (when a test sets one) widens the window between reading and the conditional DELETE.
DELETE_GUARD = RaceGuard()


def parse_rrule(text: str, valid_from: date):
    """Check an RRULE an operator typed; returns the dateutil rule or raises DomainError."""
    text = text.strip().removeprefix("RRULE:")
    fields = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    if fields.get("FREQ") not in ALLOWED_FREQUENCIES:
        raise DomainError(_("A schedule repeats daily, weekly or monthly."), field="rrule")
    if "BYHOUR" not in fields:
        raise DomainError(_("Give the start times, for example 07:00 and 14:00."), field="rrule")
    try:
        return rrulestr(text, dtstart=datetime.combine(valid_from, time(0)))
    except (ValueError, TypeError):
        raise DomainError(_("This schedule rule is not valid."), field="rrule") from None


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where a local day starts and the next one starts."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


@dataclass(frozen=True)
class PlannedSession:
    starts_at: datetime  # UTC
    ends_at: datetime
    capacity: int
    rule_id: int | None


def planned_sessions(experience: Experience, rules: list[ScheduleRule], first: date, last: date) -> dict[datetime, PlannedSession]:
    """What the rules (or, for admission tickets, the opening hours) produce from `first` to `last`."""
    tz = ZoneInfo(experience.village.time_zone)
    duration = timedelta(minutes=experience.duration_minutes)
    planned: dict[datetime, PlannedSession] = {}
    if experience.kind == ExperienceKind.ADMISSION:
        if not experience.daily_capacity:
            return planned
        by_day: dict[int, list] = {}
        for hours in experience.opening_hours:
            by_day.setdefault(hours.weekday, []).append(hours)
        day = first
        while day <= last:
            periods = by_day.get(day.weekday())
            if periods:
                starts = datetime.combine(day, min(p.opens for p in periods), tzinfo=tz).astimezone(timezone.utc)
                ends = datetime.combine(day, max(p.closes for p in periods), tzinfo=tz).astimezone(timezone.utc)
                planned[starts] = PlannedSession(starts, ends, experience.daily_capacity, None)
            day += timedelta(days=1)
        return planned
    for rule in rules:
        window_start = max(first, rule.valid_from)
        window_end = min(last, rule.valid_until) if rule.valid_until else last
        if window_end < window_start:
            continue
        recurrence = parse_rrule(rule.rrule, rule.valid_from)
        for local in recurrence.between(datetime.combine(window_start, time(0)),
                                        datetime.combine(window_end, time(23, 59, 59)), inc=True):
            starts = local.replace(tzinfo=tz).astimezone(timezone.utc)
            planned[starts] = PlannedSession(starts, starts + duration, rule.capacity, rule.id)
    return planned


@dataclass
class MaterialiseReport:
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def __iadd__(self, other):
        self.created += other.created
        self.updated += other.updated
        self.deleted += other.deleted
        return self


def _closure_for(closures: list[Closure], day: date) -> Closure | None:
    return next((c for c in closures if c.starts_on <= day <= c.ends_on), None)


def materialise_sessions(dbsession, experience: Experience, *, today: date,
                         horizon_days: int = DEFAULT_HORIZON_DAYS) -> MaterialiseReport:
    """Make the experience's sessions from `today` to the horizon match its schedule.

    Creates missing sessions; updates capacity (never below the seats already taken) and
    end time; marks sessions covered by a closure; deletes a session the rules no longer
    make only when it never had a booking, even one made while this runs (then it is kept,
    with no rule, as for any session once booked).
    """
    tz = ZoneInfo(experience.village.time_zone)
    last = today + timedelta(days=horizon_days)
    window_start, _unused = local_day_bounds(today, tz)
    _unused, window_end = local_day_bounds(last, tz)
    rules = list(dbsession.scalars(select(ScheduleRule).where(ScheduleRule.experience_id == experience.id)))
    planned = planned_sessions(experience, rules, today, last)
    closures = list(dbsession.scalars(select(Closure).where(
        or_(Closure.experience_id == experience.id, Closure.village_id == experience.village_id),
        Closure.ends_on >= today, Closure.starts_on <= last,
    )))
    existing = {
        s.starts_at: s for s in dbsession.scalars(select(ExperienceSession).where(
            ExperienceSession.experience_id == experience.id,
            ExperienceSession.starts_at >= window_start, ExperienceSession.starts_at < window_end,
        ))
    }
    report = MaterialiseReport()
    for starts_at, plan in planned.items():
        session = existing.pop(starts_at, None)
        if session is None:
            session = ExperienceSession(experience_id=experience.id, starts_at=starts_at, ends_at=plan.ends_at,
                                        capacity=plan.capacity, rule_id=plan.rule_id)
            dbsession.add(session)
            report.created += 1
        elif not session.is_one_off:
            capacity = max(plan.capacity, session.seats_booked + session.seats_held)
            changes = {"ends_at": plan.ends_at, "capacity": capacity, "rule_id": plan.rule_id}
            if any(getattr(session, k) != v for k, v in changes.items()):
                for k, v in changes.items():
                    setattr(session, k, v)
                report.updated += 1
    for session in existing.values():
        if session.is_one_off:
            continue
        if not session.ever_booked and _delete_if_never_booked(dbsession, session):
            report.deleted += 1
        elif session.rule_id is not None:
            session.rule_id = None
            report.updated += 1
    dbsession.flush()
    for session in dbsession.scalars(select(ExperienceSession).where(
        ExperienceSession.experience_id == experience.id,
        ExperienceSession.starts_at >= window_start, ExperienceSession.starts_at < window_end,
    )):
        closure = _closure_for(closures, session.starts_at.astimezone(tz).date())
        closure_id = closure.id if closure else None
        if session.closure_id != closure_id:
            session.closure_id = closure_id
            report.updated += 1
    _ensure_resource_slots(dbsession, experience, list(planned))
    dbsession.flush()
    return report


def _delete_if_never_booked(dbsession, session: ExperienceSession) -> bool:
    """Delete `session` if it still has never been booked; False (the row read afresh) if a
    guest booked it since it was read.

    One conditional DELETE: a booking sets `ever_booked` and takes its seats in the same
    transaction that writes the booking row, and the DELETE waits for that transaction and
    then checks the row as it is now (PostgreSQL's READ COMMITTED; SQLite lets one writer in
    at a time). So a session is never deleted from under a booking, and nobody gets the
    bookings' foreign-key error.
    """
    DELETE_GUARD.pause()
    if not DELETE_GUARD.enabled:  # negative control only: deleted by its id, as read
        dbsession.delete(session)
        dbsession.flush()
        return True
    gone = dbsession.execute(
        delete(ExperienceSession)
        .where(ExperienceSession.id == session.id, ExperienceSession.ever_booked.is_(False),
               ExperienceSession.seats_booked == 0, ExperienceSession.seats_held == 0)
        .execution_options(synchronize_session="fetch")).rowcount == 1
    if not gone:
        dbsession.refresh(session)
    return gone


def _ensure_resource_slots(dbsession, experience: Experience, starts: list[datetime]) -> None:
    resources = list(dbsession.scalars(select(Resource).join(ExperienceResource).where(
        ExperienceResource.experience_id == experience.id)))
    for resource in resources:
        have = set(dbsession.scalars(select(ResourceSlot.starts_at).where(
            ResourceSlot.resource_id == resource.id, ResourceSlot.starts_at.in_(starts))))
        for starts_at in starts:
            if starts_at not in have:
                dbsession.add(ResourceSlot(resource_id=resource.id, starts_at=starts_at, capacity=resource.capacity))


def materialise_all(dbsession, *, today: date, horizon_days: int = DEFAULT_HORIZON_DAYS) -> MaterialiseReport:
    report = MaterialiseReport()
    for experience in dbsession.scalars(select(Experience).where(Experience.status == PublicationStatus.PUBLISHED)):
        report += materialise_sessions(dbsession, experience, today=today, horizon_days=horizon_days)
    return report


def add_one_off_session(dbsession, experience: Experience, *, starts_at: datetime, capacity: int,
                        now: datetime) -> ExperienceSession:
    """A session outside the rules (a festival day, a private group); never touched by materialising."""
    if starts_at <= now:
        raise DomainError(_("A new session must start in the future."), field="starts_at")
    if capacity < 1:
        raise DomainError(_("A session needs at least one seat."), field="capacity")
    session = dbsession.scalar(select(ExperienceSession).where(
        ExperienceSession.experience_id == experience.id, ExperienceSession.starts_at == starts_at))
    if session is None:
        session = ExperienceSession(experience_id=experience.id, starts_at=starts_at, capacity=capacity,
                                    ends_at=starts_at + timedelta(minutes=experience.duration_minutes),
                                    seats_booked=0, seats_held=0)
        dbsession.add(session)
    session.is_one_off = True
    session.rule_id = None
    session.capacity = max(capacity, session.seats_booked + session.seats_held)
    dbsession.flush()
    return session


def set_session_capacity(dbsession, session: ExperienceSession, capacity: int) -> None:
    """Change one session's seats; never below what is already booked or held."""
    taken = session.seats_booked + session.seats_held
    if capacity < taken:
        raise DomainError(_("This session already has ${count} seats taken; capacity cannot be lower.",
                            mapping={"count": taken}), field="capacity")
    session.capacity = capacity
    dbsession.flush()


def materialise_task(dbsession, now: datetime, registry) -> None:
    """Worker task: keep the rolling horizon of sessions filled."""
    horizon = int(registry.settings.get("tourism.session_horizon_days", DEFAULT_HORIZON_DAYS))
    materialise_all(dbsession, today=now.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date(), horizon_days=horizon)


def is_open(session: ExperienceSession) -> bool:
    return session.status == SessionStatus.OPEN and session.closure_id is None
