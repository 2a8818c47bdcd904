"""OCTO's rules: what a reseller may see, and its bookings' life cycle over booking.services.

Every change goes through the same services as our own pages (create_hold, confirm_booking,
cancel_booking, rebook, extend_hold), so reseller holds take seats under the same invariant
and expire the same way. A service here raises an `OctoError` before changing anything, or
after a booking service's DomainError has rolled its savepoint back.
"""
import re
import uuid as uuid_module
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tourism.booking import services as booking_services
from tourism.booking.availability import SessionAvailability, availability
from tourism.booking.models import Booking, BookingStatus
from tourism.catalog.models import Experience, PublicationStatus, Village
from tourism.catalog.services import refund_percent
from tourism.exceptions import DomainError
from tourism.i18n import LOCALES, _, normalize_locale
from tourism.octo import errors
from tourism.octo.mapping import OPTION_ID, is_start_time
from tourism.octo.models import RESELLER_CHANNEL, Reseller, ResellerBooking, ResellerExperience
from tourism.scheduling.models import ExperienceSession
from tourism.scheduling.services import local_day_bounds

DEFAULT_HOLD_MINUTES = 30
MAX_HOLD_MINUTES = 24 * 60  # a channel may hold seats for a day at most
MAX_RANGE_DAYS = 366
MAX_UNIT_ITEMS = 200
MAX_TEXT = 1000
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- reading the request -------------------------------------------------------------------

def as_object(body) -> dict:
    if not isinstance(body, dict):
        raise errors.BadRequest(_("The request body must be a JSON object."))
    return body


def text_field(body: dict, name: str, *, max_length: int = MAX_TEXT) -> str | None:
    """An optional string field: None when absent or null; BAD_REQUEST when not a string or too long."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise errors.BadRequest(_("${field} must be a string.", mapping={"field": name}))
    value = "".join(c for c in value if c.isprintable() or c == "\n").strip()
    if len(value) > max_length:
        raise errors.BadRequest(_("${field} is too long: at most ${count} characters.",
                                  mapping={"field": name, "count": max_length}))
    return value


def minutes_field(body: dict, name: str = "expirationMinutes") -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise errors.BadRequest(_("${field} must be a whole number of minutes, at least 1.", mapping={"field": name}))
    return min(value, MAX_HOLD_MINUTES)


def parse_date(value, name: str) -> date:
    if not isinstance(value, str) or not DATE_PATTERN.match(value):
        raise errors.BadRequest(_("${field} must be a date like 2026-12-05.", mapping={"field": name}))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise errors.BadRequest(_("${field} must be a date like 2026-12-05.", mapping={"field": name})) from None


def parse_uuid(value) -> str:
    """A reseller's uuid in its canonical form; BAD_REQUEST when it is not one."""
    if not isinstance(value, str):
        raise errors.BadRequest(_("uuid must be a UUID string."))
    try:
        return str(uuid_module.UUID(value))
    except ValueError:
        raise errors.BadRequest(_("uuid must be a UUID string.")) from None


# --- what a reseller may sell ----------------------------------------------------------------

def sellable(reseller: Reseller):
    """The experiences this reseller may sell now: chosen for it, published, its operator's."""
    return (select(Experience)
            .join(ResellerExperience, ResellerExperience.experience_id == Experience.id)
            .join(Village, Village.id == Experience.village_id)
            .where(ResellerExperience.reseller_id == reseller.id, Village.operator_id == reseller.operator_id,
                   Experience.status == PublicationStatus.PUBLISHED)
            .order_by(Experience.id))


def products(dbsession, reseller: Reseller) -> list[Experience]:
    return list(dbsession.scalars(sellable(reseller)))


def find_product(dbsession, reseller: Reseller, product_id) -> Experience:
    if not isinstance(product_id, str) or not product_id or len(product_id) > 80:
        raise errors.InvalidProductId(product_id)
    experience = dbsession.scalar(sellable(reseller).where(Experience.slug == product_id))
    if experience is None:
        raise errors.InvalidProductId(product_id)
    return experience


def check_option(option_id) -> None:
    if option_id != OPTION_ID:
        raise errors.InvalidOptionId(option_id)


def upcoming_starts(dbsession, experience: Experience, now: datetime, days: int = 60) -> list[datetime]:
    """Start times of the coming sessions (for the option's `availabilityLocalStartTimes`)."""
    return list(dbsession.scalars(
        select(ExperienceSession.starts_at).where(ExperienceSession.experience_id == experience.id,
                                                  ExperienceSession.starts_at >= now,
                                                  ExperienceSession.starts_at < now + timedelta(days=days))))


# --- availability --------------------------------------------------------------------------

def parse_units(value, experience: Experience, *, field: str = "units") -> dict[str, int]:
    """`units: [{id, quantity}]` of an availability request → tier code: quantity."""
    if value is None:
        return {}
    if not isinstance(value, list) or len(value) > MAX_UNIT_ITEMS:
        raise errors.BadRequest(_("${field} must be a list.", mapping={"field": field}))
    tiers = {tier.code for tier in experience.price_tiers}
    party: Counter = Counter()
    for item in value:
        if not isinstance(item, dict):
            raise errors.BadRequest(_("${field} must be a list.", mapping={"field": field}))
        unit_id, quantity = item.get("id"), item.get("quantity")
        if unit_id not in tiers:
            raise errors.InvalidUnitId(unit_id)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 <= quantity <= 999:
            raise errors.BadRequest(_("Each unit's quantity must be a whole number from 0 to 999."))
        party[unit_id] += quantity
    return {code: count for code, count in party.items() if count}


def date_range(body: dict, *, single_day_field: str | None) -> tuple[date, date] | None:
    """(first, last) local days asked for; None when the request gives none."""
    if single_day_field and body.get(single_day_field) is not None:
        day = parse_date(body[single_day_field], single_day_field)
        return day, day
    start, end = body.get("localDateStart"), body.get("localDateEnd")
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise errors.BadRequest(_("Give both localDateStart and localDateEnd."))
    first, last = parse_date(start, "localDateStart"), parse_date(end, "localDateEnd")
    if last < first:
        raise errors.BadRequest(_("localDateEnd must not be before localDateStart."))
    if (last - first).days >= MAX_RANGE_DAYS:
        raise errors.BadRequest(_("Ask for at most ${count} days at a time.", mapping={"count": MAX_RANGE_DAYS}))
    return first, last


def availability_question(body: dict) -> str:
    """Which of OCTO's three questions an availability check asks: "day" (localDate),
    "range" (localDateStart and localDateEnd) or "ids" (availabilityIds). Exactly one:
    anything else, several at once included, is a BAD_REQUEST."""
    given = [name for name in ("localDate", "localDateStart", "localDateEnd", "availabilityIds")
             if body.get(name) is not None]
    if given == ["localDate"]:
        return "day"
    if given == ["localDateStart", "localDateEnd"]:
        return "range"
    if given == ["availabilityIds"]:
        ids = body["availabilityIds"]
        if isinstance(ids, list) and ids and len(ids) <= MAX_UNIT_ITEMS:
            return "ids"
    raise errors.BadRequest(_("Give localDate, or localDateStart and localDateEnd, or availabilityIds: one of them."))


def sessions_between(dbsession, experience: Experience, first: date, last: date,
                     now: datetime) -> list[SessionAvailability]:
    tz = ZoneInfo(experience.village.time_zone)
    start, _unused = local_day_bounds(first, tz)
    _unused, end = local_day_bounds(last, tz)
    return availability(dbsession, experience, start=start, end=end, now=now)


def parse_availability_id(value, experience: Experience) -> tuple[datetime, datetime]:
    """The UTC window an availability id names: its instant (START_TIME) or its local day.
    Raises INVALID_AVAILABILITY_ID for anything that is not one of our ids."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        raise errors.InvalidAvailabilityId(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise errors.InvalidAvailabilityId(value) from None
    if moment.tzinfo is None:
        raise errors.InvalidAvailabilityId(value)
    if is_start_time(experience):
        return moment, moment + timedelta(microseconds=1)
    tz = ZoneInfo(experience.village.time_zone)
    return local_day_bounds(moment.astimezone(tz).date(), tz)


def availability_by_ids(dbsession, experience: Experience, ids: list, now: datetime) -> list[SessionAvailability]:
    """The availabilities among `ids` that exist (an unknown id is simply not returned)."""
    found: dict[int, SessionAvailability] = {}
    for value in ids:
        try:
            start, end = parse_availability_id(value, experience)
        except errors.InvalidAvailabilityId:
            continue
        for item in availability(dbsession, experience, start=start, end=end, now=now):
            found[item.session_id] = item
    return sorted(found.values(), key=lambda item: item.starts_at)


def session_availability(dbsession, booking: Booking, now: datetime) -> SessionAvailability | None:
    """The availability of the booking's session, as a reseller reads it now."""
    starts_at = booking.session.starts_at
    found = availability(dbsession, booking.experience, start=starts_at, end=starts_at + timedelta(microseconds=1),
                         now=now)
    return found[0] if found else None


def calendar_days(experience: Experience, items: list[SessionAvailability], first: date, last: date) -> list[tuple]:
    """(day, that day's availabilities) for every local day from first to last."""
    tz = ZoneInfo(experience.village.time_zone)
    by_day: dict[date, list[SessionAvailability]] = {}
    for item in items:
        by_day.setdefault(item.starts_at.astimezone(tz).date(), []).append(item)
    days, day = [], first
    while day <= last:
        days.append((day, by_day.get(day, [])))
        day += timedelta(days=1)
    return days


def find_session(dbsession, experience: Experience, value) -> ExperienceSession:
    start, end = parse_availability_id(value, experience)
    session = dbsession.scalar(select(ExperienceSession).where(
        ExperienceSession.experience_id == experience.id, ExperienceSession.starts_at >= start,
        ExperienceSession.starts_at < end).order_by(ExperienceSession.starts_at))
    if session is None:
        raise errors.InvalidAvailabilityId(value)
    return session


# --- bookings: reading them ------------------------------------------------------------------

def find_booking(dbsession, reseller: Reseller, value) -> Booking:
    try:
        canonical = parse_uuid(value)
    except errors.BadRequest:
        raise errors.InvalidBookingUuid(value) from None
    booking = dbsession.scalar(select(Booking).join(ResellerBooking, ResellerBooking.booking_id == Booking.id)
                               .where(ResellerBooking.reseller_id == reseller.id, ResellerBooking.uuid == canonical))
    if booking is None:
        raise errors.InvalidBookingUuid(value)
    return booking


def list_bookings(dbsession, reseller: Reseller, *, reseller_reference: str | None,
                  supplier_reference: str | None) -> list[Booking]:
    if not reseller_reference and not supplier_reference:
        raise errors.BadRequest(_("Give resellerReference or supplierReference."))
    query = (select(Booking).join(ResellerBooking, ResellerBooking.booking_id == Booking.id)
             .where(ResellerBooking.reseller_id == reseller.id).order_by(Booking.id))
    if reseller_reference:
        query = query.where(ResellerBooking.reseller_reference == reseller_reference[:100])
    if supplier_reference:
        query = query.where(Booking.reference == supplier_reference.replace("-", "").strip().upper()[:12])
    return list(dbsession.scalars(query.limit(500)))


# --- bookings: changing them -----------------------------------------------------------------

def parse_unit_items(value, experience: Experience) -> tuple[dict[str, int], list[dict]]:
    """`unitItems` → (party, the items as stored). Each item is one guest of a unit (tier)."""
    # No guests at all is "understood but cannot be booked" for OCTO (its validator expects
    # UNPROCESSABLE_ENTITY); a malformed list is a bad request.
    if value is None or value == []:
        raise errors.Unprocessable(_("unitItems must list at least one unit."))
    if not isinstance(value, list):
        raise errors.BadRequest(_("unitItems must list at least one unit."))
    if len(value) > MAX_UNIT_ITEMS:
        raise errors.Unprocessable(_("Book for at most ${count} people.", mapping={"count": experience.max_party}))
    tiers = {tier.code for tier in experience.price_tiers}
    items = []
    for item in value:
        if not isinstance(item, dict):
            raise errors.BadRequest(_("unitItems must list at least one unit."))
        unit_id = item.get("unitId")
        if not isinstance(unit_id, str) or unit_id not in tiers:
            raise errors.InvalidUnitId(unit_id)
        item_uuid = parse_uuid(item["uuid"]) if item.get("uuid") is not None else str(uuid_module.uuid4())
        items.append({"uuid": item_uuid, "unitId": unit_id,
                      "resellerReference": text_field(item, "resellerReference", max_length=100)})
    return dict(Counter(item["unitId"] for item in items)), items


def parse_contact(value, current: dict | None = None) -> dict:
    """The OCTO contact, checked; fields not sent keep their `current` value."""
    contact = dict(current or {})
    if value is None:
        return contact
    if not isinstance(value, dict):
        raise errors.BadRequest(_("contact must be an object."))
    for name, limit in (("fullName", 200), ("firstName", 100), ("lastName", 100), ("phoneNumber", 40),
                        ("postalCode", 20), ("notes", MAX_TEXT)):
        if name in value:
            contact[name] = text_field(value, name, max_length=limit) or None
    if "emailAddress" in value:
        email = (text_field(value, "emailAddress", max_length=254) or "").lower()
        if email and not booking_services.EMAIL_PATTERN.match(email):
            raise errors.BadRequest(_("Enter a valid email address, like name@example.com."))
        contact["emailAddress"] = email or None
    if "country" in value:
        country = (text_field(value, "country", max_length=2) or "").upper()
        if country and country not in booking_services.COUNTRIES:
            raise errors.BadRequest(_("country must be a two-letter country code, like VN."))
        contact["country"] = country or None
    if "locales" in value:
        locales = value["locales"]
        if not isinstance(locales, list) or not all(isinstance(code, str) and len(code) <= 35 for code in locales):
            raise errors.BadRequest(_("locales must be a list of language tags."))
        contact["locales"] = locales[:10]
    return contact


def _apply_contact(booking: Booking, contact: dict, fallback_locale: str) -> None:
    full = contact.get("fullName") or " ".join(filter(None, (contact.get("firstName"), contact.get("lastName"))))
    booking.contact_name = full[:booking_services.MAX_NAME_LENGTH]
    booking.contact_email = contact.get("emailAddress") or ""
    booking.contact_phone = contact.get("phoneNumber") or ""
    booking.contact_country = contact.get("country") or ""
    booking.locale = guest_locale(contact, fallback_locale)


def guest_locale(contact: dict, fallback: str) -> str:
    for tag in contact.get("locales") or []:
        chosen = normalize_locale(tag)
        if chosen:
            return chosen
    return fallback if fallback in LOCALES else "en"


def _unprocessable(error: DomainError) -> errors.Unprocessable:
    return errors.Unprocessable(error.message if hasattr(error, "message") else str(error))


def reserve(dbsession, reseller: Reseller, body: dict, *, now: datetime, locale: str) -> Booking:
    """Hold seats for the reseller until `utcExpiresAt`. A reserve sent again with the same
    uuid returns the booking it made, whatever else it carries: it never books twice."""
    body = as_object(body)
    booking_uuid = parse_uuid(body["uuid"]) if body.get("uuid") is not None else str(uuid_module.uuid4())
    existing = _by_uuid(dbsession, reseller, booking_uuid)
    if existing is not None:
        return existing
    experience = find_product(dbsession, reseller, body.get("productId"))
    check_option(body.get("optionId"))
    if body.get("availabilityId") is None:
        raise errors.InvalidAvailabilityId(None)
    session = find_session(dbsession, experience, body.get("availabilityId"))
    party, items = parse_unit_items(body.get("unitItems"), experience)
    contact = parse_contact(body.get("contact"))
    minutes = minutes_field(body) or DEFAULT_HOLD_MINUTES
    notes = text_field(body, "notes")
    reference = text_field(body, "resellerReference", max_length=100)
    form_key = f"octo:{reseller.id}:{booking_uuid}"
    guest = booking_services.Contact(name="", email="", phone="", country="", locale=guest_locale(contact, locale))
    try:
        booking, _token = booking_services.create_hold(
            dbsession, session=session, party=party, contact=guest, now=now, hold_minutes=minutes,
            form_key=form_key, channel=RESELLER_CHANNEL)
    except DomainError as error:
        raise _unprocessable(error) from None
    if booking.reseller_booking is not None:  # the same reserve, sent twice at once, made it
        return booking
    _apply_contact(booking, contact, locale)
    try:
        with dbsession.begin_nested():
            dbsession.add(ResellerBooking(booking_id=booking.id, reseller_id=reseller.id, uuid=booking_uuid,
                                          reseller_reference=reference, unit_items=items, contact=contact,
                                          notes=notes, updated_at=now))
            dbsession.flush()
    except IntegrityError:
        raise errors.BadRequest(_("This uuid is already used by another booking.")) from None
    dbsession.refresh(booking)
    return booking


def _by_uuid(dbsession, reseller: Reseller, booking_uuid: str) -> Booking | None:
    return dbsession.scalar(select(Booking).join(ResellerBooking, ResellerBooking.booking_id == Booking.id)
                            .where(ResellerBooking.reseller_id == reseller.id, ResellerBooking.uuid == booking_uuid))


def _touch(booking: Booking, now: datetime) -> None:
    booking.reseller_booking.updated_at = now


def extend(dbsession, booking: Booking, body: dict, *, now: datetime) -> Booking:
    minutes = minutes_field(as_object(body)) or DEFAULT_HOLD_MINUTES
    try:
        booking_services.extend_hold(dbsession, booking, minutes=minutes, now=now)
    except DomainError as error:
        raise _unprocessable(error) from None
    _touch(booking, now)
    return booking


def confirm(dbsession, booking: Booking, body: dict, *, now: datetime, locale: str, registry) -> Booking:
    """Confirm the hold, with the guest's contact; the units may change at the same time.
    Confirming a confirmed booking again changes only what the body sends."""
    body = as_object(body)
    extra = booking.reseller_booking
    contact = parse_contact(body.get("contact"), extra.contact)
    reference = text_field(body, "resellerReference", max_length=100)
    if booking.status == BookingStatus.CANCELLED:
        raise errors.Unprocessable(_("This booking was cancelled and cannot be confirmed."))
    if body.get("unitItems") is not None and booking.status == BookingStatus.HELD:
        _change(dbsession, booking, booking.session, body.get("unitItems"), now=now)
    if booking.status != BookingStatus.CONFIRMED:
        try:
            booking_services.confirm_booking(dbsession, booking, now=now, registry=registry)
        except DomainError as error:
            raise _unprocessable(error) from None
    _apply_contact(booking, contact, locale)
    extra.contact = contact
    if reference is not None:
        extra.reseller_reference = reference or None
    _touch(booking, now)
    dbsession.flush()
    return booking


def _change(dbsession, booking: Booking, session: ExperienceSession, unit_items, *, now: datetime) -> None:
    party, items = parse_unit_items(unit_items, session.experience) if unit_items is not None else \
        (_party_of(booking), booking.reseller_booking.unit_items)
    try:
        booking_services.rebook(dbsession, booking, session, party, now=now)
    except DomainError as error:
        raise _unprocessable(error) from None
    booking.reseller_booking.unit_items = items


def _party_of(booking: Booking) -> dict[str, int]:
    return {line.tier_code: line.quantity for line in booking.lines}


def update(dbsession, booking: Booking, body: dict, *, now: datetime, locale: str) -> Booking:
    """Change what the body sends: units, date (availabilityId), product (productId, with its
    optionId and availabilityId), contact, notes, reference, the hold's expiry."""
    body = as_object(body)
    extra = booking.reseller_booking
    if booking.status not in (BookingStatus.HELD, BookingStatus.CONFIRMED) or \
            (booking.status == BookingStatus.HELD and booking.hold_expires_at <= now):
        raise errors.Unprocessable(_("This booking is cancelled or expired and cannot be changed."))
    experience = booking.experience
    moves = any(body.get(name) is not None for name in ("productId", "optionId", "availabilityId"))
    if body.get("productId") is not None:
        experience = find_product(dbsession, extra.reseller, body.get("productId"))
    if moves:
        check_option(body.get("optionId", OPTION_ID))
    contact = parse_contact(body.get("contact"), extra.contact)
    notes = text_field(body, "notes") if "notes" in body else extra.notes
    reference = text_field(body, "resellerReference", max_length=100)
    minutes = minutes_field(body)
    if moves or body.get("unitItems") is not None:
        if body.get("availabilityId") is not None:
            session = find_session(dbsession, experience, body.get("availabilityId"))
        elif experience.id != booking.experience_id:
            raise errors.InvalidAvailabilityId(None)
        else:
            session = booking.session
        if body.get("unitItems") is None and experience.id != booking.experience_id:
            # The same guests on another product: each must be one of its units.
            items = extra.unit_items
            parse_unit_items([{"unitId": item["unitId"], "uuid": item["uuid"]} for item in items], experience)
        _change(dbsession, booking, session, body.get("unitItems"), now=now)
    if minutes is not None and booking.status == BookingStatus.HELD:
        try:
            booking_services.extend_hold(dbsession, booking, minutes=minutes, now=now)
        except DomainError as error:
            raise _unprocessable(error) from None
    _apply_contact(booking, contact, locale)
    extra.contact, extra.notes = contact, notes
    if reference is not None:
        extra.reseller_reference = reference or None
    _touch(booking, now)
    dbsession.flush()
    return booking


def refund_kind(booking: Booking, now: datetime) -> str:
    if booking.status == BookingStatus.HELD:
        return "FULL"  # nothing was sold
    percent = refund_percent(booking.experience.cancellation_rules,
                             (booking.session.starts_at - now).total_seconds() / 3600)
    return "FULL" if percent >= 100 else "PARTIAL" if percent > 0 else "NONE"


def cancellable(booking: Booking, now: datetime, *, redeemed: bool) -> bool:
    """As on our own pages, a booking may be cancelled until its session starts; what comes
    back follows the policy (the cancellation's `refund`)."""
    if booking.status == BookingStatus.HELD:
        return booking.hold_expires_at > now
    if booking.status != BookingStatus.CONFIRMED or redeemed:
        return False
    return now < booking.session.starts_at


def cancel(dbsession, booking: Booking, body: dict, *, now: datetime, registry, redeemed: bool) -> Booking:
    """Cancel (idempotent: a cancelled booking is returned as it is), until the session
    starts; the refund owed follows the policy. `force` changes nothing: the start is the
    start."""
    body = as_object(body)
    reason = text_field(body, "reason", max_length=300)
    if booking.status == BookingStatus.CANCELLED:
        return booking
    if redeemed:
        raise errors.Unprocessable(_("This booking has been used: its guests were checked in."))
    held_out = booking.status == BookingStatus.HELD and booking.hold_expires_at <= now
    if booking.status == BookingStatus.EXPIRED or held_out:
        raise errors.Unprocessable(_("This booking has expired: its seats were already released."))
    if not cancellable(booking, now, redeemed=redeemed):
        raise errors.Unprocessable(_("This session has already started; it can no longer be cancelled."))
    refund = refund_kind(booking, now)
    try:
        booking_services.cancel_booking(dbsession, booking, now=now, registry=registry)
    except DomainError as error:
        raise _unprocessable(error) from None
    extra = booking.reseller_booking
    extra.cancellation_reason, extra.cancellation_refund = reason, refund
    _touch(booking, now)
    dbsession.flush()
    return booking

