"""Tickets: signed QR codes, PDF tickets and session manifests (check-in comes later).

`includeme` fails start-up, with a ConfigurationError saying what to set or install,
when there is no signing key or the PDF fonts are missing — better than a confirmation
e-mail without its ticket at the first booking.
"""
from tourism.tickets import codes, fonts


def includeme(config):
    settings = config.get_settings()
    # registry["tourism.tickets.keys"]: a codes.TicketKeys (sign new tickets, verify any honoured key)
    config.registry[codes.REGISTRY_KEY] = codes.load_ticket_keys(settings)
    # registry["tourism.tickets.fonts"]: a fonts.FontSet, registered with reportlab once per process
    config.registry[fonts.REGISTRY_KEY] = fonts.load_fonts(fonts.font_dirs(settings))
