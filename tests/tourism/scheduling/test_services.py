"""Schedules: RRULEs expanded in local time, closures, idempotent materialising."""
from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy import select

from tests.factories import make_experience, make_village
from tourism.catalog.models import ExperienceKind, OpeningHours
from tourism.exceptions import DomainError
from tourism.scheduling import services
from tourism.scheduling.models import (
    Closure, ExperienceResource, ExperienceSession, Resource, ResourceSlot, ScheduleRule,
)

UTC = timezone.utc
TODAY = date(2026, 11, 24)


@pytest.mark.parametrize("rrule", ["FREQ=HOURLY;BYHOUR=7", "FREQ=DAILY", "FREQ=DAILY;BYHOUR=25", "nonsense"])
def test_bad_rules_are_refused_with_a_message(rrule):
    with pytest.raises(DomainError):
        services.parse_rrule(rrule, date(2026, 3, 1))


@pytest.fixture
def workshop(dbsession):
    village = make_village(dbsession, slug="lich", province="Tỉnh Lịch")
    return make_experience(dbsession, village, "lich-gom", duration_minutes=120)


def sessions_of(dbsession, experience):
    return list(dbsession.scalars(select(ExperienceSession).where(ExperienceSession.experience_id == experience.id)
                                  .order_by(ExperienceSession.starts_at)))


def test_daily_at_seven_and_two_from_march_to_october_in_local_time(dbsession, workshop):
    rule = ScheduleRule(experience_id=workshop.id, rrule="FREQ=DAILY;BYHOUR=7,14;BYMINUTE=0",
                        valid_from=date(2027, 3, 1), valid_until=date(2027, 10, 31), capacity=20)
    dbsession.add(rule)
    dbsession.flush()
    planned = services.planned_sessions(workshop, [rule], date(2027, 2, 27), date(2027, 3, 2))
    # 07:00 and 14:00 in Hà Nội (UTC+7) are 00:00 and 07:00 UTC; nothing before 1 March.
    assert sorted(planned) == [
        datetime(2027, 3, 1, 0, 0, tzinfo=UTC), datetime(2027, 3, 1, 7, 0, tzinfo=UTC),
        datetime(2027, 3, 2, 0, 0, tzinfo=UTC), datetime(2027, 3, 2, 7, 0, tzinfo=UTC),
    ]
    first = planned[datetime(2027, 3, 1, 0, 0, tzinfo=UTC)]
    assert (first.ends_at - first.starts_at).seconds == 7200 and first.capacity == 20


def test_saturdays_at_nine(workshop):
    rule = ScheduleRule(id=1, rrule="FREQ=WEEKLY;BYDAY=SA;BYHOUR=9;BYMINUTE=0", valid_from=date(2026, 1, 1), capacity=8)
    planned = services.planned_sessions(workshop, [rule], date(2026, 11, 24), date(2026, 12, 13))
    assert [s.astimezone(services.ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%a %d %H:%M") for s in sorted(planned)] == [
        "Sat 28 09:00", "Sat 05 09:00", "Sat 12 09:00"]


def test_admission_tickets_get_one_session_per_open_day(dbsession):
    village = make_village(dbsession, slug="bao-tang", province="Tỉnh Bảo")
    museum = make_experience(dbsession, village, "bao-tang-ve", kind=ExperienceKind.ADMISSION, daily_capacity=300)
    museum.opening_hours = [OpeningHours(weekday=d, opens=time(8), closes=time(17)) for d in (1, 2, 3, 4, 5)]
    dbsession.flush()
    report = services.materialise_sessions(dbsession, museum, today=TODAY, horizon_days=6)  # Tue 24 → Mon 30
    sessions = sessions_of(dbsession, museum)
    assert report.created == len(sessions) == 5  # Tuesday to Saturday
    assert all(s.capacity == 300 for s in sessions)
    assert sessions[0].starts_at == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 08:00 local
    assert sessions[0].ends_at == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 17:00 local


def test_materialising_is_idempotent_and_follows_closures(dbsession, workshop):
    dbsession.add(ScheduleRule(experience_id=workshop.id, rrule="FREQ=DAILY;BYHOUR=9;BYMINUTE=0",
                               valid_from=date(2026, 1, 1), capacity=10))
    closure = Closure(experience_id=workshop.id, starts_on=date(2026, 11, 26), ends_on=date(2026, 11, 27), reason="Mưa")
    dbsession.add(closure)
    dbsession.flush()
    first = services.materialise_sessions(dbsession, workshop, today=TODAY, horizon_days=9)
    assert first.created == 10
    again = services.materialise_sessions(dbsession, workshop, today=TODAY, horizon_days=9)
    assert (again.created, again.updated, again.deleted) == (0, 0, 0)
    closed = [s.starts_at.day for s in sessions_of(dbsession, workshop) if s.closure_id]
    assert closed == [26, 27]
    dbsession.delete(closure)
    dbsession.flush()
    services.materialise_sessions(dbsession, workshop, today=TODAY, horizon_days=9)
    assert [s for s in sessions_of(dbsession, workshop) if s.closure_id] == []


def test_editing_a_rule_never_deletes_a_booked_session(dbsession, workshop):
    rule = ScheduleRule(experience_id=workshop.id, rrule="FREQ=DAILY;BYHOUR=9;BYMINUTE=0",
                        valid_from=date(2026, 1, 1), capacity=10)
    dbsession.add(rule)
    dbsession.flush()
    services.materialise_sessions(dbsession, workshop, today=TODAY, horizon_days=2)
    booked, unbooked, _third = sessions_of(dbsession, workshop)
    booked.ever_booked, booked.seats_booked = True, 4
    rule.rrule = "FREQ=DAILY;BYHOUR=15;BYMINUTE=0"  # the operator moves the time to 15:00
    dbsession.flush()
    report = services.materialise_sessions(dbsession, workshop, today=TODAY, horizon_days=2)
    remaining = sessions_of(dbsession, workshop)
    assert booked in remaining and unbooked not in remaining
    assert booked.rule_id is None and booked.seats_booked == 4
    assert report.deleted == 2 and report.created == 3


def test_capacity_changes_never_go_below_taken_seats(dbsession, workshop):
    rule = ScheduleRule(experience_id=workshop.id, rrule="FREQ=DAILY;BYHOUR=9;BYMINUTE=0",
                        valid_from=date(2026, 1, 1), capacity=10)
    dbsession.add(rule)
    dbsession.flush()
    services.materialise_sessions(dbsession, workshop, today=TODAY, horizon_days=0)
    (session,) = sessions_of(dbsession, workshop)
    session.seats_booked = 7
    rule.capacity = 5
    dbsession.flush()
    services.materialise_sessions(dbsession, workshop, today=TODAY, horizon_days=0)
    assert session.capacity == 7
    with pytest.raises(DomainError) as error:
        services.set_session_capacity(dbsession, session, 6)
    assert error.value.message.interpolate() == "This session already has 7 seats taken; capacity cannot be lower."


def test_shared_resources_get_slots_at_each_start_time(dbsession, workshop):
    kiln = Resource(village_id=workshop.village_id, name="Lò bầu", capacity=15)
    dbsession.add(kiln)
    dbsession.flush()
    dbsession.add(ExperienceResource(experience_id=workshop.id, resource_id=kiln.id))
    dbsession.add(ScheduleRule(experience_id=workshop.id, rrule="FREQ=DAILY;BYHOUR=9;BYMINUTE=0",
                               valid_from=date(2026, 1, 1), capacity=10))
    dbsession.flush()
    services.materialise_sessions(dbsession, workshop, today=TODAY, horizon_days=1)
    slots = list(dbsession.scalars(select(ResourceSlot).where(ResourceSlot.resource_id == kiln.id)))
    assert len(slots) == 2 and all(s.capacity == 15 for s in slots)


def test_one_off_sessions_survive_materialising(dbsession, workshop):
    now = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    festival = services.add_one_off_session(dbsession, workshop, starts_at=datetime(2026, 11, 25, 3, tzinfo=UTC),
                                            capacity=30, now=now)
    services.materialise_sessions(dbsession, workshop, today=TODAY, horizon_days=3)
    assert sessions_of(dbsession, workshop) == [festival]
    with pytest.raises(DomainError):
        services.add_one_off_session(dbsession, workshop, starts_at=now, capacity=5, now=now)
