"""The visitor's 3D pages: an asset's own page (/heritage/<slug>), the heritage gallery on a
village page, the asset on the experience pages and audio-guide stops it is linked to.

Each viewer is a <model-viewer> holding its poster (an <img>, so without JavaScript or
WebGL the poster still shows, at its reserved size) and one button per hotspot; below it
the annotations and guided views are a plain list, which is the page's content for a
screen reader, a browser without WebGL and a search engine alike.
"""
from markupsafe import Markup
from pyramid.httpexceptions import HTTPNotFound
from pyramid.renderers import render
from pyramid.view import view_config

from heritage3d import VIEWER_KEY, jsonld, services
from heritage3d.i18n import _
from heritage3d.models import LICENCE_LABELS, LICENCE_URLS, HeritageAsset
from tourism.catalog.models import PublicationStatus
from tourism.catalog.services import experience_text, village_text

TEMPLATES = "heritage3d:templates/"
STATIC = "heritage3d:static/"
# The stage keeps one of these shapes, chosen from the poster's, so that the page reserves
# the space before anything loads (a CSS class: the CSP forbids inline styles).
STAGE_RATIOS = {"r1x1": 1.0, "r4x3": 4 / 3, "r16x9": 16 / 9, "r3x4": 3 / 4}


def stage_ratio(width: int, height: int) -> str:
    ratio = width / height
    return min(STAGE_RATIOS, key=lambda name: abs(STAGE_RATIOS[name] - ratio))


def _length(request, metres: float | None) -> str | None:
    if metres is None:
        return None
    if metres < 1:
        return request.fmt.number(round(metres * 100, 1)) + " cm"
    return request.fmt.number(round(metres, 2)) + " m"


def _dimensions(request, asset: HeritageAsset) -> str | None:
    lengths = [_length(request, v) for v in (asset.width_m, asset.height_m, asset.depth_m)]
    if None in lengths:
        return None
    width, height, depth = lengths
    return request.localizer.translate(_("${width} wide, ${height} high, ${depth} deep",
                                         mapping={"width": width, "height": height, "depth": depth}))


def media_url(request, key: str) -> str:
    return request.route_url("tourism.media", key=key)


def viewer_values(request, asset: HeritageAsset) -> dict:
    """What a viewer shows of `asset`, in the visitor's language (with fallbacks said)."""
    locale = request.locale_name
    text = services.asset_text(asset, locale)
    title = text.value.title if text else asset.slug
    hotspots = []
    for number, hotspot in enumerate(asset.hotspots, start=1):
        note = services.hotspot_text(hotspot, locale)
        hotspots.append({"number": number, "hotspot": hotspot, "note": note,
                         "label": note.value.label if note else str(number),
                         "text": note.value.text if note else ""})
    views = []
    for view in asset.views:
        caption = services.view_text(view, locale)
        if caption is not None:
            views.append({"view": view, "caption": caption})
    village = village_text(asset.village, locale)
    return {
        "asset": asset,
        "dom_id": f"h3d-{asset.id}",
        "text": text,
        "title": title,
        "alt": (text.value.alt or request.localizer.translate(
            _("3D model: ${title}", mapping={"title": title}))) if text else title,
        "model_url": media_url(request, asset.model_key),
        "poster_url": media_url(request, asset.poster_key),
        "stage": stage_ratio(asset.poster_width, asset.poster_height),
        "hotspots": hotspots,
        "views": views,
        "url": request.route_url("heritage3d.asset", slug=asset.slug),
        "village_name": village.value.name if village else asset.village.slug,
        "village_url": request.route_url("catalog.village", slug=asset.village.slug),
        "licence": request.localizer.translate(LICENCE_LABELS[asset.licence]),
        "licence_url": LICENCE_URLS[asset.licence],
        "dimensions": _dimensions(request, asset),
        "file_size": request.fmt.file_size(asset.size_bytes),
        # What turning it in 3D costs a phone that has nothing cached: the viewer and the model.
        "download_size": request.fmt.file_size(asset.size_bytes + viewer_bytes(request)),
        "triangles": request.fmt.number(asset.triangle_count),
    }


def viewer_bytes(request) -> int:
    vendor = request.registry.get(VIEWER_KEY)
    return vendor["script_bytes"] if vendor else 0


def scripts(request) -> dict | None:
    """The viewer's scripts for a page's template, or None when the viewer is not installed."""
    vendor = request.registry.get(VIEWER_KEY)
    if vendor is None:
        return None
    return {
        "viewer": request.static_url(vendor["script"]),
        "setup": request.static_url(STATIC + "js/viewer.js"),
        "draco": vendor["draco"], "ktx2": vendor["ktx2"],
    }


def _panel(request, template: str, assets: list[HeritageAsset]) -> Markup | None:
    if not assets:
        return None
    return Markup(render(TEMPLATES + template, {
        "viewers": [viewer_values(request, asset) for asset in assets], "scripts": scripts(request)},
        request=request))


# --- pages and panels -----------------------------------------------------------------------

@view_config(route_name="heritage3d.asset", request_method="GET", renderer=TEMPLATES + "asset.jinja2")
def asset_page(request):
    asset = services.published_asset(request.dbsession, request.matchdict["slug"])
    if asset is None:
        raise HTTPNotFound()
    values = viewer_values(request, asset)
    experiences = [{"text": experience_text(e, request.locale_name),
                    "url": request.route_url("catalog.experience", slug=e.slug)}
                   for e in asset.experiences if e.status == PublicationStatus.PUBLISHED]
    return {
        "v": values,
        "scripts": scripts(request),
        "experiences": experiences,
        "json_ld": jsonld.model_document(values, request.locale_name),
    }


def village_gallery(request, village) -> Markup | None:
    """"Heritage in 3D" on a village page: each of its published assets, turnable and annotated."""
    return _panel(request, "village_gallery.jinja2", services.village_assets(request.dbsession, village.id))


def experience_panel(request, experience) -> Markup | None:
    return _panel(request, "experience_panel.jinja2", services.experience_assets(request.dbsession, experience.id))


def stop_panel(request, stop) -> Markup | None:
    """At an audio-guide stop, each asset with its notes; its viewer loads only if asked for
    (the visitor there is listening, perhaps on a poor connection)."""
    return _panel(request, "stop_panel.jinja2", services.stop_assets(request.dbsession, stop.code))


def includeme(config):
    config.add_hashed_static("heritage-static", STATIC)
    config.add_route("heritage3d.asset", "/heritage/{slug}")
    config.add_panel("village", village_gallery)
    config.add_panel("experience", experience_panel)
    config.add_panel("audio_stop", stop_panel)
    config.scan(__name__)
