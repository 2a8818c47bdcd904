"""The operator's experiences in the console.

- /console/experiences: the operator's experiences (an admin sees all), each with its
  status, its prices and a way to its details and its schedule;
- /console/experiences/<id>: one page in sections, each its own form: whether visitors see
  it, its texts in every language, its prices and group sizes, its cancellation policy.

Changing experiences is the owners' work (MANAGE): the experience's URL loads it in a route
factory naming the operator who runs its village (OperatorResource), so another operator's
people, and staff who are not owners, get 403 whatever id they try; the list narrows itself
with visible_operator_id. The rules are in tourism.catalog.editing, all or nothing.
"""
from datetime import date
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.interfaces import IRoutesMapper
from pyramid.view import view_config

from tourism.accounts.permissions import MANAGE, OperatorResource, row_from_url, visible_operator_id
from tourism.accounts.views import no_store
from tourism.catalog import editing
from tourism.catalog.models import EXPERIENCE_KIND_LABELS, PRICE_TIERS, Experience, PublicationStatus
from tourism.catalog.services import describe_cancellation_policy, experience_text, village_text
from tourism.forms import Form, flash, page_basics, texts_values, typed
from tourism.i18n import _

TEMPLATES = "tourism:catalog/templates/console/"
SCHEDULE_ROUTE = "scheduling.console.schedule"  # the schedule page (tourism/scheduling/console_views.py)
TEXT_FIELD_NAMES = ("title", "summary", "description", "meeting_point")


def experience_resource(request) -> OperatorResource:
    """The experience in the URL's {experience_id}, owned by the operator of its village."""
    experience = row_from_url(request, Experience, "experience_id")
    return OperatorResource(experience.village.operator_id, experience)


def experience_title(experience: Experience, locale: str) -> str:
    text = experience_text(experience, locale)
    return text.value.title if text else experience.slug


def schedule_path(request, experience: Experience) -> str | None:
    """The experience's schedule page, once the schedule console is installed (None before)."""
    mapper = request.registry.queryUtility(IRoutesMapper)
    if mapper is None or mapper.get_route(SCHEDULE_ROUTE) is None:
        return None
    return request.route_path(SCHEDULE_ROUTE, experience_id=experience.id)


def horizon_days(request) -> int:
    from tourism.scheduling.services import DEFAULT_HORIZON_DAYS

    return int(request.registry.settings.get("tourism.session_horizon_days", DEFAULT_HORIZON_DAYS))


def village_today(request, experience: Experience) -> date:
    return request.now.astimezone(ZoneInfo(experience.village.time_zone)).date()


# --- the list --------------------------------------------------------------------------------

@view_config(route_name="catalog.console.experiences", permission=MANAGE,
             renderer=TEMPLATES + "experiences.jinja2")
def experiences_page(request):
    no_store(request)
    locale = request.locale_name
    rows = []
    for experience in editing.operator_experiences(request.dbsession, visible_operator_id(request.identity)):
        price = experience.from_price
        rows.append({"experience": experience, "title": experience_title(experience, locale),
                     "village": village_text(experience.village, locale).value.name,
                     "kind": request.translate(EXPERIENCE_KIND_LABELS[experience.kind]),
                     "price": request.fmt.money(price, experience.currency) if price is not None else None,
                     "published": experience.status == PublicationStatus.PUBLISHED,
                     "schedule_url": schedule_path(request, experience)})
    return {"rows": rows, **page_basics(request)}


# --- one experience --------------------------------------------------------------------------

def _prices_values(experience: Experience) -> dict:
    values = {"min_party": str(experience.min_party), "max_party": str(experience.max_party),
              "children_need_adult": "1" if experience.children_need_adult else ""}
    for tier in experience.price_tiers:
        values[f"price-{tier.code}"] = str(tier.price)
        values[f"min_age-{tier.code}"] = "" if tier.min_age is None else str(tier.min_age)
        values[f"max_age-{tier.code}"] = "" if tier.max_age is None else str(tier.max_age)
    return values


def _policy_values(experience: Experience) -> dict:
    values = {}
    for row, rule in enumerate(experience.cancellation_rules[:editing.POLICY_ROWS]):
        values[f"hours-{row}"], values[f"percent-{row}"] = str(rule.hours_before), str(rule.refund_percent)
    return values


def _experience_page(request, experience: Experience, *, texts: Form | None = None, prices: Form | None = None,
                     policy: Form | None = None, status_form: Form | None = None, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    locale = request.locale_name
    published = experience.status == PublicationStatus.PUBLISHED
    return {
        "experience": experience, "title": experience_title(experience, locale),
        "village": village_text(experience.village, locale).value.name,
        "kind": request.translate(EXPERIENCE_KIND_LABELS[experience.kind]),
        "published": published,
        "public_url": request.route_url("catalog.experience", slug=experience.slug) if published else None,
        "schedule_url": schedule_path(request, experience),
        "policy_lines": [request.translate(line)
                         for line in describe_cancellation_policy(experience.cancellation_rules)],
        "tiers": [{"code": code, "label": request.translate(label)} for code, label in PRICE_TIERS.items()],
        "policy_rows": editing.POLICY_ROWS,
        "max_price": request.fmt.money(editing.MAX_PRICE), "max_party": editing.MAX_PARTY,
        "status_form": status_form or Form("status", {"status": experience.status.value}),
        "texts": texts or Form("texts", texts_values(experience.texts, TEXT_FIELD_NAMES)),
        "prices": prices or Form("prices", _prices_values(experience)),
        "policy": policy or Form("policy", _policy_values(experience)),
        **page_basics(request),
    }


def _back(request, experience: Experience, anchor: str) -> HTTPSeeOther:
    return HTTPSeeOther(request.route_path("catalog.console.experience", experience_id=experience.id, _anchor=anchor))


@view_config(route_name="catalog.console.experience", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "experience.jinja2")
def experience_page(request):
    return _experience_page(request, request.context.obj)


@view_config(route_name="catalog.console.experience", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "experience.jinja2")
def texts_post(request):
    experience = request.context.obj
    try:
        editing.save_texts(request.dbsession, experience, request.POST)
    except editing.InvalidInput as error:
        return _experience_page(request, experience, texts=Form("texts", typed(request), error.errors), status=400)
    flash(request, _("The texts were saved."))
    return _back(request, experience, "texts")


@view_config(route_name="catalog.console.experience_prices", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "experience.jinja2")
def prices_post(request):
    experience = request.context.obj
    try:
        editing.save_prices(request.dbsession, experience, request.POST)
    except editing.InvalidInput as error:
        return _experience_page(request, experience, prices=Form("prices", typed(request), error.errors), status=400)
    flash(request, _("The prices and group sizes were saved. Bookings already made keep their prices."))
    return _back(request, experience, "prices")


@view_config(route_name="catalog.console.experience_policy", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "experience.jinja2")
def policy_post(request):
    experience = request.context.obj
    try:
        editing.save_policy(request.dbsession, experience, request.POST)
    except editing.InvalidInput as error:
        return _experience_page(request, experience, policy=Form("policy", typed(request), error.errors), status=400)
    flash(request, _("The cancellation policy was saved. It applies to every cancellation from now on."))
    return _back(request, experience, "cancellation")


@view_config(route_name="catalog.console.experience_status", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "experience.jinja2")
def status_post(request):
    experience = request.context.obj
    try:
        changed = editing.save_status(request.dbsession, experience, request.POST,
                                      today=village_today(request, experience), horizon_days=horizon_days(request))
    except editing.InvalidInput as error:
        return _experience_page(request, experience, status_form=Form("status", typed(request), error.errors),
                                status=400)
    if not changed:
        flash(request, _("Nothing changed."))
    elif experience.status == PublicationStatus.PUBLISHED:
        flash(request, _("Visitors can now see and book it."))
    else:
        flash(request, _("Visitors no longer see it and cannot book it. Bookings already made stay as they are."))
    return _back(request, experience, "visitors")


@view_config(route_name="catalog.console.experience_prices", request_method="GET", permission=MANAGE)
@view_config(route_name="catalog.console.experience_policy", request_method="GET", permission=MANAGE)
@view_config(route_name="catalog.console.experience_status", request_method="GET", permission=MANAGE)
def section_get(request):
    """A section's address opened again (after a refused form, say): its place on the page."""
    anchor = {"catalog.console.experience_prices": "prices", "catalog.console.experience_policy": "cancellation",
              "catalog.console.experience_status": "visitors"}[request.matched_route.name]
    return _back(request, request.context.obj, anchor)


def includeme(config):
    config.add_route("catalog.console.experiences", "/console/experiences",
                     factory="tourism.accounts.permissions.OwnerRoot")
    config.add_route("catalog.console.experience", "/console/experiences/{experience_id}", factory=experience_resource)
    config.add_route("catalog.console.experience_prices", "/console/experiences/{experience_id}/prices",
                     factory=experience_resource)
    config.add_route("catalog.console.experience_policy", "/console/experiences/{experience_id}/cancellation",
                     factory=experience_resource)
    config.add_route("catalog.console.experience_status", "/console/experiences/{experience_id}/status",
                     factory=experience_resource)
    config.add_console_link("catalog.console.experiences", _("Experiences and schedules"), order=50)
    config.scan(__name__)
