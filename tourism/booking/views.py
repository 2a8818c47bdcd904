"""The booking flow (no JavaScript needed): party and contact → hold → payment → confirmation,
then "manage my booking": view, cancel, move."""
import json
import secrets
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config

from tourism.booking import services
from tourism.booking.availability import availability
from tourism.booking.emails import calendar_file
from tourism.booking.models import BookingStatus
from tourism.catalog.models import PRICE_TIERS
from tourism.catalog.services import describe_cancellation_policy, experience_text, get_bookable_experience
from tourism.exceptions import DomainError
from tourism.i18n import LOCALES, _
from tourism.payments.refunds import refund_for_cancellation
from tourism.payments.services import amount_paid, providers, refunds_for
from tourism.payments.vietqr_provider import NAME as VIETQR, awaited_transfer
from tourism.scheduling.models import ExperienceSession
from tourism.scheduling.services import local_day_bounds
from tourism.shop import checkout
from tourism.shop.services import product_text
from tourism.shop.stock import MAX_QUANTITY
from tourism.shop.views import price_per_unit

MOVE_WINDOW = timedelta(days=90)
DEFAULT_COUNTRY = {"vi": "VN", "ko": "KR", "zh": "CN", "ja": "JP", "fr": "FR", "en": ""}


def _hold_minutes(request) -> int:
    return int(request.registry.settings.get("tourism.hold_minutes", services.DEFAULT_HOLD_MINUTES))


def _countries(request) -> list[tuple[str, str]]:
    names = Locale.parse(request.locale_name).territories
    return sorted(((code, names.get(code, code)) for code in services.COUNTRIES), key=lambda item: item[1])


# The delivery address fields: (name, label, autocomplete token).
ADDRESS_FIELDS = (
    ("name", _("Recipient's name"), "shipping name"),
    ("phone", _("Recipient's phone in Vietnam"), "shipping tel"),
    ("street", _("House number and street"), "shipping address-line1"),
    ("ward", _("Ward or commune"), "shipping address-level3"),
    ("district", _("District or city"), "shipping address-level2"),
    ("province", _("Province"), "shipping address-level1"),
)


def _shipping_fee(request) -> int:
    return checkout.shipping_fee(request.registry.settings)


def _products(request, experience) -> list[dict]:
    """The products a guest may add on the booking form, with what the form shows of them."""
    items = []
    for product in checkout.orderable_products(request.dbsession, experience):
        text = product_text(product, request.locale_name)
        if text is not None:  # sold out ones too: the guest sees it exists and is gone for now
            items.append({"product": product, "text": text, "price": price_per_unit(request, product)})
    return items


def _session_or_404(request) -> ExperienceSession:
    raw = request.matchdict["session_id"]
    session = request.dbsession.get(ExperienceSession, int(raw)) if raw.isdigit() and len(raw) < 12 else None
    if session is None:
        raise HTTPNotFound()
    return session


def _form_page(request, session, *, error=None, values=None):
    experience = session.experience
    values = values or {}
    left = services.seats_left_now(request.dbsession, session, request.now)
    request.response.status = 400 if error else 200
    return {
        "session": session,
        "experience": experience,
        "text": experience_text(experience, request.locale_name),
        "tiers": [(t, PRICE_TIERS.get(t.code, t.code)) for t in experience.price_tiers],
        "seats_left": max(left, 0),
        "closed_reason": services.booking_closed_reason(session, experience, request.now),
        "error": error,
        "values": values,
        "form_key": values.get("form_key") or secrets.token_urlsafe(24),
        "countries": _countries(request),
        "default_country": DEFAULT_COUNTRY.get(request.locale_name, ""),
        "languages": LOCALES,
        "hold_minutes": _hold_minutes(request),
        "products": _products(request, experience),
        "max_quantity": MAX_QUANTITY,
        "shipping_fee": _shipping_fee(request),
        "address_fields": ADDRESS_FIELDS,
        "address_lengths": checkout.MAX_ADDRESS_LENGTH,
        "vietnam": Locale.parse(request.locale_name).territories.get("VN", "Việt Nam"),
    }


@view_config(route_name="booking.start", request_method="GET",
             renderer="tourism:booking/templates/start.jinja2")
def start(request):
    return _form_page(request, _session_or_404(request))


@view_config(route_name="booking.start", request_method="POST",
             renderer="tourism:booking/templates/start.jinja2")
def start_submit(request):
    session = _session_or_404(request)
    form_key = request.POST.get("form_key", "")[:64]
    # The same form sent twice (a double click, a retry on a poor connection): show the
    # booking the first one made instead of making a second.
    existing = services.find_by_form_key(request.dbsession, form_key)
    if existing is not None:
        token = services.issue_token(request.dbsession, existing)
        return HTTPSeeOther(request.route_url("booking.manage", token=token))
    try:
        party = services.parse_party(request.POST, session.experience)
        contact = services.parse_contact(request.POST)
        basket = checkout.parse_basket(request.dbsession, request.POST, session.experience, request.locale_name)
        _booking, token = services.create_hold(
            request.dbsession, session=session, party=party, contact=contact, now=request.now,
            hold_minutes=_hold_minutes(request), form_key=form_key or None,
            basket=basket, shipping_fee=_shipping_fee(request),
        )
    except DomainError as error:
        return _form_page(request, session, error=error, values=request.POST)
    return HTTPSeeOther(request.route_url("booking.manage", token=token))


def _booking_or_404(request):
    booking = services.find_by_token(request.dbsession, request.matchdict["token"])
    if booking is None:
        raise HTTPNotFound()
    return booking


def _awaited_transfer(request, booking):
    """How to pay the VietQR transfer the guest chose, while it is awaited."""
    provider = providers(request.registry).get(VIETQR)
    if provider is None or booking.status not in (BookingStatus.HELD, BookingStatus.EXPIRED):
        return None
    return provider.instructions(booking) if awaited_transfer(request.dbsession, booking) else None


def _manage_page(request, booking, error=None):
    now = request.now
    experience = booking.experience
    paid = amount_paid(request.dbsession, booking)
    percent, refund = services.refund_due(booking, paid, now)
    hold_active = booking.status == BookingStatus.HELD and booking.hold_expires_at > now
    request.response.status = 400 if error else 200
    return {
        "booking": booking,
        "reference": services.format_reference(booking.reference),
        "experience": experience,
        "text": experience_text(experience, request.locale_name),
        "tier_labels": PRICE_TIERS,
        "product_names": {line.product_id: product_text(line.product, request.locale_name)
                          for line in booking.product_lines},
        "vietnam_name": Locale.parse(request.locale_name).territories.get("VN", "Việt Nam"),
        "hold_active": hold_active,
        "hold_seconds_left": int((booking.hold_expires_at - now).total_seconds()) if hold_active else 0,
        "providers": providers(request.registry).values(),
        "paid": paid,
        "refunds": refunds_for(request.dbsession, booking),
        "transfer": _awaited_transfer(request, booking),
        "refund_percent": percent,
        "refund_amount": refund,
        "policy": describe_cancellation_policy(experience.cancellation_rules),
        "can_change": booking.status == BookingStatus.CONFIRMED and booking.session.starts_at > now,
        "error": error,
        "token": request.matchdict["token"],
    }


@view_config(route_name="booking.manage", request_method="GET",
             renderer="tourism:booking/templates/manage.jinja2")
def manage(request):
    # The private link is the key: never cache it, never leak it in a referrer.
    request.response.cache_control = "no-store"
    return _manage_page(request, _booking_or_404(request))


@view_config(route_name="booking.pay", request_method="POST",
             renderer="tourism:booking/templates/manage.jinja2")
def pay(request):
    booking = _booking_or_404(request)
    provider = providers(request.registry).get(request.POST.get("provider", ""))
    if booking.status == BookingStatus.CONFIRMED:
        return HTTPSeeOther(request.route_url("booking.manage", token=request.matchdict["token"]))
    try:
        if provider is None:
            raise DomainError(_("Choose how you will pay."))
        start_result = provider.start_payment(request.dbsession, booking, now=request.now, request=request)
    except DomainError as error:
        return _manage_page(request, booking, error=error)
    if start_result.redirect_url:
        return HTTPSeeOther(start_result.redirect_url)
    return HTTPSeeOther(request.route_url("booking.manage", token=request.matchdict["token"]))


@view_config(route_name="booking.cancel", request_method="GET",
             renderer="tourism:booking/templates/cancel.jinja2")
def confirm_cancel(request):
    """Are you sure? What comes back, and the button that cancels for good."""
    request.response.cache_control = "no-store"
    booking = _booking_or_404(request)
    page = _manage_page(request, booking)
    if not page["can_change"]:
        return HTTPSeeOther(request.route_url("booking.manage", token=request.matchdict["token"]))
    return page


@view_config(route_name="booking.cancel", request_method="POST",
             renderer="tourism:booking/templates/manage.jinja2")
def cancel(request):
    booking = _booking_or_404(request)

    def refund(b):
        # The policy's share of what was paid goes back through each payment's provider
        # (card refunds at once; cash and transfers recorded for the operator to pay back).
        return refund_for_cancellation(request.dbsession, b, now=request.now, providers=providers(request.registry))

    try:
        services.cancel_booking(request.dbsession, booking, now=request.now, registry=request.registry, refund=refund)
    except DomainError as error:
        return _manage_page(request, booking, error=error)
    return HTTPSeeOther(request.route_url("booking.manage", token=request.matchdict["token"]))


@view_config(route_name="booking.calendar")
def calendar(request):
    """The session as an .ics file, for the guest's calendar app."""
    booking = _booking_or_404(request)
    if booking.status != BookingStatus.CONFIRMED:
        raise HTTPNotFound()
    manage_url = request.route_url("booking.manage", token=request.matchdict["token"])
    response = Response(body=calendar_file(booking, manage_url), content_type="text/calendar", charset="utf-8")
    response.content_disposition = f'attachment; filename="LangViet-{booking.reference}.ics"'
    response.cache_control = "no-store"
    return response


@view_config(route_name="booking.move", renderer="tourism:booking/templates/move.jinja2")
def move(request):
    booking = _booking_or_404(request)
    error = None
    if request.method == "POST":
        raw = request.POST.get("session_id", "")
        new_session = request.dbsession.get(ExperienceSession, int(raw)) if raw.isdigit() and len(raw) < 12 else None
        try:
            if new_session is None:
                raise DomainError(_("Choose a session from the list."))
            services.move_booking(request.dbsession, booking, new_session, now=request.now, registry=request.registry)
        except DomainError as error_:
            error = error_
        else:
            return HTTPSeeOther(request.route_url("booking.manage", token=request.matchdict["token"]))
    now = request.now
    options = [a for a in availability(request.dbsession, booking.experience, start=now,
                                       end=now + MOVE_WINDOW, now=now)
               if a.bookable and a.seats_left >= booking.seats and a.session_id != booking.session_id]
    request.response.status = 400 if error else 200
    return {"booking": booking, "options": options, "error": error, "token": request.matchdict["token"],
            "reference": services.format_reference(booking.reference),
            "text": experience_text(booking.experience, request.locale_name)}


@view_config(route_name="booking.availability_json")
def availability_json(request):
    """Sessions and seats left for a date range (local dates, at most 92 days), as JSON.

    Served from a few-seconds cache: this is what channels and calendars poll, and seats
    are still taken only by the conditional update when someone books.
    """
    slug = request.matchdict["slug"][:80]
    key = (slug, request.GET.get("from", "")[:10], request.GET.get("to", "")[:10], request.locale_name)
    status, body = request.registry["booking.availability_cache"].get_or_set(
        key, lambda: _availability_body(request, slug, key[1], key[2]))
    max_age = int(request.registry["booking.availability_cache"].seconds)
    response = Response(body=body, status=status, content_type="application/json", charset="utf-8")
    response.cache_control = f"public, max-age={max_age}" if status == 200 and max_age else "no-store"
    return response


def _availability_body(request, slug: str, raw_from: str, raw_to: str) -> tuple[int, bytes]:
    experience = get_bookable_experience(request.dbsession, slug)
    if experience is None:
        return 404, _json({"error": request.translate(_("There is no such experience."))})
    tz = ZoneInfo(experience.village.time_zone)
    today = request.now.astimezone(tz).date()
    try:
        first = date.fromisoformat(raw_from) if raw_from else today
        last = date.fromisoformat(raw_to) if raw_to else first + timedelta(days=30)
    except ValueError:
        return 400, _json({"error": request.translate(_("Enter dates like 2026-12-31."))})
    if last < first or (last - first).days > 92:
        return 400, _json({"error": request.translate(_("Ask for at most 92 days, with the end after the start."))})
    start, _unused = local_day_bounds(first, tz)
    _unused, end = local_day_bounds(last, tz)
    items = availability(request.dbsession, experience, start=start, end=end, now=request.now)
    return 200, _json({
        "experience": experience.slug,
        "timeZone": experience.village.time_zone,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "sessions": [
            {
                "id": a.session_id,
                "start": a.starts_at.astimezone(tz).isoformat(),
                "end": a.ends_at.astimezone(tz).isoformat(),
                "capacity": a.capacity,
                "seatsLeft": a.seats_left,
                "status": a.state,
                "closedReason": a.closure_reason,
                "bookUrl": request.route_url("booking.start", session_id=a.session_id) if a.bookable else None,
            }
            for a in items
        ],
    })


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
