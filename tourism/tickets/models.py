"""Admissions: who a ticket has let in so far, one row per scan.

The rule "a ticket never admits more people than its party" is kept by `checkin.admit`:
it locks the booking row, adds up the booking's admissions and writes a new one in the
same savepoint, so two scanners admitting the same ticket at once are served one after
the other. Rows are never changed, which is what lets a replayed scan be answered as the
first time; the one exception is "Undo this check-in" (`checkin.undo_admission`), which,
within minutes, moves an admission to `undone_admissions`, so every count of admitted
people (which adds up `admissions`) drops it at once.
"""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tourism.booking.models import Booking
from tourism.db import Base

SCAN_ID_LENGTH = 64
DEVICE_LENGTH = 64


class Admission(Base):
    """`people` of a booking's party let in by one scan."""

    __tablename__ = "admissions"
    __table_args__ = (
        CheckConstraint("people > 0", name="people_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    # The id the scanning device gave the scan: a scan sent again (a retried request, an
    # offline queue synced twice) finds its row instead of admitting anyone a second time.
    scan_id: Mapped[str] = mapped_column(String(SCAN_ID_LENGTH), unique=True)
    people: Mapped[int]
    # When the guests were scanned: earlier than `received_at` for a scan made offline.
    admitted_at: Mapped[datetime]
    received_at: Mapped[datetime]
    # Which phone scanned, as its staff named it ("Cổng chính"); None when not given.
    device: Mapped[str | None] = mapped_column(String(DEVICE_LENGTH))

    booking: Mapped[Booking] = relationship()


class UndoneAdmission(Base):
    """An admission taken back by "Undo this check-in": the scan as it was, and when it was undone.

    Kept, rather than simply deleted, so that undoing twice says it was already undone, and
    so that the same scan sent again afterwards (the browser's "send again") admits nobody.
    """

    __tablename__ = "undone_admissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    scan_id: Mapped[str] = mapped_column(String(SCAN_ID_LENGTH), unique=True)
    people: Mapped[int]
    admitted_at: Mapped[datetime]
    received_at: Mapped[datetime]
    device: Mapped[str | None] = mapped_column(String(DEVICE_LENGTH))
    undone_at: Mapped[datetime]
