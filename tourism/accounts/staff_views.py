"""/console/staff: an operator's team, managed by its owners (admins: every operator's).

- /console/staff: the people (name, e-mail, role, last sign-in), owners first;
- /console/staff/new: add a person, who is e-mailed a link to choose their password;
- /console/staff/<id>: change their role, send a new invitation link, and
  /console/staff/<id>/remove: remove them, after a confirmation page.

The pages need MANAGE: the list and the form through OwnerRoot (narrowed to the owner's own
operator with visible_operator_id), a person's pages through OperatorResource, so another
operator's owner and any staff member get 403. The rules (one owner at least, signing a removed
person out) are in tourism.accounts.people.
"""
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from tourism.accounts import people
from tourism.accounts.models import Operator, OperatorRole, User
from tourism.accounts.permissions import MANAGE, OperatorResource, row_from_url, visible_operator_id
from tourism.accounts.views import no_store
from tourism.exceptions import DomainError
from tourism.forms import Form, InvalidInput, flash, typed
from tourism.i18n import LANGUAGE_NAMES, LOCALES, _

TEMPLATES = "tourism:accounts/templates/staff/"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # the operators' time; their villages are all in Vietnam

ROLE_LABELS = {OperatorRole.OWNER: _("Owner"), OperatorRole.STAFF: _("Staff")}
ROLE_HELP = {
    OperatorRole.OWNER: _("Everything, and also the team, experiences, schedules, refunds and reports"),
    OperatorRole.STAFF: _("Check-in, bookings, payments and products"),
}
FIELD_LABELS = {"email": _("Email"), "name": _("Name"), "role": _("What they may do"),
                "locale": _("Language of their e-mails"), "operator": _("Team")}


def person_resource(request) -> OperatorResource:
    person = row_from_url(request, User, "user_id")
    return OperatorResource(person.operator_id, person)


def _person(request) -> User:
    """The person in the URL: one of an operator's people, not removed (else 404)."""
    person = request.context.obj
    if person.operator_id is None or not person.is_active:
        raise HTTPNotFound()
    return person


def _operators(request) -> list[Operator]:
    operator_id = visible_operator_id(request.identity)
    query = select(Operator).order_by(Operator.name, Operator.id)
    if operator_id is not None:
        query = query.where(Operator.id == operator_id)
    return list(request.dbsession.scalars(query))


def _roles(request) -> list[dict]:
    return [{"value": role.value, "label": f"{request.translate(ROLE_LABELS[role])}: {request.translate(ROLE_HELP[role])}"}
            for role in OperatorRole]


def _last_sign_in(request, person: User) -> str:
    if person.last_sign_in_at is None:
        return request.translate(_("Not yet"))
    return request.fmt.datetime(person.last_sign_in_at, VIETNAM, format="short")


def _row(request, person: User) -> dict:
    return {"person": person, "role": ROLE_LABELS[person.operator_role], "last_sign_in": _last_sign_in(request, person),
            "is_me": person.id == request.identity.id}


# --- the list and a new person --------------------------------------------------------------

@view_config(route_name="accounts.staff", permission=MANAGE, renderer=TEMPLATES + "staff.jinja2")
def staff_page(request):
    no_store(request)
    groups = {}
    for person in people.people(request.dbsession, visible_operator_id(request.identity)):
        groups.setdefault(person.operator_id, {"operator": person.operator, "rows": []})["rows"].append(
            _row(request, person))
    return {"groups": list(groups.values()), "is_admin": request.identity.is_admin,
            "messages": request.session.pop_flash()}


def _new_page(request, form: Form, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    operators = _operators(request)
    return {"form": form, "roles": _roles(request), "labels": FIELD_LABELS,
            "languages": [{"value": code, "label": LANGUAGE_NAMES[code]} for code in LOCALES],
            # One operator (an owner's): no choice to make. An admin chooses.
            "operators": [{"value": str(o.id), "label": o.name} for o in operators] if len(operators) != 1 else None,
            "messages": request.session.pop_flash()}


@view_config(route_name="accounts.staff.new", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "person_new.jinja2")
def new_page(request):
    return _new_page(request, Form("new", {"role": OperatorRole.STAFF.value, "locale": request.locale_name}))


@view_config(route_name="accounts.staff.new", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "person_new.jinja2")
def new_post(request):
    try:
        person = people.add_person(request.dbsession, request.registry, request.POST, operators=_operators(request),
                                   invited_by=request.identity, now=request.now)
    except InvalidInput as error:
        return _new_page(request, Form("new", typed(request), error.errors), status=400)
    flash(request, _("${name} is in the team. We e-mailed ${email} a link to choose a password; it works for 7 days.",
                     mapping={"name": person.display_name, "email": person.email}))
    return HTTPSeeOther(request.route_path("accounts.staff"))


# --- one person -----------------------------------------------------------------------------

def _person_page(request, person: User, form: Form | None = None, error=None, status: int = 200) -> dict:
    no_store(request)
    request.response.status = status
    return {**_row(request, person), "form": form or Form("role", {"role": person.operator_role.value}),
            "roles": _roles(request), "labels": FIELD_LABELS, "error": error,
            "messages": request.session.pop_flash()}


@view_config(route_name="accounts.staff.person", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "person.jinja2")
def person_page(request):
    return _person_page(request, _person(request))


@view_config(route_name="accounts.staff.role", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "person.jinja2")
def role_post(request):
    person = _person(request)
    try:
        changed = people.change_role(request.dbsession, person, request.POST)
    except InvalidInput as error:
        return _person_page(request, person, Form("role", typed(request), error.errors), status=400)
    except DomainError as error:
        return _person_page(request, person, Form("role", typed(request), {"role": error.message}), status=409)
    if changed:
        flash(request, _("${name} is now: ${role}.", mapping={"name": person.display_name,
                                                               "role": request.translate(ROLE_LABELS[person.operator_role])}))
    if person.id == request.identity.id and person.operator_role != OperatorRole.OWNER:
        return HTTPSeeOther(request.route_path("console.home"))  # no longer an owner: the team is not theirs to see
    return HTTPSeeOther(request.route_path("accounts.staff"))


@view_config(route_name="accounts.staff.invite", request_method="POST", permission=MANAGE)
def invite_post(request):
    person = _person(request)
    people.invite(request.dbsession, request.registry, person, invited_by=request.identity, now=request.now)
    flash(request, _("We e-mailed ${email} a new link to choose a password; it works for 7 days.",
                     mapping={"email": person.email}))
    return HTTPSeeOther(request.route_path("accounts.staff.person", user_id=person.id))


@view_config(route_name="accounts.staff.remove", request_method="GET", permission=MANAGE,
             renderer=TEMPLATES + "person_remove.jinja2")
def remove_page(request):
    no_store(request)
    return dict(_row(request, _person(request)), error=None)


@view_config(route_name="accounts.staff.remove", request_method="POST", permission=MANAGE,
             renderer=TEMPLATES + "person_remove.jinja2")
def remove_post(request):
    person = _person(request)
    myself = person.id == request.identity.id
    try:
        people.remove_person(request.dbsession, person, now=request.now)
    except DomainError as error:
        no_store(request)
        request.response.status = 409
        return dict(_row(request, person), error=error.message)
    if myself:
        return HTTPSeeOther(request.route_path("accounts.sign_in"))  # they removed themselves: signed out
    flash(request, _("${name} was removed from the team and signed out everywhere.", mapping={"name": person.display_name}))
    return HTTPSeeOther(request.route_path("accounts.staff"))
