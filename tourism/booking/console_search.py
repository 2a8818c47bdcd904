"""Finding bookings in the console: the filters an operator sets, and the query they make.

Rules (one place, so the list page and its tests agree):

- An operator's staff see only the bookings at their operator's villages; an admin sees all
  (`operator_id` None).
- The search box matches a booking when the words match the guest's name (every word,
  anywhere in it, without accents or case: "tran" finds "Trần", "nguyen lan" finds
  "Nguyễn Thị Lan"), or the text is in the e-mail address, or it starts the reference
  (with or without its dash, any case: "k7m2qx9p", "K7M2-QX9P"), or its digits are in the
  phone number, digits only ("0912 345 678" finds "+84 912-345-678").
- Dates are the session's local day in its village's time zone. With no dates and no search
  words, the list shows today's and upcoming sessions; with search words, every date.
- Abandoned checkouts (expired holds) are left out unless asked for.
- Soonest session first from a start date (today by default); the latest first for every
  date or past dates only; or the order the operator chose.

Name folding runs in SQL (PostgreSQL's translate() with the same table as `fold`; on SQLite,
`fold` itself registered on the connection), so no column or migration is needed.
"""
import math
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import selectinload

from tourism.booking.models import Booking, BookingStatus
from tourism.booking.services import operator_booking_ids
from tourism.catalog.models import Experience, Village
from tourism.i18n import _
from tourism.scheduling.models import ExperienceSession
from tourism.scheduling.services import local_day_bounds

PAGE_SIZE = 50
MAX_QUERY_LENGTH = 100
MAX_PAGE = 10_000
MIN_PHONE_DIGITS = 4
MIN_REFERENCE_CHARS = 4

# How each channel is named to the operator; any other shows as stored. A reseller's
# bookings (tourism.octo, channel "reseller") also name the reseller where they are shown.
CHANNEL_LABELS = {
    "web": _("Website"),
    "phone": _("By phone"),
    "walk_in": _("Walk-in"),
    "reseller": _("Reseller"),
}
STATUS_LABELS = {
    BookingStatus.CONFIRMED: _("Confirmed"),
    BookingStatus.HELD: _("Waiting for payment"),
    BookingStatus.CANCELLED: _("Cancelled"),
    BookingStatus.EXPIRED: _("Not paid in time"),
}
# The status filter's choices; "" (the default) is every status but abandoned checkouts.
STATUS_FILTERS = ("", *(status.value for status in STATUS_LABELS), "all")
SORTS = ("soonest", "latest")

# --- folding names --------------------------------------------------------------------------

# Vietnamese letters with their marks, and the Latin letters of the other languages' names,
# each with the plain letter it folds to. Upper case folds to lower case here because
# SQLite's lower() only knows ASCII.
_FOLDS = {
    "a": "àáảãạăằắẳẵặâầấẩẫậäåÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÄÅ",
    "d": "đĐ",
    "e": "èéẻẽẹêềếểễệëÈÉẺẼẸÊỀẾỂỄỆË",
    "i": "ìíỉĩịîïÌÍỈĨỊÎÏ",
    "o": "òóỏõọôồốổỗộơờớởỡợöøÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÖØ",
    "u": "ùúủũụưừứửữựûüÙÚỦŨỤƯỪỨỬỮỰÛÜ",
    "y": "ỳýỷỹỵÿỲÝỶỸỴŸ",
    "c": "çÇ",
    "n": "ñÑ",
}
_FOLD_FROM = "".join(letters for letters in _FOLDS.values())
_FOLD_TO = "".join(plain * len(letters) for plain, letters in _FOLDS.items())
# Marks typed as separate characters (a name typed decomposed): dropped.
_COMBINING = "\u0300\u0301\u0302\u0303\u0306\u0309\u031b\u0323"
_TABLE = str.maketrans(_FOLD_FROM, _FOLD_TO, _COMBINING)


def fold(text: str) -> str:
    """`text` as the name search compares it: Vietnamese (and common Latin) marks removed,
    lower case; other scripts (Hangul, kanji…) as they are."""
    return unicodedata.normalize("NFC", text).translate(_TABLE).lower()


SQLITE_FOLD = "langviet_fold"


def folded(column, dialect: str):
    """SQL for `fold(column)` on this database (call `prepare_fold` first on SQLite)."""
    if dialect == "postgresql":
        return func.lower(func.translate(column, _FOLD_FROM + _COMBINING, _FOLD_TO))
    return getattr(func, SQLITE_FOLD)(column)


def prepare_fold(dbsession) -> str:
    """Make `folded` usable in `dbsession`'s transaction; returns the database's dialect name.

    SQLite has no translate() (and ~180 nested replace() calls overflow its parser), so
    there `fold` itself is registered as a function on the connection the session's
    transaction uses — only this search needs it, so nothing global is set up.
    """
    dialect = dbsession.get_bind().dialect.name
    if dialect == "sqlite":
        raw_connection = dbsession.connection().connection.driver_connection
        raw_connection.create_function(SQLITE_FOLD, 1, lambda text: None if text is None else fold(text),
                                       deterministic=True)
    return dialect


def phone_digits(column):
    """SQL: the phone number's digits only (booking.services accepts only + ( ) - . and spaces besides)."""
    expression = column
    for character in "+()-. ":
        expression = func.replace(expression, character, "")
    return expression


def phone_needle(text: str) -> str | None:
    """The digits to look for in phone numbers: a national "0912…" and an international
    "+84 912…" number both come down to "912…". None when there are too few digits."""
    digits = "".join(c for c in text if c.isascii() and c.isdigit())
    if digits.startswith("0"):
        digits = digits[1:]
    elif digits.startswith("84") and len(digits) >= 11:
        digits = digits[2:]
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def compact_reference(text: str) -> str:
    """"k7m2-qx9p " → "K7M2QX9P"."""
    return "".join(c for c in text if c.isascii() and c.isalnum()).upper()


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- the filters ----------------------------------------------------------------------------

@dataclass
class BookingFilters:
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None
    experience_id: int | None = None
    status: str = ""
    channel: str = ""
    sort: str = ""
    page: int = 1
    errors: list = field(default_factory=list)
    # Set when no dates and no words were given: today and after.
    upcoming: bool = False
    # The order when none was chosen: soonest first from a start date that is not past.
    default_sort: str = "soonest"

    @property
    def active(self) -> bool:
        """Whether anything was chosen beyond the default list."""
        return bool(self.q or (self.date_from and not self.upcoming) or self.date_to or self.experience_id
                    or self.status or self.channel or self.sort)

    @property
    def effective_sort(self) -> str:
        return self.sort or self.default_sort


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_filters(params, *, today: date, experience_ids: set[int], channels: set[str]) -> BookingFilters:
    """The list's filters from the query string. Never raises: a value that makes no sense is
    dropped, with a message saying so, and the rest still applies."""
    f = BookingFilters()

    def text(name, limit=20) -> str:
        value = params.get(name)
        return value.strip()[:limit] if isinstance(value, str) else ""

    f.q = " ".join(text("q", MAX_QUERY_LENGTH).split())
    raw_from, raw_to = text("from"), text("to")
    date_from, date_to = (_date(raw_from) if raw_from else None), (_date(raw_to) if raw_to else None)
    if (raw_from and date_from is None) or (raw_to and date_to is None):
        f.errors.append(_("Enter dates like 2026-12-31; showing all dates."))
    elif date_from and date_to and date_to < date_from:
        f.errors.append(_("The end date is before the start date; showing all dates."))
    else:
        f.date_from, f.date_to = date_from, date_to
    if not (f.q or raw_from or raw_to):
        f.date_from, f.upcoming = today, True
    # Every date, or only past ones: the latest first (a guest calling about a booking has
    # usually booked lately); otherwise what comes next first.
    past = f.date_to is not None and f.date_to < today
    f.default_sort = "soonest" if f.date_from is not None and not past else "latest"

    raw_experience = text("experience")
    if raw_experience:
        if raw_experience.isascii() and raw_experience.isdigit() and int(raw_experience) in experience_ids:
            f.experience_id = int(raw_experience)
        else:
            f.errors.append(_("We do not know that experience; showing all experiences."))
    status = text("status")
    if status in STATUS_FILTERS:
        f.status = status
    else:
        f.errors.append(_("We do not know that status; showing all bookings."))
    channel = text("channel")
    if not channel or channel in channels:
        f.channel = channel
    else:
        f.errors.append(_("We do not know that way of booking; showing all of them."))
    sort = text("sort")
    f.sort = sort if sort in SORTS else ""
    raw_page = text("page", 8)
    f.page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() and 1 <= int(raw_page) <= MAX_PAGE else 1
    return f


# --- the query ------------------------------------------------------------------------------

@dataclass
class BookingPage:
    bookings: list[Booking]
    total: int
    page: int
    pages: int

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * PAGE_SIZE, self.total)


def operator_experiences(dbsession, operator_id: int | None) -> list[Experience]:
    """The experiences whose bookings this operator (None: every operator) sees, by slug."""
    query = select(Experience).join(Village, Village.id == Experience.village_id).order_by(Experience.slug) \
        .options(selectinload(Experience.texts))
    if operator_id is not None:
        query = query.where(Village.operator_id == operator_id)
    return list(dbsession.scalars(query))


def known_channels(dbsession, operator_id: int | None) -> list[str]:
    """The channels the console names, and any other one the operator's bookings came through."""
    query = select(Booking.channel).distinct()
    if operator_id is not None:
        query = query.where(Booking.id.in_(operator_booking_ids(operator_id)))
    stored = set(dbsession.scalars(query))
    return list(CHANNEL_LABELS) + sorted(stored - set(CHANNEL_LABELS))


def _text_match(dbsession, q: str):
    dialect = prepare_fold(dbsession)
    words = [fold(word) for word in q.split()]
    matches = [and_(*(folded(Booking.contact_name, dialect).like(_like(word), escape="\\") for word in words)),
               func.lower(Booking.contact_email).like(_like(q.lower()), escape="\\")]
    reference = compact_reference(q)
    if MIN_REFERENCE_CHARS <= len(reference) <= 12 and reference == q.replace(" ", "").replace("-", "").upper():
        matches.append(Booking.reference.like(f"{reference}%"))
    needle = phone_needle(q)
    if needle and sum(c.isalpha() for c in q) == 0:
        matches.append(phone_digits(Booking.contact_phone).like(f"%{needle}%"))
    return or_(*matches)


def _date_match(dbsession, filters: BookingFilters, operator_id: int | None):
    """The session's start within the chosen local days, per village time zone."""
    zones = select(Village.time_zone).distinct()
    if operator_id is not None:
        zones = zones.where(Village.operator_id == operator_id)
    conditions = []
    for zone_name in dbsession.scalars(zones):
        zone = ZoneInfo(zone_name)
        where = [Village.time_zone == zone_name]
        if filters.date_from:
            where.append(ExperienceSession.starts_at >= local_day_bounds(filters.date_from, zone)[0])
        if filters.date_to:
            where.append(ExperienceSession.starts_at < local_day_bounds(filters.date_to, zone)[1])
        conditions.append(and_(*where))
    return or_(*conditions) if conditions else false()


def effective_status(booking: Booking, now) -> BookingStatus:
    """The booking's status as the staff should read it: a hold whose time is up is not paid
    in time, even before the worker marks it expired."""
    if booking.status == BookingStatus.HELD and booking.hold_expires_at is not None \
            and booking.hold_expires_at <= now:
        return BookingStatus.EXPIRED
    return booking.status


def _status_match(status: str, now):
    live_hold = and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now)
    abandoned = or_(Booking.status == BookingStatus.EXPIRED,
                    and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at <= now))
    if status == "":
        return or_(Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.CANCELLED)), live_hold)
    if status == BookingStatus.HELD:
        return live_hold
    if status == BookingStatus.EXPIRED:
        return abandoned
    return Booking.status == BookingStatus(status)


def search_bookings(dbsession, filters: BookingFilters, *, operator_id: int | None, now) -> BookingPage:
    """One page of the bookings matching `filters`, among those `operator_id` may see
    (None: every operator's, for an admin); holds count as abandoned once their time is up
    at `now`."""
    where = []
    if operator_id is not None:
        where.append(Village.operator_id == operator_id)
    if filters.q:
        where.append(_text_match(dbsession, filters.q))
    if filters.date_from or filters.date_to:
        where.append(_date_match(dbsession, filters, operator_id))
    if filters.experience_id:
        where.append(Booking.experience_id == filters.experience_id)
    if filters.status != "all":
        where.append(_status_match(filters.status, now))
    if filters.channel:
        where.append(Booking.channel == filters.channel)

    base = (select(Booking.id)
            .join(ExperienceSession, ExperienceSession.id == Booking.session_id)
            .join(Experience, Experience.id == Booking.experience_id)
            .join(Village, Village.id == Experience.village_id)
            .where(*where))
    total = dbsession.scalar(select(func.count()).select_from(base.subquery()))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(filters.page, pages)
    if filters.effective_sort == "latest":
        order = (ExperienceSession.starts_at.desc(), Booking.id.desc())
    else:
        order = (ExperienceSession.starts_at, Booking.id)
    ids = list(dbsession.scalars(base.order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    found = {booking.id: booking for booking in dbsession.scalars(
        select(Booking).where(Booking.id.in_(ids)).options(
            selectinload(Booking.session), selectinload(Booking.lines),
            selectinload(Booking.experience).selectinload(Experience.texts),
            selectinload(Booking.experience).selectinload(Experience.village)))} if ids else {}
    return BookingPage([found[i] for i in ids], total, page, pages)
