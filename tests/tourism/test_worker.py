"""The worker runs registered tasks in their own transactions; a failure rolls back only itself."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select

from tourism import configure
from tourism.accounts.models import User
from tourism.worker import Worker

EMAIL = "worker-task@example.com"


def add_user(dbsession, now, registry):
    dbsession.add(User(email=EMAIL, display_name="w", password_hash="x", is_admin=False))


def add_user_then_fail(dbsession, now, registry):
    dbsession.add(User(email="never@example.com", display_name="n", password_hash="x", is_admin=False))
    dbsession.flush()
    raise RuntimeError("task failed halfway")


@pytest.fixture
def worker_registry(app_settings):
    config = configure(app_settings)
    config.add_worker_task("test.add_user", add_user, interval=60)
    config.add_worker_task("test.fail", add_user_then_fail, interval=60)
    config.commit()
    yield config.registry
    with config.registry["db.engine"].begin() as conn:
        conn.execute(delete(User).where(User.email.in_([EMAIL, "never@example.com"])))
    config.registry["db.engine"].dispose()


def test_tasks_commit_alone_and_run_again_only_when_due(worker_registry):
    clock = [datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)]
    worker = Worker(worker_registry, clock=lambda: clock[0])
    mine = lambda outcomes: {k: v for k, v in outcomes.items() if k.startswith("test.")}
    assert mine(worker.run_due()) == {"test.add_user": True, "test.fail": False}
    with worker_registry["db.engine"].connect() as conn:
        emails = set(conn.scalars(select(User.email).where(User.email.in_([EMAIL, "never@example.com"]))))
    assert emails == {EMAIL}  # the failing task's row was rolled back, the other committed
    clock[0] += timedelta(seconds=30)
    assert mine(worker.run_due()) == {}
    clock[0] += timedelta(seconds=31)
    assert set(mine(worker.run_due())) == {"test.add_user", "test.fail"}
