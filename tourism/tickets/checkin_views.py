"""The check-in scanner in the console: the day's sessions, the scanner page (a plain form
without JavaScript; camera, photo and offline queue with it), and the JSON it talks to.

The rules live in `tickets.scanning`, `tickets.checkin` and `shop.handover` (the products a
guest picks up at the gate); these views parse, call one of them and answer. JSON
endpoints answer every failure in JSON too (`{"ok": false, "reason", "message"}` with the
message in the user's language): a phone at the gate must be able to tell "refused" from
"signed out" from "no connection". Handing products over is a plain form, online only.

Both can be undone for a few minutes ("Undo this check-in", "Undo" after "Handed over"):
without JavaScript by a plain form, which goes back to the scanner page saying what was
undone; the script undoes an online admission through JSON, and one still queued on the
phone by taking it off the queue.
"""
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from pyramid.csrf import get_csrf_token
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPBadRequest, HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import exception_view_config, forbidden_view_config, view_config

from tourism.accounts.permissions import CHECKIN, CONSOLE, visible_operator_id
from tourism.accounts.views import no_store
from tourism.booking.models import Booking, Fulfilment
from tourism.booking.services import format_reference
from tourism.catalog.models import PRICE_TIERS
from tourism.catalog.services import experience_text, village_text
from tourism.i18n import _, script_template
from tourism.scheduling.models import ExperienceSession, SessionStatus
from tourism.shop.handover import (
    HandOverRefused,
    hand_over,
    lines_text,
    marked_at_from_text,
    take_back,
    to_hand_over,
)
from tourism.tickets import JSQR_KEY, codes
from tourism.tickets.checkin import (
    AdmissionRefused,
    AdmitResult,
    ScanRefused,
    UndoRefused,
    UndoResult,
    admission_summary,
    undo_admission,
)
from tourism.tickets.codes import TicketCodeError
from tourism.tickets.scanning import (
    MAX_PEOPLE,
    MAX_SYNC_SCANS,
    admit_at_session,
    booking_at_session,
    checkin_sessions,
    clean_reference,
    guest_list,
    operator_of,
    session_label,
    sessions_on_days,
    sync_at_session,
)

TEMPLATES = "tourism:tickets/templates/"
SERVICE_WORKER = Path(__file__).resolve().parents[1] / "static" / "js" / "checkin-sw.js"
# The check-in JSON endpoints: refused (signed out, forbidden, stale CSRF token) in JSON too.
JSON_PATHS = r"^/console/sessions/\d+/checkin/(guests\.json|admit|admit/undo|sync)$"
MAX_JSON_BYTES = 256 * 1024
HANDOVER_FLASH = "tickets.checkin.handover"  # what "Handed over" did, shown by the scanner page next
UNDONE_FLASH = "tickets.checkin.undone"  # what an "Undo" did, likewise

BAD_JSON = _("The scanner sent something the server could not read. Reload the page and try again.")
BAD_PEOPLE = _("Enter how many people as a whole number.")
TO_HAND_OVER = _("To hand over:")
HANDED_OVER = _("Handed over")
UNDO_CHECKIN = _("Undo this check-in")
UNDO_OFFLINE = _("No connection: “Undo” only works online. Try again when the phone is online.")
# Handing over is recorded online only: a phone offline says so rather than queue it.
HAND_OVER_OFFLINE = _("No connection: “Handed over” only works online. You may give the products now; scan the "
                      "ticket again when the phone is online to record it.")


# --- the day's sessions -------------------------------------------------------------------

@view_config(route_name="tickets.checkin", permission=CONSOLE, renderer=TEMPLATES + "checkin_sessions.jinja2")
def sessions_page(request):
    no_store(request)
    try:
        operator_id = visible_operator_id(request.identity)
    except ValueError:
        raise HTTPForbidden() from None
    rows = checkin_sessions(request.dbsession, operator_id=operator_id, now=request.now)
    days = []
    for row in rows:
        if not days or days[-1]["offset"] != row.day_offset:
            days.append({"offset": row.day_offset, "label": _("Today") if row.day_offset == 0 else _("Tomorrow"),
                         "rows": []})
        days[-1]["rows"].append(_session_view(request, row.session, row.summary))
    return {"days": days}


def _session_view(request, session: ExperienceSession, summary) -> dict:
    village = session.experience.village
    return {
        "id": session.id,
        "title": experience_text(session.experience, request.locale_name).value.title,
        "village": village_text(village, request.locale_name).value.name,
        "day": request.fmt.day_label(session.starts_at.astimezone(ZoneInfo(village.time_zone)).date()),
        "time": request.fmt.local_time(session.starts_at, village.time_zone),
        "cancelled": session.status == SessionStatus.CANCELLED,
        "summary": summary,
    }


# --- the scanner page -----------------------------------------------------------------------

@view_config(route_name="tickets.checkin.session", request_method="GET", permission=CHECKIN,
             renderer=TEMPLATES + "checkin.jinja2")
def scanner_page(request):
    no_store(request)
    handed = request.session.pop_flash(HANDOVER_FLASH)  # back from "Handed over"
    if handed:
        return _scanner(request, handover=handed[-1], about=handed[-1]["reference"])
    undone = request.session.pop_flash(UNDONE_FLASH)  # back from an "Undo"
    if undone:
        return _scanner(request, undone=undone[-1], about=undone[-1]["reference"])
    return _scanner(request)


@view_config(route_name="tickets.checkin.session", request_method="POST", permission=CHECKIN,
             renderer=TEMPLATES + "checkin.jinja2")
def scanner_form(request):
    """The form without JavaScript: a reference (or a code typed by a hardware scanner) and
    how many people; empty means everyone the ticket has left."""
    no_store(request)
    entry = request.POST.get("reference", "")[:300]
    try:
        result = admit_at_session(request.dbsession, _keys(request), request.context.obj, reference=entry,
                                  people=_people(request.POST.get("people", "")),
                                  scan_id=request.POST.get("scan_id", "")[:100], now=request.now,
                                  locale=request.locale_name)
    except (TicketCodeError, AdmissionRefused) as error:
        request.response.status = 422
        return _scanner(request, refusal=error, entry=entry, people=request.POST.get("people", "")[:10])
    return _scanner(request, result=result)


@view_config(route_name="tickets.checkin.handover", request_method="POST", permission=CHECKIN,
             renderer=TEMPLATES + "checkin.jinja2")
def handover_form(request):
    """"Handed over": the products a guest picks up at the village, given to them now.

    A plain form (the scanner's script builds the same one). Done, it goes back to the
    scanner page, which says what was handed over (or that it already was: pressed twice);
    so the page's address stays the one kept for working offline, and a reload sends nothing.
    """
    no_store(request)
    session = request.context.obj
    booking = booking_at_session(request.dbsession, session, request.POST.get("reference", "")[:20])
    if booking is None:
        raise HTTPNotFound()  # not a booking of this session: nothing to say about it here
    try:
        done = hand_over(request.dbsession, booking, now=request.now, fulfilment=Fulfilment.PICKUP)
    except HandOverRefused as error:
        request.response.status = 422
        return _scanner(request, refusal=error, about=booking.reference)
    request.session.flash({"reference": booking.reference, "marked": lines_text(done.marked, request.locale_name),
                           "marked_at": done.marked_at.isoformat() if done.marked_at else None},
                          queue=HANDOVER_FLASH)
    return HTTPSeeOther(request.route_path("tickets.checkin.session", session_id=session.id))


@view_config(route_name="tickets.checkin.undo", request_method="POST", permission=CHECKIN,
             renderer=TEMPLATES + "checkin.jinja2")
def undo_form(request):
    """"Undo this check-in" without JavaScript: the form shown with an admission's result.

    Done, it goes back to the scanner page, which says what was undone (as "Handed over" does).
    """
    no_store(request)
    session = request.context.obj
    try:
        undone = undo_admission(request.dbsession, session, request.POST.get("scan_id", "")[:100], request.now)
    except UndoRefused as error:
        request.response.status = 422
        return _scanner(request, refusal=error, about=clean_reference(request.POST.get("reference", "")[:20]),
                        undoing=True)
    if undone.already_undone:
        return _undone(request, undone.reference, _("Already undone"),
                       _("This check-in was already undone; nothing changed."))
    return _undone(request, undone.reference, _("Check-in undone"),
                   _("People no longer counted as admitted: ${count}", mapping={"count": undone.people}))


@view_config(route_name="tickets.checkin.handover.undo", request_method="POST", permission=CHECKIN,
             renderer=TEMPLATES + "checkin.jinja2")
def handover_undo_form(request):
    """"Undo" after "Handed over": the products that press marked are to hand over again."""
    no_store(request)
    session = request.context.obj
    booking = booking_at_session(request.dbsession, session, request.POST.get("reference", "")[:20])
    if booking is None:
        raise HTTPNotFound()  # not a booking of this session, as for "Handed over"
    marked_at = marked_at_from_text(request.POST.get("marked_at"))
    if marked_at is None:
        raise HTTPBadRequest()  # the form always carries it: not sent by this page
    try:
        taken = take_back(request.dbsession, booking, marked_at=marked_at, now=request.now)
    except HandOverRefused as error:
        request.response.status = 422
        return _scanner(request, refusal=error, about=booking.reference, undoing=True)
    if taken.already_taken_back:
        return _undone(request, booking.reference, _("Already undone"),
                       _("This hand-over was already undone; nothing changed."))
    return _undone(request, booking.reference, _("Hand-over undone"),
                   _("Still to hand over: ${products}",
                     mapping={"products": request.fmt.list(lines_text(taken.lines, request.locale_name))}))


def _undone(request, reference: str, title, message) -> HTTPSeeOther:
    """Back to the scanner page, which says what an "Undo" did about the booking `reference`
    (translated here: the session keeps plain text)."""
    translate = request.localizer.translate
    request.session.flash({"reference": reference, "title": translate(title), "message": translate(message)},
                          queue=UNDONE_FLASH)
    return HTTPSeeOther(request.route_path("tickets.checkin.session", session_id=request.context.obj.id))


def _people(text: str) -> int | None:
    """How many people the form asks for; None (left empty) for everyone the ticket has left."""
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 4 and 1 <= int(text) <= MAX_PEOPLE):
        raise AdmissionRefused("bad_people", BAD_PEOPLE)
    return int(text)


def _scanner(request, *, result: AdmitResult | None = None, refusal=None, entry: str = "", people: str = "",
             handover: dict | None = None, undone: dict | None = None, about: str | None = None,
             undoing: bool = False) -> dict:
    """The scanner page's values; `handover` is what "Handed over" did ({"reference", "marked":
    the lines' texts, empty when all had been handed over before, "marked_at": for its "Undo"}),
    `undone` what an "Undo" did ({"reference", "title", "message"}), `about` whose answer it is;
    `undoing` when the refusal is an "Undo"'s."""
    session = request.context.obj
    keys = _keys(request)
    guests = guest_list(request.dbsession, keys, session)
    if about is None:
        about = result.reference if result is not None else clean_reference(entry)
    shown = next((g for g in guests if g.booking.reference == about), None)  # whom the answer is about
    return {
        "session": _session_view(request, session, admission_summary(request.dbsession, session.id)),
        "guests": [_guest_view(request, g) for g in guests],
        "result": result,
        "refusal": refusal,
        "handover": handover,
        "undone": undone,
        "handover_refused": isinstance(refusal, HandOverRefused),
        "undo_refused": undoing,
        "shown": _guest_view(request, shown) if shown else None,
        "entry": "" if result is not None else entry,
        "people": "" if result is not None else people,
        "scan_id": uuid.uuid4().hex,
        "config": _page_config(request, session, keys),
        "jsqr_url": request.static_url(jsqr_path(request)) if jsqr_path(request) else None,
    }


def _guest_view(request, guest) -> dict:
    booking: Booking = guest.booking
    translate = request.localizer.translate
    return {
        "reference": booking.reference,
        "display_reference": format_reference(booking.reference),
        "name": booking.contact_name,
        "party": booking.seats,
        "tiers": request.fmt.list(f"{line.quantity} × {translate(PRICE_TIERS.get(line.tier_code, line.tier_code))}"
                                  for line in booking.lines),
        "language": request.fmt.language(booking.locale),
        "admitted": guest.admitted,
        "remaining": guest.remaining,
        "status": booking.status.value,
        "code": guest.code,
        # What the guest picks up here and has not been given yet (also kept offline).
        "products": lines_text(to_hand_over(booking), request.locale_name),
    }


def _keys(request) -> codes.TicketKeys:
    return request.registry[codes.REGISTRY_KEY]


def _page_config(request, session: ExperienceSession, keys: codes.TicketKeys) -> dict:
    """What checkin.js needs, rendered into the page as JSON: URLs, public keys, the
    operator's other sessions (to say which one a ticket is for, offline) and every
    message it may show, already in the user's language."""
    translate = request.localizer.translate
    route = request.route_path
    others = sessions_on_days(request.dbsession, operator_id=operator_of(session), now=request.now)

    def template(message, *names):
        return script_template(request, message, *names)

    return {
        "sessionId": session.id,
        "csrfToken": get_csrf_token(request),
        "urls": {
            "page": route("tickets.checkin.session", session_id=session.id),
            "guests": route("tickets.checkin.guests", session_id=session.id),
            "admit": route("tickets.checkin.admit", session_id=session.id),
            "sync": route("tickets.checkin.sync", session_id=session.id),
            "handover": route("tickets.checkin.handover", session_id=session.id),
            "undo": route("tickets.checkin.admit.undo", session_id=session.id),
            "worker": route("tickets.checkin.worker"),
            "scope": route("tickets.checkin.worker").rsplit("/", 1)[0] + "/",
            "signOut": route("accounts.sign_out"),
            "signIn": route("accounts.sign_in", _query={"next": route("tickets.checkin.session",
                                                                         session_id=session.id)}),
        },
        # Cached by the service worker with the page, so a reload without a connection works.
        "assets": [request.static_path(spec) for spec in _assets(request)],
        "keys": {str(kid): codes.public_key_b64(key) for kid, key in keys.public_keys.items()},
        "sessions": {str(other.id): session_label(other, request.locale_name) for other, _day, _offset in others},
        "messages": {
            "labelGuest": translate(_("Guest")),
            "labelReference": translate(_("Reference")),
            "labelParty": translate(_("Party")),
            "labelTickets": translate(_("Tickets")),
            "labelLanguage": translate(_("Language")),
            "labelAdmitted": translate(_("Already admitted")),
            "labelRemaining": translate(_("Left to admit")),
            "offlineReady": translate(_("Ready to work offline.")),
            "syncReport": translate(_("Last sync")),
            "online": translate(_("Online")),
            "offline": translate(_("Offline: scans are saved on this phone")),
            "queued": template(_("Saved on this phone, waiting to sync: ${count}"), "count"),
            "allSynced": translate(_("Every scan is synced.")),
            "syncing": translate(_("Syncing…")),
            "synced": template(_("Scans sent and synced: ${count}."), "count"),
            "syncFailed": translate(_("Could not sync: the scans stay saved on this phone and are sent again later.")),
            "signedOut": translate(_("Your sign-in has expired: sign in again to send the saved scans.")),
            "signInAgain": translate(_("Sign in again")),
            "listSaved": template(_("Guest list saved on this phone at ${time}."), "time"),
            "listMissing": translate(_("The guest list is not saved on this phone yet: connect to the Internet "
                                       "once before working offline.")),
            "titleAdmitted": translate(_("Admitted")),
            "titleDuplicate": translate(_("Already recorded")),
            "titleQueued": translate(_("Admitted — saved on this phone, will sync")),
            "titleRefused": translate(_("Not admitted")),
            "titleCheck": translate(_("Check this ticket")),
            "titleTicket": translate(_("Ticket read")),
            "admittedNow": template(_("People admitted now: ${count}"), "count"),
            "duplicateScan": translate(_("This scan was already recorded; nothing changed.")),
            "notATicket": translate(codes.NOT_A_TICKET),
            "damaged": translate(codes.DAMAGED),
            "unknownKey": translate(codes.UNKNOWN_KEY),
            "forged": translate(codes.FORGED),
            "wrongDay": translate(codes.WRONG_DAY),
            "noSignatureCheck": translate(_("This phone cannot check ticket signatures: the server checks this "
                                            "ticket when the scans sync.")),
            "otherSession": template(_("This ticket is for another session: ${session}."), "session"),
            "notForThisSession": translate(_("This ticket is not for this session.")),
            "cancelled": translate(_("This booking was cancelled.")),
            "allAdmitted": template(_("All ${count} people on this ticket have already been admitted."), "count"),
            "tooMany": template(_("Only ${count} people are left to admit on this ticket."), "count"),
            "offlineDouble": template(
                _("Admitted twice while offline: ${count} more people than the ticket holds."), "count"),
            "alreadyOnPhone": translate(_("Already admitted: this ticket was scanned before. Admit more people "
                                          "only if the ticket holds them.")),
            "notOnList": translate(_("Not on this phone's guest list: booked after the list was saved? "
                                     "The server checks it when the scans sync.")),
            "unknownReference": template(
                _("No booking for this session has the reference ${reference}."), "reference"),
            "badPeople": translate(BAD_PEOPLE),
            "cameraUnavailable": translate(_("The camera is not available. Scan from a photo, or enter the "
                                             "booking reference.")),
            "startCamera": translate(_("Start the camera")),
            "stopCamera": translate(_("Stop the camera")),
            "noCodeInPhoto": translate(_("No ticket code found in this photo. Take it again closer and sharper, "
                                         "or enter the booking reference.")),
            "syncRefused": template(_("${reference} was refused when synced: ${message}"), "reference", "message"),
            "syncWarning": template(_("${reference}: ${message}"), "reference", "message"),
            "serverError": translate(_("The server did not answer: the scan is saved on this phone.")),
            "toHandOver": translate(TO_HAND_OVER),
            "handedOver": translate(HANDED_OVER),
            "handOverOffline": translate(HAND_OVER_OFFLINE),
            "undoCheckin": translate(UNDO_CHECKIN),
            "undoOffline": translate(UNDO_OFFLINE),
            "titleUndone": translate(_("Check-in undone")),
            "titleAlreadyUndone": translate(_("Already undone")),
            "titleNotUndone": translate(_("Not undone")),
            "undoneNow": template(_("People no longer counted as admitted: ${count}"), "count"),
            "alreadyUndone": translate(_("This check-in was already undone; nothing changed.")),
            "undoneQueued": translate(_("Taken off this phone before it was synced: nobody from this scan "
                                        "counts as admitted.")),
            "undoFailed": translate(_("The server did not answer: the check-in was not undone. Try again.")),
        },
    }


def jsqr_path(request) -> str | None:
    """The QR decoder's file (npm jsqr), or None when it is not installed (development)."""
    return request.registry.get(JSQR_KEY)


def _assets(request) -> list[str]:
    specs = ["tourism:static/css/site.css", "tourism:static/css/checkin.css", "tourism:static/js/checkin.js",
             "tourism:static/favicon.svg"]
    return specs + ([jsqr_path(request)] if jsqr_path(request) else [])


# --- JSON ---------------------------------------------------------------------------------

@view_config(route_name="tickets.checkin.guests", request_method="GET", permission=CHECKIN, renderer="json")
def guests_json(request):
    no_store(request)
    session = request.context.obj
    summary = admission_summary(request.dbsession, session.id)
    return {
        "ok": True,
        "sessionId": session.id,
        "savedAt": request.now.isoformat(),
        "csrfToken": get_csrf_token(request),
        "summary": _summary_json(summary),
        "guests": [_guest_view(request, g) for g in guest_list(request.dbsession, _keys(request), session)],
    }


@view_config(route_name="tickets.checkin.admit", request_method="POST", permission=CHECKIN, renderer="json")
def admit_json(request):
    """One scan, online: `{"code"|"reference", "people" (optional: everyone left), "scan_id"}`.
    Sent again with the same scan_id, it answers as the first time and admits nobody."""
    no_store(request)
    body = _json_body(request)
    if body is None:
        return _bad_request(request)
    people = body.get("people")
    scan_id = body.get("scan_id") if isinstance(body.get("scan_id"), str) else ""
    code = body.get("code") if isinstance(body.get("code"), str) else None
    reference = body.get("reference") if isinstance(body.get("reference"), str) else None
    try:
        result = admit_at_session(request.dbsession, _keys(request), request.context.obj, code=code,
                                  reference=reference, people=people, scan_id=scan_id, now=request.now,
                                  locale=request.locale_name, device=_device(body))
    except (TicketCodeError, AdmissionRefused) as error:
        request.response.status = 422
        return _refused_json(request, ScanRefused(scan_id, error.reason, error.message))
    return _result_json(request, result)


@view_config(route_name="tickets.checkin.sync", request_method="POST", permission=CHECKIN, renderer="json")
def sync_json(request):
    """Scans a phone queued offline: `{"scans": [{"scan_id", "code", "people", "scanned_at"}, …]}`.
    One result per scan, in order; a batch sent twice admits nobody twice."""
    no_store(request)
    body = _json_body(request)
    if body is None:
        return _bad_request(request)
    scans = body.get("scans")
    if not isinstance(scans, list) or len(scans) > MAX_SYNC_SCANS:
        return _bad_request(request)
    session = request.context.obj
    results = sync_at_session(request.dbsession, _keys(request), session, scans, now=request.now,
                              locale=request.locale_name)
    return {
        "ok": True,
        "results": [_refused_json(request, r) if isinstance(r, ScanRefused) else _result_json(request, r)
                    for r in results],
        "summary": _summary_json(admission_summary(request.dbsession, session.id)),
    }


@view_config(route_name="tickets.checkin.admit.undo", request_method="POST", permission=CHECKIN, renderer="json")
def undo_json(request):
    """"Undo this check-in" from the script: `{"scan_id"}` of an online admission. Sent again,
    it answers `already_undone` and changes nothing."""
    no_store(request)
    body = _json_body(request)
    if body is None:
        return _bad_request(request)
    scan_id = body.get("scan_id") if isinstance(body.get("scan_id"), str) else ""
    session = request.context.obj
    try:
        undone = undo_admission(request.dbsession, session, scan_id, request.now)
    except UndoRefused as error:
        request.response.status = 422
        return _refused_json(request, ScanRefused(scan_id, error.reason, error.message))
    return _undone_json(undone, admission_summary(request.dbsession, session.id))


def _json_body(request) -> dict | None:
    """The request's JSON object; None for anything else (too big, not JSON, not an object)."""
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        return None
    try:
        body = request.json_body
    except ValueError:  # not JSON, not UTF-8
        return None
    return body if isinstance(body, dict) else None


def _bad_request(request) -> dict:
    request.response.status = 400
    return {"ok": False, "reason": "bad_request", "message": request.localizer.translate(BAD_JSON)}


def _device(body: dict) -> str:
    device = body.get("device")
    return device if isinstance(device, str) else ""


def _result_json(request, result: AdmitResult) -> dict:
    booking = request.dbsession.query(Booking).filter_by(reference=result.reference).one()
    return {
        "ok": True,
        "scan_id": result.scan_id,
        "reference": result.reference,
        "name": booking.contact_name,
        "party": result.party,
        "admitted": result.admitted_total,
        "remaining": result.remaining,
        "admitted_now": result.people_admitted_now,
        "duplicate": result.duplicate_scan,
        "warnings": [request.localizer.translate(w) for w in result.warnings],
        "products": lines_text(to_hand_over(booking), request.locale_name),  # to hand over now
    }


def _undone_json(undone: UndoResult, summary) -> dict:
    return {"ok": True, "scan_id": undone.scan_id, "reference": undone.reference, "party": undone.party,
            "people": undone.people, "admitted": undone.admitted_total, "remaining": undone.remaining,
            "already_undone": undone.already_undone, "summary": _summary_json(summary)}


def _summary_json(summary) -> dict:
    return {"booked": summary.booked, "admitted": summary.admitted, "remaining": summary.remaining}


def _refused_json(request, refused: ScanRefused) -> dict:
    return {"ok": False, "scan_id": refused.scan_id, "reason": refused.reason,
            "message": request.localizer.translate(refused.message)}


# Failures on the JSON endpoints, answered in JSON rather than with the HTML error pages.

@forbidden_view_config(path_info=JSON_PATHS, renderer="json")
def json_forbidden(request):
    no_store(request)
    request.response.status = 403
    signed_in = request.identity is not None
    return {"ok": False, "reason": "forbidden" if signed_in else "signed_out",
            "message": request.localizer.translate(
                _("You do not have permission to see this page.") if signed_in
                else _("Your sign-in has expired: sign in again to send the saved scans."))}


@exception_view_config(BadCSRFToken, path_info=JSON_PATHS, renderer="json")
def json_bad_csrf(request):
    no_store(request)
    request.response.status = 400
    return {"ok": False, "reason": "csrf", "message": request.localizer.translate(
        _("This page was open too long. Reload it, then scan again."))}


# --- offline ------------------------------------------------------------------------------

@view_config(route_name="tickets.checkin.worker", request_method="GET")
def service_worker(request):
    """The scanner's service worker, at a path whose directory (/console/) is its scope."""
    response = Response(body=SERVICE_WORKER.read_bytes(), content_type="text/javascript", charset="utf-8")
    # Checked again on every visit: a new scanner version reaches phones at once.
    response.cache_control = "no-cache"
    return response

