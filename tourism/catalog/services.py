"""Catalog rules: finding experiences, reading texts in a language, cancellation policies.

Functions take what they need (a database session, a locale, today's date) and never touch
HTTP, so the booking flow, the console and the tests can call them directly.
"""
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import joinedload, selectinload

from tourism.catalog.models import (
    CRAFTS,
    CancellationRule,
    Experience,
    ExperienceKind,
    ExperienceLanguage,
    OpeningHours,
    PriceTier,
    PublicationStatus,
    Village,
)
from tourism.i18n import LOCALES, _, localize

PAGE_SIZE = 24
MAX_QUERY_LENGTH = 100
MAX_PAGE = 1000
MAX_PRICE = 1_000_000_000  # one billion dong: anything above is a typo, not a filter


# --- search text -------------------------------------------------------------------------

def fold(text: str) -> str:
    """Lower-case `text` and strip Vietnamese diacritics, so "bat trang" finds "Bát Tràng"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def index_experience(experience: Experience) -> None:
    """Rebuild the experience's folded search document from its texts, village and craft.

    Call after changing any of them; the document is what the home page search reads.
    """
    parts = [experience.slug, experience.village.province, experience.craft]
    # Sorted by locale so the same texts always give the same document.
    parts += [t.title + " " + t.summary for t in sorted(experience.texts, key=lambda t: t.locale)]
    parts += [t.name for t in sorted(experience.village.texts, key=lambda t: t.locale)]
    document = fold(" ".join(parts))
    if experience.search_text != document:
        experience.search_text = document


# --- filters -----------------------------------------------------------------------------

@dataclass
class Filters:
    """What a visitor searches for; every field is optional."""

    q: str = ""
    province: str = ""
    craft: str = ""
    kind: str = ""
    language: str = ""
    date_from: date | None = None
    date_to: date | None = None
    max_price: int | None = None
    page: int = 1
    errors: list = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any([self.q, self.province, self.craft, self.kind, self.language,
                    self.date_from, self.date_to, self.max_price is not None])


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_filters(params, *, provinces: set[str], today: date) -> Filters:
    """Read search filters from query parameters; a bad value is dropped with a message.

    Never raises: absurd input (unknown codes, impossible dates, negative prices, huge
    strings) becomes a message for the visitor and an empty filter.
    """
    f = Filters()

    def text(name, limit=MAX_QUERY_LENGTH):
        return (params.get(name) or "").strip()[:limit]

    f.q = " ".join(text("q").split())
    for name, allowed, message in (
        ("province", provinces, _("We do not know that province; showing all provinces.")),
        ("craft", set(CRAFTS), _("We do not know that craft; showing all crafts.")),
        ("kind", {k.value for k in ExperienceKind}, _("We do not know that kind of experience; showing all kinds.")),
        ("language", set(LOCALES), _("We do not offer guides in that language yet; showing all languages.")),
    ):
        value = text(name, 80)
        if value and value not in allowed:
            f.errors.append(message)
        elif value:
            setattr(f, name, value)

    raw_from, raw_to = text("date_from", 20), text("date_to", 20)
    date_from = _parse_date(raw_from) if raw_from else None
    date_to = _parse_date(raw_to) if raw_to else None
    if (raw_from and date_from is None) or (raw_to and date_to is None):
        f.errors.append(_("Enter dates like 2026-12-31."))
    elif date_from and date_to and date_to < date_from:
        f.errors.append(_("The end date is before the start date; showing all dates."))
    elif date_to and date_to < today:
        f.errors.append(_("These dates are in the past; showing all dates."))
    else:
        f.date_from = max(date_from, today) if date_from else (today if date_to else None)
        f.date_to = date_to

    raw_price = text("max_price", 20).replace(".", "").replace(",", "").replace(" ", "")
    if raw_price:
        if not raw_price.isdigit() or int(raw_price) > MAX_PRICE:
            f.errors.append(_("Enter a maximum price as a whole number of dong, like 500000."))
        else:
            f.max_price = int(raw_price)

    raw_page = text("page", 10)
    f.page = int(raw_page) if raw_page.isdigit() and 1 <= int(raw_page) <= MAX_PAGE else 1
    return f


# --- queries -----------------------------------------------------------------------------

def _published() -> Select:
    return (
        select(Experience)
        .where(Experience.status == PublicationStatus.PUBLISHED)
        .options(
            selectinload(Experience.texts),
            selectinload(Experience.price_tiers),
            selectinload(Experience.guide_languages),
            selectinload(Experience.images),
            selectinload(Experience.opening_hours),
            selectinload(Experience.village).selectinload(Village.texts),
        )
    )


@dataclass
class SearchResult:
    experiences: list[Experience]
    total: int
    page: int
    pages: int


def search_experiences(dbsession, filters: Filters) -> SearchResult:
    """Published experiences matching `filters`, one page of them, in a stable order."""
    stmt = _published().join(Experience.village)
    for word in fold(filters.q).split():
        stmt = stmt.where(Experience.search_text.contains(word, autoescape=True))
    if filters.province:
        stmt = stmt.where(Village.province == filters.province)
    if filters.craft:
        stmt = stmt.where(Experience.craft == filters.craft)
    if filters.kind:
        stmt = stmt.where(Experience.kind == ExperienceKind(filters.kind))
    if filters.language:
        stmt = stmt.where(
            exists().where(
                and_(ExperienceLanguage.experience_id == Experience.id,
                     ExperienceLanguage.language == filters.language)
            )
        )
    if filters.max_price is not None:
        stmt = stmt.where(
            exists().where(
                and_(PriceTier.experience_id == Experience.id, PriceTier.code == "adult",
                     PriceTier.price <= filters.max_price)
            )
        )
    stmt = stmt.order_by(Village.slug, Experience.slug)
    experiences = list(dbsession.scalars(stmt))
    if filters.date_from:
        days = calendar_keys(filters.date_from, filters.date_to)
        experiences = [e for e in experiences if runs_during(e, days)]
    total = len(experiences)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(filters.page, pages)
    return SearchResult(experiences[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], total, page, pages)


def calendar_keys(start: date, end: date | None) -> set[tuple[int, int]]:
    """The (month, weekday) pairs that occur from `start` to `end` (inclusive; None: a year).

    A year of days holds all 84 pairs, so the walk never goes further: dates in year 9999
    cost no more than next week.
    """
    keys: set[tuple[int, int]] = set()
    day = start
    for _step in range(366):
        keys.add((day.month, day.weekday()))
        if (end is not None and day >= end) or day == date.max or len(keys) == 84:
            break
        day += timedelta(days=1)
    return keys


def in_season(experience: Experience, month: int) -> bool:
    start, end = experience.season_start_month, experience.season_end_month
    if start is None or end is None:
        return True
    return start <= month <= end if start <= end else (month >= start or month <= end)


def runs_during(experience: Experience, keys: set[tuple[int, int]]) -> bool:
    """Whether the experience runs on some day with one of these (month, weekday) keys."""
    open_days = {h.weekday for h in experience.opening_hours}
    for month, weekday in keys:
        if not in_season(experience, month):
            continue
        if experience.kind == ExperienceKind.ADMISSION and weekday not in open_days:
            continue
        return True
    return False


def list_provinces(dbsession) -> list[str]:
    return list(dbsession.scalars(select(Village.province).distinct().order_by(Village.province)))


def villages_run_by(dbsession, operator_id: int | None) -> list[Village]:
    """The villages an operator runs (None: every village, for a platform admin), by slug.
    Console forms offer these: `visible_operator_id(request.identity)` says whose."""
    query = select(Village).order_by(Village.slug).options(selectinload(Village.texts))
    if operator_id is not None:
        query = query.where(Village.operator_id == operator_id)
    return list(dbsession.scalars(query))


def list_villages(dbsession) -> list[Village]:
    return list(
        dbsession.scalars(
            select(Village).options(selectinload(Village.texts), selectinload(Village.images),
                                    selectinload(Village.crafts)).order_by(Village.slug)
        )
    )


def get_village(dbsession, slug: str) -> Village | None:
    """A village with its published experiences (drafts stay out of sight)."""
    village = dbsession.scalar(
        select(Village)
        .where(Village.slug == slug[:80])
        .options(selectinload(Village.texts), selectinload(Village.images), selectinload(Village.crafts))
    )
    return village


def village_experiences(dbsession, village: Village) -> list[Experience]:
    stmt = _published().where(Experience.village_id == village.id).order_by(Experience.slug)
    return list(dbsession.scalars(stmt))


def get_bookable_experience(dbsession, slug: str) -> Experience | None:
    """A published experience with its village only: what availability and booking need."""
    return dbsession.scalar(
        select(Experience).where(Experience.slug == slug[:80], Experience.status == PublicationStatus.PUBLISHED)
        .options(joinedload(Experience.village))
    )


def get_published_experience(dbsession, slug: str) -> Experience | None:
    stmt = _published().where(Experience.slug == slug[:80]).options(
        selectinload(Experience.cancellation_rules)
    )
    return dbsession.scalar(stmt)


# --- texts and policies ------------------------------------------------------------------

def village_text(village: Village, locale: str):
    return localize({t.locale: t for t in village.texts}, locale)


def experience_text(experience: Experience, locale: str):
    return localize({t.locale: t for t in experience.texts}, locale)


def image_alt(image, locale: str) -> str:
    chosen = localize(image.alt or {}, locale)
    return chosen.value if chosen else ""


def refund_percent(rules: list[CancellationRule], hours_before_start: float) -> int:
    """The share (0–100) refunded when cancelling `hours_before_start` before the start."""
    for rule in sorted(rules, key=lambda r: r.hours_before, reverse=True):
        if hours_before_start >= rule.hours_before:
            return rule.refund_percent
    return 0


def describe_cancellation_policy(rules: list[CancellationRule]) -> list:
    """The policy in plain sentences, from the most generous rule down."""
    rules = sorted(rules, key=lambda r: r.hours_before, reverse=True)
    if not rules or all(r.refund_percent == 0 for r in rules):
        return [_("This ticket cannot be refunded.")]
    lines = []
    for rule in rules:
        mapping = {"hours": rule.hours_before, "percent": rule.refund_percent}
        if rule.refund_percent == 100:
            lines.append(_("Full refund if you cancel at least ${hours} hours before the start.", mapping=mapping))
        elif rule.refund_percent > 0:
            lines.append(_("${percent} refund if you cancel at least ${hours} hours before the start.", mapping=dict(mapping, percent=f"{rule.refund_percent}%")))
    last = rules[-1]
    if last.hours_before > 0 or last.refund_percent == 0:
        lines.append(_("No refund later than that.", mapping={}))
    return lines


def weekly_opening_hours(experience: Experience) -> list[tuple[int, list[OpeningHours]]]:
    """Each weekday (0 = Monday) with its opening periods; an empty list means closed."""
    by_day: dict[int, list[OpeningHours]] = {d: [] for d in range(7)}
    for hours in experience.opening_hours:
        by_day[hours.weekday].append(hours)
    return sorted(by_day.items())
