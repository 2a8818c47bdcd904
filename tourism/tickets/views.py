"""Ticket downloads from the private "manage my booking" link."""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config

from tourism.booking.models import BookingStatus
from tourism.booking.services import find_by_token
from tourism.tickets.services import ticket_pdf_for


def ticket_pdf_response(request, booking) -> Response:
    """The confirmed booking's PDF ticket as a download (404 for any other booking)."""
    if booking is None or booking.status != BookingStatus.CONFIRMED:
        raise HTTPNotFound()
    response = Response(body=ticket_pdf_for(request.registry, request.dbsession, booking),
                        content_type="application/pdf")
    response.content_disposition = f'attachment; filename="LangViet-{booking.reference}.pdf"'
    response.cache_control = "no-store"
    return response


@view_config(route_name="tickets.pdf")
def ticket_pdf(request):
    return ticket_pdf_response(request, find_by_token(request.dbsession, request.matchdict["token"]))
