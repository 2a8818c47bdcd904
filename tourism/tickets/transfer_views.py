"""The VietQR transfer slip (PDF) from the private "manage my booking" link, while the transfer is awaited."""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config

from tourism.booking.models import BookingStatus
from tourism.booking.services import find_by_token
from tourism.payments.services import providers
from tourism.payments.vietqr_provider import NAME as VIETQR, awaited_transfer
from tourism.tickets.services import transfer_slip_pdf_for


@view_config(route_name="tickets.transfer_slip")
def transfer_slip(request):
    booking = find_by_token(request.dbsession, request.matchdict["token"])
    provider = providers(request.registry).get(VIETQR)
    # The same rule as the manage page's QR: a booking not yet confirmed nor cancelled (an
    # expired hold can still be paid late) with a transfer still awaited.
    if (booking is None or provider is None or booking.status not in (BookingStatus.HELD, BookingStatus.EXPIRED)
            or awaited_transfer(request.dbsession, booking) is None):
        raise HTTPNotFound()
    document = transfer_slip_pdf_for(request.registry, booking, provider.instructions(booking))
    response = Response(body=document, content_type="application/pdf")
    response.content_disposition = f'attachment; filename="LangViet-{booking.reference}-transfer.pdf"'
    response.cache_control = "no-store"  # the private link's content: never cached
    return response
