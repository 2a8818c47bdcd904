"""Payment pages and callbacks: the card page (Stripe's Payment Element), the page the guest
comes back to after paying, and Stripe's webhook. Thin: the rules live in the services."""
import logging

import stripe
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from tourism.booking.models import BookingStatus
from tourism.booking.services import find_by_token, format_reference
from tourism.catalog.services import experience_text
from tourism.payments.models import RECEIVED, Payment, PaymentStatus
from tourism.payments.services import advance_payment, providers
from tourism.payments.stripe_provider import STRIPE_JS
from tourism.payments.webhooks import InvalidWebhook

log = logging.getLogger(__name__)

# Wallets (Apple Pay, Google Pay) run inside Stripe's frames, which need the Payment Request
# permission delegated to them; every other page keeps the site-wide `payment=(self)`.
CARD_PAGE_PERMISSIONS = ('camera=(self), geolocation=(self), microphone=(), '
                         'payment=(self "https://js.stripe.com" "https://*.js.stripe.com")')


def _stripe(request):
    provider = providers(request.registry).get("stripe")
    if provider is None:
        raise HTTPNotFound()
    return provider


def _booking(request):
    booking = find_by_token(request.dbsession, request.matchdict["token"])
    if booking is None:
        raise HTTPNotFound()
    # The private link is the key: never cache these pages, never leak the link.
    request.response.cache_control = "no-store"
    return booking


def _manage(request):
    return HTTPSeeOther(request.route_url("booking.manage", token=request.matchdict["token"]))


def _page(request, booking, **values):
    return {
        "booking": booking,
        "reference": format_reference(booking.reference),
        "experience": booking.experience,
        "session": booking.session,
        "text": experience_text(booking.experience, request.locale_name),
        "token": request.matchdict["token"],
        "other_providers": [p for p in providers(request.registry).values() if p.name != "stripe"],
        **values,
    }


@view_config(route_name="payments.card", request_method="GET", renderer="tourism:payments/templates/card.jinja2")
def card_page(request):
    """The card form. Without Stripe.js (offline, blocked, no JavaScript) it says so and offers the other ways to pay."""
    provider = _stripe(request)
    booking = _booking(request)
    now = request.now
    payment = provider.open_attempt(request.dbsession, booking)
    if booking.status != BookingStatus.HELD or booking.hold_expires_at <= now or payment is None:
        return _manage(request)
    try:
        client_secret, status = provider.client_secret(payment)
    except stripe.StripeError as error:
        log.error("stripe: cannot read %s: %s", payment.provider_reference, error)
        client_secret, status = None, None
    if status in ("succeeded", "processing"):
        return HTTPSeeOther(request.route_url("payments.card.return", token=request.matchdict["token"]))
    if status == "canceled":  # closed at Stripe: choosing card again starts a new attempt
        advance_payment(payment, PaymentStatus.CANCELLED, now=now)
        return _manage(request)
    request.response.headers["Permissions-Policy"] = CARD_PAGE_PERMISSIONS
    return _page(
        request, booking,
        payment=payment,
        client_secret=client_secret,
        publishable_key=provider.publishable_key,
        stripe_js=STRIPE_JS,
        return_url=request.route_url("payments.card.return", token=request.matchdict["token"]),
        hold_seconds_left=int((booking.hold_expires_at - now).total_seconds()),
    )


@view_config(route_name="payments.card.return", request_method="GET",
             renderer="tourism:payments/templates/card_return.jinja2")
def card_return(request):
    """Where Stripe sends the guest back. It never confirms anything: only the webhook does."""
    _stripe(request)
    booking = _booking(request)
    if booking.status == BookingStatus.CONFIRMED:
        return _manage(request)
    payment = request.dbsession.scalar(
        select(Payment).where(Payment.booking_id == booking.id, Payment.provider == "stripe")
        .order_by(Payment.attempt.desc()).limit(1))
    if payment is None:
        return _manage(request)
    if payment.status in RECEIVED:
        state = "refunded"  # received, but the booking could not be kept: see the e-mail
    elif payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED) \
            or request.GET.get("redirect_status") == "failed":
        state = "failed"
    elif booking.status != BookingStatus.HELD:
        state = "closed"
    else:
        state = "waiting"
    return _page(request, booking, payment=payment, state=state,
                 card_url=request.route_url("payments.card", token=request.matchdict["token"]),
                 manage_url=request.route_url("booking.manage", token=request.matchdict["token"]))


@view_config(route_name="payments.stripe.webhook", request_method="POST", require_csrf=False, renderer="json")
def stripe_webhook(request):
    """Stripe's events. No CSRF token (Stripe cannot have one): the signature on the raw body
    is the proof, checked before anything is read or written."""
    provider = _stripe(request)
    try:
        result = provider.handle_notification(request.dbsession, request, now=request.now)
    except InvalidWebhook as error:
        log.warning("stripe webhook refused: %s", error)
        request.response.status = 400
        return {"error": "invalid signature or payload"}
    return {"received": True, "duplicate": result.duplicate}
