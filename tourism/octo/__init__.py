"""OCTO supplier API: resellers and channel managers (Bókun, Ventrata, Prioticket…) list the
operators' experiences, read live availability and hold, confirm, change and cancel
bookings, under the same seat invariant as our own pages (booking.services).

The API lives under /octo/ (every path with or without its trailing slash), answers JSON
only, authenticates each request with a reseller's bearer API key, and shows a key only
the experiences its reseller may sell. Resellers and keys are managed in the console
(`.console`).
"""

API_PREFIX = "/octo"


def add_api_route(config, name: str, path: str) -> None:
    """An OCTO route that answers `path` and `path/` alike: resellers' clients differ."""
    config.add_route(name, API_PREFIX + path + "{trailing_slash:/?}")


def includeme(config):
    from tourism.octo import models  # noqa: F401  (registers the tables)

    add_api_route(config, "octo.supplier", "/supplier")
    add_api_route(config, "octo.capabilities", "/capabilities")
    add_api_route(config, "octo.products", "/products")
    add_api_route(config, "octo.product", "/products/{product_id}")
    add_api_route(config, "octo.availability.calendar", "/availability/calendar")
    add_api_route(config, "octo.availability", "/availability")
    add_api_route(config, "octo.bookings", "/bookings")
    add_api_route(config, "octo.booking", "/bookings/{uuid}")
    add_api_route(config, "octo.booking.extend", "/bookings/{uuid}/extend")
    add_api_route(config, "octo.booking.confirm", "/bookings/{uuid}/confirm")
    add_api_route(config, "octo.booking.cancel", "/bookings/{uuid}/cancel")
    # The voucher's PDF for the reseller's customer: no key, a signed address instead.
    config.add_route("octo.voucher", "/vouchers/{reference}/{signature}.pdf")
    config.scan(".views")
    config.include(".console")
