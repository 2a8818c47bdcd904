"""The e-mail outbox: messages written in the transaction of the change they report.

A row is the whole message (addresses, texts, attachments), so the sender needs nothing
else to send it, and a message that could not be sent stays here until it is sent or given up.
"""
import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tourism.db import Base, str_enum


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting to be sent, or to be tried again at next_attempt_at
    SENT = "sent"
    FAILED = "failed"  # given up after MAX_ATTEMPTS; kept so an operator can see and resend it


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        # The sender's query: pending messages whose time has come, oldest first.
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("status != 'sent' OR sent_at IS NOT NULL", name="sent_has_sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # [{"filename", "content_type", "data_base64"[, "content_id"]}]: JSON keeps bytes intact on both
    # backends; "content_id" marks an image shown inline by the HTML (services.Attachment).
    attachments: Mapped[list[dict]] = mapped_column(JSON, default=list)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status"),
        default=OutboxStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # The same logical message enqueued twice (a retried request) is stored once.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status} to={self.recipient!r}>"
