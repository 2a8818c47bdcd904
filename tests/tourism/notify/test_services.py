"""The outbox: a committed e-mail is sent once, a rolled-back one never, a failed one later.

Every test works in 2001: `send_due` only takes messages due at its `now`, so messages other
test modules may have committed (with today's dates) are never picked up here.
"""
import threading
import time
from datetime import datetime, timedelta, timezone

import icalendar
import pytest
import transaction
from sqlalchemy import func, select

from tests.tourism.notify.conftest import TEST_DOMAIN
from tourism import configure
from tourism.db import get_tm_session
from tourism.notify import services
from tourism.notify.ics import booking_event
from tourism.notify.models import OutboxMessage, OutboxStatus
from tourism.notify.services import MAX_ATTEMPTS, Attachment, enqueue_email, send_due
from tourism.worker import Worker

T0 = datetime(2001, 3, 1, 2, 0, tzinfo=timezone.utc)
SENDER = "LàngViệt <no-reply@langviet.test>"
SUBJECT = "Xác nhận đặt chỗ · 예약 확인 — Bát Tràng"
TEXT = "Chào Min-ji, hẹn gặp bạn ở làng gốm Bát Tràng lúc 07:00. 감사합니다!"
HTML = "<p>Chào <b>Min-ji</b>, hẹn gặp bạn ở làng gốm Bát Tràng. 감사합니다!</p>"


def ics_bytes() -> bytes:
    return booking_event(
        uid="booking-TEST@langviet", summary="Làm gốm Bát Tràng", description="Mã đặt chỗ TEST",
        location="Bát Tràng, Gia Lâm, Hà Nội", starts_at=datetime(2001, 3, 5, 0, 0, tzinfo=timezone.utc),
        ends_at=datetime(2001, 3, 5, 2, 0, tzinfo=timezone.utc), tz_name="Asia/Ho_Chi_Minh", stamp=T0,
    )


def enqueue(dbsession, to=f"minji@{TEST_DOMAIN}", now=T0, **fields):
    return enqueue_email(dbsession, to=to, subject=fields.pop("subject", SUBJECT), text=fields.pop("text", TEXT),
                         now=now, **fields)


def committed(registry, work):
    """Run `work(dbsession)` in its own committed transaction (as a request would) and return its result."""
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        return work(get_tm_session(registry["dbsession_factory"], manager))


class BrokenMailer:
    def __init__(self):
        self.calls = 0

    def send(self, message):
        self.calls += 1
        raise ConnectionRefusedError("relay down")


def test_an_enqueued_email_arrives_intact_and_is_marked_sent(dbsession, smtp_server):
    ics = ics_bytes()
    pdf = b"%PDF-1.7\n\x00\xff\xfe binary ticket \x80\x81"
    message = enqueue(dbsession, html=HTML, attachments=[
        Attachment("booking.ics", "text/calendar; method=PUBLISH", ics),
        Attachment("ticket.pdf", "application/pdf", pdf),
    ])
    assert message.status == OutboxStatus.PENDING and message.id is not None

    counts = send_due(dbsession, now=T0, mailer=smtp_server.mailer(), sender=SENDER)

    assert counts == {"sent": 1, "retried": 0, "failed": 0}
    assert (message.status, message.sent_at, message.attempts) == (OutboxStatus.SENT, T0, 1)
    (received,) = smtp_server.received
    assert received["Subject"] == SUBJECT
    assert received["To"] == f"minji@{TEST_DOMAIN}"
    assert received["From"].addresses[0].display_name == "LàngViệt"
    assert received.get_body(("plain",)).get_content().strip() == TEXT
    assert received.get_body(("html",)).get_content().strip() == HTML
    calendar_part, pdf_part = received.iter_attachments()
    assert calendar_part.get_filename() == "booking.ics"
    assert calendar_part.get_content_type() == "text/calendar"
    assert calendar_part.get_param("method") == "PUBLISH"
    assert calendar_part.get_payload(decode=True) == ics
    event = icalendar.Calendar.from_ical(calendar_part.get_payload(decode=True)).events[0]
    assert event["summary"] == "Làm gốm Bát Tràng"
    assert event.decoded("dtstart") == datetime(2001, 3, 5, 0, 0, tzinfo=timezone.utc)
    assert pdf_part.get_content_type() == "application/pdf"
    assert pdf_part.get_payload(decode=True) == pdf
    # Sent messages are not sent again.
    assert send_due(dbsession, now=T0 + timedelta(hours=1), mailer=smtp_server.mailer(), sender=SENDER)["sent"] == 0
    assert len(smtp_server.received) == 1


def test_a_rolled_back_transaction_sends_nothing(app, smtp_server, cleanup_outbox):
    manager = transaction.TransactionManager(explicit=True)
    with pytest.raises(RuntimeError), manager:
        dbsession = get_tm_session(app.registry["dbsession_factory"], manager)
        enqueue(dbsession, to=f"rolled-back@{TEST_DOMAIN}")
        raise RuntimeError("the booking failed after the e-mail was written")

    counts = committed(app.registry, lambda db: send_due(db, now=T0 + timedelta(days=1), mailer=smtp_server.mailer(),
                                                sender=SENDER))

    assert counts == {"sent": 0, "retried": 0, "failed": 0}
    assert smtp_server.received == []
    stored = committed(app.registry, lambda db: db.scalar(
        select(func.count()).where(OutboxMessage.recipient == f"rolled-back@{TEST_DOMAIN}")))
    assert stored == 0


@pytest.mark.parametrize("failure", ["server down", "server refuses"])
def test_a_failed_send_is_retried_with_backoff_and_then_sent_once(dbsession, smtp_server, failure):
    message = enqueue(dbsession)
    mailer = smtp_server.mailer()
    if failure == "server down":
        smtp_server.stop()
    else:
        smtp_server.handler.refusal = "451 4.3.0 Mailbox busy, try again later"

    assert send_due(dbsession, now=T0, mailer=mailer, sender=SENDER) == {"sent": 0, "retried": 1, "failed": 0}
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.next_attempt_at == T0 + timedelta(minutes=1)
    assert ("ConnectionRefusedError" if failure == "server down" else "451") in message.last_error

    # Not due yet: nothing is tried.
    assert send_due(dbsession, now=T0 + timedelta(seconds=59), mailer=mailer, sender=SENDER)["retried"] == 0
    assert message.attempts == 1

    second = message.next_attempt_at
    assert send_due(dbsession, now=second, mailer=mailer, sender=SENDER)["retried"] == 1
    assert message.attempts == 2
    assert message.next_attempt_at == second + timedelta(minutes=2)  # the wait doubles

    if failure == "server down":
        smtp_server.start()
    else:
        smtp_server.handler.refusal = None
    third = message.next_attempt_at
    assert send_due(dbsession, now=third, mailer=mailer, sender=SENDER)["sent"] == 1
    assert (message.status, message.attempts, message.sent_at) == (OutboxStatus.SENT, 3, third)
    assert send_due(dbsession, now=third + timedelta(days=1), mailer=mailer, sender=SENDER)["sent"] == 0
    assert [m["Subject"] for m in smtp_server.received] == [SUBJECT]


def test_after_max_attempts_a_message_is_failed_and_kept(dbsession):
    message = enqueue(dbsession)
    mailer = BrokenMailer()
    waits = []
    now = T0
    for _ in range(MAX_ATTEMPTS):
        before = now
        send_due(dbsession, now=now, mailer=mailer, sender=SENDER)
        now = message.next_attempt_at
        waits.append(now - before)

    assert message.status == OutboxStatus.FAILED
    assert message.attempts == MAX_ATTEMPTS == mailer.calls
    assert "relay down" in message.last_error
    # 1, 2, 4 … minutes, never more than 6 hours (the last try changes no date).
    assert waits[:3] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert max(waits) == timedelta(hours=6)
    assert send_due(dbsession, now=now + timedelta(days=30), mailer=mailer, sender=SENDER)["failed"] == 0
    assert mailer.calls == MAX_ATTEMPTS  # a failed message is never tried again...
    dbsession.expire_all()
    assert dbsession.get(OutboxMessage, message.id).status == OutboxStatus.FAILED  # ...and still stored


def test_the_same_dedupe_key_stores_one_row(dbsession):
    first = enqueue(dbsession, dedupe_key="booking-confirmed:notify-test-1")
    again = enqueue(dbsession, dedupe_key="booking-confirmed:notify-test-1", subject="a retried request")
    other = enqueue(dbsession, dedupe_key="booking-confirmed:notify-test-2")
    plain = [enqueue(dbsession), enqueue(dbsession)]  # without a key nothing is merged

    assert again is first and again.subject == SUBJECT
    assert other.id != first.id and plain[0].id != plain[1].id
    keys = dbsession.scalars(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.dedupe_key.like("booking-confirmed:notify-test-%"))).all()
    assert sorted(keys) == ["booking-confirmed:notify-test-1", "booking-confirmed:notify-test-2"]


def test_a_racing_retry_with_the_same_dedupe_key_stores_one_row(app, cleanup_outbox):
    """The second request starts before the first commits: it waits, then returns the first's row."""
    key = "booking-confirmed:notify-test-race"
    factory = app.registry["dbsession_factory"]
    first_manager = transaction.TransactionManager(explicit=True)
    first_manager.begin()
    first_db = get_tm_session(factory, first_manager)
    first_id = enqueue(first_db, to=f"race@{TEST_DOMAIN}", dedupe_key=key).id
    result = {}

    def retried_request():
        result["id"] = committed(app.registry, lambda db: enqueue(db, to=f"race@{TEST_DOMAIN}", dedupe_key=key).id)

    thread = threading.Thread(target=retried_request)
    thread.start()
    time.sleep(0.5)  # the retry now waits on the first transaction (row lock on PostgreSQL, BEGIN on SQLite)
    first_manager.commit()
    thread.join(timeout=30)

    assert result["id"] == first_id
    assert committed(app.registry, lambda db: db.scalar(select(func.count()).where(OutboxMessage.dedupe_key == key))) == 1


def test_enqueue_refuses_what_could_never_be_sent(dbsession):
    with pytest.raises(ValueError):
        enqueue(dbsession, to="no-at-sign")
    with pytest.raises(ValueError):
        enqueue(dbsession, subject="two\nlines")
    with pytest.raises(ValueError):
        enqueue(dbsession, to=f"victim@{TEST_DOMAIN}\r\nBcc: everyone@example.com")
    with pytest.raises(ValueError):
        Attachment("x.bin", "binary", b"")


def test_the_worker_task_sends_through_the_configured_mailer(app_settings, smtp_server, cleanup_outbox):
    config = configure(dict(app_settings, **{"mail.port": str(smtp_server.port)}))
    config.commit()
    registry = config.registry
    try:
        committed(registry, lambda db: enqueue(db))
        outcomes = Worker(registry, clock=lambda: T0).run_due()
        assert outcomes["notify.send_outbox"] is True
        assert [m["Subject"] for m in smtp_server.received] == [SUBJECT]
        assert committed(registry, lambda db: db.scalar(
            select(OutboxMessage.status).where(OutboxMessage.recipient == f"minji@{TEST_DOMAIN}"))) == "sent"
    finally:
        registry["db.engine"].dispose()


class SlowMailer:
    """Takes a while per message, like a real relay; records which outbox ids it was given."""

    def __init__(self):
        self.sent = []
        self.sending = threading.Event()

    def send(self, message):
        self.sending.set()
        time.sleep(0.2)
        self.sent.append(message["Message-ID"])


def unlocked_claim(dbsession, *, now, limit):
    # The guard switched off: the same query without FOR UPDATE SKIP LOCKED.
    return list(dbsession.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)))


def race_two_senders(app) -> tuple[list, list]:
    """Sender A claims and sends slowly; sender B starts while A is still sending."""
    committed(app.registry, lambda db: [enqueue(db, to=f"guest{i}@{TEST_DOMAIN}") for i in range(6)])
    a, b = SlowMailer(), SlowMailer()

    def sender(mailer):
        committed(app.registry, lambda db: send_due(db, now=T0, mailer=mailer, sender=SENDER, batch=3))

    thread_a = threading.Thread(target=sender, args=(a,))
    thread_a.start()
    assert a.sending.wait(10)
    sender(b)
    thread_a.join(timeout=30)
    return a.sent, b.sent


def test_two_senders_never_send_the_same_message(backend, app, monkeypatch, cleanup_outbox):
    if backend != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; on SQLite one writer at a time holds the database")

    # Negative control: without the lock, B takes the very messages A is sending.
    with monkeypatch.context() as patch:
        patch.setattr(services, "claim_due", unlocked_claim)
        a_sent, b_sent = race_two_senders(app)
    assert set(a_sent) & set(b_sent), "the race did not happen: this test would prove nothing"
    with app.registry["db.engine"].begin() as conn:
        conn.execute(OutboxMessage.__table__.delete().where(OutboxMessage.recipient.like(f"%@{TEST_DOMAIN}")))

    # With FOR UPDATE SKIP LOCKED, B skips A's three and sends the other three.
    a_sent, b_sent = race_two_senders(app)
    assert len(a_sent) == len(b_sent) == 3
    assert not set(a_sent) & set(b_sent)
    statuses = committed(app.registry, lambda db: db.scalars(
        select(OutboxMessage.status).where(OutboxMessage.recipient.like(f"%@{TEST_DOMAIN}"))).all())
    assert statuses == ["sent"] * 6
