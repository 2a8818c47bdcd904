"""E-mails to guests, written to the outbox in the booking's own transaction.

They are rendered in the booker's language, whatever language the page that triggered
them was in (an operator in Vietnamese confirming a Korean guest's transfer, say).
"""
from zoneinfo import ZoneInfo

from pyramid.events import subscriber
from pyramid.renderers import render
from pyramid.request import Request, apply_request_extensions
from pyramid.threadlocal import RequestContext

from tourism.booking import services
from tourism.booking.events import BookingConfirmed
from tourism.catalog.models import PRICE_TIERS
from tourism.catalog.services import experience_text, village_text
from tourism.notify.ics import booking_event
from tourism.notify.services import Attachment, enqueue_email


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


@subscriber(BookingConfirmed)
def send_confirmation(event: BookingConfirmed) -> None:
    booking, dbsession = event.booking, event.dbsession
    request = request_for(event.registry, booking.locale)
    experience = booking.experience
    tz = ZoneInfo(experience.village.time_zone)
    token = services.issue_token(dbsession, booking)
    text = experience_text(experience, booking.locale).value
    village = village_text(experience.village, booking.locale).value
    values = {
        "booking": booking,
        "reference": services.format_reference(booking.reference),
        "title": text.title,
        "village": village.name,
        "meeting_point": text.meeting_point,
        "starts_local": booking.session.starts_at.astimezone(tz),
        "time_zone": experience.village.time_zone,
        "tier_labels": PRICE_TIERS,
        "manage_url": request.route_url("booking.manage", token=token),
    }
    # Templates translate through the *current* request: make it the booker's for a moment.
    with RequestContext(request):
        subject = render("tourism:booking/templates/email/confirmed_subject.jinja2", values, request=request).strip()
        body_text = render("tourism:booking/templates/email/confirmed.txt.jinja2", values, request=request)
        body_html = render("tourism:booking/templates/email/confirmed.html.jinja2", values, request=request)
    attachments = [Attachment(f"{booking.reference}.ics", "text/calendar",
                              calendar_file(booking, values["manage_url"]))]
    # Other domains add theirs (the PDF ticket) without booking knowing about them.
    for attach in event.registry.get(CONFIRMATION_ATTACHMENTS, []):
        extra = attach(event.registry, booking)
        if extra is not None:
            attachments.append(extra)
    enqueue_email(
        dbsession, to=booking.contact_email, subject=subject, text=body_text, html=body_html,
        attachments=attachments,
        now=event.now, dedupe_key=f"booking-confirmed:{booking.id}",
    )
