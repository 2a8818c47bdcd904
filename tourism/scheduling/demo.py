"""Demo schedules and closures (demo_schedules.toml) for the demo catalog; idempotent like it."""
import tomllib
from datetime import date
from pathlib import Path

from sqlalchemy import select

from tourism.catalog.models import Experience, Village
from tourism.scheduling.models import Closure, ScheduleRule
from tourism.scheduling.services import materialise_all, parse_rrule

DEMO_FILE = Path(__file__).with_name("demo_schedules.toml")


def _sync_closure(dbsession, *, experience_id=None, village_id=None, data) -> None:
    closure = dbsession.scalar(select(Closure).where(
        Closure.experience_id.is_(None) if experience_id is None else Closure.experience_id == experience_id,
        Closure.village_id.is_(None) if village_id is None else Closure.village_id == village_id,
        Closure.starts_on == data["starts_on"],
    ))
    if closure is None:
        closure = Closure(experience_id=experience_id, village_id=village_id, starts_on=data["starts_on"],
                          ends_on=data["ends_on"], reason=data["reason"])
        dbsession.add(closure)
    elif (closure.ends_on, closure.reason) != (data["ends_on"], data["reason"]):
        closure.ends_on, closure.reason = data["ends_on"], data["reason"]


def load(dbsession, *, today: date, path: Path = DEMO_FILE):
    """Bring rules and closures in line with the file, then materialise sessions from `today`."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    experiences = {e.slug: e for e in dbsession.scalars(select(Experience))}
    villages = {v.slug: v for v in dbsession.scalars(select(Village))}
    for slug, plan in data["experiences"].items():
        experience = experiences[slug]
        if "daily_capacity" in plan and experience.daily_capacity != plan["daily_capacity"]:
            experience.daily_capacity = plan["daily_capacity"]
        existing = {r.rrule: r for r in dbsession.scalars(select(ScheduleRule).where(
            ScheduleRule.experience_id == experience.id))}
        for rule in plan.get("schedules", []):
            parse_rrule(rule["rrule"], rule["valid_from"])  # a typo in the file fails loudly
            row = existing.pop(rule["rrule"], None)
            if row is None:
                row = ScheduleRule(experience_id=experience.id, rrule=rule["rrule"])
                dbsession.add(row)
            for name in ("valid_from", "capacity"):
                if getattr(row, name) != rule[name]:
                    setattr(row, name, rule[name])
            if row.valid_until != rule.get("valid_until"):
                row.valid_until = rule.get("valid_until")
        for row in existing.values():
            dbsession.delete(row)
    for closure in data.get("closures", []):
        for slug in closure.get("villages", []):
            _sync_closure(dbsession, village_id=villages[slug].id, data=closure)
        for slug in closure.get("experiences", []):
            _sync_closure(dbsession, experience_id=experiences[slug].id, data=closure)
    dbsession.flush()
    return materialise_all(dbsession, today=today)
