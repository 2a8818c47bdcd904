"""What the booking domain tells the rest of the application (and add-ons) has happened.

Subscribers run inside the same transaction, so what they write (an outbox e-mail) commits
or rolls back with the booking itself.
"""
from dataclasses import dataclass
from datetime import datetime


@dataclass
class BookingEvent:
    booking: object
    dbsession: object
    now: datetime
    registry: object


class BookingConfirmed(BookingEvent):
    """The booking is confirmed: its seats are booked."""


class BookingCancelled(BookingEvent):
    """The booking was cancelled; `refund_amount` went (or goes) back to the guest."""

    refund_amount: int = 0


class BookingMoved(BookingEvent):
    """The booking now belongs to another session of the same experience."""
