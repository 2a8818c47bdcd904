"""Tickets for bookings: the signed code, and the PDF in the booker's language; also the PDF
slip for paying a VietQR transfer, drawn with the same fonts."""
import logging

from pyramid.exceptions import ConfigurationError
from sqlalchemy.orm import object_session

from tourism.booking.emails import request_for
from tourism.booking.models import Booking
from tourism.booking.services import format_reference
from tourism.catalog.models import PRICE_TIERS
from tourism.catalog.services import describe_cancellation_policy, experience_text, village_text
from tourism.i18n import Formatter, _
from tourism.notify.services import Attachment
from tourism.payments.services import amount_paid
from tourism.settings import is_production
from tourism.tickets import codes, fonts, pdf

log = logging.getLogger(__name__)


def ticket_code(keys: codes.TicketKeys, booking: Booking) -> str:
    """The signed code the ticket's QR carries, valid on the session's local day."""
    session = booking.session
    valid_from, valid_until = codes.local_day_window(session.starts_at, booking.experience.village.time_zone,
                                                     session.ends_at)
    return keys.sign(reference=booking.reference, session_id=session.id, party=booking.seats,
                     valid_from=valid_from, valid_until=valid_until)


def ticket_font_set(registry) -> fonts.FontSet:
    """The PDF fonts, found and registered on first use (raises ConfigurationError when missing)."""
    return fonts.load_fonts(fonts.font_dirs(registry.settings))


def ticket_pdf_for(registry, dbsession, booking: Booking) -> bytes:
    """The booking's PDF ticket, in the booker's language."""
    translate = request_for(registry, booking.locale).localizer.translate
    fmt = Formatter(booking.locale)
    experience = booking.experience
    tz = experience.village.time_zone
    text = experience_text(experience, booking.locale).value
    total = fmt.money(booking.total_amount, booking.currency)
    paid = amount_paid(dbsession, booking) >= booking.total_amount
    status = translate(_("Paid")) if paid else translate(_("Pay at the village on the day"))
    data = pdf.TicketData(
        title=text.title,
        village=village_text(experience.village, booking.locale).value.name,
        when=fmt.session_datetime(booking.session.starts_at, tz),
        time_zone=fmt.time_zone(tz),
        meeting_point=text.meeting_point,
        party_lines=[f"{line.quantity} × {translate(PRICE_TIERS[line.tier_code])}" for line in booking.lines],
        total=f"{total} — {status}",
        reference=format_reference(booking.reference),
        code=ticket_code(registry[codes.REGISTRY_KEY], booking),
        guest_name=booking.contact_name,
        labels=pdf.TicketLabels(
            heading=translate(_("Ticket")), reference=translate(_("Reference")),
            show_code=translate(_("Show this code when you arrive")), when=translate(_("When")),
            meeting_point=translate(_("Meeting point")), party=translate(_("Guests")),
            total=translate(_("Total")), products=translate(_("To pick up at the village")),
            policy=translate(_("Cancellation"))),
        policy_lines=[translate(line) for line in describe_cancellation_policy(experience.cancellation_rules)],
        document_title=f"{translate(_('Ticket'))} {format_reference(booking.reference)}",
        language=booking.locale,
    )
    return pdf.ticket_pdf(data, fonts=ticket_font_set(registry))


def ticket_attachment(registry, booking: Booking) -> Attachment | None:
    """The PDF ticket for the confirmation e-mail.

    Production checks the fonts at start-up; a development machine without them still
    gets its e-mail, without the ticket, and a warning saying what to install.
    """
    try:
        document = ticket_pdf_for(registry, object_session(booking), booking)
    except ConfigurationError as error:
        if is_production(registry.settings):
            raise
        log.warning("confirmation e-mail sent without its PDF ticket: %s", error)
        return None
    return Attachment(f"LangViet-{booking.reference}.pdf", "application/pdf", document)


def transfer_slip_pdf_for(registry, booking: Booking, instructions) -> bytes:
    """The PDF slip for paying the booking's VietQR transfer, in the booker's language.

    `instructions` is the provider's TransferInstructions (payments.vietqr_provider). Raises
    ConfigurationError when the PDF fonts are missing.
    """
    translate = request_for(registry, booking.locale).localizer.translate
    fmt = Formatter(booking.locale)
    experience = booking.experience
    tz = experience.village.time_zone
    reference = instructions.reference
    deadline = (f"{fmt.session_datetime(booking.hold_expires_at, tz)} · {fmt.time_zone(tz)}"
                if booking.hold_expires_at else "")
    data = pdf.TransferSlipData(
        title=experience_text(experience, booking.locale).value.title,
        village=village_text(experience.village, booking.locale).value.name,
        when=fmt.session_datetime(booking.session.starts_at, tz),
        time_zone=fmt.time_zone(tz),
        payload=instructions.payload,
        bank_name=instructions.bank_name,
        account=instructions.account,
        account_name=instructions.account_name,
        amount=fmt.money(instructions.amount, instructions.currency),
        reference=reference,
        deadline=deadline,
        guest_name=booking.contact_name,
        labels=pdf.TransferSlipLabels(
            heading=translate(_("Bank transfer")),
            scan=translate(_("Scan with your banking app: the amount and the message are filled in for you.")),
            bank=translate(_("Bank")), account=translate(_("Account number")),
            account_name=translate(_("Account name")), amount=translate(_("Amount")),
            message=translate(_("Transfer message")), deadline=translate(_("Pay before")),
            booking=translate(_("Booking")), name=translate(_("Name")), when=translate(_("When")),
            note=translate(_("We confirm your booking as soon as the transfer reaches the village's account, "
                             "and send you the ticket by e-mail."))),
        document_title=f"{translate(_('Bank transfer'))} {reference}",
        language=booking.locale,
    )
    return pdf.transfer_slip_pdf(data, fonts=ticket_font_set(registry))


def transfer_slip_attachment(registry, booking: Booking, instructions) -> Attachment | None:
    """The PDF slip for the transfer instructions e-mail (payments.emails.TRANSFER_ATTACHMENTS).

    Like the ticket: a development machine without the fonts still gets its e-mail, without
    the slip, and a warning saying what to install.
    """
    try:
        document = transfer_slip_pdf_for(registry, booking, instructions)
    except ConfigurationError as error:
        if is_production(registry.settings):
            raise
        log.warning("transfer instructions e-mail sent without its PDF slip: %s", error)
        return None
    return Attachment(f"LangViet-{booking.reference}-transfer.pdf", "application/pdf", document)
