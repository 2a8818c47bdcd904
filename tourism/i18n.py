"""Languages: which one a visitor gets, and formatting in it.

The visitor's language is, in order: an explicit choice (`?lang=ko`, remembered in a
cookie), the cookie, the browser's Accept-Language, then Vietnamese. Content stored per
locale (village stories, experience texts) falls back requested → en → vi, and pages say
when they show a fallback.
"""
import os
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Generic, Iterable, Mapping, TypeVar
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import lists as babel_lists
from babel import numbers as babel_numbers
from babel import units as babel_units
from pyramid.events import NewResponse
from pyramid.i18n import TranslationString, TranslationStringFactory

from tourism.settings import flag

DOMAIN = "tourism"
_ = TranslationStringFactory(DOMAIN)

LOCALES = ("vi", "en", "ko", "zh", "ja", "fr")
DEFAULT_LOCALE = "vi"
CONTENT_FALLBACK = ("en", "vi")
LOCALE_PARAM = "lang"
LOCALE_COOKIE = "lang"
LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600
# Each language named in itself, for the switcher.
LANGUAGE_NAMES = {
    "vi": "Tiếng Việt",
    "en": "English",
    "ko": "한국어",
    "zh": "中文",
    "ja": "日本語",
    "fr": "Français",
}


def normalize_locale(value: str | None) -> str | None:
    """Return the supported locale a language tag names ("ko-KR" → "ko"), or None."""
    if not value or len(value) > 35:
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LOCALES else None


def explicit_locale(request) -> str | None:
    return normalize_locale(request.GET.get(LOCALE_PARAM))


def negotiate_locale(request) -> str:
    # Code that renders for someone else (an e-mail in the booker's language) sets _LOCALE_.
    forced = getattr(request, "_LOCALE_", None)
    if forced in LOCALES:
        return forced
    chosen = explicit_locale(request) or normalize_locale(request.cookies.get(LOCALE_COOKIE))
    if chosen:
        return chosen
    return request.accept_language.lookup(language_tags=LOCALES, default=DEFAULT_LOCALE)


def locale_response_headers(event):
    """Remember an explicit `?lang=` choice, and tell caches what the language depended on."""
    request, response = event.request, event.response
    chosen = explicit_locale(request)
    is_page = response.content_type == "text/html"
    # Only a page remembers the choice: a public, cached file (audio, images) must set no cookie.
    if chosen and is_page and request.cookies.get(LOCALE_COOKIE) != chosen:
        response.set_cookie(
            LOCALE_COOKIE,
            chosen,
            max_age=LOCALE_COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=flag(request.registry.settings, "tourism.secure_cookies"),
        )
    if is_page:
        response.content_language = request.locale_name
        response.vary = tuple(dict.fromkeys([*(response.vary or ()), "Accept-Language", "Cookie"]))


T = TypeVar("T")


@dataclass(frozen=True)
class Localized(Generic[T]):
    """A piece of per-locale content and the locale it is really in."""

    value: T
    locale: str
    requested: str

    @property
    def is_fallback(self) -> bool:
        return self.locale != self.requested


def pick_locale(available: Iterable[str], requested: str) -> str | None:
    """The best of `available` for `requested`, following the fallback chain."""
    available = set(available)
    for candidate in (requested, *CONTENT_FALLBACK):
        if candidate in available:
            return candidate
    return next(iter(sorted(available)), None)


def script_template(request, message: TranslationString, *names: str, placeholder: str = "{%s}") -> str:
    """`message` translated for the page's script, its `${name}` values left as placeholders
    (`placeholder % name`) for the script to fill in; `message` is a `_("…")`, so extracted."""
    return request.localizer.translate(
        TranslationString(message, mapping={name: placeholder % name for name in names}))


def localize(by_locale: Mapping[str, T], requested: str) -> Localized[T] | None:
    chosen = pick_locale(by_locale.keys(), requested)
    if chosen is None:
        return None
    return Localized(by_locale[chosen], chosen, requested)


class Formatter:
    """Dates, times, numbers and money in one locale, through Babel.

    Money is an integer in minor units; VND has none, so 350000 is 350.000 ₫.
    """

    def __init__(self, locale_name: str):
        self.locale_name = locale_name
        self.locale = Locale.parse(locale_name)

    def money(self, amount: int, currency: str = "VND") -> str:
        digits = babel_numbers.get_currency_precision(currency)
        value = amount / (10**digits) if digits else amount
        return babel_numbers.format_currency(value, currency, locale=self.locale)

    def number(self, value: int) -> str:
        return babel_numbers.format_decimal(value, locale=self.locale)

    def file_size(self, size_bytes: int) -> str:
        """A file's size in the locale's own units (CLDR through Babel): 310 kB, 4,2 MB, 4,2 Mo."""
        if size_bytes < 1024 * 1024:
            return babel_units.format_unit(max(1, round(size_bytes / 1024)), "digital-kilobyte", length="short",
                                           locale=self.locale)
        return babel_units.format_unit(size_bytes / 1048576, "digital-megabyte", length="short",
                                       format="#,##0.#", locale=self.locale)

    def date(self, value: date, format: str = "medium") -> str:
        return babel_dates.format_date(value, format=format, locale=self.locale)

    def datetime(self, value: datetime, tz: str | tzinfo, format: str = "medium") -> str:
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        return babel_dates.format_datetime(value, format=format, tzinfo=zone, locale=self.locale)

    def time_zone(self, tz: str) -> str:
        """A time zone as people say it: "Vietnam Time (GMT+07:00)"."""
        zone = ZoneInfo(tz)
        where = babel_dates.get_timezone_location(zone, locale=self.locale, return_city=False)
        offset = babel_dates.get_timezone_gmt(datetime.now(zone), locale=self.locale)
        return f"{where} ({offset})"

    def session_datetime(self, moment: datetime, tz: str) -> str:
        """A session's start as people write it: the full date and the short time, in `tz`."""
        zone = ZoneInfo(tz)
        day = babel_dates.format_date(moment.astimezone(zone).date(), format="full", locale=self.locale)
        clock = babel_dates.format_time(moment, format="short", tzinfo=zone, locale=self.locale)
        glue = str(self.locale.datetime_formats["medium"]).replace("'", "")
        return glue.format(clock, day)

    def local_time(self, moment: datetime, tz: str) -> str:
        """The time of day of `moment` in time zone `tz` ("07:00")."""
        return babel_dates.format_time(moment, format="short", tzinfo=ZoneInfo(tz), locale=self.locale)

    def day_label(self, day: date) -> str:
        """A short date with its weekday: "Tue, Dec 1", "T3, 1 thg 12"."""
        return babel_dates.format_skeleton("MMMEd", day, locale=self.locale)

    def month_title(self, year: int, month: int) -> str:
        """"December 2026", "tháng 12 năm 2026"."""
        return babel_dates.format_skeleton("yMMMM", date(year, month, 1), locale=self.locale)

    def weekday_short(self, index: int) -> str:
        return self.locale.days["stand-alone"]["abbreviated"][index]

    def time(self, value: time, format: str = "short") -> str:
        return babel_dates.format_time(value, format=format, locale=self.locale)

    def duration(self, minutes: int) -> str:
        """'2 hr, 30 min' in the visitor's language (CLDR has short unit names for every locale)."""
        hours, minutes = divmod(minutes, 60)
        parts = [
            babel_units.format_unit(count, unit, length="short", locale=self.locale)
            for count, unit in ((hours, "duration-hour"), (minutes, "duration-minute"))
            if count
        ]
        return babel_lists.format_list(parts, style="unit", locale=self.locale)

    def weekday(self, index: int) -> str:
        """Weekday name; 0 is Monday."""
        return self.locale.days["format"]["wide"][index]

    def month(self, number: int) -> str:
        """Month name, standing alone ("March"); 1 is January."""
        return self.locale.months["stand-alone"]["wide"][number]

    def language(self, code: str) -> str:
        return Locale.parse(code).get_display_name(self.locale) or code

    def languages(self, codes: Iterable[str]) -> str:
        """"Vietnamese, English and Korean", named in the visitor's language."""
        return self.list(self.language(code) for code in codes)

    def list(self, items: Iterable[str]) -> str:
        return babel_lists.format_list(list(items), locale=self.locale)


def translation_dir(settings) -> str:
    default = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "locales")
    return settings.get("tourism.locales_dir", default)


def includeme(config):
    settings = config.get_settings()
    settings.setdefault("pyramid.default_locale_name", DEFAULT_LOCALE)
    settings.setdefault("jinja2.i18n.domain", DOMAIN)
    config.add_translation_dirs(translation_dir(settings))
    config.set_locale_negotiator(negotiate_locale)
    config.add_subscriber(locale_response_headers, NewResponse)
    config.add_request_method(lambda request: Formatter(request.locale_name), "fmt", reify=True)
    config.add_request_method(
        lambda request: lambda message, **kw: request.localizer.translate(message, **kw),
        "translate",
        reify=True,
    )
