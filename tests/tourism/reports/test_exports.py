"""The report files. CSV: UTF-8 with a byte order mark (Excel in Vietnam reads the names right), CRLF,
ISO dates, whole dong as plain integers, every experience in every week, and no text that a
spreadsheet would run as a formula. Excel: the same table, numbers as numbers, texts as
texts (never formulas), the header bold and frozen."""
import csv
import io
from collections import Counter
from datetime import date

import openpyxl

from tourism.reports import exports
from tourism.reports.services import (
    Bucket,
    ExperienceInfo,
    ExperienceReport,
    Figures,
    Grain,
    Period,
    VillageMonth,
    VillageStatistics,
    VisitorCount,
    VisitorReport,
)


def rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text)))


def same(text):
    return str(text)


def test_the_experience_file_has_every_experience_in_every_week():
    period = Period(date(2026, 3, 1), date(2026, 3, 10), Grain.WEEK)
    gom = ExperienceInfo(1, "gom", "Nặn gốm Bát Tràng", 5, "Bát Tràng")
    che = ExperienceInfo(2, "che", "=HYPERLINK(\"x\")", 5, "Bát Tràng")
    report = ExperienceReport(period, period.buckets(), [gom, che], {
        (1, date(2026, 3, 2)): Figures(bookings=2, guests=5, cancelled=1, paid=1500000, refunded=300000, sessions=2,
                                       booked_seats=5, capacity=20)})
    header, *lines = rows(exports.csv_bytes(*exports.experiences_table(report, same)))
    assert header[:4] == ["First day", "Last day", "Experience", "Village"] and header[-1] == "Occupancy (%)"
    assert len(lines) == 3 * 2  # weeks of 23 Feb (cut), 2 Mar and 9 Mar (cut), both experiences
    assert lines[0][:4] == ["2026-03-01", "2026-03-01", "Nặn gốm Bát Tràng", "Bát Tràng"]
    assert lines[1][2] == "'=HYPERLINK(\"x\")"  # a formula-looking name stays text
    week = lines[2]
    assert week[:2] == ["2026-03-02", "2026-03-08"]
    assert week[4:] == ["2", "5", "1", "1500000", "300000", "1200000", "2", "5", "20", "25"]
    assert lines[3][4:] == ["0", "0", "0", "0", "0", "0", "0", "0", "0", ""]  # no sessions: no occupancy


def test_the_visitor_file_names_languages_and_countries_with_their_codes():
    report = VisitorReport([VisitorCount("ko", 2, 5), VisitorCount("vi", 1, 2)],
                           [VisitorCount("KR", 2, 5), VisitorCount("VN", 1, 2)])
    header, *lines = rows(exports.csv_bytes(*exports.visitors_table(
        report, same, {"ko": "Tiếng Hàn", "vi": "Tiếng Việt"}.get, {"KR": "Hàn Quốc", "VN": "Việt Nam"}.get)))
    assert header == ["Grouped by", "Code", "Name", "Bookings", "Visitors"]
    assert lines == [["Language", "ko", "Tiếng Hàn", "2", "5"], ["Language", "vi", "Tiếng Việt", "1", "2"],
                     ["Country", "KR", "Hàn Quốc", "2", "5"], ["Country", "VN", "Việt Nam", "1", "2"]]


def test_the_village_file_is_one_count_a_row():
    month = VillageMonth(date(2026, 3, 1), sessions_run=4, sessions_cancelled=1, bookings=6, visitors=15,
                         by_country=Counter({"VN": 9, "KR": 6}), by_language=Counter({"vi": 9, "ko": 6}))
    stats = [VillageStatistics(5, "bat-trang", "Bát Tràng", "Hà Nội", [month])]
    header, *lines = rows(exports.csv_bytes(*exports.villages_table(
        stats, same, {"vi": "Tiếng Việt", "ko": "Tiếng Hàn"}.get, {"VN": "Việt Nam", "KR": "Hàn Quốc"}.get)))
    assert header == ["Month", "Village", "Province", "Measure", "Code", "Name", "Count"]
    assert [line[3:] for line in lines] == [
        ["Sessions run", "", "", "4"], ["Sessions cancelled", "", "", "1"], ["Bookings", "", "", "6"],
        ["Visitors", "", "", "15"], ["Visitors by country", "VN", "Việt Nam", "9"],
        ["Visitors by country", "KR", "Hàn Quốc", "6"], ["Visitors by language", "vi", "Tiếng Việt", "9"],
        ["Visitors by language", "ko", "Tiếng Hàn", "6"]]
    assert all(line[:3] == ["2026-03", "Bát Tràng", "Hà Nội"] for line in lines)


def test_file_names_say_what_and_when():
    period = Period(date(2026, 3, 1), date(2026, 3, 31), Grain.MONTH)
    assert exports.filename("bookings", period) == "bookings-2026-03-01-2026-03-31-month.csv"
    assert Bucket(date(2026, 3, 2), date(2026, 3, 2), date(2026, 3, 8), Grain.WEEK).whole


def test_the_workbook_holds_the_same_table_with_numbers_and_plain_texts():
    header = ["Experience", "Guests", "Occupancy (%)"]
    table = [["=HYPERLINK(\"x\")", 5, 25], ["Nặn gốm", 0, None]]
    sheet = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(header, table, "Bookings " * 5))).active
    assert sheet.title == ("Bookings " * 5)[:31]  # Excel's limit for a sheet's name
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        header, ["=HYPERLINK(\"x\")", 5, 25], ["Nặn gốm", 0, ""]]
    assert sheet["A2"].data_type == "s"  # a text, not a formula
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
