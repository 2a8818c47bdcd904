"""The current time, one place to read it: `request.now` (tests may set `tourism.now` in the environ)."""
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def request_now(request) -> datetime:
    return request.environ.get("tourism.now") or utcnow()


def includeme(config):
    config.add_request_method(request_now, "now", reify=True)
