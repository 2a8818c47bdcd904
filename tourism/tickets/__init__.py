"""Tickets: signed QR codes, PDF tickets and session manifests, the PDF slip for paying
a VietQR transfer, and the check-in scanner.

`includeme` fails start-up, with a ConfigurationError saying what to set or install, when
there is no signing key, and in production also when the PDF fonts are missing — better
than a confirmation e-mail without its ticket at the first booking. Development finds the
fonts on first use, so `make run` works on a machine without them (no PDF then).
"""
import logging

from pyramid.exceptions import ConfigurationError

from tourism.static import NODE_MODULES_SETTING, node_modules
from tourism.tickets import codes, fonts

log = logging.getLogger(__name__)

JSQR_KEY = "tourism.tickets.jsqr"  # registry: the QR decoder's file, or None without it


def add_checkin(config, is_production) -> None:
    """The check-in scanner: the day's sessions, the scanner, its JSON and its service worker.

    The QR decoder (npm `jsqr`) is served from node_modules; production refuses to start
    without it, development warns and the scanner offers manual entry only.
    """
    from tourism.accounts import add_console_link
    from tourism.accounts.permissions import ConsoleRoot
    from tourism.i18n import _
    from tourism.static import add_static
    from tourism.tickets.manifest_views import session_resource

    jsqr = node_modules(config.get_settings()) / "jsqr" / "dist" / "jsQR.js"
    if jsqr.is_file():
        # The functions behind config.add_hashed_static / add_console_link, so that this
        # package can also be included on its own (tests do).
        add_static(config, "vendor/jsqr", str(jsqr.parent))
        config.registry[JSQR_KEY] = str(jsqr)
    elif is_production:
        raise ConfigurationError(f"The check-in scanner's QR decoder is missing ({jsqr}): run `npm ci` at the "
                                 f"project root, or set {NODE_MODULES_SETTING}.")
    else:
        log.warning("check-in scanner without camera scanning: %s is missing (run `make setup`)", jsqr)
        config.registry[JSQR_KEY] = None
    config.add_route("tickets.checkin", "/console/checkin", factory=ConsoleRoot)
    session = r"/console/sessions/{session_id:\d+}/checkin"
    config.add_route("tickets.checkin.session", session, factory=session_resource)
    config.add_route("tickets.checkin.guests", session + "/guests.json", factory=session_resource)
    config.add_route("tickets.checkin.admit", session + "/admit", factory=session_resource)
    config.add_route("tickets.checkin.sync", session + "/sync", factory=session_resource)
    # "Handed over": a guest's products picked up at the gate (a form; online only).
    config.add_route("tickets.checkin.handover", session + "/handover", factory=session_resource)
    # Undoing a mis-tap for a few minutes: a check-in (a form, and JSON for the script), a hand-over.
    config.add_route("tickets.checkin.undo", session + "/undo", factory=session_resource)
    config.add_route("tickets.checkin.admit.undo", session + "/admit/undo", factory=session_resource)
    config.add_route("tickets.checkin.handover.undo", session + "/handover/undo", factory=session_resource)
    # Under /console/ so that its scope covers every scanner page.
    config.add_route("tickets.checkin.worker", "/console/checkin-sw.js")
    add_console_link(config, "tickets.checkin", _("Check-in"), order=10)
    config.scan(".checkin_views")


def includeme(config):
    from tourism.booking.emails import CONFIRMATION_ATTACHMENTS
    from tourism.payments.emails import TRANSFER_ATTACHMENTS
    from tourism.settings import is_production
    from tourism.tickets.manifest_views import session_resource
    from tourism.tickets.services import ticket_attachment, transfer_slip_attachment

    settings = config.get_settings()
    # registry["tourism.tickets.keys"]: a codes.TicketKeys (sign new tickets, verify any honoured key)
    config.registry[codes.REGISTRY_KEY] = codes.load_ticket_keys(settings)
    if is_production(settings):
        fonts.load_fonts(fonts.font_dirs(settings))
    config.registry.setdefault(CONFIRMATION_ATTACHMENTS, []).append(ticket_attachment)
    config.add_route("tickets.pdf", "/booking/{token}/ticket.pdf")
    config.scan(".views")
    # The VietQR transfer slip: attached to the e-mail with the bank details (payments tells
    # us through the registry, as booking does for the ticket) and downloadable meanwhile.
    config.registry.setdefault(TRANSFER_ATTACHMENTS, []).append(transfer_slip_attachment)
    config.add_route("tickets.transfer_slip", "/booking/{token}/transfer.pdf")
    config.scan(".transfer_views")
    # A session's guest list (PDF) for the operator's staff, in the staff member's language.
    config.add_route("tickets.manifest", "/console/sessions/{session_id}/manifest.pdf", factory=session_resource)
    config.scan(".manifest_views")
    # Check-in: scanning tickets at the gate, also offline (see add_checkin).
    add_checkin(config, is_production(settings))
