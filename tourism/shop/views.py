"""The shop's public pages: a product (/products/<slug>), a batch's traceability page
(/t/<CODE>, opened from the QR code on the packaging), and the products shown on the
catalog's experience and village pages (panels).
"""
from markupsafe import Markup
from pyramid.httpexceptions import HTTPMovedPermanently, HTTPNotFound
from pyramid.renderers import render
from pyramid.view import view_config

from tourism.catalog.services import experience_text, image_alt, village_text
from tourism.i18n import _
from tourism.images import image_url
from tourism.shop import jsonld, services
from tourism.shop.models import MARKETPLACE_LABELS, UNIT_LABELS, Product

TEMPLATES = "tourism:shop/templates/"
MAX_SHOWN_CODE = 16  # a mistyped code is shown back, but never a page of it


def price_per_unit(request, product: Product) -> str:
    """"250.000 ₫ / hộp": the price of one unit in the visitor's language."""
    return request.localizer.translate(_("${price} / ${unit}", mapping={
        "price": request.fmt.money(product.price, product.currency),
        "unit": request.localizer.translate(UNIT_LABELS[product.unit])}))


def ocop_label(request, product: Product) -> str | None:
    """"OCOP 4 stars", said in words: the stars drawn beside it are decoration."""
    if product.ocop_stars is None:
        return None
    return request.localizer.translate(_("OCOP ${stars} stars", mapping={"stars": product.ocop_stars}))


def _image(request, product: Product) -> dict | None:
    if not product.images:
        return None
    first = product.images[0]
    return {"image": first, "alt": image_alt(first, request.locale_name), "url": image_url(request, first)}


def product_card(request, product: Product, text, reason=None) -> dict:
    """What a list of products (village page, experience page) shows of one of them."""
    return {
        "product": product,
        "text": text,
        "reason": reason,
        "url": request.route_url("shop.product", slug=product.slug),
        "price": price_per_unit(request, product),
        "ocop": ocop_label(request, product),
        "image": _image(request, product),
    }


def _experience_links(request, product: Product) -> list[dict]:
    return [
        {"text": experience_text(linked.experience, request.locale_name), "reason": linked.reason,
         "url": request.route_url("catalog.experience", slug=linked.experience.slug)}
        for linked in services.product_experiences(request.dbsession, product.id, request.locale_name)
    ]


def _village(request, village) -> dict:
    return {"text": village_text(village, request.locale_name),
            "url": request.route_url("catalog.village", slug=village.slug)}


# --- the product page -----------------------------------------------------------------------

@view_config(route_name="shop.product", request_method="GET", renderer=TEMPLATES + "product.jinja2")
def product_page(request):
    product = services.get_published_product(request.dbsession, request.matchdict["slug"])
    text = services.product_text(product, request.locale_name) if product is not None else None
    if text is None:
        raise HTTPNotFound()
    url = request.route_url("shop.product", slug=product.slug)
    card = product_card(request, product, text)
    return {
        **card,
        "village": _village(request, product.village),
        "batches": [{"batch": b, "made_on": request.fmt.date(b.made_on),
                     "url": request.route_url("shop.trace", code=b.code)}
                    for b in services.latest_batches(product)],
        "store_links": [{"label": MARKETPLACE_LABELS[link.marketplace], "url": link.url}
                        for link in product.store_links],
        "experiences": _experience_links(request, product),
        "json_ld": jsonld.product_document(
            product, text.value, url=url,
            image_urls=[image_url(request, image) for image in product.images],
            unit_name=request.localizer.translate(UNIT_LABELS[product.unit]), award=card["ocop"]),
    }


# --- the traceability page ------------------------------------------------------------------

@view_config(route_name="shop.trace", request_method="GET", renderer=TEMPLATES + "batch.jinja2")
def batch_page(request):
    code = request.matchdict["code"]
    batch = services.find_batch(request.dbsession, code)
    if batch is None:
        # A code typed by hand, in lower case: the label's QR code is upper case.
        upper = code.upper()
        if upper != code and services.find_batch(request.dbsession, upper) is not None:
            return HTTPMovedPermanently(location=request.route_url(
                "shop.trace", code=upper, _query=list(request.GET.items())))
        return _batch_not_found(request, code)
    product = batch.product
    text = services.product_text(product, request.locale_name)
    return {
        "batch": batch,
        "product": product,
        "text": text,
        "notes": services.batch_notes(batch, request.locale_name),
        "made_on": request.fmt.date(batch.made_on, format="long"),
        "ocop": ocop_label(request, product),
        "product_url": request.route_url("shop.product", slug=product.slug),
        "village": _village(request, product.village),
        "image": _image(request, product),
        "experiences": _experience_links(request, product),
    }


def _batch_not_found(request, code: str):
    """A friendly 404 that says which code was not found and what to check."""
    request.response.status = 404
    request.response.cache_control = "no-store"
    request.response.text = render(TEMPLATES + "batch_not_found.jinja2",
                                   {"code": code[:MAX_SHOWN_CODE]}, request=request)
    return request.response


# --- panels on the catalog's pages ----------------------------------------------------------

def experience_panel(request, experience) -> Markup | None:
    """The products linked to an experience, each with why ("the tea you will pick")."""
    linked = services.experience_products(request.dbsession, experience.id, request.locale_name)
    if not linked:
        return None
    cards = [product_card(request, item.product, item.text, item.reason) for item in linked]
    return Markup(render(TEMPLATES + "experience_panel.jinja2", {"cards": cards}, request=request))


def village_panel(request, village) -> Markup | None:
    """The village's published products, in its operator's order."""
    cards = []
    for product in services.village_products(request.dbsession, village.id):
        text = services.product_text(product, request.locale_name)
        if text is not None:
            cards.append(product_card(request, product, text))
    if not cards:
        return None
    return Markup(render(TEMPLATES + "village_panel.jinja2", {"cards": cards}, request=request))
