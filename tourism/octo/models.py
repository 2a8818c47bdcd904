"""Resellers: the channels (Bókun, Ventrata, a travel agency's site) that sell an operator's
experiences through the OCTO API, their API keys, and what they booked.

A reseller belongs to one operator, who chooses which of its experiences it may sell and
issues its keys from the console. Keys are random and long, so a SHA-256 of the key is
enough to store (unlike a password, nobody can guess one); the key itself is shown once.

A reseller's booking is an ordinary `Booking` (channel "reseller": same seats, same holds,
same check-in) with a `ResellerBooking` beside it for what OCTO adds: the reseller's uuid
(a reserve sent twice finds it), its reference, the unit items and the contact as sent.
"""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from tourism.booking.models import Booking
from tourism.catalog.models import Experience
from tourism.db import Base

RESELLER_CHANNEL = "reseller"
KEY_PREFIX_LENGTH = 12  # what the console shows of a key, to tell keys apart


class Reseller(Base):
    __tablename__ = "resellers"
    __table_args__ = (
        CheckConstraint("commission_percent BETWEEN 0 AND 90", name="commission_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    # The reseller keeps this share of the retail price: OCTO's `net` price is the rest.
    commission_percent: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())

    operator: Mapped["Operator"] = relationship()  # noqa: F821  (tourism.accounts.models)
    experiences: Mapped[list[Experience]] = relationship(secondary="reseller_experiences", order_by=Experience.id)
    keys: Mapped[list["ResellerKey"]] = relationship(back_populates="reseller", cascade="all, delete-orphan",
                                                     order_by="ResellerKey.id")


class ResellerExperience(Base):
    """An experience the reseller may sell (list, check, book)."""

    __tablename__ = "reseller_experiences"

    reseller_id: Mapped[int] = mapped_column(ForeignKey("resellers.id", ondelete="CASCADE"), primary_key=True)
    experience_id: Mapped[int] = mapped_column(ForeignKey("experiences.id", ondelete="CASCADE"), primary_key=True,
                                               index=True)


class ResellerKey(Base):
    """A bearer API key. Revoked keys are kept (revoked_at set) so the console can say when."""

    __tablename__ = "reseller_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("resellers.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(KEY_PREFIX_LENGTH))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    reseller: Mapped[Reseller] = relationship(back_populates="keys")


class ResellerBooking(Base):
    """What OCTO adds to a reseller's booking."""

    __tablename__ = "reseller_bookings"
    __table_args__ = (
        # A reserve sent again with the same uuid finds this row instead of booking twice.
        UniqueConstraint("reseller_id", "uuid"),
    )

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("resellers.id"), index=True)
    uuid: Mapped[str] = mapped_column(String(36))
    reseller_reference: Mapped[str | None] = mapped_column(String(100), index=True)
    # [{"uuid", "unitId", "resellerReference"}], one per guest, in the order sent.
    unit_items: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # The contact as the reseller sent it (first and last names, locales…); the booking's own
    # columns hold what the console and the manifest show.
    contact: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    cancellation_reason: Mapped[str | None] = mapped_column(String(300))
    # The refund owed when it was cancelled, by the policy then: FULL, PARTIAL or NONE.
    cancellation_refund: Mapped[str | None] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())

    # `booking.reseller_booking`: None for the guests' own bookings.
    booking: Mapped[Booking] = relationship(backref=backref("reseller_booking", uselist=False))
    reseller: Mapped[Reseller] = relationship()
