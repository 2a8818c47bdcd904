"""Bookings: who comes to which session, how many of each tier, and where it stands.

A booking starts HELD (its seats counted in the session's `seats_held` until
`hold_expires_at`), becomes CONFIRMED when paid or accepted for payment at the village
(seats move to `seats_booked`), and may end CANCELLED or EXPIRED (seats given back).
"""
import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tourism.catalog.models import Experience
from tourism.db import Base, str_enum
from tourism.scheduling.models import ExperienceSession
from tourism.shop.models import Product


class BookingStatus(enum.StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Fulfilment(enum.StrEnum):
    """How the village's products added to a booking reach the guest."""

    PICKUP = "pickup"  # at the village, on the day of the session
    DELIVERY = "delivery"  # to an address in Vietnam, for a flat shipping fee


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("seats > 0", name="seats_positive"),
        CheckConstraint("total_amount >= 0", name="total_not_negative"),
        CheckConstraint("shipping_fee >= 0", name="shipping_fee_not_negative"),
        # A delivery always has an address (its other fields are checked by the services).
        CheckConstraint("fulfilment IS NULL OR fulfilment <> 'delivery' OR delivery_street IS NOT NULL",
                        name="delivery_has_address"),
        # Finding a session's expired holds, and counting live ones, reads this index.
        Index("ix_bookings_session_holds", "session_id", "status", "hold_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    experience_id: Mapped[int] = mapped_column(ForeignKey("experiences.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("experience_sessions.id"))
    status: Mapped[BookingStatus] = mapped_column(
        str_enum(BookingStatus, "booking_status"),
        default=BookingStatus.HELD,
    )
    seats: Mapped[int]
    total_amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254), index=True)
    contact_phone: Mapped[str] = mapped_column(String(40))
    contact_country: Mapped[str] = mapped_column(String(2))
    locale: Mapped[str] = mapped_column(String(8))
    hold_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # Cancelled by the village cancelling the whole session (booking.bulk), not by itself: the
    # session's report lists these, e-mailed or not (a guest booked by hand may have no address).
    cancelled_with_session: Mapped[bool] = mapped_column(default=False, server_default=false())
    payment_provider: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20), default="web")
    # The form's one-time key: a form sent twice finds the booking it already made.
    form_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Products added to the booking (`product_lines`): None when there are none.
    fulfilment: Mapped[Fulfilment | None] = mapped_column(str_enum(Fulfilment, "fulfilment"))
    shipping_fee: Mapped[int] = mapped_column(default=0, server_default="0")  # included in total_amount
    # Where a delivery goes; always in Vietnam (VN), so there is no country to store.
    delivery_name: Mapped[str | None] = mapped_column(String(200))
    delivery_phone: Mapped[str | None] = mapped_column(String(40))
    delivery_street: Mapped[str | None] = mapped_column(String(200))
    delivery_ward: Mapped[str | None] = mapped_column(String(100))
    delivery_district: Mapped[str | None] = mapped_column(String(100))
    delivery_province: Mapped[str | None] = mapped_column(String(100))

    experience: Mapped[Experience] = relationship()
    session: Mapped[ExperienceSession] = relationship()
    lines: Mapped[list["BookingLine"]] = relationship(cascade="all, delete-orphan", order_by="BookingLine.id")
    tokens: Mapped[list["BookingToken"]] = relationship(cascade="all, delete-orphan")
    product_lines: Mapped[list["BookingProductLine"]] = relationship(cascade="all, delete-orphan",
                                                                     order_by="BookingProductLine.id")

    @property
    def products_amount(self) -> int:
        return sum(line.amount for line in self.product_lines)


class BookingLine(Base):
    """How many guests of one price tier, at the price they were offered."""

    __tablename__ = "booking_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    tier_code: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int]
    unit_price: Mapped[int]


class BookingProductLine(Base):
    """Units of one of the village's products sold with the booking, at the price offered.

    Their stock is taken when the booking is held and given back when the hold expires or
    the booking is cancelled before `handed_over_at` (the guest got them, or they shipped).
    """

    __tablename__ = "booking_product_lines"
    __table_args__ = (
        CheckConstraint("quantity BETWEEN 1 AND 99", name="quantity_range"),  # stock.MAX_QUANTITY
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        UniqueConstraint("booking_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int]
    unit_price: Mapped[int]
    handed_over_at: Mapped[datetime | None]

    product: Mapped[Product] = relationship()

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price


class BookingToken(Base):
    """A private "manage my booking" link. Only the SHA-256 of the token is stored.

    A booking may have several (the browser's link, the one in the e-mail), all valid.
    """

    __tablename__ = "booking_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.current_timestamp())
