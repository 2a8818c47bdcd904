"""Cards and wallets through Stripe: a PaymentIntent per attempt, Stripe's Payment Element on
our page, and the booking confirmed only by the verified `payment_intent.succeeded` webhook.

Settings (secrets from the environment in production, see tourism.settings):

    stripe.secret_key        TOURISM_STRIPE_SECRET_KEY       sk_live_… / sk_test_…
    stripe.publishable_key   TOURISM_STRIPE_PUBLISHABLE_KEY  pk_live_… / pk_test_…
    stripe.webhook_secret    TOURISM_STRIPE_WEBHOOK_SECRET   whsec_… (the webhook endpoint's signing secret)
    stripe.api_base          another API address (tests: localstripe on 127.0.0.1)
    stripe.min_amount        smallest charge in dong (default 20000, see MIN_AMOUNT)
    stripe.timeout           seconds to wait for Stripe (default 20)
    stripe.max_network_retries  retries of a failed connection, safe with idempotency keys (default 2)
"""
import logging

import stripe
from pyramid.exceptions import ConfigurationError
from sqlalchemy import func, select

from tourism.booking.models import Booking, BookingStatus
from tourism.exceptions import DomainError
from tourism.i18n import _
from tourism.payments import refunds, webhooks
from tourism.payments.interfaces import PaymentStart, RefundResult
from tourism.payments.models import Payment, PaymentStatus, Refund, RefundStatus

log = logging.getLogger(__name__)

STRIPE_JS = "https://js.stripe.com/v3/"
# What Stripe's integration security guide asks a Content-Security-Policy to allow for
# Stripe.js and its Elements. (It also lists https://maps.googleapis.com, which only the
# Address Element's autocomplete uses; our page does not show that element.)
CSP_SOURCES = (
    ("script-src", "https://js.stripe.com"),
    ("script-src", "https://*.js.stripe.com"),
    ("frame-src", "https://js.stripe.com"),
    ("frame-src", "https://*.js.stripe.com"),
    ("frame-src", "https://hooks.stripe.com"),
    ("connect-src", "https://api.stripe.com"),
)
REQUIRED_SETTINGS = {
    "stripe.secret_key": "TOURISM_STRIPE_SECRET_KEY",
    "stripe.publishable_key": "TOURISM_STRIPE_PUBLISHABLE_KEY",
    "stripe.webhook_secret": "TOURISM_STRIPE_WEBHOOK_SECRET",
}
# Stripe's limits for a charge. The amount field takes at most eight digits, and VND is a
# zero-decimal currency for Stripe (amount = dong), so at most 99,999,999 ₫. The minimum is
# "$0.50 US or equivalent in the charge currency", checked after conversion to the account's
# settlement currency (USD 0.50, EUR 0.50, GBP 0.30, SGD 0.50 …): 20,000 ₫ stays above all of
# those with room for exchange-rate moves. Set stripe.min_amount to follow your account.
MAX_AMOUNT = 99_999_999
MIN_AMOUNT = 20_000
CURRENCY = "VND"


class StripeProvider:
    name = "stripe"
    label = _("Card or wallet (Visa, Mastercard, JCB, Apple Pay, Google Pay)")
    description = _("Pay now on Stripe's secure form. Your booking is confirmed as soon as your bank accepts the payment.")

    def __init__(self, *, secret_key: str, publishable_key: str, webhook_secret: str, api_base: str | None = None,
                 min_amount: int = MIN_AMOUNT, timeout: float = 20, max_network_retries: int = 2):
        self.publishable_key = publishable_key
        self.webhook_secret = webhook_secret
        self.min_amount = min_amount
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
            # Connect fast or give up: the guest is waiting on the other end.
            http_client=stripe.RequestsClient(timeout=(5, timeout)),
        )

    @classmethod
    def from_settings(cls, settings: dict) -> "StripeProvider":
        """Build from the application settings; ConfigurationError names what to set."""
        for name, variable in REQUIRED_SETTINGS.items():
            if not (settings.get(name) or "").strip():
                raise ConfigurationError(
                    f"Card payments (tourism.payments.stripe_provider.StripeProvider) need {name!r}: "
                    f"set the environment variable {variable}, or remove the provider from tourism.payment_providers."
                )
        try:
            return cls(
                secret_key=settings["stripe.secret_key"].strip(),
                publishable_key=settings["stripe.publishable_key"].strip(),
                webhook_secret=settings["stripe.webhook_secret"].strip(),
                api_base=(settings.get("stripe.api_base") or "").strip() or None,
                min_amount=int(settings.get("stripe.min_amount", MIN_AMOUNT)),
                timeout=float(settings.get("stripe.timeout", 20)),
                max_network_retries=int(settings.get("stripe.max_network_retries", 2)),
            )
        except ValueError as error:
            raise ConfigurationError(f"stripe settings: {error}") from error

    # --- paying ---------------------------------------------------------------------------

    def check_amount(self, booking: Booking, fmt) -> None:
        """Raise DomainError when Stripe cannot charge this booking's total (too small, too large)."""
        if booking.currency != CURRENCY:
            raise DomainError(_("Card payment is not available for this booking. Choose another way to pay."))
        if not self.min_amount <= booking.total_amount <= MAX_AMOUNT:
            raise DomainError(_("Card payment is possible for totals from ${minimum} to ${maximum}. "
                                "Choose another way to pay.",
                                mapping={"minimum": fmt.money(self.min_amount, CURRENCY),
                                         "maximum": fmt.money(MAX_AMOUNT, CURRENCY)}))

    def start_payment(self, dbsession, booking: Booking, *, now, request) -> PaymentStart:
        """Create (or reuse) this booking's PaymentIntent and send the guest to the card page.

        The open attempt is reused while its amount is right; otherwise a new attempt gets a
        new PaymentIntent, created with the idempotency key `langviet-booking-<id>-attempt-<n>`
        so a retried request gets the same intent back from Stripe. Raises DomainError (and
        records nothing) when the hold is over, the amount is outside Stripe's limits or
        Stripe cannot be reached.
        """
        if booking.status != BookingStatus.HELD or booking.hold_expires_at <= now:
            raise DomainError(_("Your hold has expired and the seats were released."))
        self.check_amount(booking, request.fmt)
        # One attempt at a time per booking: lock the booking row while choosing the attempt.
        dbsession.scalar(select(Booking.id).where(Booking.id == booking.id).with_for_update())
        payment = self.open_attempt(dbsession, booking)
        if payment is None:
            attempt = (dbsession.scalar(select(func.max(Payment.attempt)).where(
                Payment.booking_id == booking.id, Payment.provider == self.name)) or 0) + 1
            try:
                intent = self.client.v1.payment_intents.create(
                    params={
                        "amount": booking.total_amount,  # VND is zero-decimal: the amount is in dong
                        "currency": CURRENCY.lower(),
                        "payment_method_types": ["card"],  # cards, and the wallets that carry them
                        "metadata": {"booking_id": str(booking.id), "booking_reference": booking.reference,
                                     "attempt": str(attempt)},
                    },
                    options={"idempotency_key": f"langviet-booking-{booking.id}-attempt-{attempt}"},
                )
            except stripe.StripeError as error:
                log.error("stripe: cannot create a PaymentIntent for booking %s: %s", booking.id, error)
                raise DomainError(_("Card payment is unavailable right now. Choose another way to pay, "
                                    "or try again in a few minutes.")) from error
            dbsession.add(Payment(booking_id=booking.id, provider=self.name, amount=booking.total_amount,
                                  currency=booking.currency, status=PaymentStatus.PENDING, attempt=attempt,
                                  provider_reference=intent.id, updated_at=now))
            dbsession.flush()
        return PaymentStart(redirect_url=request.route_url("payments.card", token=request.matchdict["token"]))

    def open_attempt(self, dbsession, booking: Booking) -> Payment | None:
        """The booking's card payment still waiting to be paid, for its current total."""
        return dbsession.scalar(
            select(Payment).where(Payment.booking_id == booking.id, Payment.provider == self.name,
                                  Payment.status == PaymentStatus.PENDING, Payment.amount == booking.total_amount)
            .order_by(Payment.attempt.desc()).limit(1)
        )

    def client_secret(self, payment: Payment) -> tuple[str, str]:
        """(client secret, status) of the payment's PaymentIntent, asked from Stripe each time
        (the secret is never stored). Raises stripe.StripeError when Stripe cannot answer."""
        intent = self.client.v1.payment_intents.retrieve(payment.provider_reference)
        return intent.client_secret, intent.status

    def cancel_attempt(self, payment: Payment) -> None:
        """Close an unpaid PaymentIntent so it can no longer be paid (best effort)."""
        if not payment.provider_reference:
            return
        try:
            self.client.v1.payment_intents.cancel(payment.provider_reference)
        except stripe.StripeError as error:
            # Already paid or already closed: a payment that still arrives is refunded then.
            log.warning("stripe: could not cancel %s: %s", payment.provider_reference, error)

    # --- notifications and refunds ---------------------------------------------------------------

    def handle_notification(self, dbsession, request, *, now) -> webhooks.WebhookResult:
        """Process a Stripe webhook request (see tourism.payments.webhooks); raises InvalidWebhook."""
        return webhooks.receive_stripe_event(
            dbsession, request.body, request.headers.get("Stripe-Signature"),
            provider=self, now=now, registry=request.registry,
        )

    def refund(self, dbsession, booking, amount: int, *, now) -> RefundResult:
        """Give `amount` back on the booking's card payments (raises RefundRefused beyond what was paid)."""
        return refunds.refund_through(self, dbsession, booking, amount, now=now)

    def send_refund(self, dbsession, payment: Payment, refund: Refund, *, now) -> None:
        """Send a recorded refund through Stripe's Refund API; record what Stripe answered."""
        try:
            result = self.client.v1.refunds.create(
                params={"payment_intent": payment.provider_reference, "amount": refund.amount,
                        "metadata": {"booking_id": str(payment.booking_id), "refund_id": str(refund.id),
                                     "reason": refund.reason}},
                options={"idempotency_key": refund.idempotency_key},
            )
        except stripe.StripeError as error:
            refund.status = RefundStatus.FAILED
            refund.failure_reason = (getattr(error, "user_message", None) or str(error) or type(error).__name__)[:500]
            log.error("stripe: refund %s of payment %s failed: %s", refund.id, payment.id, refund.failure_reason)
        else:
            refund.provider_reference = result.id
            refund.status = {"succeeded": RefundStatus.SUCCEEDED, "failed": RefundStatus.FAILED,
                             "canceled": RefundStatus.FAILED}.get(result.status, RefundStatus.PENDING)
            if refund.status == RefundStatus.FAILED:
                refund.failure_reason = (getattr(result, "failure_reason", None) or result.status)[:500]
        refund.updated_at = now
        dbsession.flush()
