"""Our catalog and bookings as OCTO objects: products, options, units, availabilities, bookings.

- An experience is a product; its id is the experience's slug. Tours and workshops are
  START_TIME products (one availability per session); admission tickets are OPENING_HOURS
  (one all-day availability per open day, with the day's opening hours).
- Each product has one option, "DEFAULT", carrying the start times, the cancellation
  cut-off and the party limits; price tiers are its units (adult → ADULT…).
- An availability's id is its local start, ISO 8601 with the village's offset
  ("2026-12-05T07:00:00+07:00"; midnight for an admission day), as OCTO suppliers usually do.
- One voucher per booking (our ticket admits the whole party): a QR code and a PDF URL.

Prices are VND, which has no minor unit (currencyPrecision 0). `net` is what the village
receives: the retail price less the reseller's commission.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.numbers import get_currency_precision

from tourism.booking.availability import SessionAvailability
from tourism.booking.models import Booking, BookingStatus
from tourism.catalog.models import ADULT_TIERS, PRICE_TIERS, Experience, ExperienceKind
from tourism.catalog.services import experience_text, image_alt, village_text
from tourism.i18n import LOCALES

OPTION_ID = "DEFAULT"
CONTENT = "octo/content"
PRICING = "octo/pricing"
SUPPORTED_CAPABILITIES = (CONTENT, PRICING)

UNIT_TYPES = {"adult": "ADULT", "child": "CHILD", "senior": "SENIOR", "student": "STUDENT", "infant": "INFANT"}
# Ages when the operator gave none: OCTO wants numbers.
DEFAULT_MIN_AGE, DEFAULT_MAX_AGE = 0, 99
CATEGORY_LABELS = {
    ExperienceKind.TOUR: ["guided-tours", "small-group-tours"],
    ExperienceKind.WORKSHOP: ["classes", "small-group-tours"],
    ExperienceKind.ADMISSION: ["museums", "self-guided"],
}


@dataclass(frozen=True)
class Context:
    """What every object depends on: the language, the capabilities asked for, the reseller's
    commission (for net prices), and how to make a picture's absolute URL."""

    locale: str
    capabilities: frozenset[str]
    commission_percent: int
    image_url: object  # callable(image) -> absolute URL
    translate: object  # request.translate
    now: datetime

    @property
    def content(self) -> bool:
        return CONTENT in self.capabilities

    @property
    def pricing(self) -> bool:
        return PRICING in self.capabilities


def utc(moment: datetime | None) -> str | None:
    """"2026-12-05T00:00:00Z": the form OCTO's utc* fields use."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_iso(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds")


def is_start_time(experience: Experience) -> bool:
    return experience.kind != ExperienceKind.ADMISSION


# --- prices -------------------------------------------------------------------------------

def price(amount: int, currency: str, context: Context) -> dict:
    net = amount * (100 - context.commission_percent) // 100
    return {"original": amount, "retail": amount, "net": net, "currency": currency,
            "currencyPrecision": get_currency_precision(currency), "includedTaxes": []}


def unit_prices(experience: Experience, context: Context) -> list[dict]:
    return [dict(price(tier.price, experience.currency, context), unitId=tier.code)
            for tier in experience.price_tiers]


# --- products -----------------------------------------------------------------------------

def start_times(experience: Experience, upcoming: list[datetime]) -> list[str]:
    """The local start times ("07:00") of the coming sessions; at least one, as OCTO requires."""
    tz = ZoneInfo(experience.village.time_zone)
    if not is_start_time(experience):
        return ["00:00"]
    found = sorted({moment.astimezone(tz).strftime("%H:%M") for moment in upcoming})
    return found or ["00:00"]


def unit(experience: Experience, tier, context: Context) -> dict:
    adults = [t.code for t in experience.price_tiers if t.code in ADULT_TIERS]
    needs_adult = experience.children_need_adult and tier.code not in ADULT_TIERS
    data = {
        "id": tier.code,
        "internalName": str(PRICE_TIERS.get(tier.code, tier.code)),
        "reference": tier.code,
        "type": UNIT_TYPES.get(tier.code, "OTHER"),
        "restrictions": {
            "minAge": tier.min_age if tier.min_age is not None else DEFAULT_MIN_AGE,
            "maxAge": tier.max_age if tier.max_age is not None else DEFAULT_MAX_AGE,
            "idRequired": tier.code == "student",  # a student card at the gate
            "minQuantity": None,
            "maxQuantity": None,
            "paxCount": 1,
            "accompaniedBy": adults if needs_adult else [],
        },
        "requiredContactFields": [],
    }
    if context.pricing:
        data["pricingFrom"] = [price(tier.price, experience.currency, context)]
        data["pricing"] = [price(tier.price, experience.currency, context)]
    if context.content:
        data["title"] = context.translate(PRICE_TIERS.get(tier.code, tier.code))
        data["shortDescription"] = ""
        data["features"] = []
    return data


def option(experience: Experience, upcoming: list[datetime], context: Context) -> dict:
    # Bookings may be cancelled until the start, as on our own pages; the policy decides
    # the refund, which the cancellation reports (FULL, PARTIAL, NONE).
    hours = 0
    data = {
        "id": OPTION_ID,
        "default": True,
        "internalName": "Default",
        "reference": None,
        "availabilityLocalStartTimes": start_times(experience, upcoming),
        "cancellationCutoff": f"{hours} hours",
        "cancellationCutoffAmount": hours,
        "cancellationCutoffUnit": "hour",
        "requiredContactFields": [],
        "restrictions": {"minUnits": experience.min_party, "maxUnits": experience.max_party},
        "units": [unit(experience, tier, context) for tier in experience.price_tiers],
    }
    if context.pricing:
        lowest = min((tier.price for tier in experience.price_tiers), default=0)
        data["pricingFrom"] = [price(lowest, experience.currency, context)]
        data["pricing"] = [price(lowest, experience.currency, context)]
    if context.content:
        text = experience_text(experience, context.locale)
        data.update(title=text.value.title if text else experience.slug, shortDescription=None, description=None,
                    features=[],
                    faqs=[], media=[], locations=[], categoryLabels=[],
                    durationMinutesFrom=experience.duration_minutes, durationMinutesTo=None, commentary=[])
    return data


def _media(experience: Experience, context: Context) -> list[dict]:
    items = []
    for position, image in enumerate(list(experience.images)):
        kind = "image/png" if image.path.lower().endswith(".png") else "image/jpeg"
        alt = image_alt(image, context.locale) or None
        items.append({"src": context.image_url(image), "type": kind, "rel": "COVER" if position == 0 else "GALLERY",
                      "title": alt, "caption": alt, "copyright": None})
    return items


def _locations(experience: Experience, text, village_name: str | None) -> list[dict]:
    village = experience.village
    latitude = experience.meeting_latitude if experience.meeting_latitude is not None else village.latitude
    longitude = experience.meeting_longitude if experience.meeting_longitude is not None else village.longitude
    if latitude is None or longitude is None:
        return []
    return [{
        "title": (text.meeting_point if text and text.meeting_point else village_name) or None,
        "shortDescription": None,
        "types": ["START", "REDEMPTION"],
        "minutesTo": None,
        "minutesAt": None,
        "place": {
            "latitude": latitude, "longitude": longitude,
            "postalAddress": {"streetAddress": None, "addressLocality": village_name, "addressRegion": village.province,
                              "postalCode": None, "addressCountry": "VN", "postOfficeBoxNumber": None},
            "identifiers": {key: None for key in ("googlePlaceId", "applePlaceId", "tripadvisorLocationId",
                                                  "yelpPlaceId", "facebookPlaceId", "foursquarePlaceId",
                                                  "baiduPlaceId", "amapPlaceId")},
            "sameAs": [],
        },
    }]


def product(experience: Experience, upcoming: list[datetime], context: Context) -> dict:
    text = experience_text(experience, context.locale)
    english = experience_text(experience, "en")
    data = {
        "id": experience.slug,
        "internalName": english.value.title if english else experience.slug,
        "reference": experience.slug,
        "locale": text.locale if text and context.content else context.locale,
        "timeZone": experience.village.time_zone,
        "allowFreesale": False,
        "instantConfirmation": True,
        "instantDelivery": True,
        "availabilityRequired": True,
        "availabilityType": "START_TIME" if is_start_time(experience) else "OPENING_HOURS",
        "deliveryFormats": ["PDF_URL", "QRCODE"],
        "deliveryMethods": ["VOUCHER"],
        "redemptionMethod": "DIGITAL",
        "options": [option(experience, upcoming, context)],
    }
    if context.pricing:
        data.update(defaultCurrency=experience.currency, availableCurrencies=[experience.currency], pricingPer="UNIT")
    if context.content:
        village = village_text(experience.village, context.locale)
        village_name = village.value.name if village else None
        value = text.value if text else None
        data.update(
            title=value.title if value else experience.slug,
            shortDescription=value.summary if value else None,
            description=value.description if value else None,
            features=[{"shortDescription": value.meeting_point, "type": "REDEMPTION_INSTRUCTION"}]
            if value and value.meeting_point else [],
            faqs=[],
            media=_media(experience, context),
            locations=_locations(experience, value, village_name),
            categoryLabels=CATEGORY_LABELS[experience.kind],
            durationMinutesFrom=experience.duration_minutes,
            durationMinutesTo=None,
            commentary=[{"format": "IN_PERSON", "language": code} for code in experience.language_codes],
        )
    return data


def available_languages(experience: Experience) -> list[str]:
    have = {text.locale for text in experience.texts}
    return [code for code in LOCALES if code in have]


# --- availability -------------------------------------------------------------------------

def octo_status(item: SessionAvailability) -> str:
    """OCTO's status: LIMITED below half the capacity left (its definition, not our pages' "few left")."""
    if item.state not in ("available", "limited", "sold_out"):
        return "CLOSED"
    if item.seats_left <= 0:
        return "SOLD_OUT"
    return "LIMITED" if item.seats_left * 2 < item.capacity else "AVAILABLE"


def opening_periods(experience: Experience, day: date) -> list[dict]:
    return [{"from": hours.opens.strftime("%H:%M"), "to": hours.closes.strftime("%H:%M")}
            for hours in experience.opening_hours if hours.weekday == day.weekday()]


def availability_id(experience: Experience, starts_at: datetime) -> str:
    tz = ZoneInfo(experience.village.time_zone)
    if is_start_time(experience):
        return local_iso(starts_at, tz)
    day = starts_at.astimezone(tz).date()
    return datetime.combine(day, time(0), tzinfo=tz).isoformat(timespec="seconds")


def availability(experience: Experience, item: SessionAvailability, context: Context,
                 units: dict[str, int] | None = None) -> dict:
    tz = ZoneInfo(experience.village.time_zone)
    status = octo_status(item)
    wanted = sum((units or {}).values())
    if is_start_time(experience):
        start, end = local_iso(item.starts_at, tz), local_iso(item.ends_at, tz)
        all_day, hours = False, []
    else:
        day = item.starts_at.astimezone(tz).date()
        start = datetime.combine(day, time(0), tzinfo=tz).isoformat(timespec="seconds")
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).isoformat(timespec="seconds")
        all_day, hours = True, opening_periods(experience, day)
    cutoff = item.starts_at - timedelta(minutes=experience.booking_cutoff_minutes)
    data = {
        "id": start,
        "localDateTimeStart": start,
        "localDateTimeEnd": end,
        "utcCutoffAt": utc(cutoff),
        "allDay": all_day,
        "available": status in ("AVAILABLE", "LIMITED") and item.seats_left >= max(wanted, 1),
        "status": status,
        "vacancies": item.seats_left if status != "CLOSED" else 0,
        "capacity": item.capacity,
        "maxUnits": min(experience.max_party, max(item.seats_left, 0)),
        "openingHours": hours,
    }
    if context.pricing:
        data["unitPricing"] = unit_prices(experience, context)
        prices = {tier.code: tier.price for tier in experience.price_tiers}
        total = sum(prices.get(code, 0) * quantity for code, quantity in (units or {}).items())
        data["pricing"] = price(total, experience.currency, context)
    if context.content:
        data.update(title=None, shortDescription="")
    return data


def calendar_day(experience: Experience, day: date, items: list[SessionAvailability], context: Context,
                 units: dict[str, int] | None = None) -> dict:
    """One local day of the calendar: the best of its availabilities (the most seats left)."""
    open_items = [item for item in items if octo_status(item) != "CLOSED"]
    statuses = {octo_status(item) for item in open_items}
    status = next((s for s in ("AVAILABLE", "LIMITED", "SOLD_OUT") if s in statuses), "CLOSED")
    vacancies = max((item.seats_left for item in open_items), default=0)
    wanted = sum((units or {}).values())
    data = {
        "localDate": day.isoformat(),
        "available": status in ("AVAILABLE", "LIMITED") and vacancies >= max(wanted, 1),
        "status": status,
        "vacancies": vacancies,
        "capacity": max((item.capacity for item in open_items), default=0),
        "openingHours": [] if is_start_time(experience) or not open_items else opening_periods(experience, day),
    }
    if context.pricing:
        data["unitPricingFrom"] = unit_prices(experience, context)
        prices = {tier.code: tier.price for tier in experience.price_tiers}
        if units:
            total = sum(prices.get(code, 0) * quantity for code, quantity in units.items())
        else:
            total = min(prices.values(), default=0)
        data["pricingFrom"] = price(total, experience.currency, context)
    return data


# --- bookings -----------------------------------------------------------------------------

def booking_status(booking: Booking, now: datetime, redeemed: bool) -> str:
    if booking.status == BookingStatus.HELD:
        return "ON_HOLD" if booking.hold_expires_at > now else "EXPIRED"
    if booking.status == BookingStatus.CONFIRMED:
        return "REDEEMED" if redeemed else "CONFIRMED"
    return booking.status.name  # CANCELLED, EXPIRED


def contact(booking: Booking) -> dict:
    sent = booking.reseller_booking.contact if booking.reseller_booking is not None else {}
    return {
        "fullName": booking.contact_name or None,
        "firstName": sent.get("firstName"),
        "lastName": sent.get("lastName"),
        "emailAddress": booking.contact_email or None,
        "phoneNumber": booking.contact_phone or None,
        "locales": sent.get("locales") or [booking.locale],
        "postalCode": sent.get("postalCode"),
        "country": booking.contact_country or None,
        "notes": sent.get("notes"),
    }


def booking(booking: Booking, context: Context, *, status: str, cancellable: bool, availability_item,
            redeemed_at: datetime | None, voucher: dict | None) -> dict:
    """The OCTO booking. `status` (booking_status), `cancellable`, `availability_item` (the
    session's SessionAvailability), `redeemed_at` (first check-in) and `voucher` (QR code and
    PDF URL, once confirmed) come from the services, which read the database."""
    extra = booking.reseller_booking
    experience = booking.experience
    tiers = {tier.code: tier for tier in experience.price_tiers}
    prices = {line.tier_code: line.unit_price for line in booking.lines}
    guest = contact(booking)
    items = []
    for position, item in enumerate(extra.unit_items, start=1):
        data = {
            "uuid": item["uuid"],
            "resellerReference": item.get("resellerReference"),
            "supplierReference": f"{booking.reference}-{position}",
            "unitId": item["unitId"],
            "status": status,
            "utcRedeemedAt": utc(redeemed_at),
            "contact": guest,
            "ticket": None,
        }
        if item["unitId"] in tiers:
            data["unit"] = unit(experience, tiers[item["unitId"]], context)
        if context.pricing:
            data["pricing"] = price(prices.get(item["unitId"], 0), booking.currency, context)
        items.append(data)
    cancelled = booking.status == BookingStatus.CANCELLED
    data = {
        "id": extra.uuid,
        "uuid": extra.uuid,
        "testMode": False,
        "resellerReference": extra.reseller_reference,
        "supplierReference": booking.reference,
        "status": status,
        "utcCreatedAt": utc(booking.created_at),
        "utcUpdatedAt": utc(max(filter(None, (booking.created_at, extra.updated_at, booking.confirmed_at,
                                              booking.cancelled_at)))),
        "utcExpiresAt": utc(booking.hold_expires_at) if booking.status == BookingStatus.HELD else None,
        "utcRedeemedAt": utc(redeemed_at),
        "utcConfirmedAt": utc(booking.confirmed_at),
        "productId": experience.slug,
        "optionId": OPTION_ID,
        "cancellable": cancellable,
        "cancellation": {
            "refund": extra.cancellation_refund or "FULL",
            "reason": extra.cancellation_reason,
            "utcCancelledAt": utc(booking.cancelled_at),
        } if cancelled else None,
        "freesale": False,
        "availabilityId": availability_id(experience, booking.session.starts_at),
        "availability": availability(experience, availability_item, context) if availability_item else None,
        "contact": guest,
        "notes": extra.notes,
        "deliveryMethods": ["VOUCHER"],
        "voucher": voucher,
        "unitItems": items,
    }
    if context.pricing:
        data["pricing"] = price(booking.total_amount, booking.currency, context)
    return data
