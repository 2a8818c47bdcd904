"""The operator's batch tools in the console: the lots of a product and their traceability codes.

- /console/products/<id>/batches: the product's batches, newest first, each with its public
  page (/t/<CODE>), its label sheet to print, edit and delete; and the form to add one;
- /console/batches/<id>: change a batch's date and notes (its code never changes);
- /console/batches/<id>/delete: a confirm page, then the batch is gone.

(/console/batches/<id>/labels.pdf, the label sheet, is tourism.shop.labels'.)

Every URL loads its object in a route factory naming the operator who owns the product's
village (OperatorResource), so another operator's staff get 403 whatever id they try, and a
batch can only be added to a product of one's own. Views only read the request and show the
result: the rules are in tourism.shop.batch_editing, which changes all or nothing.
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.interfaces import IRoutesMapper
from pyramid.view import view_config
from sqlalchemy import select

from tourism.accounts.permissions import CONSOLE, OperatorResource, row_from_url
from tourism.accounts.views import no_store
from tourism.catalog.models import PublicationStatus
from tourism.forms import Form, InvalidInput, flash, languages, typed
from tourism.i18n import _
from tourism.shop import batch_editing, services
from tourism.shop.labels import batch_resource
from tourism.shop.models import BATCH_CODE_MAX_LENGTH, Product, ProductBatch

TEMPLATES = "tourism:shop/templates/console/"
PRODUCT_PAGE = "shop.console.product"  # the product's console page, which links here


# --- route factories: the object in the URL and the operator who owns it --------------------

def product_resource(request) -> OperatorResource:
    """The product in the URL, owned by its village's operator (404 when unknown)."""
    product = row_from_url(request, Product, "product_id")
    return OperatorResource(product.village.operator_id, product)


# --- what templates get ---------------------------------------------------------------------

def village_today(village, now: datetime) -> date:
    """Today in the village's time zone: a batch made "today" there is never in the future."""
    return now.astimezone(ZoneInfo(village.time_zone)).date()




def _product_values(request, product: Product) -> dict:
    text = services.product_text(product, request.locale_name)
    # The product's own console page, when it is there to go back to.
    has_page = request.registry.getUtility(IRoutesMapper).get_route(PRODUCT_PAGE) is not None
    return {"product": product, "product_name": text.value.name if text else product.slug,
            "product_lang": text.locale if text else None,
            "product_url": request.route_path(PRODUCT_PAGE, product_id=product.id) if has_page else None,
            "published": product.status == PublicationStatus.PUBLISHED,
            "today": village_today(product.village, request.now).isoformat(),
            "earliest": batch_editing.EARLIEST.isoformat(),
            "notes_max": batch_editing.NOTES_MAX,
            "languages": languages(request), "messages": request.session.pop_flash()}


def _batch_values(request, batch: ProductBatch) -> dict:
    notes = services.batch_notes(batch, request.locale_name)
    return {"batch": batch, "made_on": request.fmt.date(batch.made_on, format="long"),
            "notes": notes.value if notes else "", "notes_lang": notes.locale if notes else None,
            "trace_url": request.route_url("shop.trace", code=batch.code),
            "labels_url": request.route_path("shop.batch_labels", batch_id=batch.id)}


def _form_values(batch: ProductBatch) -> dict:
    values = {f"notes-{locale}": text for locale, text in (batch.notes or {}).items()}
    return dict(values, made_on=batch.made_on.isoformat())


def _today(request, product: Product) -> date:
    return village_today(product.village, request.now)


# --- the list, and adding a batch ------------------------------------------------------------

def _batches_page(request, product: Product, form: Form, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    batches = request.dbsession.scalars(select(ProductBatch).where(ProductBatch.product_id == product.id)
                                        .order_by(ProductBatch.made_on.desc(), ProductBatch.id.desc()))
    return {"rows": [_batch_values(request, batch) for batch in batches], "form": form,
            "code_min": batch_editing.CODE_MIN_LENGTH, "code_max": BATCH_CODE_MAX_LENGTH,
            **_product_values(request, product)}


@view_config(route_name="shop.console.batches", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "batches.jinja2")
def batches_page(request):
    product = request.context.obj
    return _batches_page(request, product, Form("batch", {"made_on": _today(request, product).isoformat()}))


@view_config(route_name="shop.console.batches", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "batches.jinja2")
def batch_add(request):
    product = request.context.obj
    try:
        batch = batch_editing.add_batch(request.dbsession, product, request.POST, today=_today(request, product))
    except InvalidInput as error:
        return _batches_page(request, product, Form("batch", typed(request), error.errors), status=400)
    flash(request, _("Batch ${code} was added. You can now print its labels.", mapping={"code": batch.code}))
    return HTTPSeeOther(request.route_path("shop.console.batches", product_id=product.id,
                                           _anchor=f"batch-{batch.id}"))


# --- one batch ---------------------------------------------------------------------------------

def _batch_page(request, batch: ProductBatch, form: Form | None = None, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    return {**_batch_values(request, batch), "form": form or Form("edit", _form_values(batch)),
            **_product_values(request, batch.product)}


@view_config(route_name="shop.console.batch", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "batch.jinja2")
def batch_page(request):
    return _batch_page(request, request.context.obj)


@view_config(route_name="shop.console.batch", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "batch.jinja2")
def batch_save(request):
    batch = request.context.obj
    try:
        batch_editing.save_batch(request.dbsession, batch, request.POST, today=_today(request, batch.product))
    except InvalidInput as error:
        return _batch_page(request, batch, Form("edit", typed(request), error.errors), status=400)
    flash(request, _("Batch ${code} was saved.", mapping={"code": batch.code}))
    return HTTPSeeOther(request.route_path("shop.console.batches", product_id=batch.product_id,
                                           _anchor=f"batch-{batch.id}"))


@view_config(route_name="shop.console.batch_delete", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "batch_delete.jinja2")
def batch_delete_page(request):
    no_store(request)
    batch = request.context.obj
    return {**_batch_values(request, batch), **_product_values(request, batch.product)}


@view_config(route_name="shop.console.batch_delete", request_method="POST", permission=CONSOLE)
def batch_delete(request):
    batch = request.context.obj
    code, product_id = batch.code, batch.product_id
    batch_editing.delete_batch(request.dbsession, batch)
    flash(request, _("Batch ${code} was deleted.", mapping={"code": code}))
    return HTTPSeeOther(request.route_path("shop.console.batches", product_id=product_id))


def includeme(config):
    # Batch ids never contain a slash, so /console/batches/{batch_id} leaves labels.pdf and
    # delete below it to their own routes.
    config.add_route("shop.console.batches", "/console/products/{product_id}/batches", factory=product_resource)
    config.add_route("shop.console.batch", "/console/batches/{batch_id}", factory=batch_resource)
    config.add_route("shop.console.batch_delete", "/console/batches/{batch_id}/delete", factory=batch_resource)
    config.scan(__name__)
