"""The operator's experiences in the console.

- /console/experiences: the operator's experiences (an admin sees all), each with its
  status, its prices and a way to its details and its schedule;
- /console/experiences/new: a new draft (village, kind, Vietnamese title, length), then its page;
- /console/experiences/<id>: one page in sections, each its own form: whether visitors see
  it, its texts in every language, its practical details (length, when online booking
  closes, season, the guide's languages), its prices and group sizes, its cancellation policy;
- /console/experiences/<id>/pictures: upload pictures, describe them, order them, remove them
  (the shared picture pages of tourism.picture_views); one picture's forms post to
  /console/experiences/pictures/<picture id>.

Changing experiences is the owners' work (MANAGE): the experience's URL (or its picture's)
loads it in a route factory naming the operator who runs its village (OperatorResource), so
another operator's people, and staff who are not owners, get 403 whatever id they try; the
list narrows itself with visible_operator_id. The rules are in tourism.catalog.editing, all
or nothing.
"""
from datetime import date
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.interfaces import IRoutesMapper
from pyramid.view import view_config

from tourism.accounts.permissions import MANAGE, OperatorResource, row_from_url, visible_operator_id
from tourism.accounts.views import no_store
from tourism.catalog import editing
from tourism.catalog.models import EXPERIENCE_KIND_LABELS, PRICE_TIERS, Experience, ExperienceImage, PublicationStatus
from tourism.catalog.services import (
    describe_cancellation_policy,
    experience_text,
    village_text,
    villages_run_by,
)
from tourism.forms import Form, flash, page_basics, texts_values, typed
from tourism.i18n import _
from tourism.picture_views import PicturePages, add_picture_views

TEMPLATES = "tourism:catalog/templates/console/"
SCHEDULE_ROUTE = "scheduling.console.schedule"  # the schedule page (tourism/scheduling/console_views.py)
TEXT_FIELD_NAMES = ("title", "summary", "description", "meeting_point")


def experience_resource(request) -> OperatorResource:
    """The experience in the URL's {experience_id}, owned by the operator of its village."""
    experience = row_from_url(request, Experience, "experience_id")
    return OperatorResource(experience.village.operator_id, experience)


def picture_resource(request) -> OperatorResource:
    """An experience's picture, owned by the operator of the experience's village."""
    picture = row_from_url(request, ExperienceImage, "picture_id")
    experience = request.dbsession.get(Experience, picture.experience_id)
    return OperatorResource(experience.village.operator_id, picture)


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


def _practical_values(experience: Experience) -> dict:
    hours, minutes = divmod(experience.duration_minutes, 60)
    cutoff = experience.booking_cutoff_minutes / 60
    return {"duration_hours": str(hours), "duration_minutes": str(minutes),
            "cutoff_hours": str(int(cutoff)) if cutoff == int(cutoff) else str(cutoff),
            "season_start": str(experience.season_start_month or ""),
            "season_end": str(experience.season_end_month or ""),
            "guide_language": list(experience.language_codes)}


def _months(request) -> list[dict]:
    return [{"value": str(number), "label": request.fmt.month(number)} for number in range(1, 13)]


def _policy_values(experience: Experience) -> dict:
    values = {}
    for row, rule in enumerate(experience.cancellation_rules[:editing.POLICY_ROWS]):
        values[f"hours-{row}"], values[f"percent-{row}"] = str(rule.hours_before), str(rule.refund_percent)
    return values


def _experience_page(request, experience: Experience, *, refused: Form | None = None, status: int = 200) -> dict:
    """The page's values; `refused` is a section's form sent back as typed, with its problems
    (its prefix names the section), the other sections as saved."""
    no_store(request)
    request.response.status = status
    locale = request.locale_name
    published = experience.status == PublicationStatus.PUBLISHED
    forms = {"status": Form("status", {"status": experience.status.value}),
             "texts": Form("texts", texts_values(experience.texts, TEXT_FIELD_NAMES)),
             "prices": Form("prices", _prices_values(experience)),
             "policy": Form("policy", _policy_values(experience)),
             "practical": Form("practical", _practical_values(experience))}
    if refused is not None:
        forms[refused.prefix] = refused
    return {
        "experience": experience, "title": experience_title(experience, locale),
        "village": village_text(experience.village, locale).value.name,
        "kind": request.translate(EXPERIENCE_KIND_LABELS[experience.kind]),
        "published": published,
        "public_url": request.route_url("catalog.experience", slug=experience.slug) if published else None,
        "schedule_url": schedule_path(request, experience),
        "pictures_url": request.route_path("catalog.console.experience_pictures", experience_id=experience.id),
        "policy_lines": [request.translate(line)
                         for line in describe_cancellation_policy(experience.cancellation_rules)],
        "tiers": [{"code": code, "label": request.translate(label)} for code, label in PRICE_TIERS.items()],
        "policy_rows": editing.POLICY_ROWS,
        "max_price": request.fmt.money(editing.MAX_PRICE), "max_party": editing.MAX_PARTY,
        "status_form": forms["status"], "texts": forms["texts"], "prices": forms["prices"],
        "policy": forms["policy"], "practical": forms["practical"],
        "months": _months(request),
        "guide_languages": [{"code": code, "name": request.fmt.language(code)} for code in editing.GUIDE_LANGUAGES],
        **page_basics(request),
    }


def _back(request, experience: Experience, anchor: str) -> HTTPSeeOther:
    return HTTPSeeOther(request.route_path("catalog.console.experience", experience_id=experience.id, _anchor=anchor))


@view_config(route_name="catalog.console.experience", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "experience.jinja2")
def experience_page(request):
    return _experience_page(request, request.context.obj)


def _save_section(request, section: str, anchor: str, save, said, typed_values: dict | None = None):
    """One section's form: `save(experience)` changes everything or raises InvalidInput. Saved,
    back to the section's place on the page with `said(result)`; refused, the page again with
    the form as typed (`typed_values`, when more than text fields) and its problems."""
    experience = request.context.obj
    try:
        result = save(experience)
    except editing.InvalidInput as error:
        values = typed(request) if typed_values is None else typed_values
        return _experience_page(request, experience, refused=Form(section, values, error.errors), status=400)
    flash(request, said(result))
    return _back(request, experience, anchor)


@view_config(route_name="catalog.console.experience", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "experience.jinja2")
def texts_post(request):
    return _save_section(request, "texts", "texts",
                         lambda experience: editing.save_texts(request.dbsession, experience, request.POST),
                         lambda _result: _("The texts were saved."))


@view_config(route_name="catalog.console.experience_prices", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "experience.jinja2")
def prices_post(request):
    return _save_section(request, "prices", "prices",
                         lambda experience: editing.save_prices(request.dbsession, experience, request.POST),
                         lambda _result: _("The prices and group sizes were saved. Bookings already made keep "
                                           "their prices."))


def _practical_said(kept: int):
    if kept:
        return _("Saved. Sessions that already have guests keep their old length (${count}): the guests were told "
                 "those times.", mapping={"count": kept})
    return _("The practical details were saved.")


@view_config(route_name="catalog.console.experience_practical", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "experience.jinja2")
def practical_post(request):
    return _save_section(
        request, "practical", "practical",
        lambda experience: editing.save_practical(request.dbsession, experience, request.POST, now=request.now),
        _practical_said, typed_values=dict(typed(request), guide_language=request.POST.getall("guide_language")))


@view_config(route_name="catalog.console.experience_policy", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "experience.jinja2")
def policy_post(request):
    return _save_section(request, "policy", "cancellation",
                         lambda experience: editing.save_policy(request.dbsession, experience, request.POST),
                         lambda _result: _("The cancellation policy was saved. It applies to every cancellation "
                                           "from now on."))


@view_config(route_name="catalog.console.experience_status", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "experience.jinja2")
def status_post(request):
    experience = request.context.obj

    def said(changed: bool):
        if not changed:
            return _("Nothing changed.")
        if experience.status == PublicationStatus.PUBLISHED:
            return _("Visitors can now see and book it.")
        return _("Visitors no longer see it and cannot book it. Bookings already made stay as they are.")

    return _save_section(request, "status", "visitors",
                         lambda experience: editing.save_status(request.dbsession, experience, request.POST,
                                                                today=village_today(request, experience),
                                                                horizon_days=horizon_days(request)),
                         said)


@view_config(route_name="catalog.console.experience_prices", request_method="GET", permission=MANAGE)
@view_config(route_name="catalog.console.experience_practical", request_method="GET", permission=MANAGE)
@view_config(route_name="catalog.console.experience_policy", request_method="GET", permission=MANAGE)
@view_config(route_name="catalog.console.experience_status", request_method="GET", permission=MANAGE)
def section_get(request):
    """A section's address opened again (after a refused form, say): its place on the page."""
    anchor = {"catalog.console.experience_prices": "prices", "catalog.console.experience_policy": "cancellation",
              "catalog.console.experience_practical": "practical",
              "catalog.console.experience_status": "visitors"}[request.matched_route.name]
    return _back(request, request.context.obj, anchor)


# --- pictures: the shared pages (tourism/picture_views.py) -----------------------------------

PICTURES = PicturePages(
    gallery=editing.PICTURES, max_count=editing.MAX_PICTURES, permission=MANAGE,
    route="catalog.console.experience_pictures", owner_id="experience_id",
    picture_route="catalog.console.experience_picture", picture_id="picture_id",
    template=TEMPLATES + "experience_pictures.jinja2", remove_template=TEMPLATES + "experience_picture_remove.jinja2",
    title=experience_title)


# --- a new experience ----------------------------------------------------------------------------

def _new_page(request, form: Form | None = None, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    locale = request.locale_name
    villages = _own_villages(request)
    return {"form": form or Form("new", {"duration_hours": "2", "duration_minutes": "0"}),
            "villages": [{"value": str(v.id), "label": village_text(v, locale).value.name} for v in villages],
            "kinds": [{"value": kind.value, "label": request.translate(EXPERIENCE_KIND_LABELS[kind])}
                      for kind in editing.NEW_KINDS],
            **page_basics(request)}


def _own_villages(request) -> list:
    return villages_run_by(request.dbsession, visible_operator_id(request.identity))


@view_config(route_name="catalog.console.experience_new", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "experience_new.jinja2")
def new_page(request):
    return _new_page(request)


@view_config(route_name="catalog.console.experience_new", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "experience_new.jinja2")
def new_post(request):
    villages = _own_villages(request)
    try:
        if not villages:
            raise editing.InvalidInput({"village": _("You run no village yet: ask LàngViệt to add yours.")})
        experience = editing.create_experience(request.dbsession, villages, request.POST)
    except editing.InvalidInput as error:
        return _new_page(request, Form("new", typed(request), error.errors), status=400)
    flash(request, _("The draft is made. Next: its prices, its texts in other languages and its schedule; "
                     "then make it visible."))
    return HTTPSeeOther(request.route_path("catalog.console.experience", experience_id=experience.id))


def includeme(config):
    config.add_route("catalog.console.experiences", "/console/experiences",
                     factory="tourism.accounts.permissions.OwnerRoot")
    # Before the {experience_id} route, which would take "new" for an id.
    config.add_route("catalog.console.experience_new", "/console/experiences/new",
                     factory="tourism.accounts.permissions.OwnerRoot")
    # Before the {experience_id} routes, which would take "pictures" for an id.
    config.add_route("catalog.console.experience_picture", "/console/experiences/pictures/{picture_id}",
                     factory=picture_resource)
    config.add_route("catalog.console.experience_picture_move", "/console/experiences/pictures/{picture_id}/move",
                     factory=picture_resource)
    config.add_route("catalog.console.experience_picture_remove",
                     "/console/experiences/pictures/{picture_id}/remove", factory=picture_resource)
    config.add_route("catalog.console.experience", "/console/experiences/{experience_id}", factory=experience_resource)
    config.add_route("catalog.console.experience_prices", "/console/experiences/{experience_id}/prices",
                     factory=experience_resource)
    config.add_route("catalog.console.experience_policy", "/console/experiences/{experience_id}/cancellation",
                     factory=experience_resource)
    config.add_route("catalog.console.experience_practical", "/console/experiences/{experience_id}/details",
                     factory=experience_resource)
    config.add_route("catalog.console.experience_status", "/console/experiences/{experience_id}/status",
                     factory=experience_resource)
    config.add_route("catalog.console.experience_pictures", "/console/experiences/{experience_id}/pictures",
                     factory=experience_resource)
    add_picture_views(config, PICTURES)
    config.add_console_link("catalog.console.experiences", _("Experiences and schedules"), order=50)
    config.scan(__name__)
