"""Play counts: the visitors' beacon (204, no cookie, nothing about who), the counts per
stop, language and day, and increments that all add up when phones report at once."""
from datetime import date, datetime, timedelta, timezone

import pytest
import transaction
from sqlalchemy import delete, func, select

from audio_guides import plays
from audio_guides.models import PlayCount, Stop, StopText, Tour, TourText
from tests.audio_guides.factories import make_tour
from tests.concurrency import all_at_once, committed, guard_switched_off, race_engine
from tests.factories import make_village
from tourism.catalog.models import PublicationStatus
from tourism.db import get_session_factory, get_tm_session

NOW = datetime(2026, 12, 1, 17, 30, tzinfo=timezone.utc)  # already 2 December in Vietnam (UTC+7)
VIETNAM_DAY = date(2026, 12, 2)


@pytest.fixture
def tour(dbsession):
    return make_tour(dbsession, make_village(dbsession, slug="lang-nghe"), "nghe-audio", prefix="PL", stops=2)


def counts(dbsession, stop) -> dict:
    rows = dbsession.execute(select(PlayCount.locale, PlayCount.day, PlayCount.plays)
                             .where(PlayCount.stop_id == stop.id)).all()
    return {(locale, day): n for locale, day, n in rows}


def test_a_play_is_counted_per_language_and_village_day_without_a_cookie(app_at, dbsession, tour):
    stop = tour.stops[0]
    for lang in ("ko", "ko", "en"):
        response = app_at.post(f"/g/{stop.code}/played?lang={lang}", status=204)
        assert "Set-Cookie" not in response.headers and response.body == b""
        assert response.headers["Cache-Control"] == "no-store"
    form = app_at.post(f"/g/{stop.code}/played", {"lang": "fr"}, status=204)  # a form body works too
    assert "Set-Cookie" not in form.headers
    assert counts(dbsession, stop) == {("ko", VIETNAM_DAY): 2, ("en", VIETNAM_DAY): 1, ("fr", VIETNAM_DAY): 1}
    assert counts(dbsession, tour.stops[1]) == {}


def test_what_sendbeacon_sends_is_counted(app_at, dbsession, tour):
    """navigator.sendBeacon(url) posts an empty text/plain body; the language is in the query."""
    stop = tour.stops[1]
    app_at.post(f"/g/{stop.code}/played?lang=ja", "", content_type="text/plain;charset=UTF-8", status=204)
    assert counts(dbsession, stop) == {("ja", VIETNAM_DAY): 1}


@pytest.mark.parametrize("query", ["", "?lang=", "?lang=de", "?lang=KO", "?lang=ko-KR", "?lang=" + "x" * 5000])
def test_a_language_that_is_not_ours_is_refused(app_at, dbsession, tour, query):
    stop = tour.stops[0]
    response = app_at.post(f"/g/{stop.code}/played{query}", status=400)
    assert "Set-Cookie" not in response.headers
    assert counts(dbsession, stop) == {}


@pytest.mark.parametrize("code", ["NOPE9", "pl2", "PL2X", "%3Cscript%3E", "A" * 40])
def test_an_unknown_code_is_not_found(app_at, dbsession, tour, code):
    response = app_at.post(f"/g/{code}/played?lang=vi", status=404)
    assert "Set-Cookie" not in response.headers
    assert dbsession.scalar(select(func.count()).select_from(PlayCount)) == 0


def test_a_draft_tour_counts_nothing_and_only_post_counts(app_at, dbsession, tour):
    draft = make_tour(dbsession, tour.village, "nhap-audio", prefix="DR", status=PublicationStatus.DRAFT, stops=1)
    app_at.post(f"/g/{draft.stops[0].code}/played?lang=vi", status=404)
    app_at.get(f"/g/{tour.stops[0].code}/played?lang=vi", status=404)
    assert dbsession.scalar(select(func.count()).select_from(PlayCount)) == 0


def test_record_play_and_the_counts_over_30_days(dbsession, tour):
    first, second = tour.stops
    today = date(2026, 12, 2)
    for day, n in ((today, 3), (today - timedelta(days=29), 2), (today - timedelta(days=30), 5)):
        for _ in range(n):
            plays.record_play(dbsession, first, "vi", day)
    plays.record_play(dbsession, second, "en", today + timedelta(days=1))  # a later day is not "recent"
    assert plays.play_counts(dbsession, tour.id, today) == {(first.id, "vi"): (5, 10), (second.id, "en"): (0, 1)}
    with pytest.raises(ValueError):
        plays.record_play(dbsession, first, "de", today)


# --- concurrency ---------------------------------------------------------------------------

PHONES = 20


@pytest.fixture
def race_stop(db_url):
    """A committed published stop on its own engine (the rolled-back test session cannot race)."""
    engine = race_engine(db_url, PHONES)
    factory = get_session_factory(engine)
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        db = get_tm_session(factory, manager)
        village = make_village(db, slug="lang-dua-nghe", province="Tỉnh Đua")
        stop_id = make_tour(db, village, "dua-nghe-audio", prefix="RC", stops=1).stops[0].id
    yield factory, stop_id
    with engine.begin() as conn:
        from tourism.catalog.models import Village

        tour_ids = select(Tour.id).where(Tour.slug == "dua-nghe-audio")
        stop_ids = select(Stop.id).where(Stop.tour_id.in_(tour_ids))
        conn.execute(delete(PlayCount).where(PlayCount.stop_id.in_(stop_ids)))
        conn.execute(delete(StopText).where(StopText.stop_id.in_(stop_ids)))
        conn.execute(delete(Stop).where(Stop.tour_id.in_(tour_ids)))
        conn.execute(delete(TourText).where(TourText.tour_id.in_(tour_ids)))
        conn.execute(delete(Tour).where(Tour.slug == "dua-nghe-audio"))
        conn.execute(delete(Village).where(Village.slug == "lang-dua-nghe"))
    engine.dispose()


def race(factory, stop_id, day) -> list:
    def phone(_i):
        committed(factory, lambda db: plays.record_play(db, db.get(Stop, stop_id), "ko", day))
        return "counted"

    return all_at_once(PHONES, phone)


def total(factory, stop_id) -> int:
    return committed(factory, lambda db: db.scalar(
        select(func.coalesce(func.sum(PlayCount.plays), 0)).where(PlayCount.stop_id == stop_id)))


@pytest.fixture
def guard_off():
    with guard_switched_off(plays.PLAY_GUARD):
        yield


@pytest.mark.usefixtures("guard_off")
def test_negative_control_read_then_write_loses_plays(backend, race_stop):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unguarded writers never interleave")
    factory, stop_id = race_stop
    committed(factory, lambda db: plays.record_play(db, db.get(Stop, stop_id), "ko", VIETNAM_DAY))  # the row exists
    outcomes = race(factory, stop_id, VIETNAM_DAY)
    assert total(factory, stop_id) < PHONES + 1, outcomes


@pytest.mark.parametrize("row_exists", [False, True], ids=["first-play-of-the-day", "later-play"])
def test_every_concurrent_play_is_counted(race_stop, row_exists):
    factory, stop_id = race_stop
    if row_exists:
        committed(factory, lambda db: plays.record_play(db, db.get(Stop, stop_id), "ko", VIETNAM_DAY))
    outcomes = race(factory, stop_id, VIETNAM_DAY)
    assert outcomes == ["counted"] * PHONES
    assert total(factory, stop_id) == PHONES + row_exists
    rows = committed(factory, lambda db: db.scalar(select(func.count()).select_from(PlayCount)
                                                   .where(PlayCount.stop_id == stop_id)))
    assert rows == 1  # one row per stop, language and day
