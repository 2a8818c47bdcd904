"""Play counts: how often each stop's recording was started, per language and day.

Nothing about who: no cookie, no address, no device, only a counter per (stop, language,
day). Visitors' phones report a start with a beacon; many may report the same stop at
the same moment, so a count is added with a conditional UPDATE (the database adds 1 to
whatever the row holds when it writes), and the day's first play inserts the row inside a
savepoint, going back to the UPDATE when another request inserted it first.
"""
from datetime import date, timedelta

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from audio_guides.models import PlayCount, Stop
from tourism.concurrency import RaceGuard
from tourism.i18n import LOCALES

RECENT_DAYS = 30
ATTEMPTS = 5

# Tests switch it off to show the lost updates a read-then-write would make.
PLAY_GUARD = RaceGuard()


def record_play(dbsession, stop: Stop, locale: str, day: date) -> None:
    """Add one play of `stop`'s recording in `locale` on `day` (the village's local date).

    Safe under any number of concurrent calls: each adds exactly one. Takes no lock beyond
    the row the UPDATE writes. Raises ValueError for a locale that is not one of ours.
    """
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}")
    if not PLAY_GUARD.enabled:
        return _read_then_write(dbsession, stop, locale, day)
    key = (PlayCount.stop_id == stop.id, PlayCount.locale == locale, PlayCount.day == day)
    for _attempt in range(ATTEMPTS):
        added = dbsession.execute(update(PlayCount).where(*key).values(plays=PlayCount.plays + 1)
                                  .execution_options(synchronize_session=False)).rowcount
        if added:
            return
        try:
            with dbsession.begin_nested():
                dbsession.add(PlayCount(stop_id=stop.id, locale=locale, day=day, plays=1))
            return
        except IntegrityError:
            continue  # another request inserted the day's row since our UPDATE: add to it
    raise RuntimeError(f"could not count a play of stop {stop.id} in {locale} on {day}")


def _read_then_write(dbsession, stop, locale, day) -> None:
    """The unguarded way (negative control only): read the count, pause, write count + 1."""
    row = dbsession.scalar(select(PlayCount).where(PlayCount.stop_id == stop.id, PlayCount.locale == locale,
                                                   PlayCount.day == day))
    seen = row.plays if row else 0
    PLAY_GUARD.pause()
    if row is None:
        dbsession.add(PlayCount(stop_id=stop.id, locale=locale, day=day, plays=1))
    else:
        dbsession.execute(update(PlayCount).where(PlayCount.id == row.id).values(plays=seen + 1)
                          .execution_options(synchronize_session=False))
    dbsession.flush()


def play_counts(dbsession, tour_id: int, today: date, days: int = RECENT_DAYS) -> dict[tuple[int, str], tuple[int, int]]:
    """{(stop id, locale): (plays in the `days` days up to and including `today`, plays ever)}
    for the stops of a tour; pairs never played are left out."""
    since = today - timedelta(days=days - 1)
    recent = func.sum(case((PlayCount.day.between(since, today), PlayCount.plays), else_=0))
    rows = dbsession.execute(
        select(PlayCount.stop_id, PlayCount.locale, recent, func.sum(PlayCount.plays))
        .join(Stop, Stop.id == PlayCount.stop_id).where(Stop.tour_id == tour_id)
        .group_by(PlayCount.stop_id, PlayCount.locale))
    return {(stop_id, locale): (int(last or 0), int(total or 0)) for stop_id, locale, last, total in rows}
