"""Notify test helpers; the loopback SMTP server fixture lives in tests/conftest.py."""
import pytest
from sqlalchemy import delete

from tourism.notify.models import OutboxMessage

# Recipients of every message a notify test commits, so the tests can remove them afterwards.
TEST_DOMAIN = "notify-test.example"


@pytest.fixture
def cleanup_outbox(app):
    """Delete the messages a test committed (to TEST_DOMAIN) from the shared database."""
    yield
    with app.registry["db.engine"].begin() as conn:
        conn.execute(delete(OutboxMessage).where(OutboxMessage.recipient.like(f"%@{TEST_DOMAIN}")))
