"""Uploads: a request body's size limit, checked before anything reads the body.

A view that takes files declares `max_body=<function(registry) -> bytes>` (the file's limit
plus what the rest of its form may carry, read from the registry at each request so a
setting, or a test, can change it). A request whose Content-Length is over it raises
`BodyTooLarge` (413) before the form is parsed. Tourism answers with a plain "too large"
page; an add-on that wants to say more registers an exception view for `BodyTooLarge` on
its own route (`route_name=`), which Pyramid prefers to this one.
"""
from pyramid.httpexceptions import HTTPRequestEntityTooLarge
from pyramid.view import exception_view_config

from tourism.i18n import _


class BodyTooLarge(HTTPRequestEntityTooLarge):
    """The request body is over its view's `max_body` (`limit`, in bytes)."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit


def body_limit_view(view, info):
    """View option `max_body`: refuse (BodyTooLarge) a request whose Content-Length is over
    the limit before anything reads its body.

    It sits between the permission check and the CSRF check: someone who may not post here
    gets 403 whatever the size, and Pyramid's CSRF check reads the form, which for a
    multipart form means WebOb spools every file to a temporary file on disk (1.4 s of CPU
    for 60 MB, measured): a 500 MB upload should not get to cost that. Memory is never at
    risk (waitress, pyramid_retry and the parser all buffer to disk); the server itself must
    still cap bodies (waitress `max_request_body_size`, the proxy). A body without
    Content-Length is read, and the view's own bounded read stops it.
    """
    limit_of = info.options.get("max_body")
    if limit_of is None:
        return view

    def limited(context, request):
        limit = limit_of(request.registry)
        if request.content_length is not None and request.content_length > limit:
            raise BodyTooLarge(limit)
        return view(context, request)

    return limited


body_limit_view.options = ("max_body",)


@exception_view_config(BodyTooLarge, renderer="tourism:templates/errors/error.jinja2")
def body_too_large(exc, request):
    request.response.status = 413
    request.response.cache_control = "no-store"
    megabytes = max(1, round(exc.limit / (1024 * 1024)))
    return {"status": 413, "title": _("This upload is too large"),
            "message": _("At most ${size} MB can be sent at once. Nothing was saved.", mapping={"size": megabytes})}


def includeme(config):
    config.add_view_deriver(body_limit_view, name="tourism.max_body", under="secured_view", over="csrf_view")
    config.scan(__name__)
