"""/console/account: the signed-in person's own account. They change their password (typing
the current one), or sign out on every phone and computer at once (a lost phone)."""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import forget, remember
from pyramid.view import view_config

from tourism.accounts import passwords, services
from tourism.accounts.permissions import CONSOLE
from tourism.accounts.staff_views import ROLE_LABELS
from tourism.accounts.views import no_store
from tourism.forms import Form, InvalidInput, flash
from tourism.i18n import _

TEMPLATE = "tourism:accounts/templates/account.jinja2"


def _page(request, form: Form | None = None, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    user = request.identity
    return {"user": user, "role": ROLE_LABELS.get(user.operator_role) if user.operator_role else None,
            "form": form or Form("password"), "min_length": services.MIN_PASSWORD_LENGTH,
            "messages": request.session.pop_flash()}


@view_config(route_name="accounts.account", request_method="GET", permission=CONSOLE, renderer=TEMPLATE)
def account_page(request):
    return _page(request)


@view_config(route_name="accounts.account.password", request_method="POST", permission=CONSOLE, renderer=TEMPLATE)
def change_password(request):
    user = request.identity
    try:
        passwords.change_own_password(request.dbsession, user, request.POST,
                                      address=request.remote_addr or "unknown", now=request.now)
    except passwords.Throttled as throttled:
        message = _("Too many attempts. Wait ${count} min, then try again.", mapping={"count": throttled.minutes})
        return _page(request, Form("password", {}, {"current": message}), status=429)
    except InvalidInput as error:
        return _page(request, Form("password", {}, error.errors), status=400)
    remember(request, user.id)  # this browser stays signed in, with the new session_version
    flash(request, _("Your password is changed. Any other phone or computer signed in to your account was "
                     "signed out."))
    return HTTPSeeOther(request.route_path("accounts.account"))


@view_config(route_name="accounts.account.sign_out_everywhere", request_method="POST", permission=CONSOLE)
def sign_out_everywhere(request):
    services.sign_out_everywhere(request.identity)
    headers = forget(request)
    flash(request, _("You are signed out on every phone and computer, this one too. Sign in again to continue."))
    return HTTPSeeOther(request.route_path("accounts.sign_in"), headers=headers)
