"""The console's deliveries: products bought with a booking to send by courier, and "Mark sent".

/console/deliveries lists the confirmed bookings whose products are still to be sent, at
the operator's villages (an admin sees all), with where they go; "Mark sent" hands the
booking's products over (`handover.hand_over`), so a cancellation no longer refunds them.
Its message offers "Undo" for a few minutes (`handover.take_back`): the parcel is back on
the list. The booking in the "Mark sent" and "Undo" URLs is loaded by a route factory
naming its village's operator (OperatorResource): another operator's staff get 403
whatever id they try.
"""
from zoneinfo import ZoneInfo

from babel import Locale
from pyramid.httpexceptions import HTTPBadRequest, HTTPForbidden, HTTPSeeOther
from pyramid.view import view_config

from tourism.accounts.permissions import CONSOLE, OperatorResource, row_from_url, visible_operator_id
from tourism.accounts.views import no_store
from tourism.booking.models import Booking, Fulfilment
from tourism.booking.services import format_reference
from tourism.catalog.services import experience_text
from tourism.i18n import _
from tourism.shop.handover import (
    HandOverRefused,
    deliveries_to_send,
    hand_over,
    lines_text,
    marked_at_from_text,
    take_back,
)

TEMPLATES = "tourism:shop/templates/console/"
FLASH_QUEUE = "shop.deliveries"


def booking_resource(request) -> OperatorResource:
    """Route factory: the booking in the URL, owned by its village's operator (404 when unknown)."""
    booking = row_from_url(request, Booking, "booking_id")
    return OperatorResource(booking.experience.village.operator_id, booking)


def _tel(phone: str | None) -> str:
    """A tel: link's number: "0912 345 678" → "0912345678" (a phone dials it as typed otherwise)."""
    return "".join(c for c in phone or "" if c.isdigit() or c == "+")


def _delivery(request, booking: Booking, vietnam: str) -> dict:
    experience = booking.experience
    zone = experience.village.time_zone
    return {
        "id": booking.id,
        "reference": format_reference(booking.reference),
        "guest": booking.contact_name,
        "guest_phone": booking.contact_phone,
        "guest_tel": _tel(booking.contact_phone),
        "name": booking.delivery_name,
        "phone": booking.delivery_phone,
        "tel": _tel(booking.delivery_phone),
        "address": [booking.delivery_street, booking.delivery_ward, booking.delivery_district,
                    booking.delivery_province, vietnam],
        "lines": lines_text([line for line in booking.product_lines if line.handed_over_at is None],
                            request.locale_name),
        "experience": experience_text(experience, request.locale_name).value.title,
        "when": request.fmt.day_label(booking.session.starts_at.astimezone(ZoneInfo(zone)).date()),
    }


@view_config(route_name="shop.console.deliveries", request_method="GET", permission=CONSOLE,
             renderer=TEMPLATES + "deliveries.jinja2")
def deliveries_page(request):
    no_store(request)  # guests' addresses and phone numbers: never cached
    try:
        operator_id = visible_operator_id(request.identity)
    except ValueError:
        raise HTTPForbidden() from None
    vietnam = Locale.parse(request.locale_name).territories.get("VN", "Việt Nam")
    return {"deliveries": [_delivery(request, booking, vietnam)
                           for booking in deliveries_to_send(request.dbsession, operator_id)],
            "messages": request.session.pop_flash(FLASH_QUEUE)}


@view_config(route_name="shop.console.delivery.sent", request_method="POST", permission=CONSOLE)
def mark_sent(request):
    booking = request.context.obj
    try:
        done = hand_over(request.dbsession, booking, now=request.now, fulfilment=Fulfilment.DELIVERY)
    except HandOverRefused as error:
        return _back(request, error.message, "warning")
    if done.already_handed_over:
        return _back(request, _("The products for ${reference} were already marked as sent; nothing changed.",
                                mapping={"reference": format_reference(booking.reference)}))
    return _back(request, _("Marked as sent to ${name}: ${products}.",
                            mapping={"name": booking.delivery_name,
                                     "products": request.fmt.list(lines_text(done.marked, request.locale_name))}),
                 undo={"booking_id": booking.id, "marked_at": done.marked_at.isoformat(),
                       "name": booking.delivery_name})


@view_config(route_name="shop.console.delivery.undo", request_method="POST", permission=CONSOLE)
def undo_sent(request):
    """"Undo" in the message after "Mark sent": the products that press marked are to send again."""
    booking = request.context.obj
    marked_at = marked_at_from_text(request.POST.get("marked_at"))
    if marked_at is None:
        raise HTTPBadRequest()  # the form always carries it: not sent by this page
    try:
        taken = take_back(request.dbsession, booking, marked_at=marked_at, now=request.now)
    except HandOverRefused as error:
        return _back(request, error.message, "warning")
    reference = format_reference(booking.reference)
    if taken.already_taken_back:
        return _back(request, _("“Mark sent” for ${reference} was already undone; nothing changed.",
                                mapping={"reference": reference}))
    return _back(request, _("Undone: the products for ${reference} are on the list to send again.",
                            mapping={"reference": reference}))


def _back(request, message, kind: str = "ok", undo: dict | None = None) -> HTTPSeeOther:
    """To the list, with `message`; `undo` ({"booking_id", "marked_at", "name"}) offers its "Undo"."""
    request.session.flash({"text": request.localizer.translate(message), "kind": kind, "undo": undo},
                          queue=FLASH_QUEUE)
    return HTTPSeeOther(request.route_path("shop.console.deliveries"))


def includeme(config):
    config.add_route("shop.console.deliveries", "/console/deliveries",
                     factory="tourism.accounts.permissions.ConsoleRoot")
    config.add_route("shop.console.delivery.sent", "/console/deliveries/{booking_id}/sent", factory=booking_resource)
    config.add_route("shop.console.delivery.undo", "/console/deliveries/{booking_id}/undo", factory=booking_resource)
    config.add_console_link("shop.console.deliveries", _("Deliveries"), order=56)
    config.scan(__name__)
