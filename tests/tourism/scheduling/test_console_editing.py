"""The schedule console's rules (tourism.scheduling.editing), without HTTP: forms become the
exact sessions they say in the village's time, a preview is what saving does, and no change
leaves guests without their session or a session with fewer seats than its guests."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.factories import contact, make_experience, make_session, make_village
from tourism.booking import services as booking
from tourism.catalog.models import ExperienceKind, OpeningHours
from tourism.scheduling import editing
from tourism.scheduling.editing import InvalidInput
from tourism.scheduling.models import Closure, ExperienceSession, ScheduleRule, SessionStatus

UTC = timezone.utc
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tuesday 24 November 2026, 10:00 in Hà Nội
TODAY = date(2026, 11, 24)
HORIZON = 60


def local(year, month, day, hour, minute=0, tz=HANOI) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz).astimezone(UTC)


@pytest.fixture
def workshop(dbsession):
    village = make_village(dbsession, slug="lich-moi", province="Tỉnh Lịch")
    return make_experience(dbsession, village, "lich-moi-gom", duration_minutes=90, max_party=6)


def sessions_of(dbsession, experience, status=SessionStatus.OPEN):
    dbsession.flush()
    return list(dbsession.scalars(select(ExperienceSession).where(
        ExperienceSession.experience_id == experience.id, ExperienceSession.status == status)
        .order_by(ExperienceSession.starts_at)))


def rule_form(days=("1", "5"), times="07:00", valid_from="2026-12-01", valid_until="2026-12-12", capacity="12"):
    return {"weekday": list(days), "times": times, "valid_from": valid_from, "valid_until": valid_until,
            "capacity": capacity}


def run(dbsession, experience, change, save=True, expected=None, today=TODAY):
    return editing.run_change(dbsession, experience, change, today=today, horizon_days=HORIZON, save=save,
                              expected=expected)


def add_rule(dbsession, experience, save=True, **form):
    pattern = editing.read_pattern(rule_form(**form), today=TODAY)
    return run(dbsession, experience, editing.add_rule(experience, pattern), save=save)


def book(dbsession, session, seats=2, held=False):
    """A real booking through the booking service (held, or confirmed)."""
    hold, _token = booking.create_hold(dbsession, session=session, party={"adult": seats}, contact=contact(), now=NOW)
    if not held:
        booking.confirm_booking(dbsession, hold, now=NOW)
    dbsession.flush()
    return hold


# --- reading the forms -----------------------------------------------------------------------

def test_days_and_times_become_rules_one_per_set_of_minutes():
    pattern = editing.Pattern((1, 5), (time(7), time(14, 30), time(16, 30), time(9)), date(2027, 3, 1),
                              date(2027, 10, 31), 20)
    assert editing.rrules_for(pattern) == ["FREQ=WEEKLY;BYDAY=TU,SA;BYHOUR=7,9;BYMINUTE=0",
                                           "FREQ=WEEKLY;BYDAY=TU,SA;BYHOUR=14,16;BYMINUTE=30"]
    every_day = editing.Pattern(tuple(range(7)), (time(7), time(7, 30), time(14), time(14, 30)), date(2027, 3, 1),
                                None, 20)
    assert editing.rrules_for(every_day) == ["FREQ=DAILY;BYHOUR=7,14;BYMINUTE=0,30"]


@pytest.mark.parametrize("text, expected", [
    ("07:00", [time(7)]), ("7h", [time(7)]), ("7h30, 14h", [time(7, 30), time(14)]),
    ("14.30 ; 7:00", [time(7), time(14, 30)]), ("07：00、14：00", [time(7), time(14)]),
    ("7 giờ", None), ("07:00 07:00", [time(7)]), ("0:00 23:59", [time(0), time(23, 59)]),
])
def test_start_times_as_people_write_them(text, expected):
    problems = editing.Problems()
    times = editing.read_times({"times": text}, "times", problems)
    if expected is None:
        assert "times" in problems.errors
    else:
        assert list(times) == expected and not problems.errors


@pytest.mark.parametrize("form, field", [
    (rule_form(days=()), "weekday"),
    (rule_form(days=("7",)), "weekday"),
    (rule_form(days=("mo",)), "weekday"),
    (rule_form(times=""), "times"),
    (rule_form(times="25:00"), "times"),
    (rule_form(times="7:60"), "times"),
    (rule_form(times="seven"), "times"),
    (rule_form(times=", ".join(f"{h}:00" for h in range(13))), "times"),
    (rule_form(valid_from=""), "valid_from"),
    (rule_form(valid_from="2027-02-30"), "valid_from"),
    (rule_form(valid_from="31/31/2027"), "valid_from"),
    (rule_form(valid_from="1999-01-01"), "valid_from"),
    (rule_form(valid_until="2026-11-30"), "valid_until"),  # before the first day
    (rule_form(valid_from="2026-01-01", valid_until="2026-11-23"), "valid_until"),  # over before today
    (rule_form(days=("0",), valid_from="2026-12-01", valid_until="2026-12-06"), "weekday"),  # no Monday in it
    (rule_form(capacity=""), "capacity"),
    (rule_form(capacity="0"), "capacity"),
    (rule_form(capacity="-3"), "capacity"),
    (rule_form(capacity="1001"), "capacity"),
    (rule_form(capacity="12.5"), "capacity"),
    (rule_form(capacity="99999999999999999999"), "capacity"),
])
def test_a_wrong_rule_form_names_its_field(form, field):
    with pytest.raises(InvalidInput) as refused:
        editing.read_pattern(form, today=TODAY)
    assert field in refused.value.errors


def test_dates_as_a_date_field_sends_them_or_as_people_write_them():
    assert editing.parse_day("2027-03-01") == editing.parse_day("1/3/2027") == editing.parse_day("01.03.2027") \
        == date(2027, 3, 1)
    assert editing.parse_day("2027-13-01") is None and editing.parse_day("\x00") is None
    assert editing.parse_day("") is None and editing.parse_day("3000-01-01") is None


def test_a_rule_reads_back_as_its_form(dbsession, workshop):
    add_rule(dbsession, workshop, times="07:00, 14:30")
    rules = list(dbsession.scalars(select(ScheduleRule).where(ScheduleRule.experience_id == workshop.id)))
    assert [editing.pattern_of(r) for r in rules] == [
        (editing.Pattern((1, 5), (time(7),), date(2026, 12, 1), date(2026, 12, 12), 12), True),
        (editing.Pattern((1, 5), (time(14, 30),), date(2026, 12, 1), date(2026, 12, 12), 12), True)]
    seasonal = ScheduleRule(rrule="FREQ=DAILY;BYMONTH=3,4;BYHOUR=7,14;BYMINUTE=0", valid_from=date(2026, 3, 1),
                            capacity=20)
    pattern, exact = editing.pattern_of(seasonal)
    assert pattern.weekdays == tuple(range(7)) and pattern.times == (time(7), time(14)) and not exact


# --- what a rule makes -------------------------------------------------------------------------

def test_tuesdays_and_saturdays_make_exactly_those_sessions_in_village_time(dbsession, workshop):
    preview = add_rule(dbsession, workshop, times="07:00, 14:30")
    starts = [s.starts_at for s in sessions_of(dbsession, workshop)]
    expected = [local(2026, 12, d, h, m) for d in (1, 5, 8, 12) for h, m in ((7, 0), (14, 30))]
    assert starts == expected
    # 07:00 in Hà Nội is midnight UTC; 14:30 is 07:30 UTC: the same day, no daylight saving.
    assert expected[0] == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert [e.starts_at for e in preview.of(editing.NEW)] == expected
    assert all(s.capacity == 12 and s.ends_at - s.starts_at == timedelta(minutes=90)
               for s in sessions_of(dbsession, workshop))


def test_an_early_start_falls_on_the_previous_day_in_utc_but_keeps_its_local_day(dbsession, workshop):
    # 06:00 on a Tuesday in Hà Nội is 23:00 on the Monday in UTC: the session is Tuesday's,
    # and a closure on that Tuesday (local dates) closes it, one on the Monday does not.
    dbsession.add(Closure(experience_id=workshop.id, starts_on=date(2026, 12, 8), ends_on=date(2026, 12, 8),
                          reason="Lò nung"))
    dbsession.add(Closure(experience_id=workshop.id, starts_on=date(2026, 12, 14), ends_on=date(2026, 12, 14),
                          reason="Thứ Hai"))
    add_rule(dbsession, workshop, days=("1",), times="06:00", valid_until="2026-12-15")
    sessions = sessions_of(dbsession, workshop)
    assert [s.starts_at for s in sessions] == [datetime(2026, 11, 30, 23, 0, tzinfo=UTC),
                                               datetime(2026, 12, 7, 23, 0, tzinfo=UTC),
                                               datetime(2026, 12, 14, 23, 0, tzinfo=UTC)]
    assert [s.closure_id is not None for s in sessions] == [False, True, False]
    assert all(s.starts_at.astimezone(HANOI).weekday() == 1 for s in sessions)


def test_local_times_hold_across_daylight_saving_where_there_is_some(dbsession):
    village = make_village(dbsession, slug="lang-phap", province="Tỉnh Pháp", time_zone="Europe/Paris")
    experience = make_experience(dbsession, village, "lang-phap-gom")
    pattern = editing.read_pattern(rule_form(days=("5",), times="09:00", valid_from="2027-03-20",
                                             valid_until="2027-04-03"), today=TODAY)
    editing.run_change(dbsession, experience, editing.add_rule(experience, pattern), today=date(2027, 3, 1),
                       horizon_days=60, save=True)
    paris = ZoneInfo("Europe/Paris")
    assert [s.starts_at for s in sessions_of(dbsession, experience)] == [
        datetime(2027, 3, 20, 8, 0, tzinfo=UTC), datetime(2027, 3, 27, 8, 0, tzinfo=UTC),
        datetime(2027, 4, 3, 7, 0, tzinfo=UTC)]  # summer time from 28 March: still 09:00 in Paris
    assert {s.starts_at.astimezone(paris).hour for s in sessions_of(dbsession, experience)} == {9}


def test_a_preview_changes_nothing_and_is_what_saving_does(dbsession, workshop):
    before = dbsession.scalar(select(func.count()).select_from(ExperienceSession))
    rules_before = dbsession.scalar(select(func.count()).select_from(ScheduleRule))
    preview = add_rule(dbsession, workshop, save=False, times="07:00, 14:30")
    assert dbsession.scalar(select(func.count()).select_from(ExperienceSession)) == before
    assert dbsession.scalar(select(func.count()).select_from(ScheduleRule)) == rules_before
    assert len(preview.of(editing.NEW)) == 8
    saved = add_rule(dbsession, workshop, save=True, times="07:00, 14:30")
    assert saved.effects == preview.effects and saved.fingerprint == preview.fingerprint
    assert [s.starts_at for s in sessions_of(dbsession, workshop)] == [e.starts_at for e in preview.of(editing.NEW)]


def test_saving_what_was_not_previewed_is_refused(dbsession, workshop):
    pattern = editing.read_pattern(rule_form(), today=TODAY)
    stale = run(dbsession, workshop, editing.add_rule(workshop, pattern), save=False).fingerprint
    add_rule(dbsession, workshop, days=("5",))  # someone saves Saturdays meanwhile
    count = len(sessions_of(dbsession, workshop))
    with pytest.raises(editing.PreviewChanged) as changed:
        run(dbsession, workshop, editing.add_rule(workshop, pattern), expected=stale)
    assert len(changed.value.preview.of(editing.NEW)) == 2  # only the Tuesdays are new now
    assert len(sessions_of(dbsession, workshop)) == count
    assert len(list(dbsession.scalars(select(ScheduleRule).where(ScheduleRule.experience_id == workshop.id)))) == 1


def test_editing_a_rule_removes_unbooked_sessions_and_adds_the_new_ones(dbsession, workshop):
    add_rule(dbsession, workshop)
    rule = dbsession.scalar(select(ScheduleRule).where(ScheduleRule.experience_id == workshop.id))
    pattern = editing.read_pattern(rule_form(days=("3",), capacity="15"), today=TODAY)
    preview = run(dbsession, workshop, editing.edit_rule(workshop, rule, pattern))
    assert len(preview.of(editing.GONE)) == 4 and len(preview.of(editing.NEW)) == 2  # Thursdays 3 and 10
    assert [(s.starts_at, s.capacity) for s in sessions_of(dbsession, workshop)] == [
        (local(2026, 12, 3, 7), 15), (local(2026, 12, 10, 7), 15)]
    assert rule.rrule == "FREQ=WEEKLY;BYDAY=TH;BYHOUR=7;BYMINUTE=0"


def test_overlapping_schedules_keep_the_sessions_already_there(dbsession, workshop):
    add_rule(dbsession, workshop, days=("1",))
    preview = add_rule(dbsession, workshop, days=("1", "5"))
    assert [e.starts_at for e in preview.of(editing.KEPT)] == [local(2026, 12, 1, 7), local(2026, 12, 8, 7)]
    assert len(preview.of(editing.NEW)) == 2 and len(sessions_of(dbsession, workshop)) == 4


# --- guests in the way -------------------------------------------------------------------------

def test_removing_a_rule_whose_sessions_have_guests_is_refused_with_those_sessions(dbsession, workshop):
    add_rule(dbsession, workshop)
    first, second = sessions_of(dbsession, workshop)[:2]
    book(dbsession, first, 2)
    book(dbsession, second, 1, held=True)  # a guest paying right now counts too
    rule = dbsession.scalar(select(ScheduleRule).where(ScheduleRule.experience_id == workshop.id))
    count = len(sessions_of(dbsession, workshop))
    with pytest.raises(editing.Blocked) as blocked:
        run(dbsession, workshop, editing.remove_rule(rule))
    assert [(b.session_id, b.taken, b.kind) for b in blocked.value.preview.blockers] == [
        (first.id, 2, editing.GONE), (second.id, 1, editing.GONE)]
    assert len(sessions_of(dbsession, workshop)) == count
    assert dbsession.get(ScheduleRule, rule.id) is not None
    # The preview says so too, without saving.
    assert len(run(dbsession, workshop, editing.remove_rule(rule), save=False).blockers) == 2


def test_a_session_whose_guests_all_cancelled_is_cancelled_not_left_on_sale(dbsession, workshop):
    add_rule(dbsession, workshop)
    first = sessions_of(dbsession, workshop)[0]
    held = book(dbsession, first, 2)
    booking.cancel_booking(dbsession, held, now=NOW)
    dbsession.flush()
    rule = dbsession.scalar(select(ScheduleRule).where(ScheduleRule.experience_id == workshop.id))
    preview = run(dbsession, workshop, editing.remove_rule(rule))
    assert len(preview.of(editing.GONE)) == 4 and not preview.blockers
    assert sessions_of(dbsession, workshop) == []
    # Its (cancelled) booking still points at a real session, no longer sold.
    assert [s.id for s in sessions_of(dbsession, workshop, SessionStatus.CANCELLED)] == [first.id]


def test_a_closure_over_sessions_with_guests_is_refused_and_one_without_closes_them(dbsession, workshop):
    add_rule(dbsession, workshop)
    sessions = sessions_of(dbsession, workshop)
    book(dbsession, sessions[1], 3)  # Saturday 5 December
    closure = editing.read_closure({"starts_on": "2026-12-01", "ends_on": "2026-12-06", "reason": "Lũ"}, today=TODAY)
    with pytest.raises(editing.Blocked) as blocked:
        run(dbsession, workshop, editing.add_closure(workshop, closure))
    assert [(b.session_id, b.taken, b.kind) for b in blocked.value.preview.blockers] == [
        (sessions[1].id, 3, editing.CLOSED)]
    assert dbsession.scalar(select(func.count()).select_from(Closure).where(Closure.experience_id == workshop.id)) == 0
    assert all(s.closure_id is None for s in sessions_of(dbsession, workshop))

    only_tuesday = editing.read_closure({"starts_on": "1/12/2026", "reason": "Lũ"}, today=TODAY)
    preview = run(dbsession, workshop, editing.add_closure(workshop, only_tuesday))
    assert [e.starts_at for e in preview.of(editing.CLOSED)] == [local(2026, 12, 1, 7)]
    saved = dbsession.scalar(select(Closure).where(Closure.experience_id == workshop.id))
    assert (saved.starts_on, saved.ends_on) == (date(2026, 12, 1), date(2026, 12, 1))
    reopened = run(dbsession, workshop, editing.remove_closure(saved))
    assert [e.starts_at for e in reopened.of(editing.REOPENED)] == [local(2026, 12, 1, 7)]


def test_lowering_a_rules_seats_below_a_sessions_guests_is_refused(dbsession, workshop):
    add_rule(dbsession, workshop)
    sessions = sessions_of(dbsession, workshop)
    book(dbsession, sessions[2], 5)
    rule = dbsession.scalar(select(ScheduleRule).where(ScheduleRule.experience_id == workshop.id))
    with pytest.raises(editing.Blocked) as blocked:
        run(dbsession, workshop, editing.edit_rule(workshop, rule, editing.read_pattern(rule_form(capacity="4"),
                                                                                         today=TODAY)))
    assert [(b.session_id, b.taken, b.capacity) for b in blocked.value.preview.blockers] == [(sessions[2].id, 5, 4)]
    assert rule.capacity == 12 and {s.capacity for s in sessions_of(dbsession, workshop)} == {12}
    done = run(dbsession, workshop, editing.edit_rule(workshop, rule, editing.read_pattern(rule_form(capacity="5"),
                                                                                            today=TODAY)))
    assert {(e.before_capacity, e.capacity) for e in done.of(editing.SEATS)} == {(12, 5)}


def test_closure_form_refusals():
    for form, field in [({"starts_on": "", "reason": "x"}, "starts_on"),
                        ({"starts_on": "2026-12-05", "ends_on": "2026-12-01", "reason": "x"}, "ends_on"),
                        ({"starts_on": "2026-11-01", "ends_on": "2026-11-20", "reason": "x"}, "ends_on"),
                        ({"starts_on": "2026-12-01", "ends_on": "2028-12-01", "reason": "x"}, "ends_on"),
                        ({"starts_on": "2026-12-01", "reason": "  "}, "reason"),
                        ({"starts_on": "2026-12-01", "reason": "x" * 201}, "reason")]:
        with pytest.raises(InvalidInput) as refused:
            editing.read_closure(form, today=TODAY)
        assert field in refused.value.errors, form


# --- extra sessions and one session's seats ----------------------------------------------------

def test_an_extra_session_is_added_and_removed_through_the_preview(dbsession, workshop):
    one_off = editing.read_one_off({"day": "2026-12-20", "time": "9h", "capacity": "8"}, tz=HANOI, now=NOW)
    preview = run(dbsession, workshop, editing.add_one_off(workshop, one_off, now=NOW))
    assert [(e.starts_at, e.capacity) for e in preview.of(editing.NEW)] == [(local(2026, 12, 20, 9), 8)]
    (session,) = sessions_of(dbsession, workshop)
    assert session.is_one_off
    removed = run(dbsession, workshop, editing.remove_one_off(session))
    assert [e.starts_at for e in removed.of(editing.GONE)] == [local(2026, 12, 20, 9)]
    assert sessions_of(dbsession, workshop) == []


def test_an_extra_session_is_refused_on_a_closed_day_in_the_past_or_below_its_guests(dbsession, workshop):
    dbsession.add(Closure(village_id=workshop.village_id, starts_on=date(2026, 12, 24), ends_on=date(2026, 12, 25),
                          reason="Lễ"))
    dbsession.flush()
    closed = editing.read_one_off({"day": "2026-12-25", "time": "09:00", "capacity": "8"}, tz=HANOI, now=NOW)
    with pytest.raises(InvalidInput) as refused:
        run(dbsession, workshop, editing.add_one_off(workshop, closed, now=NOW))
    assert "day" in refused.value.errors
    with pytest.raises(InvalidInput) as refused:
        editing.read_one_off({"day": "2026-11-24", "time": "09:59", "capacity": "8"}, tz=HANOI, now=NOW)
    assert "day" in refused.value.errors  # 09:59 in Hà Nội is before 10:00, now
    for form, field in [({"day": "", "time": "9", "capacity": "8"}, "day"), ({"day": "2026-12-01", "time": "",
                         "capacity": "8"}, "time"), ({"day": "2026-12-01", "time": "9:75", "capacity": "8"}, "time"),
                        ({"day": "2026-12-01", "time": "9", "capacity": "0"}, "capacity")]:
        with pytest.raises(InvalidInput) as refused:
            editing.read_one_off(form, tz=HANOI, now=NOW)
        assert field in refused.value.errors
    add_rule(dbsession, workshop)
    first = sessions_of(dbsession, workshop)[0]
    book(dbsession, first, 4)
    below = editing.read_one_off({"day": "2026-12-01", "time": "07:00", "capacity": "3"}, tz=HANOI, now=NOW)
    with pytest.raises(InvalidInput) as refused:
        run(dbsession, workshop, editing.add_one_off(workshop, below, now=NOW))
    assert "capacity" in refused.value.errors
    assert not first.is_one_off and first.capacity == 12


def test_a_sessions_seats_never_go_below_its_guests(dbsession, workshop):
    add_rule(dbsession, workshop)
    session = sessions_of(dbsession, workshop)[0]
    book(dbsession, session, 4)
    book(dbsession, session, 2, held=True)
    with pytest.raises(InvalidInput) as refused:
        editing.set_session_capacity(dbsession, session, {"capacity": "5"}, now=NOW)
    assert "6" in refused.value.errors["capacity"].interpolate()
    assert session.capacity == 12 and not session.is_one_off
    for bad in ("", "0", "abc", "1001", "-1"):
        with pytest.raises(InvalidInput):
            editing.set_session_capacity(dbsession, session, {"capacity": bad}, now=NOW)
    done = editing.set_session_capacity(dbsession, session, {"capacity": "6"}, now=NOW)
    assert (done.before, done.after, done.detached) == (12, 6, True)
    assert session.capacity == 6 and session.is_one_off  # the hourly materialising leaves it alone
    editing.run_change(dbsession, workshop, lambda db: None, today=TODAY, horizon_days=HORIZON, save=True)
    assert session.capacity == 6


def test_an_expired_hold_does_not_keep_seats_from_being_removed(dbsession, workshop):
    add_rule(dbsession, workshop)
    session = sessions_of(dbsession, workshop)[0]
    book(dbsession, session, 5, held=True)
    later = NOW + timedelta(hours=1)  # the hold (15 minutes) has expired, not yet released
    done = editing.set_session_capacity(dbsession, session, {"capacity": "2"}, now=later)
    assert done.after == 2 and session.seats_held == 0


def test_admission_tickets_keep_their_opening_hours(dbsession):
    village = make_village(dbsession, slug="bao-tang-moi", province="Tỉnh Bảo")
    museum = make_experience(dbsession, village, "bao-tang-moi-ve", kind=ExperienceKind.ADMISSION, daily_capacity=100)
    museum.opening_hours = [OpeningHours(weekday=d, opens=time(8), closes=time(17)) for d in range(7)]
    dbsession.flush()
    assert not editing.has_rules(museum)
    closure = editing.read_closure({"starts_on": "2026-12-01", "reason": "Kiểm kê"}, today=TODAY)
    first = editing.run_change(dbsession, museum, editing.add_closure(museum, closure), today=TODAY,
                               horizon_days=10, save=True)
    # Never materialised before: its days are made now, the closed one closed from the start.
    assert len(first.of(editing.NEW)) == 10 and [e.starts_at for e in first.of(editing.NEW_CLOSED)] == [
        local(2026, 12, 1, 8)]
    again = editing.read_closure({"starts_on": "2026-12-02", "reason": "Kiểm kê"}, today=TODAY)
    preview = editing.run_change(dbsession, museum, editing.add_closure(museum, again), today=TODAY,
                                 horizon_days=10, save=True)
    assert [(e.kind, e.starts_at) for e in preview.effects] == [(editing.CLOSED, local(2026, 12, 2, 8))]


def test_an_expired_hold_stands_in_no_schedule_changes_way(dbsession, workshop):
    add_rule(dbsession, workshop)
    first = sessions_of(dbsession, workshop)[0]
    book(dbsession, first, 2, held=True)
    rule = dbsession.scalar(select(ScheduleRule).where(ScheduleRule.experience_id == workshop.id))
    with pytest.raises(editing.Blocked):  # the guest is still paying
        editing.run_change(dbsession, workshop, editing.remove_rule(rule), today=TODAY, horizon_days=HORIZON,
                           save=True, now=NOW + timedelta(minutes=5))
    preview = editing.run_change(dbsession, workshop, editing.remove_rule(rule), today=TODAY, horizon_days=HORIZON,
                                 save=True, now=NOW + timedelta(hours=1))  # the hold ran out unpaid
    assert not preview.blockers and len(preview.of(editing.GONE)) == 4
    assert sessions_of(dbsession, workshop) == []


def test_a_session_that_has_started_keeps_its_seats(dbsession, workshop):
    session = make_session(dbsession, workshop, NOW - timedelta(minutes=30), capacity=10, is_one_off=True)
    with pytest.raises(InvalidInput) as refused:
        editing.set_session_capacity(dbsession, session, {"capacity": "12"}, now=NOW)
    assert "already started" in refused.value.errors["capacity"].interpolate() and session.capacity == 10
