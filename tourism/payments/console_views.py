"""VietQR transfers in the console: the transfers still awaited, "the money has arrived", and
the bank statement import.

Banks send no callback, so the operator's staff confirm a transfer they see on the account,
or import the bank's statement and let the lines that match confirm their bookings. Both
settle through payments.settlement: the booking is confirmed, or the money is given back
when the seats are gone. Each operator sees and settles only its own bookings; an admin all.
"""
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select
from translationstring import TranslationString

from tourism.accounts.permissions import PAYMENTS, OperatorResource, visible_operator_id
from tourism.accounts.views import no_store
from tourism.booking.models import Booking, BookingStatus
from tourism.booking.services import format_reference
from tourism.catalog.services import experience_text, village_text
from tourism.i18n import _
from tourism.payments import bank_statement
from tourism.payments.models import RECEIVED, Payment
from tourism.payments.services import providers
from tourism.payments.vietqr_provider import NAME as VIETQR
from tourism.payments.vietqr_provider import (
    OPEN_STATUSES,
    already_received,
    awaited_transfer,
    awaited_transfers,
    import_statement,
    mark_received,
)

TEMPLATES = "tourism:payments/templates/console/"
FLASH_QUEUE = "payments.transfers"
# A month of a busy account's transactions is a few hundred kilobytes.
MAX_STATEMENT_BYTES = 2 * 1024 * 1024
MAX_ID = 2**31 - 1


# --- route factories ----------------------------------------------------------------------

def operator_scope(request) -> OperatorResource:
    """Route factory for pages about all of "my" operator's payments: the signed-in user's
    operator, or every operator (None) for an admin. Strangers and users who are neither get
    a resource only admins may use, so they are sent to sign in or refused."""
    user = request.identity
    if user is None:
        return OperatorResource(None)
    try:
        return OperatorResource(visible_operator_id(user))
    except ValueError:
        return OperatorResource(None)


def transfer_booking(request) -> OperatorResource:
    """Route factory: the booking whose reference is in the URL ("K7M2-QX9P" or "k7m2qx9p"),
    owned by its village's operator; 404 when there is none."""
    reference = bank_statement.compact_reference(request.matchdict["reference"][:40])
    booking = None
    if 0 < len(reference) <= 12:
        booking = request.dbsession.scalar(select(Booking).where(Booking.reference == reference))
    if booking is None:
        raise HTTPNotFound()
    return OperatorResource(booking.experience.village.operator_id, booking)


# --- what settling did, in words --------------------------------------------------------------

DONE, WARNING = "done", "warning"


def outcome_message(outcome: str, booking: Booking, amount: str) -> tuple[TranslationString, str]:
    """What settling a received transfer did (payments.settlement's outcome) in words for the
    staff, and whether it is simply done or asks them to act (send money back)."""
    mapping = {"reference": format_reference(booking.reference), "name": booking.contact_name, "amount": amount}
    if outcome == "processed: booking confirmed":
        return _("Booking ${reference} is confirmed. ${name} gets the ticket by e-mail.", mapping=mapping), DONE
    if outcome == "processed: booking was confirmed already, now paid":
        return _("Booking ${reference} is now paid. Do not collect money from ${name} at the village.",
                 mapping=mapping), DONE
    if outcome.startswith("no change"):
        return _("Nothing changed: the transfer for booking ${reference} was already marked received.",
                 mapping=mapping), DONE
    if outcome.startswith(("refunded", "refund failed")):
        reason = outcome.split(": ", 1)[-1]
        if reason == "late_payment":
            message = _("The money for booking ${reference} arrived after the seats were released, and they are "
                        "taken now. Send ${amount} back to ${name}. It is on your list of refunds to pay back; "
                        "${name} was told by e-mail.", mapping=mapping)
        elif reason == "booking_cancelled":
            message = _("Booking ${reference} was cancelled before the money arrived. Send ${amount} back to "
                        "${name}. It is on your list of refunds to pay back; ${name} was told by e-mail.",
                        mapping=mapping)
        elif reason == "duplicate_payment":
            message = _("Booking ${reference} was already paid, so this money is extra. Send ${amount} back to "
                        "${name}. It is on your list of refunds to pay back; ${name} was told by e-mail.",
                        mapping=mapping)
        else:
            message = _("This money cannot be kept for booking ${reference}. Send ${amount} back to ${name}. "
                        "It is on your list of refunds to pay back; ${name} was told by e-mail.", mapping=mapping)
        return message, WARNING
    return _("The transfer for booking ${reference} is recorded.", mapping=mapping), DONE


# --- the transfers awaited, and "the money has arrived" -------------------------------------

def _transfer(request, payment: Payment) -> dict:
    booking = payment.booking
    tz = booking.experience.village.time_zone
    fmt = request.fmt
    expires = booking.hold_expires_at
    return {
        "payment": payment,
        "booking": booking,
        "reference": format_reference(booking.reference),
        "name": booking.contact_name,
        "title": experience_text(booking.experience, request.locale_name).value.title,
        "village": village_text(booking.experience.village, request.locale_name).value.name,
        "when": fmt.session_datetime(booking.session.starts_at, tz),
        "amount": fmt.money(payment.amount, payment.currency),
        "hold_until": fmt.datetime(expires, tz, format="short") if expires else "",
        # Confirmed already, to pay at the village: the transfer would replace the cash.
        "pay_at_village": booking.status == BookingStatus.CONFIRMED,
        "expired": booking.status == BookingStatus.EXPIRED or (
            booking.status == BookingStatus.HELD and expires is not None and expires <= request.now),
    }


@view_config(route_name="payments.transfers", request_method="GET", permission=PAYMENTS,
             renderer=TEMPLATES + "transfers.jinja2")
def transfers_page(request):
    no_store(request)
    payments = awaited_transfers(request.dbsession, operator_id=request.context.operator_id)
    return {"transfers": [_transfer(request, payment) for payment in payments],
            "messages": request.session.pop_flash(FLASH_QUEUE)}


@view_config(route_name="payments.transfers.received", request_method="GET", permission=PAYMENTS,
             renderer=TEMPLATES + "transfer_received.jinja2")
def received_page(request):
    """One transfer and the question: has the money arrived? (or what became of it)."""
    no_store(request)
    booking = request.context.obj
    payment = awaited_transfer(request.dbsession, booking) if booking.status in OPEN_STATUSES else None
    received = None
    if payment is None:
        received = request.dbsession.scalar(select(Payment).where(
            Payment.booking_id == booking.id, Payment.provider == VIETQR, Payment.status.in_(RECEIVED)))
    return {"transfer": _transfer(request, payment) if payment else None,
            "reference": format_reference(booking.reference), "booking": booking, "received": received}


@view_config(route_name="payments.transfers.received", request_method="POST", permission=PAYMENTS)
def received(request):
    """The money has arrived: settle the transfer the page showed. Pressed twice (or by two
    people), the second press changes nothing and says so."""
    booking = request.context.obj
    payment_id = request.POST.get("payment", "")
    payment = None
    if payment_id.isascii() and payment_id.isdigit() and int(payment_id) <= MAX_ID:
        payment = request.dbsession.get(Payment, int(payment_id))
    if payment is None or payment.booking_id != booking.id or payment.provider != VIETQR:
        raise HTTPBadRequest()
    outcome = mark_received(request.dbsession, payment, providers=providers(request.registry), now=request.now,
                            registry=request.registry)
    message, kind = outcome_message(outcome, booking, request.fmt.money(payment.amount, payment.currency))
    # Translated now, in the staff member's language: the session keeps plain text.
    request.session.flash({"text": request.localizer.translate(message), "kind": kind}, queue=FLASH_QUEUE)
    return HTTPSeeOther(request.route_path("payments.transfers"))


# --- the bank statement import ------------------------------------------------------------

def _import_page(request, *, error=None, detail=None, result=None, status=200) -> dict:
    no_store(request)
    request.response.status = status
    return {"error": error, "detail": detail, "result": result, "max_mb": MAX_STATEMENT_BYTES // (1024 * 1024)}


@view_config(route_name="payments.transfers.import", request_method="GET", permission=PAYMENTS,
             renderer=TEMPLATES + "transfers_import.jinja2")
def import_page(request):
    return _import_page(request)


@view_config(route_name="payments.transfers.import", request_method="POST", permission=PAYMENTS,
             renderer=TEMPLATES + "transfers_import.jinja2")
def import_upload(request):
    upload = request.POST.get("statement")
    if getattr(upload, "file", None) is None:  # no file chosen: the field comes as text
        return _import_page(request, error=_("Choose the bank statement file first."), status=400)
    data = upload.file.read(MAX_STATEMENT_BYTES + 1)
    if len(data) > MAX_STATEMENT_BYTES:
        return _import_page(request, status=413, error=_(
            "This file is larger than ${size} MB, so nothing was imported. Export a shorter period from the "
            "bank (a week or a month) and import that.", mapping={"size": MAX_STATEMENT_BYTES // (1024 * 1024)}))
    if not data.strip():
        return _import_page(request, error=_("This file is empty. Nothing was imported."), status=400)
    operator_id = request.context.operator_id
    try:
        # Reading and matching come first and raise before anything is settled.
        report, outcomes = import_statement(request.dbsession, data, providers=providers(request.registry),
                                            now=request.now, registry=request.registry, operator_id=operator_id)
    except ValueError as error:
        return _import_page(request, status=400, detail=str(error), error=_(
            "This file could not be read as a bank statement, so nothing was changed. Export the account's "
            "transactions from the bank's website as CSV and try again."))
    earlier = already_received(request.dbsession, [u.line for u in report.unmatched
                                                   if u.reason == bank_statement.NO_REFERENCE],
                               operator_id=operator_id)
    return _import_page(request, result=_import_result(request, report, outcomes, earlier))


def _import_result(request, report: bank_statement.MatchReport, outcomes: dict, earlier: dict) -> dict:
    """The report as rows for the page, in the staff member's language."""
    fmt, db = request.fmt, request.dbsession

    def money(amount):
        return fmt.money(amount, "VND")

    def booking_of(open_booking) -> Booking:
        return db.get(Booking, open_booking.booking_id)

    matched = []
    for match in report.matched:
        booking = booking_of(match.booking)
        message, kind = outcome_message(outcomes[match.booking.reference], booking, money(match.line.amount))
        matched.append({"line": match.line, "reference": format_reference(booking.reference),
                        "name": booking.contact_name, "amount": money(match.line.amount), "message": message,
                        "kind": kind})
    mismatched = [{"line": m.line, "reference": format_reference(m.booking.reference),
                   "name": booking_of(m.booking).contact_name, "expected": money(m.booking.amount_due),
                   "received": money(m.line.amount)} for m in report.amount_mismatch]
    duplicates = [{"reference": format_reference(d.booking.reference), "name": booking_of(d.booking).contact_name,
                   "expected": money(d.booking.amount_due),
                   "lines": [{"line": line, "amount": money(line.amount)} for line in d.lines]}
                  for d in report.duplicates]
    unmatched, recorded = [], []
    for item in report.unmatched:
        row = {"line": item.line, "amount": money(item.line.amount)}
        reference, same = earlier.get(item.line.line_number, (None, False))
        if same:
            recorded.append(dict(row, reference=format_reference(reference)))
            continue
        if reference:
            row["why"] = _("It names booking ${reference}, which is paid already. This money may be extra: "
                           "check with the guest.", mapping={"reference": format_reference(reference)})
        elif item.reason == bank_statement.SEVERAL_REFERENCES:
            row["why"] = _("It names several bookings: ${references}.", mapping={
                "references": fmt.list(format_reference(r) for r in item.references)})
        else:
            row["why"] = _("It names no booking that is waiting for a transfer.")
        unmatched.append(row)
    return {"matched": matched, "mismatched": mismatched, "duplicates": duplicates, "unmatched": unmatched,
            "recorded": recorded}
