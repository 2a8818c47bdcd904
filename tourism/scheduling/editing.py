"""The operator's changes to an experience's schedule, each previewed before it is saved.

An operator never types an RRULE: the console's form says which days of the week, which
start times, from when to when and how many seats (a `Pattern`); `rrules_for` writes the
rules. Closures are dates and a reason; a one-off session is a day, a time and seats.

Every change (a rule added, edited or removed; a closure added or removed; a one-off session
added or removed) is made to a `Target`: one experience, or, for a closure of the whole
village (Tết), the village and so every experience in it. It goes through `run_change`,
which applies it inside a SAVEPOINT, lets `services.materialise_sessions` make the sessions
of each experience match, compares the sessions before and after (`Preview`) and then rolls
the savepoint back (a preview) or keeps it (a save). So a preview is what saving does, made by the same code; a save also refuses, with the sessions
named and nothing changed, when:

- a session that has guests (seats booked or held) would go away or fall on a closed day:
  the operator cancels or moves those guests first, on the session's own page. Only for
  days being closed may the owner instead choose to cancel those sessions with the closure
  (`cancellable`; done by tourism.booking.closures, which passes `cancel_closed`);
- a session would get fewer seats than its guests already have;
- what saving would do is no longer what the operator saw (a booking came in meanwhile):
  the new preview is shown instead (`PreviewChanged`).

A session a change leaves unmade that once had a booking (all of them since cancelled)
cannot be deleted, because its bookings point at it: it is cancelled, so it is not sold.

Saving locks the target's sessions in the window (FOR UPDATE; SQLite takes its write
lock at BEGIN) so no booking changes their seats between the check and the write. One
session's seats are changed by one conditional UPDATE (`set_session_capacity`), the same
way bookings take seats, so the two can never meet above the capacity.

Forms are any mapping of field names to strings. Field names:
  rule:      weekday (several: 0 = Monday … 6 = Sunday), times, valid_from, valid_until, capacity
  closure:   starts_on, ends_on, reason
  one-off:   day, time, capacity
  capacity:  capacity
"""
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update

from tourism import forms
from tourism.catalog.models import Experience, ExperienceKind, Village
from tourism.concurrency import RaceGuard
from tourism.exceptions import DomainError
from tourism.forms import InvalidInput, Problems
from tourism.i18n import _
from tourism.scheduling import services
from tourism.scheduling.models import Closure, ExperienceSession, ScheduleRule, SessionStatus

__all__ = ["InvalidInput"]

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Seats in one session: a big festival walk has a few hundred; more is a typing slip.
MAX_CAPACITY = 1000
MAX_TIMES = 12
REASON_MAX = 200
# A closure longer than a year is a typing slip (the wrong year), not a closure.
CLOSURE_MAX_DAYS = 366
# Dates people mean: nothing before 2000 or after 2100 (a year typed with a digit missing).
FIRST_YEAR, LAST_YEAR = 2000, 2100

# The negative controls of the races with bookings (tests only). CAPACITY_GUARD off: one
# session's seats are read, then its capacity written, as a naive form handler would.
# SCHEDULE_GUARD off: a saved change reads the sessions without locking them, pauses, then
# materialises.
CAPACITY_GUARD = RaceGuard()
SCHEDULE_GUARD = RaceGuard()


# --- what the forms say ----------------------------------------------------------------------

@dataclass(frozen=True)
class Pattern:
    """A schedule as the operator sees it: days of the week at these local times, between two
    dates (inclusive; no end date: until changed), with this many seats a session."""

    weekdays: tuple[int, ...]  # 0 = Monday
    times: tuple[time, ...]
    valid_from: date
    valid_until: date | None
    capacity: int


def rrules_for(pattern: Pattern) -> list[str]:
    """The RRULEs (local time) making exactly `pattern`'s start times, fewest first.

    One rule's start times are every BYHOUR with every BYMINUTE, so times whose minutes differ
    (07:00 and 14:30) need a rule each; hours sharing the same minutes share a rule."""
    days = "FREQ=DAILY" if len(pattern.weekdays) == 7 else \
        "FREQ=WEEKLY;BYDAY=" + ",".join(WEEKDAY_CODES[d] for d in sorted(pattern.weekdays))
    minutes_by_hour: dict[int, set[int]] = {}
    for moment in pattern.times:
        minutes_by_hour.setdefault(moment.hour, set()).add(moment.minute)
    hours_by_minutes: dict[tuple[int, ...], list[int]] = {}
    for hour, minutes in sorted(minutes_by_hour.items()):
        hours_by_minutes.setdefault(tuple(sorted(minutes)), []).append(hour)
    return [f"{days};BYHOUR={','.join(map(str, hours))};BYMINUTE={','.join(map(str, minutes))}"
            for minutes, hours in sorted(hours_by_minutes.items(), key=lambda item: item[1][0])]


_PLAIN_KEYS = {"FREQ", "BYDAY", "BYHOUR", "BYMINUTE"}


def pattern_of(rule: ScheduleRule) -> tuple[Pattern, bool]:
    """The rule as the form shows it, and whether that is exactly the rule (False when the rule
    says more than days and times, such as only some months: saving the form drops that)."""
    text = rule.rrule.strip().removeprefix("RRULE:")
    fields = dict(part.split("=", 1) for part in text.split(";") if "=" in part)
    codes = [code.strip() for code in fields.get("BYDAY", "").split(",") if code.strip()]
    weekdays = tuple(sorted({WEEKDAY_CODES.index(c[-2:]) for c in codes if c[-2:] in WEEKDAY_CODES}))
    if not weekdays:  # a weekly rule without BYDAY repeats on its first day's weekday
        weekdays = (rule.valid_from.weekday(),) if fields.get("FREQ") == "WEEKLY" else tuple(range(7))
    hours = _numbers(fields.get("BYHOUR", ""), 23)
    minutes = _numbers(fields.get("BYMINUTE", "0"), 59) or [0]
    times = tuple(sorted(time(h, m) for h in hours for m in minutes))
    exact = (set(fields) <= _PLAIN_KEYS and fields.get("FREQ") in ("DAILY", "WEEKLY") and bool(times)
             and all(c in WEEKDAY_CODES for c in codes))
    return Pattern(weekdays, times, rule.valid_from, rule.valid_until, rule.capacity), exact


def _numbers(text: str, top: int) -> list[int]:
    values = [int(part) for part in text.split(",") if part.strip().isdigit()]
    return sorted({v for v in values if 0 <= v <= top})


def pattern_values(pattern: Pattern) -> dict:
    """The rule form's fields for `pattern` (weekday is a list: several checkboxes)."""
    return {"weekday": [str(d) for d in pattern.weekdays],
            "times": ", ".join(t.strftime("%H:%M") for t in pattern.times),
            "valid_from": pattern.valid_from.isoformat(),
            "valid_until": pattern.valid_until.isoformat() if pattern.valid_until else "",
            "capacity": str(pattern.capacity)}


_DAY_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\Z")
_DAY_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\Z")


def parse_day(text: str) -> date | None:
    """A date as a date field sends it (2027-03-01) or as people write it in Vietnam and France
    (1/3/2027, 01.03.2027); None when it is not a real date between 2000 and 2100."""
    text = text.strip()
    if match := _DAY_ISO.match(text):
        year, month, day = map(int, match.groups())
    elif match := _DAY_DMY.match(text):
        day, month, year = map(int, match.groups())
    else:
        return None
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value if FIRST_YEAR <= value.year <= LAST_YEAR else None


_TIME = re.compile(r"(\d{1,2})(?:[:h.](\d{2})?)?\Z")


def parse_time(text: str) -> time | None:
    """A time of day as people write it: 07:00, 7:00, 7h, 7h30, 14.30, 14 (None otherwise)."""
    match = _TIME.match(text.strip().lower())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return time(hour, minute) if hour <= 23 and minute <= 59 else None


def read_times(form: Mapping, name: str, problems: Problems) -> tuple[time, ...]:
    raw = forms.raw(form, name).replace("：", ":").replace("giờ", "h")
    parts = [part for part in re.split(r"[,;/\s、，]+", raw.strip()) if part]
    if not parts:
        problems.add(name, _("Give at least one start time, such as 07:00."))
        return ()
    times = set()
    for part in parts:
        moment = parse_time(part)
        if moment is None:
            problems.add(name, _("“${text}” is not a time of day: write start times like 07:00 or 14:30, "
                                 "separated by commas.", mapping={"text": part[:10]}))
            return ()
        times.add(moment)
    if len(times) > MAX_TIMES:
        problems.add(name, _("At most ${max} start times in one schedule: add another schedule for more.",
                             mapping={"max": MAX_TIMES}))
        return ()
    return tuple(sorted(times))


def read_day(form: Mapping, name: str, problems: Problems, *, required: bool, missing=None) -> date | None:
    raw = forms.raw(form, name).strip()
    if not raw:
        if required:
            problems.add(name, missing or _("Give a date, such as 2027-03-01."))
        return None
    day = parse_day(raw)
    if day is None:
        problems.add(name, _("This is not a date we can read: pick it in the calendar, or write it like "
                             "2027-03-01 or 1/3/2027."))
    return day


def read_capacity(form: Mapping, name: str, problems: Problems) -> int | None:
    raw = forms.raw(form, name).strip()
    seats = forms.whole_number(raw, max_digits=9)
    if not raw:
        problems.add(name, _("Say how many guests a session can take, such as 20."))
    elif seats is None:
        problems.add(name, _("Write the number of seats as a whole number, such as 20."))
    elif not 1 <= seats <= MAX_CAPACITY:
        problems.add(name, _("A session has from 1 to ${max} seats.", mapping={"max": MAX_CAPACITY}))
    else:
        return seats
    return None


_WEEKDAY_VALUES = frozenset("0123456")


def read_pattern(form: Mapping, *, today: date) -> Pattern:
    """The rule form as a Pattern, or InvalidInput naming every wrong field."""
    problems = Problems()
    chosen = form.getall("weekday") if hasattr(form, "getall") else form.get("weekday", [])
    chosen = [chosen] if isinstance(chosen, str) else chosen
    weekdays = tuple(sorted({int(d) for d in chosen if isinstance(d, str) and d in _WEEKDAY_VALUES}))
    if not weekdays:
        problems.add("weekday", _("Tick at least one day of the week."))
    times = read_times(form, "times", problems)
    valid_from = read_day(form, "valid_from", problems, required=True,
                          missing=_("Give the first day of this schedule, such as 2027-03-01."))
    valid_until = read_day(form, "valid_until", problems, required=False)
    capacity = read_capacity(form, "capacity", problems)
    if valid_from and valid_until:
        if valid_until < valid_from:
            problems.add("valid_until", _("The last day is before the first day."))
        elif valid_until < today:
            problems.add("valid_until", _("This schedule would end before today, so it would make no sessions."))
        elif weekdays and not any((valid_from + timedelta(days=n)).weekday() in weekdays
                                  for n in range(min(7, (valid_until - valid_from).days + 1))):
            problems.add("weekday", _("None of the ticked days falls between the first and the last day."))
    problems.raise_any()
    return Pattern(weekdays, times, valid_from, valid_until, capacity)


@dataclass(frozen=True)
class ClosureInput:
    starts_on: date
    ends_on: date
    reason: str


def read_closure(form: Mapping, *, today: date) -> ClosureInput:
    problems = Problems()
    starts_on = read_day(form, "starts_on", problems, required=True,
                         missing=_("Give the first closed day, such as 2027-02-04."))
    ends_on = read_day(form, "ends_on", problems, required=False) or starts_on
    reason = forms.line(form, "reason")
    if not reason:
        problems.add("reason", _("Say why, in a few words (Tết, kiln firing, rain): your staff see it."))
    forms.too_long(problems, "reason", reason, REASON_MAX)
    if starts_on and ends_on:
        if ends_on < starts_on:
            problems.add("ends_on", _("The last day is before the first day."))
        elif ends_on < today:
            problems.add("ends_on", _("These days are already over."))
        elif (ends_on - starts_on).days >= CLOSURE_MAX_DAYS:
            problems.add("ends_on", _("A closure is at most a year: check the year of the last day."))
    problems.raise_any()
    return ClosureInput(starts_on, ends_on, reason)


@dataclass(frozen=True)
class OneOffInput:
    starts_at: datetime  # UTC
    capacity: int


def read_one_off(form: Mapping, *, tz: ZoneInfo, now: datetime) -> OneOffInput:
    problems = Problems()
    day = read_day(form, "day", problems, required=True, missing=_("Give the day of the session, such as 2027-03-06."))
    moment = None
    raw_time = forms.raw(form, "time").strip()
    if not raw_time:
        problems.add("time", _("Give the start time, such as 07:00."))
    else:
        moment = parse_time(raw_time)
        if moment is None:
            problems.add("time", _("Write the start time like 07:00 or 14:30."))
    capacity = read_capacity(form, "capacity", problems)
    starts_at = None
    if day and moment:
        starts_at = datetime.combine(day, moment, tzinfo=tz).astimezone(timezone.utc)
        if starts_at <= now:
            problems.add("day", _("This time is already past: a new session must start later than now."))
    problems.raise_any()
    return OneOffInput(starts_at, capacity)


# --- what a change does to the sessions ------------------------------------------------------

NEW, GONE, CLOSED, REOPENED, SEATS, NEW_CLOSED = "new", "gone", "closed", "reopened", "seats", "new_closed"
# A session already there that another schedule now makes (two schedules overlap): unchanged for guests.
KEPT = "kept"


@dataclass(frozen=True)
class Effect:
    """One session the change makes, removes, closes, opens again or gives other seats."""

    kind: str
    starts_at: datetime
    capacity: int
    before_capacity: int | None = None
    session_id: int | None = None  # sessions that exist now (new ones have none yet)
    experience_id: int | None = None  # whose session: a village's change touches several experiences


@dataclass(frozen=True)
class Blocker:
    """A session with guests that the change would remove, close or give too few seats."""

    session_id: int
    starts_at: datetime
    taken: int
    kind: str  # GONE, CLOSED or SEATS
    capacity: int | None = None  # SEATS: what the change would give
    experience_id: int | None = None


@dataclass
class Preview:
    effects: list[Effect] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)
    first_day: date | None = None
    last_day: date | None = None  # sessions are made this far ahead

    def of(self, kind: str) -> list[Effect]:
        return [e for e in self.effects if e.kind == kind]

    @property
    def fingerprint(self) -> str:
        """What saving will do, in a few characters: the save step checks it is still that."""
        parts = [f"{e.kind}|{e.experience_id}|{e.starts_at.isoformat()}|{e.capacity}|{e.before_capacity}"
                 for e in self.effects]
        # Their seats too: a closure saved with its sessions cancelled cancels only the guests listed.
        parts += [f"blocked|{b.session_id}|{b.kind}|{b.taken}" for b in self.blockers]
        return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:20]

    @property
    def changes_nothing(self) -> bool:
        return not self.effects and not self.blockers


class Blocked(Exception):
    """Saving was refused (nothing changed): `preview.blockers` says which sessions and why."""

    def __init__(self, preview: Preview):
        super().__init__("sessions with guests in the way")
        self.preview = preview


class PreviewChanged(Exception):
    """What saving would do is no longer what the preview showed; nothing was changed."""

    def __init__(self, preview: Preview):
        super().__init__("the preview is out of date")
        self.preview = preview


@dataclass(frozen=True)
class _State:
    experience_id: int
    starts_at: datetime
    capacity: int
    taken: int
    status: SessionStatus
    closure_id: int | None
    one_off: bool
    rule_id: int | None

    @property
    def bookable(self) -> bool:
        return self.status == SessionStatus.OPEN and self.closure_id is None


def _window(village: Village, today: date, horizon_days: int) -> tuple[datetime, datetime, date]:
    tz = ZoneInfo(village.time_zone)
    last = today + timedelta(days=horizon_days)
    start, _unused = services.local_day_bounds(today, tz)
    _unused, end = services.local_day_bounds(last, tz)
    return start, end, last


def _sessions(dbsession, experiences: Sequence[Experience], start: datetime, end: datetime, *, lock: bool):
    # By id: two saves locking overlapping sets (the village's, one of its experiences') take
    # their locks in the same order, so neither waits for the other while holding what it needs.
    query = (select(ExperienceSession)
             .where(ExperienceSession.experience_id.in_([e.id for e in experiences]),
                    ExperienceSession.starts_at >= start, ExperienceSession.starts_at < end)
             .order_by(ExperienceSession.id)
             .execution_options(populate_existing=True))
    if lock:
        query = query.with_for_update()
    return list(dbsession.scalars(query))


def _state(session: ExperienceSession) -> _State:
    return _State(session.experience_id, session.starts_at, session.capacity, session.seats_booked + session.seats_held,
                  session.status, session.closure_id, session.is_one_off, session.rule_id)


def _planned(dbsession, experiences: Sequence[Experience], today: date, last: date) -> dict:
    """What the rules make, by (experience id, start time)."""
    planned = {}
    for experience in experiences:
        rules = list(dbsession.scalars(select(ScheduleRule).where(ScheduleRule.experience_id == experience.id)))
        for starts_at, plan in services.planned_sessions(experience, rules, today, last).items():
            planned[experience.id, starts_at] = plan
    return planned


Change = Callable[[object], None]
# What a change is made to: one experience's schedule, or a whole village, whose closures close
# every experience in it.
Target = Experience | Village


def village_of(target: Target) -> Village:
    return target if isinstance(target, Village) else target.village


def experiences_of(dbsession, target: Target) -> list[Experience]:
    """The experiences whose sessions a change to `target` may touch (a village: all of its own,
    drafts too, as their schedule page would materialise them), by id."""
    if isinstance(target, Experience):
        return [target]
    return list(dbsession.scalars(select(Experience).where(Experience.village_id == target.id)
                                  .order_by(Experience.id)))


def cancellable(preview: Preview, *, now: datetime) -> bool:
    """Whether every session in the change's way is one it closes (days closed over guests),
    none started yet: the owner may then cancel them all with the closure, instead of each
    on its own page. A session the change removes, or gives too few seats, never is."""
    return bool(preview.blockers) and all(b.kind == CLOSED and b.starts_at > now for b in preview.blockers)


def run_change(dbsession, target: Target, change: Change, *, today: date, horizon_days: int,
               save: bool, expected: str | None = None, now: datetime | None = None,
               cancel_closed: bool = False) -> Preview:
    """Apply `change(dbsession)` and materialise the sessions of every experience of `target`,
    in a savepoint; return what it did to their sessions from `today` (the village's day) to
    the horizon.

    Not `save`: a preview, everything rolled back. `save`: kept, unless a session with guests
    is in the way (raises Blocked) or `expected` (the previewed fingerprint) differs from what
    it did (raises PreviewChanged); then rolled back too. `change` may raise InvalidInput
    (rolled back). Saving locks the target's sessions in the window until the commit.
    Given `now`, holds expired by then are released first, so they stand in nobody's way.

    `cancel_closed` (with `expected` and `now`): the caller cancels the sessions the change
    closes over guests itself, in this transaction, while the lock holds. They do not stop
    the save when `cancellable`; the preview still has them in `blockers`.
    """
    if cancel_closed and (expected is None or now is None):
        raise ValueError("cancelling the closed sessions needs the previewed fingerprint and the time")
    experiences = experiences_of(dbsession, target)
    start, end, last = _window(village_of(target), today, horizon_days)
    if now is not None:
        _release_expired_holds(dbsession, experiences, start, end, now)
    # The rows stay referenced, so materialising works from what was read (and locked) here.
    rows = _sessions(dbsession, experiences, start, end, lock=save and SCHEDULE_GUARD.enabled)
    before = {s.id: _state(s) for s in rows}
    if save and not SCHEDULE_GUARD.enabled:
        SCHEDULE_GUARD.pause()
    planned_before = _planned(dbsession, experiences, today, last)
    savepoint = dbsession.begin_nested()
    try:
        change(dbsession)
        dbsession.flush()
        planned_after = _planned(dbsession, experiences, today, last)
        for experience in experiences:
            services.materialise_sessions(dbsession, experience, today=today, horizon_days=horizon_days)
        after_rows = _sessions(dbsession, experiences, start, end, lock=False)
        blockers = []
        for session in after_rows:
            was = before.get(session.id)
            if was is None or was.status != SessionStatus.OPEN or session.status != SessionStatus.OPEN:
                continue
            key = (session.experience_id, session.starts_at)
            made_before = was.one_off or key in planned_before
            made_now = session.is_one_off or key in planned_after
            taken = session.seats_booked + session.seats_held
            blocker = partial(Blocker, session.id, session.starts_at, taken, experience_id=session.experience_id)
            if made_before and not made_now:
                # Unmade, but kept by the materialiser because it once had a booking.
                if taken:
                    blockers.append(blocker(GONE))
                else:
                    session.status = SessionStatus.CANCELLED
            elif session.closure_id is not None and was.closure_id is None and taken:
                blockers.append(blocker(CLOSED))
            elif not session.is_one_off and key in planned_after:
                plan = planned_after[key]
                old = planned_before.get(key)
                if plan.capacity < taken and (old is None or old.capacity != plan.capacity or was.one_off):
                    blockers.append(blocker(SEATS, plan.capacity))
        dbsession.flush()
        after = {s.id: _state(s) for s in after_rows}
        preview = Preview(_effects(before, after), sorted(blockers, key=lambda b: b.starts_at), today, last)
    except BaseException:
        savepoint.rollback()
        raise
    if not save:
        savepoint.rollback()
    elif preview.blockers and not (cancel_closed and cancellable(preview, now=now)):
        savepoint.rollback()
        raise Blocked(preview)
    elif expected is not None and expected != preview.fingerprint:
        savepoint.rollback()
        raise PreviewChanged(preview)
    else:
        savepoint.commit()
    return preview


def _release_expired_holds(dbsession, experiences: Sequence[Experience], start: datetime, end: datetime,
                           now: datetime) -> None:
    from tourism.booking.services import release_expired_holds  # booking builds on scheduling, not the reverse

    for session_id in dbsession.scalars(select(ExperienceSession.id).where(
            ExperienceSession.experience_id.in_([e.id for e in experiences]), ExperienceSession.seats_held > 0,
            ExperienceSession.starts_at >= start, ExperienceSession.starts_at < end)):
        release_expired_holds(dbsession, now=now, session_id=session_id)


def _effects(before: dict[int, _State], after: dict[int, _State]) -> list[Effect]:
    effects = []
    for session_id, now in after.items():
        was = before.get(session_id)
        effect = partial(Effect, starts_at=now.starts_at, experience_id=now.experience_id)
        if was is None:
            if now.status == SessionStatus.OPEN:
                effects.append(effect(NEW if now.bookable else NEW_CLOSED, capacity=now.capacity))
            continue
        if was.status == SessionStatus.OPEN and now.status != SessionStatus.OPEN:
            effects.append(effect(GONE, capacity=was.capacity, session_id=session_id))
        elif was.bookable and now.status == SessionStatus.OPEN and now.closure_id is not None:
            effects.append(effect(CLOSED, capacity=now.capacity, session_id=session_id))
        elif was.status == SessionStatus.OPEN and was.closure_id is not None and now.bookable:
            effects.append(effect(REOPENED, capacity=now.capacity, session_id=session_id))
        elif now.status == SessionStatus.OPEN and now.capacity != was.capacity:
            effects.append(effect(SEATS, capacity=now.capacity, before_capacity=was.capacity, session_id=session_id))
        elif now.bookable and now.rule_id is not None and was.rule_id is not None and now.rule_id != was.rule_id:
            effects.append(effect(KEPT, capacity=now.capacity, session_id=session_id))
    for session_id, was in before.items():
        if session_id not in after and was.status == SessionStatus.OPEN:
            effects.append(Effect(GONE, was.starts_at, was.capacity, session_id=session_id,
                                  experience_id=was.experience_id))
    return sorted(effects, key=lambda e: (e.starts_at, e.kind, e.experience_id))


# --- the changes -----------------------------------------------------------------------------

def _write_rules(dbsession, experience: Experience, pattern: Pattern, rule: ScheduleRule | None) -> None:
    texts = rrules_for(pattern)
    for rrule in texts:
        services.parse_rrule(rrule, pattern.valid_from)  # what we write must be what we read
    rows = [rule] if rule is not None else []
    while len(rows) < len(texts):
        row = ScheduleRule(experience_id=experience.id)
        dbsession.add(row)
        rows.append(row)
    for row, rrule in zip(rows, texts):
        row.rrule, row.valid_from, row.valid_until, row.capacity = \
            rrule, pattern.valid_from, pattern.valid_until, pattern.capacity


def add_rule(experience: Experience, pattern: Pattern) -> Change:
    """A new schedule (one rule, or one per group of start times sharing their minutes)."""
    return lambda dbsession: _write_rules(dbsession, experience, pattern, None)


def edit_rule(experience: Experience, rule: ScheduleRule, pattern: Pattern) -> Change:
    """`rule` rewritten to `pattern` (more rules added when its times need them)."""
    return lambda dbsession: _write_rules(dbsession, experience, pattern, rule)


def remove_rule(rule: ScheduleRule) -> Change:
    return lambda dbsession: dbsession.delete(rule)


def _closures_on(dbsession, target: Target, first: date, last: date) -> list[Closure]:
    """The closures on some day from `first` to `last` that close `target`: an experience's
    own and its village's; a village's own."""
    if isinstance(target, Village):
        closing = Closure.village_id == target.id
    else:
        closing = or_(Closure.experience_id == target.id, Closure.village_id == target.village_id)
    return list(dbsession.scalars(select(Closure).where(
        closing, Closure.starts_on <= last, Closure.ends_on >= first).order_by(Closure.starts_on)))


def add_closure(target: Target, closure: ClosureInput) -> Change:
    """Days closed for one experience, or for the whole village (every experience in it)."""
    owner = {"village_id": target.id} if isinstance(target, Village) else {"experience_id": target.id}

    def change(dbsession):
        dbsession.add(Closure(**owner, starts_on=closure.starts_on, ends_on=closure.ends_on, reason=closure.reason))
    return change


def closure_target(dbsession, closure: Closure) -> Target:
    """What `closure` closes: its experience, or its whole village."""
    if closure.experience_id is not None:
        return dbsession.get(Experience, closure.experience_id)
    return dbsession.get(Village, closure.village_id)


def remove_closure(closure: Closure) -> Change:
    return lambda dbsession: dbsession.delete(closure)


def add_one_off(experience: Experience, one_off: OneOffInput, *, now: datetime) -> Change:
    """An extra session outside the schedules. Refused on a closed day, at the time of a
    cancelled session, or with fewer seats than a session already there has guests."""

    def change(dbsession):
        tz = ZoneInfo(experience.village.time_zone)
        day = one_off.starts_at.astimezone(tz).date()
        closed = _closures_on(dbsession, experience, day, day)
        if closed:
            raise InvalidInput({"day": _("That day is closed (${reason}): choose another day, or remove the "
                                         "closure first.", mapping={"reason": closed[0].reason})})
        there = dbsession.scalar(select(ExperienceSession).where(
            ExperienceSession.experience_id == experience.id, ExperienceSession.starts_at == one_off.starts_at))
        if there is not None and there.status != SessionStatus.OPEN:
            raise InvalidInput({"time": _("A session at this time was cancelled: choose another time.")})
        if there is not None and one_off.capacity < there.seats_booked + there.seats_held:
            raise InvalidInput({"capacity": _(
                "A session at this time already has ${count} seats booked or held: give at least that many.",
                mapping={"count": there.seats_booked + there.seats_held})})
        try:
            services.add_one_off_session(dbsession, experience, starts_at=one_off.starts_at,
                                         capacity=one_off.capacity, now=now)
        except DomainError as error:
            raise InvalidInput({error.field or "day": error.message}) from None
    return change


def remove_one_off(session: ExperienceSession) -> Change:
    """The session stops being an extra one: the schedules make it again, or it goes."""

    def change(dbsession):
        session.is_one_off = False
    return change


# --- one session's seats ---------------------------------------------------------------------

@dataclass(frozen=True)
class CapacityChange:
    before: int
    after: int
    detached: bool  # now has its own number of seats, left alone by schedule changes


def set_session_capacity(dbsession, session: ExperienceSession, form: Mapping, *, now: datetime) -> CapacityChange:
    """Give one session `form`'s number of seats, never fewer than its seats booked or held.

    One conditional UPDATE checks and writes, so a booking taking the last seats at the same
    instant either comes first (and this is refused with the new count) or after (and finds
    the new capacity). Expired holds are released first, so they do not count. A session
    whose seats now differ from its schedule's gets its own number (a one-off), or the
    hourly materialising would put the schedule's back. Raises InvalidInput; nothing changed.
    """
    problems = Problems()
    capacity = read_capacity(form, "capacity", problems)
    if session.status != SessionStatus.OPEN:
        problems.add("capacity", _("This session was cancelled: its seats cannot change."))
    elif session.starts_at <= now:
        problems.add("capacity", _("This session has already started: its seats cannot change."))
    problems.raise_any()
    from tourism.booking.services import release_expired_holds  # booking builds on scheduling, not the reverse

    release_expired_holds(dbsession, now=now, session_id=session.id)
    before = session.capacity
    rule = dbsession.get(ScheduleRule, session.rule_id) if session.rule_id is not None else None
    detach = not session.is_one_off and (rule is None or rule.capacity != capacity)
    values = {"capacity": capacity}
    if detach:
        values.update(is_one_off=True, rule_id=None)
    fits = ExperienceSession.seats_booked + ExperienceSession.seats_held <= capacity
    if CAPACITY_GUARD.enabled:
        done = dbsession.execute(update(ExperienceSession).where(ExperienceSession.id == session.id, fits)
                                 .values(values).execution_options(synchronize_session=False)).rowcount == 1
    else:  # negative control only: read, pause, write (the race)
        row = dbsession.execute(select(ExperienceSession.seats_booked, ExperienceSession.seats_held)
                                .where(ExperienceSession.id == session.id)).one()
        done = row.seats_booked + row.seats_held <= capacity
        CAPACITY_GUARD.pause()
        if done:
            dbsession.execute(update(ExperienceSession).where(ExperienceSession.id == session.id)
                              .values(values).execution_options(synchronize_session=False))
    dbsession.expire(session)
    if not done:
        taken = session.seats_booked + session.seats_held
        raise InvalidInput({"capacity": _(
            "${count} seats of this session are already booked or held (guests paying now), so it needs at "
            "least ${count} seats. To have fewer, cancel or move bookings first.", mapping={"count": taken})})
    return CapacityChange(before, capacity, detach)


# --- what the schedule page lists ------------------------------------------------------------

def rules_of(dbsession, experience: Experience) -> list[ScheduleRule]:
    return list(dbsession.scalars(select(ScheduleRule).where(ScheduleRule.experience_id == experience.id)
                                  .order_by(ScheduleRule.valid_from, ScheduleRule.id)))


def closures_of(dbsession, target: Target, *, today: date) -> tuple[list[Closure], list[Closure]]:
    """(the target's own closures, its village's when it is an experience) that are not over."""
    rows = _closures_on(dbsession, target, today, date(LAST_YEAR, 12, 31))
    if isinstance(target, Village):
        return rows, []
    return ([c for c in rows if c.experience_id == target.id], [c for c in rows if c.village_id is not None])


def sessions_between(dbsession, experience: Experience, start: datetime, end: datetime) -> list[ExperienceSession]:
    return list(dbsession.scalars(select(ExperienceSession).where(
        ExperienceSession.experience_id == experience.id, ExperienceSession.starts_at >= start,
        ExperienceSession.starts_at < end).order_by(ExperienceSession.starts_at)))


def one_offs_of(dbsession, experience: Experience, *, now: datetime) -> list[ExperienceSession]:
    return list(dbsession.scalars(select(ExperienceSession).where(
        ExperienceSession.experience_id == experience.id, ExperienceSession.is_one_off.is_(True),
        ExperienceSession.status == SessionStatus.OPEN, ExperienceSession.starts_at >= now)
        .order_by(ExperienceSession.starts_at)))


def has_rules(experience: Experience) -> bool:
    """Admission tickets open by their opening hours: schedule rules do not apply to them."""
    return experience.kind != ExperienceKind.ADMISSION


def taken_seats(sessions: Sequence[ExperienceSession]) -> int:
    return sum(s.seats_booked + s.seats_held for s in sessions)
