"""What the Today and Reports templates get: the services' plain data put in words, numbers
and charts in the staff member's language. No queries here."""
from datetime import date
from urllib.parse import urlencode

from babel import Locale
from babel.dates import format_interval, format_skeleton
from babel.numbers import format_compact_decimal, format_percent
from pyramid.interfaces import IRoutesMapper

from tourism.i18n import _
from tourism.reports import charts
from tourism.reports.services import Bucket, DaySession, ExperienceReport, Figures, Grain, Period, VisitorReport

SESSION_ROUTE = "booking.console.session"  # a session's own console page (its bookings), when installed


def route_exists(request, name: str) -> bool:
    mapper = request.registry.queryUtility(IRoutesMapper)
    return mapper is not None and mapper.get_route(name) is not None


def session_path(request, session_id: int) -> str | None:
    """The session's page in the console (its bookings), once that page exists (None before)."""
    if not route_exists(request, SESSION_ROUTE):
        return None
    try:
        return request.route_path(SESSION_ROUTE, session_id=session_id)
    except KeyError:  # the route names its id differently: no link rather than a broken one
        return None


# --- Today -------------------------------------------------------------------------------------

def day_heading(request, day: DaySession):
    label = request.fmt.day_label(day.local_day)
    if day.day_offset == 0:
        return _("Today · ${day}", mapping={"day": label})
    if day.day_offset == 1:
        return _("Tomorrow · ${day}", mapping={"day": label})
    return label


def today(request, sessions: list[DaySession]) -> dict:
    fmt = request.fmt
    days = []
    for one in sessions:
        if not days or days[-1]["offset"] != one.day_offset:
            days.append({"offset": one.day_offset, "heading": day_heading(request, one), "sessions": []})
        days[-1]["sessions"].append({
            "id": one.session_id,
            "time": fmt.local_time(one.starts_at, one.time_zone),
            "title": one.title,
            "village": one.village,
            "cancelled": one.cancelled,
            "closed": one.closed,
            "capacity": fmt.number(one.capacity),
            "booked": fmt.number(one.booked),
            "held": fmt.number(one.held),
            "free": fmt.number(one.free),
            "admitted": one.admitted,
            "expected": one.booked,
            "checkin": _("${admitted} of ${expected} checked in",
                         mapping={"admitted": fmt.number(one.admitted), "expected": fmt.number(one.booked)}),
            "paid": fmt.money(one.paid),
            "due": fmt.money(one.due),
            "has_due": one.due > 0,
            "session_path": session_path(request, one.session_id),
        })
    for day in days:
        on = [one for one in sessions if one.day_offset == day["offset"]]
        day["count"] = _("Sessions: ${sessions} · Booked: ${guests}", mapping={
            "sessions": fmt.number(len(on)), "guests": fmt.number(sum(one.booked for one in on))})
    today_sessions = [one for one in sessions if one.day_offset == 0]
    running = [one for one in today_sessions if not (one.cancelled or one.closed)]
    summary = {
        "sessions": fmt.number(len(running)),
        "expected": fmt.number(sum(one.booked for one in running)),
        "admitted": fmt.number(sum(one.admitted for one in running)),
        "due": fmt.money(sum(one.due for one in running)),
    } if running else None
    return {"days": days, "summary": summary, "has_today": bool(today_sessions)}


# --- Reports -----------------------------------------------------------------------------------

def bucket_label(request, bucket: Bucket) -> str:
    """"March 2026", or "2 – 8 Mar 2026" for a week (or a cut month)."""
    locale = request.locale_name
    if bucket.grain == Grain.MONTH and bucket.whole:
        return request.fmt.month_title(bucket.key.year, bucket.key.month)
    if bucket.first == bucket.last:
        return format_skeleton("yMMMd", bucket.first, locale=locale)
    return format_interval(bucket.first, bucket.last, "yMMMd", locale=locale)


def axis_label(request, bucket: Bucket) -> str:
    """Short enough for under a bar: "2/3" for a week, "3/2026" for a month."""
    skeleton = "yM" if bucket.grain == Grain.MONTH else "Md"
    return format_skeleton(skeleton, bucket.first, locale=request.locale_name)


def percent(request, value: int | None) -> str:
    return "–" if value is None else format_percent(value / 100, locale=request.locale_name)


def _compact(request, value: int) -> str:
    return format_compact_decimal(value, locale=request.locale_name, fraction_digits=1)


def _metrics(request) -> list[dict]:
    """The four per-experience measures: what each shows, and how its numbers read."""
    fmt = request.fmt

    def occupancy_text(figures: Figures) -> str:
        if figures.occupancy is None:
            return "–"
        return _("${percent} (${booked} of ${capacity} seats)", mapping={
            "percent": percent(request, figures.occupancy), "booked": fmt.number(figures.booked_seats),
            "capacity": fmt.number(figures.capacity)})

    return [
        {"key": "bookings", "heading": _("Bookings"), "value": lambda f: f.bookings,
         "text": lambda f: fmt.number(f.bookings), "tick": fmt.number, "label": fmt.number,
         "explain": _("Confirmed bookings, counted on the day of their session. Bookings not paid yet are not "
                      "counted; cancelled ones are in the CSV file.")},
        {"key": "paid", "heading": _("Revenue (paid)"), "value": lambda f: f.paid,
         "text": lambda f: fmt.money(f.paid), "tick": lambda v: _compact(request, v), "label": fmt.money,
         "explain": _("Money received for the bookings of these sessions, before refunds.")},
        {"key": "refunds", "heading": _("Refunds"), "value": lambda f: f.refunded,
         "text": lambda f: fmt.money(f.refunded), "tick": lambda v: _compact(request, v), "label": fmt.money,
         "explain": _("Money given back, or still to give back, for the bookings of these sessions.")},
        {"key": "occupancy", "heading": _("Occupancy"), "value": lambda f: f.occupancy,
         "text": occupancy_text, "tick": lambda v: percent(request, v), "label": lambda v: percent(request, v),
         "explain": _("Seats booked out of the seats offered, in the sessions that ran (not cancelled, not "
                      "closed).")},
    ]


def experience_sections(request, report: ExperienceReport) -> list[dict]:
    """One section per measure: its chart, its legend and its table (the same numbers)."""
    translate = request.translate
    period = report.period
    several_villages = len({e.village_id for e in report.experiences}) > 1
    names = [f"{e.title} ({e.village})" if several_villages else e.title for e in report.experiences]
    axis = [axis_label(request, bucket) for bucket in report.buckets]
    rows_labels = [bucket_label(request, bucket) for bucket in report.buckets]
    span = {"first": request.fmt.date(period.first), "last": request.fmt.date(period.last)}
    sections = []
    for metric in _metrics(request):
        heading = translate(metric["heading"])
        value, text = metric["value"], metric["text"]
        series = [charts.Series(name, [value(report.cell(e.id, b.key)) for b in report.buckets])
                  for name, e in zip(names, report.experiences)]
        if period.grain == Grain.WEEK:
            title = _("${what} per week", mapping={"what": heading})
            description = _("One bar for each experience and week, from ${first} to ${last}. The table gives "
                            "every number.", mapping=span)
        else:
            title = _("${what} per month", mapping={"what": heading})
            description = _("One bar for each experience and month, from ${first} to ${last}. The table gives "
                            "every number.", mapping=span)
        chart = charts.bar_chart(
            chart_id=f"rp-chart-{metric['key']}", title=translate(title), description=translate(description),
            labels=axis, series=series, tick_label=metric["tick"], value_label=metric["label"])
        rows = []
        for label, bucket in zip(rows_labels, report.buckets):
            cells = [report.cell(e.id, bucket.key) for e in report.experiences]
            total = report.bucket_total(bucket.key)
            rows.append({"label": label,
                         "cells": [{"value": value(f), "text": text(f)} for f in cells],
                         "total": {"value": value(total), "text": text(total)}})
        whole = [report.experience_total(e.id) for e in report.experiences]
        everything = report.total()
        sections.append({
            "key": metric["key"], "heading": heading, "title": title, "explain": metric["explain"], "chart": chart,
            "legend": [{"color": charts.color(i), "name": name} for i, name in enumerate(names)],
            "columns": names, "rows": rows,
            "totals": {"cells": [{"value": value(f), "text": text(f)} for f in whole],
                       "total": {"value": value(everything), "text": text(everything)}},
        })
    return sections


def language_name(request, code: str) -> str:
    return request.fmt.language(code) if code else "–"


def country_name(request, code: str) -> str:
    return Locale.parse(request.locale_name).territories.get(code, code) or "–"


def visitor_sections(request, report: VisitorReport) -> list[dict]:
    """Visitors by language, then by country: a bar list and a table each."""
    fmt, translate = request.fmt, request.translate
    sections = []
    for key, heading, column, counts, name in (
            ("languages", _("Visitors by language"), _("Language"), report.languages, language_name),
            ("countries", _("Visitors by country"), _("Country"), report.countries, country_name)):
        rows = [{"code": c.code, "name": name(request, c.code), "bookings": c.bookings, "visitors": c.visitors,
                 "bookings_text": fmt.number(c.bookings), "visitors_text": fmt.number(c.visitors)} for c in counts]
        chart = charts.bar_list(
            chart_id=f"rp-chart-{key}", title=translate(heading),
            description=translate(_("The guests of confirmed bookings, the most first. The table gives every "
                                    "number.")),
            items=[(row["name"], row["visitors"]) for row in rows], value_label=fmt.number)
        sections.append({"key": key, "heading": heading, "column": column, "chart": chart, "rows": rows,
                         "total_bookings": fmt.number(sum(c.bookings for c in counts)),
                         "total_visitors": fmt.number(sum(c.visitors for c in counts))})
    return sections


def grains(request) -> list[dict]:
    return [{"value": Grain.WEEK.value, "label": request.translate(_("By week"))},
            {"value": Grain.MONTH.value, "label": request.translate(_("By month"))}]


def period_query(period: Period, village_id: int | None = None) -> dict:
    query = {"from": period.first.isoformat(), "to": period.last.isoformat(), "by": period.grain.value}
    if village_id is not None:
        query["village"] = str(village_id)
    return query


QUICK_LABELS = {
    "this_month": _("This month"),
    "last_month": _("Last month"),
    "last_3_months": _("Last 3 months"),
    "this_year": _("This year"),
}


def quick_links(request, periods: dict[str, Period], chosen: Period | None, village_id: int | None) -> list[dict]:
    path = request.route_path("reports.index")
    return [{"label": QUICK_LABELS[key], "href": f"{path}?{urlencode(period_query(period, village_id))}",
             "current": period == chosen} for key, period in periods.items()]


def downloads(request, period: Period, village_id: int | None) -> list[dict]:
    """Each report's files: an Excel workbook (opens right whatever the computer's settings) and CSV."""
    query = period_query(period, village_id)
    reports = (("experiences", _("Bookings, revenue, refunds and occupancy per experience")),
               ("visitors", _("Visitors by language and by country")),
               ("villages", _("Village statistics for the tourism office, per month: counts only, no personal data")))
    return [{"label": label,
             "xlsx": request.route_path(f"reports.{name}_xlsx", _query=query),
             "csv": request.route_path(f"reports.{name}_csv", _query=query)} for name, label in reports]


def period_title(request, period: Period) -> str:
    return format_interval(period.first, period.last, "yMMMd", locale=request.locale_name) \
        if period.first != period.last else request.fmt.date(period.first)


def day_value(day: date) -> str:
    return day.isoformat()
