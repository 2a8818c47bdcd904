"""Friendly error pages in the visitor's language that reveal nothing of the internals."""
import logging

from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPBadRequest, HTTPSeeOther
from pyramid.interfaces import IRoutesMapper
from pyramid.tweens import EXCVIEW
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config

from tourism.i18n import _

log = logging.getLogger(__name__)


def _error_page(request, status: int, title, message):
    request.response.status = status
    # Error pages must not be cached by the proxy as if they were the real page.
    request.response.cache_control = "no-store"
    return {"status": status, "title": title, "message": message}


@notfound_view_config(renderer="tourism:templates/errors/error.jinja2")
def not_found(request):
    return _error_page(
        request,
        404,
        _("Page not found"),
        _("We could not find this page. It may have moved, or the address may be mistyped."),
    )


def _has_route(request, name: str) -> bool:
    return request.registry.getUtility(IRoutesMapper).get_route(name) is not None


@forbidden_view_config(renderer="tourism:templates/errors/error.jinja2")
def forbidden(request):
    # Someone not signed in who opens a console page is asked to sign in, then sent back.
    if request.identity is None and request.method == "GET" and _has_route(request, "accounts.sign_in"):
        return HTTPSeeOther(request.route_path("accounts.sign_in", _query={"next": request.path_qs}))
    return _error_page(
        request, 403, _("Not allowed"), _("You do not have permission to see this page.")
    )


@exception_view_config(BadCSRFToken, renderer="tourism:templates/errors/error.jinja2")
def bad_csrf_token(request):
    return _error_page(
        request,
        400,
        _("This form has expired"),
        _(
            "For your security we could not accept this form: it was open too long or was "
            "sent from another site. Go back, reload the page and try again."
        ),
    )


@exception_view_config(HTTPBadRequest, renderer="tourism:templates/errors/error.jinja2")
def bad_request(request):
    return _error_page(
        request,
        400,
        _("We could not understand this request"),
        _("Please check the address or the form and try again."),
    )


# retryable_error=False: a transient database conflict is retried by pyramid_retry
# instead of being shown, except on the last attempt.
@exception_view_config(Exception, retryable_error=False, renderer="tourism:templates/errors/error.jinja2")
def server_error(exc, request):
    log.exception("unhandled error on %s %r", request.method, request.environ.get("PATH_INFO", "")[:500])
    return _error_page(
        request,
        500,
        _("Something went wrong on our side"),
        _("Nothing you did caused this. Please try again in a moment."),
    )


def undecodable_url_tween_factory(handler, registry):
    """Answer a URL that is not valid UTF-8 with the 400 page instead of failing later.

    Routing and every `request.GET` would raise on it; the bad parts are dropped first so
    the error page itself can render.
    """

    def undecodable_url_tween(request):
        try:
            request.path_info, request.GET  # noqa: B018  (both decode as UTF-8)
        except UnicodeDecodeError:
            request.environ["PATH_INFO"] = "/"
            request.environ["QUERY_STRING"] = ""
            raise HTTPBadRequest()
        return handler(request)

    return undecodable_url_tween


def includeme(config):
    config.scan(__name__)
    config.add_tween("tourism.errors.undecodable_url_tween_factory", under=EXCVIEW)
