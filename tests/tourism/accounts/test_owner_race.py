"""Two owners demote (or remove) each other at the same instant, each in its own transaction:
one wins, the other is refused, and the operator keeps an owner. The negative control (the
operator's row not locked, a pause between counting the owners and writing) shows the race
is real: both succeed and the operator is left with no owner."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import delete, func, select

from tests.concurrency import all_at_once, committed, guard_switched_off, race_engine
from tests.factories import make_operator, make_staff
from tourism.accounts import people
from tourism.accounts.models import Operator, OperatorRole, User
from tourism.db import get_session_factory
from tourism.exceptions import DomainError

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)
SLUG = "htx-dua-chu"


@pytest.fixture
def race_db(db_url):
    engine = race_engine(db_url, 3)
    factory = get_session_factory(engine)
    yield factory
    with engine.begin() as conn:
        operator_ids = select(Operator.id).where(Operator.slug == SLUG)
        conn.execute(delete(User).where(User.operator_id.in_(operator_ids)))
        conn.execute(delete(Operator).where(Operator.slug == SLUG))
    engine.dispose()


def two_owners(factory) -> tuple[int, int, int]:
    def make(db):
        operator = make_operator(db, SLUG, "Hợp tác xã Đua")
        first = make_staff(db, operator, "first@dua.example", role="owner")
        second = make_staff(db, operator, "second@dua.example", role="owner")
        return operator.id, first.id, second.id
    return committed(factory, make)


def owners(factory, operator_id) -> int:
    return committed(factory, lambda db: db.scalar(select(func.count()).select_from(User).where(
        User.operator_id == operator_id, User.operator_role == OperatorRole.OWNER, User.deactivated_at.is_(None))))


def step_down_each_other(factory, ids, how):
    def attempt(i):
        def work(db):
            other = db.get(User, ids[1 - i])
            if how == "demote":
                people.change_role(db, other, {"role": "staff"})
            else:
                people.remove_person(db, other, now=NOW)
        try:
            committed(factory, work)
        except DomainError:
            return "refused"
        return "done"
    return sorted(all_at_once(2, attempt))


@pytest.mark.parametrize("how", ["demote", "remove"])
def test_two_owners_stepping_each_other_down_leave_one_owner(race_db, how):
    operator_id, *ids = two_owners(race_db)
    assert step_down_each_other(race_db, ids, how) == ["done", "refused"]
    assert owners(race_db, operator_id) == 1


def test_negative_control_without_the_lock_both_win_and_no_owner_is_left(backend, race_db):
    if backend == "sqlite":
        pytest.skip("SQLite takes its write lock at BEGIN IMMEDIATE, so even unguarded writers never interleave")
    operator_id, *ids = two_owners(race_db)
    with guard_switched_off(people.OWNER_GUARD, pause_seconds=0.3):
        assert step_down_each_other(race_db, ids, "demote") == ["done", "done"]
    assert owners(race_db, operator_id) == 0
