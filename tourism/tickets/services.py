"""Tickets for bookings: the signed code, and the PDF in the booker's language."""
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
