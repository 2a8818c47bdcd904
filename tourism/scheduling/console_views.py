"""An experience's schedule in the console: when it runs, previewed before anything changes.

- /console/experiences/<id>/schedule: the schedules (days of the week, start times, dates,
  seats), the extra one-off sessions, the closed days, and the coming sessions, each with its
  guests and a form to change its seats;
- adding, editing or removing a schedule, an extra session or a closure first shows a
  preview of the sessions it makes, removes, closes, opens again or gives other seats (the
  same code as saving, rolled back), then "Save". Sessions with guests in the way are listed
  with a link to each one's page, and nothing is saved until they are cancelled or moved;
- days closed over sessions with guests: the owner may instead choose, on that list, to
  close them and cancel those sessions, every guest refunded and e-mailed
  (tourism.booking.closures), then sees what happened to each booking
  (/console/experiences/<id>/schedule/cancelled?session=…);
- /console/villages/<id>/closures: the days the whole village closes (Tết), which close
  every experience in it: added and removed exactly as one experience's closed days (the
  same views, previews, refusal and choice to cancel, made to the village: an
  `editing.Target`), the preview and the report naming each session's experience.

Every URL loads its object in a route factory naming the operator who runs its village
(OperatorResource) and asks MANAGE, so only that operator's owners (and admins) get in.
The rules are in tourism.scheduling.editing.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.interfaces import IRoutesMapper
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from tourism.accounts.permissions import MANAGE, OperatorResource, row_from_url
from tourism.accounts.views import no_store
# Days closed over guests: their sessions are cancelled as the bookings console does it.
from tourism.booking import bulk, closures
from tourism.booking.session_views import report_row
from tourism.catalog.console_views import experience_resource, experience_title, horizon_days
from tourism.catalog.models import Experience, Village
from tourism.catalog.services import village_text
from tourism.forms import Form, chosen_id, flash, page_basics, typed
from tourism.i18n import _
from tourism.payments.services import providers
from tourism.scheduling import editing
from tourism.scheduling.models import Closure, ExperienceSession, ScheduleRule, SessionStatus

TEMPLATES = "tourism:scheduling/templates/console/"
VILLAGE_CLOSURES_ROUTE = "scheduling.console.village_closures"
SESSION_ROUTE = "booking.console.session"  # one session's page, with its guests (tourism/booking)
LIST_DAYS = 14  # the coming sessions shown at once: two weeks
PREVIEW_LIMIT = 30  # sessions listed per kind of change; the rest are counted


# --- route factories: the object in the URL and the operator who owns it --------------------

def _owned(experience: Experience, obj) -> OperatorResource:
    return OperatorResource(experience.village.operator_id, obj)


def rule_resource(request) -> OperatorResource:
    rule = row_from_url(request, ScheduleRule, "rule_id")
    return _owned(rule.experience, rule)


def village_resource(request) -> OperatorResource:
    village = row_from_url(request, Village, "village_id")
    return OperatorResource(village.operator_id, village)


def closure_resource(request) -> OperatorResource:
    """An experience's closure, or a whole village's: owned by the operator of that village."""
    closure = row_from_url(request, Closure, "closure_id")
    return OperatorResource(editing.village_of(editing.closure_target(request.dbsession, closure)).operator_id,
                            closure)


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


def _when(request, target: editing.Target, moment: datetime) -> str:
    return request.fmt.session_datetime(moment, editing.village_of(target).time_zone)


def _today(request, target: editing.Target) -> date:
    """Today in the target's village."""
    return request.now.astimezone(ZoneInfo(editing.village_of(target).time_zone)).date()


def _title(request, target: editing.Target) -> str:
    if isinstance(target, Village):
        return village_text(target, request.locale_name).value.name
    return experience_title(target, request.locale_name)


def _experience_names(request, target: editing.Target) -> dict[int, str]:
    """Each experience's title by id, to say whose each session is: only when a change is made
    to a whole village (one experience's pages need not repeat its name on every line)."""
    if not isinstance(target, Village):
        return {}
    return {e.id: experience_title(e, request.locale_name)
            for e in editing.experiences_of(request.dbsession, target)}


def _preview_view(request, target: editing.Target, preview: editing.Preview) -> dict:
    """The preview as the page lists it: each kind with its first sessions and a count."""
    fmt = request.fmt
    names = _experience_names(request, target)

    def listed(kind):
        effects = preview.of(kind)
        rows = [{"when": _when(request, target, e.starts_at), "capacity": e.capacity, "before": e.before_capacity,
                 "experience": names.get(e.experience_id)} for e in effects[:PREVIEW_LIMIT]]
        return {"rows": rows, "count": len(effects), "more": max(0, len(effects) - PREVIEW_LIMIT),
                "first": _when(request, target, effects[0].starts_at) if effects else None,
                "last": _when(request, target, effects[-1].starts_at) if effects else None}

    blockers = [{"when": _when(request, target, b.starts_at), "taken": b.taken, "kind": b.kind,
                 "capacity": b.capacity, "url": session_path(request, b.session_id),
                 "experience": names.get(b.experience_id)} for b in preview.blockers]
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
    today = _today(request, experience)
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
        "closures": _closure_rows(request, own), "village_closures": _closure_rows(request, village_wide),
        "village_closures_url": _home(request, experience.village),
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


def _closure_rows(request, closures: list[Closure]) -> list[dict]:
    return [{"closure": c, "dates": _closure_dates(request, c)} for c in closures]


@dataclass(frozen=True)
class _TargetRoutes:
    """The pages of what a change is made to (an `editing.Target`), by route name."""

    placeholder: str  # the target's id in their URLs
    home: str  # where a change starts and comes back to
    closure_new: str  # where its closure form posts
    cancelled: str  # what happened to the bookings of the sessions a closure cancelled


TARGET_ROUTES = {
    Experience: _TargetRoutes("experience_id", "scheduling.console.schedule", "scheduling.console.closure_new",
                              "scheduling.console.cancelled"),
    Village: _TargetRoutes("village_id", VILLAGE_CLOSURES_ROUTE, VILLAGE_CLOSURES_ROUTE,
                           "scheduling.console.village_cancelled"),
}


def _target_path(request, target: editing.Target, page: str, **kw) -> str:
    routes = TARGET_ROUTES[type(target)]
    return request.route_path(getattr(routes, page), **{routes.placeholder: target.id}, **kw)


def _home(request, target: editing.Target, anchor: str | None = None) -> str:
    """The experience's schedule, or the village's closed days."""
    return _target_path(request, target, "home", **({"_anchor": anchor} if anchor else {}))


def _to_home(request, target: editing.Target, anchor: str | None = None) -> HTTPSeeOther:
    return HTTPSeeOther(_home(request, target, anchor))


@view_config(route_name="scheduling.console.schedule", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "schedule.jinja2")
def schedule_page(request):
    return _schedule_page(request, request.context.obj)


# --- previews and saves ----------------------------------------------------------------------

def _rule_values(request) -> dict:
    values = typed(request)
    values["weekday"] = [d for d in request.POST.getall("weekday") if isinstance(d, str)]
    return values


def _run(request, target: editing.Target, change, *, page: dict):
    """Preview `change` (step "preview"), or save it (step "save", with the previewed
    fingerprint): a preview page, or after a save a 303 to the target's page."""
    save = request.POST.get("step") == "save"
    try:
        preview = editing.run_change(request.dbsession, target, change, today=_today(request, target),
                                     horizon_days=horizon_days(request), save=save, now=request.now,
                                     expected=(request.POST.get("fingerprint") or "-") if save else None)
    except editing.Blocked as refused:
        return _preview_page(request, target, refused.preview, page, status=409)
    except editing.PreviewChanged as changed:
        return _preview_page(request, target, changed.preview, page, status=409, changed=True)
    if not save:
        return _preview_page(request, target, preview, page)
    request.session.flash(_summary_message(request, preview))
    return _to_home(request, target, page.get("anchor"))


def _home_view(request, target: editing.Target, anchor: str | None = None) -> dict:
    """The target's page as the breadcrumbs and the way back name it."""
    return {"url": _home(request, target), "back": _home(request, target, anchor),
            "village": isinstance(target, Village)}


def _preview_page(request, target: editing.Target, preview: editing.Preview, page: dict, *, status: int = 200,
                  changed: bool = False, cancel_form: Form | None = None):
    no_store(request)
    request.response.status = status
    values = {"danger": False, "form": None, "days": set(), "hidden": [],
              "home": _home_view(request, target, page.get("anchor")), "title": _title(request, target),
              "time_zone": request.fmt.time_zone(editing.village_of(target).time_zone),
              "preview": _preview_view(request, target, preview), "changed": changed,
              "weekdays": [{"value": str(d), "label": request.fmt.weekday(d)} for d in range(7)],
              "cancel": _cancel_choice(request, preview, cancel_form) if page.get("kind") == "closure" else None,
              **page, **page_basics(request)}
    response = render_to_response(TEMPLATES + "preview.jinja2", values, request=request)
    response.status = status
    response.cache_control = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _cancel_choice(request, preview: editing.Preview, form: Form | None) -> dict | None:
    """The choice a closure refused over guests offers: cancel those sessions too (None when
    it cannot: tourism.booking.closures.cancel_offer)."""
    offer = closures.cancel_offer(request.dbsession, preview, now=request.now, providers=providers(request.registry))
    if offer is None:
        return None
    money = lambda amount: request.fmt.money(amount, offer.currency)  # noqa: E731
    return {"offer": offer, "refund": money(offer.refund), "by_provider": money(offer.by_provider),
            "by_hand": money(offer.by_hand), "form": form or Form("cancel"), "chosen": closures.CHOSEN,
            "reasons": [{"value": kind.value, "label": request.translate(label)}
                        for kind, label in bulk.REASON_LABELS.items()],
            "max_note": bulk.MAX_NOTE}


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
        pattern = editing.read_pattern(request.POST, today=_today(request, experience))
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
        pattern = editing.read_pattern(request.POST, today=_today(request, experience))
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


def _removal(request, target: editing.Target, change, page: dict):
    """GET: the preview of a removal with its button; POST: the removal saved."""
    if request.method == "GET":
        return _preview_page(request, target, _preview(request, target, change), page)
    return _run(request, target, change, page=page)


def _preview(request, target: editing.Target, change) -> editing.Preview:
    return editing.run_change(request.dbsession, target, change, today=_today(request, target),
                              horizon_days=horizon_days(request), save=False, now=request.now)


@view_config(route_name="scheduling.console.rule_remove", permission=MANAGE, request_method=("GET", "POST"))
def rule_remove(request):
    rule = request.context.obj
    experience = rule.experience
    page = {"heading": _("Remove a schedule"), "what": [describe(request, editing.pattern_of(rule)[0])],
            "kind": None, "action": request.route_path("scheduling.console.rule_remove", rule_id=rule.id),
            "hidden": [], "save_label": _("Remove the schedule"), "danger": True, "anchor": "schedules"}
    return _removal(request, experience, editing.remove_rule(rule), page)


# --- closed days: one experience's, or the whole village's (the same views, made to a target) ---

@view_config(route_name="scheduling.console.closure_new", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "schedule.jinja2")
def closure_new(request):
    experience = request.context.obj
    return _add_closure(request, experience,
                        lambda form: _schedule_page(request, experience, closure=form, status=400))


@view_config(route_name=VILLAGE_CLOSURES_ROUTE, request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "village_closures.jinja2")
def village_closure_new(request):
    village = request.context.obj
    return _add_closure(request, village, lambda form: _village_page(request, village, closure=form, status=400))


def _add_closure(request, target: editing.Target, form_again):
    """The closure form sent: its preview (step "preview"), saved (step "save"), or saved with
    the sessions in its way cancelled (step "cancel"). A form that cannot be read comes back
    on the target's page: `form_again(form)`."""
    try:
        closure = editing.read_closure(request.POST, today=_today(request, target))
    except editing.InvalidInput as error:
        return form_again(Form("closure", typed(request), error.errors))
    values = {"starts_on": closure.starts_on.isoformat(), "ends_on": closure.ends_on.isoformat(),
              "reason": closure.reason}
    what = {"dates": _closure_dates(request, Closure(starts_on=closure.starts_on, ends_on=closure.ends_on)),
            "reason": closure.reason, "village": isinstance(target, Village)}
    page = {"heading": _("Close the whole village") if isinstance(target, Village) else _("Close some days"),
            "closure_what": what, "kind": "closure", "action": _target_path(request, target, "closure_new"),
            "hidden": _hidden(values), "form": Form("closure", values), "save_label": _("Close these days"),
            "anchor": "closures"}
    if request.POST.get("step") == "cancel":
        return _close_and_cancel(request, target, closure, page)
    return _run(request, target, editing.add_closure(target, closure), page=page)


def _close_and_cancel(request, target: editing.Target, closure: editing.ClosureInput, page: dict):
    """The owner chose, on a closure refused over guests, to cancel those sessions: the closure
    saved and each cancelled, then (303) the report; or the list again, nothing changed."""
    try:
        reason = closures.read_choice(request.POST, request.locale_name)
    except editing.InvalidInput as error:
        preview = _preview(request, target, editing.add_closure(target, closure))
        return _preview_page(request, target, preview, page, status=400,
                             cancel_form=Form("cancel", typed(request), error.errors))
    try:
        done = closures.close_and_cancel(
            request.dbsession, target, closure, reason, expected=request.POST.get("fingerprint") or "-",
            today=_today(request, target), horizon_days=horizon_days(request), now=request.now,
            registry=request.registry, providers=providers(request.registry))
    except editing.Blocked as refused:
        return _preview_page(request, target, refused.preview, page, status=409)
    except editing.PreviewChanged as changed:
        # The reason stays as typed; the box is ticked again only for the new list.
        kept = {name: request.POST.get(name, "") for name in ("cancel_reason", "cancel_note")}
        return _preview_page(request, target, changed.preview, page, status=409, changed=True,
                             cancel_form=Form("cancel", kept))
    request.session.flash(_summary_message(request, done.preview))
    flash(request, _("Sessions with guests cancelled: ${count}. What happened to each booking is below.",
                     mapping={"count": len(done.runs)}))
    return HTTPSeeOther(_target_path(request, target, "cancelled",
                                     _query=[("session", session.id) for session, _unused in done.runs]))


@view_config(route_name="scheduling.console.cancelled", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "cancelled.jinja2")
@view_config(route_name="scheduling.console.village_cancelled", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "cancelled.jinja2")
def cancelled_page(request):
    """What happened to each booking of the sessions a closure cancelled (each session's page says it too)."""
    no_store(request)  # guests' names, phones and payments
    target = request.context.obj
    names = _experience_names(request, target)
    ids = [i for i in (chosen_id(v) for v in request.GET.getall("session") if isinstance(v, str)) if i is not None]
    sessions = []
    for session in closures.cancelled_sessions(request.dbsession, target, ids):
        reports = bulk.cancellation_report(request.dbsession, session, now=request.now)
        sessions.append({"when": _when(request, target, session.starts_at),
                         "experience": names.get(session.experience_id), "url": session_path(request, session.id),
                         "report": [report_row(request, row) for row in reports],
                         "work_left": any(row.work_left for row in reports),
                         "by_hand": any(row.money.by_hand > row.money.by_hand_paid for row in reports)})
    return {"home": _home_view(request, target, "closures"), "title": _title(request, target),
            "sessions": sessions, "by_hand": any(s["by_hand"] for s in sessions), **page_basics(request)}


@view_config(route_name="scheduling.console.closure_remove", permission=MANAGE, request_method=("GET", "POST"))
def closure_remove(request):
    closure = request.context.obj
    target = editing.closure_target(request.dbsession, closure)
    page = {"heading": _("Open these days again"),
            "closure_what": {"dates": _closure_dates(request, closure), "reason": closure.reason,
                             "village": isinstance(target, Village)},
            "kind": None, "action": request.route_path("scheduling.console.closure_remove", closure_id=closure.id),
            "hidden": [], "save_label": _("Open these days again"), "anchor": "closures"}
    return _removal(request, target, editing.remove_closure(closure), page)


# --- the whole village's closed days ----------------------------------------------------------

def _village_page(request, village: Village, *, closure: Form | None = None, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    own, _unused = editing.closures_of(request.dbsession, village, today=_today(request, village))
    return {"village": village, "title": _title(request, village),
            "time_zone": request.fmt.time_zone(village.time_zone),
            "closures": _closure_rows(request, own), "closure": closure or Form("closure"),
            "action": _target_path(request, village, "closure_new"),
            "experiences": [{"title": experience_title(e, request.locale_name), "url": _home(request, e, "closures")}
                            for e in editing.experiences_of(request.dbsession, village)],
            **page_basics(request)}


@view_config(route_name=VILLAGE_CLOSURES_ROUTE, request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "village_closures.jinja2")
def village_page(request):
    return _village_page(request, request.context.obj)


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
    return _to_home(request, request.context.obj, anchor)


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
    config.add_route("scheduling.console.cancelled", "/console/experiences/{experience_id}/schedule/cancelled",
                     factory=experience)
    config.add_route(VILLAGE_CLOSURES_ROUTE, "/console/villages/{village_id}/closures", factory=village_resource)
    config.add_route("scheduling.console.village_cancelled", "/console/villages/{village_id}/closures/cancelled",
                     factory=village_resource)
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
