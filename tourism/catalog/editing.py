"""The operator's changes to an experience: its texts, prices, group sizes, cancellation
policy, pictures and whether visitors see it.

Each function reads a whole form first and changes everything or nothing: a refusal raises
`InvalidInput` with one translatable message per form field. Bookings already made keep what
they were sold (their lines carry their own unit prices; their refunds follow the policy of
the moment they are cancelled).

Field names (per locale `<field>-<locale>`):
  texts:         title-*, summary-*, description-*, meeting_point-*
  prices:        price-<tier>, min_age-<tier>, max_age-<tier> for each tier in PRICE_TIERS,
                 min_party, max_party, children_need_adult ("1" when ticked)
  cancellation:  hours-<row>, percent-<row> for rows 0…POLICY_ROWS-1
  practical:     duration_hours, duration_minutes, cutoff_hours, season_start, season_end
                 (month numbers, both empty: all year), guide_language (repeated)
  status:        status (draft or published)
  pictures:      alt-* and the file (the shared rules of tourism.pictures)
  new:           village, kind, title-vi, title-en, duration_hours, duration_minutes
"""
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from tourism import forms
from tourism.catalog.models import (
    ADULT_TIERS,
    PRICE_TIERS,
    CancellationRule,
    Experience,
    ExperienceImage,
    ExperienceKind,
    ExperienceLanguage,
    ExperienceText,
    PriceTier,
    PublicationStatus,
    Village,
)
from tourism.catalog.services import fold, index_experience
from tourism.forms import InvalidInput, Problems, TextField
from tourism.i18n import _
from tourism.pictures import Gallery

__all__ = ["InvalidInput"]

TITLE_MAX, SUMMARY_MAX, DESCRIPTION_MAX, MEETING_POINT_MAX = 200, 300, 5000, 300
# A whole number of dong per guest. Ten million is far above any village experience (a
# day-long private workshop); more is a typing slip (a zero too many), not a price.
MAX_PRICE = 10_000_000
MAX_AGE = 120
# Guests in one booking: a school class or a company outing, not more.
MAX_PARTY = 200
POLICY_ROWS = 5
# Hours before the start: a year is far more than any policy needs.
MAX_HOURS_BEFORE = 24 * 365
# A village experience lasts at most a day; longer is a typing slip.
MAX_DURATION_MINUTES = 24 * 60
# Online booking may close up to a month before the start (a boat to charter, a kiln to book).
MAX_CUTOFF_HOURS = 24 * 30
# Languages a guide may speak: the site's six, and those visitors to Vietnam ask for most.
GUIDE_LANGUAGES = ("vi", "en", "fr", "ko", "zh", "ja", "de", "es", "ru", "th")
# Kinds an owner may start here: admission tickets open by opening hours, set up with LàngViệt.
NEW_KINDS = (ExperienceKind.TOUR, ExperienceKind.WORKSHOP)

# Pictures: the first is the one at the top of the visitors' page and on the cards.
MAX_PICTURES = 10
PICTURES = Gallery(
    owner=Experience, picture=ExperienceImage, owner_key="experience_id",
    missing=_("Choose a picture of the experience (PNG, JPEG or WebP)."),
    too_many=_("An experience can have at most ${max} pictures: remove one first."),
    alt_needed=_("Say in Vietnamese what the picture shows, for people who cannot see it "
                 "(such as “Nghệ nhân nặn bình gốm trên bàn xoay”)."))

TEXT_FIELDS = (
    TextField("title", TITLE_MAX,
              required_vi=_("Give the experience's title in Vietnamese: it is shown when no other language has one."),
              required_other=_("Give the title in this language too, or leave the language empty.")),
    TextField("summary", SUMMARY_MAX),
    TextField("description", DESCRIPTION_MAX, multiline=True),
    TextField("meeting_point", MEETING_POINT_MAX),
)


# --- texts -----------------------------------------------------------------------------------

def save_texts(dbsession, experience: Experience, form: Mapping) -> None:
    """Title, summary, description and meeting point in every locale (Vietnamese title needed);
    the search document is rebuilt. Raises InvalidInput; nothing changed."""
    problems = Problems()
    texts = forms.read_texts(form, TEXT_FIELDS, problems)
    problems.raise_any()
    forms.replace_texts(dbsession, experience.texts, ExperienceText, texts)
    index_experience(experience)
    dbsession.flush()


# --- prices and group size -------------------------------------------------------------------

@dataclass(frozen=True)
class TierInput:
    code: str
    price: int
    min_age: int | None
    max_age: int | None


_CURRENCY_SUFFIX = re.compile(r"\s*(?:₫|đ|vnđ|vnd|dong|đồng)\s*\Z", re.IGNORECASE)


def _read_price(form: Mapping, name: str, problems: Problems) -> int | None:
    raw = _CURRENCY_SUFFIX.sub("", forms.raw(form, name).strip())
    if not raw:
        return None
    price = forms.whole_number(raw, max_digits=18)
    if price is None:
        problems.add(name, _("Write the price in dong as a whole number, such as 350000 or 350.000 (no decimals)."))
    elif price <= 0:
        problems.add(name, _("A price must be more than 0 dong. Leave it empty if you do not offer this ticket."))
    elif price > MAX_PRICE:
        problems.add(name, _("A price can be at most ${max} dong: check the number of zeros.",
                             mapping={"max": MAX_PRICE}))
    else:
        return price
    return None


def _read_whole(form: Mapping, name: str, problems: Problems, low: int, high: int, message) -> int | None:
    raw = forms.raw(form, name).strip()
    if not raw:
        return None
    value = forms.whole_number(raw, max_digits=6)
    if value is None or not low <= value <= high:
        problems.add(name, message)
        return None
    return value


def _read_tiers(form: Mapping, problems: Problems) -> list[TierInput]:
    tiers = []
    age_message = _("An age is a whole number from 0 to ${max}.", mapping={"max": MAX_AGE})
    for code in PRICE_TIERS:
        price = _read_price(form, f"price-{code}", problems)
        min_age = _read_whole(form, f"min_age-{code}", problems, 0, MAX_AGE, age_message)
        max_age = _read_whole(form, f"max_age-{code}", problems, 0, MAX_AGE, age_message)
        if min_age is not None and max_age is not None and max_age < min_age:
            problems.add(f"max_age-{code}", _("The oldest age is below the youngest."))
        if price is None and (min_age is not None or max_age is not None) \
                and f"price-{code}" not in problems.errors:
            problems.add(f"price-{code}", _("Give this ticket's price, or empty its ages too."))
        if price is not None:
            tiers.append(TierInput(code, price, min_age, max_age))
    return tiers


def save_prices(dbsession, experience: Experience, form: Mapping) -> None:
    """Price tiers (a price per kind of guest, empty: not offered), group sizes and whether
    children need an adult. At least one price; when children need an adult and a child or
    infant ticket is offered, an adult, senior or student ticket too. Raises InvalidInput."""
    problems = Problems()
    tiers = _read_tiers(form, problems)
    party_message = _("A group is from 1 to ${max} guests.", mapping={"max": MAX_PARTY})
    min_party = _read_whole(form, "min_party", problems, 1, MAX_PARTY, party_message)
    max_party = _read_whole(form, "max_party", problems, 1, MAX_PARTY, party_message)
    if min_party is None and "min_party" not in problems.errors:
        problems.add("min_party", _("Give the smallest group you take, such as 1."))
    if max_party is None and "max_party" not in problems.errors:
        problems.add("max_party", _("Give the largest group one booking may bring, such as 10."))
    if min_party is not None and max_party is not None and max_party < min_party:
        problems.add("max_party", _("The largest group is smaller than the smallest."))
    children_need_adult = forms.raw(form, "children_need_adult") == "1"
    codes = {t.code for t in tiers}
    first = f"price-{next(iter(PRICE_TIERS))}"
    if not tiers and not any(name.startswith("price-") for name in problems.errors):
        problems.add(first, _("Give at least one price, such as the adult price."))
    elif children_need_adult and codes & {"child", "infant"} and not codes & ADULT_TIERS:
        problems.add(first, _("Children must come with an adult, so give an adult, senior or student price too "
                              "(or untick “Children must come with an adult”)."))
    problems.raise_any()

    by_code = {tier.code: tier for tier in experience.price_tiers}
    for row in list(experience.price_tiers):
        if row.code not in codes:
            experience.price_tiers.remove(row)
    for position, tier in enumerate(tiers):
        row = by_code.get(tier.code)
        if row is None:
            row = PriceTier(code=tier.code)
            experience.price_tiers.append(row)
        row.price, row.min_age, row.max_age, row.position = tier.price, tier.min_age, tier.max_age, position
    experience.min_party, experience.max_party = min_party, max_party
    experience.children_need_adult = children_need_adult
    dbsession.flush()


# --- cancellation policy ---------------------------------------------------------------------

def read_policy(form: Mapping, problems: Problems) -> list[tuple[int, int]]:
    """(hours before, refund percent) rows, most hours first. Cancelling earlier never gives
    back less than cancelling later."""
    rows = []
    seen: dict[int, str] = {}
    for row in range(POLICY_ROWS):
        hours_name, percent_name = f"hours-{row}", f"percent-{row}"
        raw_hours = forms.raw(form, hours_name).strip()
        raw_percent = forms.raw(form, percent_name).strip().rstrip("%").strip()
        if not raw_hours and not raw_percent:
            continue
        hours = forms.whole_number(raw_hours, max_digits=6) if raw_hours else None
        percent = forms.whole_number(raw_percent, max_digits=3) if raw_percent else None
        if not raw_hours:
            problems.add(hours_name, _("Say how many hours before the start, such as 48."))
        elif hours is None or not 0 <= hours <= MAX_HOURS_BEFORE:
            problems.add(hours_name, _("Hours before the start: a whole number from 0 to ${max}.",
                                       mapping={"max": MAX_HOURS_BEFORE}))
            hours = None
        elif hours in seen:
            problems.add(hours_name, _("Another line already says ${hours} hours.", mapping={"hours": hours}))
            hours = None
        if not raw_percent:
            problems.add(percent_name, _("Say how much is given back, from 0 to 100 percent."))
        elif percent is None or not 0 <= percent <= 100:
            problems.add(percent_name, _("The refund is a whole percent from 0 to 100."))
            percent = None
        if hours is not None and percent is not None:
            seen[hours] = percent_name
            rows.append((hours, percent))
    rows.sort(reverse=True)
    for (hours, percent), (later_hours, later_percent) in zip(rows, rows[1:]):
        if later_percent > percent:
            problems.add(seen[later_hours], _(
                "Cancelling earlier must never give back less: ${later_percent}% at ${later_hours} hours is more "
                "than ${percent}% at ${hours} hours before the start.",
                mapping={"later_percent": later_percent, "later_hours": later_hours, "percent": percent,
                         "hours": hours}))
            break
    return rows


def save_policy(dbsession, experience: Experience, form: Mapping) -> None:
    """The cancellation policy from its rows (none: nothing is ever given back). Raises
    InvalidInput; nothing changed."""
    problems = Problems()
    rows = read_policy(form, problems)
    problems.raise_any()
    wanted = dict(rows)
    for rule in list(experience.cancellation_rules):
        if rule.hours_before in wanted:
            rule.refund_percent = wanted.pop(rule.hours_before)
        else:
            experience.cancellation_rules.remove(rule)
    dbsession.flush()  # rules removed before others take their hours (one rule per hour count)
    for hours, percent in wanted.items():
        experience.cancellation_rules.append(CancellationRule(hours_before=hours, refund_percent=percent))
    dbsession.flush()
    dbsession.expire(experience, ["cancellation_rules"])  # read back in the policy's order


# --- practical details: length, booking cut-off, season, guide languages ------------------------

def _read_duration(form: Mapping, problems: Problems) -> int | None:
    hours = _read_whole(form, "duration_hours", problems, 0, 24, _("Hours: a whole number from 0 to 24."))
    minutes = _read_whole(form, "duration_minutes", problems, 0, 59, _("Minutes: a whole number from 0 to 59."))
    if "duration_hours" in problems.errors or "duration_minutes" in problems.errors:
        return None
    total = (hours or 0) * 60 + (minutes or 0)
    if total <= 0:
        problems.add("duration_hours", _("Say how long it lasts, such as 2 hours 30 minutes."))
        return None
    if total > MAX_DURATION_MINUTES:
        problems.add("duration_hours", _("It can last at most 24 hours."))
        return None
    return total


def _read_cutoff(form: Mapping, problems: Problems) -> int | None:
    """Hours before the start, whole or with a half ("1,5"), as minutes."""
    raw_hours = forms.raw(form, "cutoff_hours").strip()
    hours = forms.decimal_number(raw_hours) if raw_hours else None
    if hours is None or not 0 <= hours <= MAX_CUTOFF_HOURS or (hours * 2) != int(hours * 2):
        problems.add("cutoff_hours", _("Hours before the start: a number from 0 to ${max}, such as 2 or 1.5.",
                                       mapping={"max": MAX_CUTOFF_HOURS}))
        return None
    return int(hours * 60)


def _read_season(form: Mapping, problems: Problems) -> tuple[int | None, int | None]:
    months = []
    for name in ("season_start", "season_end"):
        raw_month = forms.raw(form, name).strip()
        month = forms.whole_number(raw_month, max_digits=2) if raw_month else None
        if raw_month and (month is None or not 1 <= month <= 12):
            problems.add(name, _("Choose a month."))
        months.append(month)
    start, end = months
    if (start is None) != (end is None) and not problems.errors.keys() & {"season_start", "season_end"}:
        problems.add("season_start" if start is None else "season_end",
                     _("Choose both the first and the last month, or neither for all year."))
    return (start, end) if (start is None) == (end is None) else (None, None)


def _read_guide_languages(form: Mapping, problems: Problems) -> list[str]:
    chosen = form.getall("guide_language") if hasattr(form, "getall") else form.get("guide_language", [])
    chosen = [chosen] if isinstance(chosen, str) else list(chosen)
    codes = [code for code in GUIDE_LANGUAGES if code in chosen]
    if not codes:
        problems.add("guide_language", _("Tick at least one language the guide speaks."))
    return codes


def save_practical(dbsession, experience: Experience, form: Mapping, *, now: datetime) -> int:
    """How long it lasts, when online booking closes, its season and its guide's languages.

    A new length applies to the sessions nobody has booked yet (from now on); sessions with
    guests keep the times the guests were sent. Returns how many sessions kept their old
    length because of that. Raises InvalidInput; nothing changed."""
    from tourism.scheduling.models import ExperienceSession  # scheduling builds on the catalog

    problems = Problems()
    duration = _read_duration(form, problems)
    cutoff = _read_cutoff(form, problems)
    season_start, season_end = _read_season(form, problems)
    languages = _read_guide_languages(form, problems)
    problems.raise_any()

    kept = 0
    if duration != experience.duration_minutes:
        upcoming = dbsession.scalars(select(ExperienceSession).where(
            ExperienceSession.experience_id == experience.id, ExperienceSession.starts_at > now))
        for session in upcoming:  # a season's sessions at most: a few hundred rows
            if session.ever_booked:
                kept += 1
            else:
                session.ends_at = session.starts_at + timedelta(minutes=duration)
    experience.duration_minutes, experience.booking_cutoff_minutes = duration, cutoff
    experience.season_start_month, experience.season_end_month = season_start, season_end
    current = {row.language: row for row in experience.guide_languages}
    experience.guide_languages = [current.get(code) or ExperienceLanguage(language=code) for code in languages]
    for position, row in enumerate(experience.guide_languages):
        row.position = position
    dbsession.flush()
    return kept


# --- a new experience ----------------------------------------------------------------------------

def _free_slug(dbsession, title: str) -> str:
    """A URL name from the Vietnamese title ("Hái chè buổi sáng" → "hai-che-buoi-sang"),
    numbered when another experience has it."""
    base = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:70].strip("-") or "trai-nghiem"
    slug, number = base, 1
    while dbsession.scalar(select(Experience.id).where(Experience.slug == slug)) is not None:
        number += 1
        slug = f"{base}-{number}"
    return slug


def create_experience(dbsession, villages: list[Village], form: Mapping) -> Experience:
    """A new draft experience in one of `villages` (the owner's): its kind, Vietnamese title
    (and English, if given) and length. Prices, texts and a schedule come next, on its own
    page; it stays a draft, unseen by visitors, until the owner makes it visible. Raises
    InvalidInput; nothing made."""
    problems = Problems()
    village = villages[0] if len(villages) == 1 else forms.chosen_row(
        form, "village", villages, problems, _("Choose the village where it takes place."))
    kind_value = forms.raw(form, "kind")
    kind = next((kind for kind in NEW_KINDS if kind.value == kind_value), None)
    if kind is None:
        problems.add("kind", _("Choose whether it is a guided tour or a hands-on workshop."))
    titles = {}
    for locale in ("vi", "en"):
        name = f"title-{locale}"
        title = forms.line(form, name)
        if not forms.too_long(problems, name, title, TITLE_MAX):
            titles[locale] = title
    if not titles.get("vi") and "title-vi" not in problems.errors:
        problems.add("title-vi", TEXT_FIELDS[0].required_vi)
    duration = _read_duration(form, problems)
    problems.raise_any()

    crafts = village.craft_codes
    experience = Experience(village=village, slug=_free_slug(dbsession, titles["vi"]), kind=kind,
                            craft=crafts[0] if crafts else "", status=PublicationStatus.DRAFT,
                            duration_minutes=duration, min_party=1, max_party=10, currency="VND")
    experience.texts = [ExperienceText(locale=locale, title=title, summary="", description="", meeting_point="")
                        for locale, title in titles.items() if title]
    experience.guide_languages = [ExperienceLanguage(language="vi", position=0)]
    experience.cancellation_rules = [CancellationRule(hours_before=48, refund_percent=100),
                                     CancellationRule(hours_before=24, refund_percent=50)]
    dbsession.add(experience)
    dbsession.flush()
    index_experience(experience)
    dbsession.flush()
    return experience


# --- visitors ---------------------------------------------------------------------------------

def save_status(dbsession, experience: Experience, form: Mapping, *, today: date, horizon_days: int) -> bool:
    """Draft or published. Publishing needs a Vietnamese title and a price; its sessions are
    then made at once (the hourly materialising only keeps published ones). Returns whether
    the status changed. Raises InvalidInput."""
    problems = Problems()
    status = forms.choice(form, "status", PublicationStatus, problems, _("Choose whether visitors may see it."))
    if status == PublicationStatus.PUBLISHED:
        if not any(t.locale == "vi" and t.title for t in experience.texts):
            problems.add("status", _("Give it a Vietnamese title before showing it to visitors."))
        elif not experience.price_tiers:
            problems.add("status", _("Give it a price before showing it to visitors."))
    problems.raise_any()
    if experience.status == status:
        return False
    experience.status = status
    dbsession.flush()
    if status == PublicationStatus.PUBLISHED:
        from tourism.scheduling.services import materialise_sessions  # scheduling builds on the catalog

        materialise_sessions(dbsession, experience, today=today, horizon_days=horizon_days)
    return True


def operator_experiences(dbsession, operator_id: int | None) -> list[Experience]:
    """An operator's experiences (None: all, for an admin), by village and slug."""
    query = (select(Experience).join(Village, Village.id == Experience.village_id)
             .order_by(Village.slug, Experience.slug))
    if operator_id is not None:
        query = query.where(Village.operator_id == operator_id)
    return list(dbsession.scalars(query))
