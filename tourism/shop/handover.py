"""Handing over the village's products sold with a booking: given to the guest at the
village (pickup), or sent by courier (delivery).

A product line handed over (`BookingProductLine.handed_over_at`) is the guest's: cancelling
the booking afterwards neither refunds it nor puts it back on the shelf (see
`booking.services.refund_due` and `checkout.give_back_products`). So only a confirmed
booking's products are handed over: paid, or accepted for payment at the village or by
bank transfer — the bookings check-in admits.

Two staff phones pressing "Handed over" at the same moment must record it once: the lines
are marked by one conditional UPDATE (`… WHERE handed_over_at IS NULL`), so the second
press finds nothing left to mark and says that everything was already handed over. The
booking's row is locked first, so a cancellation racing with the hand-over either comes
before it (the hand-over is refused) or after it (and then does not refund what was handed
over).

A press made by mistake is taken back with `take_back`, for a short while (`UNDO_WINDOW`):
the lines that press marked (the same `handed_over_at`) are to hand over again, by one
conditional UPDATE (`… WHERE handed_over_at = :marked_at`), under the same lock.
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload
from translationstring import TranslationString

from tourism.booking.models import Booking, BookingProductLine, BookingStatus, Fulfilment
from tourism.booking.services import operator_booking_ids
from tourism.catalog.models import Experience
from tourism.clock import UNDO_WINDOW
from tourism.concurrency import RaceGuard
from tourism.exceptions import DomainError
from tourism.i18n import _
from tourism.shop.checkout import product_name
from tourism.shop.models import Product

# Off (tests only), the lines are read, a pause, then written without the IS NULL condition
# nor the booking's lock: two presses both "hand over" the same lines.
HANDOVER_GUARD = RaceGuard()


class HandOverRefused(DomainError):
    """Nothing was handed over. `reason` is for programs, `message` for people.

    Reasons: not_confirmed (still held, or its hold expired), cancelled, no_products,
    wrong_fulfilment (a delivery at the check-in, a pickup on the deliveries page).
    """

    def __init__(self, reason: str, message: TranslationString):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class HandOver:
    """What one press marked: `marked` is empty when everything had been handed over before."""

    booking: Booking
    marked: tuple[BookingProductLine, ...]

    @property
    def already_handed_over(self) -> bool:
        return not self.marked

    @property
    def marked_at(self) -> datetime | None:
        """When this press marked its lines (what `take_back` is given to undo it)."""
        return self.marked[0].handed_over_at if self.marked else None


@dataclass(frozen=True)
class TakeBack:
    """What one "Undo" took back: `lines` is empty when that press had been undone before."""

    booking: Booking
    lines: tuple[BookingProductLine, ...]

    @property
    def already_taken_back(self) -> bool:
        return not self.lines


def hand_over(dbsession, booking: Booking, *, now: datetime, fulfilment: Fulfilment | None = None) -> HandOver:
    """Mark every product line of `booking` not yet handed over as handed over at `now`.

    `fulfilment`, when given, is what the caller hands over (PICKUP at the check-in,
    DELIVERY on the deliveries page): a booking whose products come the other way is
    refused. Idempotent: pressed again, it marks nothing and returns an empty `marked`
    (`already_handed_over`). Raises HandOverRefused, changing nothing, for a booking that
    is not confirmed (held, expired, cancelled), has no products, or another fulfilment.
    Locks the booking's row until the transaction ends.
    """
    status = _locked_status(dbsession, booking.id)
    if status == BookingStatus.CANCELLED:
        raise HandOverRefused("cancelled", _("This booking was cancelled: its products cannot be handed over."))
    if status != BookingStatus.CONFIRMED:
        raise HandOverRefused("not_confirmed", _("This booking is not confirmed: its products cannot be handed "
                                                 "over until it is paid or accepted for payment at the village."))
    if not booking.product_lines:
        raise HandOverRefused("no_products", _("This booking has no products to hand over."))
    if fulfilment is not None and booking.fulfilment != fulfilment:
        raise HandOverRefused("wrong_fulfilment", _("These products are to be delivered, not picked up.")
                              if booking.fulfilment == Fulfilment.DELIVERY
                              else _("These products are to be picked up at the village, not delivered."))
    marked_ids = set(_mark(dbsession, booking.id, now))
    return HandOver(booking, tuple(line for line in booking.product_lines if line.id in marked_ids))


def take_back(dbsession, booking: Booking, *, marked_at: datetime, now: datetime) -> TakeBack:
    """Undo one press of "Handed over" or "Mark sent": the lines it marked (handed over at
    exactly `marked_at`, its `HandOver.marked_at`) are to hand over again.

    Allowed for UNDO_WINDOW after `marked_at`. Idempotent: pressed again (or for a press
    that marked nothing), it takes back nothing and returns an empty `lines`. Raises
    HandOverRefused, changing nothing, when too late, or for a booking no longer confirmed:
    a cancellation after the hand-over did not refund those products, so taking them back
    now would leave them neither refunded nor handed over. Locks the booking's row until
    the transaction ends, as `hand_over` does.
    """
    status = _locked_status(dbsession, booking.id)
    if status == BookingStatus.CANCELLED:
        raise HandOverRefused("cancelled", _("This booking was cancelled: the hand-over can no longer be undone."))
    if status != BookingStatus.CONFIRMED:
        raise HandOverRefused("not_confirmed", _("This booking is not confirmed: the hand-over can no longer be "
                                                 "undone."))
    if now - marked_at > UNDO_WINDOW:
        raise HandOverRefused("too_late", _("These products were handed over more than ${minutes} minutes ago: "
                                            "this can no longer be undone.",
                                            mapping={"minutes": int(UNDO_WINDOW.total_seconds() // 60)}))
    # "fetch": lines already loaded in this session get their handed_over_at cleared too.
    taken_ids = set(dbsession.scalars(
        update(BookingProductLine)
        .where(BookingProductLine.booking_id == booking.id, BookingProductLine.handed_over_at == marked_at)
        .values(handed_over_at=None)
        .returning(BookingProductLine.id)
        .execution_options(synchronize_session="fetch")))
    return TakeBack(booking, tuple(line for line in booking.product_lines if line.id in taken_ids))


def marked_at_from_text(text) -> datetime | None:
    """The `HandOver.marked_at` a form carries back (ISO 8601 with its offset), or None."""
    try:
        marked_at = datetime.fromisoformat(text) if isinstance(text, str) and len(text) <= 40 else None
    except ValueError:
        return None
    return marked_at if marked_at is not None and marked_at.tzinfo is not None else None


def _locked_status(dbsession, booking_id: int) -> BookingStatus:
    if HANDOVER_GUARD.enabled:
        # The row as it is now, locked: a cancellation committed meanwhile is seen.
        return dbsession.scalar(select(Booking.status).where(Booking.id == booking_id).with_for_update())
    return dbsession.scalar(select(Booking.status).where(Booking.id == booking_id))


def _mark(dbsession, booking_id: int, now: datetime) -> list[int]:
    """The ids of the lines this call marked."""
    if HANDOVER_GUARD.enabled:
        # "fetch": lines already loaded in this session get their new handed_over_at.
        return list(dbsession.scalars(
            update(BookingProductLine)
            .where(BookingProductLine.booking_id == booking_id, BookingProductLine.handed_over_at.is_(None))
            .values(handed_over_at=now)
            .returning(BookingProductLine.id)
            .execution_options(synchronize_session="fetch")))
    # Negative control only: read, pause, write whatever was read (the double count).
    ids = list(dbsession.scalars(select(BookingProductLine.id).where(
        BookingProductLine.booking_id == booking_id, BookingProductLine.handed_over_at.is_(None))))
    HANDOVER_GUARD.pause()
    if ids:
        dbsession.execute(update(BookingProductLine).where(BookingProductLine.id.in_(ids))
                          .values(handed_over_at=now).execution_options(synchronize_session="fetch"))
    return ids


# --- reading ----------------------------------------------------------------------------------

def to_hand_over(booking: Booking) -> list[BookingProductLine]:
    """The lines still to give the guest at the village: a confirmed pickup's lines not yet
    handed over (none for any other booking)."""
    if booking.status != BookingStatus.CONFIRMED or booking.fulfilment != Fulfilment.PICKUP:
        return []
    return [line for line in booking.product_lines if line.handed_over_at is None]


def lines_text(lines, locale: str) -> list[str]:
    """Lines as the staff read them: "2 × Trà móc câu Tân Cương, hộp 200 g", names in `locale`."""
    return [f"{line.quantity} × {product_name(line.product, locale)}" for line in lines]


def deliveries_to_send(dbsession, operator_id: int | None) -> list[Booking]:
    """Confirmed bookings with products to deliver that have not been sent yet, at the
    villages of `operator_id` (None: every village), oldest confirmation first."""
    waiting = select(BookingProductLine.booking_id).where(BookingProductLine.handed_over_at.is_(None))
    query = (select(Booking)
             .where(Booking.status == BookingStatus.CONFIRMED, Booking.fulfilment == Fulfilment.DELIVERY,
                    Booking.id.in_(waiting))
             .options(selectinload(Booking.product_lines).selectinload(BookingProductLine.product)
                      .selectinload(Product.texts),
                      selectinload(Booking.experience).selectinload(Experience.texts),
                      selectinload(Booking.experience).selectinload(Experience.village),
                      selectinload(Booking.session))
             .order_by(Booking.confirmed_at, Booking.id))
    if operator_id is not None:
        query = query.where(Booking.id.in_(operator_booking_ids(operator_id)))
    return list(dbsession.scalars(query))
