"""Public catalog pages: home with search, village pages, experience pages."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from tourism.booking.availability import SESSION_STATE_LABELS, month_calendar, parse_month
from tourism.catalog import jsonld, services
from tourism.catalog.models import CRAFTS, EXPERIENCE_KIND_LABELS, PRICE_TIERS, ExperienceKind
from tourism.i18n import LOCALES
from tourism.images import image_url
from tourism.panels import render_panels

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def today_in_vietnam() -> date:
    # Every village is in Vietnam's single time zone, so "today" is today there.
    return datetime.now(VIETNAM).date()


def _image_urls(request, images) -> list[str]:
    return [image_url(request, image) for image in images]


def _image_alts(request, images) -> dict[int, str]:
    return {image.id: services.image_alt(image, request.locale_name) for image in images}


def _season(request, experience) -> tuple[str, str] | None:
    if experience.season_start_month is None:
        return None
    return (request.fmt.month(experience.season_start_month), request.fmt.month(experience.season_end_month))


def _calendar(request, experience) -> dict:
    """The month the visitor asked for (`?month=2026-12`), with links to the months around it."""
    today = today_in_vietnam()
    year, month = parse_month(request.GET.get("month"), today)
    previous = (year, month - 1) if month > 1 else (year - 1, 12)
    following = (year, month + 1) if month < 12 else (year + 1, 1)
    return {
        "weeks": month_calendar(request.dbsession, experience, year=year, month=month, now=request.now),
        "title": request.fmt.month_title(year, month),
        "previous": f"{previous[0]}-{previous[1]:02d}" if previous >= (today.year, today.month) else None,
        "next": f"{following[0]}-{following[1]:02d}",
    }


def card(request, experience) -> dict:
    """What a listing shows of one experience."""
    return {
        "experience": experience,
        "text": services.experience_text(experience, request.locale_name),
        "village": services.village_text(experience.village, request.locale_name),
        "url": request.route_url("catalog.experience", slug=experience.slug),
    }


@view_config(route_name="catalog.home", renderer="tourism:catalog/templates/home.jinja2")
def home(request):
    provinces = services.list_provinces(request.dbsession)
    filters = services.parse_filters(request.GET, provinces=set(provinces), today=today_in_vietnam())
    result = services.search_experiences(request.dbsession, filters)
    cards = [card(request, e) for e in result.experiences]
    return {
        "filters": filters,
        "result": result,
        "cards": cards,
        # The village strip shows only on the unfiltered home page.
        "villages": [] if filters.active else [
            {"village": v, "text": services.village_text(v, request.locale_name),
             "url": request.route_url("catalog.village", slug=v.slug)}
            for v in services.list_villages(request.dbsession)
        ],
        "provinces": provinces,
        "crafts": CRAFTS,
        "kinds": EXPERIENCE_KIND_LABELS,
        "languages": LOCALES,
        "json_ld": jsonld.item_list([c["url"] for c in cards]),
    }


@view_config(route_name="catalog.village", renderer="tourism:catalog/templates/village.jinja2")
def village(request):
    village = services.get_village(request.dbsession, request.matchdict["slug"])
    if village is None:
        raise HTTPNotFound()
    text = services.village_text(village, request.locale_name)
    experiences = services.village_experiences(request.dbsession, village)
    cards = [card(request, e) for e in experiences]
    url = request.route_url("catalog.village", slug=village.slug)
    return {
        "village": village,
        "text": text,
        "cards": cards,
        "crafts": CRAFTS,
        "kinds": EXPERIENCE_KIND_LABELS,
        "img_alts": _image_alts(request, village.images),
        # Add-ons' content about the village (config.add_panel("village", ...)).
        "panels": render_panels(request, "village", village),
        "json_ld": jsonld.village_document(
            village, text.value, url, _image_urls(request, village.images),
            [{"@type": "TouristTrip" if c["experience"].kind != ExperienceKind.ADMISSION
              else "TouristAttraction", "name": c["text"].value.title, "url": c["url"]} for c in cards],
        ),
    }


@view_config(route_name="catalog.experience", renderer="tourism:catalog/templates/experience.jinja2")
def experience(request):
    experience = services.get_published_experience(request.dbsession, request.matchdict["slug"])
    if experience is None:
        raise HTTPNotFound()
    locale = request.locale_name
    text = services.experience_text(experience, locale)
    village_text = services.village_text(experience.village, locale)
    url = request.route_url("catalog.experience", slug=experience.slug)
    village_url = request.route_url("catalog.village", slug=experience.village.slug)
    tier_names = {code: request.translate(label) for code, label in PRICE_TIERS.items()}
    return {
        "experience": experience,
        "text": text,
        "village_text": village_text,
        "village_url": village_url,
        "kind_label": EXPERIENCE_KIND_LABELS[experience.kind],
        "craft_label": CRAFTS.get(experience.craft, experience.craft),
        "img_alts": _image_alts(request, experience.images),
        "season": _season(request, experience),
        "policy": services.describe_cancellation_policy(experience.cancellation_rules),
        "opening_hours": services.weekly_opening_hours(experience),
        "calendar": _calendar(request, experience),
        "state_labels": SESSION_STATE_LABELS,
        # Add-ons' content about the experience (config.add_panel("experience", ...)).
        "panels": render_panels(request, "experience", experience),
        "json_ld": jsonld.experience_document(
            experience, text.value, village_text.value.name, url, village_url,
            _image_urls(request, experience.images), tier_names,
        ),
    }
