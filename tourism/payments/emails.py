"""E-mails about payments, written to the outbox in the same transaction, in the booker's language."""
from zoneinfo import ZoneInfo

from pyramid.renderers import render
from pyramid.threadlocal import RequestContext

from tourism.booking import services as booking_services
from tourism.booking.emails import request_for
from tourism.catalog.services import experience_text, village_text
from tourism.notify.services import Attachment, email_enqueued, enqueue_email
from tourism.payments import vietqr
from tourism.payments.models import RefundStatus

TEMPLATES = "tourism:payments/templates/email/"

# Registry key: callables (registry, booking, instructions) -> Attachment | None added to the
# transfer instructions e-mail. Tickets adds its PDF transfer slip this way, so payments never
# imports tickets (which imports payments).
TRANSFER_ATTACHMENTS = "payments.transfer_attachments"
# Pixels per QR module: a VietQR code is then 250-300 px square, sharp enough to scan from
# a screen and small enough for a phone's mail app to show without shrinking it.
EMAIL_QR_SCALE = 6


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


def send_transfer_instructions(dbsession, booking, payment, instructions, *, registry, now) -> None:
    """E-mail the guest how to pay the awaited VietQR transfer `payment`, in the booker's language.

    `instructions` is the provider's TransferInstructions for the booking. The message holds
    the bank details, the QR as an inline PNG (mail clients block SVG and data: URIs), the
    hold's end as the deadline, a new private manage link, and whatever TRANSFER_ATTACHMENTS
    add (the PDF slip). One message per payment: choosing the transfer again sends nothing.
    """
    dedupe_key = f"vietqr-instructions:{payment.id}"
    if email_enqueued(dbsession, dedupe_key):
        return  # before issue_token, so choosing the transfer again adds no link token
    request = request_for(registry, booking.locale)
    experience = booking.experience
    tz = experience.village.time_zone
    # Only the hash of a token is stored, so the e-mail gets a link of its own, as the confirmation does.
    token = booking_services.issue_token(dbsession, booking)
    attachments = [Attachment(f"VietQR-{booking.reference}.png", "image/png",
                              vietqr.qr_png(instructions.payload, scale=EMAIL_QR_SCALE),
                              content_id=f"vietqr.{booking.reference}.{payment.id}@langviet")]
    for attach in registry.get(TRANSFER_ATTACHMENTS, []):
        extra = attach(registry, booking, instructions)
        if extra is not None:
            attachments.append(extra)
    values = {
        "booking": booking,
        "transfer": instructions,
        "reference": booking_services.format_reference(booking.reference),
        "title": experience_text(experience, booking.locale).value.title,
        "village": village_text(experience.village, booking.locale).value.name,
        "starts_local": booking.session.starts_at.astimezone(ZoneInfo(tz)),
        "deadline": booking.hold_expires_at,
        "time_zone": tz,
        "qr_cid": attachments[0].content_id,
        "qr_size": vietqr.qr_png_size(instructions.payload, scale=EMAIL_QR_SCALE),
        "has_slip": len(attachments) > 1,
        "manage_url": request.route_url("booking.manage", token=token),
    }
    with RequestContext(request):
        subject = render(TEMPLATES + "transfer_subject.jinja2", values, request=request).strip()
        text = render(TEMPLATES + "transfer.txt.jinja2", values, request=request)
        html = render(TEMPLATES + "transfer.html.jinja2", values, request=request)
    enqueue_email(dbsession, to=booking.contact_email, subject=subject, text=text, html=html,
                  attachments=attachments, now=now, dedupe_key=dedupe_key)
