"""The OCTO endpoints: thin JSON views over octo.services and octo.mapping.

`octo_endpoint` does what every endpoint shares: the bearer key, the language
(Accept-Language, English when none of ours is asked for), the capabilities asked for in
`Octo-Capabilities`, the JSON body, the response headers, and errors as OCTO's JSON. An
error dooms the transaction, so a request that fails half-way leaves nothing behind.
"""
import hashlib
import hmac
import json
import logging
from functools import wraps

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.view import exception_view_config, notfound_view_config, view_config
from sqlalchemy import func, select

from tourism.booking.models import Booking, BookingStatus
from tourism.catalog.models import Experience
from tourism.i18n import LOCALES, _
from tourism.images import image_url
from tourism.octo import errors, keys, mapping, services
from tourism.octo.models import Reseller
from tourism.tickets import codes
from tourism.tickets.models import Admission
from tourism.tickets.services import ticket_code
from tourism.tickets.views import ticket_pdf_response

log = logging.getLogger(__name__)

API_PATH = r"^/octo(/|$)"
DEFAULT_API_LOCALE = "en"  # a reseller that asks for none of our languages gets English


class Call:
    """One authenticated OCTO request: the reseller, its mapping context, the JSON body."""

    def __init__(self, request, reseller: Reseller):
        self.request = request
        self.reseller = reseller
        self.dbsession = request.dbsession
        self.now = request.now
        self.locale = request.locale_name
        asked = {part.strip() for part in request.headers.get("Octo-Capabilities", "").split(",")}
        self.capabilities = frozenset(c for c in mapping.SUPPORTED_CAPABILITIES if c in asked)
        self.context = mapping.Context(
            locale=self.locale, capabilities=self.capabilities, commission_percent=reseller.commission_percent,
            image_url=lambda image: image_url(request, image),
            translate=request.translate, now=self.now)
        self.languages = list(LOCALES)
        # The language the content is actually in, when it is not the one asked for (an
        # experience with no text in it falls back to English, then Vietnamese).
        self.content_language = None

    def body(self) -> dict:
        if not self.request.body:
            return {}
        try:
            return services.as_object(json.loads(self.request.body))
        except (ValueError, UnicodeDecodeError):
            raise errors.BadRequest(_("The request body is not valid JSON.")) from None

    # --- objects -------------------------------------------------------------------------

    def product(self, experience: Experience) -> dict:
        upcoming = services.upcoming_starts(self.dbsession, experience, self.now)
        return mapping.product(experience, upcoming, self.context)

    def booking(self, booking: Booking) -> dict:
        admitted = self.dbsession.execute(
            select(func.min(Admission.admitted_at), func.count(Admission.id)).where(Admission.booking_id == booking.id)
        ).one()
        redeemed_at = admitted[0] if admitted[1] else None
        redeemed = redeemed_at is not None and booking.status == BookingStatus.CONFIRMED
        status = mapping.booking_status(booking, self.now, redeemed)
        item = services.session_availability(self.dbsession, booking, self.now)
        voucher = None
        if booking.status == BookingStatus.CONFIRMED:
            code = ticket_code(self.request.registry[codes.REGISTRY_KEY], booking)
            voucher = {"redemptionMethod": "DIGITAL", "utcRedeemedAt": mapping.utc(redeemed_at),
                       "deliveryOptions": [
                           {"deliveryFormat": "QRCODE", "deliveryValue": code},
                           {"deliveryFormat": "PDF_URL", "deliveryValue": voucher_url(self.request, booking)},
                       ]}
        return mapping.booking(booking, self.context, status=status,
                               cancellable=services.cancellable(booking, self.now, redeemed=redeemed),
                               availability_item=item, redeemed_at=redeemed_at,
                               voucher=voucher)

    def redeemed(self, booking: Booking) -> bool:
        return booking.status == BookingStatus.CONFIRMED and self.dbsession.scalar(
            select(func.count(Admission.id)).where(Admission.booking_id == booking.id)) > 0


def _json(request, status: int, payload) -> Response:
    response = Response(body=json.dumps(payload, ensure_ascii=False).encode(), status=status,
                        content_type="application/json", charset="utf-8")
    call = getattr(request, "octo_call", None)
    response.headers["Octo-Capabilities"] = ", ".join(sorted(call.capabilities)) if call else ""
    response.headers["Content-Language"] = (call.content_language if call else None) or request.locale_name
    response.headers["Available-Languages"] = ", ".join(call.languages if call else LOCALES)
    response.cache_control = "no-store"
    return response


def _error(request, error: errors.OctoError) -> Response:
    request.tm.doom()  # nothing this request wrote is kept
    return _json(request, error.status, error.body(request.translate))


def _authenticate(request) -> Reseller:
    header = request.headers.get("Authorization", "")
    scheme, _space, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise errors.Unauthorized()
    reseller = keys.reseller_for_key(request.dbsession, key.strip(), now=request.now)
    if reseller is None:
        raise errors.Forbidden()
    return reseller


def octo_endpoint(route_name: str, request_method: str):
    """Register `view(call)` as the OCTO endpoint for the route and method."""

    def decorate(view):
        @wraps(view)
        def endpoint(request):
            request._LOCALE_ = request.accept_language.lookup(language_tags=LOCALES, default=DEFAULT_API_LOCALE)
            try:
                call = request.octo_call = Call(request, _authenticate(request))
                payload = view(call)
            except errors.OctoError as error:
                return _error(request, error)
            return _json(request, 200, payload)

        return view_config(route_name=route_name, request_method=request_method, require_csrf=False)(endpoint)

    return decorate


@octo_endpoint("octo.supplier", "GET")
def supplier(call: Call):
    operator = call.reseller.operator
    data = {
        "id": operator.slug,
        "name": operator.name,
        "endpoint": call.request.route_url("octo.supplier", trailing_slash="").removesuffix("/supplier"),
        "contact": {"website": call.request.application_url + "/", "email": None, "telephone": None, "address": None},
    }
    if mapping.CONTENT in call.capabilities:
        data.update(shortDescription=None, media=[])
    return data


@view_config(route_name="octo.capabilities", request_method="GET", require_csrf=False)
def capabilities(request):
    """What this supplier supports: the same for everyone, so no key is needed (the
    specification documents no error for it)."""
    request._LOCALE_ = request.accept_language.lookup(language_tags=LOCALES, default=DEFAULT_API_LOCALE)
    return _json(request, 200, [{"id": capability, "revision": 1, "required": False, "dependencies": [], "docs": None}
                                for capability in mapping.SUPPORTED_CAPABILITIES])


@octo_endpoint("octo.products", "GET")
def products(call: Call):
    found = [call.product(experience) for experience in services.products(call.dbsession, call.reseller)]
    if mapping.CONTENT in call.capabilities and len({product["locale"] for product in found}) == 1:
        call.content_language = found[0]["locale"]
    return found


@octo_endpoint("octo.product", "GET")
def product(call: Call):
    experience = services.find_product(call.dbsession, call.reseller, call.request.matchdict["product_id"])
    call.languages = mapping.available_languages(experience) or list(LOCALES)
    product = call.product(experience)
    if mapping.CONTENT in call.capabilities:
        call.content_language = product["locale"]
    return product


def _product_and_units(call: Call, body: dict):
    experience = services.find_product(call.dbsession, call.reseller, body.get("productId"))
    services.check_option(body.get("optionId"))
    return experience, services.parse_units(body.get("units"), experience)


@octo_endpoint("octo.availability.calendar", "POST")
def availability_calendar(call: Call):
    body = call.body()
    experience, units = _product_and_units(call, body)
    days = services.date_range(body, single_day_field=None)
    if days is None:
        raise errors.BadRequest(_("Give localDateStart and localDateEnd."))
    items = services.sessions_between(call.dbsession, experience, *days, call.now)
    return [mapping.calendar_day(experience, day, found, call.context, units)
            for day, found in services.calendar_days(experience, items, *days)]


@octo_endpoint("octo.availability", "POST")
def availability_check(call: Call):
    body = call.body()
    experience, units = _product_and_units(call, body)
    asked = services.availability_question(body)
    if asked == "ids":
        items = services.availability_by_ids(call.dbsession, experience, body["availabilityIds"], call.now)
    else:
        days = services.date_range(body, single_day_field="localDate")
        items = services.sessions_between(call.dbsession, experience, *days, call.now)
    return [mapping.availability(experience, item, call.context, units) for item in items]


@octo_endpoint("octo.bookings", "POST")
def reserve(call: Call):
    booking = services.reserve(call.dbsession, call.reseller, call.body(), now=call.now, locale=call.locale)
    return call.booking(booking)


@octo_endpoint("octo.bookings", "GET")
def list_bookings(call: Call):
    params = call.request.GET
    found = services.list_bookings(call.dbsession, call.reseller,
                                   reseller_reference=params.get("resellerReference"),
                                   supplier_reference=params.get("supplierReference"))
    return [call.booking(booking) for booking in found]


def _booking(call: Call) -> Booking:
    return services.find_booking(call.dbsession, call.reseller, call.request.matchdict["uuid"])


@octo_endpoint("octo.booking", "GET")
def get_booking(call: Call):
    return call.booking(_booking(call))


@octo_endpoint("octo.booking", "PATCH")
def update_booking(call: Call):
    booking = services.update(call.dbsession, _booking(call), call.body(), now=call.now, locale=call.locale)
    return call.booking(booking)


@octo_endpoint("octo.booking.extend", "POST")
def extend_booking(call: Call):
    return call.booking(services.extend(call.dbsession, _booking(call), call.body(), now=call.now))


@octo_endpoint("octo.booking.confirm", "POST")
def confirm_booking(call: Call):
    booking = services.confirm(call.dbsession, _booking(call), call.body(), now=call.now, locale=call.locale,
                               registry=call.request.registry)
    return call.booking(booking)


@octo_endpoint("octo.booking.cancel", "POST")
def cancel_booking(call: Call):
    booking = _booking(call)
    booking = services.cancel(call.dbsession, booking, call.body(), now=call.now, registry=call.request.registry,
                              redeemed=call.redeemed(booking))
    return call.booking(booking)


# --- errors outside the endpoints -------------------------------------------------------------

@notfound_view_config(path_info=API_PATH)
def api_not_found(request):
    request._LOCALE_ = request.accept_language.lookup(language_tags=LOCALES, default=DEFAULT_API_LOCALE)
    return _json(request, 404, {"error": "NOT_FOUND",
                                "errorMessage": request.translate(_("There is no such OCTO endpoint."))})


@exception_view_config(Exception, path_info=API_PATH, retryable_error=False)
def api_server_error(exc, request):
    log.exception("unhandled error on %s %r", request.method, request.environ.get("PATH_INFO", "")[:500])
    return _json(request, 500, {"error": "INTERNAL_SERVER_ERROR",
                                "errorMessage": request.translate(_("Something went wrong on our side. "
                                                                    "Please try again in a moment."))})


# --- the voucher's PDF -------------------------------------------------------------------------

def voucher_signature(settings, reference: str) -> str:
    secret = settings["tourism.session_secret"].encode()
    return hmac.new(secret, f"octo-voucher:{reference}".encode(), hashlib.sha256).hexdigest()[:32]


def voucher_url(request, booking: Booking) -> str:
    return request.route_url("octo.voucher", reference=booking.reference,
                             signature=voucher_signature(request.registry.settings, booking.reference))


@view_config(route_name="octo.voucher", request_method="GET")
def voucher_pdf(request):
    reference = request.matchdict["reference"]
    expected = voucher_signature(request.registry.settings, reference)
    if not hmac.compare_digest(expected, request.matchdict["signature"]):
        raise HTTPNotFound()
    return ticket_pdf_response(request, request.dbsession.scalar(select(Booking).where(Booking.reference == reference)))
