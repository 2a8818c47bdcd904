"""Tickets for bookings: the signed code, and the PDF in the booker's language; also the PDF
slip for paying a VietQR transfer, drawn with the same fonts, and a session's manifest (the
guest list) in the staff member's language."""
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from pyramid.exceptions import ConfigurationError
from sqlalchemy import func, select
from sqlalchemy.orm import object_session, selectinload

from tourism.booking.emails import request_for
from tourism.booking.models import Booking, BookingProductLine, BookingStatus, Fulfilment
from tourism.booking.services import format_reference
from tourism.catalog.models import PRICE_TIERS
from tourism.catalog.services import describe_cancellation_policy, experience_text, village_text
from tourism.i18n import Formatter, _
from tourism.notify.services import Attachment
from tourism.octo.models import RESELLER_CHANNEL
from tourism.payments.models import RECEIVED, Payment, PaymentStatus
from tourism.payments.services import amount_paid
from tourism.payments.vietqr import strip_diacritics
from tourism.payments.vietqr_provider import NAME as VIETQR
from tourism.scheduling.models import ExperienceSession
from tourism.settings import is_production
from tourism.shop import checkout
from tourism.shop.models import Product
from tourism.tickets import codes, fonts, pdf
from tourism.tickets.models import Admission

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
    reseller = reseller_name(booking)
    if reseller is not None:  # its customer paid the reseller
        status = translate(_("Paid to ${reseller}", mapping={"reseller": reseller}))
    else:
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
        # The pickup list: what the village hands over with the ticket (deliveries travel apart).
        products=(checkout.product_lines_text(booking, booking.locale)
                  if booking.fulfilment == Fulfilment.PICKUP else []),
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


# --- session manifest ---------------------------------------------------------------------

def manifest_for(registry, dbsession, session: ExperienceSession, locale: str, *, now: datetime) -> pdf.ManifestData:
    """The session's guest list for the staff, in `locale` (the staff member's language).

    Lists the confirmed bookings only — the guests who may come — by name; each with the
    party per price tier, what is paid or still to collect ("due at the village", "transfer
    awaited") and how many are already checked in. Held bookings (seats kept while the guest
    pays) are not listed but counted in the summary. `now` is the printing time.
    """
    translate = request_for(registry, locale).localizer.translate
    fmt = Formatter(locale)
    experience = session.experience
    tz = experience.village.time_zone
    bookings = list(dbsession.scalars(
        select(Booking).where(Booking.session_id == session.id, Booking.status == BookingStatus.CONFIRMED)
        .options(selectinload(Booking.lines),
                 selectinload(Booking.product_lines).selectinload(BookingProductLine.product)
                 .selectinload(Product.texts))))
    ids = [booking.id for booking in bookings]
    admitted = dict(dbsession.execute(
        select(Admission.booking_id, func.sum(Admission.people)).where(Admission.booking_id.in_(ids))
        .group_by(Admission.booking_id)).all()) if ids else {}
    payments: dict[int, list[Payment]] = {}
    for payment in (dbsession.scalars(select(Payment).where(Payment.booking_id.in_(ids))) if ids else ()):
        payments.setdefault(payment.booking_id, []).append(payment)
    held = dbsession.scalar(select(func.count()).select_from(Booking).where(
        Booking.session_id == session.id, Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now))

    # The experience's tiers in its order, then any a booking has that the experience no longer offers.
    tiers = [tier.code for tier in experience.price_tiers]
    tiers += sorted({line.tier_code for booking in bookings for line in booking.lines} - set(tiers))
    guests = []
    for booking in sorted(bookings, key=lambda b: (strip_diacritics(b.contact_name).casefold(), b.reference)):
        party = dict.fromkeys(tiers, 0)
        for line in booking.lines:
            party[line.tier_code] += line.quantity
        payment, due = _manifest_payment(booking, payments.get(booking.id, []), fmt, translate)
        guests.append(pdf.ManifestGuest(
            name=booking.contact_name, reference=format_reference(booking.reference), party=tuple(party.values()),
            payment=payment, due=due, language=fmt.language(booking.locale),
            admitted=min(admitted.get(booking.id, 0), booking.seats),
            products=_manifest_products(booking, locale, translate)))

    summary = [translate(_("Bookings: ${count}", mapping={"count": len(guests)})),
               translate(_("Guests: ${count}", mapping={"count": sum(b.seats for b in bookings)}))]
    if any(guest.admitted for guest in guests):
        summary.append(translate(_("Checked in: ${count}", mapping={"count": sum(g.admitted for g in guests)})))
    if held:
        summary.append(translate(_("Not paid yet, not listed: ${count}", mapping={"count": held})))
    return pdf.ManifestData(
        title=experience_text(experience, locale).value.title,
        village=village_text(experience.village, locale).value.name,
        when=fmt.session_datetime(session.starts_at, tz),
        time_zone=fmt.time_zone(tz),
        tiers=tuple(translate(PRICE_TIERS[code]) if code in PRICE_TIERS else code for code in tiers),
        guests=guests,
        labels=pdf.ManifestLabels(
            heading=translate(_("Guest list")), name=translate(_("Name")), reference=translate(_("Reference")),
            payment=translate(_("Payment")), language=translate(_("Language")), checked_in=translate(_("Here")),
            total=translate(_("Total")), page=translate(_("Page {page} of {pages}"))),
        printed=translate(_("Printed ${when}", mapping={"when": fmt.datetime(now, tz, format="short")})),
        summary=" · ".join(summary),
        language=locale,
    )


def _manifest_products(booking: Booking, locale: str, translate) -> str:
    """"2 × Trà móc câu… — to hand over" for the staff; deliveries are listed as such."""
    lines = checkout.product_lines_text(booking, locale)
    if not lines:
        return ""
    how = _("to hand over") if booking.fulfilment == Fulfilment.PICKUP else _("delivery")
    return f"{', '.join(lines)} — {translate(how)}"


def reseller_name(booking: Booking) -> str | None:
    """The name of the reseller that sold `booking` (tourism.octo), or None for our own bookings.
    Its customer paid the reseller: the village collects nothing."""
    resold = booking.reseller_booking if booking.channel == RESELLER_CHANNEL else None
    return resold.reseller.name if resold is not None else None


def _manifest_payment(booking: Booking, payments: list[Payment], fmt: Formatter, translate) -> tuple[str, bool]:
    """What the manifest says about the booking's money, and whether the guide must act on it."""
    paid = sum(p.amount - p.refunded_amount for p in payments if p.status in RECEIVED)
    if booking.total_amount == 0:
        return translate(_("Nothing to pay")), False
    reseller = reseller_name(booking)
    if reseller is not None:
        return translate(_("Paid via ${reseller}", mapping={"reseller": reseller})), False
    owed = booking.total_amount - paid
    if owed <= 0:
        return translate(_("Paid")), False
    amount = fmt.money(owed, booking.currency)
    if any(p.status == PaymentStatus.DUE_ON_SITE for p in payments):
        return translate(_("Due at the village: ${amount}", mapping={"amount": amount})), True
    if any(p.status == PaymentStatus.PENDING and p.provider == VIETQR for p in payments):
        return translate(_("Transfer awaited: ${amount}", mapping={"amount": amount})), True
    return translate(_("To pay: ${amount}", mapping={"amount": amount})), True


def manifest_pdf_for(registry, dbsession, session: ExperienceSession, locale: str, *, now: datetime) -> bytes:
    """The session's manifest (`manifest_for`) as an A4 PDF; raises ConfigurationError without the fonts."""
    return pdf.manifest_pdf(manifest_for(registry, dbsession, session, locale, now=now),
                            fonts=ticket_font_set(registry))


def manifest_filename(session: ExperienceSession) -> str:
    """"manifest-<experience slug>-<local date>-<HHMM>.pdf", in the village's time zone."""
    local = session.starts_at.astimezone(ZoneInfo(session.experience.village.time_zone))
    return f"manifest-{session.experience.slug}-{local:%Y-%m-%d}-{local:%H%M}.pdf"
