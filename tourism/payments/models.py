"""Payments: what a booking owes or paid, through which provider; refunds; the webhook inbox.

A payment moves forward only (see `services.advance_payment`): pending → failed or
succeeded; succeeded → partially_refunded → refunded as refunds are recorded against it.
`refunded_amount` is what the payment's live refunds (pending or succeeded) add up to: it
is written only by `tourism.payments.refunds`, in the same statement that checks it stays
within `amount`, so the ledger (`refunds`) and the total never disagree and two refunds
racing can never give back more than was paid (the CHECK constraint is the backstop).
"""
import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tourism.booking.models import Booking
from tourism.db import Base, str_enum


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"        # started, waiting for the provider
    DUE_ON_SITE = "due_on_site"  # the guest pays at the village
    SUCCEEDED = "succeeded"    # money received
    FAILED = "failed"          # this attempt failed (the guest may try again: a new attempt)
    CANCELLED = "cancelled"    # abandoned before anything was paid
    PARTIALLY_REFUNDED = "partially_refunded"  # money received, part of it given back (or owed back)
    REFUNDED = "refunded"      # money received and all of it given back (or owed back)


# Statuses of a payment whose money was received (some of it may have gone back since).
RECEIVED = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refund_within_amount"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        # One row per provider object (a Stripe PaymentIntent): webhooks find it by this.
        UniqueConstraint("provider", "provider_reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PaymentStatus] = mapped_column(
        str_enum(PaymentStatus, "payment_status"),
    )
    refunded_amount: Mapped[int] = mapped_column(default=0)
    # The provider's id for this payment, e.g. the Stripe PaymentIntent "pi_…".
    provider_reference: Mapped[str | None] = mapped_column(String(120))
    # 1, 2, … per booking and provider: a failed or abandoned attempt is never reused, and
    # the provider's idempotency key is derived from (booking, attempt).
    attempt: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    # Why the provider refused it ("Your card was declined."), shown to the guest and operator.
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
    updated_at: Mapped[datetime | None]

    booking: Mapped[Booking] = relationship()
    refunds: Mapped[list["Refund"]] = relationship(back_populates="payment", order_by="Refund.id")

    @property
    def refundable(self) -> int:
        """What can still be given back: received money not refunded (or owed back) yet."""
        return self.amount - self.refunded_amount if self.status in RECEIVED else 0


class RefundStatus(enum.StrEnum):
    PENDING = "pending"        # recorded: the provider is still processing it, or the operator pays it back by hand
    SUCCEEDED = "succeeded"    # the money went back
    FAILED = "failed"          # the provider refused it: nothing went back; kept so the operator sees it


class Refund(Base):
    """Money given back (or to give back) against one payment. Failed refunds are kept."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    amount: Mapped[int]
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus, "refund_status"))
    # cancellation, late_payment, booking_cancelled, duplicate_payment, operator, provider (made in the provider's dashboard)
    reason: Mapped[str] = mapped_column(String(40))
    # The provider's id ("re_…"); None for a refund the operator pays back by hand.
    provider_reference: Mapped[str | None] = mapped_column(String(120), unique=True)
    # Sent with the provider request, so a retried request never refunds twice.
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]

    payment: Mapped[Payment] = relationship(back_populates="refunds")


class WebhookEvent(Base):
    """The webhook inbox: each provider event once, whatever number of times it is delivered.

    The row is written in the transaction that processes the event, so an event is either
    recorded and processed, or neither (and the provider delivers it again).
    """

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("provider", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(100))
    # What processing did: "processed", "ignored: unknown payment", "refunded: seats taken" …
    outcome: Mapped[str] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
