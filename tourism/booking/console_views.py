"""Bookings in the operator's console.

- /console/bookings: the operator's bookings (an admin sees all), today's and upcoming ones
  first; search by reference, name, e-mail or phone, filter by dates, experience, status and
  how the guest booked (console_search has the rules); 50 a page; a plain GET form.
- /console/bookings/<id>: one booking: guest, party, products, payments and refunds, the
  e-mails sent, the ticket; cancel (with the policy's refund, or for owners another
  amount), move to another session, send the ticket again, cash received at the village,
  and the way to the payments pages (a transfer that arrived, refunds to pay back).
- /console/bookings/new: a booking taken by hand for a guest on the phone or at the gate:
  choose the experience and day, then the session (bookable until it starts, past the online
  cut-off too), then the party, the guest (e-mail optional) and how they pay.

Every booking or session URL loads its row in a route factory naming its village's operator
(OperatorResource), so another operator's staff get 403 whatever id they try; the lists
narrow themselves with visible_operator_id. The views read the request and show the result:
the rules are in booking.desk, booking.services and console_search.
"""
import secrets
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.interfaces import IRoutesMapper
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from tourism.accounts.permissions import (
    CONSOLE,
    MANAGE,
    PAYMENTS,
    ConsoleRoot,
    OperatorResource,
    row_from_url,
    visible_operator_id,
)
from tourism.accounts.views import no_store
from tourism.booking import console_search, desk, services
from tourism.booking.availability import SESSION_STATE_LABELS, availability
from tourism.booking.emails import NO_EMAIL_ADDRESS, can_email
from tourism.booking.models import Booking, BookingStatus
from tourism.catalog.models import PRICE_TIERS, PublicationStatus
from tourism.catalog.services import describe_cancellation_policy, experience_text, village_text
from tourism.exceptions import DomainError
from tourism.forms import Form, InvalidInput, chosen_id, flash, page_basics, typed, whole_number
from tourism.i18n import LOCALES, _
from tourism.notify.models import OutboxStatus
from tourism.octo.models import RESELLER_CHANNEL, ResellerBooking
from tourism.payments.models import RECEIVED, Payment, PaymentStatus, Refund, RefundStatus
from tourism.payments.services import payments_for, providers, refunds_for
from tourism.scheduling.models import ExperienceSession
from tourism.scheduling.services import local_day_bounds
from tourism.shop.services import product_text

TEMPLATES = "tourism:booking/templates/console/"
SESSION_ROUTE = "booking.console.session"  # a session's page (booking/session_views.py), once it exists
NEW_BOOKING_DAYS = 7  # sessions shown at once when taking a booking by hand

PAYMENT_STATUS_LABELS = {
    PaymentStatus.PENDING: _("Waiting"),
    PaymentStatus.DUE_ON_SITE: _("To pay at the village"),
    PaymentStatus.SUCCEEDED: _("Received"),
    PaymentStatus.FAILED: _("Failed"),
    PaymentStatus.CANCELLED: _("Cancelled"),
    PaymentStatus.PARTIALLY_REFUNDED: _("Received, part given back"),
    PaymentStatus.REFUNDED: _("Received, all given back"),
}
PROVIDER_LABELS = {"on_site": _("At the village"), "vietqr": _("Bank transfer (VietQR)"), "stripe": _("Card")}
REFUND_STATUS_LABELS = {
    RefundStatus.PENDING: _("To pay back"),
    RefundStatus.SUCCEEDED: _("Paid back"),
    RefundStatus.FAILED: _("Failed"),
}
EMAIL_STATUS_LABELS = {OutboxStatus.PENDING: _("Waiting to be sent"), OutboxStatus.SENT: _("Sent"),
                       OutboxStatus.FAILED: _("Could not be sent")}


# --- route factories: the row in the URL and the operator who owns it ------------------------

def booking_resource(request) -> OperatorResource:
    booking = row_from_url(request, Booking, "booking_id")
    return OperatorResource(booking.experience.village.operator_id, booking)


def session_resource(request) -> OperatorResource:
    session = row_from_url(request, ExperienceSession, "session_id")
    return OperatorResource(session.experience.village.operator_id, session)


# --- shared pieces ---------------------------------------------------------------------------

def _operator_id(request) -> int | None:
    try:
        return visible_operator_id(request.identity)
    except ValueError:  # signed in, but neither an admin nor anyone's staff
        raise HTTPForbidden() from None


def _route_exists(request, name: str) -> bool:
    mapper = request.registry.queryUtility(IRoutesMapper)
    return mapper is not None and mapper.get_route(name) is not None


def session_path(request, session_id: int) -> str | None:
    """The session's page (all its guests, whole-session actions), once it is installed."""
    return request.route_path(SESSION_ROUTE, session_id=session_id) if _route_exists(request, SESSION_ROUTE) else None


def _tel(phone: str) -> str:
    """A tel: link's number: "0912 345 678" → "0912345678"."""
    return "".join(c for c in phone or "" if c.isdigit() or c == "+")


def _when(request, session) -> str:
    return request.fmt.session_datetime(session.starts_at, session.experience.village.time_zone)


def _party(request, booking: Booking) -> str:
    return request.fmt.list(f"{line.quantity} × {request.translate(PRICE_TIERS.get(line.tier_code, line.tier_code))}"
                            for line in booking.lines)


def sold_by(booking: Booking) -> ResellerBooking | None:
    """What the reseller that sold `booking` added to it (tourism.octo), or None for the
    bookings guests and staff made here."""
    return booking.reseller_booking if booking.channel == RESELLER_CHANNEL else None


def _channel_label(booking: Booking):
    resold = sold_by(booking)
    if resold is not None:
        return _("Reseller: ${name}", mapping={"name": resold.reseller.name})
    return console_search.CHANNEL_LABELS.get(booking.channel, booking.channel)


def _no_email_note(booking: Booking):
    """What to flash when the guest is not e-mailed about a change."""
    resold = sold_by(booking)
    if resold is not None:
        return _("Tell ${reseller} yourself: they tell their customer.", mapping={"reseller": resold.reseller.name})
    return NO_EMAIL_ADDRESS


def _money_state(request, booking: Booking, payments: list[Payment]) -> dict:
    """Paid, or what is still to pay and how (as the manifest says it)."""
    paid = sum(p.amount - p.refunded_amount for p in payments if p.status in RECEIVED)
    owed = booking.total_amount - paid
    fmt = request.fmt
    resold = sold_by(booking)
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED):
        text, due = "", False
    elif resold is not None:  # the reseller's customer paid the reseller: nothing to collect here
        text, due = request.translate(_("Paid via ${reseller}", mapping={"reseller": resold.reseller.name})), False
    elif booking.total_amount == 0:
        text, due = request.translate(_("Nothing to pay")), False
    elif owed <= 0:
        text, due = request.translate(_("Paid")), False
    elif any(p.status == PaymentStatus.DUE_ON_SITE for p in payments):
        text, due = request.translate(_("To pay at the village: ${amount}",
                                        mapping={"amount": fmt.money(owed, booking.currency)})), True
    elif any(p.status == PaymentStatus.PENDING and p.provider == desk.VIETQR for p in payments):
        text, due = request.translate(_("Transfer awaited: ${amount}",
                                        mapping={"amount": fmt.money(owed, booking.currency)})), True
    else:
        text, due = request.translate(_("To pay: ${amount}",
                                        mapping={"amount": fmt.money(owed, booking.currency)})), True
    return {"paid": paid, "text": text, "due": due}


def _card(request, booking: Booking, payments: list[Payment]) -> dict:
    experience = booking.experience
    status = console_search.effective_status(booking, request.now)
    return {
        "booking": booking,
        "id": booking.id,
        "reference": services.format_reference(booking.reference),
        "name": booking.contact_name,
        "phone": booking.contact_phone,
        "tel": _tel(booking.contact_phone),
        "email": booking.contact_email,
        "has_email": can_email(booking),
        "title": experience_text(experience, request.locale_name).value.title,
        "when": _when(request, booking.session),
        "party": _party(request, booking),
        "seats": booking.seats,
        "status": status.value,
        "status_label": console_search.STATUS_LABELS[status],
        "channel_label": _channel_label(booking),
        "total": request.fmt.money(booking.total_amount, booking.currency),
        "money": _money_state(request, booking, payments),
    }


def _payments_by_booking(request, bookings: list[Booking]) -> dict[int, list[Payment]]:
    found: dict[int, list[Payment]] = {b.id: [] for b in bookings}
    if found:
        for payment in request.dbsession.scalars(select(Payment).where(Payment.booking_id.in_(list(found)))
                                                 .order_by(Payment.id)):
            found[payment.booking_id].append(payment)
    return found


# --- the list --------------------------------------------------------------------------------

def _today(request, operator_id) -> date:
    """Today in the villages' time zone (Vietnam's; the first village's when they differ)."""
    experiences = console_search.operator_experiences(request.dbsession, operator_id)
    zone = experiences[0].village.time_zone if experiences else "Asia/Ho_Chi_Minh"
    return request.now.astimezone(ZoneInfo(zone)).date()


@view_config(route_name="booking.console.list", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "bookings.jinja2")
def bookings_page(request):
    no_store(request)  # guests' names and phone numbers: never cached
    operator_id = _operator_id(request)
    db = request.dbsession
    experiences = console_search.operator_experiences(db, operator_id)
    channels = console_search.known_channels(db, operator_id)
    today = _today(request, operator_id)
    filters = console_search.parse_filters(request.GET, today=today, experience_ids={e.id for e in experiences},
                                           channels=set(channels))
    found = console_search.search_bookings(db, filters, operator_id=operator_id, now=request.now)
    payments = _payments_by_booking(request, found.bookings)
    query = {k: v for k, v in request.GET.items() if k != "page" and isinstance(v, str) and v}

    def page_url(number: int) -> str:
        return request.route_path("booking.console.list", _query=dict(query, page=number))

    search = Form("f", {
        "q": filters.q, "experience": str(filters.experience_id or ""), "status": filters.status,
        "channel": filters.channel, "sort": filters.sort,
        "from": filters.date_from.isoformat() if filters.date_from and not filters.upcoming else "",
        "to": filters.date_to.isoformat() if filters.date_to else ""})
    return {
        "filters": filters,
        "search": search,
        "sorts": [{"value": "soonest", "label": request.translate(_("Soonest session first"))},
                  {"value": "latest", "label": request.translate(_("Latest session first"))}],
        "cards": [_card(request, booking, payments[booking.id]) for booking in found.bookings],
        "found": found,
        "previous_url": page_url(found.page - 1) if found.page > 1 else None,
        "next_url": page_url(found.page + 1) if found.page < found.pages else None,
        "experiences": [{"value": str(e.id), "label": experience_text(e, request.locale_name).value.title}
                        for e in experiences],
        "statuses": [{"value": s.value, "label": request.translate(label)}
                     for s, label in console_search.STATUS_LABELS.items()] + [
            {"value": "all", "label": request.translate(_("Every status, unpaid holds too"))}],
        "channels": [{"value": c, "label": request.translate(console_search.CHANNEL_LABELS[c])
                      if c in console_search.CHANNEL_LABELS else c} for c in channels],
        "today": today.isoformat(),
        "yesterday": (today - timedelta(days=1)).isoformat(),
        "can_book": bool([e for e in experiences if e.status == PublicationStatus.PUBLISHED]),
        **page_basics(request),
    }


# --- one booking -----------------------------------------------------------------------------

def _transfer_received_path(request, booking: Booking, payments: list[Payment]) -> str | None:
    """The payments console's "has this transfer arrived?" page, while a transfer is awaited."""
    awaited = any(p.provider == desk.VIETQR and p.status == PaymentStatus.PENDING for p in payments)
    if awaited and _route_exists(request, "payments.transfers.received"):
        return request.route_path("payments.transfers.received", reference=booking.reference)
    return None


def _history(request, booking: Booking, payments: list[Payment], refunds: list[Refund]) -> list[dict]:
    """What happened to the booking, oldest first, in the village's time."""
    tz = booking.experience.village.time_zone
    events = [(booking.created_at, _("Booked (${channel})", mapping={
        "channel": request.translate(_channel_label(booking))}))]
    if booking.confirmed_at:
        events.append((booking.confirmed_at, _("Confirmed")))
    for payment in payments:
        if payment.status in RECEIVED and payment.updated_at:
            events.append((payment.updated_at, _("Payment received: ${amount} (${how})", mapping={
                "amount": request.fmt.money(payment.amount, payment.currency),
                "how": request.translate(PROVIDER_LABELS.get(payment.provider, payment.provider))})))
    for refund in refunds:
        events.append((refund.created_at, _("Refund: ${amount} (${status})", mapping={
            "amount": request.fmt.money(refund.amount, booking.currency),
            "status": request.translate(REFUND_STATUS_LABELS[refund.status])})))
    if booking.cancelled_at:
        events.append((booking.cancelled_at, _("Cancelled")))
    for message in desk.emails_about(request.dbsession, booking):
        events.append((message.created_at, _("E-mail to the guest: “${subject}” (${status})", mapping={
            "subject": message.subject, "status": request.translate(EMAIL_STATUS_LABELS[message.status])})))
    events.sort(key=lambda item: item[0])
    return [{"when": request.fmt.datetime(moment, tz, format="short"), "what": what} for moment, what in events]


def _detail(request, booking: Booking) -> dict:
    db, now = request.dbsession, request.now
    payments = payments_for(db, booking)
    refunds = refunds_for(db, booking)
    card = _card(request, booking, payments)
    return {
        "card": card,
        "booking": booking,
        "resold": sold_by(booking),
        "experience": booking.experience,
        "village": village_text(booking.experience.village, request.locale_name).value.name,
        "country": Locale.parse(request.locale_name).territories.get(booking.contact_country,
                                                                     booking.contact_country),
        "language": request.fmt.language(booking.locale),
        "lines": [{"label": PRICE_TIERS.get(line.tier_code, line.tier_code), "quantity": line.quantity,
                   "price": request.fmt.money(line.unit_price, booking.currency)} for line in booking.lines],
        "product_names": {line.product_id: product_text(line.product, request.locale_name)
                          for line in booking.product_lines},
        "vietnam_name": Locale.parse(request.locale_name).territories.get("VN", "Việt Nam"),
        "payments": [{"how": PROVIDER_LABELS.get(p.provider, p.provider),
                      "amount": request.fmt.money(p.amount, p.currency),
                      "status": PAYMENT_STATUS_LABELS[p.status], "reason": p.failure_reason} for p in payments],
        "refunds": [{"amount": request.fmt.money(r.amount, booking.currency), "status": REFUND_STATUS_LABELS[r.status],
                     "by_hand": r.provider_reference is None and r.status == RefundStatus.PENDING,
                     "reason": r.failure_reason} for r in refunds],
        "refunds_path": request.route_path("payments.refunds") if _route_exists(request, "payments.refunds")
        and any(r.status != RefundStatus.SUCCEEDED for r in refunds) else None,
        "history": _history(request, booking, payments, refunds),
        "session_path": session_path(request, booking.session_id),
        "manifest_path": request.route_path("tickets.manifest", session_id=booking.session_id)
        if _route_exists(request, "tickets.manifest") else None,
        "transfer_path": _transfer_received_path(request, booking, payments),
        "cash_due": desk.due_on_site(db, booking) if booking.status == BookingStatus.CONFIRMED else None,
        "can_cancel": desk.cancellable(booking, now),
        "can_move": booking.status == BookingStatus.CONFIRMED and booking.session.starts_at > now,
        "can_resend": booking.status == BookingStatus.CONFIRMED and can_email(booking),
        "resend_key": secrets.token_urlsafe(24),
        "ticket_path": request.route_path("booking.console.ticket", booking_id=booking.id)
        if booking.status == BookingStatus.CONFIRMED else None,
        **page_basics(request),
    }


@view_config(route_name="booking.console.detail", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "booking.jinja2")
def booking_page(request):
    no_store(request)
    return _detail(request, request.context.obj)


def _back(request, booking: Booking) -> HTTPSeeOther:
    return HTTPSeeOther(request.route_path("booking.console.detail", booking_id=booking.id))


@view_config(route_name="booking.console.ticket", request_method="GET", permission=CONSOLE)
def ticket(request):
    booking = request.context.obj
    document = desk.ticket_document(request.registry, booking)
    if document is None:
        raise HTTPNotFound()
    response = Response(body=document.data, content_type="application/pdf")
    response.content_disposition = f'attachment; filename="{document.filename}"'
    response.cache_control = "no-store"  # the guest's name and ticket code
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@view_config(route_name="booking.console.resend", request_method="POST", permission=CONSOLE)
def resend(request):
    booking = request.context.obj
    try:
        sent = desk.resend_ticket(request.dbsession, booking, key=request.POST.get("key", ""), now=request.now,
                                  registry=request.registry)
    except DomainError as error:
        flash(request, error.message)
        return _back(request, booking)
    mapping = {"email": booking.contact_email}
    if sent:
        flash(request, _("The ticket is on its way to ${email} again.", mapping=mapping))
    else:
        flash(request, _("The ticket was already sent again to ${email} from this page; one e-mail goes out.",
                         mapping=mapping))
    return _back(request, booking)


@view_config(route_name="booking.console.cash", request_method="POST", permission=PAYMENTS)
def cash(request):
    booking = request.context.obj
    payment = desk.due_on_site(request.dbsession, booking)
    amount = request.fmt.money(payment.amount, payment.currency) if payment else ""
    try:
        outcome = desk.cash_received(request.dbsession, booking, now=request.now, registry=request.registry,
                                     providers=providers(request.registry))
    except DomainError as error:
        flash(request, error.message)
        return _back(request, booking)
    mapping = {"amount": amount, "name": booking.contact_name}
    if outcome.startswith("processed"):
        flash(request, _("Paid: ${amount} received from ${name} at the village.", mapping=mapping))
    else:  # already paid another way: this money is extra and is on the list to give back
        flash(request, _("${name} had already paid, so this ${amount} is extra: give it back. It is on your list "
                         "of refunds to pay back.", mapping=mapping))
    return _back(request, booking)


# --- cancelling ------------------------------------------------------------------------------

def _cancel_page(request, booking: Booking, form: Form | None = None, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    paid, percent, amount = desk.policy_refund(request.dbsession, booking, request.now)
    return {
        "booking": booking,
        "card": _card(request, booking, payments_for(request.dbsession, booking)),
        "paid": paid,
        "paid_text": request.fmt.money(paid, booking.currency),
        "percent": percent,
        "refund_text": request.fmt.money(amount, booking.currency),
        "policy": describe_cancellation_policy(booking.experience.cancellation_rules),
        "can_cancel": desk.cancellable(booking, request.now),
        "can_override": bool(request.has_permission(MANAGE, request.context)),
        "form": form or Form("cancel", {"refund": "policy"}),
    }


@view_config(route_name="booking.console.cancel", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "booking_cancel.jinja2")
def cancel_page(request):
    return _cancel_page(request, request.context.obj)


@view_config(route_name="booking.console.cancel", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "booking_cancel.jinja2")
def cancel(request):
    booking = request.context.obj
    override = None
    if request.POST.get("refund") == "other":
        if not request.has_permission(MANAGE, request.context):
            raise HTTPForbidden()  # only owners choose another amount
        amount = request.POST.get("amount")
        override = whole_number(amount) if isinstance(amount, str) else None
        if override is None:
            form = Form("cancel", typed(request), {"amount": _("Enter the amount to give back in dong, like 150000.")})
            return _cancel_page(request, booking, form, status=400)
    try:
        refunded = desk.cancel_for_guest(request.dbsession, booking, now=request.now, registry=request.registry,
                                         providers=providers(request.registry), override=override,
                                         locale=request.locale_name)
    except DomainError as error:
        request.dbsession.refresh(booking)
        form = Form("cancel", typed(request), {error.field or "refund": error.message})
        return _cancel_page(request, booking, form, status=400)
    mapping = {"reference": services.format_reference(booking.reference), "name": booking.contact_name,
               "amount": request.fmt.money(refunded, booking.currency)}
    if not can_email(booking):
        if refunded:
            flash(request, _("Booking ${reference} is cancelled. ${amount} goes back to ${name}.", mapping=mapping))
        else:
            flash(request, _("Booking ${reference} is cancelled; nothing is given back.", mapping=mapping))
        flash(request, _no_email_note(booking))
    elif refunded:
        flash(request, _("Booking ${reference} is cancelled. ${amount} goes back to ${name}, who is told by e-mail.",
                         mapping=mapping))
    else:
        flash(request, _("Booking ${reference} is cancelled; nothing is given back. ${name} is told by e-mail.",
                         mapping=mapping))
    if any(r.status == RefundStatus.FAILED and r.created_at == request.now
           for r in refunds_for(request.dbsession, booking)):
        flash(request, _("The card refund did not go through. Try it again from the list of refunds."))
    return _back(request, booking)


# --- moving ----------------------------------------------------------------------------------

def _move_page(request, booking: Booking, error=None, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    tz = booking.experience.village.time_zone
    options = desk.move_options(request.dbsession, booking, now=request.now) \
        if booking.status == BookingStatus.CONFIRMED else []
    return {
        "booking": booking,
        "card": _card(request, booking, payments_for(request.dbsession, booking)),
        "options": [{"id": o.session_id, "when": request.fmt.session_datetime(o.starts_at, tz),
                     "seats_left": o.seats_left} for o in options],
        "can_move": booking.status == BookingStatus.CONFIRMED and booking.session.starts_at > request.now,
        "error": error,
    }


@view_config(route_name="booking.console.move", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "booking_move.jinja2")
def move_page(request):
    return _move_page(request, request.context.obj)


@view_config(route_name="booking.console.move", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "booking_move.jinja2")
def move(request):
    booking = request.context.obj
    raw = request.POST.get("session_id", "")
    session_id = chosen_id(raw) if isinstance(raw, str) else None
    new_session = request.dbsession.get(ExperienceSession, session_id) if session_id else None
    try:
        if new_session is None:
            raise DomainError(_("Choose a session from the list."))
        services.move_booking(request.dbsession, booking, new_session, now=request.now, registry=request.registry)
    except DomainError as error:
        request.dbsession.refresh(booking)
        return _move_page(request, booking, error=error.message, status=400)
    mapping = {"when": _when(request, new_session), "name": booking.contact_name}
    if can_email(booking):
        flash(request, _("Moved to ${when}. ${name} gets the new date and a new ticket by e-mail.", mapping=mapping))
    else:
        flash(request, _("Moved to ${when}. Print the new ticket: the old one no longer admits.", mapping=mapping))
        flash(request, _no_email_note(booking))
    return _back(request, booking)


# --- a booking taken by hand -----------------------------------------------------------------

def _bookable_experiences(request) -> list:
    return [e for e in console_search.operator_experiences(request.dbsession, _operator_id(request))
            if e.status == PublicationStatus.PUBLISHED]


@view_config(route_name="booking.console.new", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "booking_new.jinja2")
def new_page(request):
    """Step one: which experience and which day; the sessions of that day and the next ones, those
    past the online cut-off too (the staff may book them until they start)."""
    no_store(request)
    experiences = _bookable_experiences(request)
    errors = []
    chosen = None
    raw_id = request.GET.get("experience", "")
    if raw_id:
        chosen = next((e for e in experiences if str(e.id) == raw_id), None)
        if chosen is None:
            errors.append(_("Choose an experience from the list."))
    elif len(experiences) == 1:
        chosen = experiences[0]
    tz = ZoneInfo(chosen.village.time_zone if chosen else "Asia/Ho_Chi_Minh")
    today = request.now.astimezone(tz).date()
    day = today
    raw_day = request.GET.get("day", "")
    if raw_day:
        try:
            day = date.fromisoformat(raw_day[:10])
        except ValueError:
            errors.append(_("Enter dates like 2026-12-31."))
    sessions = []
    if chosen is not None:
        start, _end = local_day_bounds(day, tz)
        _start, end = local_day_bounds(day + timedelta(days=NEW_BOOKING_DAYS - 1), tz)
        for a in availability(request.dbsession, chosen, start=start, end=end, now=request.now):
            state = desk.desk_state(a)
            sessions.append({"id": a.session_id, "when": request.fmt.session_datetime(a.starts_at, str(tz)),
                             "seats_left": a.seats_left, "bookable": state in desk.DESK_BOOKABLE,
                             "online_closed": state == desk.ONLINE_CLOSED,
                             "state": SESSION_STATE_LABELS.get(state)})
    request.response.status = 400 if errors else 200
    return {
        "experiences": [{"value": str(e.id), "label": experience_text(e, request.locale_name).value.title}
                        for e in experiences],
        "chosen": chosen,
        "chosen_title": experience_text(chosen, request.locale_name).value.title if chosen else "",
        "day": day.isoformat(),
        "last_day": request.fmt.day_label(day + timedelta(days=NEW_BOOKING_DAYS - 1)),
        "first_day": request.fmt.day_label(day),
        "next_day": (day + timedelta(days=NEW_BOOKING_DAYS)).isoformat(),
        "sessions": sessions,
        "errors": errors,
    }


def _countries(request) -> list[dict]:
    names = Locale.parse(request.locale_name).territories
    return [{"value": code, "label": label} for code, label in
            sorted(((code, names.get(code, code)) for code in services.COUNTRIES), key=lambda item: item[1])]


def _new_form_page(request, session: ExperienceSession, form: Form | None = None, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    experience = session.experience
    choices = desk.payment_choices(providers(request.registry))
    # Nothing is recorded as paid unless the staff member says so: "pays at the village" first.
    default_payment = desk.HowToPay.AT_VILLAGE if desk.HowToPay.AT_VILLAGE in choices else None
    form = form or Form("new", {"form_key": secrets.token_urlsafe(24), "country": "VN", "language": "vi",
                                "channel": "phone", "payment": default_payment.value if default_payment else "",
                                **{f"tier_{t.code}": str(experience.min_party if i == 0 else 0)
                                   for i, t in enumerate(experience.price_tiers)}})
    return {
        "session": session,
        "experience": experience,
        "title": experience_text(experience, request.locale_name).value.title,
        "when": _when(request, session),
        "seats_left": max(services.seats_left_now(request.dbsession, session, request.now), 0),
        "closed_reason": desk.closed_reason(session, request.now),
        "online_closed": desk.past_online_cutoff(session, request.now),
        "tiers": [{"code": t.code, "label": PRICE_TIERS.get(t.code, t.code),
                   "price": request.fmt.money(t.price, experience.currency)} for t in experience.price_tiers],
        "channels": [{"value": value, "label": request.translate(label)}
                     for value, label in desk.HAND_CHANNELS.items()],
        "payments": [{"value": how.value, "label": request.translate(desk.PAYMENT_LABELS[how])} for how in choices],
        "countries": _countries(request),
        "languages": [{"value": code, "label": request.fmt.language(code)} for code in LOCALES],
        "form": form,
        "hold_minutes": _hold_minutes(request),
    }


def _hold_minutes(request) -> int:
    return int(request.registry.settings.get("tourism.hold_minutes", services.DEFAULT_HOLD_MINUTES))


@view_config(route_name="booking.console.new_session", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "booking_new_form.jinja2")
def new_form(request):
    return _new_form_page(request, request.context.obj)


@view_config(route_name="booking.console.new_session", request_method="POST", permission=CONSOLE,
             renderer=TEMPLATES + "booking_new_form.jinja2")
def new_post(request):
    session = request.context.obj
    try:
        booking, made = desk.book_by_hand(request.dbsession, session=session, form=request.POST, now=request.now,
                                          request=request, providers=providers(request.registry),
                                          hold_minutes=_hold_minutes(request))
    except InvalidInput as error:
        values = typed(request)
        if "form_key" in error.errors:  # a stale or forged key: a fresh one for the next try
            values["form_key"] = secrets.token_urlsafe(24)
        return _new_form_page(request, session, Form("new", values, error.errors), status=400)
    mapping = {"reference": services.format_reference(booking.reference), "name": booking.contact_name,
               "email": booking.contact_email}
    if not made:
        flash(request, _("This form was already sent: booking ${reference} was made then. Nothing new was booked.",
                         mapping=mapping))
    elif booking.status == BookingStatus.CONFIRMED and not can_email(booking):
        flash(request, _("Booked: ${reference} for ${name}. No e-mail address: print the ticket and give it to "
                         "the guest.", mapping=mapping))
    elif booking.status == BookingStatus.CONFIRMED:
        flash(request, _("Booked: ${reference} for ${name}. The confirmation and ticket go to ${email}.",
                         mapping=mapping))
    else:
        flash(request, _("Seats held: ${reference} for ${name}, until the transfer arrives. How to pay was sent to "
                         "${email}.", mapping=mapping))
    return _back(request, booking)


def includeme(config):
    config.add_route("booking.console.list", "/console/bookings", factory=ConsoleRoot)
    config.add_route("booking.console.new", "/console/bookings/new", factory=ConsoleRoot)
    config.add_route("booking.console.new_session", "/console/bookings/new/{session_id}", factory=session_resource)
    booking = r"/console/bookings/{booking_id:\d+}"
    config.add_route("booking.console.detail", booking, factory=booking_resource)
    config.add_route("booking.console.cancel", booking + "/cancel", factory=booking_resource)
    config.add_route("booking.console.move", booking + "/move", factory=booking_resource)
    config.add_route("booking.console.resend", booking + "/resend", factory=booking_resource)
    config.add_route("booking.console.cash", booking + "/cash-received", factory=booking_resource)
    config.add_route("booking.console.ticket", booking + "/ticket.pdf", factory=booking_resource)
    config.add_console_link("booking.console.list", _("Bookings"), order=15)  # after check-in, the most used
    config.scan(__name__)
