"""/console/staff: an operator's owners manage its team. Staff get 403; another operator's
owner gets 403 on every URL of ours (GET and POST) and never sees our people; admins see every
team. Adding a person e-mails them (through a real SMTP server, in the language chosen) a link
valid a week; removing one signs them out everywhere; the last owner stays an owner."""
from datetime import datetime, timedelta, timezone

import pytest
from pyramid.authorization import ACLHelper
from sqlalchemy import select

from tests.factories import STAFF_PASSWORD, make_operator, make_staff, sign_in
from tests.pages import form_to
from tests.tourism.accounts.helpers import count, csrf, deliver, link_in, other_browser, try_sign_in
from tourism.accounts import passwords
from tourism.accounts.models import OperatorRole, PasswordToken, TokenPurpose, User
from tourism.accounts.permissions import (
    CHECKIN,
    CONSOLE,
    MANAGE,
    PAYMENTS,
    OperatorResource,
    OwnerRoot,
    can_manage,
    principals_for,
)
from tourism.notify.models import OutboxMessage

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)


class Team:
    """Two operators: ours (an owner, a staff member) and theirs (an owner, a staff member), and an admin."""

    def __init__(self, dbsession):
        self.ours = make_operator(dbsession, "htx-ours", "Hợp tác xã Chè Của Ta")
        self.theirs = make_operator(dbsession, "htx-theirs", "Xưởng Gốm Nhà Bên")
        self.owner = make_staff(dbsession, self.ours, "owner@ours.example", role="owner")
        self.staff = make_staff(dbsession, self.ours, "staff@ours.example")
        self.their_owner = make_staff(dbsession, self.theirs, "owner@theirs.example", role="owner")
        self.their_staff = make_staff(dbsession, self.theirs, "staff@theirs.example")
        self.admin = make_staff(dbsession, None, "admin@langviet.example")
        self.owner.display_name, self.staff.display_name = "Chị Hoa", "Anh Minh"
        self.their_owner.display_name, self.their_staff.display_name = "Bà Gốm", "Cậu Nung"
        dbsession.flush()


@pytest.fixture
def team(dbsession):
    return Team(dbsession)


def as_(testapp, email):
    sign_in(testapp, email)
    return testapp


def names(page) -> list[str]:
    return [h.get_text(" ", strip=True) for h in page.html.select(".ac-person h3")]


def person_urls(person) -> tuple[list[str], dict[str, dict]]:
    base = f"/console/staff/{person.id}"
    gets = [base, f"{base}/remove"]
    posts = {f"{base}/role": {"role": "owner"}, f"{base}/invite": {}, f"{base}/remove": {}}
    return gets, posts


def snapshot(dbsession) -> list:
    dbsession.expire_all()
    return [(u.email, u.operator_id, u.operator_role, u.session_version, u.deactivated_at, u.password_hash)
            for u in dbsession.scalars(select(User).order_by(User.id))] + [count(dbsession, PasswordToken),
                                                                             count(dbsession, OutboxMessage)]


# --- who may do what -------------------------------------------------------------------------

def test_manage_is_for_owners_of_their_own_operator_and_admins(dbsession, team):
    acl = ACLHelper()
    ours, theirs = OperatorResource(team.ours.id), OperatorResource(team.theirs.id)
    assert acl.permits(ours, principals_for(team.owner), MANAGE)
    assert not acl.permits(theirs, principals_for(team.owner), MANAGE)
    assert not acl.permits(ours, principals_for(team.staff), MANAGE)
    assert not acl.permits(ours, principals_for(team.their_owner), MANAGE)
    assert acl.permits(ours, principals_for(team.admin), MANAGE) and acl.permits(theirs, principals_for(team.admin), MANAGE)
    for user in (team.owner, team.staff):  # both roles keep the staff permissions
        for permission in (CONSOLE, CHECKIN, PAYMENTS):
            assert acl.permits(ours, principals_for(user), permission)

    class Request:
        def __init__(self, user):
            self.identity = user

        def has_permission(self, permission, context):
            return acl.permits(context, principals_for(self.identity), permission)

    assert acl.permits(OwnerRoot(Request(team.owner)), principals_for(team.owner), MANAGE)
    assert not acl.permits(OwnerRoot(Request(team.staff)), principals_for(team.staff), MANAGE)
    assert acl.permits(OwnerRoot(Request(team.staff)), principals_for(team.staff), CONSOLE)
    assert not acl.permits(OwnerRoot(Request(None)), principals_for(None), CONSOLE)
    assert can_manage(Request(team.owner)) and can_manage(Request(team.admin))
    assert can_manage(Request(team.admin), team.theirs.id)
    assert not can_manage(Request(team.owner), team.theirs.id)
    assert not can_manage(Request(team.staff)) and not can_manage(Request(None))


def test_templates_ask_the_request_whether_to_show_an_owners_controls(app, tm, dbsession, team):
    from pyramid.request import Request, apply_request_extensions

    from tourism.accounts.security import USER_KEY, VERSION_KEY

    def request_of(user):
        request = Request.blank("/", environ={"app.dbsession": dbsession, "tm.manager": tm})
        request.registry = app.registry
        apply_request_extensions(request)
        request.session[USER_KEY], request.session[VERSION_KEY] = user.id, user.session_version
        return request

    assert request_of(team.owner).can_manage() and not request_of(team.owner).can_manage(team.theirs.id)
    assert not request_of(team.staff).can_manage()
    assert request_of(team.admin).can_manage(team.theirs.id)


def test_strangers_are_asked_to_sign_in_and_cannot_post(testapp, dbsession, team):
    gets, posts = person_urls(team.staff)
    for url in ["/console/staff", "/console/staff/new"] + gets:
        assert "/console/sign-in" in testapp.get(url).location, url
    token = csrf(testapp)
    for url, fields in dict(posts, **{"/console/staff/new": {"email": "x@example.com"}}).items():
        testapp.post(url, dict(fields, csrf_token=token), status=403)


def test_staff_get_403_on_every_team_url(testapp, dbsession, team):
    before = snapshot(dbsession)
    as_(testapp, "staff@ours.example")
    token = csrf(testapp, "/console")
    home = testapp.get("/console", {"lang": "en"})
    assert "/console/staff" not in home.text and "/console/account" in home.text
    for person in (team.owner, team.staff):
        gets, posts = person_urls(person)
        for url in ["/console/staff", "/console/staff/new"] + gets:
            testapp.get(url, status=403)
        for url, fields in dict(posts, **{"/console/staff/new": {"email": "x@example.com", "name": "X",
                                                                  "role": "owner", "locale": "vi"}}).items():
            testapp.post(url, dict(fields, csrf_token=token), status=403)
    assert snapshot(dbsession) == before


def test_another_operators_owner_gets_403_and_never_sees_our_people(testapp, dbsession, team):
    before = snapshot(dbsession)
    as_(testapp, "owner@theirs.example")
    listing = testapp.get("/console/staff", {"lang": "en"})
    assert names(listing) == ["Bà Gốm (you)", "Cậu Nung"]
    assert "ours.example" not in listing.text and "Chè Của Ta" not in listing.text
    token = csrf(testapp, "/console")
    for person in (team.owner, team.staff):
        gets, posts = person_urls(person)
        for url in gets:
            testapp.get(url, status=403)
        for url, fields in posts.items():
            testapp.post(url, dict(fields, csrf_token=token), status=403)
    # The admin's account is no team's: not theirs to see either.
    for url in person_urls(team.admin)[0]:
        testapp.get(url, status=403)
    # Ids that do not exist, or are not ids, are simply not found.
    for url in ("/console/staff/999999999", "/console/staff/abc", "/console/staff/1e3/remove",
                "/console/staff/99999999999999"):
        testapp.get(url, status=404)
    assert snapshot(dbsession) == before


def test_an_owner_sees_their_own_team_with_roles_and_last_sign_in(app_at, dbsession, team):
    as_(app_at, "owner@ours.example")
    home = app_at.get("/console", {"lang": "en"})
    listing = home.click("Your team")
    assert names(listing) == ["Chị Hoa (you)", "Anh Minh"]  # owners first
    cards = listing.html.select(".ac-person")
    assert "Owner" in cards[0].get_text() and "Staff" in cards[1].get_text()
    assert "Not yet" in cards[1].get_text()  # the staff member never signed in
    assert "Not yet" not in cards[0].get_text()  # the owner just did
    assert "no-store" in listing.headers["Cache-Control"]


def test_admins_see_and_manage_every_team(testapp, dbsession, team):
    as_(testapp, "admin@langviet.example")
    listing = testapp.get("/console/staff", {"lang": "en"})
    titles = [h.get_text(strip=True) for h in listing.html.select(".ac-team h2")]
    assert "Hợp tác xã Chè Của Ta" in titles and "Xưởng Gốm Nhà Bên" in titles
    assert {"Chị Hoa", "Anh Minh", "Bà Gốm", "Cậu Nung"} <= set(names(listing))
    page = testapp.get(f"/console/staff/{team.their_staff.id}", {"lang": "en"})
    form = form_to(page, "/role")
    form["role"] = "owner"
    form.submit(status=303)
    dbsession.refresh(team.their_staff)
    assert team.their_staff.operator_role == OperatorRole.OWNER
    # Adding, the admin chooses the team.
    new = testapp.get("/console/staff/new", {"lang": "en"})
    assert new.html.select_one("#new-operator")


# --- adding a person -------------------------------------------------------------------------

def add(testapp, status=303, **fields):
    form = form_to(testapp.get("/console/staff/new", {"lang": "en"}), "/console/staff/new")
    values = {"name": "Chị Thu", "email": "thu@ours.example", "role": "staff", "locale": "ko"}
    values.update(fields)
    for name, value in values.items():
        form[name] = value
    return form.submit(status=status)


def test_an_added_person_gets_a_link_in_their_language_and_signs_in(app_at, dbsession, team, smtp_server):
    as_(app_at, "owner@ours.example")
    done = add(app_at, email=" Thu@Ours.example ")
    assert "We e-mailed thu@ours.example a link" in done.follow().text
    person = dbsession.scalar(select(User).where(User.email == "thu@ours.example"))
    assert (person.operator_id, person.operator_role, person.locale) == (team.ours.id, OperatorRole.STAFF, "ko")
    (message,) = deliver(dbsession, smtp_server, NOW, "thu@ours.example")
    assert "Hợp tác xã Chè Của Ta" in message["Subject"]
    html = message.get_body(("html",)).get_content()
    assert 'lang="ko"' in html and "Chị Hoa" in html  # who added them
    link = dbsession.scalar(select(PasswordToken).where(PasswordToken.user_id == person.id))
    assert link.purpose == TokenPurpose.INVITE and link.expires_at == NOW + timedelta(days=7)

    newcomer = other_browser(app_at)
    newcomer.extra_environ["tourism.now"] = NOW + timedelta(days=6, hours=23)
    page = newcomer.get(link_in(message), {"lang": "en"})
    assert page.html.h1.get_text(strip=True) == "Welcome! Choose your password"
    form = page.forms[0]
    form["password"] = form["confirm"] = "sương sớm Tân Cương"
    assert form.submit(status=303).follow().status_int == 200
    assert newcomer.get("/console/staff", status=403).status_int == 403  # staff, not an owner
    assert try_sign_in(other_browser(app_at), "thu@ours.example", "sương sớm Tân Cương") == 303


def test_an_invitation_expires_after_a_week(app_at, dbsession, team):
    person = make_staff(dbsession, team.ours, "late@ours.example")
    token = passwords.issue_link(dbsession, person, TokenPurpose.INVITE, now=NOW)
    app_at.extra_environ["tourism.now"] = NOW + timedelta(days=7)
    page = app_at.get(f"/console/password/{token}", {"lang": "en"}, status=410)
    assert "Invitation links work for 7 days" in page.text and "person who added you" in page.text


@pytest.mark.parametrize("fields, field, message", [
    ({"email": "not an e-mail"}, "email", "valid email"),
    ({"email": "staff@ours.example"}, "email", "already in this team"),
    ({"email": "staff@theirs.example"}, "email", "already has an account"),
    ({"email": "admin@langviet.example"}, "email", "already has an account"),
    ({"name": "   "}, "name", "Write the person's name"),
    ({"name": "x" * 121}, "name", "At most 120 characters"),
    ({"role": "admin"}, "role", "Choose what this person may do"),
    ({"locale": "xx"}, "locale", "Choose the language"),
])
def test_bad_input_is_refused_and_changes_nothing(testapp, dbsession, team, fields, field, message):
    as_(testapp, "owner@ours.example")
    before = snapshot(dbsession)
    form = form_to(testapp.get("/console/staff/new", {"lang": "en"}), "/console/staff/new")
    token = form["csrf_token"].value
    values = {"name": "Chị Thu", "email": "thu@ours.example", "role": "staff", "locale": "vi"}
    values.update(fields)
    refused = testapp.post("/console/staff/new", dict(values, csrf_token=token), status=400)
    assert message in refused.html.select_one(f"#new-{field}-error").get_text()
    assert refused.html.select_one(f"#new-{field}")["aria-invalid"] == "true"
    assert snapshot(dbsession) == before


def test_an_owner_cannot_add_to_another_team(testapp, dbsession, team):
    as_(testapp, "owner@ours.example")
    token = csrf(testapp, "/console")
    testapp.post("/console/staff/new", {"csrf_token": token, "name": "Mole", "email": "mole@x.example",
                                        "role": "owner", "locale": "vi", "operator": str(team.theirs.id)})
    mole = dbsession.scalar(select(User).where(User.email == "mole@x.example"))
    assert mole.operator_id == team.ours.id  # the owner's own team, whatever the form says


def test_the_team_forms_need_their_csrf_token(testapp, dbsession, team):
    as_(testapp, "owner@ours.example")
    before = snapshot(dbsession)
    _gets, posts = person_urls(team.staff)
    posts["/console/staff/new"] = {"name": "X", "email": "x@ours.example", "role": "staff", "locale": "vi"}
    for url, fields in posts.items():
        testapp.post(url, fields, status=400)
        testapp.post(url, dict(fields, csrf_token="forged"), status=400)
    assert snapshot(dbsession) == before


def test_sending_a_new_invitation(app_at, dbsession, team, smtp_server):
    as_(app_at, "owner@ours.example")
    page = app_at.get(f"/console/staff/{team.staff.id}", {"lang": "en"})
    form_to(page, "/invite").submit(status=303)
    (message,) = deliver(dbsession, smtp_server, NOW, "staff@ours.example")
    assert "/console/password/" in link_in(message)
    # Someone who signed in already is offered no invitation.
    assert not [f for f in app_at.get(f"/console/staff/{team.owner.id}").forms.values() if f.action.endswith("/invite")]


# --- roles -----------------------------------------------------------------------------------

def set_role(testapp, person, role, status=303):
    form = form_to(testapp.get(f"/console/staff/{person.id}", {"lang": "en"}), "/role")
    form["role"] = role
    return form.submit(status=status)


def test_an_owner_makes_staff_an_owner_and_back(app_at, dbsession, team):
    as_(app_at, "owner@ours.example")
    done = set_role(app_at, team.staff, "owner")
    assert "Anh Minh is now: Owner." in done.follow().text
    dbsession.refresh(team.staff)
    assert team.staff.operator_role == OperatorRole.OWNER
    set_role(app_at, team.staff, "staff")
    dbsession.refresh(team.staff)
    assert team.staff.operator_role == OperatorRole.STAFF


def test_the_last_owner_can_be_neither_demoted_nor_removed(app_at, dbsession, team):
    as_(app_at, "owner@ours.example")
    before = snapshot(dbsession)
    refused = set_role(app_at, team.owner, "staff", status=409)
    assert "the only owner of Hợp tác xã Chè Của Ta" in refused.html.select_one("#role-role-error").get_text()
    confirm = app_at.get(f"/console/staff/{team.owner.id}/remove", {"lang": "en"})
    refused = confirm.forms[1].submit(status=409)
    assert "the only owner" in refused.html.select_one("[role=alert]").get_text()
    assert snapshot(dbsession) == before
    assert app_at.get("/console/staff").status_int == 200  # still signed in, still an owner


def test_an_owner_may_step_down_when_another_owner_remains(app_at, dbsession, team):
    team.staff.operator_role = OperatorRole.OWNER
    dbsession.flush()
    as_(app_at, "owner@ours.example")
    done = set_role(app_at, team.owner, "staff")
    assert done.location.endswith("/console")
    app_at.get("/console/staff", status=403)


def test_a_removed_owner_does_not_count(app_at, dbsession, team):
    second = make_staff(dbsession, team.ours, "second@ours.example", role="owner")
    second.deactivated_at = NOW
    dbsession.flush()
    as_(app_at, "owner@ours.example")
    set_role(app_at, team.owner, "staff", status=409)


# --- removing a person -----------------------------------------------------------------------

def test_removing_a_person_asks_first_then_signs_them_out_for_good(app_at, dbsession, team):
    their_phone = other_browser(app_at)
    sign_in(their_phone, "staff@ours.example")
    link = passwords.issue_link(dbsession, team.staff, TokenPurpose.RESET, now=NOW)
    as_(app_at, "owner@ours.example")
    page = app_at.get(f"/console/staff/{team.staff.id}", {"lang": "en"})
    confirm = page.click(href=f"/console/staff/{team.staff.id}/remove")
    assert confirm.html.h1.get_text(strip=True) == "Remove Anh Minh from the team?"
    assert their_phone.get("/console").status_int == 200  # asking removed nobody
    done = confirm.forms[1].submit(status=303)
    assert "Anh Minh was removed from the team" in done.follow().text
    assert "Anh Minh" not in app_at.get("/console/staff").text

    assert their_phone.get("/console").status_int == 303  # signed out at once
    assert try_sign_in(other_browser(app_at), "staff@ours.example", STAFF_PASSWORD) == 400
    app_at.get(f"/console/password/{link}", status=410)
    app_at.get(f"/console/staff/{team.staff.id}", status=404)
    dbsession.refresh(team.staff)
    assert team.staff.deactivated_at == NOW  # the row is kept


def test_a_removed_person_can_be_added_again(app_at, dbsession, team, smtp_server):
    team.staff.deactivated_at = NOW
    dbsession.flush()
    as_(app_at, "owner@ours.example")
    add(app_at, email="staff@ours.example", name="Anh Minh", role="owner", locale="vi")
    dbsession.refresh(team.staff)
    assert team.staff.is_active and team.staff.operator_role == OperatorRole.OWNER
    assert try_sign_in(other_browser(app_at), "staff@ours.example", STAFF_PASSWORD) == 400  # the old password is gone
    (message,) = deliver(dbsession, smtp_server, NOW, "staff@ours.example")
    assert link_in(message)


def test_an_owner_who_removes_themselves_is_signed_out(app_at, dbsession, team):
    team.staff.operator_role = OperatorRole.OWNER
    dbsession.flush()
    as_(app_at, "owner@ours.example")
    confirm = app_at.get(f"/console/staff/{team.owner.id}/remove", {"lang": "en"})
    assert "This is you" in confirm.text
    assert confirm.forms[1].submit(status=303).location.endswith("/console/sign-in")
    assert app_at.get("/console").status_int == 303
