"""The booking desk: what the operator's staff do to bookings from the console.

A booking taken by hand (a guest on the phone, or at the gate), a cancellation with the
policy's refund or, for owners, another amount, the ticket sent again, cash received at the
village. Each is built on the booking and payments services the guests' own pages use, so
the same rules hold (seats taken by the same conditional UPDATE, refunds through each
payment's provider, e-mails through the outbox); each raises DomainError (or InvalidInput
for a form) having changed nothing.

Two rules differ for a booking taken by hand, because the guest is talking to the staff: the
e-mail address is optional (nothing is e-mailed without one: booking.emails.can_email), and
the session stays bookable past the online cut-off, until it starts.
"""
import enum
import re
from datetime import timedelta

from sqlalchemy import or_, select

from tourism.booking import emails, services
from tourism.booking.availability import SessionAvailability, availability
from tourism.booking.events import BookingEvent
from tourism.booking.models import Booking, BookingStatus
from tourism.exceptions import DomainError
from tourism.forms import InvalidInput, Problems, raw
from tourism.i18n import Formatter, _
from tourism.notify.models import OutboxMessage
from tourism.notify.services import email_enqueued
from tourism.payments.models import Payment, PaymentStatus, RefundStatus
from tourism.payments.refunds import close_open_payments, refund_booking, refund_for_cancellation
from tourism.payments.services import amount_paid
from tourism.payments.settlement import settle_received_payment

ON_SITE = "on_site"  # tourism.payments.on_site.OnSiteProvider.name
VIETQR = "vietqr"  # tourism.payments.vietqr_provider.NAME

# How a guest booked by hand reached the village.
HAND_CHANNELS = {
    "phone": _("On the phone"),
    "walk_in": _("Here at the village (walk-in)"),
}


class HowToPay(enum.StrEnum):
    CASH_NOW = "cash_now"  # paid in cash to the staff member now
    AT_VILLAGE = "at_village"  # pays at the village on the day
    TRANSFER = "vietqr"  # a VietQR bank transfer, awaited like a guest's own


PAYMENT_LABELS = {
    HowToPay.CASH_NOW: _("Paid now, in cash"),
    HowToPay.AT_VILLAGE: _("Pays at the village on the day"),
    HowToPay.TRANSFER: _("Pays by bank transfer (VietQR): the guest gets the QR code by e-mail"),
}
# The provider each way of paying needs.
PAYMENT_PROVIDER = {HowToPay.CASH_NOW: ON_SITE, HowToPay.AT_VILLAGE: ON_SITE, HowToPay.TRANSFER: VIETQR}

# How far ahead a booking may move: as on the guest's own page (booking.views.MOVE_WINDOW).
MOVE_WINDOW = timedelta(days=90)
# A form's one-time key (booking.views makes them with secrets.token_urlsafe(24)).
FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}\Z")


def payment_choices(providers: dict) -> list[HowToPay]:
    """The ways of paying this installation offers for a booking taken by hand."""
    return [how for how in HowToPay if PAYMENT_PROVIDER[how] in providers]


# --- which sessions the staff can book ------------------------------------------------------

# A session past the online cut-off that has not started: guests can no longer book it on the
# website, the staff still can (the guest is on the phone or at the gate).
ONLINE_CLOSED = "online_closed"
DESK_BOOKABLE = ("available", "limited", ONLINE_CLOSED)


def desk_state(slot: SessionAvailability) -> str:
    """A session's availability state as the desk sees it: as online (availability._state),
    except that one past the online cut-off is ONLINE_CLOSED while it has seats (sold_out if not)."""
    if slot.state != "cutoff":
        return slot.state
    return ONLINE_CLOSED if slot.seats_left > 0 else "sold_out"


def closed_reason(session, now):
    """Why the staff cannot book `session` now (a message), or None: the website's reasons
    (booking.services.booking_closed_reason) but the online cut-off."""
    return services.booking_closed_reason(session, session.experience, now, cutoff_applies=False)


def past_online_cutoff(session, now) -> bool:
    """Whether guests can no longer book `session` online although the staff still can."""
    online = services.booking_closed_reason(session, session.experience, now)
    return online is not None and closed_reason(session, now) is None


# --- a booking taken by hand ----------------------------------------------------------------

def book_by_hand(dbsession, *, session, form, now, request, providers: dict,
                 hold_minutes: int = services.DEFAULT_HOLD_MINUTES) -> tuple[Booking, bool]:
    """Book `session` for a guest on the phone or at the gate, from the console's form.

    The form has the party (`tier_<code>`), the guest's name, e-mail, phone, country and
    language (as the guests' own form), `channel` (HAND_CHANNELS), `payment` (HowToPay) and
    `form_key`. Seats are held by booking.services.create_hold, so capacity, party size and
    the session's state are the web's, except the online cut-off: the staff may book until
    the session starts. Then the chosen provider starts the payment: paid in cash (confirmed
    and recorded received), to pay at the village (confirmed), or a VietQR transfer (held
    until it arrives, the QR code e-mailed).

    The e-mail address is optional, on the phone and at the gate: with one, every e-mail about
    the booking (confirmation and ticket, new date, cancellation, refund) goes there in the
    guest's language; without one (`contact_email` ""), nothing is e-mailed and the staff print
    the ticket and tell the guest themselves. A transfer needs the address (its QR code is
    e-mailed), so it is refused without one.

    Returns (booking, made): the same form sent twice returns the first booking and False.
    Raises InvalidInput (field → message) having changed nothing.
    """
    form_key = raw(form, "form_key")[:64]
    if not FORM_KEY.match(form_key):
        raise InvalidInput({"form_key": _("This form is out of date. Nothing was booked: fill it in again.")})
    existing = services.find_by_form_key(dbsession, form_key)
    if existing is not None:
        return existing, False

    problems = Problems()
    experience = session.experience
    reason = closed_reason(session, now)
    if reason:
        problems.add("session", reason)
    party = contact = None
    try:
        party = services.parse_party(form, experience)
    except DomainError as error:
        problems.add("party", error.message)
    try:
        contact = services.parse_contact(form, email_required=False)
    except DomainError as error:
        problems.add(error.field or "name", error.message)
    channel = raw(form, "channel")
    if channel not in HAND_CHANNELS:
        problems.add("channel", _("Choose how the guest booked: on the phone or here at the village."))
    how = next((h for h in payment_choices(providers) if h.value == raw(form, "payment")), None)
    if how is None:
        problems.add("payment", _("Choose how the guest pays."))
    elif how == HowToPay.TRANSFER and contact is not None and not contact.email:
        # The QR code to pay with is e-mailed: without an address the guest could not pay.
        problems.add("payment", _("A bank transfer needs the guest's e-mail address: the QR code to pay with is "
                                  "sent there. Enter the address, or choose another way to pay."))
    problems.raise_any()

    try:
        with dbsession.begin_nested():
            booking, _token = services.create_hold(dbsession, session=session, party=party, contact=contact,
                                                   now=now, hold_minutes=hold_minutes, form_key=form_key,
                                                   channel=channel, cutoff_applies=False)
            if how == HowToPay.CASH_NOW:
                _paid_in_cash(dbsession, booking, now=now, registry=request.registry, providers=providers)
            else:
                providers[PAYMENT_PROVIDER[how]].start_payment(dbsession, booking, now=now, request=request)
    except DomainError as error:  # the seats went meanwhile, the session closed, or the payment failed
        field = error.field if error.field in ("party", "session") else "payment"
        raise InvalidInput({field: error.message}) from None
    return booking, True


# --- cancelling -----------------------------------------------------------------------------

def cancellable(booking: Booking, now) -> bool:
    """Whether the console offers to cancel: booked or awaiting payment, session not started."""
    return booking.status in (BookingStatus.HELD, BookingStatus.CONFIRMED) and booking.session.starts_at > now


def cancel_for_guest(dbsession, booking: Booking, *, now, registry, providers: dict, override: int | None = None,
                     locale: str = "vi") -> int:
    """Cancel the booking and give money back; returns what was refunded (or is owed back).

    Without `override`, what goes back is the policy's (payments.refunds.refund_for_cancellation,
    as when the guest cancels). With it, exactly `override` of what was paid goes back, through
    each payment's provider (cards at once; cash and transfers recorded for the staff to pay
    back) — allowed from 0 to what was paid. Whoever may choose an override is the view's to
    check (owners only). The guest is e-mailed either way.

    Raises DomainError, having changed nothing, when the booking is no longer booked (cancelled
    already, say by a second press), the session has started, or the override is out of range
    (its message names the range, money in `locale`).
    """
    if booking.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED):
        raise DomainError(_("This booking is already cancelled (or was never paid); nothing changed."))
    if override is not None:
        paid = amount_paid(dbsession, booking)
        if not 0 <= override <= paid:
            raise DomainError(_("Enter an amount from 0 to ${paid}, what the guest paid.",
                                mapping={"paid": Formatter(locale).money(paid, booking.currency)}), field="amount")

    def give_back(cancelled: Booking) -> int:
        if override is None:
            return refund_for_cancellation(dbsession, cancelled, now=now, providers=providers)
        made = refund_booking(dbsession, cancelled, override, reason="operator", now=now, providers=providers) \
            if override else []
        close_open_payments(dbsession, cancelled, now=now, providers=providers)
        return sum(refund.amount for refund in made if refund.status != RefundStatus.FAILED)

    return services.cancel_booking(dbsession, booking, now=now, registry=registry, refund=give_back)


def policy_refund(dbsession, booking: Booking, now) -> tuple[int, int, int]:
    """(paid, percent, amount): what the guest paid, and what the policy gives back now."""
    paid = amount_paid(dbsession, booking)
    percent, amount = services.refund_due(booking, paid, now)
    return paid, percent, amount


# --- moving ---------------------------------------------------------------------------------

def move_options(dbsession, booking: Booking, *, now) -> list:
    """The sessions of the same experience this booking could move to: bookable now, with
    room for the whole party, in the next three months (as on the guest's own page)."""
    return [a for a in availability(dbsession, booking.experience, start=now, end=now + MOVE_WINDOW, now=now)
            if a.bookable and a.seats_left >= booking.seats and a.session_id != booking.session_id]


# --- the ticket sent again ------------------------------------------------------------------

def resend_ticket(dbsession, booking: Booking, *, key: str, now, registry) -> bool:
    """E-mail the ticket again (the confirmation with its PDF and calendar event, in the guest's
    language). `key` is the form's one-time key: the same form sent twice (a double press, a
    retried request) sends one e-mail. Returns False when this form's e-mail was already sent.

    Raises DomainError when the booking is not confirmed, the guest gave no e-mail address, or
    the key is not a form's.
    """
    if booking.status != BookingStatus.CONFIRMED:
        raise DomainError(_("Only a confirmed booking has a ticket to send."))
    if not emails.can_email(booking):
        raise DomainError(emails.NO_EMAIL_ADDRESS)
    if not FORM_KEY.match(key or ""):
        raise DomainError(_("This page is out of date. Open the booking again, then press the button."))
    dedupe_key = f"booking-resent:{booking.id}:{key}"
    if email_enqueued(dbsession, dedupe_key):
        return False
    # The confirmation's own writer (booking.emails), so the resent ticket is the same e-mail.
    emails.send_ticket_email(BookingEvent(booking, dbsession, now, registry), moved=False,
                             dedupe_key=dedupe_key)
    return True


def ticket_document(registry, booking: Booking):
    """The booking's PDF ticket (a notify Attachment), as attached to the confirmation, or None.

    Read from the confirmation's attachments (CONFIRMATION_ATTACHMENTS, which the tickets
    domain fills), so that booking does not import tickets.
    """
    if booking.status != BookingStatus.CONFIRMED:
        return None
    for attach in registry.get(emails.CONFIRMATION_ATTACHMENTS, []):
        document = attach(registry, booking)
        if document is not None and document.content_type == "application/pdf":
            return document
    return None


# --- money received at the village ----------------------------------------------------------

def due_on_site(dbsession, booking: Booking) -> Payment | None:
    """The payment the guest makes at the village, while it is still due."""
    return dbsession.scalar(select(Payment).where(Payment.booking_id == booking.id, Payment.provider == ON_SITE,
                                                  Payment.status == PaymentStatus.DUE_ON_SITE))


def cash_received(dbsession, booking: Booking, *, now, registry, providers: dict) -> str:
    """The guest paid at the village: the payment due there is received (payments.settlement,
    as for a transfer). Returns what settling did; pressed twice, the second press finds
    nothing due and raises DomainError. Locks the payment row until the transaction ends.
    """
    if booking.status != BookingStatus.CONFIRMED:
        raise DomainError(_("Only a confirmed booking can be paid at the village."))
    return _settle_cash(dbsession, booking, now=now, registry=registry, providers=providers)


def _paid_in_cash(dbsession, booking: Booking, *, now, registry, providers: dict) -> None:
    """A held booking paid in cash on the spot: the money is received before the booking is
    confirmed, so the confirmation and its ticket say "paid", not "pay at the village"."""
    dbsession.add(Payment(booking_id=booking.id, provider=ON_SITE, amount=booking.total_amount,
                          currency=booking.currency, status=PaymentStatus.DUE_ON_SITE, updated_at=now))
    dbsession.flush()
    outcome = _settle_cash(dbsession, booking, now=now, registry=registry, providers=providers)
    if outcome != "processed: booking confirmed":  # the hold was just made: cannot happen
        raise DomainError(_("The booking could not be confirmed. Nothing was booked: try again."))


def _settle_cash(dbsession, booking: Booking, *, now, registry, providers: dict) -> str:
    payment = dbsession.scalar(
        select(Payment).where(Payment.booking_id == booking.id, Payment.provider == ON_SITE,
                              Payment.status == PaymentStatus.DUE_ON_SITE)
        .with_for_update().execution_options(populate_existing=True))
    if payment is None:
        raise DomainError(_("Nothing is due at the village for this booking: it was marked paid already, "
                            "or the guest pays another way."))
    return settle_received_payment(dbsession, payment, received=payment.amount, currency=payment.currency,
                                   providers=providers, now=now, registry=registry)


# --- what happened ----------------------------------------------------------------------------

def emails_about(dbsession, booking: Booking) -> list[OutboxMessage]:
    """The e-mails written to the guest about this booking (confirmation, new date, ticket sent
    again, cancellation, transfer instructions, refund notices), oldest first."""
    payment_ids = [str(i) for i in dbsession.scalars(select(Payment.id).where(Payment.booking_id == booking.id))]
    keys = [f"booking-confirmed:{booking.id}", f"booking-cancelled:{booking.id}"]
    keys += [f"{kind}:{payment_id}" for payment_id in payment_ids
             for kind in ("vietqr-instructions", "payment-refunded")]
    return list(dbsession.scalars(
        select(OutboxMessage).where(or_(
            OutboxMessage.dedupe_key.in_(keys),
            OutboxMessage.dedupe_key.like(f"booking-moved:{booking.id}:%"),
            OutboxMessage.dedupe_key.like(f"booking-resent:{booking.id}:%"),
        )).order_by(OutboxMessage.created_at, OutboxMessage.id)))
