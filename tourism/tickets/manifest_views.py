"""A session's manifest (the guest list) as a PDF, for the operator's staff."""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from tourism.accounts.permissions import CHECKIN, OperatorResource
from tourism.accounts.views import no_store
from tourism.scheduling.models import ExperienceSession
from tourism.tickets.services import manifest_filename, manifest_pdf_for

MAX_ID = 2**31 - 1  # an integer column: a larger id is no session, not a database error


def session_resource(request) -> OperatorResource:
    """Route factory: the session in the URL, owned by its village's operator (404 when unknown)."""
    session_id = request.matchdict["session_id"]
    session = None
    if session_id.isascii() and session_id.isdigit() and int(session_id) <= MAX_ID:
        session = request.dbsession.get(ExperienceSession, int(session_id))
    if session is None:
        raise HTTPNotFound()
    return OperatorResource(session.experience.village.operator_id, session)


@view_config(route_name="tickets.manifest", request_method="GET", permission=CHECKIN)
def manifest(request):
    session = request.context.obj
    no_store(request)  # guests' names and payments: never cached, never indexed
    response = request.response
    response.body = manifest_pdf_for(request.registry, request.dbsession, session, request.locale_name,
                                     now=request.now)
    response.content_type = "application/pdf"
    response.content_disposition = f'attachment; filename="{manifest_filename(session)}"'
    return response
