"""Helpers for tests that race real transactions against a committed database."""
import threading
from contextlib import contextmanager

import transaction

from tourism.db import get_engine, get_tm_session


def race_engine(db_url: str, racers: int):
    """An engine of the race's own (the test's rolled-back session cannot race), with a
    connection for every racer on PostgreSQL (SQLite lets one writer in at a time anyway)."""
    settings = {"sqlalchemy.url": db_url}
    if not db_url.startswith("sqlite"):
        settings.update({"sqlalchemy.pool_size": str(racers), "sqlalchemy.max_overflow": "0"})
    return get_engine(settings)


def committed(factory, work):
    """Run `work(dbsession)` in its own committed transaction; returns what it returns."""
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        return work(get_tm_session(factory, manager))


def all_at_once(count: int, attempt) -> list:
    """Run `attempt(i)` for i in 0..count-1 in threads released together.

    Returns each attempt's result, or ("error", repr) for an unexpected exception, so a
    test can show every outcome at once.
    """
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def run(i):
        barrier.wait()
        try:
            outcomes[i] = attempt(i)
        except Exception as error:  # noqa: BLE001  (reported to the test, not lost in a thread)
            outcomes[i] = ("error", repr(error))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@contextmanager
def guard_switched_off(guard, pause_seconds: float = 0.05):
    """The negative control: `guard` (a tourism.concurrency.RaceGuard) off, with a pause that
    widens the window between its check and its write; switched back on afterwards."""
    guard.enabled, guard.pause_seconds = False, pause_seconds
    try:
        yield
    finally:
        guard.enabled, guard.pause_seconds = True, 0.0
