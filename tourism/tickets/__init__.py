"""Tickets: signed QR codes, PDF tickets and session manifests, and the PDF slip for paying
a VietQR transfer (check-in comes later).

`includeme` fails start-up, with a ConfigurationError saying what to set or install, when
there is no signing key, and in production also when the PDF fonts are missing — better
than a confirmation e-mail without its ticket at the first booking. Development finds the
fonts on first use, so `make run` works on a machine without them (no PDF then).
"""
from tourism.tickets import codes, fonts


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
