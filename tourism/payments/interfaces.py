"""The payment provider interface: every way to pay (on site, VietQR, Stripe) implements it.

A provider is chosen by name (`booking.payment_provider`). Its methods get what they need
and run inside the request's transaction.
"""
from dataclasses import dataclass, field
from typing import Protocol

from translationstring import TranslationString


@dataclass
class PaymentStart:
    """What to do after starting a payment.

    `confirmed`: the booking is confirmed already (pay at the village).
    `redirect_url`: send the guest there (a hosted payment page).
    `instructions`: show these to the guest (bank transfer details, a QR code…).
    """

    confirmed: bool = False
    redirect_url: str | None = None
    instructions: dict = field(default_factory=dict)


@dataclass
class RefundResult:
    amount: int
    # pending: recorded, the operator pays it back by hand; succeeded: the provider sent it
    status: str


class PaymentProvider(Protocol):
    name: str
    label: TranslationString  # shown to the guest, e.g. "Pay at the village"

    def start_payment(self, dbsession, booking, *, now, request) -> PaymentStart:
        """Begin paying for a held booking."""

    def handle_notification(self, dbsession, request, *, now) -> None:
        """Process a provider's callback (webhook); must be idempotent."""

    def refund(self, dbsession, booking, amount: int, *, now) -> RefundResult:
        """Give `amount` of what was paid back to the guest."""

    # Optional, looked up with getattr:
    #
    # from_settings(cls, settings) -> provider     (classmethod) build from the app settings,
    #     raising ConfigurationError that names what to set; without it the class is called
    #     with no arguments.
    # send_refund(self, dbsession, payment, refund, *, now) -> None
    #     send a recorded Refund through the provider and set its status, provider_reference
    #     and failure_reason; never raise for a provider error (see payments.refunds).
    #     Providers without it get their refunds recorded PENDING for the operator to pay back.
    # cancel_attempt(self, payment) -> None
    #     close an unpaid attempt at the provider so it can no longer be paid (best effort).
