"""/console/resellers: the companies and websites that sell an operator's experiences through
the OCTO API (Bókun, a travel agency), managed by the operator's owners (admins: everyone's).

- /console/resellers: the resellers, what each may sell, its live keys and its bookings;
- /console/resellers/new: add one (name, contact e-mail, commission, the experiences it may sell);
- /console/resellers/<id>: change those, see its keys, how it connects (the OCTO address and
  headers), and issue a new key (/console/resellers/<id>/keys, POST): the key is shown once,
  on the page that answers, never stored (only its hash) and never cached;
- /console/resellers/keys/<key id>/revoke: revoke a key, after a confirmation page.

Every page needs MANAGE: the list and the "new" form through OwnerRoot (narrowed to the
owner's operator with visible_operator_id), a reseller's or a key's pages through a route
factory naming the reseller's operator (OperatorResource), so another operator's owner and
any staff member get 403 whatever id they try. The rules are in tourism.octo.resellers and
tourism.octo.keys.
"""
from zoneinfo import ZoneInfo

from babel.numbers import format_percent
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from tourism.accounts.models import Operator
from tourism.accounts.permissions import MANAGE, OperatorResource, row_from_url, visible_operator_id
from tourism.accounts.views import no_store
from tourism.catalog.models import Experience, PublicationStatus
from tourism.catalog.services import experience_text, village_text
from tourism.forms import Form, InvalidInput, flash, typed
from tourism.i18n import _
from tourism.octo import keys, resellers
from tourism.octo.models import Reseller, ResellerKey

TEMPLATES = "tourism:octo/templates/console/"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # the operators' time; their villages are all in Vietnam
SUPPLIER_ROUTE = "octo.supplier"  # GET /octo/supplier: the first call a reseller's system makes

FIELD_LABELS = {"name": _("Name"), "contact_email": _("Their contact e-mail"),
                "commission_percent": _("Their commission"), "experiences": _("What they may sell"),
                "operator": _("Whose reseller")}


# --- route factories: the row in the URL and the operator who owns it ------------------------

def reseller_resource(request) -> OperatorResource:
    reseller = row_from_url(request, Reseller, "reseller_id")
    return OperatorResource(reseller.operator_id, reseller)


def key_resource(request) -> OperatorResource:
    key = row_from_url(request, ResellerKey, "key_id")
    return OperatorResource(key.reseller.operator_id, key)


# --- shared pieces ---------------------------------------------------------------------------

def _operators(request) -> list[Operator]:
    operator_id = visible_operator_id(request.identity)
    query = select(Operator).order_by(Operator.name, Operator.id)
    if operator_id is not None:
        query = query.where(Operator.id == operator_id)
    return list(request.dbsession.scalars(query))


def _title(experience: Experience, locale: str) -> str:
    text = experience_text(experience, locale)
    return text.value.title if text else experience.slug


def _experience_groups(request, experiences: list[Experience], chosen: set[str]) -> list[dict]:
    """The checkboxes, one group per operator (an admin's "new" form offers every operator's)."""
    locale = request.locale_name
    groups: dict[int, dict] = {}
    for experience in experiences:
        operator = experience.village.operator
        groups.setdefault(operator.id, {"operator": operator.name, "rows": []})["rows"].append({
            "id": str(experience.id), "title": _title(experience, locale),
            "village": village_text(experience.village, locale).value.name,
            "draft": experience.status != PublicationStatus.PUBLISHED,
            "checked": str(experience.id) in chosen})
    return list(groups.values())


def _chosen(request) -> list[str]:
    return [value for value in request.POST.getall("experience") if isinstance(value, str)]


def _when(request, moment) -> str:
    return request.fmt.datetime(moment, VIETNAM, format="short")


def octo_address(request) -> str:
    """The base address resellers' systems call: …/octo (GET …/octo/supplier answers first)."""
    return request.route_url(SUPPLIER_ROUTE, trailing_slash="").removesuffix("/supplier")


def percent(request, value: int) -> str:
    """20 → "20%" (or "20 %", as the page's language writes it)."""
    return format_percent(value / 100, locale=request.locale_name)


def _selling(request, reseller: Reseller) -> list[str]:
    return [_title(experience, request.locale_name) for experience in reseller.experiences]


# --- the list ----------------------------------------------------------------------------------

@view_config(route_name="octo.console.resellers", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "resellers.jinja2")
def resellers_page(request):
    no_store(request)
    groups: dict[int, dict] = {}
    for row in resellers.operator_resellers(request.dbsession, visible_operator_id(request.identity)):
        reseller = row.reseller
        groups.setdefault(reseller.operator_id, {"operator": reseller.operator, "rows": []})["rows"].append(
            {"reseller": reseller, "selling": _selling(request, reseller), "live_keys": row.live_keys,
             "commission": percent(request, reseller.commission_percent),
             "bookings": row.bookings})
    return {"groups": list(groups.values()), "is_admin": request.identity.is_admin,
            "messages": request.session.pop_flash()}


# --- a new reseller ----------------------------------------------------------------------------

def _new_page(request, form: Form | None = None, chosen: list[str] = (), status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    operators = _operators(request)
    experiences = resellers.offered_experiences(request.dbsession, visible_operator_id(request.identity))
    return {"form": form or Form("reseller", {"commission_percent": "0"}), "labels": FIELD_LABELS,
            # One operator (an owner's): no choice to make. An admin chooses.
            "operators": [{"value": str(o.id), "label": o.name} for o in operators] if len(operators) != 1 else None,
            "groups": _experience_groups(request, experiences, set(chosen)),
            "messages": request.session.pop_flash()}


@view_config(route_name="octo.console.reseller_new", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "reseller_new.jinja2")
def new_page(request):
    return _new_page(request)


@view_config(route_name="octo.console.reseller_new", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "reseller_new.jinja2")
def new_post(request):
    chosen = _chosen(request)
    try:
        reseller = resellers.create_reseller(request.dbsession, request.POST, chosen, operators=_operators(request))
    except InvalidInput as error:
        return _new_page(request, Form("reseller", typed(request), error.errors), chosen, status=400)
    flash(request, _("${name} is added. Next: issue a key for them below, and send it to them with the address "
                     "to connect to.", mapping={"name": reseller.name}))
    return HTTPSeeOther(request.route_path("octo.console.reseller", reseller_id=reseller.id))


# --- one reseller ------------------------------------------------------------------------------

def _key_row(request, key: ResellerKey) -> dict:
    return {"key": key, "shown": f"{key.prefix}…", "created": _when(request, key.created_at),
            "last_used": _when(request, key.last_used_at) if key.last_used_at else None,
            "revoked": _when(request, key.revoked_at) if key.revoked_at else None}


def _reseller_page(request, reseller: Reseller, form: Form | None = None, chosen: list[str] | None = None,
                   status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    if form is None:
        form = Form("reseller", {"name": reseller.name, "contact_email": reseller.contact_email,
                                 "commission_percent": str(reseller.commission_percent)})
    if chosen is None:
        chosen = [str(experience.id) for experience in reseller.experiences]
    experiences = resellers.offered_experiences(request.dbsession, reseller.operator_id)
    return {"reseller": reseller, "form": form, "labels": FIELD_LABELS,
            "groups": _experience_groups(request, experiences, set(chosen)),
            "keys": [_key_row(request, key) for key in request.dbsession.scalars(
                select(ResellerKey).where(ResellerKey.reseller_id == reseller.id).order_by(ResellerKey.id.desc()))],
            "octo_address": octo_address(request), "is_admin": request.identity.is_admin,
            "messages": request.session.pop_flash()}


@view_config(route_name="octo.console.reseller", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "reseller.jinja2")
def reseller_page(request):
    return _reseller_page(request, request.context.obj)


@view_config(route_name="octo.console.reseller", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "reseller.jinja2")
def reseller_post(request):
    reseller = request.context.obj
    chosen = _chosen(request)
    try:
        resellers.update_reseller(request.dbsession, reseller, request.POST, chosen)
    except InvalidInput as error:
        return _reseller_page(request, reseller, Form("reseller", typed(request), error.errors), chosen, status=400)
    flash(request, _("${name} is saved.", mapping={"name": reseller.name}))
    return HTTPSeeOther(request.route_path("octo.console.reseller", reseller_id=reseller.id))


# --- keys --------------------------------------------------------------------------------------

@view_config(route_name="octo.console.reseller_keys", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "key_new.jinja2")
def key_new_post(request):
    """Issue a key and show it on this very page, once: it is not kept anywhere to show again."""
    reseller = request.context.obj
    key, secret = keys.issue_key(request.dbsession, reseller, now=request.now)
    no_store(request)
    return {"reseller": reseller, "key": _key_row(request, key), "secret": secret,
            "octo_address": octo_address(request)}


@view_config(route_name="octo.console.reseller_keys", request_method="GET", permission=MANAGE)
def keys_get(request):
    """The keys' address opened again (the new key's page reloaded): the reseller's keys."""
    reseller = request.context.obj
    return HTTPSeeOther(request.route_path("octo.console.reseller", reseller_id=reseller.id, _anchor="keys"))


@view_config(route_name="octo.console.key_revoke", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "key_revoke.jinja2")
def revoke_page(request):
    no_store(request)
    key = request.context.obj
    return {"reseller": key.reseller, "key": _key_row(request, key)}


@view_config(route_name="octo.console.key_revoke", request_method="POST", permission=MANAGE)
def revoke_post(request):
    key = request.context.obj
    mapping = {"key": f"{key.prefix}…", "name": key.reseller.name}
    if keys.revoke_key(request.dbsession, key, now=request.now):
        flash(request, _("The key ${key} is revoked: ${name} can no longer use it.", mapping=mapping))
    else:
        flash(request, _("The key ${key} was already revoked.", mapping=mapping))
    return HTTPSeeOther(request.route_path("octo.console.reseller", reseller_id=key.reseller_id, _anchor="keys"))
