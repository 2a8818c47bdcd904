"""Demo catalog: real craft villages and their experiences, from villages.toml.

`load()` is idempotent: it brings the database to exactly what the file says, updating rows
in place, so a second run changes nothing and an edited file updates what changed.
"""
import tomllib
from dataclasses import dataclass
from datetime import time
from pathlib import Path

from sqlalchemy import select

from tourism.accounts.models import Operator
from tourism.accounts.services import find_operator
from tourism.catalog.models import (
    CRAFTS,
    PRICE_TIERS,
    CancellationRule,
    Experience,
    ExperienceImage,
    ExperienceKind,
    ExperienceLanguage,
    ExperienceText,
    OpeningHours,
    PriceTier,
    PublicationStatus,
    Village,
    VillageCraft,
    VillageImage,
    VillageText,
)
from tourism.catalog.services import index_experience
from tourism.i18n import LOCALES

DEMO_FILE = Path(__file__).with_name("villages.toml")

VILLAGE_KEYS = {"slug", "operator", "province", "time_zone", "latitude", "longitude", "crafts", "texts", "images", "experiences"}
VILLAGE_TEXT_KEYS = {"name", "summary", "story"}
EXPERIENCE_KEYS = {
    "slug", "kind", "craft", "status", "duration_minutes", "min_party", "max_party", "guide_languages",
    "season_start_month", "season_end_month", "meeting_latitude", "meeting_longitude", "price_tiers",
    "cancellation", "opening_hours", "texts", "images",
}
EXPERIENCE_TEXT_KEYS = {"title", "summary", "description", "meeting_point"}
IMAGE_KEYS = {"path", "width", "height", "alt"}


class DemoDataError(ValueError):
    """The demo file breaks its schema; the message says where."""


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    villages: int = 0
    experiences: int = 0

    def __str__(self):
        return (f"Demo data: {self.villages} villages, {self.experiences} experiences "
                f"({self.created} rows created, {self.updated} updated, {self.deleted} deleted).")


def check_keys(data: dict, allowed: set, where: str, required: set | None = None):
    unknown = set(data) - allowed
    if unknown:
        raise DemoDataError(f"{where}: unknown keys {sorted(unknown)}")
    missing = (required if required is not None else allowed) - set(data)
    if missing:
        raise DemoDataError(f"{where}: missing keys {sorted(missing)}")


def check_codes(values, allowed, where: str):
    bad = set(values) - set(allowed)
    if bad:
        raise DemoDataError(f"{where}: unknown codes {sorted(bad)}")


def assign(row, values: dict):
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def sync(collection: list, wanted: dict, key, make):
    """Make `collection` hold exactly the rows in `wanted` (key → field values), in place."""
    existing = {key(row): row for row in collection}
    for k, values in wanted.items():
        row = existing.pop(k, None)
        if row is None:
            row = make()
            collection.append(row)
        assign(row, values)
    for row in existing.values():
        collection.remove(row)


def texts(data: dict, keys: set, optional: set, where: str) -> dict:
    check_codes(data, LOCALES, f"{where}.texts")
    if "vi" not in data or "en" not in data:
        raise DemoDataError(f"{where}.texts: Vietnamese and English are both required")
    for locale, fields in data.items():
        check_keys(fields, keys, f"{where}.texts.{locale}", keys - optional)
    return {locale: {"locale": locale, **{k: fields.get(k, "") for k in keys}} for locale, fields in data.items()}


def images(data: list, where: str) -> dict:
    wanted = {}
    for position, image in enumerate(data):
        check_keys(image, IMAGE_KEYS, f"{where}.images[{position}]")
        path = Path(__file__).parents[2] / "static" / image["path"]
        if not path.is_file():
            raise DemoDataError(f"{where}.images[{position}]: no file tourism/static/{image['path']}")
        wanted[position] = {"position": position, **image}
    return wanted


def _opening_hours(data: list, where: str) -> dict:
    wanted = {}
    for period in data:
        opens, closes = time.fromisoformat(period["opens"]), time.fromisoformat(period["closes"])
        for weekday in period["weekdays"]:
            if not 0 <= weekday <= 6:
                raise DemoDataError(f"{where}.opening_hours: weekday {weekday} is not 0..6")
            wanted[(weekday, opens)] = {"weekday": weekday, "opens": opens, "closes": closes}
    return wanted


def _load_experience(dbsession, village: Village, data: dict) -> Experience:
    where = f"experience {data.get('slug')!r}"
    check_keys(data, EXPERIENCE_KEYS, where, EXPERIENCE_KEYS - {
        "season_start_month", "season_end_month", "meeting_latitude", "meeting_longitude", "opening_hours"})
    kind = ExperienceKind(data["kind"])
    check_codes([data["craft"]], CRAFTS, where)
    check_codes(data["guide_languages"], LOCALES, where)
    check_codes([t["code"] for t in data["price_tiers"]], PRICE_TIERS, where)
    if (kind == ExperienceKind.ADMISSION) != bool(data.get("opening_hours")):
        raise DemoDataError(f"{where}: opening hours are for admission tickets, and they need them")

    experience = dbsession.scalar(select(Experience).where(Experience.slug == data["slug"]))
    if experience is None:
        experience = Experience(slug=data["slug"])
        dbsession.add(experience)
    assign(experience, {
        "village": village,
        "kind": kind,
        "craft": data["craft"],
        "status": PublicationStatus(data["status"]),
        "duration_minutes": data["duration_minutes"],
        "min_party": data["min_party"],
        "max_party": data["max_party"],
        "currency": "VND",
        "season_start_month": data.get("season_start_month"),
        "season_end_month": data.get("season_end_month"),
        "meeting_latitude": data.get("meeting_latitude"),
        "meeting_longitude": data.get("meeting_longitude"),
    })
    sync(experience.texts, texts(data["texts"], EXPERIENCE_TEXT_KEYS, {"meeting_point"}, where),
          lambda r: r.locale, ExperienceText)
    sync(experience.guide_languages,
          {code: {"language": code, "position": i} for i, code in enumerate(data["guide_languages"])},
          lambda r: r.language, ExperienceLanguage)
    sync(experience.price_tiers,
          {t["code"]: {"code": t["code"], "price": t["price"], "position": i,
                       "min_age": t.get("min_age"), "max_age": t.get("max_age")}
           for i, t in enumerate(data["price_tiers"])},
          lambda r: r.code, PriceTier)
    sync(experience.cancellation_rules,
          {r["hours_before"]: {"hours_before": r["hours_before"], "refund_percent": r["refund_percent"]}
           for r in data["cancellation"]},
          lambda r: r.hours_before, CancellationRule)
    sync(experience.opening_hours, _opening_hours(data.get("opening_hours", []), where),
          lambda r: (r.weekday, r.opens), OpeningHours)
    sync(experience.images, images(data["images"], where), lambda r: r.position, ExperienceImage)
    return experience


def _load_operators(dbsession, rows: list) -> dict[str, Operator]:
    operators = {}
    for data in rows:
        check_keys(data, {"slug", "name"}, f"operator {data.get('slug')!r}", required={"slug", "name"})
        operator = find_operator(dbsession, data["slug"])
        if operator is None:
            operator = Operator(slug=data["slug"])
            dbsession.add(operator)
        assign(operator, {"name": data["name"]})
        operators[data["slug"]] = operator
    return operators


def _load_village(dbsession, data: dict, operators: dict[str, Operator]) -> tuple[Village, list[Experience]]:
    where = f"village {data.get('slug')!r}"
    check_keys(data, VILLAGE_KEYS, where)
    check_codes(data["crafts"], CRAFTS, where)
    village = dbsession.scalar(select(Village).where(Village.slug == data["slug"]))
    if village is None:
        village = Village(slug=data["slug"])
        dbsession.add(village)
    assign(village, {k: data[k] for k in ("province", "time_zone", "latitude", "longitude")})
    village.operator = operators[data["operator"]]
    sync(village.texts, texts(data["texts"], VILLAGE_TEXT_KEYS, set(), where), lambda r: r.locale, VillageText)
    sync(village.crafts, {c: {"craft": c} for c in data["crafts"]}, lambda r: r.craft, VillageCraft)
    sync(village.images, images(data["images"], where), lambda r: r.position, VillageImage)
    experiences = [_load_experience(dbsession, village, e) for e in data["experiences"]]
    return village, experiences


def load(dbsession, path: Path = DEMO_FILE) -> LoadReport:
    """Bring the catalog in line with the demo file; returns what changed.

    Raises DemoDataError (nothing is committed by the caller then) when the file is invalid.
    """
    with open(path, "rb") as f:
        data = tomllib.load(f)
    report = LoadReport()
    with dbsession.no_autoflush:
        operators = _load_operators(dbsession, data.get("operators", []))
        for village_data in data["villages"]:
            if village_data.get("operator") not in operators:
                raise DemoDataError(f"village {village_data.get('slug')!r}: no operator {village_data['operator']!r}")
            _, experiences = _load_village(dbsession, village_data, operators)
            report.villages += 1
            for experience in experiences:
                index_experience(experience)
                report.experiences += 1
        report.created = len(dbsession.new)
        report.updated = sum(1 for row in dbsession.dirty if dbsession.is_modified(row))
        report.deleted = len(dbsession.deleted)
    dbsession.flush()
    return report
