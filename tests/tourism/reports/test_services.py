"""The reports' numbers against bookings built by hand: what counts (confirmed bookings, money
received, refunds given back, seats of sessions that run), what does not (holds, expired
holds, failed refunds, cancelled or closed sessions' seats), each on its village's local day,
bucketed by week and by month; Today's seats, check-in and money in a fixed number of
statements; and never another operator's rows."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from tests.factories import make_experience, make_operator, make_session, make_village
from tests.tourism.reports.factories import book, local
from tourism.booking.models import BookingStatus
from tourism.forms import InvalidInput
from tourism.payments.models import Payment, Refund, RefundStatus
from tourism.reports import services
from tourism.reports.services import Grain, Period
from tourism.scheduling.models import Closure, SessionStatus
from tourism.tickets.models import Admission

CONFIRMED, HELD, EXPIRED, CANCELLED = (BookingStatus.CONFIRMED, BookingStatus.HELD, BookingStatus.EXPIRED,
                                       BookingStatus.CANCELLED)
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31), Grain.MONTH)
NOW = datetime(2026, 4, 15, 3, 0, tzinfo=timezone.utc)  # 10:00 in Hà Nội


def test_bookings_money_and_occupancy_count_what_was_confirmed_paid_and_given_back(dbsession, pottery, tea):
    session = make_session(dbsession, pottery, local(2026, 3, 10, 9), capacity=10)
    book(dbsession, session, {"adult": 2}, paid=600000)  # paid by card
    book(dbsession, session, {"adult": 1}, due_on_site=True)  # to pay at the village: nothing received yet
    book(dbsession, session, {"adult": 1}, status=CANCELLED, paid=300000, refunded=150000)  # half given back
    book(dbsession, session, {"adult": 1}, status=HELD)  # still paying: not a booking yet
    book(dbsession, session, {"adult": 1}, status=EXPIRED)  # never paid
    failed = book(dbsession, session, {"child": 1, "adult": 1}, paid=500000)  # a refund that failed gave nothing back
    payment = dbsession.query(Payment).filter_by(booking_id=failed.id).one()
    dbsession.add(Refund(payment_id=payment.id, amount=100000, status=RefundStatus.FAILED, reason="operator",
                         created_at=NOW))
    # The same week: a cancelled session and one on a closure day offer no seats.
    cancelled = make_session(dbsession, pottery, local(2026, 3, 11, 9), capacity=8)
    closure = Closure(experience_id=pottery.id, starts_on=date(2026, 3, 12), ends_on=date(2026, 3, 12), reason="Rain")
    dbsession.add(closure)
    dbsession.flush()
    make_session(dbsession, pottery, local(2026, 3, 12, 9), capacity=8, closure_id=closure.id)
    book(dbsession, cancelled, {"adult": 1}, status=CANCELLED, paid=300000, refunded=300000)
    cancelled.status = SessionStatus.CANCELLED  # rained out: its guest refunded in full
    dbsession.flush()

    report = services.experience_report(dbsession, operator_id=pottery.village.operator_id, period=MARCH,
                                        locale="en")
    assert [e.title for e in report.experiences] == ["Pottery"]  # tea had no session in March
    (bucket,) = report.buckets
    figures = report.cell(pottery.id, bucket.key)
    assert (figures.bookings, figures.guests, figures.cancelled) == (3, 5, 2)
    assert figures.paid == 600000 + 300000 + 500000 + 300000
    assert figures.refunded == 150000 + 300000
    assert figures.kept == 1250000
    assert (figures.sessions, figures.booked_seats, figures.capacity) == (1, 5, 10)
    assert figures.occupancy == 50
    assert report.total() == figures


def test_occupancy_rounds_half_up_and_is_none_without_sessions():
    assert services.Figures(booked_seats=1, capacity=8).occupancy == 13  # 12.5 %
    assert services.Figures(booked_seats=1, capacity=3).occupancy == 33
    assert services.Figures(booked_seats=2, capacity=3).occupancy == 67
    assert services.Figures().occupancy is None


def test_weeks_and_months_are_the_villages_local_ones(dbsession, village, operator, pottery):
    # 06:00 on Monday 30 March in Hà Nội is still Sunday 29 March in UTC; 06:00 on 1 April is 31 March.
    monday = make_session(dbsession, pottery, local(2026, 3, 30, 6), capacity=10)
    april = make_session(dbsession, pottery, local(2026, 4, 1, 6), capacity=10)
    sunday = make_session(dbsession, pottery, local(2026, 3, 29, 23, 30), capacity=10)
    assert monday.starts_at.date() == date(2026, 3, 29) and april.starts_at.date() == date(2026, 3, 31)
    book(dbsession, monday, {"adult": 1}, paid=300000)
    book(dbsession, april, {"adult": 2}, paid=600000)
    book(dbsession, sunday, {"adult": 3}, paid=900000)
    # A village far west: the same UTC day is still 31 March there at 18:00.
    west = make_village(dbsession, slug="lang-phia-tay", time_zone="America/Los_Angeles",
                        texts={"vi": "Làng Phía Tây", "en": "West Village"})
    west.operator_id = operator.id
    west_tea = make_experience(dbsession, west, "phia-tay-che", texts={"vi": "Chè phía tây", "en": "West tea"})
    evening = make_session(dbsession, west_tea, datetime(2026, 4, 1, 1, 0, tzinfo=timezone.utc), capacity=4)
    book(dbsession, evening, {"adult": 4}, paid=1200000)

    by_month = services.experience_report(dbsession, operator_id=operator.id, locale="en",
                                          period=Period(date(2026, 3, 1), date(2026, 4, 30), Grain.MONTH))
    assert [b.key for b in by_month.buckets] == [date(2026, 3, 1), date(2026, 4, 1)]
    assert by_month.cell(pottery.id, date(2026, 3, 1)).guests == 4  # Sunday's and Monday's
    assert by_month.cell(pottery.id, date(2026, 4, 1)).guests == 2
    assert by_month.cell(west_tea.id, date(2026, 3, 1)).paid == 1200000  # still March in Los Angeles
    assert by_month.cell(west_tea.id, date(2026, 4, 1)).paid == 0

    by_week = services.experience_report(dbsession, operator_id=operator.id, locale="en",
                                         period=Period(date(2026, 3, 23), date(2026, 4, 5), Grain.WEEK))
    assert [b.key for b in by_week.buckets] == [date(2026, 3, 23), date(2026, 3, 30)]
    assert by_week.cell(pottery.id, date(2026, 3, 23)).paid == 900000  # Sunday 23:30
    assert by_week.cell(pottery.id, date(2026, 3, 30)).paid == 300000 + 600000  # Monday 06:00 and Wednesday
    assert by_week.cell(west_tea.id, date(2026, 3, 30)).guests == 4

    # A period ending on 31 March leaves out 1 April's session though it starts on 31 March in UTC.
    march = services.experience_report(dbsession, operator_id=operator.id, period=MARCH, locale="en")
    assert march.cell(pottery.id, date(2026, 3, 1)).guests == 4
    assert march.total().paid == 900000 + 300000 + 1200000


def test_buckets_are_cut_at_the_period_edges():
    period = Period(date(2026, 3, 4), date(2026, 3, 17), Grain.WEEK)
    buckets = period.buckets()
    assert [(b.key, b.first, b.last) for b in buckets] == [
        (date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 8)),
        (date(2026, 3, 9), date(2026, 3, 9), date(2026, 3, 15)),
        (date(2026, 3, 16), date(2026, 3, 16), date(2026, 3, 17))]
    assert [b.whole for b in buckets] == [False, True, False]
    months = Period(date(2026, 1, 15), date(2026, 3, 31), Grain.MONTH).buckets()
    assert [(b.key, b.first, b.last, b.whole) for b in months] == [
        (date(2026, 1, 1), date(2026, 1, 15), date(2026, 1, 31), False),
        (date(2026, 2, 1), date(2026, 2, 1), date(2026, 2, 28), True),
        (date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 31), True)]
    # The tourism office's statistics are per whole month, whatever days were chosen.
    assert Period(date(2026, 2, 4), date(2026, 4, 2)).whole_months() == \
        Period(date(2026, 2, 1), date(2026, 4, 30), Grain.MONTH)


def test_visitors_by_language_and_country_count_confirmed_guests(dbsession, operator, pottery, tea):
    first = make_session(dbsession, pottery, local(2026, 3, 10, 9), capacity=20)
    second = make_session(dbsession, tea, local(2026, 3, 20, 7), capacity=20)
    book(dbsession, first, {"adult": 2}, locale="ko", country="KR", name="김민준")
    book(dbsession, second, {"adult": 3}, locale="ko", country="KR", name="이서연")
    book(dbsession, first, {"adult": 1}, locale="en", country="FR", name="Claire")
    book(dbsession, second, {"adult": 1, "child": 1}, locale="vi", country="VN")
    book(dbsession, first, {"adult": 4}, locale="ja", country="JP", status=CANCELLED)
    book(dbsession, second, {"adult": 4}, locale="zh", country="CN", status=HELD)

    report = services.visitor_report(dbsession, operator_id=operator.id, period=MARCH)
    assert [(c.code, c.bookings, c.visitors) for c in report.languages] == [("ko", 2, 5), ("vi", 1, 2), ("en", 1, 1)]
    assert [(c.code, c.bookings, c.visitors) for c in report.countries] == [("KR", 2, 5), ("VN", 1, 2), ("FR", 1, 1)]
    assert (report.bookings, report.visitors) == (4, 8)


def test_village_statistics_count_what_happened_up_to_now(dbsession, operator, village, pottery, tea):
    ran = make_session(dbsession, pottery, local(2026, 3, 10, 9), capacity=20)
    empty = make_session(dbsession, pottery, local(2026, 3, 11, 9), capacity=20)  # nobody came: not "run"
    rained = make_session(dbsession, tea, local(2026, 3, 12, 7), capacity=20)
    april = make_session(dbsession, tea, local(2026, 4, 2, 7), capacity=20)
    later = make_session(dbsession, tea, local(2026, 4, 20, 7), capacity=20)  # after NOW: not yet
    book(dbsession, ran, {"adult": 2}, locale="ko", country="KR")
    book(dbsession, ran, {"adult": 1}, locale="vi", country="VN")
    book(dbsession, rained, {"adult": 2}, locale="en", country="US", status=CANCELLED)
    rained.status = SessionStatus.CANCELLED
    book(dbsession, april, {"adult": 3}, locale="fr", country="FR")
    book(dbsession, later, {"adult": 5}, locale="fr", country="FR")
    dbsession.flush()
    assert empty.capacity == 20

    (stats,) = services.village_statistics(dbsession, operator_id=operator.id, now=NOW, locale="vi",
                                           period=Period(date(2026, 3, 11), date(2026, 4, 1), Grain.WEEK))
    assert (stats.name, stats.province) == ("Làng Báo Cáo", "Tỉnh Báo Cáo")
    march, april_stats = stats.months
    assert (march.month, march.sessions_run, march.sessions_cancelled, march.bookings, march.visitors) == \
        (date(2026, 3, 1), 1, 1, 2, 3)
    assert march.by_country == {"KR": 2, "VN": 1} and march.by_language == {"ko": 2, "vi": 1}
    assert (april_stats.sessions_run, april_stats.visitors, dict(april_stats.by_country)) == (1, 3, {"FR": 3})


def test_another_operators_rows_never_show(dbsession, operator, pottery):
    other_village = make_village(dbsession, slug="lang-khac", texts={"vi": "Làng Khác", "en": "Other Village"})
    other = make_operator(dbsession, "htx-khac", villages=[other_village])
    theirs = make_experience(dbsession, other_village, "khac-gom", texts={"vi": "Gốm khác", "en": "Other pottery"})
    book(dbsession, make_session(dbsession, theirs, local(2026, 3, 10, 9)), {"adult": 2}, paid=600000,
         locale="ko", country="KR")
    book(dbsession, make_session(dbsession, pottery, local(2026, 3, 10, 9)), {"adult": 1}, paid=300000)

    mine = services.experience_report(dbsession, operator_id=operator.id, period=MARCH, locale="en")
    assert [e.id for e in mine.experiences] == [pottery.id] and mine.total().paid == 300000
    visitors = services.visitor_report(dbsession, operator_id=operator.id, period=MARCH)
    assert [c.code for c in visitors.countries] == ["VN"]
    stats = services.village_statistics(dbsession, operator_id=operator.id, period=MARCH, now=NOW, locale="en")
    assert [s.slug for s in stats] == ["lang-bao-cao"]
    # One of my villages asked for by id is mine; theirs asked for with my operator gives nothing.
    assert services.experience_report(dbsession, operator_id=operator.id, period=MARCH, locale="en",
                                      village_id=other_village.id).experiences == []
    everyone = services.experience_report(dbsession, operator_id=None, period=MARCH, locale="en")  # an admin
    assert {pottery.id, theirs.id} <= {e.id for e in everyone.experiences}
    assert other.id != operator.id


# --- the period a form asks for ---------------------------------------------------------------

def test_no_period_asked_is_last_month_by_week():
    assert services.parse_period({}, today=date(2026, 4, 15)) == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert services.parse_period({}, today=date(2026, 1, 3)) == Period(date(2025, 12, 1), date(2025, 12, 31))


def test_a_period_is_read_as_iso_dates_or_as_written_in_vietnam():
    asked = services.parse_period({"from": "2026-03-01", "to": "31/3/2026", "by": "month"}, today=date(2026, 4, 1))
    assert asked == Period(date(2026, 3, 1), date(2026, 3, 31), Grain.MONTH)


@pytest.mark.parametrize("params, fields", [
    ({"from": "yesterday", "to": "2026-03-31", "by": "week"}, {"from"}),
    ({"from": "2026-02-30", "to": "2026-03-31", "by": "week"}, {"from"}),
    ({"from": "2026-03-31", "to": "2026-03-01", "by": "week"}, {"to"}),
    ({"from": "2026-03-01", "to": "2026-03-31", "by": "day"}, {"by"}),
    ({"from": "2020-01-01", "to": "2026-03-31", "by": "month"}, {"to"}),
    ({"from": "", "to": "", "by": "week"}, {"from", "to"}),
])
def test_a_wrong_period_says_which_field(params, fields):
    with pytest.raises(InvalidInput) as refused:
        services.parse_period(params, today=date(2026, 4, 1))
    assert set(refused.value.errors) == fields


# --- Today ----------------------------------------------------------------------------------------

def test_today_counts_seats_check_in_and_money_per_session(dbsession, operator, pottery):
    session = make_session(dbsession, pottery, local(2026, 4, 15, 14), capacity=12)
    card = book(dbsession, session, {"adult": 3}, paid=900000)
    cash = book(dbsession, session, {"adult": 2}, due_on_site=True)
    book(dbsession, session, {"adult": 2}, status=HELD, hold_until=NOW + timedelta(minutes=10))
    book(dbsession, session, {"adult": 1}, status=HELD, hold_until=NOW - timedelta(minutes=1))  # expired hold
    book(dbsession, session, {"adult": 1}, status=CANCELLED, paid=300000, refunded=300000)
    for scan, people in (("gate-1", 2), ("gate-2", 2)):  # a party of 3 is never "4 checked in"
        dbsession.add(Admission(booking_id=card.id, scan_id=scan, people=people, admitted_at=NOW, received_at=NOW))
    dbsession.add(Admission(booking_id=cash.id, scan_id="gate-3", people=1, admitted_at=NOW, received_at=NOW))
    dbsession.flush()

    (row,) = services.today_sessions(dbsession, operator_id=operator.id, now=NOW, locale="en")
    assert (row.title, row.village, row.day_offset, row.local_day) == ("Pottery", "Report Village", 0,
                                                                       date(2026, 4, 15))
    assert (row.capacity, row.booked, row.held, row.free) == (12, 5, 2, 5)
    assert (row.admitted, row.paid, row.due) == (4, 900000, 600000)


def test_today_lists_eight_local_days_in_each_villages_time_zone(dbsession, operator, pottery):
    # NOW is 10:00 on 15 April in Hà Nội: 00:30 on the 15th is today there, 23:30 on the 22nd the last day.
    starts = [local(2026, 4, 14, 23, 30), local(2026, 4, 15, 0, 30), local(2026, 4, 16, 7),
              local(2026, 4, 22, 23, 30), local(2026, 4, 23, 0, 30)]
    for moment in starts:
        make_session(dbsession, pottery, moment)
    rows = services.today_sessions(dbsession, operator_id=operator.id, now=NOW, locale="vi")
    assert [(r.local_day, r.day_offset) for r in rows] == [
        (date(2026, 4, 15), 0), (date(2026, 4, 16), 1), (date(2026, 4, 22), 7)]
    assert rows[0].title == "Nặn gốm"


def test_today_marks_cancelled_and_closed_sessions_with_no_free_seats(dbsession, operator, pottery):
    cancelled = make_session(dbsession, pottery, local(2026, 4, 15, 14), status=SessionStatus.CANCELLED)
    closure = Closure(village_id=pottery.village_id, starts_on=date(2026, 4, 16), ends_on=date(2026, 4, 16),
                      reason="Tết")
    dbsession.add(closure)
    dbsession.flush()
    make_session(dbsession, pottery, local(2026, 4, 16, 14), closure_id=closure.id)
    first, second = services.today_sessions(dbsession, operator_id=operator.id, now=NOW, locale="en")
    assert first.session_id == cancelled.id and first.cancelled and first.free == 0
    assert second.closed and not second.cancelled and second.free == 0


def _statements(dbsession, work) -> int:
    statements = []

    def listener(*args):
        statements.append(args[2])

    engine = dbsession.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        dbsession.expire_all()
        work()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def test_today_reads_the_same_few_statements_however_many_sessions(dbsession, operator, village, pottery, tea):
    def read():
        return services.today_sessions(dbsession, operator_id=operator.id, now=NOW, locale="en")

    book(dbsession, make_session(dbsession, pottery, local(2026, 4, 15, 14)), {"adult": 1}, paid=300000)
    one = _statements(dbsession, read)
    for day in range(16, 23):
        for experience in (pottery, tea):
            session = make_session(dbsession, experience, local(2026, 4, day, 8))
            book(dbsession, session, {"adult": 2}, paid=400000)
            book(dbsession, session, {"adult": 1}, status=HELD, hold_until=NOW + timedelta(minutes=5))
    many = _statements(dbsession, read)
    assert len(read()) == 15
    assert many == one <= 8


def test_reports_read_the_same_few_statements_however_many_sessions(dbsession, operator, pottery, tea):
    def read():
        services.experience_report(dbsession, operator_id=operator.id, period=MARCH, locale="en")
        services.visitor_report(dbsession, operator_id=operator.id, period=MARCH)
        services.village_statistics(dbsession, operator_id=operator.id, period=MARCH, now=NOW, locale="en")

    book(dbsession, make_session(dbsession, pottery, local(2026, 3, 2, 9)), {"adult": 1}, paid=300000)
    one = _statements(dbsession, read)
    for day in range(3, 20):
        for experience in (pottery, tea):
            book(dbsession, make_session(dbsession, experience, local(2026, 3, day, 9)), {"adult": 1}, paid=300000,
                 country=("KR", "VN", "FR")[day % 3])
    assert _statements(dbsession, read) == one


def test_today_ignores_another_operators_sessions(dbsession, operator, pottery):
    other_village = make_village(dbsession, slug="lang-khac", texts={"vi": "Làng Khác", "en": "Other"})
    make_operator(dbsession, "htx-khac", villages=[other_village])
    theirs = make_experience(dbsession, other_village, "khac-gom")
    make_session(dbsession, theirs, local(2026, 4, 15, 14))
    mine = make_session(dbsession, pottery, local(2026, 4, 15, 15))
    assert [r.session_id for r in services.today_sessions(dbsession, operator_id=operator.id, now=NOW,
                                                          locale="en")] == [mine.id]

