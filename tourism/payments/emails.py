"""E-mails about payments, written to the outbox in the same transaction, in the booker's language."""
from tourism.booking.emails import booking_values, can_email, new_manage_url, render_email, request_for
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

    One message per payment (a repeated event sends nothing new); none without an address.
    """
    if not can_email(booking):
        return
    request = request_for(registry, booking.locale)
    values = dict(booking_values(booking), amount=refund.amount, reason=refund.reason,
                  failed=refund.status == RefundStatus.FAILED,
                  book_again_url=request.route_url("catalog.experience", slug=booking.experience.slug))
    subject, text, html = render_email(request, TEMPLATES + "refunded", values)
    enqueue_email(dbsession, to=booking.contact_email, subject=subject, text=text, html=html, now=now,
                  dedupe_key=f"payment-refunded:{refund.payment_id}")


def send_transfer_instructions(dbsession, booking, payment, instructions, *, registry, now) -> None:
    """E-mail the guest how to pay the awaited VietQR transfer `payment`, in the booker's language.

    `instructions` is the provider's TransferInstructions for the booking. The message holds
    the bank details, the QR as an inline PNG (mail clients block SVG and data: URIs), the
    hold's end as the deadline, a new private manage link, and whatever TRANSFER_ATTACHMENTS
    add (the PDF slip). One message per payment: choosing the transfer again sends nothing.
    Nothing without an address (the console's desk refuses a transfer for such a guest).
    """
    if not can_email(booking):
        return
    dedupe_key = f"vietqr-instructions:{payment.id}"
    if email_enqueued(dbsession, dedupe_key):
        return  # before issue_token, so choosing the transfer again adds no link token
    request = request_for(registry, booking.locale)
    manage_url = new_manage_url(request, dbsession, booking)
    attachments = [Attachment(f"VietQR-{booking.reference}.png", "image/png",
                              vietqr.qr_png(instructions.payload, scale=EMAIL_QR_SCALE),
                              content_id=f"vietqr.{booking.reference}.{payment.id}@langviet")]
    for attach in registry.get(TRANSFER_ATTACHMENTS, []):
        extra = attach(registry, booking, instructions)
        if extra is not None:
            attachments.append(extra)
    values = dict(booking_values(booking), transfer=instructions, deadline=booking.hold_expires_at,
                  qr_cid=attachments[0].content_id, has_slip=len(attachments) > 1, manage_url=manage_url,
                  qr_size=vietqr.qr_png_size(instructions.payload, scale=EMAIL_QR_SCALE))
    subject, text, html = render_email(request, TEMPLATES + "transfer", values)
    enqueue_email(dbsession, to=booking.contact_email, subject=subject, text=text, html=html,
                  attachments=attachments, now=now, dedupe_key=dedupe_key)
