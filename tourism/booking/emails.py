"""E-mails to guests, written to the outbox in the booking's own transaction.

They are rendered in the booker's language, whatever language the page that triggered
them was in (an operator in Vietnamese confirming a Korean guest's transfer, say).

A guest booked by hand at the village may have given no e-mail address. Every writer of an
e-mail about a booking (here, in payments.emails and in booking.bulk) first asks `can_email`,
and writes nothing without an address; the console then tells the staff to tell the guest.
Nor are a reseller's customers e-mailed (tourism.octo): the reseller tells them.
"""
from zoneinfo import ZoneInfo

from pyramid.events import subscriber
from pyramid.renderers import render
from pyramid.request import Request, apply_request_extensions
from pyramid.threadlocal import RequestContext

from tourism.booking import services
from tourism.booking.events import BookingCancelled, BookingConfirmed, BookingMoved
from tourism.catalog.models import PRICE_TIERS
from tourism.shop import checkout
from tourism.catalog.services import experience_text, village_text
from tourism.i18n import _
from tourism.notify.ics import booking_event
from tourism.notify.services import Attachment, enqueue_email
from tourism.octo.models import RESELLER_CHANNEL


# Registry key: callables (registry, booking) -> Attachment | None added to the confirmation.
CONFIRMATION_ATTACHMENTS = "booking.confirmation_attachments"


def calendar_file(booking, manage_url: str) -> bytes:
    """The session as an .ics event in the village's time zone, texts in the booker's language."""
    experience = booking.experience
    text = experience_text(experience, booking.locale).value
    village = village_text(experience.village, booking.locale).value
    return booking_event(
        uid=f"booking-{booking.reference}@langviet",
        summary=text.title,
        description=f"{services.format_reference(booking.reference)} · {manage_url}",
        location=f"{text.meeting_point} — {village.name}" if text.meeting_point else village.name,
        starts_at=booking.session.starts_at,
        ends_at=booking.session.ends_at,
        tz_name=experience.village.time_zone,
        url=manage_url,
    )


def request_for(registry, locale: str) -> Request:
    """A stand-in request that renders templates and URLs in `locale` outside a web request."""
    base_url = registry.settings.get("tourism.base_url", "http://localhost:6543")
    request = Request.blank("/", base_url=base_url)
    request.registry = registry
    request._LOCALE_ = locale
    apply_request_extensions(request)
    return request


TEMPLATES = "tourism:booking/templates/email/"


# What the console says instead of "the guest is told by e-mail" when there is no address.
NO_EMAIL_ADDRESS = _("No e-mail address: tell the guest yourself.")


def can_email(booking) -> bool:
    """Whether the guest can be e-mailed about `booking`: False when they gave no address
    (only the staff may book without one), and for a reseller's booking (channel
    "reseller"): the reseller tells its own customers, who never asked us for e-mails.
    Ask before rendering or issuing a link token."""
    return bool(booking.contact_email) and booking.channel != RESELLER_CHANNEL


def render_email(request, template: str, values: dict) -> tuple[str, str, str]:
    """(subject, text, html) from `<template>_subject.jinja2`, `<template>.txt.jinja2` and
    `<template>.html.jinja2`, in `request`'s language (see `request_for`)."""
    # Templates translate through the *current* request: make it the booker's for a moment.
    with RequestContext(request):
        subject = render(f"{template}_subject.jinja2", values, request=request).strip()
        text = render(f"{template}.txt.jinja2", values, request=request)
        html = render(f"{template}.html.jinja2", values, request=request)
    return subject, text, html


def booking_values(booking) -> dict:
    """What every e-mail about a booking shows, in the booker's language."""
    experience = booking.experience
    text = experience_text(experience, booking.locale).value
    return {
        "booking": booking,
        "reference": services.format_reference(booking.reference),
        "title": text.title,
        "village": village_text(experience.village, booking.locale).value.name,
        "meeting_point": text.meeting_point,
        "starts_local": booking.session.starts_at.astimezone(ZoneInfo(experience.village.time_zone)),
        "time_zone": experience.village.time_zone,
        "tier_labels": PRICE_TIERS,
        "products": checkout.product_lines_text(booking, booking.locale),
    }


def new_manage_url(request, dbsession, booking) -> str:
    """A private link of the e-mail's own: only tokens' hashes are stored, so none can be reused."""
    return request.route_url("booking.manage", token=services.issue_token(dbsession, booking))


def send_ticket_email(event, *, moved: bool, dedupe_key: str) -> None:
    """The confirmation (or, after a move, the new date): details, .ics and the domains' attachments (the ticket).
    Nothing for a guest with no e-mail address."""
    booking = event.booking
    if not can_email(booking):
        return
    request = request_for(event.registry, booking.locale)
    values = dict(booking_values(booking), moved=moved, manage_url=new_manage_url(request, event.dbsession, booking))
    subject, body_text, body_html = render_email(request, TEMPLATES + "confirmed", values)
    attachments = [Attachment(f"{booking.reference}.ics", "text/calendar",
                              calendar_file(booking, values["manage_url"]))]
    # Other domains add theirs (the PDF ticket) without booking knowing about them.
    for attach in event.registry.get(CONFIRMATION_ATTACHMENTS, []):
        extra = attach(event.registry, booking)
        if extra is not None:
            attachments.append(extra)
    enqueue_email(event.dbsession, to=booking.contact_email, subject=subject, text=body_text, html=body_html,
                  attachments=attachments, now=event.now, dedupe_key=dedupe_key)


@subscriber(BookingConfirmed)
def send_confirmation(event: BookingConfirmed) -> None:
    send_ticket_email(event, moved=False, dedupe_key=f"booking-confirmed:{event.booking.id}")


@subscriber(BookingMoved)
def send_moved(event: BookingMoved) -> None:
    """A moved booking gets the new date and a new ticket (the old one no longer admits)."""
    booking = event.booking
    send_ticket_email(event, moved=True, dedupe_key=f"booking-moved:{booking.id}:{booking.session_id}:{event.now.isoformat()}")


def product_outcomes(booking) -> list[dict]:
    """The booking's products as on the confirmation ("2 × Trà móc câu…", in the booker's
    language), each saying whether it was handed over (the guest keeps it, not refunded) or
    not (refunded in full, as `services.refund_due` counts it)."""
    texts = checkout.product_lines_text(booking, booking.locale)
    return [{"text": text, "handed_over": line.handed_over_at is not None}
            for text, line in zip(texts, booking.product_lines)]


@subscriber(BookingCancelled)
def send_cancellation(event: BookingCancelled) -> None:
    """Tell a guest whose confirmed booking was cancelled (by them or by the village) what comes back."""
    booking = event.booking
    if booking.confirmed_at is None:
        return  # a hold let go: nothing was booked, nothing to tell
    if not can_email(booking):
        return
    request = request_for(event.registry, booking.locale)
    outcomes = product_outcomes(booking)
    values = dict(booking_values(booking), manage_url=new_manage_url(request, event.dbsession, booking),
                  refund_amount=event.refund_amount, product_outcomes=outcomes,
                  # The delivery's fee comes back only while nothing was sent.
                  shipping_refunded=not any(o["handed_over"] for o in outcomes),
                  book_again_url=request.route_url("catalog.experience", slug=booking.experience.slug))
    subject, body_text, body_html = render_email(request, TEMPLATES + "cancelled", values)
    enqueue_email(event.dbsession, to=booking.contact_email, subject=subject, text=body_text, html=body_html,
                  now=event.now, dedupe_key=f"booking-cancelled:{booking.id}")
