"""Calendar files (.ics) for bookings, so the guest's calendar shows the session.

Times carry the village's time zone (TZID) with its VTIMEZONE definition inside the file:
a calendar app in Seoul shows a 07:00 session in Hà Nội at 09:00, and if the guest flies to
Vietnam it shows 07:00 again.
"""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

PRODID = "-//LàngViệt//Bookings//EN"


def booking_event(*, uid: str, summary: str, description: str, location: str,
                  starts_at: datetime, ends_at: datetime, tz_name: str, url: str | None = None,
                  sequence: int = 0, stamp: datetime | None = None) -> bytes:
    """A VCALENDAR (METHOD:PUBLISH) with one VEVENT, as the bytes of an .ics file.

    `starts_at`/`ends_at` are aware datetimes (UTC in the database); they are written in
    `tz_name` (an IANA zone such as "Asia/Ho_Chi_Minh"), with a VTIMEZONE covering them.
    Keep `uid` stable for a booking and raise `sequence` when it moves, so calendar apps
    update the event instead of adding a second one. `stamp` (DTSTAMP) defaults to now.
    Raises ValueError for naive datetimes or an unknown zone.
    """
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("starts_at and ends_at must be timezone-aware")
    zone = ZoneInfo(tz_name)
    local_start, local_end = starts_at.astimezone(zone), ends_at.astimezone(zone)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    # Only the zone's rules around the event: a small file, exact where it matters.
    calendar.add_component(Timezone.from_tzid(
        tz_name, first_date=local_start.date() - timedelta(days=1), last_date=local_end.date() + timedelta(days=1),
    ))

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp or datetime.now(timezone.utc))
    event.add("sequence", sequence)
    event.add("dtstart", local_start)  # icalendar writes TZID=<tz_name> from the ZoneInfo
    event.add("dtend", local_end)
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", location)
    if url:
        event.add("url", url)
    calendar.add_component(event)
    return calendar.to_ical()
