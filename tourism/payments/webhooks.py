"""Stripe webhooks: verified, recorded once, processed in the same transaction.

`receive_stripe_event` checks the signature on the raw body, writes the event to the inbox
(unique on provider + event id: a second delivery changes nothing) and applies it:

- `payment_intent.succeeded`: the payment is received (the only thing that confirms a card
  booking, never the guest's browser). The booking is confirmed, re-taking its seats if the
  hold expired meanwhile; when that is impossible (seats taken, booking cancelled, already
  paid another way) the money goes back through Stripe at once and the guest is told by
  e-mail: money is never silently kept.
- `payment_intent.payment_failed` / `.canceled`: the attempt failed or was abandoned.
- `charge.refunded`, `refund.*`, `charge.refund.updated`: refunds made or updated on
  Stripe's side (in its dashboard, or a refund that failed later) are brought into the
  refunds ledger.

Statuses only move forward, so a late or out-of-order event changes nothing. An event for
a payment we do not know (another integration on the same Stripe account, a test event) is
recorded as ignored and answered 200: a non-2xx answer would only make Stripe send it again
for days. A bad signature raises InvalidWebhook (the view answers 400) and records nothing.
"""
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tourism.payments import refunds
from tourism.payments.settlement import settle_received_payment
from tourism.payments.models import Payment, PaymentStatus, Refund, RefundStatus, WebhookEvent
from tourism.payments.services import PROVIDERS_KEY, advance_payment

log = logging.getLogger(__name__)

PROVIDER = "stripe"
MAX_BODY_BYTES = 512 * 1024  # Stripe's events are a few kilobytes


class InvalidWebhook(Exception):
    """Not a genuine Stripe event (bad or missing signature, unreadable body): nothing changed."""


@dataclass
class WebhookResult:
    outcome: str
    duplicate: bool = False


def receive_stripe_event(dbsession, payload: bytes, signature: str | None, *, provider, now, registry) -> WebhookResult:
    """Verify, record and apply one Stripe webhook delivery; see the module docstring.

    Raises InvalidWebhook without touching the database when the signature does not match
    `provider.webhook_secret`.
    """
    if len(payload) > MAX_BODY_BYTES:
        raise InvalidWebhook("body too large")
    try:
        event = provider.client.construct_event(payload, signature, provider.webhook_secret).to_dict()
    except (stripe.SignatureVerificationError, ValueError) as error:  # ValueError: not UTF-8 or not JSON
        raise InvalidWebhook(str(error)) from error
    event_id, event_type = event.get("id"), event.get("type")
    obj = (event.get("data") or {}).get("object")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 255 \
            or not isinstance(event_type, str) or not isinstance(obj, dict):
        raise InvalidWebhook("not an event")
    inbox = record_event(dbsession, event_id=event_id, event_type=event_type[:100],
                         payload=payload.decode("utf-8"), now=now)
    if inbox is None:
        return WebhookResult("duplicate", duplicate=True)
    handler = HANDLERS.get(event_type)
    outcome = handler(dbsession, obj, provider=provider, now=now, registry=registry) if handler else "ignored: event type"
    inbox.outcome = outcome[:200]
    dbsession.flush()
    log.info("stripe event %s (%s): %s", event_id, event_type, outcome)
    return WebhookResult(outcome)


def record_event(dbsession, *, event_id: str, event_type: str, payload: str, now) -> WebhookEvent | None:
    """Add the event to the inbox; None when it is there already (a repeated delivery).

    Two deliveries racing: the second insert waits for the first transaction and then fails
    on the unique constraint, inside a savepoint, and is reported as a repeat.
    """
    query = select(WebhookEvent).where(WebhookEvent.provider == PROVIDER, WebhookEvent.event_id == event_id)
    if dbsession.scalar(query) is not None:
        return None
    row = WebhookEvent(provider=PROVIDER, event_id=event_id, event_type=event_type, outcome="received",
                       payload=payload, received_at=now)
    try:
        with dbsession.begin_nested():
            dbsession.add(row)
    except IntegrityError:
        return None
    return row


# --- payment intents ---------------------------------------------------------------------------

def _payment(dbsession, intent_id) -> Payment | None:
    if not isinstance(intent_id, str) or not intent_id:
        return None
    # Locked, and read afresh: a request still refunding this payment commits first.
    return dbsession.scalar(
        select(Payment).where(Payment.provider == PROVIDER, Payment.provider_reference == intent_id)
        .with_for_update().execution_options(populate_existing=True)
    )


def payment_succeeded(dbsession, intent: dict, *, provider, now, registry) -> str:
    payment = _payment(dbsession, intent.get("id"))
    if payment is None:
        log.warning("stripe: payment_intent.succeeded for an unknown PaymentIntent %r", intent.get("id"))
        return "ignored: unknown payment"
    return settle_received_payment(
        dbsession, payment, received=intent.get("amount_received", intent.get("amount")),
        currency=str(intent.get("currency", "")), providers=_providers(registry, provider), now=now,
        registry=registry)


def _providers(registry, provider) -> dict:
    return {**registry.get(PROVIDERS_KEY, {}), provider.name: provider}


def payment_failed(dbsession, intent: dict, *, provider, now, registry) -> str:
    payment = _payment(dbsession, intent.get("id"))
    if payment is None:
        return "ignored: unknown payment"
    error = intent.get("last_payment_error") or {}
    reason = error.get("message") or error.get("code") or "payment failed"
    if not advance_payment(payment, PaymentStatus.FAILED, now=now, failure_reason=reason):
        return f"no change: payment already {payment.status}"
    return "processed: payment failed"


def payment_canceled(dbsession, intent: dict, *, provider, now, registry) -> str:
    payment = _payment(dbsession, intent.get("id"))
    if payment is None:
        return "ignored: unknown payment"
    if not advance_payment(payment, PaymentStatus.CANCELLED, now=now):
        return f"no change: payment already {payment.status}"
    return "processed: payment cancelled"


# --- refunds made or updated on Stripe's side ----------------------------------------------------------

REFUND_STATUS = {"pending": RefundStatus.PENDING, "requires_action": RefundStatus.PENDING,
                 "succeeded": RefundStatus.SUCCEEDED, "failed": RefundStatus.FAILED, "canceled": RefundStatus.FAILED}


def _intent_id(value) -> str | None:
    return value.get("id") if isinstance(value, dict) else value


def refund_updated(dbsession, stripe_refund: dict, *, provider, now, registry) -> str:
    """refund.created / refund.updated / refund.failed / charge.refund.updated."""
    status = REFUND_STATUS.get(stripe_refund.get("status"))
    refund_id, amount = stripe_refund.get("id"), stripe_refund.get("amount")
    if status is None or not isinstance(refund_id, str) or not isinstance(amount, int):
        return "ignored: unreadable refund"
    # The payment first: its lock waits for a request that is still recording this very refund.
    payment = _payment(dbsession, _intent_id(stripe_refund.get("payment_intent")))
    refund = dbsession.scalar(select(Refund).where(Refund.provider_reference == refund_id))
    if refund is not None:
        changed = refunds.apply_refund_status(dbsession, refund, status, now=now,
                                              failure_reason=stripe_refund.get("failure_reason"))
        return f"processed: refund {status}" if changed else "no change"
    if payment is None:
        return "ignored: unknown payment"
    if status == RefundStatus.FAILED:
        return "no change: unknown refund failed"
    refunds.record_external_refund(dbsession, payment, amount, status=status, now=now, provider_reference=refund_id)
    return "processed: refund made on Stripe recorded"


def charge_refunded(dbsession, charge: dict, *, provider, now, registry) -> str:
    """charge.refunded: bring every refund of the charge into the ledger, matched by its id.

    Recent API versions leave the list of refunds out of the event; it is then read from
    Stripe (an error there fails the request, and Stripe delivers the event again later).
    """
    intent_id = _intent_id(charge.get("payment_intent"))
    if _payment(dbsession, intent_id) is None:
        return "ignored: unknown payment"
    listed = charge.get("refunds").get("data") if isinstance(charge.get("refunds"), dict) else None
    if listed is None:
        listed = [r.to_dict() for r in provider.client.v1.refunds.list(
            params={"payment_intent": intent_id, "limit": 100}).auto_paging_iter()]
    outcomes = {refund_updated(dbsession, r, provider=provider, now=now, registry=registry) for r in listed}
    changed = sorted(o for o in outcomes if o.startswith("processed"))
    return "; ".join(changed)[:200] if changed else "no change"


# --- when a webhook never comes ----------------------------------------------------------------

RECONCILE_AFTER = timedelta(minutes=10)  # Stripe's own delivery is usually seconds
RECONCILE_UNTIL = timedelta(days=3)      # after that a PaymentIntent is long settled


def reconcile_task(dbsession, now, registry) -> int:
    """Worker task: ask Stripe about card payments still pending after RECONCILE_AFTER and
    apply what it says through the same handlers as the webhook (a lost or delayed webhook
    must not leave money received without its booking, nor seats waiting). Returns how many
    payments changed. Stripe errors are logged and the payment is tried again next run.
    """
    provider = registry[PROVIDERS_KEY].get(PROVIDER)
    if provider is None:
        return 0
    pending = dbsession.scalars(
        select(Payment).where(Payment.provider == PROVIDER, Payment.status == PaymentStatus.PENDING,
                              Payment.provider_reference.is_not(None),
                              Payment.updated_at <= now - RECONCILE_AFTER, Payment.updated_at > now - RECONCILE_UNTIL)
        .order_by(Payment.id).limit(50)
    ).all()
    changed = 0
    for payment in pending:
        try:
            intent = provider.client.v1.payment_intents.retrieve(payment.provider_reference).to_dict()
        except stripe.StripeError as error:
            log.warning("stripe: cannot reconcile %s: %s", payment.provider_reference, error)
            continue
        handler = {"succeeded": payment_succeeded, "canceled": payment_canceled}.get(intent.get("status"))
        if handler is not None:
            outcome = handler(dbsession, intent, provider=provider, now=now, registry=registry)
            log.warning("stripe: %s reconciled without its webhook: %s", payment.provider_reference, outcome)
            changed += 1
    return changed


HANDLERS = {
    "payment_intent.succeeded": payment_succeeded,
    "payment_intent.payment_failed": payment_failed,
    "payment_intent.canceled": payment_canceled,
    "charge.refunded": charge_refunded,
    "charge.refund.updated": refund_updated,
    "refund.created": refund_updated,
    "refund.updated": refund_updated,
    "refund.failed": refund_updated,
}


def event_payload(event: WebhookEvent) -> dict:
    """The stored event as Stripe sent it (for the console, or to process it again by hand)."""
    return json.loads(event.payload)
