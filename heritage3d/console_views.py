"""The operator's 3D tools in the console.

- /console/heritage: the operator's assets (an admin sees all), each with its poster;
- /console/heritage/new: upload a model and its poster (a draft);
- /console/heritage/<id>: texts in every language, licence and credits, size, status, the
  experiences and audio-guide stops it shows on; replace the model or the poster;
- /console/heritage/<id>/hotspots: the model in the viewer, its hotspots (click on the model
  to place one, or type the numbers) and its guided views;
- /console/heritage/hotspots/<id>, /console/heritage/views/<id>: edit, move, delete one.

Every object URL loads its object in a route factory naming the operator who owns its
village (OperatorResource), so another operator's staff get 403 whatever id they try; the
list narrows itself with visible_operator_id. Views only read the request and show the
result: the rules are in heritage3d.editing, which changes all or nothing.
"""
from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.view import exception_view_config, view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from heritage3d import editing, services, views
from heritage3d.i18n import _
from heritage3d.models import LICENCE_LABELS, GuidedView, HeritageAsset, Hotspot, Licence
from tourism.accounts.permissions import CONSOLE, OperatorResource, row_from_url, visible_operator_id
from tourism.accounts.views import no_store
from tourism.catalog.models import PublicationStatus, Village
from tourism.catalog.services import experience_text, village_text, villages_run_by
from tourism.forms import Form, flash, page_basics, texts_values, typed, uploaded_bytes
from tourism.media import media_store
from tourism.uploads import BodyTooLarge

TEMPLATES = "heritage3d:templates/console/"
# What an upload form carries besides its two files: the texts in six languages (at most
# 4 bytes a character in UTF-8), the credits, the token and the multipart framing.
FORM_OVERHEAD = 256 * 1024


def max_body(registry) -> int:
    """An upload's body limit: the model's budget, the poster's 1 MB and the rest of the form."""
    return services.budget(registry.settings).max_bytes + services.POSTER_MAX_BYTES + FORM_OVERHEAD


# --- route factories: the object in the URL and the operator who owns it --------------------

def asset_resource(request) -> OperatorResource:
    asset = row_from_url(request, HeritageAsset, "asset_id")
    return OperatorResource(asset.village.operator_id, asset)


def hotspot_resource(request) -> OperatorResource:
    hotspot = row_from_url(request, Hotspot, "hotspot_id")
    asset = request.dbsession.get(HeritageAsset, hotspot.asset_id)
    return OperatorResource(asset.village.operator_id, hotspot)


def view_resource(request) -> OperatorResource:
    view = row_from_url(request, GuidedView, "view_id")
    asset = request.dbsession.get(HeritageAsset, view.asset_id)
    return OperatorResource(asset.village.operator_id, view)


# --- what templates get ---------------------------------------------------------------------

def _asset_title(asset: HeritageAsset, locale: str) -> str:
    text = services.asset_text(asset, locale)
    return text.value.title if text else asset.slug


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"








# --- the list --------------------------------------------------------------------------------

@view_config(route_name="heritage3d.console.assets", permission=CONSOLE, renderer=TEMPLATES + "assets.jinja2")
def assets_page(request):
    no_store(request)
    query = (select(HeritageAsset).join(Village, Village.id == HeritageAsset.village_id)
             .order_by(Village.slug, HeritageAsset.position, HeritageAsset.id)
             .options(selectinload(HeritageAsset.texts), selectinload(HeritageAsset.hotspots),
                      selectinload(HeritageAsset.views),
                      selectinload(HeritageAsset.village).selectinload(Village.texts)))
    operator_id = visible_operator_id(request.identity)
    if operator_id is not None:
        query = query.where(Village.operator_id == operator_id)
    rows = [{"asset": asset, "title": _asset_title(asset, request.locale_name),
             "village": village_text(asset.village, request.locale_name).value.name,
             "published": asset.status == PublicationStatus.PUBLISHED,
             "poster_url": views.media_url(request, asset.poster_key)}
            for asset in request.dbsession.scalars(query)]
    return {"rows": rows, "can_add": bool(_villages(request)), **page_basics(request)}


# --- a new asset -----------------------------------------------------------------------------

def _file(request, name: str) -> bytes | None:
    return uploaded_bytes(request, name, max_body(request.registry))


def _villages(request) -> list[Village]:
    """The villages this person may choose: their operator's (an admin: all)."""
    return villages_run_by(request.dbsession, visible_operator_id(request.identity))


def _budget_values(request) -> dict:
    limits = services.budget(request.registry.settings)
    return {"max_model": request.fmt.file_size(limits.max_bytes),
            "max_triangles": request.fmt.number(limits.max_triangles),
            "max_poster": request.fmt.file_size(services.POSTER_MAX_BYTES)}


def _licences(request) -> list[dict]:
    return [{"value": licence.value, "label": request.translate(LICENCE_LABELS[licence])} for licence in Licence]


def _new_page(request, form: Form, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    villages = [{"value": str(v.id), "label": village_text(v, request.locale_name).value.name}
                for v in _villages(request)]
    return {"form": form, "villages": villages, "licences": _licences(request), **_budget_values(request),
            **page_basics(request)}


@view_config(route_name="heritage3d.console.new", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "new.jinja2")
def new_page(request):
    return _new_page(request, Form("new", {"licence": Licence.CC_BY.value}))


@view_config(route_name="heritage3d.console.new", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "new.jinja2", max_body=max_body)
def new_post(request):
    try:
        asset = editing.create_asset(
            request.dbsession, media_store(request.registry), request.POST, villages=_villages(request),
            model=_file(request, "model"), poster=_file(request, "poster"),
            limits=services.budget(request.registry.settings))
    except editing.InvalidInput as error:
        return _new_page(request, Form("new", typed(request), error.errors), status=400)
    flash(request, _("The model “${title}” was saved as a draft. Check its texts, then add hotspots.",
                      mapping={"title": _asset_title(asset, request.locale_name)}))
    return HTTPSeeOther(request.route_path("heritage3d.console.asset", asset_id=asset.id))


# --- one asset -------------------------------------------------------------------------------

def _asset_values(asset: HeritageAsset) -> dict:
    values = texts_values(asset.texts, ("title", "description", "alt"))
    values.update(licence=asset.licence.value, creator=asset.creator, attribution=asset.attribution,
                  provenance=asset.provenance, status=asset.status.value,
                  width_m=_number(asset.width_m), height_m=_number(asset.height_m), depth_m=_number(asset.depth_m),
                  stop_codes=", ".join(asset.stop_codes))
    return values


def _asset_page(request, asset: HeritageAsset, *, form: Form | None = None, chosen=None, files: Form | None = None,
                status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    chosen = {str(e.id) for e in asset.experiences} if chosen is None else set(chosen)
    experiences = [{"id": str(e.id), "title": (experience_text(e, request.locale_name).value.title),
                    "checked": str(e.id) in chosen}
                   for e in editing.village_experience_choices(request.dbsession, asset.village_id)]
    return {"asset": asset, "title": _asset_title(asset, request.locale_name),
            "village": village_text(asset.village, request.locale_name).value.name,
            "published": asset.status == PublicationStatus.PUBLISHED,
            "public_url": request.route_url("heritage3d.asset", slug=asset.slug),
            "poster_url": views.media_url(request, asset.poster_key),
            "model_url": views.media_url(request, asset.model_key),
            "file_size": request.fmt.file_size(asset.size_bytes),
            "triangles": request.fmt.number(asset.triangle_count),
            "form": form or Form("asset", _asset_values(asset)), "files": files or Form("files"),
            "experiences": experiences, "licences": _licences(request), **_budget_values(request),
            **page_basics(request)}


@view_config(route_name="heritage3d.console.asset", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "asset.jinja2")
def asset_page(request):
    return _asset_page(request, request.context.obj)


@view_config(route_name="heritage3d.console.asset", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "asset.jinja2")
def asset_post(request):
    asset = request.context.obj
    chosen = request.POST.getall("experience")
    try:
        editing.save_asset(request.dbsession, asset, request.POST, chosen)
    except editing.InvalidInput as error:
        return _asset_page(request, asset, form=Form("asset", typed(request), error.errors),
                           chosen=[c for c in chosen if isinstance(c, str)], status=400)
    flash(request, _("Saved."))
    return HTTPSeeOther(request.route_path("heritage3d.console.asset", asset_id=asset.id))


@view_config(route_name="heritage3d.console.asset.files", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "asset.jinja2", max_body=max_body)
def files_post(request):
    asset = request.context.obj
    model, poster = _file(request, "model"), _file(request, "poster")
    try:
        editing.replace_files(request.dbsession, media_store(request.registry), asset, model=model, poster=poster,
                              limits=services.budget(request.registry.settings))
    except editing.InvalidInput as error:
        return _asset_page(request, asset, files=Form("files", {}, error.errors), status=400)
    if model:
        flash(request, _("The model was replaced. Check that the hotspots still sit on it."))
    if poster:
        flash(request, _("The poster was replaced."))
    return HTTPSeeOther(request.route_path("heritage3d.console.asset", asset_id=asset.id))


@exception_view_config(BodyTooLarge, route_name="heritage3d.console.new")
@exception_view_config(BodyTooLarge, route_name="heritage3d.console.asset.files")
def upload_too_large(request):
    no_store(request)
    asset = getattr(request.context, "obj", None)
    response = render_to_response(TEMPLATES + "too_large.jinja2", {"asset": asset, **_budget_values(request)},
                                  request=request)
    response.status = 413
    response.cache_control = "no-store"
    return response


# --- hotspots and guided views ---------------------------------------------------------------

def _hotspots_page(request, asset: HeritageAsset, *, hotspot_form: Form | None = None,
                   view_form: Form | None = None, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    viewer = views.viewer_values(request, asset)
    guided = []
    for number, view in enumerate(asset.views, start=1):
        caption = services.view_text(view, request.locale_name)
        guided.append({"view": view, "number": number, "caption": caption.value.caption if caption else ""})
    return {"asset": asset, "title": _asset_title(asset, request.locale_name), "v": viewer,
            "scripts": views.scripts(request), "guided": guided,
            "hotspot_form": hotspot_form or Form("hotspot"), "view_form": view_form or Form("view"),
            **page_basics(request)}


@view_config(route_name="heritage3d.console.hotspots", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "hotspots.jinja2")
def hotspots_page(request):
    return _hotspots_page(request, request.context.obj)


@view_config(route_name="heritage3d.console.hotspots", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "hotspots.jinja2")
def hotspot_add(request):
    asset = request.context.obj
    try:
        hotspot = editing.add_hotspot(request.dbsession, asset, request.POST)
    except editing.InvalidInput as error:
        return _hotspots_page(request, asset, hotspot_form=Form("hotspot", typed(request), error.errors),
                              status=400)
    flash(request, _("Hotspot ${number} was added.", mapping={"number": asset.hotspots.index(hotspot) + 1}))
    return HTTPSeeOther(request.route_path("heritage3d.console.hotspots", asset_id=asset.id, _anchor="hotspots"))


@view_config(route_name="heritage3d.console.views", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "hotspots.jinja2")
def view_add(request):
    asset = request.context.obj
    try:
        view = editing.add_view(request.dbsession, asset, request.POST)
    except editing.InvalidInput as error:
        return _hotspots_page(request, asset, view_form=Form("view", typed(request), error.errors), status=400)
    flash(request, _("Guided view ${number} was added.", mapping={"number": asset.views.index(view) + 1}))
    return HTTPSeeOther(request.route_path("heritage3d.console.hotspots", asset_id=asset.id, _anchor="views"))


def _item_values(request, item) -> dict:
    """What the edit and delete pages of a hotspot or guided view show about it."""
    asset = request.dbsession.get(HeritageAsset, item.asset_id)
    is_hotspot = isinstance(item, Hotspot)
    siblings = asset.hotspots if is_hotspot else asset.views
    if is_hotspot:
        note = services.hotspot_text(item, request.locale_name)
        name = note.value.label if note else ""
    else:
        caption = services.view_text(item, request.locale_name)
        name = caption.value.caption if caption else ""
    return {"asset": asset, "item": item, "kind": "hotspot" if is_hotspot else "view",
            "number": siblings.index(item) + 1, "name": name, "title": _asset_title(asset, request.locale_name)}


def _hotspot_values(hotspot: Hotspot) -> dict:
    values = texts_values(hotspot.texts, ("label", "text"))
    values.update({name: f"{getattr(hotspot, name):g}" for name in editing.POSITION_FIELDS + editing.NORMAL_FIELDS})
    return values


def _view_values(view: GuidedView) -> dict:
    return dict(texts_values(view.texts, ("caption",)), orbit=view.orbit, target=view.target)


def _item_page(request, item, form: Form | None = None, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    values = _item_values(request, item)
    if form is None:
        form = Form(values["kind"], _hotspot_values(item) if values["kind"] == "hotspot" else _view_values(item))
    viewer = views.viewer_values(request, values["asset"])
    return {**values, "form": form, "v": viewer, "scripts": views.scripts(request), **page_basics(request)}


@view_config(route_name="heritage3d.console.hotspot", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "item.jinja2")
@view_config(route_name="heritage3d.console.view", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "item.jinja2")
def item_page(request):
    return _item_page(request, request.context.obj)


@view_config(route_name="heritage3d.console.hotspot", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "item.jinja2")
@view_config(route_name="heritage3d.console.view", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "item.jinja2")
def item_post(request):
    item = request.context.obj
    is_hotspot = isinstance(item, Hotspot)
    try:
        (editing.update_hotspot if is_hotspot else editing.update_view)(request.dbsession, item, request.POST)
    except editing.InvalidInput as error:
        return _item_page(request, item, Form("hotspot" if is_hotspot else "view", typed(request), error.errors),
                          status=400)
    number = _item_values(request, item)["number"]
    if is_hotspot:
        flash(request, _("Hotspot ${number} was saved.", mapping={"number": number}))
    else:
        flash(request, _("Guided view ${number} was saved.", mapping={"number": number}))
    return _back_to_list(request, item)


def _back_to_list(request, item) -> HTTPSeeOther:
    anchor = "hotspots" if isinstance(item, Hotspot) else "views"
    return HTTPSeeOther(request.route_path("heritage3d.console.hotspots", asset_id=item.asset_id, _anchor=anchor))


@view_config(route_name="heritage3d.console.hotspot.move", request_method="POST", permission=CONSOLE)
@view_config(route_name="heritage3d.console.view.move", request_method="POST", permission=CONSOLE)
def item_move(request):
    item = request.context.obj
    raw = request.POST.get("place", "")
    if not (isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 4):
        raise HTTPBadRequest()
    moved = editing.move(request.dbsession, item, int(raw))
    place = _item_values(request, item)["number"]
    if moved:
        flash(request, _("Moved to place ${place}.", mapping={"place": place}))
    else:
        flash(request, _("Already at place ${place}.", mapping={"place": place}))
    return _back_to_list(request, item)


@view_config(route_name="heritage3d.console.hotspot.delete", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "delete.jinja2")
@view_config(route_name="heritage3d.console.view.delete", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "delete.jinja2")
def item_delete_page(request):
    no_store(request)
    return _item_values(request, request.context.obj)


@view_config(route_name="heritage3d.console.hotspot.delete", request_method="POST", permission=CONSOLE)
@view_config(route_name="heritage3d.console.view.delete", request_method="POST", permission=CONSOLE)
def item_delete(request):
    item = request.context.obj
    values = _item_values(request, item)
    editing.delete(request.dbsession, item)
    if values["kind"] == "hotspot":
        message = _("Hotspot ${number} (“${name}”) was deleted.", mapping={"number": values["number"],
                                                                          "name": values["name"]})
    else:
        message = _("Guided view ${number} (“${name}”) was deleted.", mapping={"number": values["number"],
                                                                              "name": values["name"]})
    flash(request, message)
    return _back_to_list(request, item)


def includeme(config):
    root = "tourism.accounts.permissions.ConsoleRoot"
    config.add_route("heritage3d.console.assets", "/console/heritage", factory=root)
    config.add_route("heritage3d.console.new", "/console/heritage/new", factory=root)
    config.add_route("heritage3d.console.hotspot", "/console/heritage/hotspots/{hotspot_id}",
                     factory=hotspot_resource)
    config.add_route("heritage3d.console.hotspot.move", "/console/heritage/hotspots/{hotspot_id}/move",
                     factory=hotspot_resource)
    config.add_route("heritage3d.console.hotspot.delete", "/console/heritage/hotspots/{hotspot_id}/delete",
                     factory=hotspot_resource)
    config.add_route("heritage3d.console.view", "/console/heritage/views/{view_id}", factory=view_resource)
    config.add_route("heritage3d.console.view.move", "/console/heritage/views/{view_id}/move", factory=view_resource)
    config.add_route("heritage3d.console.view.delete", "/console/heritage/views/{view_id}/delete",
                     factory=view_resource)
    config.add_route("heritage3d.console.asset", "/console/heritage/{asset_id}", factory=asset_resource)
    config.add_route("heritage3d.console.asset.files", "/console/heritage/{asset_id}/files", factory=asset_resource)
    config.add_route("heritage3d.console.hotspots", "/console/heritage/{asset_id}/hotspots", factory=asset_resource)
    config.add_route("heritage3d.console.views", "/console/heritage/{asset_id}/views", factory=asset_resource)
    config.add_console_link("heritage3d.console.assets", _("3D heritage"), order=60)
    config.scan(__name__)
