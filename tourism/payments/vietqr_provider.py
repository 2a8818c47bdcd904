"""VietQR bank transfer: the guest scans a NAPAS QR with their banking app.

The amount and the booking reference are in the QR. There is no bank callback: the money
counts when an operator marks the transfer received, or when the bank's statement (CSV) is
imported and a line matches the reference and the amount. A transfer that arrives after the
hold expired follows the same rule as a late card payment (payments.settlement).
"""
from dataclasses import dataclass

from pyramid.exceptions import ConfigurationError
from sqlalchemy import select

from tourism.booking.models import Booking, BookingStatus
from tourism.booking.services import format_reference
from tourism.catalog.models import Experience, Village
from tourism.concurrency import RaceGuard
from tourism.i18n import _
from tourism.payments import bank_statement, vietqr
from tourism.payments.emails import send_transfer_instructions
from tourism.payments.interfaces import PaymentStart, RefundResult
from tourism.payments.models import RECEIVED, Payment, PaymentStatus
from tourism.payments.refunds import refund_through
from tourism.payments.settlement import settle_received_payment

NAME = "vietqr"
REQUIRED_SETTINGS = ("vietqr.bank_bin", "vietqr.account", "vietqr.account_name", "vietqr.bank_name")


@dataclass(frozen=True)
class TransferInstructions:
    payload: str  # the EMVCo string in the QR
    qr_svg: str  # inline <svg>, no script
    bank_name: str
    account: str
    account_name: str
    amount: int
    currency: str
    reference: str  # what the guest writes as the transfer's purpose, if typing by hand


class VietQRProvider:
    name = NAME
    label = _("Bank transfer with VietQR")
    description = _("Scan the QR code with your banking app: the amount and the booking reference are filled in.")

    def __init__(self, *, bank_bin: str, account: str, account_name: str, bank_name: str):
        self.bank_bin, self.account, self.account_name, self.bank_name = bank_bin, account, account_name, bank_name
        vietqr.emv_payload(bank_bin=bank_bin, account=account, amount=1000, reference="CHECK")  # fail at start-up

    @classmethod
    def from_settings(cls, settings: dict) -> "VietQRProvider":
        missing = [name for name in REQUIRED_SETTINGS if not (settings.get(name) or "").strip()]
        if missing:
            raise ConfigurationError(
                f"VietQR transfers need {', '.join(missing)} (environment: TOURISM_VIETQR_BANK_BIN, "
                "TOURISM_VIETQR_ACCOUNT, TOURISM_VIETQR_ACCOUNT_NAME, TOURISM_VIETQR_BANK_NAME), or remove "
                "tourism.payments.vietqr_provider.VietQRProvider from tourism.payment_providers.")
        try:
            return cls(**{name.split(".", 1)[1]: settings[name].strip() for name in REQUIRED_SETTINGS})
        except ValueError as error:
            raise ConfigurationError(f"VietQR settings: {error}") from error

    def start_payment(self, dbsession, booking, *, now, request) -> PaymentStart:
        """Record a transfer awaited for the booking's total (once), show how to pay it, and
        e-mail the same (once per awaited transfer) while the seats are held."""
        payment = pending_payment(dbsession, booking, now=now)
        instructions = self.instructions(booking)
        # The e-mail's deadline is the hold's end: no e-mail with a deadline already past.
        if booking.status == BookingStatus.HELD and booking.hold_expires_at and booking.hold_expires_at > now:
            send_transfer_instructions(dbsession, booking, payment, instructions, registry=request.registry,
                                       now=now)
        return PaymentStart(instructions={"vietqr": instructions})

    def instructions(self, booking) -> TransferInstructions:
        payload = vietqr.emv_payload(bank_bin=self.bank_bin, account=self.account, amount=booking.total_amount,
                                     reference=booking.reference)
        return TransferInstructions(payload, vietqr.qr_svg(payload, title="VietQR"), self.bank_name, self.account,
                                    self.account_name, booking.total_amount, booking.currency,
                                    format_reference(booking.reference))

    def handle_notification(self, dbsession, request, *, now) -> None:
        raise NotImplementedError("banks send no notifications: mark transfers received or import the statement")

    def refund(self, dbsession, booking, amount: int, *, now) -> RefundResult:
        """Recorded for the operator to transfer back."""
        return refund_through(self, dbsession, booking, amount, now=now)


def pending_payment(dbsession, booking, *, now) -> Payment:
    payment = dbsession.scalar(select(Payment).where(
        Payment.booking_id == booking.id, Payment.provider == NAME, Payment.status == PaymentStatus.PENDING))
    if payment is None:
        payment = Payment(booking_id=booking.id, provider=NAME, amount=booking.total_amount,
                          currency=booking.currency, status=PaymentStatus.PENDING, updated_at=now)
        dbsession.add(payment)
        dbsession.flush()
    return payment


def awaited_transfer(dbsession, booking) -> Payment | None:
    """The transfer still awaited for this booking, if any (the manage page shows its QR)."""
    return dbsession.scalar(select(Payment).where(
        Payment.booking_id == booking.id, Payment.provider == NAME, Payment.status == PaymentStatus.PENDING))


# Bookings whose awaited transfer still counts: held, expired (a late transfer follows the
# late-payment rule) or confirmed to pay at the village (the transfer then replaces the cash).
OPEN_STATUSES = (BookingStatus.HELD, BookingStatus.EXPIRED, BookingStatus.CONFIRMED)

# Off (tests only), the payment row is not locked before it is settled; a pause after reading
# it lets two presses of "received" both see it awaited.
RECEIPT_GUARD = RaceGuard()


def awaited_transfers(dbsession, *, operator_id: int | None = None, lock: bool = False) -> list[Payment]:
    """The VietQR transfers still awaited, newest booking first: all of them, or only for the
    bookings of `operator_id`'s villages. `lock` locks the payment rows until the transaction ends."""
    query = (select(Payment).join(Booking, Booking.id == Payment.booking_id)
             .where(Payment.provider == NAME, Payment.status == PaymentStatus.PENDING,
                    Booking.status.in_(OPEN_STATUSES))
             .order_by(Booking.created_at.desc(), Booking.id.desc()))
    if operator_id is not None:
        query = (query.join(Experience, Experience.id == Booking.experience_id)
                 .join(Village, Village.id == Experience.village_id).where(Village.operator_id == operator_id))
    if lock:
        query = query.with_for_update(of=Payment).execution_options(populate_existing=True)
    return list(dbsession.scalars(query))


def _locked(dbsession, payment: Payment) -> Payment:
    """`payment` as it is once its row is locked: a press (or an import) racing this one has
    either finished, and this one sees the payment received, or waits for this one."""
    if not RECEIPT_GUARD.enabled:
        dbsession.refresh(payment)
        RECEIPT_GUARD.pause()
        return payment
    return dbsession.scalar(select(Payment).where(Payment.id == payment.id).with_for_update()
                            .execution_options(populate_existing=True))


def mark_received(dbsession, payment: Payment, *, providers: dict, now, registry) -> str:
    """An operator saw the transfer on the account: the booking is confirmed (or the money given back).

    Returns what settling did (payments.settlement); a payment already received changes
    nothing ("no change: …"), also when two people press at the same moment. Locks the
    payment row until the transaction ends.
    """
    payment = _locked(dbsession, payment)
    return settle_received_payment(dbsession, payment, received=payment.amount, currency=payment.currency,
                                   providers=providers, now=now, registry=registry)


def import_statement(dbsession, data: bytes | str, *, providers: dict, now, registry, operator_id: int | None = None):
    """Match a bank statement against awaited transfers and settle the lines that match.

    Returns (report, outcomes): the MatchReport (mismatched amounts, unmatched lines and
    duplicates are listed there and change nothing) and, per matched reference, what
    settling did. Raises ValueError with a message for a file that is not a statement.

    With `operator_id`, only that operator's bookings are matched: a line naming another
    operator's booking (the platform's account may receive every operator's transfers) is
    listed as unmatched and settles nothing. None (an admin) matches every operator's.
    The awaited payments are locked until the transaction ends.
    """
    lines = bank_statement.parse_statement(data)
    awaited = {p.booking.reference: p for p in awaited_transfers(dbsession, operator_id=operator_id, lock=True)}
    open_bookings = [bank_statement.OpenBooking(reference, payment.amount, payment.booking_id)
                     for reference, payment in awaited.items()]
    report = bank_statement.match_statement(lines, open_bookings)
    outcomes = {}
    for match in report.matched:
        payment = awaited[match.booking.reference]
        outcomes[match.booking.reference] = settle_received_payment(
            dbsession, payment, received=match.line.amount, currency=payment.currency, providers=providers,
            now=now, registry=registry)
    return report, outcomes


def already_received(dbsession, lines: list[bank_statement.StatementLine], *,
                     operator_id: int | None = None) -> dict[int, tuple[str, bool]]:
    """Which of `lines` (unmatched by an import) name a booking whose transfer was already
    received: line number → (booking reference, True when the line is that transfer: the
    amount agrees and no other line names the booking). Importing a statement that overlaps
    the last one can then say "recorded before" for those, and "already paid" for the rest
    (a guest who paid twice), instead of listing them as unknown."""
    query = (select(Payment.booking_id, Booking.reference, Payment.amount)
             .join(Booking, Booking.id == Payment.booking_id)
             .where(Payment.provider == NAME, Payment.status.in_(RECEIVED)))
    if operator_id is not None:
        query = (query.join(Experience, Experience.id == Booking.experience_id)
                 .join(Village, Village.id == Experience.village_id).where(Village.operator_id == operator_id))
    received = {reference: bank_statement.OpenBooking(reference, amount, booking_id)
                for booking_id, reference, amount in dbsession.execute(query)}
    if not received or not lines:
        return {}
    report = bank_statement.match_statement(lines, list(received.values()))
    found = {m.line.line_number: (m.booking.reference, True) for m in report.matched}
    found.update({m.line.line_number: (m.booking.reference, False) for m in report.amount_mismatch})
    found.update({line.line_number: (d.booking.reference, False) for d in report.duplicates for line in d.lines})
    return found
