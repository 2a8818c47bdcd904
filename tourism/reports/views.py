"""The console's Today page and its Reports, with their CSV files.

- /console/today: today's and the next 7 days' sessions of the operator's experiences, each
  with its seats, check-in, money, and one tap to the guest list, the scanner and the
  session's page (everyone on the operator's staff: they run the day);
- /console/reports: bookings, revenue, refunds and occupancy per experience by week or
  month, visitors by language and by country, as charts beside their tables (the operator's
  owners and admins: MANAGE);
- /console/reports/*.csv and *.xlsx: the same as CSV files or Excel workbooks, and the village
  statistics for a provincial tourism office (counts only).

Everything is narrowed to the operator's villages (an admin sees all); the period and the
village come from the query string, and a village that is not theirs is refused (403).
"""
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from tourism.accounts.permissions import CONSOLE, MANAGE, visible_operator_id
from tourism.accounts.views import no_store
from tourism.catalog.models import Village
from tourism.catalog.services import village_text, villages_run_by
from tourism.forms import Form, InvalidInput, chosen_id, raw
from tourism.i18n import _
from tourism.reports import exports, pages, services

TEMPLATES = "tourism:reports/templates/"
VIETNAM = "Asia/Ho_Chi_Minh"


def _operator_id(request) -> int | None:
    try:
        return visible_operator_id(request.identity)
    except ValueError:  # signed in, but neither an admin nor anyone's staff
        raise HTTPForbidden() from None


def _today(request, villages: list[Village]):
    """Today's date where the operator is (its first village's time zone)."""
    zone = villages[0].time_zone if villages else VIETNAM
    return request.now.astimezone(ZoneInfo(zone)).date()


def _village_id(request, villages: list[Village]) -> int | None:
    """The village the query string picks (None: all of them); 403 for one not the
    operator's, 404 for none at all."""
    text = raw(request.GET, "village")
    if not text:
        return None
    village_id = chosen_id(text)
    if village_id is None:
        raise HTTPNotFound()
    if village_id not in {v.id for v in villages}:
        raise HTTPForbidden() if request.dbsession.get(Village, village_id) is not None else HTTPNotFound()
    return village_id


# --- Today ---------------------------------------------------------------------------------------

@view_config(route_name="reports.today", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "today.jinja2")
def today_page(request):
    no_store(request)  # money and numbers of guests: never cached
    sessions = services.today_sessions(request.dbsession, operator_id=_operator_id(request), now=request.now,
                                       locale=request.locale_name)
    return pages.today(request, sessions)


# --- Reports -------------------------------------------------------------------------------------

@dataclass
class _Choice:
    """Whose villages, and which of them the query string picks (None: all)."""

    operator_id: int | None
    villages: list[Village]
    today: date
    village_id: int | None


def _choice(request) -> _Choice:
    operator_id = _operator_id(request)
    villages = villages_run_by(request.dbsession, operator_id)
    return _Choice(operator_id, villages, _today(request, villages), _village_id(request, villages))


def _form(request, choice: _Choice, period: services.Period | None, errors: dict | None = None) -> dict:
    """The period form (as typed when refused), its one-tap periods and the villages offered."""
    if period is not None:
        values = pages.period_query(period, choice.village_id)
    else:
        values = {name: raw(request.GET, name) for name in ("from", "to", "by", "village")}
    return {
        "form": Form("rp", values, errors or {}),
        "villages": [{"value": str(v.id), "label": village_text(v, request.locale_name).value.name}
                     for v in choice.villages],
        "quick": pages.quick_links(request, services.quick_periods(choice.today), period, choice.village_id),
        "grains": pages.grains(request),
        "sections": [], "visitors": [], "downloads": [], "period_title": None,
    }


def _refused(request, choice: _Choice, error: InvalidInput) -> dict:
    """The form again, saying what is wrong with the period: nothing is shown or exported."""
    request.response.status = 400
    return _form(request, choice, None, error.errors)


@view_config(route_name="reports.index", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "reports.jinja2")
def reports_page(request):
    no_store(request)
    choice = _choice(request)
    try:
        period = services.parse_period(request.GET, today=choice.today)
    except InvalidInput as error:
        return _refused(request, choice, error)
    scope = {"operator_id": choice.operator_id, "period": period, "village_id": choice.village_id}
    report = services.experience_report(request.dbsession, locale=request.locale_name, **scope)
    visitors = services.visitor_report(request.dbsession, **scope)
    return dict(_form(request, choice, period),
                sections=pages.experience_sections(request, report) if report.experiences else [],
                visitors=pages.visitor_sections(request, visitors) if visitors.languages else [],
                downloads=pages.downloads(request, period, choice.village_id),
                period_title=pages.period_title(request, period))


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(request, choice: _Choice, kind: str, title, table_of, *, monthly: bool = False):
    """A report's file: `table_of(period)` gives its table, written as an Excel workbook on the
    *.xlsx routes and as CSV on the others. A bad period is answered by the form."""
    no_store(request)
    try:
        period = services.parse_period(request.GET, today=choice.today)
    except InvalidInput as error:
        return render_to_response(TEMPLATES + "reports.jinja2", _refused(request, choice, error), request=request,
                                  response=request.response)
    header, rows = table_of(period)
    response = request.response
    if request.matched_route.name.endswith("_xlsx"):
        extension, response.content_type = "xlsx", XLSX_TYPE
        response.body = exports.xlsx_bytes(header, rows, request.translate(title))
    else:
        extension, response.content_type, response.charset = "csv", "text/csv", "utf-8"
        response.body = exports.csv_bytes(header, rows)
    named = period.whole_months() if monthly else period
    response.content_disposition = f'attachment; filename="{exports.filename(kind, named, extension)}"'
    return response


@view_config(route_name="reports.experiences_csv", request_method="GET", permission=MANAGE)
@view_config(route_name="reports.experiences_xlsx", request_method="GET", permission=MANAGE)
def experiences_file(request):
    choice = _choice(request)

    def table_of(period):
        report = services.experience_report(request.dbsession, operator_id=choice.operator_id, period=period,
                                            locale=request.locale_name, village_id=choice.village_id)
        return exports.experiences_table(report, request.translate)

    return _download(request, choice, "bookings", _("Bookings"), table_of)


def _namers(request) -> tuple:
    return (lambda code: pages.language_name(request, code)), (lambda code: pages.country_name(request, code))


@view_config(route_name="reports.visitors_csv", request_method="GET", permission=MANAGE)
@view_config(route_name="reports.visitors_xlsx", request_method="GET", permission=MANAGE)
def visitors_file(request):
    choice = _choice(request)

    def table_of(period):
        report = services.visitor_report(request.dbsession, operator_id=choice.operator_id, period=period,
                                         village_id=choice.village_id)
        return exports.visitors_table(report, request.translate, *_namers(request))

    return _download(request, choice, "visitors", _("Visitors"), table_of)


@view_config(route_name="reports.villages_csv", request_method="GET", permission=MANAGE)
@view_config(route_name="reports.villages_xlsx", request_method="GET", permission=MANAGE)
def villages_file(request):
    """Per village and month: the whole months the period touches, whatever its grain."""
    choice = _choice(request)

    def table_of(period):
        statistics = services.village_statistics(request.dbsession, operator_id=choice.operator_id, period=period,
                                                 now=request.now, locale=request.locale_name,
                                                 village_id=choice.village_id)
        return exports.villages_table(statistics, request.translate, *_namers(request))

    return _download(request, choice, "village-statistics", _("Village statistics"), table_of, monthly=True)
