"""Booking rules: holding seats, confirming, cancelling and moving, without ever overbooking.

The invariant — for every session, booked + held seats ≤ capacity — is kept by a
conditional UPDATE of the session row inside the transaction that writes the booking
(`take_seats`); the CHECK constraint on the table is the backstop. A service that raises
DomainError has changed nothing: multi-step changes run inside a SAVEPOINT.
"""
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel import Locale
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from tourism.booking.events import BookingCancelled, BookingConfirmed, BookingMoved
from tourism.booking.models import Booking, BookingLine, BookingStatus, BookingToken, Fulfilment
from tourism.catalog.models import ADULT_TIERS, Experience, PublicationStatus, Village
from tourism.catalog.services import refund_percent
from tourism.concurrency import RaceGuard
from tourism.exceptions import DomainError
from tourism.i18n import LOCALES, _
from tourism.scheduling.models import ExperienceResource, ExperienceSession, ResourceSlot, SessionStatus
from tourism.shop import checkout

DEFAULT_HOLD_MINUTES = 15
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, no 1/I
MAX_NAME_LENGTH = 200
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()\-.]{6,24}$")
COUNTRIES = frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha())


class NotEnoughSeats(DomainError):
    def __init__(self, seats_left: int):
        if seats_left <= 0:
            message = _("Sorry, this session has just sold out.")
        else:
            message = _("Only ${count} seats are left in this session.", mapping={"count": seats_left})
        super().__init__(message, field="party")
        self.seats_left = max(seats_left, 0)


# Off (tests only), seats are taken by reading the counters, pausing, then writing back what
# was read plus the new seats: the lost-update race that the conditional UPDATE prevents.
SEAT_GUARD = RaceGuard()


# --- input --------------------------------------------------------------------------

@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str
    country: str
    locale: str


def parse_party(params, experience: Experience) -> dict[str, int]:
    """Tier code → quantity from a form (`tier_adult=2`); raises DomainError, changes nothing."""
    prices = {t.code for t in experience.price_tiers}
    party: dict[str, int] = {}
    for key, raw in params.items():
        if not key.startswith("tier_"):
            continue
        code = key.removeprefix("tier_")
        if code not in prices:
            raise DomainError(_("This ticket type does not exist for this experience."), field="party")
        raw = (raw or "").strip() or "0"
        if not raw.isdigit() or len(raw) > 4:
            raise DomainError(_("Enter how many people as a whole number."), field="party")
        if int(raw):
            party[code] = int(raw)
    check_party(party, experience)
    return party


def check_party(party: dict[str, int], experience: Experience) -> None:
    size = sum(party.values())
    if size < experience.min_party:
        raise DomainError(_("Book for at least ${count} people.", mapping={"count": max(experience.min_party, 1)}),
                          field="party")
    if size > experience.max_party:
        raise DomainError(_("Book for at most ${count} people.", mapping={"count": experience.max_party}),
                          field="party")
    if experience.children_need_adult and not any(party.get(code) for code in ADULT_TIERS):
        raise DomainError(_("Children need an adult with them: add at least one adult ticket."), field="party")


def _clean_text(value: str) -> str:
    # Keep every script (Vietnamese, Hangul, kanji…), drop control characters.
    return "".join(c for c in (value or "") if c.isprintable()).strip()


def parse_contact(params, *, email_required: bool = True) -> Contact:
    """The booker's details from a form. The e-mail address may be left empty only when
    `email_required` is False (a guest booked by hand at the village): `Contact.email` is then ""."""
    name = " ".join(_clean_text(params.get("name", "")).split())
    email = _clean_text(params.get("email", "")).lower()
    phone = _clean_text(params.get("phone", ""))
    country = _clean_text(params.get("country", "")).upper()
    locale = _clean_text(params.get("language", ""))
    if not name:
        raise DomainError(_("Enter the name of the person booking."), field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise DomainError(_("The name is too long: use at most ${count} characters.",
                            mapping={"count": MAX_NAME_LENGTH}), field="name")
    if (email or email_required) and (len(email) > 254 or not EMAIL_PATTERN.match(email)):
        raise DomainError(_("Enter a valid email address, like name@example.com."), field="email")
    if not PHONE_PATTERN.match(phone) or sum(c.isdigit() for c in phone) < 6:
        raise DomainError(_("Enter a phone number with its country code, like +84 912 345 678."), field="phone")
    if country not in COUNTRIES:
        raise DomainError(_("Choose your country from the list."), field="country")
    if locale not in LOCALES:
        raise DomainError(_("Choose a language from the list."), field="language")
    return Contact(name, email, phone, country, locale)


def party_total(party: dict[str, int], experience: Experience) -> tuple[int, list[BookingLine]]:
    prices = {t.code: t.price for t in experience.price_tiers}
    lines = [BookingLine(tier_code=code, quantity=qty, unit_price=prices[code])
             for code, qty in sorted(party.items(), key=lambda item: list(prices).index(item[0]))]
    return sum(line.quantity * line.unit_price for line in lines), lines


# --- sessions: when can they be booked -------------------------------------------

def booking_closed_reason(session: ExperienceSession, experience: Experience, now: datetime, *,
                          cutoff_applies: bool = True):
    """Why this session cannot be booked now (a message), or None when it can.

    Guests booking online stop at the experience's cut-off (`booking_cutoff_minutes` before
    the start), so the village can prepare; with `cutoff_applies=False` (the staff booking a
    guest who is at the gate) the session stays bookable until it starts.
    """
    if experience.status != PublicationStatus.PUBLISHED:
        return _("This experience cannot be booked.")
    if session.status == SessionStatus.CANCELLED:
        return _("This session was cancelled.")
    if session.closure_id is not None:
        return _("The village is closed that day.")
    if session.starts_at <= now:
        return _("This session has already started.")
    if cutoff_applies and session.starts_at - timedelta(minutes=experience.booking_cutoff_minutes) <= now:
        return _("Booking for this session has closed; it starts soon.")
    return None


def expired_held_seats(session_id_column, now: datetime):
    """Seats still counted in `seats_held` whose hold has already expired (a correlated subquery)."""
    return (
        select(func.coalesce(func.sum(Booking.seats), 0))
        .where(Booking.session_id == session_id_column, Booking.status == BookingStatus.HELD,
               Booking.hold_expires_at <= now)
        .scalar_subquery()
    )


# --- seats --------------------------------------------------------------------------

def release_expired_holds(dbsession, *, now: datetime, session_id: int | None = None) -> int:
    """Expire held bookings whose time is up and give their seats back; returns seats freed.

    Safe under concurrency: a hold is expired by a conditional UPDATE, so two callers never
    both give back the same seats.
    """
    where = [Booking.status == BookingStatus.HELD, Booking.hold_expires_at <= now]
    if session_id is not None:
        where.append(Booking.session_id == session_id)
    expired = dbsession.execute(
        update(Booking).where(*where).values(status=BookingStatus.EXPIRED)
        .returning(Booking.id, Booking.session_id, Booking.seats)
        .execution_options(synchronize_session=False)
    ).all()
    freed = 0
    for _id, sid, seats in expired:
        _give_back(dbsession, sid, seats, held=True)
        freed += seats
    if expired:
        # The units held with them go back to the shelf too (none of them was handed over).
        checkout.give_back_products(dbsession, [row[0] for row in expired])
    return freed


def _resource_slots(dbsession, session: ExperienceSession) -> list[int]:
    return list(dbsession.scalars(
        select(ResourceSlot.id).join(ExperienceResource, ExperienceResource.resource_id == ResourceSlot.resource_id)
        .where(ExperienceResource.experience_id == session.experience_id, ResourceSlot.starts_at == session.starts_at)
    ))


def _give_back(dbsession, session_id: int, seats: int, *, held: bool) -> None:
    column = ExperienceSession.seats_held if held else ExperienceSession.seats_booked
    dbsession.execute(update(ExperienceSession).where(ExperienceSession.id == session_id)
                      .values({column: column - seats}).execution_options(synchronize_session=False))
    session = dbsession.get(ExperienceSession, session_id)
    slots = _resource_slots(dbsession, session)
    if slots:
        dbsession.execute(update(ResourceSlot).where(ResourceSlot.id.in_(slots))
                          .values(seats_taken=ResourceSlot.seats_taken - seats))
    dbsession.expire(session)


def seats_left_now(dbsession, session: ExperienceSession, now: datetime) -> int:
    row = dbsession.execute(
        select(ExperienceSession.capacity - ExperienceSession.seats_booked - ExperienceSession.seats_held
               + expired_held_seats(ExperienceSession.id, now))
        .where(ExperienceSession.id == session.id)
    ).one()
    left = row[0]
    for slot in dbsession.scalars(select(ResourceSlot).where(ResourceSlot.id.in_(_resource_slots(dbsession, session)))):
        left = min(left, slot.capacity - slot.seats_taken)
    return left


def keep_session_row(dbsession, session: ExperienceSession) -> None:
    """Keep the session's row from being deleted until the commit, or raise DomainError if it
    is gone: a schedule change deleted it (it had no guests) after the guest opened its page.

    FOR KEY SHARE is the lock the booking's foreign key takes anyway, taken first so that a
    deleted session is a plain "no longer available" instead of the key's IntegrityError. It
    blocks only a DELETE (which then keeps the session, as it has a booking: see
    scheduling.services), never other guests' seat updates. SQLite has no row locks and needs
    none: one writer at a time.
    """
    there = dbsession.scalar(select(ExperienceSession.id).where(ExperienceSession.id == session.id)
                             .with_for_update(read=True, key_share=True))
    if there is None:
        raise DomainError(_("This session is no longer available: choose another date."), field="session")


def take_seats(dbsession, session: ExperienceSession, seats: int, *, now: datetime, held: bool) -> None:
    """Take `seats` on the session (as held or booked seats) or raise NotEnoughSeats.

    The check and the write are one conditional UPDATE: under any concurrency only
    requests that fit succeed. Call inside a savepoint when more follows.
    """
    slots = _resource_slots(dbsession, session)  # read before the row lock is taken
    release_expired_holds(dbsession, now=now, session_id=session.id)
    column = ExperienceSession.seats_held if held else ExperienceSession.seats_booked
    fits = (ExperienceSession.seats_booked + ExperienceSession.seats_held + seats <= ExperienceSession.capacity)
    if SEAT_GUARD.enabled:
        result = dbsession.execute(
            update(ExperienceSession)
            .where(ExperienceSession.id == session.id, ExperienceSession.status == SessionStatus.OPEN,
                   ExperienceSession.closure_id.is_(None), fits)
            .values({column: column + seats, ExperienceSession.ever_booked: True})
            .execution_options(synchronize_session=False)
        )
        taken = result.rowcount == 1
    else:  # negative control only: read, pause, write back (the race)
        row = dbsession.execute(select(ExperienceSession.capacity, ExperienceSession.seats_booked,
                                       ExperienceSession.seats_held)
                                .where(ExperienceSession.id == session.id)).one()
        taken = row.seats_booked + row.seats_held + seats <= row.capacity
        SEAT_GUARD.pause()
        if taken:
            current = row.seats_held if held else row.seats_booked
            dbsession.execute(update(ExperienceSession).where(ExperienceSession.id == session.id)
                              .values({column: current + seats, ExperienceSession.ever_booked: True})
                              .execution_options(synchronize_session=False))
    if not taken:
        dbsession.expire(session)
        raise NotEnoughSeats(seats_left_now(dbsession, session, now))
    if slots:
        result = dbsession.execute(
            update(ResourceSlot)
            .where(ResourceSlot.id.in_(slots), ResourceSlot.seats_taken + seats <= ResourceSlot.capacity)
            .values(seats_taken=ResourceSlot.seats_taken + seats)
        )
        if result.rowcount != len(slots):
            raise NotEnoughSeats(seats_left_now(dbsession, session, now))
    dbsession.expire(session)


# --- tokens and references ----------------------------------------------------------

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(dbsession, booking: Booking) -> str:
    """A new private link token for the booking; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    booking.tokens.append(BookingToken(token_hash=hash_token(token)))
    dbsession.flush()
    return token


def find_by_token(dbsession, token: str) -> Booking | None:
    if not token or len(token) > 100:
        return None
    return dbsession.scalar(select(Booking).join(BookingToken).where(BookingToken.token_hash == hash_token(token)))


def new_reference(dbsession) -> str:
    while True:
        reference = "".join(secrets.choice(REFERENCE_ALPHABET) for _position in range(8))
        if dbsession.scalar(select(Booking.id).where(Booking.reference == reference)) is None:
            return reference


def format_reference(reference: str) -> str:
    """"K7M2QX9P" → "K7M2-QX9P": easier to read out on the phone."""
    return f"{reference[:4]}-{reference[4:]}"


# --- the booking life cycle -------------------------------------------------------------

def find_by_form_key(dbsession, form_key: str | None) -> Booking | None:
    """The booking a booking form already made. The form's key is a secret only that form
    carried, so whoever sends it again may have a new private link to the booking."""
    if not form_key:
        return None
    return dbsession.scalar(select(Booking).where(Booking.form_key == form_key[:64]))


def create_hold(dbsession, *, session: ExperienceSession, party: dict[str, int], contact: Contact,
                now: datetime, hold_minutes: int = DEFAULT_HOLD_MINUTES, form_key: str | None = None,
                channel: str = "web", basket: checkout.Basket = checkout.EMPTY_BASKET,
                shipping_fee: int = checkout.DEFAULT_SHIPPING_FEE, cutoff_applies: bool = True) -> tuple[Booking, str]:
    """Hold seats for a party, and the stock of the village's products in `basket`, while
    the guest pays; returns the booking and its private token.

    The total is the party's price, plus the products, plus `shipping_fee` for a delivery.
    The session must be bookable (`booking_closed_reason`; `cutoff_applies=False` only for
    the staff's own bookings, which may be taken until the session starts). Raises DomainError (NotEnoughSeats when the seats are gone, checkout.NotEnoughStock
    naming a product sold out) and then changes nothing: seats and stock are taken in one
    savepoint.
    """
    experience = session.experience
    reason = booking_closed_reason(session, experience, now, cutoff_applies=cutoff_applies)
    if reason:
        raise DomainError(reason, field="session")
    check_party(party, experience)
    total, lines = party_total(party, experience)
    delivery = basket.fulfilment == Fulfilment.DELIVERY and basket.address is not None
    fee = shipping_fee if basket and delivery else 0
    if basket and basket.fulfilment == Fulfilment.DELIVERY and basket.address is None:
        raise DomainError(_("Enter the delivery address."), field="delivery_street")
    seats = sum(party.values())
    reference = new_reference(dbsession)
    token = secrets.token_urlsafe(32)
    try:
        with dbsession.begin_nested():
            keep_session_row(dbsession, session)
            booking = Booking(
                reference=reference, experience_id=experience.id, session_id=session.id,
                status=BookingStatus.HELD, seats=seats, total_amount=total, currency=experience.currency,
                contact_name=contact.name, contact_email=contact.email, contact_phone=contact.phone,
                contact_country=contact.country, locale=contact.locale,
                hold_expires_at=now + timedelta(minutes=hold_minutes), form_key=form_key or None, created_at=now,
                channel=channel, lines=lines, tokens=[BookingToken(token_hash=hash_token(token))],
            )
            if basket:
                booking.product_lines = checkout.take_products(dbsession, basket, contact.locale)
                booking.fulfilment = basket.fulfilment
                booking.shipping_fee = fee
                booking.total_amount = total + booking.products_amount + fee
                if delivery:
                    address = basket.address
                    booking.delivery_name, booking.delivery_phone = address.name, address.phone
                    booking.delivery_street, booking.delivery_ward = address.street, address.ward
                    booking.delivery_district, booking.delivery_province = address.district, address.province
            dbsession.add(booking)
            dbsession.flush()
            # The hot session row last: its lock is then held only until the commit.
            take_seats(dbsession, session, seats, now=now, held=True)
    except IntegrityError:
        # The same form sent twice at the same moment: the other request made the booking.
        existing = find_by_form_key(dbsession, form_key) if form_key else None
        if existing is None:
            raise
        return existing, issue_token(dbsession, existing)
    return booking, token


def confirm_booking(dbsession, booking: Booking, *, now: datetime, registry=None) -> None:
    """Turn a held booking into a confirmed one (idempotent for a confirmed booking).

    A hold that expired meanwhile re-takes its seats if they are still free; otherwise
    NotEnoughSeats is raised and nothing changes.
    """
    if booking.status == BookingStatus.CONFIRMED:
        return
    if booking.status not in (BookingStatus.HELD, BookingStatus.EXPIRED):
        raise DomainError(_("This booking was cancelled and cannot be confirmed."))
    with dbsession.begin_nested():
        still_held = dbsession.execute(
            update(Booking).where(Booking.id == booking.id, Booking.status == BookingStatus.HELD,
                                  Booking.hold_expires_at > now)
            .values(status=BookingStatus.CONFIRMED, confirmed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if still_held:
            dbsession.execute(
                update(ExperienceSession).where(ExperienceSession.id == booking.session_id)
                .values(seats_held=ExperienceSession.seats_held - booking.seats,
                        seats_booked=ExperienceSession.seats_booked + booking.seats)
                .execution_options(synchronize_session=False)
            )
        else:
            release_expired_holds(dbsession, now=now, session_id=booking.session_id)
            dbsession.refresh(booking)
            if booking.status != BookingStatus.EXPIRED:
                raise DomainError(_("This booking was cancelled and cannot be confirmed."))
            take_seats(dbsession, booking.session, booking.seats, now=now, held=False)
            # Expiry put its products back on the shelf: they must still be there.
            checkout.take_products(dbsession, checkout.Basket(tuple(
                (line.product_id, line.quantity) for line in booking.product_lines)), booking.locale)
            booking.status = BookingStatus.CONFIRMED
            booking.confirmed_at = now
        dbsession.flush()
    dbsession.refresh(booking)
    dbsession.expire(booking.session)
    if registry is not None:
        registry.notify(BookingConfirmed(booking, dbsession, now, registry))


def refund_due(booking: Booking, paid: int, now: datetime) -> tuple[int, int]:
    """(percent, amount) given back if the booking is cancelled at `now`.

    The policy's percent applies to the experience; the village's products not yet handed
    over (and the shipping fee, while nothing has been handed over) come back in full. What
    was paid counts towards the products first, so a part payment is never over-refunded.
    """
    hours = (booking.session.starts_at - now).total_seconds() / 3600
    percent = refund_percent(booking.experience.cancellation_rules, hours) if hours > 0 else 0
    goods = booking.products_amount + booking.shipping_fee
    handed_over = [line for line in booking.product_lines if line.handed_over_at is not None]
    goods_back = goods - sum(line.amount for line in handed_over) - (booking.shipping_fee if handed_over else 0)
    for_goods = min(paid, goods)
    return percent, (paid - for_goods) * percent // 100 + min(for_goods, goods_back)


def cancel_booking(dbsession, booking: Booking, *, now: datetime, registry=None, refund=None) -> int:
    """Cancel and give the seats back; returns the amount refunded (by `refund(amount)`).

    Idempotent: cancelling a cancelled booking does nothing and refunds nothing.
    """
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED):
        return 0
    if booking.session.starts_at <= now:
        raise DomainError(_("This session has already started; it can no longer be cancelled."))
    was = booking.status
    with dbsession.begin_nested():
        changed = dbsession.execute(
            update(Booking).where(Booking.id == booking.id, Booking.status == was)
            .values(status=BookingStatus.CANCELLED, cancelled_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if not changed:  # someone else changed it meanwhile
            dbsession.refresh(booking)
            return 0
        _give_back(dbsession, booking.session_id, booking.seats, held=(was == BookingStatus.HELD))
        checkout.give_back_products(dbsession, [booking.id])
        refunded = refund(booking) if refund is not None else 0
        dbsession.flush()
    dbsession.refresh(booking)
    if registry is not None:
        event = BookingCancelled(booking, dbsession, now, registry)
        event.refund_amount = refunded
        registry.notify(event)
    return refunded


def move_booking(dbsession, booking: Booking, new_session: ExperienceSession, *, now: datetime, registry=None) -> None:
    """Move a confirmed booking to another session of the same experience, atomically.

    The new seats are taken before the old ones are given back; if the new session is
    full (or closed, past, another experience's) nothing changes.
    """
    if booking.status != BookingStatus.CONFIRMED:
        raise DomainError(_("Only a confirmed booking can be moved."))
    if new_session.experience_id != booking.experience_id:
        raise DomainError(_("A booking can only move to another session of the same experience."), field="session")
    if new_session.id == booking.session_id:
        return
    if booking.session.starts_at <= now:
        raise DomainError(_("This session has already started; it can no longer be moved."))
    reason = booking_closed_reason(new_session, new_session.experience, now)
    if reason:
        raise DomainError(reason, field="session")
    old_session_id = booking.session_id
    with dbsession.begin_nested():
        take_seats(dbsession, new_session, booking.seats, now=now, held=False)
        _give_back(dbsession, old_session_id, booking.seats, held=False)
        booking.session_id = new_session.id
        dbsession.flush()
    dbsession.refresh(booking)
    if registry is not None:
        registry.notify(BookingMoved(booking, dbsession, now, registry))


def extend_hold(dbsession, booking: Booking, *, minutes: int, now: datetime) -> None:
    """Keep a held booking's seats `minutes` from now; DomainError if the hold has already
    ended (expired, confirmed or cancelled), and then nothing changes."""
    extended = dbsession.execute(
        update(Booking).where(Booking.id == booking.id, Booking.status == BookingStatus.HELD,
                              Booking.hold_expires_at > now)
        .values(hold_expires_at=now + timedelta(minutes=minutes))
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    dbsession.refresh(booking)
    if not extended:
        raise DomainError(_("This booking is no longer held, so its hold cannot be extended."))


def rebook(dbsession, booking: Booking, session: ExperienceSession, party: dict[str, int], *, now: datetime) -> None:
    """Change a held or confirmed booking's session (of any experience) and party, re-priced
    at today's prices: for bookings paid outside our payments (a reseller's), whose total
    nobody has paid to us. The new seats are taken before the old ones are given back, in
    one savepoint; DomainError (NotEnoughSeats, a closed session, a party out of bounds)
    changes nothing.
    """
    held = booking.status == BookingStatus.HELD
    if not held and booking.status != BookingStatus.CONFIRMED:
        raise DomainError(_("This booking was cancelled and cannot be changed."))
    if held and booking.hold_expires_at <= now:
        raise DomainError(_("This booking is no longer held, so it cannot be changed."))
    if booking.session.starts_at <= now:
        raise DomainError(_("This session has already started; it can no longer be moved."))
    experience = session.experience
    seats = sum(party.values())
    same_session = session.id == booking.session_id
    if not same_session or seats > booking.seats:
        reason = booking_closed_reason(session, experience, now)
        if reason:
            raise DomainError(reason, field="session")
    check_party(party, experience)
    total, lines = party_total(party, experience)
    with dbsession.begin_nested():
        if not same_session:
            keep_session_row(dbsession, session)
            take_seats(dbsession, session, seats, now=now, held=held)
            _give_back(dbsession, booking.session_id, booking.seats, held=held)
        elif seats > booking.seats:
            take_seats(dbsession, session, seats - booking.seats, now=now, held=held)
        elif seats < booking.seats:
            _give_back(dbsession, session.id, booking.seats - seats, held=held)
        booking.experience_id, booking.session_id = experience.id, session.id
        booking.seats, booking.lines = seats, lines
        booking.total_amount = total + booking.products_amount + booking.shipping_fee
        booking.currency = experience.currency
        dbsession.flush()
    dbsession.refresh(booking)


def expire_holds_task(dbsession, now: datetime, registry) -> None:
    """Worker task: release every expired hold for good."""
    release_expired_holds(dbsession, now=now)


def operator_booking_ids(operator_id: int):
    """A subquery of the ids of the bookings at the operator's villages (for console lists)."""
    return (select(Booking.id).join(Experience, Experience.id == Booking.experience_id)
            .join(Village, Village.id == Experience.village_id).where(Village.operator_id == operator_id))
