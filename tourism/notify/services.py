"""The outbox: write an e-mail in the caller's transaction, send it later from the worker.

`enqueue_email` runs inside the transaction that makes the change (a booking confirmed), so
a rolled-back request sends nothing. `send_due` runs in the worker's own transaction: a
message is marked sent in the same commit that follows its sending, so a crash between
the two sends it again rather than losing it (at least once; its Message-ID stays the same,
so mail clients can tell the copies apart).
"""
import base64
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tourism.notify.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)  # 1, 2, 4 … 256 min, then 6 h: about 20 h before giving up


# What a Content-ID may hold here: the HTML writes it as-is after "cid:", so nothing to escape.
_CONTENT_ID = re.compile(r"[A-Za-z0-9._-]+@[A-Za-z0-9.-]+")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar; method=PUBLISH", "application/pdf"
    data: bytes
    # Set for an image the HTML shows with <img src="cid:{content_id}">: it is sent inline,
    # next to the HTML in a multipart/related part, because mail clients block data: URIs
    # and remote images. Without an HTML body it is sent as an ordinary attachment.
    content_id: str | None = None

    def __post_init__(self):
        if "/" not in self.content_type.split(";")[0]:
            raise ValueError(f"attachment content type must be type/subtype: {self.content_type!r}")
        if self.content_id is not None and not _CONTENT_ID.fullmatch(self.content_id):
            raise ValueError(f"content id must look like name@domain: {self.content_id!r}")


def enqueue_email(dbsession, *, to: str, subject: str, text: str, html: str | None = None,
                  attachments=(), now: datetime, dedupe_key: str | None = None) -> OutboxMessage:
    """Add an e-mail to the outbox in the caller's transaction and return its row.

    Flushes (the row gets an id) but never commits: the message goes out only if the
    caller's transaction commits. When a message with the same `dedupe_key` exists (a
    retried request), returns that one and adds nothing. Raises ValueError for an address
    or subject that could not be sent (a line break, no '@', too long), so the request
    fails now instead of leaving a message that can never be sent.
    """
    _check_header("recipient", to, 254)
    if "@" not in parseaddr(to)[1]:
        raise ValueError(f"not an e-mail address: {to!r}")
    _check_header("subject", subject, 300)
    if dedupe_key is not None:
        # The common retry finds the row here, without a failed insert (the savepoint below covers the race).
        existing = _by_dedupe_key(dbsession, dedupe_key)
        if existing is not None:
            return existing
    message = OutboxMessage(
        recipient=to, subject=subject, body_text=text, body_html=html,
        attachments=[_attachment_to_json(a) for a in attachments],
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, created_at=now,
        dedupe_key=dedupe_key,
    )
    try:
        # A savepoint, so that losing a race for the dedupe key to a concurrent request
        # (which committed between our select and our insert) leaves the caller's work intact.
        with dbsession.begin_nested():
            dbsession.add(message)
    except IntegrityError:
        if dedupe_key is None:
            raise
        return _by_dedupe_key(dbsession, dedupe_key)
    return message


def email_enqueued(dbsession, dedupe_key: str) -> bool:
    """Whether a message with this `dedupe_key` is in the outbox (pending, sent or failed).

    For callers that would do work (render, issue a link token) only for a new message;
    `enqueue_email` still guards against a concurrent request doing the same.
    """
    return _by_dedupe_key(dbsession, dedupe_key) is not None


def claim_due(dbsession, *, now: datetime, limit: int) -> list[OutboxMessage]:
    """Pending messages due at `now`, oldest first, locked until the caller's transaction ends.

    On PostgreSQL `FOR UPDATE SKIP LOCKED`: a second sender skips what the first holds, so
    no message is sent twice by two workers. SQLite ignores the clause; its writers take
    turns anyway (each transaction begins IMMEDIATE).
    """
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(dbsession.scalars(query))


def send_due(dbsession, *, now: datetime, mailer, sender: str, batch: int = 20) -> dict[str, int]:
    """Send up to `batch` due messages through `mailer`, From `sender`.

    Claims them with `claim_due`. A message the mailer accepts is marked sent; one it
    refuses (any exception) keeps its place: `attempts` goes up, the error is stored and
    `next_attempt_at` moves back by 1, 2, 4 … minutes up to 6 hours; after MAX_ATTEMPTS
    it is marked failed and kept. Never raises for a sending error, never deletes, never
    commits (the worker's transaction does). Returns {"sent", "retried", "failed"} counts.
    """
    counts = {"sent": 0, "retried": 0, "failed": 0}
    for message in claim_due(dbsession, now=now, limit=batch):
        message.attempts += 1
        try:
            mailer.send(build_email(message, sender=sender))
        except Exception as error:  # whatever the transport raises, the message must survive it
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxStatus.FAILED
                counts["failed"] += 1
                log.error("giving up on outbox message %s after %s attempts: %s",
                          message.id, message.attempts, message.last_error)
            else:
                message.next_attempt_at = now + retry_delay(message.attempts)
                counts["retried"] += 1
                log.warning("outbox message %s not sent (attempt %s), next try at %s: %s",
                            message.id, message.attempts, message.next_attempt_at, message.last_error)
        else:
            message.status = OutboxStatus.SENT
            message.sent_at = now
            counts["sent"] += 1
    dbsession.flush()
    return counts


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: doubling from 1 minute, at most 6 hours."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


def build_email(message: OutboxMessage, *, sender: str) -> EmailMessage:
    """The MIME message for an outbox row: UTF-8 text, an HTML alternative (with its inline
    images, if any), attachments."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    # Stable across tries, so a message sent twice (crash after sending) is recognisably one.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "langviet.invalid"
    email["Message-ID"] = f"<outbox.{message.id}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"
    email.set_content(message.body_text, charset="utf-8")
    html = None
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html", charset="utf-8")
        html = email.get_body(("html",))
    for item in message.attachments or ():
        maintype, subtype, params = _split_content_type(item["content_type"])
        data = base64.b64decode(item["data_base64"])
        content_id = item.get("content_id")  # absent in rows written before inline images existed
        if content_id and html is not None:
            # text/html becomes multipart/related [html, image]: what "cid:" resolves against.
            html.add_related(data, maintype=maintype, subtype=subtype, cid=f"<{content_id}>",
                             disposition="inline", filename=item["filename"], params=params)
        else:
            email.add_attachment(data, maintype=maintype, subtype=subtype, filename=item["filename"],
                                 params=params)
    return email


def send_outbox(dbsession, now, registry) -> dict[str, int]:
    """Worker task `notify.send_outbox`: send what is due through the configured mailer."""
    counts = send_due(dbsession, now=now, mailer=registry["notify.mailer"],
                      sender=registry.settings["mail.default_sender"])
    if any(counts.values()):
        log.info("outbox: %(sent)s sent, %(retried)s to retry, %(failed)s given up", counts)
    return counts


def _by_dedupe_key(dbsession, dedupe_key: str) -> OutboxMessage | None:
    return dbsession.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))


def _check_header(name: str, value: str, max_length: int) -> None:
    if not value or "\r" in value or "\n" in value or len(value) > max_length:
        raise ValueError(f"{name} must be one line of 1 to {max_length} characters: {value!r}")


def _attachment_to_json(attachment: Attachment) -> dict:
    item = {
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "data_base64": base64.b64encode(attachment.data).decode("ascii"),
    }
    if attachment.content_id:
        item["content_id"] = attachment.content_id
    return item


def _split_content_type(content_type: str) -> tuple[str, str, dict]:
    # Let the email package parse "text/calendar; method=PUBLISH" rather than splitting by hand.
    probe = EmailMessage()
    probe["Content-Type"] = content_type
    params = {k: v for k, v in probe["Content-Type"].params.items() if k != "charset"}
    return probe.get_content_maintype(), probe.get_content_subtype(), params
