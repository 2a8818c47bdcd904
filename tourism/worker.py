"""The background worker: runs the periodic tasks that domains register.

A domain registers a task in its includeme:

    config.add_worker_task("booking.expire_holds", expire_holds, interval=30)

and the task is a function `task(dbsession, now, registry)`. Each run has its own
transaction: it commits when the task returns and is rolled back when it raises, and a
failed run is simply tried again at its next interval, so tasks must be idempotent. Several
workers may run at once; tasks that claim rows use `FOR UPDATE SKIP LOCKED` so two workers
never take the same row.
"""
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

import transaction
from pyramid.path import DottedNameResolver

from tourism.db import get_tm_session

log = logging.getLogger(__name__)
TASKS_KEY = "worker.tasks"


@dataclass
class Task:
    name: str
    func: Callable
    interval: timedelta


def add_worker_task(config, name: str, func, interval: float):
    func = DottedNameResolver().maybe_resolve(func)
    config.registry.setdefault(TASKS_KEY, {})[name] = Task(name, func, timedelta(seconds=interval))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Worker:
    """Runs each registered task when it is due; one failing task never stops the others."""

    def __init__(self, registry, clock: Callable[[], datetime] = utcnow):
        self.registry = registry
        self.clock = clock
        self.tasks: dict[str, Task] = registry.get(TASKS_KEY, {})
        self.next_run: dict[str, datetime] = {}

    def run_task(self, task: Task, now: datetime) -> bool:
        """Run one task in its own transaction; True when it committed."""
        manager = transaction.TransactionManager(explicit=True)
        try:
            with manager:
                dbsession = get_tm_session(self.registry["dbsession_factory"], manager)
                task.func(dbsession=dbsession, now=now, registry=self.registry)
        except Exception:
            log.exception("worker task %s failed; it will run again in %s", task.name, task.interval)
            return False
        return True

    def run_due(self) -> dict[str, bool]:
        """Run every task whose time has come; returns task name → committed."""
        now = self.clock()
        outcomes = {}
        for task in self.tasks.values():
            if self.next_run.get(task.name, now) <= now:
                outcomes[task.name] = self.run_task(task, now)
                self.next_run[task.name] = now + task.interval
        return outcomes

    def run_forever(self, stop: threading.Event, poll: float = 1.0) -> None:
        log.info("worker started with tasks: %s", ", ".join(self.tasks) or "none")
        while not stop.is_set():
            self.run_due()
            stop.wait(poll)


def includeme(config):
    config.add_directive("add_worker_task", add_worker_task)
    config.registry.setdefault(TASKS_KEY, {})
