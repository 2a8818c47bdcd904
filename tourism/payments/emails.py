"""E-mails about payments, written to the outbox in the same transaction, in the booker's language."""
from zoneinfo import ZoneInfo

from pyramid.renderers import render
from pyramid.threadlocal import RequestContext

from tourism.booking import services as booking_services
from tourism.booking.emails import request_for
from tourism.catalog.services import experience_text, village_text
from tourism.notify.services import enqueue_email
from tourism.payments.models import RefundStatus

TEMPLATES = "tourism:payments/templates/email/"


def send_refund_notice(dbsession, booking, refund, *, registry, now) -> None:
    """Tell the guest that a payment we could not keep is on its way back (or will be).

    One message per payment (a repeated event sends nothing new).
    """
    request = request_for(registry, booking.locale)
    experience = booking.experience
    tz = experience.village.time_zone
    values = {
        "booking": booking,
        "reference": booking_services.format_reference(booking.reference),
        "title": experience_text(experience, booking.locale).value.title,
        "village": village_text(experience.village, booking.locale).value.name,
        "starts_local": booking.session.starts_at.astimezone(ZoneInfo(tz)),
        "time_zone": tz,
        "amount": refund.amount,
        "reason": refund.reason,
        "failed": refund.status == RefundStatus.FAILED,
        "book_again_url": request.route_url("catalog.experience", slug=experience.slug),
    }
    with RequestContext(request):
        subject = render(TEMPLATES + "refunded_subject.jinja2", values, request=request).strip()
        text = render(TEMPLATES + "refunded.txt.jinja2", values, request=request)
        html = render(TEMPLATES + "refunded.html.jinja2", values, request=request)
    enqueue_email(dbsession, to=booking.contact_email, subject=subject, text=text, html=html, now=now,
                  dedupe_key=f"payment-refunded:{refund.payment_id}")
