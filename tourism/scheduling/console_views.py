"""An experience's schedule in the console: when it runs, previewed before anything changes.

- /console/experiences/<id>/schedule: the schedules (days of the week, start times, dates,
  seats), the extra one-off sessions, the closed days, and the coming sessions, each with its
  guests and a form to change its seats;
- adding, editing or removing a schedule, an extra session or a closure first shows a
  preview of the sessions it makes, removes, closes, opens again or gives other seats (the
  same code as saving, rolled back), then "Save". Sessions with guests in the way are listed
  with a link to each one's page, and nothing is saved until they are cancelled or moved.

Every URL loads its object in a route factory naming the operator who runs its village
(OperatorResource) and asks MANAGE, so only that operator's owners (and admins) get in.
The rules are in tourism.scheduling.editing.
"""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.interfaces import IRoutesMapper
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from tourism.accounts.permissions import MANAGE, OperatorResource, row_from_url
from tourism.accounts.views import no_store
from tourism.catalog.console_views import experience_resource, experience_title, horizon_days, village_today
from tourism.catalog.models import Experience
from tourism.forms import Form, flash, page_basics, typed
from tourism.i18n import _
from tourism.scheduling import editing
from tourism.scheduling.models import Closure, ExperienceSession, ScheduleRule, SessionStatus

TEMPLATES = "tourism:scheduling/templates/console/"
SESSION_ROUTE = "booking.console.session"  # one session's page, with its guests (tourism/booking)
LIST_DAYS = 14  # the coming sessions shown at once: two weeks
PREVIEW_LIMIT = 30  # sessions listed per kind of change; the rest are counted


# --- route factories: the object in the URL and the operator who owns it --------------------

def _owned(experience: Experience, obj) -> OperatorResource:
    return OperatorResource(experience.village.operator_id, obj)


def rule_resource(request) -> OperatorResource:
    rule = row_from_url(request, ScheduleRule, "rule_id")
    return _owned(rule.experience, rule)


def closure_resource(request) -> OperatorResource:
    closure = row_from_url(request, Closure, "closure_id")
    if closure.experience_id is None:  # a whole village's closure is not one experience's to remove
        raise HTTPNotFound()
    return _owned(request.dbsession.get(Experience, closure.experience_id), closure)


def session_resource(request) -> OperatorResource:
    session = row_from_url(request, ExperienceSession, "session_id")
    return _owned(session.experience, session)


# --- words and numbers for the pages ---------------------------------------------------------

def session_path(request, session_id: int) -> str | None:
    """One session's page, once the bookings console is installed (None before)."""
    mapper = request.registry.queryUtility(IRoutesMapper)
    if mapper is None or mapper.get_route(SESSION_ROUTE) is None:
        return None
    return request.route_path(SESSION_ROUTE, session_id=session_id)


def _days_text(request, weekdays) -> str:
    if len(weekdays) == 7:
        return request.translate(_("Every day"))
    return request.fmt.list(request.fmt.weekday(d) for d in weekdays)


def describe(request, pattern: editing.Pattern) -> dict:
    """A schedule in plain words, each part on its own."""
    fmt = request.fmt
    if pattern.valid_until:
        dates = _("From ${first} to ${last}", mapping={"first": fmt.date(pattern.valid_from),
                                                        "last": fmt.date(pattern.valid_until)})
    else:
        dates = _("From ${first}, with no end date", mapping={"first": fmt.date(pattern.valid_from)})
    return {"days": _days_text(request, pattern.weekdays),
            "times": fmt.list(fmt.time(t) for t in pattern.times),
            "dates": request.translate(dates),
            "seats": request.fmt.number(pattern.capacity)}


def _months_only(request, rule: ScheduleRule) -> str | None:
    """The months a rule is limited to (a BYMONTH written outside this console), in words."""
    fields = dict(part.split("=", 1) for part in rule.rrule.split(";") if "=" in part)
    months = sorted({int(m) for m in fields.get("BYMONTH", "").split(",") if m.strip().isdigit() and 1 <= int(m) <= 12})
    return request.fmt.list(request.fmt.month(m) for m in months) if months else None


def _rule_row(request, rule: ScheduleRule) -> dict:
    pattern, exact = editing.pattern_of(rule)
    return {"rule": rule, "text": describe(request, pattern), "exact": exact, "months": _months_only(request, rule)}


def _when(request, experience: Experience, moment: datetime) -> str:
    return request.fmt.session_datetime(moment, experience.village.time_zone)


def _preview_view(request, experience: Experience, preview: editing.Preview) -> dict:
    """The preview as the page lists it: each kind with its first sessions and a count."""
    fmt = request.fmt

    def listed(kind):
        effects = preview.of(kind)
        rows = [{"when": _when(request, experience, e.starts_at), "capacity": e.capacity,
                 "before": e.before_capacity} for e in effects[:PREVIEW_LIMIT]]
        return {"rows": rows, "count": len(effects), "more": max(0, len(effects) - PREVIEW_LIMIT),
                "first": _when(request, experience, effects[0].starts_at) if effects else None,
                "last": _when(request, experience, effects[-1].starts_at) if effects else None}

    blockers = [{"when": _when(request, experience, b.starts_at), "taken": b.taken, "kind": b.kind,
                 "capacity": b.capacity, "url": session_path(request, b.session_id)} for b in preview.blockers]
    return {"new": listed(editing.NEW), "gone": listed(editing.GONE), "closed": listed(editing.CLOSED),
            "reopened": listed(editing.REOPENED), "seats": listed(editing.SEATS),
            "new_closed": listed(editing.NEW_CLOSED), "kept": listed(editing.KEPT), "blockers": blockers,
            "nothing": preview.changes_nothing, "fingerprint": preview.fingerprint,
            "first_day": fmt.date(preview.first_day), "last_day": fmt.date(preview.last_day)}


SUMMARY_PARTS = (
    (editing.NEW, _("New sessions: ${count}")),
    (editing.GONE, _("Sessions removed: ${count}")),
    (editing.CLOSED, _("Sessions closed: ${count}")),
    (editing.REOPENED, _("Sessions open again: ${count}")),
    (editing.SEATS, _("Sessions with other seats: ${count}")),
)


def _summary_message(request, preview: editing.Preview) -> str:
    """What a save did, in one line: only the kinds of change that happened."""
    parts = [request.translate(part, mapping={"count": len(preview.of(kind))})
             for kind, part in SUMMARY_PARTS if preview.of(kind)]
    if not parts:
        return request.translate(_("Saved. No session up to ${last} changed.",
                                   mapping={"last": request.fmt.date(preview.last_day)}))
    return request.translate(_("Saved. ${changes}.", mapping={"changes": "; ".join(parts)}))


# --- the schedule page -----------------------------------------------------------------------

def _start_day(request, today: date) -> date:
    chosen = editing.parse_day(request.GET.get("from", "")) if isinstance(request.GET.get("from"), str) else None
    if chosen is None or abs((chosen - today).days) > 3 * 366:
        return today
    return chosen


def _session_rows(request, experience: Experience, first: date, seats: tuple[int, Form] | None) -> list[dict]:
    tz = ZoneInfo(experience.village.time_zone)
    start = datetime.combine(first, time(0), tzinfo=tz).astimezone(timezone.utc)
    end = datetime.combine(first + timedelta(days=LIST_DAYS), time(0), tzinfo=tz).astimezone(timezone.utc)
    rows = []
    for session in editing.sessions_between(request.dbsession, experience, start, end):
        form = seats[1] if seats and seats[0] == session.id else \
            Form(f"seats-{session.id}", {"capacity": str(session.capacity)})
        rows.append({"session": session, "when": _when(request, experience, session.starts_at), "form": form,
                     "free": max(0, session.capacity - session.seats_booked - session.seats_held),
                     "cancelled": session.status != SessionStatus.OPEN, "closed": session.closure_id is not None,
                     "url": session_path(request, session.id), "past": session.starts_at <= request.now})
    return rows


def _schedule_page(request, experience: Experience, *, rule_form: Form | None = None, one_off: Form | None = None,
                   closure: Form | None = None, seats: tuple[int, Form] | None = None, first: date | None = None,
                   status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    today = village_today(request, experience)
    first = first or _start_day(request, today)
    own, village_wide = editing.closures_of(request.dbsession, experience, today=today)
    fmt = request.fmt
    return {
        "experience": experience, "title": experience_title(experience, request.locale_name),
        "time_zone": fmt.time_zone(experience.village.time_zone), "has_rules": editing.has_rules(experience),
        "rules": [_rule_row(request, r) for r in editing.rules_of(request.dbsession, experience)],
        "rule_form": rule_form or Form("rule", {"capacity": "", "valid_from": today.isoformat()}),
        "rule_days": _checked_days(rule_form),
        "one_offs": [{"session": s, "when": _when(request, experience, s.starts_at)}
                     for s in editing.one_offs_of(request.dbsession, experience, now=request.now)],
        "one_off": one_off or Form("one-off"), "closure": closure or Form("closure"),
        "closures": [{"closure": c, "dates": _closure_dates(request, c)} for c in own],
        "village_closures": [{"closure": c, "dates": _closure_dates(request, c)} for c in village_wide],
        "sessions": _session_rows(request, experience, first, seats),
        "first": fmt.date(first), "last": fmt.date(first + timedelta(days=LIST_DAYS - 1)),
        "earlier": (first - timedelta(days=LIST_DAYS)).isoformat() if first > today else None,
        "later": (first + timedelta(days=LIST_DAYS)).isoformat(),
        "weekdays": [{"value": str(d), "label": fmt.weekday(d)} for d in range(7)],
        **page_basics(request),
    }


def _checked_days(form: Form | None) -> set[str]:
    if form is None:
        return set()
    days = form.values.get("weekday", [])
    return set([days] if isinstance(days, str) else days)


def _closure_dates(request, closure: Closure) -> str:
    if closure.starts_on == closure.ends_on:
        return request.fmt.date(closure.starts_on)
    return request.translate(_("${first} to ${last}", mapping={"first": request.fmt.date(closure.starts_on),
                                                                "last": request.fmt.date(closure.ends_on)}))


def _to_schedule(request, experience: Experience, anchor: str | None = None) -> HTTPSeeOther:
    return HTTPSeeOther(request.route_path("scheduling.console.schedule", experience_id=experience.id,
                                           _anchor=anchor) if anchor else
                        request.route_path("scheduling.console.schedule", experience_id=experience.id))


@view_config(route_name="scheduling.console.schedule", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "schedule.jinja2")
def schedule_page(request):
    return _schedule_page(request, request.context.obj)


# --- previews and saves ----------------------------------------------------------------------

def _rule_values(request) -> dict:
    values = typed(request)
    values["weekday"] = [d for d in request.POST.getall("weekday") if isinstance(d, str)]
    return values


def _run(request, experience: Experience, change, *, page: dict):
    """Preview `change` (step "preview"), or save it (step "save", with the previewed
    fingerprint): a preview page, or after a save a 303 to the schedule page."""
    save = request.POST.get("step") == "save"
    today = village_today(request, experience)
    try:
        preview = editing.run_change(request.dbsession, experience, change, today=today,
                                     horizon_days=horizon_days(request), save=save, now=request.now,
                                     expected=(request.POST.get("fingerprint") or "-") if save else None)
    except editing.Blocked as refused:
        return _preview_page(request, experience, refused.preview, page, status=409)
    except editing.PreviewChanged as changed:
        return _preview_page(request, experience, changed.preview, page, status=409, changed=True)
    if not save:
        return _preview_page(request, experience, preview, page)
    request.session.flash(_summary_message(request, preview))
    return _to_schedule(request, experience, page.get("anchor"))


def _preview_page(request, experience: Experience, preview: editing.Preview, page: dict, *, status: int = 200,
                  changed: bool = False):
    no_store(request)
    request.response.status = status
    values = {"danger": False, "form": None, "days": set(), "hidden": [],
              "experience": experience, "title": experience_title(experience, request.locale_name),
              "time_zone": request.fmt.time_zone(experience.village.time_zone),
              "preview": _preview_view(request, experience, preview), "changed": changed,
              "weekdays": [{"value": str(d), "label": request.fmt.weekday(d)} for d in range(7)],
              **page, **page_basics(request)}
    response = render_to_response(TEMPLATES + "preview.jinja2", values, request=request)
    response.status = status
    response.cache_control = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _hidden(values: dict) -> list[tuple[str, str]]:
    pairs = []
    for name, value in values.items():
        for one in (value if isinstance(value, list) else [value]):
            pairs.append((name, one))
    return pairs


@view_config(route_name="scheduling.console.rule_new", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "schedule.jinja2")
def rule_new(request):
    experience = request.context.obj
    if not editing.has_rules(experience):
        raise HTTPNotFound()
    try:
        pattern = editing.read_pattern(request.POST, today=village_today(request, experience))
    except editing.InvalidInput as error:
        return _schedule_page(request, experience, rule_form=Form("rule", _rule_values(request), error.errors),
                              status=400)
    values = editing.pattern_values(pattern)
    page = {"heading": _("New schedule"), "what": [describe(request, pattern)], "kind": "rule",
            "action": request.route_path("scheduling.console.rule_new", experience_id=experience.id),
            "hidden": _hidden(values), "form": Form("rule", values), "days": set(values["weekday"]),
            "save_label": _("Save the schedule"), "anchor": "schedules"}
    return _run(request, experience, editing.add_rule(experience, pattern), page=page)


def _rule_form_page(request, rule: ScheduleRule, form: Form, days: set[str], status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    experience = rule.experience
    row = _rule_row(request, rule)
    return {"experience": experience, "title": experience_title(experience, request.locale_name),
            "rule": rule, "row": row, "form": form, "days": days,
            "time_zone": request.fmt.time_zone(experience.village.time_zone),
            "weekdays": [{"value": str(d), "label": request.fmt.weekday(d)} for d in range(7)], **page_basics(request)}


@view_config(route_name="scheduling.console.rule", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "rule.jinja2")
def rule_page(request):
    rule = request.context.obj
    values = editing.pattern_values(editing.pattern_of(rule)[0])
    return _rule_form_page(request, rule, Form("rule", values), set(values["weekday"]))


@view_config(route_name="scheduling.console.rule", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "rule.jinja2")
def rule_post(request):
    rule = request.context.obj
    experience = rule.experience
    try:
        pattern = editing.read_pattern(request.POST, today=village_today(request, experience))
    except editing.InvalidInput as error:
        values = _rule_values(request)
        return _rule_form_page(request, rule, Form("rule", values, error.errors), set(values["weekday"]), status=400)
    values = editing.pattern_values(pattern)
    page = {"heading": _("Change a schedule"), "what": [describe(request, editing.pattern_of(rule)[0]),
                                                         describe(request, pattern)],
            "kind": "rule", "action": request.route_path("scheduling.console.rule", rule_id=rule.id),
            "hidden": _hidden(values), "form": Form("rule", values), "days": set(values["weekday"]),
            "save_label": _("Save the schedule"), "anchor": "schedules"}
    return _run(request, experience, editing.edit_rule(experience, rule, pattern), page=page)


def _removal(request, experience: Experience, change, page: dict):
    """GET: the preview of a removal with its button; POST: the removal saved."""
    if request.method == "GET":
        today = village_today(request, experience)
        preview = editing.run_change(request.dbsession, experience, change, today=today,
                                     horizon_days=horizon_days(request), save=False, now=request.now)
        return _preview_page(request, experience, preview, page)
    return _run(request, experience, change, page=page)


@view_config(route_name="scheduling.console.rule_remove", permission=MANAGE, request_method=("GET", "POST"))
def rule_remove(request):
    rule = request.context.obj
    experience = rule.experience
    page = {"heading": _("Remove a schedule"), "what": [describe(request, editing.pattern_of(rule)[0])],
            "kind": None, "action": request.route_path("scheduling.console.rule_remove", rule_id=rule.id),
            "hidden": [], "save_label": _("Remove the schedule"), "danger": True, "anchor": "schedules"}
    return _removal(request, experience, editing.remove_rule(rule), page)


@view_config(route_name="scheduling.console.closure_new", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "schedule.jinja2")
def closure_new(request):
    experience = request.context.obj
    try:
        closure = editing.read_closure(request.POST, today=village_today(request, experience))
    except editing.InvalidInput as error:
        return _schedule_page(request, experience, closure=Form("closure", typed(request), error.errors), status=400)
    values = {"starts_on": closure.starts_on.isoformat(), "ends_on": closure.ends_on.isoformat(),
              "reason": closure.reason}
    what = {"dates": _closure_dates(request, Closure(starts_on=closure.starts_on, ends_on=closure.ends_on)),
            "reason": closure.reason}
    page = {"heading": _("Close some days"), "closure_what": what, "kind": "closure",
            "action": request.route_path("scheduling.console.closure_new", experience_id=experience.id),
            "hidden": _hidden(values), "form": Form("closure", values), "save_label": _("Close these days"),
            "anchor": "closures"}
    return _run(request, experience, editing.add_closure(experience, closure), page=page)


@view_config(route_name="scheduling.console.closure_remove", permission=MANAGE, request_method=("GET", "POST"))
def closure_remove(request):
    closure = request.context.obj
    experience = request.dbsession.get(Experience, closure.experience_id)
    page = {"heading": _("Open these days again"),
            "closure_what": {"dates": _closure_dates(request, closure), "reason": closure.reason},
            "kind": None, "action": request.route_path("scheduling.console.closure_remove", closure_id=closure.id),
            "hidden": [], "save_label": _("Open these days again"), "anchor": "closures"}
    return _removal(request, experience, editing.remove_closure(closure), page)


@view_config(route_name="scheduling.console.one_off_new", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "schedule.jinja2")
def one_off_new(request):
    experience = request.context.obj
    tz = ZoneInfo(experience.village.time_zone)
    try:
        one_off = editing.read_one_off(request.POST, tz=tz, now=request.now)
    except editing.InvalidInput as error:
        return _schedule_page(request, experience, one_off=Form("one-off", typed(request), error.errors), status=400)
    local = one_off.starts_at.astimezone(tz)
    values = {"day": local.date().isoformat(), "time": local.strftime("%H:%M"), "capacity": str(one_off.capacity)}
    page = {"heading": _("Extra session"),
            "one_off_what": {"when": _when(request, experience, one_off.starts_at), "capacity": one_off.capacity},
            "kind": "one_off",
            "action": request.route_path("scheduling.console.one_off_new", experience_id=experience.id),
            "hidden": _hidden(values), "form": Form("one-off", values), "save_label": _("Add the session"),
            "anchor": "extra"}
    try:
        return _run(request, experience, editing.add_one_off(experience, one_off, now=request.now), page=page)
    except editing.InvalidInput as error:
        return _schedule_page(request, experience, one_off=Form("one-off", typed(request), error.errors), status=400)


@view_config(route_name="scheduling.console.one_off_remove", permission=MANAGE, request_method=("GET", "POST"))
def one_off_remove(request):
    session = request.context.obj
    experience = session.experience
    if not session.is_one_off or session.status != SessionStatus.OPEN or session.starts_at <= request.now:
        raise HTTPNotFound()
    page = {"heading": _("Remove an extra session"),
            "one_off_what": {"when": _when(request, experience, session.starts_at), "capacity": session.capacity},
            "kind": None, "action": request.route_path("scheduling.console.one_off_remove", session_id=session.id),
            "hidden": [], "save_label": _("Remove the session"), "danger": True, "anchor": "extra"}
    return _removal(request, experience, editing.remove_one_off(session), page)


# --- one session's seats ---------------------------------------------------------------------

@view_config(route_name="scheduling.console.session_capacity", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "schedule.jinja2")
def capacity_post(request):
    session = request.context.obj
    experience = session.experience
    try:
        done = editing.set_session_capacity(request.dbsession, session, request.POST, now=request.now)
    except editing.InvalidInput as error:
        form = Form(f"seats-{session.id}", typed(request), error.errors)
        return _schedule_page(request, experience, seats=(session.id, form), status=400,
                              first=_local_day(experience, session.starts_at))
    when = _when(request, experience, session.starts_at)
    if done.before == done.after:
        flash(request, _("${when}: still ${count} seats.", mapping={"when": when, "count": done.after}))
    else:
        flash(request, _("${when}: now ${count} seats.", mapping={"when": when, "count": done.after}))
    if done.detached:
        flash(request, _("This session now keeps its own number of seats: changing its schedule no longer changes it."))
    return HTTPSeeOther(request.route_path("scheduling.console.schedule", experience_id=experience.id,
                                           _query={"from": _local_day(experience, session.starts_at).isoformat()},
                                           _anchor=f"session-{session.id}"))


def _local_day(experience: Experience, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(experience.village.time_zone)).date()


@view_config(route_name="scheduling.console.rule_new", request_method="GET", permission=MANAGE)
@view_config(route_name="scheduling.console.closure_new", request_method="GET", permission=MANAGE)
@view_config(route_name="scheduling.console.one_off_new", request_method="GET", permission=MANAGE)
def section_get(request):
    """A form's address opened again (after a refused form, say): its place on the schedule page."""
    anchor = {"scheduling.console.rule_new": "schedules", "scheduling.console.closure_new": "closures",
              "scheduling.console.one_off_new": "extra"}[request.matched_route.name]
    return _to_schedule(request, request.context.obj, anchor)


@view_config(route_name="scheduling.console.session_capacity", request_method="GET", permission=MANAGE)
def capacity_get(request):
    session = request.context.obj
    day = _local_day(session.experience, session.starts_at).isoformat()
    return HTTPSeeOther(request.route_path("scheduling.console.schedule", experience_id=session.experience_id,
                                           _query={"from": day}, _anchor=f"session-{session.id}"))


def includeme(config):
    experience = experience_resource
    config.add_route("scheduling.console.schedule", "/console/experiences/{experience_id}/schedule", factory=experience)
    config.add_route("scheduling.console.rule_new", "/console/experiences/{experience_id}/schedule/rules",
                     factory=experience)
    config.add_route("scheduling.console.closure_new", "/console/experiences/{experience_id}/schedule/closures",
                     factory=experience)
    config.add_route("scheduling.console.one_off_new", "/console/experiences/{experience_id}/schedule/extra",
                     factory=experience)
    config.add_route("scheduling.console.rule", "/console/schedule/rules/{rule_id}", factory=rule_resource)
    config.add_route("scheduling.console.rule_remove", "/console/schedule/rules/{rule_id}/remove",
                     factory=rule_resource)
    config.add_route("scheduling.console.closure_remove", "/console/schedule/closures/{closure_id}/remove",
                     factory=closure_resource)
    config.add_route("scheduling.console.one_off_remove", "/console/schedule/sessions/{session_id}/remove",
                     factory=session_resource)
    config.add_route("scheduling.console.session_capacity", "/console/schedule/sessions/{session_id}/capacity",
                     factory=session_resource)
    config.scan(__name__)
