"""Forgotten passwords and invitations, for people who are not signed in.

- /console/forgot-password: asks the e-mail, then always answers the same (/sent), whether or
  not an account has it; throttled per e-mail and per address;
- /console/password/<token>: the link from the e-mail: choose a password (twice). It signs out
  every other browser and signs this one in. An expired, used or unknown link gets a page
  saying so and how to get a new one; nothing is changed.
"""
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import remember
from pyramid.view import view_config

from tourism.accounts import passwords
from tourism.accounts.models import TokenPurpose
from tourism.accounts.services import EMAIL_PATTERN, MIN_PASSWORD_LENGTH, normalise_email
from tourism.accounts.views import no_store
from tourism.forms import Form, InvalidInput, flash
from tourism.i18n import _

TEMPLATES = "tourism:accounts/templates/"


def _private(request):
    no_store(request)
    # The link's token is in the address: never send it on to another page, not even ours.
    request.response.headers["Referrer-Policy"] = "no-referrer"


@view_config(route_name="accounts.password.forgot", request_method="GET", renderer=TEMPLATES + "forgot.jinja2")
def forgot_page(request):
    no_store(request)
    return {"form": Form("forgot")}


@view_config(route_name="accounts.password.forgot", request_method="POST", renderer=TEMPLATES + "forgot.jinja2")
def forgot(request):
    no_store(request)
    email = request.POST.get("email", "")[:254]
    form = Form("forgot", {"email": email})
    if not EMAIL_PATTERN.match(normalise_email(email)):
        request.response.status = 400
        form.errors["email"] = _("Enter a valid email address, like name@example.com.")
        return {"form": form}
    try:
        passwords.request_reset(request.dbsession, request.registry, email=email,
                                address=request.remote_addr or "unknown", now=request.now,
                                locale=request.locale_name)
    except passwords.Throttled as throttled:
        request.response.status = 429
        form.errors["email"] = _("Too many requests. Wait ${count} min, then try again.",
                                 mapping={"count": throttled.minutes})
        return {"form": form}
    return HTTPSeeOther(request.route_path("accounts.password.sent"))


@view_config(route_name="accounts.password.sent", renderer=TEMPLATES + "forgot_sent.jinja2")
def forgot_sent(request):
    no_store(request)
    return {"hours": 1}


def _refused(request, refused: passwords.LinkRefused) -> dict:
    _private(request)
    request.response.status = 404 if refused.problem == passwords.LinkProblem.UNKNOWN else 410
    request.override_renderer = TEMPLATES + "link_refused.jinja2"
    return {"problem": refused.problem.value, "invite": refused.purpose == TokenPurpose.INVITE}


def _choose_page(request, link, form: Form, status: int = 200) -> dict:
    _private(request)
    request.response.status = status
    return {"form": form, "email": link.user.email, "invite": link.purpose == TokenPurpose.INVITE,
            "min_length": MIN_PASSWORD_LENGTH}


@view_config(route_name="accounts.password.choose", request_method="GET", renderer=TEMPLATES + "choose_password.jinja2")
def choose_page(request):
    try:
        link = passwords.find_link(request.dbsession, request.matchdict["token"], now=request.now)
    except passwords.LinkRefused as refused:
        return _refused(request, refused)
    return _choose_page(request, link, Form("choose"))


@view_config(route_name="accounts.password.choose", request_method="POST", renderer=TEMPLATES + "choose_password.jinja2")
def choose(request):
    token = request.matchdict["token"]
    try:
        user = passwords.choose_password(request.dbsession, token, request.POST, now=request.now)
    except passwords.LinkRefused as refused:
        return _refused(request, refused)
    except InvalidInput as error:
        link = passwords.find_link(request.dbsession, token, now=request.now)
        return _choose_page(request, link, Form("choose", {}, error.errors), status=400)
    headers = remember(request, user.id)
    flash(request, _("Your password is saved and you are signed in. Any other phone or computer signed in "
                     "to your account was signed out."))
    response = HTTPSeeOther(request.route_path("console.home"), headers=headers)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
