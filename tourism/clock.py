"""The current time, one place to read it: `request.now` (tests may set `tourism.now` in the environ)."""
from datetime import datetime, timedelta, timezone

# How long staff may take back an everyday mis-tap at the gate ("Undo this check-in", "Undo"
# after "Handed over" or "Mark sent"): long enough to notice the wrong party or count, short
# enough that the guests have not long walked off with their tickets or products.
UNDO_WINDOW = timedelta(minutes=15)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def request_now(request) -> datetime:
    return request.environ.get("tourism.now") or utcnow()


def includeme(config):
    config.add_request_method(request_now, "now", reify=True)
