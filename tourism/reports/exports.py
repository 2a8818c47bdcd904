"""The reports as files an operator opens in Excel, Google Sheets or LibreOffice, or sends on:
each report is one table (a header and rows), written as CSV or as an Excel workbook.

Excel workbooks (.xlsx, by XlsxWriter) open right whatever the computer's regional
settings: a CSV file opened in an Excel set to Vietnamese (or French) puts every row in one
column, as those settings expect semicolons. In the workbook numbers are numbers, the header
stays in view and the columns are wide enough to read.

CSV: UTF-8 with a byte order mark, so Excel (which otherwise guesses a Windows code page) shows
Vietnamese names right; commas and CRLF line ends (RFC 4180); dates in ISO 8601; money in
whole dong as plain integers, without separators or a currency sign; headers and names in
the staff member's language, codes (ISO countries, language tags) beside the names for
whoever adds the files up by program. A text that starts like a formula is quoted, so a
name can never run as one in a spreadsheet.
"""
import csv
import io
from collections.abc import Callable, Iterable

import xlsxwriter

from tourism.i18n import _
from tourism.reports.services import ExperienceReport, Period, VillageStatistics, VisitorReport

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


Table = tuple[list[str], list[list]]  # a header, and rows as long as it


def csv_bytes(header: list[str], rows: Iterable[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_cell(name) for name in header])
    writer.writerows([_cell(value) for value in row] for row in rows)
    return (BOM + buffer.getvalue()).encode("utf-8")


# Excel's widest column, in characters; and its sheet names' limit.
MAX_COLUMN_WIDTH, MAX_SHEET_NAME = 60, 31


def xlsx_bytes(header: list[str], rows: list[list], sheet: str) -> bytes:
    """One sheet: the header in bold and frozen, each column as wide as its longest cell.
    Texts are written as texts (`write_string`), so none can become a formula."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    page = book.add_worksheet(sheet[:MAX_SHEET_NAME])
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    widths = [len(name) for name in header]
    for column, name in enumerate(header):
        page.write_string(0, column, name, bold)
    for line, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, int | float):
                text = "" if value is None else str(value)
                page.write_string(line, column, text)
            else:
                text = str(value)
                page.write_number(line, column, value)
            widths[column] = max(widths[column], len(text))
    for column, width in enumerate(widths):
        page.set_column(column, column, min(width + 2, MAX_COLUMN_WIDTH))
    page.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def filename(kind: str, period: Period, extension: str = "csv") -> str:
    """"bookings-2026-03-01-2026-03-31-week.csv"."""
    return f"{kind}-{period.first.isoformat()}-{period.last.isoformat()}-{period.grain.value}.{extension}"


EXPERIENCE_COLUMNS = (
    _("First day"), _("Last day"), _("Experience"), _("Village"), _("Bookings"), _("Guests"),
    _("Cancelled bookings"), _("Paid (VND)"), _("Refunds (VND)"), _("Kept (VND)"), _("Sessions run"),
    _("Booked seats"), _("Capacity"), _("Occupancy (%)"),
)


def experiences_table(report: ExperienceReport, translate: Callable) -> Table:
    """One row per week (or month) and experience, every experience in every week."""
    rows = []
    for bucket in report.buckets:
        for experience in report.experiences:
            f = report.cell(experience.id, bucket.key)
            rows.append([bucket.first.isoformat(), bucket.last.isoformat(), experience.title, experience.village,
                         f.bookings, f.guests, f.cancelled, f.paid, f.refunded, f.kept, f.sessions, f.booked_seats,
                         f.capacity, f.occupancy])
    return [translate(name) for name in EXPERIENCE_COLUMNS], rows


def visitors_table(report: VisitorReport, translate: Callable, language_name: Callable,
                   country_name: Callable) -> Table:
    """Visitors (and bookings) by the language they booked in, then by their country."""
    rows = [[translate(_("Language")), c.code, language_name(c.code), c.bookings, c.visitors]
            for c in report.languages]
    rows += [[translate(_("Country")), c.code, country_name(c.code), c.bookings, c.visitors]
             for c in report.countries]
    header = [_("Grouped by"), _("Code"), _("Name"), _("Bookings"), _("Visitors")]
    return [translate(name) for name in header], rows


def villages_table(statistics: list[VillageStatistics], translate: Callable, language_name: Callable,
                   country_name: Callable) -> Table:
    """Counts per village and month, one number a row (easy to pivot): sessions run and
    cancelled, bookings, visitors, then visitors by country and by language. No names of
    people, no contacts, nothing about any one booking."""
    measures = {key: translate(label) for key, label in (
        ("sessions_run", _("Sessions run")), ("sessions_cancelled", _("Sessions cancelled")),
        ("bookings", _("Bookings")), ("visitors", _("Visitors")), ("country", _("Visitors by country")),
        ("language", _("Visitors by language")))}
    rows = []
    for village in statistics:
        for month in village.months:
            where = [f"{month.month:%Y-%m}", village.name, village.province]
            for key in ("sessions_run", "sessions_cancelled", "bookings", "visitors"):
                rows.append(where + [measures[key], "", "", getattr(month, key)])
            for code, count in sorted(month.by_country.items(), key=lambda item: (-item[1], item[0])):
                rows.append(where + [measures["country"], code, country_name(code), count])
            for code, count in sorted(month.by_language.items(), key=lambda item: (-item[1], item[0])):
                rows.append(where + [measures["language"], code, language_name(code), count])
    header = [_("Month"), _("Village"), _("Province"), _("Measure"), _("Code"), _("Name"), _("Count")]
    return [translate(name) for name in header], rows

