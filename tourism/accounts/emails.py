"""E-mails to the console's people (a reset link, an invitation), written to the outbox in
the request's transaction and rendered in the person's language, whatever the language of
the page that caused them (an owner in Vietnamese inviting a Korean volunteer)."""
from datetime import datetime

from pyramid.renderers import render
from pyramid.request import Request, apply_request_extensions
from pyramid.threadlocal import RequestContext

from tourism.accounts.models import TokenPurpose, User
from tourism.i18n import DEFAULT_LOCALE, LOCALES
from tourism.notify.services import enqueue_email

TEMPLATES = "tourism:accounts/templates/email/"


def _request_for(registry, locale: str) -> Request:
    """A stand-in request that renders templates and URLs in `locale` outside a web request."""
    request = Request.blank("/", base_url=registry.settings.get("tourism.base_url", "http://localhost:6543"))
    request.registry = registry
    request._LOCALE_ = locale if locale in LOCALES else DEFAULT_LOCALE
    apply_request_extensions(request)
    return request


def _send(dbsession, registry, user: User, template: str, values: dict, *, now: datetime, locale: str) -> None:
    request = _request_for(registry, locale)
    values = dict(values, user=user, link=request.route_url("accounts.password.choose", token=values["token"]))
    with RequestContext(request):  # templates translate through the current request
        subject = render(f"{TEMPLATES}{template}_subject.jinja2", values, request=request).strip()
        text = render(f"{TEMPLATES}{template}.txt.jinja2", values, request=request)
        html = render(f"{TEMPLATES}{template}.html.jinja2", values, request=request)
    enqueue_email(dbsession, to=user.email, subject=subject, text=text, html=html, now=now)


def send_reset(dbsession, registry, user: User, token: str, *, now: datetime, locale: str) -> None:
    """The "choose a new password" link, valid an hour."""
    _send(dbsession, registry, user, "reset", {"token": token, "purpose": TokenPurpose.RESET},
          now=now, locale=locale)


def send_invitation(dbsession, registry, user: User, token: str, *, invited_by: User, now: datetime) -> None:
    """Welcome to the operator's team, with the link to choose a password, valid a week."""
    operator_name = user.operator.name if user.operator is not None else ""
    _send(dbsession, registry, user, "invite",
          {"token": token, "purpose": TokenPurpose.INVITE, "invited_by": invited_by.display_name,
           "operator": operator_name}, now=now, locale=user.locale or DEFAULT_LOCALE)
