"""Staff sign-in and sign-out, and the console's landing page."""
from urllib.parse import urlsplit

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import forget, remember
from pyramid.view import view_config

from tourism.accounts.permissions import CONSOLE, OwnerRoot
from tourism.accounts.services import authenticate, normalise_email, signed_in
from tourism.accounts.throttle import clear_failures, record_failure, wait_before_sign_in
from tourism.i18n import _

SIGN_IN_TEMPLATE = "tourism:accounts/templates/sign_in.jinja2"


def safe_next(request, target: str | None) -> str:
    """Where to go after signing in: only a path on this site, never another site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") \
                and "\\" not in target:
            return target
    return request.route_path("console.home")


def no_store(request):
    # Staff pages show guests' personal data: never cache them, never index them.
    request.response.cache_control = "no-store"
    request.response.headers["X-Robots-Tag"] = "noindex"


@view_config(route_name="accounts.sign_in", request_method="GET", renderer=SIGN_IN_TEMPLATE)
def sign_in_page(request):
    no_store(request)
    if request.identity is not None:
        return HTTPSeeOther(safe_next(request, request.params.get("next")))
    return {"next": request.params.get("next", ""), "email": "", "error": None,
            "messages": request.session.pop_flash()}


@view_config(route_name="accounts.sign_in", request_method="POST", renderer=SIGN_IN_TEMPLATE)
def sign_in(request):
    no_store(request)
    email = request.POST.get("email", "")[:254]
    key, address = normalise_email(email), request.remote_addr or "unknown"

    def refuse(status, error):
        request.response.status = status
        return {"next": request.POST.get("next", ""), "email": email, "error": error, "messages": []}

    wait = wait_before_sign_in(request.dbsession, key, address, request.now)
    if wait is not None:
        minutes = -(-int(wait.total_seconds()) // 60)
        return refuse(429, _("Too many attempts. Wait ${count} min, then try again.", mapping={"count": minutes}))
    user = authenticate(request.dbsession, email, request.POST.get("password", "")[:1024])
    if user is None:
        record_failure(request.dbsession, key, address, request.now)
        return refuse(400, _("That e-mail and password do not match an account. Check them and try again."))
    clear_failures(request.dbsession, key)
    signed_in(user, now=request.now, locale=request.locale_name)
    headers = remember(request, user.id)
    return HTTPSeeOther(safe_next(request, request.POST.get("next")), headers=headers)


@view_config(route_name="accounts.sign_out", request_method="POST")
def sign_out(request):
    headers = forget(request)
    return HTTPSeeOther(request.route_path("accounts.sign_in"), headers=headers)


@view_config(route_name="console.home", permission=CONSOLE, renderer="tourism:accounts/templates/console_home.jinja2")
def console_home(request):
    no_store(request)
    # Only the pages this person may open: staff see no "Your team" (MANAGE) link.
    root = OwnerRoot(request)
    links = [link for link in request.registry.get("console.links", []) if request.has_permission(link.permission, root)]
    return {"links": links, "messages": request.session.pop_flash()}
