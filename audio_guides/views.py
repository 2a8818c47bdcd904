"""The visitor's pages: a stop (/g/<CODE>), a tour, its keypad, and saving a tour for offline use.

A stop opens in the visitor's language (tourism.i18n) and says when its text or its recording
falls back to another one. Pages work without JavaScript (native audio controls, a GET keypad
form); the scripts add lock-screen controls, the play count and offline saving. Offline, a
service worker (/g/sw.js) answers from what the tour page saved, Range requests included,
so seeking in a recording works in airplane mode.
"""
import mimetypes
import re
from pathlib import Path
from urllib.parse import urlencode

from markupsafe import Markup
from pyramid.httpexceptions import HTTPMovedPermanently, HTTPNotFound, HTTPSeeOther
from pyramid.path import AssetResolver
from pyramid.renderers import render
from pyramid.request import apply_request_extensions
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from audio_guides import services
from audio_guides.models import Stop, Tour, TourExperience
from tourism.catalog.models import PublicationStatus
from tourism.catalog.services import experience_text, image_alt, village_text
from audio_guides.i18n import _
from tourism.i18n import LANGUAGE_NAMES, pick_locale, script_template
from tourism.media import media_store
from tourism.panels import render_panels

TEMPLATES = "audio_guides:templates/"
STATIC = "audio_guides:static/"
SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "js" / "guide-sw.js"
# What a stop page loads besides its images and audio; saved with a tour for offline use.
PAGE_ASSETS = ("tourism:static/css/site.css", "tourism:static/favicon.svg", STATIC + "css/audio.css",
               STATIC + "js/stop.js", STATIC + "js/tour.js", STATIC + "js/keypad.js")
# Where the service worker answers: its own directory, and the tour pages.
WORKER_SCOPES = ("/g/", "/tours/")
KEYPAD_NUMBER = re.compile(r"^[0-9]{1,6}$")
MAX_SHOWN_CODE = 24  # an unknown code is repeated to the visitor, cut to this length
TOUR_LIST_LIMIT = 100


def _media_url(request, key: str | None) -> str | None:
    return request.route_path("tourism.media", key=key) if key else None


def _message_template(request, message, *names) -> str:
    # The offline and keypad scripts fill in "${name}".
    return script_template(request, message, *names, placeholder="${%s}")


# --- finding things -------------------------------------------------------------------------

def published_tour(dbsession, slug: str) -> Tour | None:
    if len(slug) > 80:
        return None
    return dbsession.scalar(select(Tour).where(Tour.slug == slug, Tour.status == PublicationStatus.PUBLISHED))


def published_tours(dbsession, limit: int = TOUR_LIST_LIMIT) -> list[Tour]:
    return list(dbsession.scalars(select(Tour).where(Tour.status == PublicationStatus.PUBLISHED)
                                  .order_by(Tour.slug).limit(limit)))


def stop_by_number(tour: Tour, number: int) -> Stop | None:
    return next((stop for stop in tour.stops if stop.keypad_number == number), None)


def tour_languages(tour: Tour) -> list[str]:
    """Every language some stop of the tour is recorded in (what offline saving offers)."""
    return sorted({track.locale for stop in tour.stops for track in stop.tracks})


# --- what the templates show ----------------------------------------------------------------

def _tour_view(request, tour: Tour) -> dict:
    locale = request.locale_name
    text = services.tour_text(tour, locale)
    village = village_text(tour.village, locale)
    return {
        "tour": tour,
        "text": text,
        "title": text.value.title if text else tour.slug,
        "village": village,
        "village_name": village.value.name if village else tour.village.slug,
        "url": request.route_url("audio_guides.tour", slug=tour.slug),
        "keypad_url": request.route_url("audio_guides.keypad", slug=tour.slug),
    }


def _stop_item(request, stop: Stop) -> dict:
    """A stop as the tour's list of stops shows it."""
    text = services.stop_text(stop, request.locale_name)
    return {
        "stop": stop,
        "text": text,
        "title": text.value.title if text else request.localizer.translate(
            _("Stop ${number}", mapping={"number": stop.keypad_number})),
        "url": request.route_url("audio_guides.stop", code=stop.code),
    }


def _image_view(request, image) -> dict:
    return {"image": image, "alt": image_alt(image, request.locale_name),
            "url": request.static_url(f"tourism:static/{image.path}")}


def _stop_values(request, stop: Stop) -> dict:
    locale = request.locale_name
    tour = stop.tour
    items = [_stop_item(request, s) for s in tour.stops]
    index = next(i for i, item in enumerate(items) if item["stop"].id == stop.id)
    here = items[index]
    previous = items[index - 1] if index > 0 else None
    following = items[index + 1] if index + 1 < len(items) else None
    track = services.track_for(stop, locale)
    images = [_image_view(request, image) for image in stop.images]
    tour_view = _tour_view(request, tour)
    media = {}
    if track is not None:
        media = {
            "audio_url": request.route_url("tourism.media", key=track.value.audio_key),
            "vtt_url": (request.route_url("tourism.media", key=track.value.vtt_key)
                        if track.value.vtt_key else None),
            # Babel names both languages in the visitor's own: "No Korean recording yet: …"
            "track_language": request.fmt.language(track.locale),
            "wanted_language": request.fmt.language(locale),
        }
    player = {
        "title": here["title"],
        "tour": tour_view["title"],
        "village": tour_view["village_name"],
        "artwork": [{"src": images[0]["url"], "sizes": f"{images[0]['image'].width}x{images[0]['image'].height}",
                     "type": mimetypes.guess_type(images[0]["image"].path)[0] or ""}] if images else [],
        "previous": previous["url"] if previous else None,
        "next": following["url"] if following else None,
        "played": request.route_url("audio_guides.played", code=stop.code, _query={"lang": track.locale})
        if track is not None else None,
    }
    return {
        **tour_view,
        "tour_title": tour_view["title"],
        "stop": stop,
        "here": here,
        "position": index + 1,
        "count": len(items),
        "items": items,
        "previous": previous,
        "following": following,
        "track": track,
        "images": images,
        "player": player,
        # Other add-ons' content about this stop (config.add_panel("audio_stop", ...)).
        "panels": render_panels(request, "audio_stop", stop),
        **media,
    }


# --- the stop -------------------------------------------------------------------------------

@view_config(route_name="audio_guides.stop", request_method="GET", renderer=TEMPLATES + "stop.jinja2")
def stop_page(request):
    code = request.matchdict["code"]
    stop = services.find_stop(request.dbsession, code)
    if stop is not None:
        return _stop_values(request, stop)
    # A code typed by hand, in lower case: the poster's QR code is upper case.
    upper = code.upper()
    if upper != code and services.find_stop(request.dbsession, upper) is not None:
        return HTTPMovedPermanently(location=request.route_url(
            "audio_guides.stop", code=upper, _query=list(request.GET.items())))
    return _not_found(request, code=code)


def _not_found(request, code: str):
    """The site's "not found" page, with the way on: the tours and their keypads."""
    request.response.status = 404
    request.response.cache_control = "no-store"
    shown = (code or "")[:MAX_SHOWN_CODE]
    return _render_page(request, "not_found.jinja2", {
        "code": shown,
        "tours": [_tour_view(request, tour) for tour in published_tours(request.dbsession)],
        "tours_url": request.route_url("audio_guides.tours"),
    })


def _render_page(request, template: str, values: dict):
    response = request.response
    response.text = render(TEMPLATES + template, values, request=request)
    return response


# --- tours, the keypad ----------------------------------------------------------------------

@view_config(route_name="audio_guides.tours", request_method="GET", renderer=TEMPLATES + "tours.jinja2")
def tours_page(request):
    return {"tours": [_tour_view(request, tour) for tour in published_tours(request.dbsession)]}


def _tour_or_404(request) -> Tour:
    tour = published_tour(request.dbsession, request.matchdict["slug"])
    if tour is None:
        raise HTTPNotFound()
    return tour


@view_config(route_name="audio_guides.tour", request_method="GET", renderer=TEMPLATES + "tour.jinja2")
def tour_page(request):
    return _tour_values(request, _tour_or_404(request))


def _tour_values(request, tour: Tour) -> dict:
    locale = request.locale_name
    items = [_stop_item(request, stop) for stop in tour.stops]
    tracks = [services.track_for(stop, locale) for stop in tour.stops]
    seconds = sum(track.value.duration_seconds for track in tracks if track is not None)
    offered = tour_languages(tour)
    everywhere = services.track_languages(tour)
    translate = request.localizer.translate
    return {
        **_tour_view(request, tour),
        "items": items,
        "listening": request.fmt.duration(max(1, round(seconds / 60))) if seconds else None,
        "languages": request.fmt.languages(everywhere),
        "language_count": len(everywhere),
        "offline": {
            "languages": [{"code": code, "name": LANGUAGE_NAMES.get(code, code)} for code in offered],
            "chosen": pick_locale(offered, locale),
        },
        "offline_config": {
            "slug": tour.slug,
            "cache": cache_name(tour),
            "manifest": request.route_path("audio_guides.offline", slug=tour.slug),
            "worker": request.route_path("audio_guides.worker"),
            "scopes": list(WORKER_SCOPES),
            "messages": {
                "size": _message_template(request, _("Saving needs ${size} on this phone (${count} files)."),
                                          "size", "count"),
                "progress": _message_template(request, _("Saved ${done} of ${total}…"), "done", "total"),
                "saved": _message_template(request, _("Saved for offline use in ${language}. The tour works "
                                                      "with no connection."), "language"),
                "incomplete": translate(_("Not completely saved: save again to finish.")),
                "failed": translate(_("Could not save the whole tour: check the connection, then save "
                                      "again (what is saved is kept).")),
                "noSpace": translate(_("There is not enough space on this phone to save the tour.")),
                "removed": translate(_("The tour is no longer saved on this phone.")),
                "checking": translate(_("Checking the size…")),
                "sizeFailed": translate(_("Could not check the size: no connection?")),
            },
        },
        "experiences": [
            {"title": text.value.title, "locale": text.locale,
             "url": request.route_url("catalog.experience", slug=experience.slug)}
            for experience in tour.experiences if experience.status == PublicationStatus.PUBLISHED
            for text in [experience_text(experience, locale)] if text
        ],
    }


@view_config(route_name="audio_guides.keypad", request_method="GET", renderer=TEMPLATES + "keypad.jinja2")
def keypad_page(request):
    """The museum keypad: the number printed on a stop opens it. `?number=` is the form without JavaScript."""
    tour = _tour_or_404(request)
    entry = request.GET.get("number")
    if entry is None:
        return _keypad_values(request, tour)
    entry = entry.strip()[:20]
    if not KEYPAD_NUMBER.match(entry):
        request.response.status = 400
        return _keypad_values(request, tour, entry, NOT_A_NUMBER)
    stop = stop_by_number(tour, int(entry))
    if stop is None:
        request.response.status = 404
        return _keypad_values(request, tour, entry, _(UNKNOWN_NUMBER, mapping={"number": entry}))
    return HTTPSeeOther(location=request.route_url("audio_guides.stop", code=stop.code))


NOT_A_NUMBER = _("Type the number printed on the stop, in digits (for example 3).")
UNKNOWN_NUMBER = _("No stop on this tour has the number ${number}. Check the number on the sign.")


def _keypad_values(request, tour: Tour, entry: str = "", error=None) -> dict:
    return {
        **_tour_view(request, tour),
        "entry": entry,
        "error": error,
        # The keypad answers by itself (offline too): every number of the tour and its page.
        "keypad_config": {
            "stops": {str(stop.keypad_number): request.route_path("audio_guides.stop", code=stop.code)
                      for stop in tour.stops},
            "messages": {
                "unknown": _message_template(request, UNKNOWN_NUMBER, "number"),
                "invalid": request.localizer.translate(NOT_A_NUMBER),
            },
        },
    }


# --- offline --------------------------------------------------------------------------------

def cache_name(tour: Tour) -> str:
    """The phone's cache holding a saved tour (the service worker reads every "langviet-tour-*")."""
    return f"langviet-tour-{tour.slug}"


def _asset_size(spec: str) -> int:
    try:
        return Path(AssetResolver().resolve(spec).abspath()).stat().st_size
    except OSError:
        return 0


def offline_files(request, tour: Tour, locale: str) -> list[dict]:
    """Every URL a saved tour needs in `locale`, with its size in bytes, pages first, audio last.

    Pages are stored under their path alone (`key`): offline, /g/ABC opens whatever its query.
    A stop without a recording in `locale` gets the one the page plays instead (the fallback).
    """
    files = []
    query = {"lang": locale}
    pages = [(request.route_path("audio_guides.tour", slug=tour.slug), "tour.jinja2",
              lambda sub: _tour_values(sub, tour)),
             (request.route_path("audio_guides.keypad", slug=tour.slug), "keypad.jinja2",
              lambda sub: _keypad_values(sub, tour))]
    pages += [(request.route_path("audio_guides.stop", code=stop.code), "stop.jinja2",
               lambda sub, stop=stop: _stop_values(sub, stop)) for stop in tour.stops]
    for path, template, values in pages:
        files.append({"url": f"{path}?{urlencode(query)}", "key": path, "kind": "page",
                      "bytes": _page_size(request, path, query, template, values)})
    seen = set()

    def add(url, kind, size):
        if url not in seen:
            seen.add(url)
            files.append({"url": url, "kind": kind, "bytes": size})

    for spec in PAGE_ASSETS:
        add(request.static_path(spec), "file", _asset_size(spec))
    for stop in tour.stops:
        for image in stop.images:
            spec = f"tourism:static/{image.path}"
            add(request.static_path(spec), "image", _asset_size(spec))
    for stop in tour.stops:
        track = services.track_for(stop, locale)
        if track is None:
            continue
        if track.value.vtt_key:
            add(_media_url(request, track.value.vtt_key), "captions",
                _media_size(request, track.value.vtt_key))
        add(_media_url(request, track.value.audio_key), "audio", track.value.size_bytes)
    return files


def _page_size(request, path: str, query: dict, template: str, values) -> int:
    """The size of a page as it is served: rendered for a request to its own address."""
    environ = dict(request.environ, PATH_INFO=path, QUERY_STRING=urlencode(query))
    environ["app.dbsession"] = request.dbsession  # the same session, not a second transaction
    page = request.__class__(environ)
    page.registry = request.registry
    apply_request_extensions(page)
    return len(render(TEMPLATES + template, values(page), request=page).encode("utf-8"))


def _media_size(request, key: str) -> int:
    try:
        return media_store(request.registry).path(key).stat().st_size
    except (OSError, ValueError):
        return 0


@view_config(route_name="audio_guides.offline", request_method="GET", renderer="json")
def offline_manifest(request):
    """What "save for offline use" stores, in the language asked for (`?lang=`, else the visitor's)."""
    tour = published_tour(request.dbsession, request.matchdict["slug"])
    request.response.cache_control = "no-cache"
    if tour is None:
        request.response.status = 404
        return {"ok": False, "message": request.localizer.translate(_("Page not found"))}
    locale = request.locale_name
    files = offline_files(request, tour, locale)
    return {
        "ok": True,
        "tour": tour.slug,
        "lang": locale,
        "language": LANGUAGE_NAMES.get(locale, locale),
        "cache": cache_name(tour),
        "total_bytes": sum(f["bytes"] for f in files),
        "files": files,
    }


@view_config(route_name="audio_guides.worker", request_method="GET")
def service_worker(request):
    """The offline worker. Its file is under /g/; it also answers for /tours/ (Service-Worker-Allowed)."""
    response = Response(body=SERVICE_WORKER.read_bytes(), content_type="text/javascript", charset="utf-8")
    response.cache_control = "no-cache"  # checked on every visit: a fix reaches phones at once
    response.headers["Service-Worker-Allowed"] = "/"
    return response


# --- the experience page's link -------------------------------------------------------------

def experience_panel(request, experience) -> Markup | None:
    """"Audio guide in N languages" on an experience page whose experience has a published tour."""
    tours = list(request.dbsession.scalars(
        select(Tour).join(TourExperience, TourExperience.tour_id == Tour.id)
        .where(TourExperience.experience_id == experience.id, Tour.status == PublicationStatus.PUBLISHED)
        .order_by(Tour.slug)))
    tours = [t for t in tours if t.stops]
    if not tours:
        return None
    views = []
    for tour in tours:
        languages = services.track_languages(tour)
        views.append({**_tour_view(request, tour), "language_count": len(languages),
                      "languages": request.fmt.languages(languages)})
    return Markup(render(TEMPLATES + "experience_panel.jinja2", {"tours": views}, request=request))


def includeme(config):
    config.add_hashed_static("audio-static", STATIC)
    config.add_route("audio_guides.worker", "/g/sw.js")  # before /g/{code}: a code has no dot
    config.add_route("audio_guides.stop", "/g/{code}")
    config.add_route("audio_guides.tours", "/tours")
    config.add_route("audio_guides.tour", "/tours/{slug}")
    config.add_route("audio_guides.keypad", "/tours/{slug}/keypad")
    config.add_route("audio_guides.offline", "/tours/{slug}/offline.json")
    config.add_panel("experience", experience_panel)
    config.scan(__name__)
