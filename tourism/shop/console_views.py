"""The operator's product tools in the console.

- /console/products: the operator's products (an admin sees all), with price, stock, status;
- /console/products/new: a new product (a draft, with no stock yet);
- /console/products/<id>: one page in sections, each its own form: the stock (what came in
  or went out, with what bookings hold), the details (texts in every language, price, unit,
  OCOP stars, producer, origin, certifications, visibility), the other stores selling it,
  and the experiences it is shown on, each with why;
- /console/products/<id>/images: upload pictures, describe them, order them, remove them (the
  shared picture pages of tourism.picture_views).

Every object URL loads its object in a route factory naming the operator who owns its
village (OperatorResource), so another operator's staff get 403 whatever id they try; the
list narrows itself with visible_operator_id. Views only read the request and show the
result: the rules are in tourism.shop.editing, which changes all or nothing.
"""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.interfaces import IRoutesMapper
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tourism.accounts.permissions import CONSOLE, OperatorResource, row_from_url, visible_operator_id
from tourism.accounts.views import no_store
from tourism.catalog.models import PublicationStatus, Village
from tourism.catalog.services import experience_text, image_alt, village_text, villages_run_by
from tourism.forms import Form, flash, page_basics, texts_values, typed
from tourism.i18n import LOCALES, _
from tourism.images import image_url
# FORM_OVERHEAD: named here too, as part of the product upload's body limit.
from tourism.picture_views import FORM_OVERHEAD, PicturePages, add_picture_views  # noqa: F401
from tourism.shop import editing, services
from tourism.shop.models import MARKETPLACE_LABELS, UNIT_LABELS, Marketplace, Product, ProductImage, Unit
from tourism.shop.views import ocop_label, price_per_unit

TEMPLATES = "tourism:shop/templates/console/"
BATCHES_ROUTE = "shop.console.batches"  # the batches page (tourism/shop/batch_console.py)


# --- route factories: the object in the URL and the operator who owns it --------------------

def product_resource(request) -> OperatorResource:
    product = row_from_url(request, Product, "product_id")
    return OperatorResource(product.village.operator_id, product)


def image_resource(request) -> OperatorResource:
    """A product's picture, owned by the operator of the product's village."""
    image = row_from_url(request, ProductImage, "image_id")
    product = request.dbsession.get(Product, image.product_id)
    return OperatorResource(product.village.operator_id, image)


# --- what templates get ---------------------------------------------------------------------

def product_name(product: Product, locale: str) -> str:
    text = services.product_text(product, locale)
    return text.value.name if text else product.slug


def batches_path(request, product: Product) -> str | None:
    """The product's batches page, once the batches console is installed (None before)."""
    mapper = request.registry.queryUtility(IRoutesMapper)
    if mapper is None or mapper.get_route(BATCHES_ROUTE) is None:
        return None
    return request.route_path(BATCHES_ROUTE, product_id=product.id)






def _villages(request) -> list[Village]:
    """The villages this person may choose: their operator's (an admin: all)."""
    return villages_run_by(request.dbsession, visible_operator_id(request.identity))


def _choices(request) -> dict:
    """The options of the product form's lists, in the page's language."""
    return {
        "villages": [{"value": str(v.id), "label": village_text(v, request.locale_name).value.name}
                     for v in _villages(request)],
        "units": [{"value": unit.value, "label": request.translate(UNIT_LABELS[unit])} for unit in Unit],
        "stars": [{"value": str(stars), "label": request.translate(_("${stars} stars", mapping={"stars": stars}))}
                  for stars in editing.OCOP_STARS],
        "max_price": request.fmt.money(editing.MAX_PRICE),
    }


# --- the list --------------------------------------------------------------------------------

@view_config(route_name="shop.console.products", permission=CONSOLE, renderer=TEMPLATES + "products.jinja2")
def products_page(request):
    no_store(request)
    query = (select(Product).join(Village, Village.id == Product.village_id)
             .order_by(Village.slug, Product.position, Product.slug)
             .options(selectinload(Product.texts), selectinload(Product.images),
                      selectinload(Product.village).selectinload(Village.texts)))
    operator_id = visible_operator_id(request.identity)
    if operator_id is not None:
        query = query.where(Village.operator_id == operator_id)
    rows = []
    for product in request.dbsession.scalars(query):
        first = product.images[0] if product.images else None
        rows.append({"product": product, "name": product_name(product, request.locale_name),
                     "village": village_text(product.village, request.locale_name).value.name,
                     "price": price_per_unit(request, product), "stock": request.fmt.number(product.stock),
                     "published": product.status == PublicationStatus.PUBLISHED,
                     "image_url": image_url(request, first) if first else None})
    return {"rows": rows, "can_add": bool(_villages(request)), **page_basics(request)}


# --- a new product ---------------------------------------------------------------------------

def _new_page(request, form: Form, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    return {"form": form, **_choices(request), **page_basics(request)}


@view_config(route_name="shop.console.product_new", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "product_new.jinja2")
def new_page(request):
    villages = _villages(request)
    values = {"unit": Unit.BOX.value, "village": str(villages[0].id) if len(villages) == 1 else ""}
    return _new_page(request, Form("new", values))


@view_config(route_name="shop.console.product_new", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "product_new.jinja2")
def new_post(request):
    try:
        product = editing.create_product(request.dbsession, request.POST, villages=_villages(request))
    except editing.InvalidInput as error:
        return _new_page(request, Form("new", typed(request), error.errors), status=400)
    flash(request, _("“${name}” was saved as a draft. Add its pictures and its stock, then make it visible.",
                      mapping={"name": product_name(product, request.locale_name)}))
    return HTTPSeeOther(request.route_path("shop.console.product", product_id=product.id))


# --- one product -----------------------------------------------------------------------------

def _details_values(product: Product) -> dict:
    values = texts_values(product.texts, ("name", "description"))
    values.update(village=str(product.village_id), slug=product.slug, price=str(product.price),
                  unit=product.unit.value, ocop_stars="" if product.ocop_stars is None else str(product.ocop_stars),
                  producer=product.producer, origin=product.origin,
                  certifications="\n".join(product.certifications or []), status=product.status.value)
    return values


def _store_values(product: Product) -> dict:
    values = {}
    for row, link in enumerate(product.store_links):
        values[f"store-{row}-marketplace"], values[f"store-{row}-url"] = link.marketplace.value, link.url
    return values


def _store_rows(form: Form) -> int:
    """How many rows the store links form shows: those filled in and one or two empty ones."""
    used = [row for row in range(editing.STORE_ROWS)
            if form.value(f"store-{row}-url") or form.value(f"store-{row}-marketplace")]
    return min(editing.STORE_ROWS, max(3, (used[-1] + 2) if used else 0))


def _experience_values(request, product: Product) -> tuple[set[str], dict]:
    chosen, values = set(), {}
    for link in editing.current_links(request.dbsession, product.id):
        chosen.add(str(link.experience_id))
        for locale, text in (link.reason or {}).items():
            if locale in LOCALES:
                values[editing.reason_field(link.experience_id, locale)] = text
    return chosen, values


def _product_page(request, product: Product, *, details: Form | None = None, stock: Form | None = None,
                  stores: Form | None = None, links: Form | None = None, chosen=None, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    locale = request.locale_name
    saved_chosen, reason_values = _experience_values(request, product)
    chosen = saved_chosen if chosen is None else {c for c in chosen if isinstance(c, str)}
    links = links or Form("links", reason_values)
    stores = stores or Form("stores", _store_values(product))
    commitments = editing.stock_commitments(request.dbsession, product.id)
    experiences = [{"id": str(e.id), "title": experience_text(e, locale).value.title,
                    "published": e.status == PublicationStatus.PUBLISHED, "checked": str(e.id) in chosen}
                   for e in editing.experience_choices(request.dbsession, product.village_id)]
    first = product.images[0] if product.images else None
    return {
        "product": product, "name": product_name(product, locale),
        "village": village_text(product.village, locale).value.name,
        "published": product.status == PublicationStatus.PUBLISHED,
        "public_url": request.route_url("shop.product", slug=product.slug),
        "price": price_per_unit(request, product), "ocop": ocop_label(request, product),
        "image": {"url": image_url(request, first), "alt": image_alt(first, locale), "item": first} if first else None,
        "stock": request.fmt.number(product.stock), "held": request.fmt.number(commitments.held),
        "to_hand_over": request.fmt.number(commitments.to_hand_over),
        "unit": request.translate(UNIT_LABELS[product.unit]),
        "batches_url": batches_path(request, product),
        "details": details or Form("details", _details_values(product)),
        "stock_form": stock or Form("stock", {"direction": "add"}),
        "stores": stores, "store_rows": _store_rows(stores),
        "marketplaces": [{"value": m.value, "label": request.translate(MARKETPLACE_LABELS[m])} for m in Marketplace],
        "links": links, "experiences": experiences,
        **_choices(request), **page_basics(request),
    }


def _back(request, product: Product, anchor: str) -> HTTPSeeOther:
    return HTTPSeeOther(request.route_path("shop.console.product", product_id=product.id, _anchor=anchor))


@view_config(route_name="shop.console.product", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "product.jinja2")
def product_page(request):
    return _product_page(request, request.context.obj)


@view_config(route_name="shop.console.product", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "product.jinja2")
def details_post(request):
    product = request.context.obj
    try:
        removed = editing.save_product(request.dbsession, product, request.POST, villages=_villages(request))
    except editing.InvalidInput as error:
        request.dbsession.expire(product)  # a refused slug was undone in the database: show what is saved
        return _product_page(request, product, details=Form("details", typed(request), error.errors), status=400)
    flash(request, _("Saved."))
    if removed:
        flash(request, _("The product moved to another village, so it is no longer shown on the old "
                          "village's experiences."))
    return _back(request, product, "details")


@view_config(route_name="shop.console.product_stock", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "product.jinja2")
def stock_post(request):
    product = request.context.obj
    try:
        done = editing.adjust_stock(request.dbsession, product, request.POST)
    except editing.InvalidInput as error:
        return _product_page(request, product, stock=Form("stock", typed(request), error.errors), status=400)
    mapping = {"count": abs(done.change), "stock": done.stock}
    if done.change > 0:
        flash(request, _("${count} added. In stock now: ${stock}.", mapping=mapping))
    else:
        flash(request, _("${count} taken out. In stock now: ${stock}.", mapping=mapping))
    return _back(request, product, "stock")


@view_config(route_name="shop.console.product_stores", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "product.jinja2")
def stores_post(request):
    product = request.context.obj
    try:
        editing.save_store_links(request.dbsession, product, request.POST)
    except editing.InvalidInput as error:
        return _product_page(request, product, stores=Form("stores", typed(request), error.errors), status=400)
    flash(request, _("The other stores were saved."))
    return _back(request, product, "stores")


@view_config(route_name="shop.console.product_experiences", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "product.jinja2")
def experiences_post(request):
    product = request.context.obj
    chosen = request.POST.getall("experience")
    try:
        editing.save_experience_links(request.dbsession, product, request.POST, chosen)
    except editing.InvalidInput as error:
        return _product_page(request, product, links=Form("links", typed(request), error.errors), chosen=chosen,
                             status=400)
    flash(request, _("The experiences were saved."))
    return _back(request, product, "experiences")


@view_config(route_name="shop.console.product_stock", request_method="GET", permission=CONSOLE)
@view_config(route_name="shop.console.product_stores", request_method="GET", permission=CONSOLE)
@view_config(route_name="shop.console.product_experiences", request_method="GET", permission=CONSOLE)
def section_get(request):
    """A section's address opened again (after a refused form, say): its place on the page."""
    anchor = request.matched_route.name.rpartition("_")[2]
    return _back(request, request.context.obj, anchor)


# --- pictures: the shared pages (tourism/picture_views.py) -----------------------------------

PICTURES = PicturePages(
    gallery=editing.PICTURES, max_count=editing.MAX_IMAGES, permission=CONSOLE,
    route="shop.console.product_images", owner_id="product_id",
    picture_route="shop.console.product_image", picture_id="image_id",
    template=TEMPLATES + "product_images.jinja2", remove_template=TEMPLATES + "product_image_remove.jinja2",
    title=product_name)


def includeme(config):
    root = "tourism.accounts.permissions.ConsoleRoot"
    config.add_route("shop.console.products", "/console/products", factory=root)
    config.add_route("shop.console.product_new", "/console/products/new", factory=root)
    config.add_route("shop.console.product_image", "/console/products/images/{image_id}", factory=image_resource)
    config.add_route("shop.console.product_image_move", "/console/products/images/{image_id}/move",
                     factory=image_resource)
    config.add_route("shop.console.product_image_remove", "/console/products/images/{image_id}/remove",
                     factory=image_resource)
    config.add_route("shop.console.product", "/console/products/{product_id}", factory=product_resource)
    config.add_route("shop.console.product_stock", "/console/products/{product_id}/stock", factory=product_resource)
    config.add_route("shop.console.product_stores", "/console/products/{product_id}/stores",
                     factory=product_resource)
    config.add_route("shop.console.product_experiences", "/console/products/{product_id}/experiences",
                     factory=product_resource)
    config.add_route("shop.console.product_images", "/console/products/{product_id}/images",
                     factory=product_resource)
    add_picture_views(config, PICTURES)
    config.add_console_link("shop.console.products", _("Products"), order=55)
    config.scan(__name__)
