"""One session in the console, and what can be done to all its bookings at once.

- /console/sessions/<id>: time, experience, seats booked / held / free, the guests (reference,
  name, party, paid or due, checked in), links to check-in and the guest list; once cancelled,
  what happened to each booking (refunded by card, to pay back by hand, nothing paid, e-mail
  sent or not) and "Try again" while something is left;
- /console/sessions/<id>/cancel: the reason and what it will do (bookings, guests, money), then
  the cancellation (tourism.booking.bulk.cancel_session), safe to press again;
- /console/sessions/<id>/move: the sessions with room for everyone, then the move (all or nothing).

The session in the URL is loaded by a route factory naming its village's operator, so another
operator's staff get 403 whatever id they try. Seeing the page is CONSOLE; cancelling and
moving are MANAGE (the operator's owners). The rules are in tourism.booking.bulk.
"""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.interfaces import IRoutesMapper
from pyramid.view import view_config

from tourism.accounts.permissions import CONSOLE, MANAGE, OperatorResource, can_manage, row_from_url
from tourism.accounts.views import no_store
from tourism.booking import bulk
from tourism.booking.emails import NO_EMAIL_ADDRESS, can_email
from tourism.booking.services import format_reference
from tourism.catalog.models import PRICE_TIERS
from tourism.catalog.services import experience_text, village_text
from tourism.exceptions import DomainError
from tourism.forms import Form, InvalidInput, chosen_id, typed
from tourism.i18n import _
from tourism.notify.models import OutboxStatus
from tourism.payments.services import providers
from tourism.payments.vietqr_provider import NAME as VIETQR
from tourism.scheduling.models import ExperienceSession, SessionStatus

TEMPLATES = "tourism:booking/templates/console/"
FLASH_QUEUE = "booking.session"
# The bookings console's detail page (tourism/booking/console_views.py), linked once installed.
BOOKING_ROUTE = "booking.console.detail"
MAX_DETAIL = 160  # characters of a provider's error shown on the report


def session_resource(request) -> OperatorResource:
    """Route factory: the session in the URL, owned by its village's operator (404 when unknown)."""
    session = row_from_url(request, ExperienceSession, "session_id")
    return OperatorResource(session.experience.village.operator_id, session)


# --- what every page shows of the session ---------------------------------------------------------

def _about(request, session: ExperienceSession) -> dict:
    experience = session.experience
    tz = experience.village.time_zone
    text = experience_text(experience, request.locale_name)
    return {
        "session": session,
        "title": text.value.title,
        "title_lang": text.locale,
        "village": village_text(experience.village, request.locale_name).value.name,
        "when": request.fmt.session_datetime(session.starts_at, tz),
        "time_zone": request.fmt.time_zone(tz),
        "cancelled": session.status == SessionStatus.CANCELLED,
        "started": session.starts_at <= request.now,
        "session_url": request.route_path("booking.console.session", session_id=session.id),
    }


def _money(request, amount: int, currency: str) -> str:
    return request.fmt.money(amount, currency)


def _say(request, message) -> str:
    return request.localizer.translate(message)


def _flash(request, message, kind: str = "ok") -> None:
    request.session.flash({"text": _say(request, message), "kind": kind}, queue=FLASH_QUEUE)


def _back(request, session: ExperienceSession) -> HTTPSeeOther:
    return HTTPSeeOther(request.route_path("booking.console.session", session_id=session.id))


def _booking_path(request, booking) -> str | None:
    mapper = request.registry.queryUtility(IRoutesMapper)
    if mapper is None or mapper.get_route(BOOKING_ROUTE) is None:
        return None
    return request.route_path(BOOKING_ROUTE, booking_id=booking.id)


# --- the session page -------------------------------------------------------------------------------

def _guest_row(request, guest: bulk.Guest) -> dict:
    booking = guest.booking
    money = lambda amount: _money(request, amount, booking.currency)  # noqa: E731
    if booking.total_amount == 0:
        due = _("Nothing to pay")
    elif guest.owed <= 0:
        due = _("Paid")
    elif guest.pays_by == "on_site":
        due = _("Due at the village: ${amount}", mapping={"amount": money(guest.owed)})
    elif guest.pays_by == VIETQR:
        due = _("Transfer awaited: ${amount}", mapping={"amount": money(guest.owed)})
    else:
        due = _("To pay: ${amount}", mapping={"amount": money(guest.owed)})
    return {
        "reference": format_reference(booking.reference),
        "url": _booking_path(request, booking),
        "name": booking.contact_name,
        "party": [f"{_say(request, PRICE_TIERS.get(line.tier_code, line.tier_code))}: {line.quantity}"
                  for line in booking.lines],
        "paid": money(guest.paid),
        "due": _say(request, due),
        "owes": guest.owed > 0,
        "admitted": _say(request, _("${admitted} of ${seats}", mapping={"admitted": guest.admitted,
                                                                          "seats": booking.seats})),
    }


def _money_lines(request, report: bulk.BookingReport) -> list[dict]:
    """What happened to a booking's money, in plain words; `warning` when the operator must act,
    `detail` what the card provider said when its refund failed (shortened: it is for whoever
    the operator asks for help)."""
    money, currency = report.money, report.booking.currency
    lines = []

    def say(message, warning=False, detail=None):
        lines.append({"text": _say(request, message), "warning": warning,
                      "detail": _say(request, detail) if detail else None})

    if not report.cancelled:
        say(_("Not cancelled yet: still booked."), True)
    if money.by_provider:
        say(_("Refunded ${amount} by card.", mapping={"amount": _money(request, money.by_provider, currency)}))
    if money.by_hand:
        amount = _money(request, money.by_hand, currency)
        if money.by_hand_paid >= money.by_hand:
            say(_("${amount} paid back.", mapping={"amount": amount}))
        elif VIETQR in money.paid_with:
            say(_("${amount} to pay back by bank transfer.", mapping={"amount": amount}), True)
        else:
            say(_("${amount} to pay back by hand (it was paid at the village).", mapping={"amount": amount}), True)
    if money.left and report.cancelled:
        amount = _money(request, money.left, currency)
        if money.failure:
            reason = money.failure if len(money.failure) <= MAX_DETAIL else money.failure[:MAX_DETAIL - 1] + "…"
            say(_("The card refund of ${amount} failed. Press “Try again”.", mapping={"amount": amount}), True,
                _("The card provider said: ${reason}", mapping={"reason": reason}))
        else:
            say(_("${amount} still to refund. Press “Try again”.", mapping={"amount": amount}), True)
    if money.nothing_paid:
        say(_("Nothing was paid."))
    return lines


EMAIL_STATES = {
    None: (_("Not e-mailed yet."), True),
    OutboxStatus.PENDING: (_("E-mail waiting to be sent."), False),
    OutboxStatus.SENT: (_("E-mail sent."), False),
    OutboxStatus.FAILED: (_("The e-mail could not be delivered: phone the guest."), True),
}


def report_row(request, report: bulk.BookingReport) -> dict:
    """One booking of a cancelled session as its report lists it (here, and after a closure cancelled sessions)."""
    booking = report.booking
    email_text, email_warning = EMAIL_STATES[report.email]
    if report.no_email_address:
        email_text, email_warning = NO_EMAIL_ADDRESS, True
    elif report.email == OutboxStatus.PENDING and report.email_error:
        email_text, email_warning = _("The e-mail is not sent yet: the mail server refused it for now; "
                                      "it is tried again by itself."), True
    return {
        "reference": format_reference(booking.reference),
        "url": _booking_path(request, booking),
        "name": booking.contact_name,
        "phone": booking.contact_phone,
        "seats": booking.seats,
        "money": _money_lines(request, report),
        "email": _say(request, email_text),
        "email_warning": email_warning,
        "warning": report.work_left or email_warning,
    }


@view_config(route_name="booking.console.session", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "session.jinja2")
def session_page(request):
    no_store(request)  # guests' names, phones and payments
    session = request.context.obj
    page = _about(request, session)
    seats = bulk.session_seats(request.dbsession, session, now=request.now)
    report = bulk.cancellation_report(request.dbsession, session, now=request.now)
    manager = can_manage(request, request.context.operator_id)
    open_now = not page["cancelled"] and not page["started"]
    page.update({
        "seats": seats,
        "guests": [_guest_row(request, guest) for guest in bulk.session_guests(request.dbsession, session)],
        "report": [report_row(request, row) for row in report],
        "work_left": any(row.work_left for row in report),
        "needs_reason": page["cancelled"] and any(not row.cancelled for row in report),
        "by_hand": any(row.money.by_hand > row.money.by_hand_paid for row in report),
        "can_manage": manager,
        "can_cancel": manager and open_now,
        "can_move": manager and open_now and seats.booked > 0,
        "can_reopen": manager and not bulk.reopen_refused(request.dbsession, session, now=request.now),
        "messages": request.session.pop_flash(FLASH_QUEUE),
    })
    return page


# --- cancelling the session ---------------------------------------------------------------------------

def _reasons(request) -> list[dict]:
    return [{"value": reason.value, "label": _say(request, label)} for reason, label in bulk.REASON_LABELS.items()]


def _cancel_page(request, form: Form, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    session = request.context.obj
    preview = bulk.cancel_preview(request.dbsession, session, now=request.now, providers=providers(request.registry))
    money = lambda amount: _money(request, amount, preview.currency)  # noqa: E731
    return dict(_about(request, session), form=form, reasons=_reasons(request), preview=preview,
                refund=money(preview.refund), by_provider=money(preview.by_provider), by_hand=money(preview.by_hand),
                max_note=bulk.MAX_NOTE)


def _refused(request, session):
    """Back to the session page, saying why, when there is nothing this page can do."""
    refused = bulk.cancel_refused(session, now=request.now)
    if refused:
        _flash(request, refused, "warning")
        return _back(request, session)
    if not bulk.needs_reason(request.dbsession, session, now=request.now):
        return _back(request, session)  # cancelled, every guest told: the session page has the rest
    return None


@view_config(route_name="booking.console.session.cancel", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "session_cancel.jinja2")
def cancel_page(request):
    return _refused(request, request.context.obj) or _cancel_page(request, Form("cancel"))


@view_config(route_name="booking.console.session.cancel", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "session_cancel.jinja2")
def cancel_post(request):
    """Cancel (or finish cancelling): the reason is read only while some guest is still to be told."""
    session = request.context.obj
    reason = None
    if bulk.needs_reason(request.dbsession, session, now=request.now):
        try:
            reason = bulk.read_reason(request.POST, request.locale_name)
        except InvalidInput as error:
            return _refused(request, session) or _cancel_page(request, Form("cancel", typed(request), error.errors),
                                                              status=400)
    try:
        run = bulk.cancel_session(request.dbsession, session, reason, now=request.now, registry=request.registry,
                                  providers=providers(request.registry))
    except DomainError as error:
        _flash(request, error.message, "warning")
        return _back(request, session)
    _report_run(request, run)
    return _back(request, session)


@view_config(route_name="booking.console.session.reopen", request_method="GET", permission=MANAGE)
def reopen_get(request):
    """The address opened (from the history, say): the session page, where the button is."""
    return _back(request, request.context.obj)


@view_config(route_name="booking.console.session.reopen", request_method="POST", permission=MANAGE)
def reopen_post(request):
    """Undo the cancellation for new guests (the session page's confirmation form)."""
    session = request.context.obj
    try:
        bulk.reopen_session(request.dbsession, session, now=request.now)
    except DomainError as error:
        _flash(request, error.message, "warning")
        return _back(request, session)
    _flash(request, _("The session is open for booking again. Guests already cancelled stay cancelled and "
                      "refunded; tell them yourself if they may want to come."))
    return _back(request, session)


def _report_run(request, run: bulk.CancelRun) -> None:
    emailed = len(run.cancelled) - len(run.not_emailed)
    if emailed:
        _flash(request, _("The session is cancelled. Bookings cancelled, refunded and e-mailed: ${count}.",
                          mapping={"count": emailed}))
    if run.not_emailed:
        _flash(request, _("Bookings cancelled and refunded with no e-mail address: ${count}. Nobody else can tell "
                          "these guests: phone them (their numbers are in the list below).",
                          mapping={"count": len(run.not_emailed)}), "warning")
    if run.holds_released:
        _flash(request, _("Guests who were still paying were let go: ${count}.", mapping={"count": run.holds_released}))
    if run.refunds_finished:
        _flash(request, _("Refunds tried again: ${count}.", mapping={"count": len(run.refunds_finished)}))
    for booking, problem in run.failed:
        _flash(request, _("${reference} (${name}): ${problem} Press “Try again”.",
                          mapping={"reference": format_reference(booking.reference), "name": booking.contact_name,
                                   "problem": _say(request, problem)}), "warning")
    if not (run.cancelled or run.holds_released or run.refunds_finished or run.failed):
        _flash(request, _("The session is cancelled. There was nothing left to do."))


# --- moving every guest ------------------------------------------------------------------------------

def _move_page(request, form: Form, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    session = request.context.obj
    tz = session.experience.village.time_zone
    seats = bulk.session_seats(request.dbsession, session, now=request.now)
    options = [{"value": str(a.session_id),
                "label": _say(request, _("${when} — ${count} seats free",
                                         mapping={"when": request.fmt.session_datetime(a.starts_at, tz),
                                                  "count": a.seats_left}))}
               for a in bulk.move_candidates(request.dbsession, session, now=request.now)]
    guests = bulk.session_guests(request.dbsession, session)
    return dict(_about(request, session), form=form, options=options, seats=seats, bookings=len(guests),
                window_days=bulk.MOVE_WINDOW.days)


def _move_refused(request, session):
    if session.status != SessionStatus.OPEN or session.starts_at <= request.now:
        _flash(request, _("This session is cancelled or has started: its guests can no longer be moved."), "warning")
        return _back(request, session)
    return None


@view_config(route_name="booking.console.session.move", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "session_move.jinja2")
def move_page(request):
    return _move_refused(request, request.context.obj) or _move_page(request, Form("move"))


@view_config(route_name="booking.console.session.move", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "session_move.jinja2")
def move_post(request):
    session = request.context.obj
    refused = _move_refused(request, session)
    if refused:
        return refused
    chosen = chosen_id(request.POST.get("session", ""))
    target = next((request.dbsession.get(ExperienceSession, a.session_id)
                   for a in bulk.move_candidates(request.dbsession, session, now=request.now)
                   if a.session_id == chosen), None)
    if target is None:
        problem = _("Choose a session from the list.") if chosen is None else _(
            "Nothing was moved: that session no longer has room for everyone. Choose another session.")
        return _move_page(request, Form("move", typed(request), {"session": problem}), status=400)
    try:
        moved = bulk.move_all(request.dbsession, session, target, now=request.now, registry=request.registry,
                              providers=providers(request.registry))
    except DomainError as error:
        return _move_page(request, Form("move", typed(request), {"session": error.message}), status=409)
    tz = target.experience.village.time_zone
    _flash(request, _("Moved ${count} bookings (${guests} guests) here from ${when}. Each guest was e-mailed the new "
                      "date and a new ticket; the other session is closed.",
                      mapping={"count": len(moved), "guests": sum(b.seats for b in moved),
                               "when": request.fmt.session_datetime(session.starts_at, tz)}))
    unreachable = [b.contact_name for b in moved if not can_email(b)]
    if unreachable:
        _flash(request, _("No e-mail address for ${names}: tell them the new date yourself, and print their new "
                          "tickets.", mapping={"names": request.fmt.list(unreachable)}), "warning")
    return _back(request, target)


def includeme(config):
    factory = "tourism.booking.session_views.session_resource"
    config.add_route("booking.console.session", "/console/sessions/{session_id}", factory=factory)
    config.add_route("booking.console.session.cancel", "/console/sessions/{session_id}/cancel", factory=factory)
    config.add_route("booking.console.session.move", "/console/sessions/{session_id}/move", factory=factory)
    config.add_route("booking.console.session.reopen", "/console/sessions/{session_id}/reopen", factory=factory)
    config.scan(__name__)
