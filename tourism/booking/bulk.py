"""Bulk actions on one session: cancel it (rain, a kiln failure) with every booking refunded in
full and every guest told, or move all its guests to another session of the same experience.

Cancelling is safe to run again, and is meant to be: each booking is one unit of work in its
own SAVEPOINT — cancelled, refunded in full through its payments' providers and its guest's
e-mail written to the outbox together, or not at all — so one booking going wrong (a provider
error, anything raised) never undoes nor stops the others. Running it again (the button pressed
twice, a retry after a failure) finishes what is left and repeats nothing:

- a booking already cancelled is not cancelled again (`cancel_booking` is idempotent, and the
  booking row is locked and checked first);
- what is refunded is always "what should have come back, less what has come back" (the
  payments' ledger): a refund recorded is never sent again, and one the provider refused is
  tried again as a retry of that refund, so the operator's refunds page shows it handled;
- a booking cancelled with its session says so (`Booking.cancelled_with_session`, written in
  its unit of work), and its guest's e-mail has the dedupe key `session-cancelled:<booking id>`
  (none is written for a guest booked by hand without an e-mail address: the report says to
  tell them).

The whole action takes the session row's lock first, so two presses at the same moment run
one after the other; the second finds nothing left to do. Nothing here commits (pyramid_tm
does): a request that dies halfway leaves the session and its bookings as they were, except
refunds a card provider already sent. Those are not sent twice: the retried request asks with
the same idempotency key (`payments.refunds`: payment and refund number), which Stripe answers
with the first refund or, its metadata differing, refuses — the refund is then recorded FAILED
until Stripe's webhook brings the one it made into the ledger (and Stripe itself refuses to
refund a payment beyond what was paid).
"""
import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from tourism.booking import services
from tourism.booking.availability import SessionAvailability, availability
from tourism.booking.emails import (TEMPLATES, booking_values, can_email, new_manage_url, product_outcomes,
                                    render_email, request_for)
from tourism.booking.models import Booking, BookingStatus
from tourism.catalog.models import PublicationStatus
from tourism.exceptions import DomainError
from tourism.forms import Problems, choice, paragraphs, too_long
from tourism.i18n import _
from tourism.notify.models import OutboxMessage, OutboxStatus
from tourism.notify.services import email_enqueued, enqueue_email
from tourism.payments.models import RECEIVED, Payment, PaymentStatus, Refund, RefundStatus
from tourism.payments.refunds import close_open_payments, refund_booking, retry_failed_refund
from tourism.payments.vietqr_provider import NAME as VIETQR
from tourism.scheduling.models import ExperienceSession, SessionStatus
from tourism.tickets.models import Admission

log = logging.getLogger(__name__)

REFUND_REASON = "session_cancelled"  # Refund.reason of the refunds a session's cancellation makes
EMAIL_KEY = "session-cancelled:{booking_id}"
MOVE_WINDOW = timedelta(days=90)  # how far ahead the guests may be moved, and other dates are offered
NEXT_DATES = 3  # other dates offered in the e-mail
MAX_NOTE = 500


class CancelReason(enum.StrEnum):
    RAIN = "rain"
    EQUIPMENT = "equipment"  # the kiln, the boat, the loom…
    ILLNESS = "illness"
    OTHER = "other"


# What the operator chooses from…
REASON_LABELS = {
    CancelReason.RAIN: _("Rain or bad weather"),
    CancelReason.EQUIPMENT: _("Kiln or equipment failure"),
    CancelReason.ILLNESS: _("Illness"),
    CancelReason.OTHER: _("Another reason"),
}
# … and what each guest reads, in their own language.
REASON_SENTENCES = {
    CancelReason.RAIN: _("The village had to cancel this session because of the weather."),
    CancelReason.EQUIPMENT: _("The village had to cancel this session because the kiln or other equipment broke down."),
    CancelReason.ILLNESS: _("The village had to cancel this session because of illness."),
    CancelReason.OTHER: _("The village had to cancel this session."),
}


@dataclass(frozen=True)
class Reason:
    """Why the session is cancelled: a reason from the list and the operator's own words
    (`note`, possibly empty, in `note_locale`: guests see it as typed)."""

    kind: CancelReason
    note: str
    note_locale: str


def read_reason(form: Mapping, locale: str) -> Reason:
    """The cancel form's reason (`reason`) and note (`note`); raises InvalidInput, one message per field.
    "Another reason" needs a note: guests must be told something."""
    problems = Problems()
    kind = choice(form, "reason", CancelReason, problems, _("Choose why the session is cancelled."))
    note = paragraphs(form, "note")
    too_long(problems, "note", note, MAX_NOTE)
    if kind == CancelReason.OTHER and not note:
        problems.add("note", _("Say in a few words why: the guests read it in their e-mail."))
    problems.raise_any()
    return Reason(kind, note, locale)


# --- money -----------------------------------------------------------------------------------

def full_refund_due(booking: Booking, received: int) -> int:
    """What a cancellation by the village gives back of `received` (all the money received,
    before any refund): everything, whatever the policy, except what paid for products already
    handed over (they are the guest's). Counted as `services.refund_due` counts at 100%:
    money received pays for the products first, so a part payment is never over-refunded."""
    goods = booking.products_amount + booking.shipping_fee
    handed_over = [line for line in booking.product_lines if line.handed_over_at is not None]
    goods_back = goods - sum(line.amount for line in handed_over) - (booking.shipping_fee if handed_over else 0)
    for_goods = min(received, goods)
    return (received - for_goods) + min(for_goods, goods_back)


@dataclass(frozen=True)
class Money:
    """Where a booking's money stands, read from its payments and refunds ledger."""

    received: int  # money received (before any refund)
    due_back: int  # what the session's cancellation gives back (`full_refund_due`)
    by_provider: int  # refunds sent, or being sent, through the provider (cards)
    by_hand: int  # refunds the operator pays back by hand (transfer, cash), paid or not yet
    by_hand_paid: int  # … of which the operator has paid back
    left: int  # still to give back: a refund that failed, or was not made yet
    failure: str | None  # the provider's reason for the latest refund that failed
    paid_with: tuple[str, ...]  # providers of the payments refunded by hand ("vietqr", "on_site")

    @property
    def nothing_paid(self) -> bool:
        return self.received == 0


def money_of(dbsession, booking: Booking) -> Money:
    dbsession.flush()
    # Read afresh: refunds are written beside the payments, not through their collections.
    payments = list(dbsession.scalars(select(Payment).where(Payment.booking_id == booking.id)
                                      .options(selectinload(Payment.refunds)).order_by(Payment.id)
                                      .execution_options(populate_existing=True)))
    received = [p for p in payments if p.status in RECEIVED]
    gross = sum(p.amount for p in received)
    due_back = full_refund_due(booking, gross)
    by_provider = by_hand = by_hand_paid = 0
    paid_with: list[str] = []
    failures = []
    for payment in payments:
        for refund in payment.refunds:
            if refund.status == RefundStatus.FAILED:
                failures.append(refund)
            elif refund.provider_reference is not None:
                by_provider += refund.amount
            else:
                by_hand += refund.amount
                by_hand_paid += refund.amount if refund.status == RefundStatus.SUCCEEDED else 0
                if payment.provider not in paid_with:
                    paid_with.append(payment.provider)
    left = max(due_back - sum(p.refunded_amount for p in received), 0)
    failure = max(failures, key=lambda r: r.id).failure_reason if failures and left else None
    return Money(gross, due_back, by_provider, by_hand, by_hand_paid, left, failure, tuple(paid_with))


def _split_by_provider(dbsession, booking: Booking, amount: int, providers: dict) -> tuple[int, int]:
    """(through providers, by hand): how `refund_booking` would give `amount` back, newest payment first."""
    through = by_hand = 0
    for payment in dbsession.scalars(select(Payment).where(Payment.booking_id == booking.id,
                                                           Payment.status.in_(RECEIVED)).order_by(Payment.id.desc())):
        part = min(payment.refundable, amount)
        amount -= part
        if getattr(providers.get(payment.provider), "send_refund", None) is not None:
            through += part
        else:
            by_hand += part
    return through, by_hand


def refund_in_full(dbsession, booking: Booking, *, now: datetime, providers: dict) -> int:
    """Give back what is left of the booking's full refund (`Money.left`) and close its unpaid
    attempts; returns the amount given back or owed back now (failed refunds not counted).

    A refund of the session's cancellation that the provider refused is tried again first
    (`retry_failed_refund`); the rest is a new refund. Run again, it gives back only what
    is still left: nothing once everything came back. Locks the booking's payments.
    """
    dbsession.execute(select(Payment.id).where(Payment.booking_id == booking.id).with_for_update())
    left = money_of(dbsession, booking).left
    given = 0
    failed = dbsession.scalars(select(Refund).join(Payment).where(
        Payment.booking_id == booking.id, Refund.status == RefundStatus.FAILED, Refund.reason == REFUND_REASON)
        .order_by(Refund.id))
    for refund in list(failed):
        if left <= 0 or refund.amount > min(left, refund.payment.refundable):
            continue
        try:
            again = retry_failed_refund(dbsession, refund, now=now, providers=providers)
        except DomainError:  # tried again already, with success
            continue
        if again.status != RefundStatus.FAILED:
            left -= again.amount
            given += again.amount
    if left > 0:
        made = refund_booking(dbsession, booking, left, reason=REFUND_REASON, now=now, providers=providers)
        given += sum(r.amount for r in made if r.status != RefundStatus.FAILED)
    close_open_payments(dbsession, booking, now=now, providers=providers)
    return given


# --- what the session page shows -----------------------------------------------------------------

@dataclass(frozen=True)
class Seats:
    capacity: int
    booked: int
    held: int  # guests paying right now (live holds)
    free: int


def session_seats(dbsession, session: ExperienceSession, *, now: datetime) -> Seats:
    held = dbsession.scalar(select(func.coalesce(func.sum(Booking.seats), 0)).where(
        Booking.session_id == session.id, Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now))
    dbsession.refresh(session)
    free = 0 if session.status != SessionStatus.OPEN else max(services.seats_left_now(dbsession, session, now), 0)
    return Seats(session.capacity, session.seats_booked, held, free)


@dataclass(frozen=True)
class Guest:
    """A confirmed booking on the session's guest list."""

    booking: Booking
    paid: int  # received, less what was given back
    owed: int  # still to pay
    pays_by: str | None  # how what is owed is paid: "on_site", "vietqr", or None
    admitted: int  # people checked in so far


def session_guests(dbsession, session: ExperienceSession) -> list[Guest]:
    """The session's confirmed bookings, by guest name."""
    bookings = list(dbsession.scalars(
        select(Booking).where(Booking.session_id == session.id, Booking.status == BookingStatus.CONFIRMED)
        .options(selectinload(Booking.lines)).order_by(Booking.contact_name, Booking.reference)))
    ids = [b.id for b in bookings]
    if not ids:
        return []
    admitted = dict(dbsession.execute(select(Admission.booking_id, func.sum(Admission.people))
                                      .where(Admission.booking_id.in_(ids)).group_by(Admission.booking_id)).all())
    payments: dict[int, list[Payment]] = {}
    for payment in dbsession.scalars(select(Payment).where(Payment.booking_id.in_(ids))):
        payments.setdefault(payment.booking_id, []).append(payment)
    guests = []
    for booking in bookings:
        mine = payments.get(booking.id, [])
        paid = sum(p.amount - p.refunded_amount for p in mine if p.status in RECEIVED)
        pays_by = ("on_site" if any(p.status == PaymentStatus.DUE_ON_SITE for p in mine) else
                   VIETQR if any(p.status == PaymentStatus.PENDING and p.provider == VIETQR for p in mine) else None)
        guests.append(Guest(booking, paid, max(booking.total_amount - paid, 0), pays_by,
                            min(admitted.get(booking.id, 0), booking.seats)))
    return guests


# --- cancelling the session ------------------------------------------------------------------------

def _lock_session(dbsession, session: ExperienceSession) -> None:
    """Take the session row's lock (the whole action runs under it) and read the row afresh."""
    dbsession.execute(select(ExperienceSession.id).where(ExperienceSession.id == session.id).with_for_update())
    dbsession.refresh(session)


def _live_bookings(dbsession, session: ExperienceSession, now: datetime) -> list[Booking]:
    """The session's confirmed bookings and holds that have not expired."""
    return list(dbsession.scalars(select(Booking).where(
        Booking.session_id == session.id,
        (Booking.status == BookingStatus.CONFIRMED)
        | ((Booking.status == BookingStatus.HELD) & (Booking.hold_expires_at > now)))
        .order_by(Booking.id)))


def _cancelled_with_session(dbsession, session: ExperienceSession) -> list[Booking]:
    """Bookings cancelled by the session's cancellation (not by their guest before)."""
    return list(dbsession.scalars(select(Booking).where(
        Booking.session_id == session.id, Booking.status == BookingStatus.CANCELLED,
        Booking.cancelled_with_session.is_(True)).order_by(Booking.id)))


def cancel_refused(session: ExperienceSession, *, now: datetime):
    """Why the session can no longer be cancelled (a message), or None."""
    if session.status == SessionStatus.OPEN and session.starts_at <= now:
        return _("This session has already started; it can no longer be cancelled.")
    return None


def needs_reason(dbsession, session: ExperienceSession, *, now: datetime) -> bool:
    """Whether cancelling (again) still has guests to tell, and so needs the reason."""
    return session.status == SessionStatus.OPEN or bool(_live_bookings(dbsession, session, now))


@dataclass(frozen=True)
class CancelPreview:
    bookings: int  # confirmed bookings to cancel
    guests: int
    holds: int  # guests paying right now: their holds are let go
    refund: int  # everything given back
    by_provider: int  # … through the card provider
    by_hand: int  # … by the operator, by hand
    nothing_paid: int  # bookings with nothing to give back
    no_email: int  # bookings whose guest gave no e-mail address: the staff tell them
    currency: str


def cancel_preview(dbsession, session: ExperienceSession, *, now: datetime, providers: dict) -> CancelPreview:
    """What cancelling the session now would do, changing nothing."""
    live = _live_bookings(dbsession, session, now)
    confirmed = [b for b in live if b.status == BookingStatus.CONFIRMED]
    holds = [b for b in live if b.status == BookingStatus.HELD]
    refund = by_provider = by_hand = nothing = 0
    for booking in confirmed:
        left = money_of(dbsession, booking).left
        through, hand = _split_by_provider(dbsession, booking, left, providers)
        refund, by_provider, by_hand = refund + left, by_provider + through, by_hand + hand
        nothing += not left
    return CancelPreview(len(confirmed), sum(b.seats for b in confirmed), len(holds), refund, by_provider, by_hand,
                         nothing, sum(not can_email(b) for b in confirmed), session.experience.currency)


@dataclass
class CancelRun:
    """What one run of `cancel_session` did (the page's report reads the ledger: `cancellation_report`)."""

    cancelled: list[Booking] = field(default_factory=list)  # cancelled now, guest e-mailed when they have an address
    holds_released: int = 0
    refunds_finished: list[Booking] = field(default_factory=list)  # cancelled before; a refund left was tried now
    failed: list[tuple[Booking, object]] = field(default_factory=list)  # (booking, message): unchanged

    @property
    def not_emailed(self) -> list[Booking]:
        """Cancelled now, but their guest gave no e-mail address: the staff must tell them."""
        return [booking for booking in self.cancelled if not can_email(booking)]


def cancel_session(dbsession, session: ExperienceSession, reason: Reason | None, *, now: datetime, registry,
                   providers: dict) -> CancelRun:
    """Cancel the session and every booking on it, each refunded in full and its guest e-mailed
    (when they gave an address).

    The session becomes CANCELLED (no new bookings, no confirmation of a hold). Each confirmed
    booking is cancelled in its own savepoint with `refund_in_full` and its guest's e-mail
    (`REASON_SENTENCES`, the operator's note, what comes back and how, other dates to book) in
    their own language; live holds are let go (their unpaid attempts closed). Bookings cancelled
    by an earlier run get what is left of their refund. A booking whose unit of work raised is
    left as it was and listed in `failed`; a refund the provider refused is not an error here
    (it is recorded FAILED: run again to try it again).

    `reason` may be None only when no guest is left to tell (a run that finishes refunds).
    Raises DomainError, having changed nothing, when the session has started, or a reason is
    needed and missing. Locks the session row, then each booking and its payments in turn.
    """
    _lock_session(dbsession, session)
    refused = cancel_refused(session, now=now)
    if refused:
        raise DomainError(refused)
    services.release_expired_holds(dbsession, now=now, session_id=session.id)
    live = _live_bookings(dbsession, session, now)
    if reason is None and (live or session.status == SessionStatus.OPEN):
        raise DomainError(_("Choose why the session is cancelled."), field="reason")
    earlier = _cancelled_with_session(dbsession, session)
    dbsession.execute(update(ExperienceSession).where(ExperienceSession.id == session.id)
                      .values(status=SessionStatus.CANCELLED).execution_options(synchronize_session=False))
    dbsession.refresh(session)
    run = CancelRun()
    other_dates = _other_dates(dbsession, session, now=now) if live else []
    for booking in live:
        try:
            with dbsession.begin_nested():
                done = _cancel_booking(dbsession, booking, reason, now=now, registry=registry, providers=providers,
                                       other_dates=other_dates)
        except DomainError as error:
            run.failed.append((booking, error.message))
            continue
        except Exception:  # one booking's failure must not stop the others; it stays as it was
            log.exception("cancelling session %s: booking %s could not be cancelled", session.id, booking.id)
            run.failed.append((booking, _("Something went wrong with this booking; nothing was changed for it.")))
            continue
        if done == BookingStatus.CONFIRMED:
            run.cancelled.append(booking)
        elif done == BookingStatus.HELD:
            run.holds_released += 1
    for booking in earlier:
        if money_of(dbsession, booking).left <= 0:
            continue
        try:
            with dbsession.begin_nested():
                refund_in_full(dbsession, booking, now=now, providers=providers)
        except Exception:
            log.exception("cancelling session %s: the refund of booking %s could not be finished", session.id,
                          booking.id)
            run.failed.append((booking, _("Something went wrong with this refund; nothing was changed for it.")))
            continue
        run.refunds_finished.append(booking)
    return run


def reopen_refused(dbsession, session: ExperienceSession, *, now: datetime):
    """Why a cancelled session cannot be opened again for booking (a message), or None."""
    if session.status != SessionStatus.CANCELLED:
        return _("This session is not cancelled.")
    if session.starts_at <= now:
        return _("This session has already started; it can no longer be opened again.")
    if session.closure_id is not None:
        return _("Its day is closed: remove the closed days first.")
    if _live_bookings(dbsession, session, now):
        return _("Some bookings are not cancelled yet: press “Try again” first.")
    return None


def reopen_session(dbsession, session: ExperienceSession, *, now: datetime) -> None:
    """Undo a session's cancellation for new guests: it is open for booking again (the sky
    cleared, the kiln was mended). Guests already cancelled stay cancelled and refunded, and
    are not told: they may book again like anyone. Raises DomainError, changing nothing, for
    a session that is not cancelled, has started, is on a closed day, or still has bookings to
    cancel. Locks the session row, as cancelling does, so the two never cross."""
    _lock_session(dbsession, session)
    refused = reopen_refused(dbsession, session, now=now)
    if refused:
        raise DomainError(refused)
    dbsession.execute(update(ExperienceSession).where(ExperienceSession.id == session.id)
                      .values(status=SessionStatus.OPEN).execution_options(synchronize_session=False))
    dbsession.refresh(session)


def _cancel_booking(dbsession, booking: Booking, reason: Reason, *, now: datetime, registry, providers: dict,
                    other_dates: list[SessionAvailability]) -> BookingStatus | None:
    """One booking's unit of work (the caller's savepoint): cancel, refund in full, e-mail the
    guest of a confirmed booking. Returns the status it had, or None when someone else changed it first."""
    locked = dbsession.scalar(select(Booking).where(Booking.id == booking.id).with_for_update()
                              .execution_options(populate_existing=True))
    was = locked.status
    if was not in (BookingStatus.CONFIRMED, BookingStatus.HELD):
        return None
    # No registry: the generic "your booking is cancelled" e-mail would go out beside the one below.
    services.cancel_booking(dbsession, booking, now=now,
                            refund=lambda b: refund_in_full(dbsession, b, now=now, providers=providers))
    if was == BookingStatus.CONFIRMED:
        booking.cancelled_with_session = True
        dbsession.flush()
        email_guest(dbsession, booking, reason, now=now, registry=registry, other_dates=other_dates)
    return was


def _other_dates(dbsession, session: ExperienceSession, *, now: datetime) -> list[SessionAvailability]:
    """The experience's next sessions a guest could book instead (each e-mail keeps those with room for its party)."""
    experience = session.experience
    if experience.status != PublicationStatus.PUBLISHED:
        return []
    return [a for a in availability(dbsession, experience, start=now, end=now + MOVE_WINDOW, now=now)
            if a.bookable and a.session_id != session.id]


def email_guest(dbsession, booking: Booking, reason: Reason, *, now: datetime, registry,
                other_dates: list[SessionAvailability]) -> None:
    """Write the guest's e-mail to the outbox, in their language: why, what comes back and how,
    other dates with room for their party, a link to book. Once per booking (`EMAIL_KEY`); none
    for a guest with no e-mail address."""
    key = EMAIL_KEY.format(booking_id=booking.id)
    if not can_email(booking) or email_enqueued(dbsession, key):
        return
    request = request_for(registry, booking.locale)
    experience = booking.experience
    tz = experience.village.time_zone
    dates = [{"when": request.fmt.session_datetime(a.starts_at, tz),
              "url": request.route_url("booking.start", session_id=a.session_id)}
             for a in other_dates if a.seats_left >= booking.seats][:NEXT_DATES]
    published = experience.status == PublicationStatus.PUBLISHED
    values = dict(booking_values(booking), reason=REASON_SENTENCES[reason.kind], note=reason.note,
                  note_locale=reason.note_locale, money=money_of(dbsession, booking),
                  product_outcomes=product_outcomes(booking), other_dates=dates,
                  book_again_url=request.route_url("catalog.experience", slug=experience.slug) if published else None,
                  manage_url=new_manage_url(request, dbsession, booking))
    subject, text, html = render_email(request, TEMPLATES + "session_cancelled", values)
    enqueue_email(dbsession, to=booking.contact_email, subject=subject, text=text, html=html, now=now,
                  dedupe_key=key)


# --- the report: what happened to each booking -----------------------------------------------------

@dataclass(frozen=True)
class BookingReport:
    booking: Booking
    cancelled: bool  # False: still booked (its cancellation failed; run again)
    money: Money
    email: OutboxStatus | None  # the guest's e-mail: waiting, sent, or given up (None: none yet)
    email_error: str | None

    @property
    def no_email_address(self) -> bool:
        """The guest gave no e-mail address: nobody tells them but the staff."""
        return not can_email(self.booking)

    @property
    def work_left(self) -> bool:
        return not self.cancelled or self.money.left > 0


def cancellation_report(dbsession, session: ExperienceSession, *, now: datetime) -> list[BookingReport]:
    """Each booking of a cancelled session: cancelled with it (money, e-mail), or still booked."""
    if session.status != SessionStatus.CANCELLED:
        return []
    done = _cancelled_with_session(dbsession, session)
    left = [b for b in _live_bookings(dbsession, session, now) if b.status == BookingStatus.CONFIRMED]
    keys = {EMAIL_KEY.format(booking_id=b.id) for b in done}
    emails = {m.dedupe_key: m for m in dbsession.scalars(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.in_(list(keys))))}
    rows = []
    for booking in sorted(done + left, key=lambda b: (b.contact_name, b.reference)):
        message = emails.get(EMAIL_KEY.format(booking_id=booking.id))
        rows.append(BookingReport(booking, booking.status == BookingStatus.CANCELLED, money_of(dbsession, booking),
                                  message.status if message else None,
                                  message.last_error if message and message.status != OutboxStatus.SENT else None))
    return rows


# --- moving every guest --------------------------------------------------------------------------

def move_candidates(dbsession, session: ExperienceSession, *, now: datetime) -> list[SessionAvailability]:
    """The experience's other sessions in the next MOVE_WINDOW that can be booked now and have
    room for every guest of `session` (free seats ≥ its booked seats)."""
    if session.experience.status != PublicationStatus.PUBLISHED:
        return []
    seats = _confirmed_seats(dbsession, session)
    return [a for a in availability(dbsession, session.experience, start=now, end=now + MOVE_WINDOW, now=now)
            if a.bookable and a.session_id != session.id and a.seats_left >= seats]


def _confirmed_seats(dbsession, session: ExperienceSession) -> int:
    return dbsession.scalar(select(func.coalesce(func.sum(Booking.seats), 0)).where(
        Booking.session_id == session.id, Booking.status == BookingStatus.CONFIRMED))


def move_all(dbsession, session: ExperienceSession, target: ExperienceSession, *, now: datetime, registry,
             providers: dict) -> list[Booking]:
    """Move every confirmed booking of `session` to `target`, all or nothing, then close `session`.

    Each guest gets the existing "moved" e-mail (new date, new ticket) through `move_booking`'s
    BookingMoved event. `session` becomes CANCELLED so nobody books a session that will not
    run; holds on it are let go. Returns the bookings moved. Raises DomainError, having changed
    nothing (seats, bookings, e-mails), when `session` is closed or started, `target` is not
    another bookable session of the same experience, there is nobody to move, or `target` has
    no room for everyone. Locks `session`, then `target` through the seat update.
    """
    _lock_session(dbsession, session)
    if session.status != SessionStatus.OPEN:
        raise DomainError(_("This session is cancelled: there is nobody left to move."))
    if session.starts_at <= now:
        raise DomainError(_("This session has already started; it can no longer be moved."))
    if target.id == session.id or target.experience_id != session.experience_id:
        raise DomainError(_("Choose another session of the same experience."), field="session")
    services.release_expired_holds(dbsession, now=now, session_id=session.id)
    live = _live_bookings(dbsession, session, now)
    confirmed = [b for b in live if b.status == BookingStatus.CONFIRMED]
    if not confirmed:
        raise DomainError(_("Nobody is booked on this session: there is nobody to move."))
    try:
        with dbsession.begin_nested():
            for booking in confirmed:
                services.move_booking(dbsession, booking, target, now=now, registry=registry)
            for hold in (b for b in live if b.status == BookingStatus.HELD):
                services.cancel_booking(dbsession, hold, now=now,
                                        refund=lambda b: refund_in_full(dbsession, b, now=now, providers=providers))
            dbsession.execute(update(ExperienceSession).where(ExperienceSession.id == session.id)
                              .values(status=SessionStatus.CANCELLED).execution_options(synchronize_session=False))
    except services.NotEnoughSeats as error:
        _forget(dbsession, session, target, *confirmed)
        raise DomainError(_("Nothing was moved: the other session no longer has room for everyone "
                            "(${count} seats left). Choose another session.",
                            mapping={"count": error.seats_left}), field="session") from error
    except DomainError:
        _forget(dbsession, session, target, *confirmed)
        raise
    dbsession.refresh(session)
    return confirmed


def _forget(dbsession, *rows) -> None:
    """After a rolled-back savepoint: read these rows afresh next time."""
    for row in rows:
        dbsession.expire(row)
