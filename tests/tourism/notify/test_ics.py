"""The .ics file puts the session at the right instant in any calendar, in the village's zone."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest

from tourism.notify.ics import booking_event

HANOI_7AM = datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)  # 07:00 in Hà Nội


def make(**fields) -> icalendar.Calendar:
    values = dict(uid="booking-AB12CD@langviet", summary="Hái chè Tân Cương", description="Mã: AB12-CD",
                  location="Tân Cương, Thái Nguyên", starts_at=HANOI_7AM,
                  ends_at=datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc), tz_name="Asia/Ho_Chi_Minh",
                  url="https://langviet.example/booking/t0ken",
                  stamp=datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc))
    return icalendar.Calendar.from_ical(booking_event(**dict(values, **fields)))


def test_the_event_carries_the_village_zone_and_converts_to_the_right_instant():
    calendar = make()
    (event,) = calendar.events
    assert event["dtstart"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert event["dtend"].params["TZID"] == "Asia/Ho_Chi_Minh"
    start = event.decoded("dtstart")
    assert (start.hour, start.minute) == (7, 0)  # local time as written in the file
    assert start.astimezone(ZoneInfo("Asia/Seoul")).hour == 9
    assert start.astimezone(timezone.utc) == HANOI_7AM
    assert event.decoded("dtend").astimezone(timezone.utc) == datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)


def test_the_calendar_is_a_publishable_vcalendar_with_its_vtimezone():
    calendar = make()
    assert calendar["version"] == "2.0" and calendar["method"] == "PUBLISH" and "LàngViệt" in calendar["prodid"]
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert vtimezone["tzid"] == "Asia/Ho_Chi_Minh"
    # The zone written in the file (not the reader's zone database) gives +07:00.
    assert vtimezone.to_tz().utcoffset(datetime(2026, 12, 1, 7, 0)).total_seconds() == 7 * 3600
    (event,) = calendar.events
    assert event["uid"] == "booking-AB12CD@langviet"
    assert event["summary"] == "Hái chè Tân Cương"
    assert event["location"] == "Tân Cương, Thái Nguyên"
    assert event["url"] == "https://langviet.example/booking/t0ken"
    assert event.decoded("dtstamp") == datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)


def test_a_zone_with_daylight_saving_converts_on_both_sides_of_the_change():
    # Paris moves to summer time on 2026-03-29; a 10:00 session after it is 08:00 UTC.
    calendar = make(starts_at=datetime(2026, 3, 30, 8, 0, tzinfo=timezone.utc),
                    ends_at=datetime(2026, 3, 30, 9, 0, tzinfo=timezone.utc), tz_name="Europe/Paris")
    start = calendar.events[0].decoded("dtstart")
    assert (start.hour, start.astimezone(timezone.utc).hour) == (10, 8)


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        make(starts_at=datetime(2026, 12, 1, 7, 0))
