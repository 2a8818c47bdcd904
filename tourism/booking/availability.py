"""Availability: seats left per session, read from the materialised session rows.

A hold that has expired is never counted, even before the worker has released it.
"""
import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tourism.booking.services import expired_held_seats
from tourism.catalog.models import Experience
from tourism.i18n import _
from tourism.scheduling.models import Closure, ExperienceResource, ExperienceSession, ResourceSlot, SessionStatus
from tourism.scheduling.services import local_day_bounds

# Few enough seats left to say "only N left".
LIMITED_SEATS = 5

SESSION_STATE_LABELS = {
    "sold_out": _("Sold out"),
    "closed": _("Closed"),
    "cancelled": _("Cancelled"),
    "cutoff": _("Booking closed"),
    "past": _("Past"),
}


@dataclass(frozen=True)
class SessionAvailability:
    session_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_left: int
    state: str  # available, limited, sold_out, closed, cancelled, cutoff, past
    closure_reason: str | None

    @property
    def bookable(self) -> bool:
        return self.state in ("available", "limited")


def _state(status, closure_reason, starts_at, seats_left, cutoff: timedelta, now: datetime) -> str:
    if status == SessionStatus.CANCELLED:
        return "cancelled"
    if closure_reason is not None:
        return "closed"
    if starts_at <= now:
        return "past"
    if starts_at - cutoff <= now:
        return "cutoff"
    if seats_left <= 0:
        return "sold_out"
    return "limited" if seats_left <= LIMITED_SEATS else "available"


def availability(dbsession, experience: Experience, *, start: datetime, end: datetime,
                 now: datetime) -> list[SessionAvailability]:
    """Every session of the experience starting in [start, end), in time order."""
    s = ExperienceSession
    rows = dbsession.execute(
        select(s.id, s.starts_at, s.ends_at, s.capacity, s.status,
               s.capacity - s.seats_booked - s.seats_held + expired_held_seats(s.id, now),
               Closure.reason)
        .outerjoin(Closure, Closure.id == s.closure_id)
        .where(s.experience_id == experience.id, s.starts_at >= start, s.starts_at < end)
        .order_by(s.starts_at)
    ).all()
    caps = _resource_caps(dbsession, experience, start, end)
    cutoff = timedelta(minutes=experience.booking_cutoff_minutes)
    result = []
    for sid, starts_at, ends_at, capacity, status, left, reason in rows:
        if starts_at in caps:
            left = min(left, caps[starts_at])
        left = max(left, 0)
        result.append(SessionAvailability(sid, starts_at, ends_at, capacity, left,
                                          _state(status, reason, starts_at, left, cutoff, now), reason))
    return result


def _resource_caps(dbsession, experience: Experience, start: datetime, end: datetime) -> dict[datetime, int]:
    """Seats left on shared resources at each start time (only for experiences that use any)."""
    caps: dict[datetime, int] = {}
    for starts_at, left in dbsession.execute(
        select(ResourceSlot.starts_at, ResourceSlot.capacity - ResourceSlot.seats_taken)
        .join(ExperienceResource, ExperienceResource.resource_id == ResourceSlot.resource_id)
        .where(ExperienceResource.experience_id == experience.id,
               ResourceSlot.starts_at >= start, ResourceSlot.starts_at < end)
    ):
        caps[starts_at] = min(left, caps.get(starts_at, left))
    return caps


@dataclass(frozen=True)
class CalendarDay:
    day: date
    in_month: bool
    sessions: list[SessionAvailability]


def month_calendar(dbsession, experience: Experience, *, year: int, month: int,
                   now: datetime) -> list[list[CalendarDay]]:
    """Weeks (Monday first) of the month, each day with its sessions, in the village's time zone."""
    tz = ZoneInfo(experience.village.time_zone)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    start, _unused = local_day_bounds(weeks[0][0], tz)
    _unused, end = local_day_bounds(weeks[-1][-1], tz)
    by_day: dict[date, list[SessionAvailability]] = {}
    for item in availability(dbsession, experience, start=start, end=end, now=now):
        by_day.setdefault(item.starts_at.astimezone(tz).date(), []).append(item)
    return [[CalendarDay(d, d.month == month, by_day.get(d, [])) for d in week] for week in weeks]


def parse_month(value: str | None, today: date) -> tuple[int, int]:
    """"2026-12" → (2026, 12); anything else, or a month far outside the horizon, → this month."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        date(year, month, 1)
    except ValueError:
        return today.year, today.month
    if not (today.year - 1 <= year <= today.year + 2):
        return today.year, today.month
    return year, month
