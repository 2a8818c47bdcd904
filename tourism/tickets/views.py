"""Ticket downloads from the private "manage my booking" link."""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config

from tourism.booking.models import BookingStatus
from tourism.booking.services import find_by_token
from tourism.tickets.services import ticket_pdf_for


@view_config(route_name="tickets.pdf")
def ticket_pdf(request):
    booking = find_by_token(request.dbsession, request.matchdict["token"])
    if booking is None or booking.status != BookingStatus.CONFIRMED:
        raise HTTPNotFound()
    response = Response(body=ticket_pdf_for(request.registry, request.dbsession, booking),
                        content_type="application/pdf")
    response.content_disposition = f'attachment; filename="LangViet-{booking.reference}.pdf"'
    response.cache_control = "no-store"
    return response
