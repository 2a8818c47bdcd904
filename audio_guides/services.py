"""Finding stops and their texts and tracks in a visitor's language."""
from sqlalchemy import select

from audio_guides.models import CODE_ALPHABET, CODE_MAX_LENGTH, Stop, Tour
from tourism.catalog.models import PublicationStatus
from tourism.i18n import Localized, localize


def is_code(text: str) -> bool:
    """Whether `text` has the shape of a stop code (upper case, from CODE_ALPHABET)."""
    return 0 < len(text) <= CODE_MAX_LENGTH and all(c in CODE_ALPHABET for c in text)


def find_stop(dbsession, code: str) -> Stop | None:
    """The stop with this exact code on a published tour, or None."""
    if not is_code(code):
        return None
    return dbsession.scalar(select(Stop).join(Tour).where(Stop.code == code,
                                                          Tour.status == PublicationStatus.PUBLISHED))


def tour_text(tour: Tour, locale: str) -> Localized | None:
    return localize({t.locale: t for t in tour.texts}, locale)


def stop_text(stop: Stop, locale: str) -> Localized | None:
    return localize({t.locale: t for t in stop.texts}, locale)


def track_for(stop: Stop, locale: str) -> Localized | None:
    """The stop's track in `locale`, or the fallback chain's (say so to the visitor: `is_fallback`)."""
    return localize({t.locale: t for t in stop.tracks}, locale)


def track_languages(tour: Tour) -> list[str]:
    """The languages every stop of the tour has a track in (what "audio guide in N languages" counts)."""
    per_stop = [{t.locale for t in stop.tracks} for stop in tour.stops]
    return sorted(set.intersection(*per_stop)) if per_stop else []
