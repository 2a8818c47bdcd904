"""The console's Today page and Reports through WebTest: what the staff see and tap, the
charts beside tables holding the same numbers, the CSV downloads, bad periods refused with
a message, reports for the operator's owners only, and another operator's people refused
on every URL (or shown none of its rows)."""
import csv
import io
import re
from datetime import datetime, timezone

import openpyxl
import pytest
from pyramid.interfaces import IRoutesMapper

from tests.factories import make_experience, make_operator, make_session, make_staff, make_village, sign_in
from tests.pages import readable_text, soup
from tests.tourism.reports.factories import book, local
from tourism.booking.models import BookingStatus
from tourism.booking.services import format_reference

NOW = datetime(2026, 4, 15, 3, 0, tzinfo=timezone.utc)  # 10:00 on Wednesday 15 April in Hà Nội
EN = {"Accept-Language": "en"}
MARCH = {"from": "2026-03-01", "to": "2026-03-31", "by": "week"}
URLS = ("/console/reports", "/console/reports/bookings.csv", "/console/reports/visitors.csv",
        "/console/reports/village-statistics.csv", "/console/reports/bookings.xlsx", "/console/reports/visitors.xlsx",
        "/console/reports/village-statistics.xlsx")


@pytest.fixture
def march(dbsession, pottery, tea):
    """Bookings in March: pottery on Tuesday 10th (2 paid, 1 to pay at the village, 1 cancelled
    and half refunded, 1 still paying) and tea on Friday 20th (3 Korean guests)."""
    pottery_day = make_session(dbsession, pottery, local(2026, 3, 10, 9), capacity=10)
    tea_day = make_session(dbsession, tea, local(2026, 3, 20, 7), capacity=6)
    return {
        "paid": book(dbsession, pottery_day, {"adult": 2}, paid=600000, name="Trần Văn Đức",
                     email="duc@example.com", phone="+84 913 000 111"),
        "cash": book(dbsession, pottery_day, {"adult": 1}, due_on_site=True, name="Lê Thị Hoa",
                     email="hoa@example.com", phone="+84 913 000 222"),
        "cancelled": book(dbsession, pottery_day, {"adult": 1}, status=BookingStatus.CANCELLED, paid=300000,
                          refunded=150000, name="Phạm Bỏ Về", email="bove@example.com"),
        "held": book(dbsession, pottery_day, {"adult": 1}, status=BookingStatus.HELD, name="Đỗ Còn Giữ"),
        "korean": book(dbsession, tea_day, {"adult": 3}, paid=600000, locale="ko", country="KR", name="김민준",
                       email="minjun@example.kr", phone="+82 10 1234 5678"),
    }


@pytest.fixture
def today_session(dbsession, pottery):
    session = make_session(dbsession, pottery, local(2026, 4, 15, 14), capacity=12)
    book(dbsession, session, {"adult": 2}, paid=600000, name="Vũ Hôm Nay")
    book(dbsession, session, {"adult": 1}, due_on_site=True, name="Ngô Trả Sau")
    return session


@pytest.fixture
def other(dbsession):
    """Another operator, its village, a March session with a booking, and its owner."""
    village = make_village(dbsession, slug="lang-khac", texts={"vi": "Làng Khác", "en": "Other Village"})
    operator = make_operator(dbsession, "htx-khac", villages=[village])
    experience = make_experience(dbsession, village, "khac-det", texts={"vi": "Dệt lụa khác", "en": "Other silk"})
    book(dbsession, make_session(dbsession, experience, local(2026, 3, 10, 9)), {"adult": 2}, paid=600000,
         name="Người Khác", locale="fr", country="FR")
    today = make_session(dbsession, experience, local(2026, 4, 15, 9))
    make_staff(dbsession, operator, email="owner@khac.example", role="owner")
    return {"village": village, "operator": operator, "today": today}


def as_user(testapp, email):
    testapp.reset()
    sign_in(testapp, email)
    return testapp


@pytest.fixture
def owner_app(app_at, dbsession, operator):
    make_staff(dbsession, operator, email="owner@bao-cao.example", role="owner")
    return as_user(app_at, "owner@bao-cao.example")


@pytest.fixture
def staff_app(app_at, dbsession, operator):
    make_staff(dbsession, operator, email="staff@bao-cao.example")
    return as_user(app_at, "staff@bao-cao.example")


def csv_rows(response) -> list[list[str]]:
    assert response.body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.body[3:].decode("utf-8"))))


# --- Today --------------------------------------------------------------------------------------

def test_today_shows_each_sessions_seats_check_in_and_money_with_its_links(staff_app, today_session):
    page = staff_app.get("/console/today", headers=EN)
    assert "no-store" in page.headers["Cache-Control"]
    (card,) = soup(page).select(".rp-session")
    text = card.get_text(" ", strip=True)
    assert "2:00\u202fPM · Pottery" in text and "Report Village" in text
    figures = {dt.get_text(strip=True): dd.get_text(" ", strip=True)
               for dt, dd in zip(card.select("dt"), card.select("dd"))}
    assert figures == {"Booked": "3", "Still paying": "0", "Free": "9 / 12"}
    assert "0 of 3 checked in" in text
    assert "Paid: ₫600,000" in text and "To collect: ₫300,000" in text
    links = [a["href"] for a in card.select("a")]
    assert f"/console/sessions/{today_session.id}/checkin" in links
    assert f"/console/sessions/{today_session.id}/manifest.pdf" in links
    mapper = staff_app.app.registry.queryUtility(IRoutesMapper)
    has_session_page = mapper.get_route("booking.console.session") is not None
    assert any(re.fullmatch(rf"/console/sessions/{today_session.id}/?", href) for href in links) == has_session_page
    assert staff_app.get(f"/console/sessions/{today_session.id}/manifest.pdf").content_type == "application/pdf"
    assert staff_app.get(f"/console/sessions/{today_session.id}/checkin").status_int == 200
    summary = soup(page).select_one(".rp-summary").get_text(" ", strip=True)
    assert "Guests expected 3" in summary and "To collect ₫300,000" in summary


def test_today_without_sessions_says_so(staff_app):
    page = staff_app.get("/console/today", headers=EN)
    assert "No sessions today." in page.text and "No sessions in the next 7 days either." in page.text


def test_today_is_the_first_link_of_the_console(staff_app):
    links = [a["href"] for a in soup(staff_app.get("/console", headers=EN)).select(".console-links a")]
    assert links[0] == "/console/today"
    assert "/console/reports" in links


def test_today_in_vietnamese_names_things_in_vietnamese(staff_app, today_session):
    page = staff_app.get("/console/today", headers={"Accept-Language": "vi"})
    assert page.html.find("html")["lang"] == "vi"
    assert "Nặn gốm" in page.text and "Làng Báo Cáo" in page.text and "300.000\xa0₫" in page.text


# --- Reports ------------------------------------------------------------------------------------

def chart_and_table(page, key: str):
    """The chart's bars {(series, row): value} and the table's {(column, row): value} of one section."""
    html = soup(page)
    svg = html.select_one(f"svg#rp-chart-{key}")
    table = html.select_one(f'table[data-chart="rp-chart-{key}"]')
    assert svg is not None and table is not None
    bars = {(int(g["data-series"]), int(r["data-index"])): int(r["data-value"])
            for g in svg.select("g[data-series]") for r in g.select("rect")}
    cells = {}
    for row_index, row in enumerate(table.select("tbody tr")):
        for column, cell in enumerate(row.select("td[data-value]")):
            if cell["data-value"] != "":
                cells[(column, row_index)] = int(cell["data-value"])
    return bars, cells, svg, table


def test_the_reports_open_on_last_month_with_each_chart_beside_its_numbers(owner_app, march):
    page = owner_app.get("/console/reports", headers=EN)
    assert "no-store" in page.headers["Cache-Control"]
    html = soup(page)
    assert html.select_one("#rp-from")["value"] == "2026-03-01" and html.select_one("#rp-to")["value"] == "2026-03-31"
    for key in ("bookings", "paid", "refunds", "occupancy", "languages", "countries"):
        bars, cells, svg, table = chart_and_table(page, key)
        assert svg["role"] == "img" and svg.title.get_text() and svg.desc.get_text()
        assert bars == cells, key
        assert table.caption.get_text(strip=True)
    bookings, _cells, _svg, table = chart_and_table(page, "bookings")
    columns = [th.get_text(strip=True) for th in table.select("thead th")]
    assert columns == ["Period", "Pottery", "Tea picking", "All experiences"]
    weeks = [th.get_text(strip=True) for th in table.select("tbody th")]
    assert weeks[0] == "Mar 1, 2026" and weeks[2] == "Mar 9\u2009–\u200915, 2026" and len(weeks) == 6
    assert bookings == {(0, i): n for i, n in enumerate([0, 0, 2, 0, 0, 0])} | \
        {(1, i): n for i, n in enumerate([0, 0, 0, 1, 0, 0])}
    paid, _cells, _svg, _table = chart_and_table(page, "paid")
    assert paid[(0, 2)] == 900000 and paid[(1, 3)] == 600000
    refunds, _cells, _svg, _table = chart_and_table(page, "refunds")
    assert refunds[(0, 2)] == 150000
    occupancy, _cells, _svg, table = chart_and_table(page, "occupancy")
    assert occupancy[(0, 2)] == 30 and occupancy[(1, 3)] == 50 and (0, 0) not in occupancy
    assert "30% (3 of 10 seats)" in table.get_text(" ", strip=True)
    languages, _cells, _svg, table = chart_and_table(page, "languages")
    assert languages == {(0, 0): 3, (0, 1): 3}
    assert [th.get_text(strip=True) for th in table.select("tbody th")] == ["Korean", "Vietnamese"]
    totals = table.select_one("tfoot").get_text(" ", strip=True)
    assert totals == "Total 3 6"  # bookings, visitors


def test_a_month_view_of_a_chosen_period(owner_app, march):
    page = owner_app.get("/console/reports", {"from": "2026-02-01", "to": "2026-04-30", "by": "month"}, headers=EN)
    _bars, _cells, _svg, table = chart_and_table(page, "bookings")
    assert [th.get_text(strip=True) for th in table.select("tbody th")] == ["February 2026", "March 2026",
                                                                            "April 2026"]
    assert soup(page).select_one("#rp-by-month").has_attr("checked")


def test_a_wrong_period_is_refused_with_a_message_and_no_report(owner_app, march):
    page = owner_app.get("/console/reports", {"from": "31/02/2026", "to": "2026-03-31", "by": "week"},
                         headers=EN, status=400)
    assert "Enter the first day as a date" in page.text
    assert soup(page).select_one("#rp-from")["aria-invalid"] == "true"
    assert soup(page).select_one("#rp-from")["value"] == "31/02/2026"
    assert not soup(page).select("svg.rp-svg") and "Pottery" not in page.text
    download = owner_app.get("/console/reports/bookings.csv", {"from": "2026-03-31", "to": "2026-03-01",
                                                               "by": "week"}, headers=EN, status=400)
    assert download.content_type == "text/html" and "The last day must be on or after the first day." in download.text


def test_a_period_without_sessions_says_so(owner_app, march):
    page = owner_app.get("/console/reports", {"from": "2025-01-01", "to": "2025-01-31", "by": "week"}, headers=EN)
    assert "None of your experiences had a session in this period." in page.text
    assert not soup(page).select("svg.rp-svg")


def test_the_bookings_file_downloads_for_excel(owner_app, march):
    page = owner_app.get("/console/reports", MARCH, headers=EN)
    href = next(a["href"] for a in soup(page).select(".rp-downloads a") if "bookings.csv" in a["href"])
    response = owner_app.get(href, headers=EN)
    assert response.content_type == "text/csv" and response.charset == "utf-8"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="bookings-2026-03-01-2026-03-31-week.csv"'
    assert "no-store" in response.headers["Cache-Control"]
    header, *rows = csv_rows(response)
    assert header[:3] == ["First day", "Last day", "Experience"]
    week = next(row for row in rows if row[0] == "2026-03-09" and row[2] == "Pottery")
    assert week[1] == "2026-03-15" and week[4:10] == ["2", "3", "1", "900000", "150000", "750000"]
    assert week[-1] == "30"


def test_the_bookings_workbook_opens_in_excel_with_numbers_as_numbers(owner_app, march):
    """The .xlsx beside each CSV: one sheet, the header in bold and frozen, money and counts as
    numbers (a CSV opened by an Excel set to Vietnamese puts each row in one column)."""
    page = owner_app.get("/console/reports", MARCH, headers={"Accept-Language": "vi"})
    links = soup(page).select(".rp-downloads a")
    assert len(links) == 6 and sum(a["href"].split("?")[0].endswith(".xlsx") for a in links) == 3
    href = next(a["href"] for a in links if "bookings.xlsx" in a["href"])
    response = owner_app.get(href, headers={"Accept-Language": "vi"})
    assert response.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="bookings-2026-03-01-2026-03-31-week.xlsx"'
    assert "no-store" in response.headers["Cache-Control"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.body)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["Ngày đầu", "Ngày cuối", "Trải nghiệm"] and sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    week = next(row for row in rows[1:] if row[0] == "2026-03-09" and row[2] == "Nặn gốm")
    assert week[4:10] == [2, 3, 1, 900000, 150000, 750000] and week[-1] == 30
    # The same table as the CSV file, cell for cell.
    as_csv = csv_rows(owner_app.get(href.replace(".xlsx", ".csv"), headers={"Accept-Language": "vi"}))
    assert [["" if value is None else str(value) for value in row] for row in rows] == as_csv


def test_the_village_statistics_workbook_names_its_sheet(owner_app, march):
    response = owner_app.get("/console/reports/village-statistics.xlsx", MARCH, headers=EN)
    book = openpyxl.load_workbook(io.BytesIO(response.body))
    assert book.sheetnames == ["Village statistics"]
    assert response.headers["Content-Disposition"].endswith('-month.xlsx"')


def test_the_files_name_things_in_the_staff_members_language(owner_app, march):
    response = owner_app.get("/console/reports/bookings.csv", MARCH, headers={"Accept-Language": "vi"})
    assert any(row[2] == "Nặn gốm" and row[3] == "Làng Báo Cáo" for row in csv_rows(response))
    visitors = csv_rows(owner_app.get("/console/reports/visitors.csv", MARCH, headers={"Accept-Language": "vi"}))
    assert ["KR", "Hàn Quốc", "1", "3"] in [row[1:] for row in visitors]


def test_the_village_statistics_hold_counts_and_no_personal_data(owner_app, march):
    response = owner_app.get("/console/reports/village-statistics.csv", MARCH, headers=EN)
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="village-statistics-2026-03-01-2026-03-31-month.csv"'
    header, *rows = csv_rows(response)
    assert header == ["Month", "Village", "Province", "Measure", "Code", "Name", "Count"]
    counts = {(row[3], row[4]): row[6] for row in rows}
    assert all(row[:3] == ["2026-03", "Report Village", "Tỉnh Báo Cáo"] for row in rows)
    assert counts[("Sessions run", "")] == "2" and counts[("Visitors", "")] == "6"
    assert counts[("Visitors by country", "KR")] == "3" and counts[("Visitors by language", "vi")] == "3"
    text = response.body.decode("utf-8")
    for booking in march.values():
        for personal in (booking.contact_name, booking.contact_email, booking.contact_phone, booking.reference,
                         format_reference(booking.reference)):
            assert personal not in text
    assert "@" not in text and "+84" not in text


def test_an_admin_sees_every_operators_experiences(app_at, dbsession, march, other):
    make_staff(dbsession, None, email="admin@example.com")
    page = as_user(app_at, "admin@example.com").get("/console/reports", MARCH, headers=EN)
    columns = [th.get_text(strip=True) for th in soup(page).select('table[data-chart="rp-chart-bookings"] thead th')]
    assert "Pottery (Report Village)" in columns and "Other silk (Other Village)" in columns
    today = app_at.get("/console/today", headers=EN).text
    assert "Other silk" in today


def test_one_of_several_villages_can_be_chosen(owner_app, dbsession, operator, march):
    second = make_village(dbsession, slug="lang-thu-hai", texts={"vi": "Làng Thứ Hai", "en": "Second Village"})
    second.operator_id = operator.id
    weaving = make_experience(dbsession, second, "thu-hai-det", texts={"vi": "Dệt", "en": "Weaving"})
    book(dbsession, make_session(dbsession, weaving, local(2026, 3, 5, 9)), {"adult": 1}, paid=300000)
    both = owner_app.get("/console/reports", MARCH, headers=EN)
    options = [o.get_text(strip=True) for o in soup(both).select("#rp-village option")]
    assert options == ["All my villages", "Report Village", "Second Village"]
    assert "Weaving (Second Village)" in both.text and "Pottery (Report Village)" in both.text
    one = owner_app.get("/console/reports", dict(MARCH, village=str(second.id)), headers=EN)
    assert "Weaving" in one.text and "Pottery" not in one.text
    links = [a["href"] for a in soup(one).select(".rp-downloads a")]
    assert all(f"village={second.id}" in href for href in links)


# --- who may see what ---------------------------------------------------------------------------

def test_the_operators_staff_run_today_but_reports_are_for_owners(staff_app, march):
    assert staff_app.get("/console/today").status_int == 200
    for url in URLS:
        staff_app.get(url, MARCH, status=403)


def test_another_operators_owner_sees_none_of_ours(app_at, march, today_session, other):
    app = as_user(app_at, "owner@khac.example")
    today = app.get("/console/today", headers=EN)
    assert "Pottery" not in today.text and "Vũ Hôm Nay" not in today.text
    assert f"/console/sessions/{today_session.id}/" not in today.text
    assert "Other silk" in today.text
    page = app.get("/console/reports", MARCH, headers=EN)
    assert "Pottery" not in page.text and "Tea picking" not in page.text and "Other silk" in page.text
    assert "Korean" not in page.text
    for url in URLS[1:]:
        body = readable_text(app.get(url, MARCH, headers=EN))
        assert "Pottery" not in body and "Report Village" not in body and "KR" not in body


def test_another_operators_village_is_refused_on_every_url(app_at, march, village, other):
    app = as_user(app_at, "owner@khac.example")
    for url in URLS:
        app.get(url, dict(MARCH, village=str(village.id)), status=403)
        app.get(url, dict(MARCH, village="999999"), status=404)
        app.get(url, dict(MARCH, village="1; DROP TABLE villages"), status=404)
    assert app.get("/console/reports", dict(MARCH, village=str(other["village"].id))).status_int == 200


def test_strangers_are_asked_to_sign_in(app_at, march):
    for url in ("/console/today",) + URLS:
        response = app_at.get(url)
        assert response.status_int == 303 and "/console/sign-in?next=" in response.location


def test_the_pages_only_read(owner_app, march):
    """Every report is a GET: a POST changes nothing and is not answered."""
    for url in ("/console/today",) + URLS:
        owner_app.post(url, {}, status=(400, 403, 404, 405))


def test_later_days_fold_away_with_their_counts(staff_app, dbsession, pottery, today_session):
    tomorrow = make_session(dbsession, pottery, local(2026, 4, 16, 9))
    later = make_session(dbsession, pottery, local(2026, 4, 20, 9))
    book(dbsession, later, {"adult": 4}, paid=1200000)
    html = soup(staff_app.get("/console/today", headers=EN))
    headings = [h.get_text(strip=True) for h in html.select("main h2")]
    assert headings[1:] == ["Today · Wed, Apr 15", "Tomorrow · Thu, Apr 16", "Later this week"]
    (day,) = html.select("details.rp-day")
    assert not day.has_attr("open")
    assert day.summary.get_text(" ", strip=True) == "Mon, Apr 20 Sessions: 1 · Booked: 4"
    assert f"/console/sessions/{later.id}/checkin" in [a["href"] for a in day.select("a")]
    assert tomorrow.id != later.id
