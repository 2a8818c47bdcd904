"""Scheduling: the rules an operator writes and the sessions they produce.

Sessions are materialised rows (one per start time) so availability is an indexed read.
Each session carries its own seat counters; `seats_booked + seats_held <= capacity` is a
CHECK constraint, the backstop behind the conditional updates in booking.services.
"""
import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tourism.catalog.models import Experience
from tourism.db import Base, str_enum


class SessionStatus(enum.StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


class ScheduleRule(Base):
    """Start times as an RFC 5545 RRULE in the village's local time.

    e.g. "FREQ=DAILY;BYHOUR=7,14;BYMINUTE=0" valid from 1 March to 31 October.
    """

    __tablename__ = "schedule_rules"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="valid_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    experience_id: Mapped[int] = mapped_column(ForeignKey("experiences.id", ondelete="CASCADE"), index=True)
    rrule: Mapped[str] = mapped_column(String(500))
    valid_from: Mapped[date]
    valid_until: Mapped[date | None]
    capacity: Mapped[int]

    experience: Mapped[Experience] = relationship()


class Closure(Base):
    """Days (inclusive) when an experience, or a whole village, does not run: Tết, rain, firing."""

    __tablename__ = "closures"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="date_range"),
        CheckConstraint("(experience_id IS NULL) <> (village_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    experience_id: Mapped[int | None] = mapped_column(ForeignKey("experiences.id", ondelete="CASCADE"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200))


class Resource(Base):
    """Something several experiences share and that caps them together: a kiln, a boat, a guide."""

    __tablename__ = "resources"
    __table_args__ = (CheckConstraint("capacity > 0", name="capacity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int]


class ExperienceResource(Base):
    __tablename__ = "experience_resources"

    experience_id: Mapped[int] = mapped_column(ForeignKey("experiences.id", ondelete="CASCADE"), primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)


class ResourceSlot(Base):
    """A resource's seats at one start time, shared by every session that starts then."""

    __tablename__ = "resource_slots"
    __table_args__ = (
        UniqueConstraint("resource_id", "starts_at"),
        CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        CheckConstraint("seats_taken <= capacity", name="within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    capacity: Mapped[int]
    seats_taken: Mapped[int] = mapped_column(default=0)


class ExperienceSession(Base):
    """One departure or time slot of an experience (for admission tickets: one open day)."""

    __tablename__ = "experience_sessions"
    __table_args__ = (
        # Also the index that month availability reads (experience, then start time).
        UniqueConstraint("experience_id", "starts_at"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("seats_booked >= 0", name="seats_booked_not_negative"),
        CheckConstraint("seats_held >= 0", name="seats_held_not_negative"),
        # The invariant: never more seats taken than there are.
        CheckConstraint("seats_booked + seats_held <= capacity", name="no_overbooking"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    experience_id: Mapped[int] = mapped_column(ForeignKey("experiences.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int]
    seats_booked: Mapped[int] = mapped_column(default=0)
    seats_held: Mapped[int] = mapped_column(default=0)
    status: Mapped[SessionStatus] = mapped_column(
        str_enum(SessionStatus, "session_status"),
        default=SessionStatus.OPEN,
    )
    # Which rule made it (NULL for a one-off session, or once its rule no longer makes it).
    # Indexed so that deleting a rule or a closure (ON DELETE SET NULL) need not scan every session.
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("schedule_rules.id", ondelete="SET NULL"), index=True)
    is_one_off: Mapped[bool] = mapped_column(default=False)
    # Set for good by the first booking or hold: such a session is never deleted, so its
    # bookings (even cancelled ones) always point at a real session.
    ever_booked: Mapped[bool] = mapped_column(default=False)
    # Set while a closure covers the session's day; cleared when the closure is removed.
    closure_id: Mapped[int | None] = mapped_column(ForeignKey("closures.id", ondelete="SET NULL"), index=True)

    experience: Mapped[Experience] = relationship()
    closure: Mapped[Closure | None] = relationship()
