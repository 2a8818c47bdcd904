"""The operator's audio-guide tools in the console, and the visitors' play counter.

- /console/audio: the tours of the signed-in operator (an admin sees all);
- /console/audio/tours/<id>: the stops in order (move up and down), what each has in which
  language, the play counts, the QR posters (PDF) and links to the visitor's pages;
- /console/audio/stops/<id>: per language, the recording (listen, replace), the transcript
  (edit: saved cleaned, shown as saved) and the captions;
- POST /g/<CODE>/played?lang=ko: a visitor's phone reports that a recording started.

Each tour, stop and track URL loads its object in a route factory that names the operator
owning it (OperatorResource), so another operator's staff get 403 whatever id they try;
the list narrows itself with visible_operator_id. Every permission is `CONSOLE`: what an
operator's staff may do with their own tours needs no finer split today.
"""
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPBadRequest, HTTPMovedPermanently, HTTPNotFound, HTTPSeeOther
from pyramid.i18n import make_localizer
from pyramid.interfaces import ITranslationDirectories
from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid.view import exception_view_config, view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from audio_guides import plays, posters, services, uploads
from audio_guides.models import Stop, Tour, Track
from tourism.accounts.permissions import CONSOLE, OperatorResource, row_from_url, visible_operator_id
from tourism.accounts.views import no_store
from tourism.catalog.models import PublicationStatus, Village
from tourism.catalog.services import village_text
from audio_guides.i18n import _
from tourism.i18n import LOCALES
from tourism.media import media_store
from tourism.ordering import move_within
from tourism.tickets.fonts import font_dirs, load_fonts
from tourism.uploads import BodyTooLarge

TEMPLATES = "audio_guides:templates/console/"
MAX_UPLOAD_KEY = "audio_guides.max_upload_bytes"
# What an upload form may carry besides the recording: captions, a transcript of up to
# 100,000 characters (4 bytes each at most in UTF-8), the token and the multipart framing.
FORM_OVERHEAD = uploads.MAX_CAPTIONS_BYTES + 4 * uploads.MAX_TRANSCRIPT_CHARS + 64 * 1024


# --- route factories: the object in the URL and the operator who owns it --------------------

def tour_resource(request) -> OperatorResource:
    tour = row_from_url(request, Tour, "tour_id")
    return OperatorResource(tour.village.operator_id, tour)


def stop_resource(request) -> OperatorResource:
    stop = row_from_url(request, Stop, "stop_id")
    return OperatorResource(stop.tour.village.operator_id, stop)


def track_resource(request) -> OperatorResource:
    track = row_from_url(request, Track, "track_id")
    return OperatorResource(track.stop.tour.village.operator_id, track)


# --- a body limit checked before the form is read (tourism.uploads) -------------------------

def max_body(registry) -> int:
    """The upload form's body limit: the recording's, read at each request, and the rest of the form."""
    return registry[MAX_UPLOAD_KEY] + FORM_OVERHEAD


@exception_view_config(BodyTooLarge, route_name="audio_guides.console.track.upload")
def track_too_large(request):
    return _too_large_page(request, uploads.too_large(request.registry[MAX_UPLOAD_KEY]))


def _too_large_page(request, error: uploads.UploadRefused):
    no_store(request)
    stop = getattr(request.context, "obj", None)
    response = render_to_response(TEMPLATES + "too_large.jinja2", {"error": error.message, "stop": stop},
                                  request=request)
    response.status = 413
    response.cache_control = "no-store"
    return response


# --- pages -----------------------------------------------------------------------------------

def _title(obj_text) -> str:
    return obj_text.value.title if obj_text else ""


def _local_today(request, tour: Tour):
    return request.now.astimezone(ZoneInfo(tour.village.time_zone)).date()


def _duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _size(request, size_bytes: int) -> str:
    return request.fmt.file_size(size_bytes)


@view_config(route_name="audio_guides.console.tours", permission=CONSOLE, renderer=TEMPLATES + "tours.jinja2")
def tours_page(request):
    no_store(request)
    query = (select(Tour).join(Village, Village.id == Tour.village_id).order_by(Tour.slug)
             .options(selectinload(Tour.texts), selectinload(Tour.stops).selectinload(Stop.tracks),
                      selectinload(Tour.village).selectinload(Village.texts)))
    operator_id = visible_operator_id(request.identity)
    if operator_id is not None:
        query = query.where(Village.operator_id == operator_id)
    rows = []
    for tour in request.dbsession.scalars(query):
        per_language = {locale: sum(1 for stop in tour.stops if any(t.locale == locale for t in stop.tracks))
                        for locale in LOCALES}
        rows.append({
            "tour": tour, "title": _title(services.tour_text(tour, request.locale_name)),
            "village": village_text(tour.village, request.locale_name).value.name,
            "published": tour.status == PublicationStatus.PUBLISHED, "stops": len(tour.stops),
            "languages": [{"name": request.fmt.language(locale), "stops": count}
                          for locale, count in per_language.items() if count],
        })
    return {"rows": rows}


@view_config(route_name="audio_guides.console.tour", permission=CONSOLE, renderer=TEMPLATES + "tour.jinja2")
def tour_page(request):
    no_store(request)
    tour = request.context.obj
    counts = plays.play_counts(request.dbsession, tour.id, _local_today(request, tour))
    stops, play_rows = [], []
    total_recent = total_all = 0
    for place, stop in enumerate(tour.stops, start=1):
        title = _title(services.stop_text(stop, request.locale_name))
        tracks = {track.locale: track for track in stop.tracks}
        stops.append({
            "stop": stop, "title": title, "place": place,
            "tracks": [{"name": request.fmt.language(locale), "duration": _duration(tracks[locale].duration_seconds),
                        "size": _size(request, tracks[locale].size_bytes)} for locale in LOCALES if locale in tracks],
            "missing": request.fmt.languages([locale for locale in LOCALES if locale not in tracks]),
            "visitor_url": request.route_url("audio_guides.stop", code=stop.code),
        })
        for locale in LOCALES:
            if locale in tracks or (stop.id, locale) in counts:
                recent, total = counts.get((stop.id, locale), (0, 0))
                total_recent, total_all = total_recent + recent, total_all + total
                play_rows.append({"keypad": stop.keypad_number, "title": title,
                                  "language": request.fmt.language(locale),
                                  "recent": request.fmt.number(recent), "total": request.fmt.number(total)})
    return {"tour": tour, "title": _title(services.tour_text(tour, request.locale_name)),
            "published": tour.status == PublicationStatus.PUBLISHED, "stops": stops, "play_rows": play_rows,
            "total_recent": request.fmt.number(total_recent), "total_all": request.fmt.number(total_all),
            "recent_days": plays.RECENT_DAYS, "messages": request.session.pop_flash()}


def _stop_page(request, stop: Stop, *, error: uploads.UploadRefused | None = None, error_locale=None,
               values=None, status=200) -> dict:
    no_store(request)
    request.response.status = status
    tracks = {track.locale: track for track in stop.tracks}
    sections = []
    for locale in LOCALES:
        track = tracks.get(locale)
        failed = error is not None and error_locale == locale
        sections.append({
            "locale": locale, "name": request.fmt.language(locale), "track": track,
            "duration": _duration(track.duration_seconds) if track else "",
            "size": _size(request, track.size_bytes) if track else "",
            "format": uploads.format_name(track.audio_key) if track else "",
            "transcript": uploads.clean_transcript(track.transcript_html) if track else "",
            "error": error.message if failed else None, "error_field": error.field if failed else None,
            "typed": (values or {}).get("transcript", "") if failed else "",
        })
    failed = next((s for s in sections if s["error"]), None)
    return {"stop": stop, "tour": stop.tour, "title": _title(services.stop_text(stop, request.locale_name)),
            "failed": failed,
            "tour_title": _title(services.tour_text(stop.tour, request.locale_name)), "sections": sections,
            "max_mb": request.registry[MAX_UPLOAD_KEY] // (1024 * 1024), "formats": uploads.ACCEPTED_NAMES,
            "messages": request.session.pop_flash()}


@view_config(route_name="audio_guides.console.stop", permission=CONSOLE, renderer=TEMPLATES + "stop.jinja2")
def stop_page(request):
    return _stop_page(request, request.context.obj)


# --- changes -------------------------------------------------------------------------------

def move_stop(dbsession, stop: Stop, place: int) -> bool:
    """Put `stop` at `place` (1 = first; out-of-range places clamp) in its tour's order and
    number the stops 1…n. Returns False when it was there already (a repeated press).

    Locks the tour row, so two people reordering at once take turns. Keypad numbers and
    codes do not change: the posters already printed stay right.
    """
    dbsession.execute(select(Tour.id).where(Tour.id == stop.tour_id).with_for_update())
    ordered = list(dbsession.scalars(select(Stop).where(Stop.tour_id == stop.tour_id)
                                     .order_by(Stop.position, Stop.id).execution_options(populate_existing=True)))
    moved = move_within(ordered, stop, place)
    for number, each in enumerate(ordered, start=1):
        each.position = number
    dbsession.flush()
    dbsession.expire(stop.tour, ["stops"])
    return moved


@view_config(route_name="audio_guides.console.stop.move", request_method="POST", permission=CONSOLE)
def stop_move(request):
    stop = request.context.obj
    raw = request.POST.get("place", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4):
        raise HTTPBadRequest()
    title = _title(services.stop_text(stop, request.locale_name))
    if move_stop(request.dbsession, stop, int(raw)):
        message = _("Moved “${title}” to place ${place}.", mapping={"title": title, "place": stop.position})
    else:
        message = _("“${title}” is already at place ${place}.", mapping={"title": title, "place": stop.position})
    request.session.flash(request.translate(message))
    return HTTPSeeOther(request.route_path("audio_guides.console.tour", tour_id=stop.tour_id,
                                           _anchor=f"stop-{stop.id}"))


def _file(field):
    """The uploaded file of a form field, or None when no file was chosen (it comes as text)."""
    return field if getattr(field, "file", None) is not None and getattr(field, "filename", None) else None


@view_config(route_name="audio_guides.console.track.upload", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "stop.jinja2", max_body=max_body)
def track_upload(request):
    stop, locale = request.context.obj, request.matchdict["locale"]
    if locale not in LOCALES:
        raise HTTPNotFound()
    audio_field, captions_field = _file(request.POST.get("audio")), _file(request.POST.get("captions"))
    transcript = request.POST.get("transcript")
    transcript = transcript if isinstance(transcript, str) else None
    try:
        if audio_field is None and captions_field is None:
            raise uploads.UploadRefused(_("Choose the recording to upload, then press the button again."))
        audio = uploads.check_audio(uploads.read_upload(audio_field.file, request.registry[MAX_UPLOAD_KEY])) \
            if audio_field is not None else None
        captions = uploads.read_upload(captions_field.file, uploads.MAX_CAPTIONS_BYTES, field="captions") \
            if captions_field is not None else None
        had_track = any(t.locale == locale for t in stop.tracks)
        track = uploads.save_track(request.dbsession, media_store(request.registry), stop, locale, audio=audio,
                                   transcript=transcript, captions=captions)
    except uploads.UploadRefused as error:
        return _stop_page(request, stop, error=error, error_locale=locale, values={"transcript": transcript or ""},
                          status=error.status)
    language = request.fmt.language(locale)
    if audio is None:
        message = _("Captions saved for the ${language} recording.", mapping={"language": language})
    elif had_track:
        message = _("The ${language} recording was replaced (${duration}).",
                    mapping={"language": language, "duration": _duration(track.duration_seconds)})
    else:
        message = _("The ${language} recording was saved (${duration}).",
                    mapping={"language": language, "duration": _duration(track.duration_seconds)})
    request.session.flash(request.translate(message))
    return HTTPSeeOther(request.route_path("audio_guides.console.stop", stop_id=stop.id, _anchor=f"lang-{locale}"))


@view_config(route_name="audio_guides.console.track.transcript", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "stop.jinja2")
def track_transcript(request):
    track = request.context.obj
    raw = request.POST.get("transcript", "")
    raw = raw if isinstance(raw, str) else ""
    try:
        cleaned = uploads.check_transcript(raw)
    except uploads.UploadRefused as error:
        return _stop_page(request, track.stop, error=error, error_locale=track.locale, values={"transcript": raw},
                          status=error.status)
    track.transcript_html = cleaned
    request.dbsession.flush()
    language = request.fmt.language(track.locale)
    if "<" in raw and _normal(cleaned) != _normal(raw):
        message = _("The ${language} transcript was saved, without what is not allowed in it: only headings, "
                    "paragraphs, lists, bold, italic and links to web addresses are kept. Check it below.",
                    mapping={"language": language})
    else:
        message = _("The ${language} transcript was saved.", mapping={"language": language})
    request.session.flash(request.translate(message))
    return HTTPSeeOther(request.route_path("audio_guides.console.stop", stop_id=track.stop_id,
                                           _anchor=f"lang-{track.locale}"))


def _normal(html: str) -> str:
    """HTML compared loosely: no whitespace, no rel we add, one way to quote and close."""
    text = html.replace(' rel="noopener"', "").replace("'", '"').replace("<br/>", "<br>").replace("<br />", "<br>")
    return "".join(text.split())


# --- posters -------------------------------------------------------------------------------

def _localizer(registry, locale: str):
    return make_localizer(locale, registry.queryUtility(ITranslationDirectories, default=[]))


def poster_labels(registry) -> dict[str, posters.PosterLabels]:
    """The posters' fixed words in Vietnamese and English, from the catalogs."""
    labels = {}
    for locale in posters.POSTER_LANGUAGES:
        localizer = _localizer(registry, locale)
        labels[locale] = posters.PosterLabels(
            stop=localizer.translate(_("Stop")),
            scan=localizer.translate(_("Scan or go to ${address}", mapping={"address": "{address}"})))
    return labels


@view_config(route_name="audio_guides.console.posters", permission=CONSOLE)
def tour_posters(request):
    tour = request.context.obj
    settings = request.registry.settings
    data = posters.tour_posters_pdf(tour, settings["tourism.base_url"], load_fonts(font_dirs(settings)),
                                    labels=poster_labels(request.registry))
    response = Response(body=data, content_type="application/pdf")
    response.content_disposition = f'inline; filename="LangViet-posters-{tour.slug}.pdf"'
    response.cache_control = "no-store"
    return response


@view_config(route_name="audio_guides.poster_link", request_method=("GET", "HEAD"))
def poster_link(request):
    """/G/<CODE>, the address the posters' QR holds (upper case keeps the QR small), is /g/<CODE>."""
    return HTTPMovedPermanently(request.route_path("audio_guides.stop", code=request.matchdict["code"],
                                                   _query=list(request.GET.items())))


# --- play counts -----------------------------------------------------------------------------

# No CSRF token: the beacon comes from a visitor's phone with no session and no form (CSRF
# protects what a signed-in user may do; this endpoint needs no sign-in), it changes only a
# counter, and it reads no cookie and sets none (its answers have no body and so no
# Content-Type: tourism.i18n remembers ?lang= only on pages). Forging it can only add a
# play, which anyone can do by pressing play.
@view_config(route_name="audio_guides.played", request_method="POST", require_csrf=False)
def played(request):
    lang = request.GET.get("lang")
    if lang is None and request.content_type == "application/x-www-form-urlencoded":
        lang = request.POST.get("lang")
    response = Response(status=204)  # no body, no Content-Type
    response.cache_control = "no-store"
    if lang not in LOCALES:
        response.status = 400
        return response
    stop = services.find_stop(request.dbsession, request.matchdict["code"])
    if stop is None:
        response.status = 404
        return response
    plays.record_play(request.dbsession, stop, lang, _local_today(request, stop.tour))
    return response


def includeme(config):
    config.registry[MAX_UPLOAD_KEY] = uploads.max_upload_bytes(config.get_settings())
    root = "tourism.accounts.permissions.ConsoleRoot"
    config.add_route("audio_guides.console.tours", "/console/audio", factory=root)
    config.add_route("audio_guides.console.tour", "/console/audio/tours/{tour_id}", factory=tour_resource)
    config.add_route("audio_guides.console.posters", "/console/audio/tours/{tour_id}/posters.pdf",
                     factory=tour_resource)
    config.add_route("audio_guides.console.stop", "/console/audio/stops/{stop_id}", factory=stop_resource)
    config.add_route("audio_guides.console.stop.move", "/console/audio/stops/{stop_id}/move", factory=stop_resource)
    config.add_route("audio_guides.console.track.upload", "/console/audio/stops/{stop_id}/tracks/{locale}",
                     factory=stop_resource)
    config.add_route("audio_guides.console.track.transcript", "/console/audio/tracks/{track_id}/transcript",
                     factory=track_resource)
    config.add_route("audio_guides.played", "/g/{code}/played")
    config.add_route("audio_guides.poster_link", "/G/{code}")
    config.add_console_link("audio_guides.console.tours", _("Audio guides"), order=50)
    config.scan(__name__)
