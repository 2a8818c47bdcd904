"""/console/resellers: an operator's owners add resellers, choose what each may sell (only
their own experiences), issue API keys (shown once, only a hash kept) and revoke them. Staff
and other operators get 403 and change nothing; bad input says which field and changes
nothing. A reseller's booking shows in the console as sold by the reseller, paid through it:
nothing to collect at the village, nothing e-mailed to the guest, not "due" on Today."""
import hashlib

import pytest
from sqlalchemy import func, select

from tests.pages import field_problems, form_to
from tests.tourism.booking.test_console_bookings import NOW, book, dashed, enter, world  # noqa: F401
from tourism.booking.emails import can_email
from tourism.notify.models import OutboxMessage
from tourism.octo import keys
from tourism.octo.models import Reseller, ResellerBooking, ResellerExperience, ResellerKey
from tourism.reports.services import today_sessions
from tourism.tickets.services import manifest_for

LIST = "/console/resellers"
NEW = "/console/resellers/new"


def reseller_url(reseller) -> str:
    return f"/console/resellers/{reseller.id}"


def revoke_url(key) -> str:
    return f"/console/resellers/keys/{key.id}/revoke"


def make_reseller(dbsession, operator, name="Bókun Hà Nội", experiences=(), commission=20) -> Reseller:
    reseller = Reseller(operator_id=operator.id, name=name, contact_email="partners@bokun.example",
                        commission_percent=commission, created_at=NOW)
    reseller.experiences = list(experiences)
    dbsession.add(reseller)
    dbsession.flush()
    return reseller


def state(dbsession) -> list:
    """Every reseller, what it may sell and its keys: equal before and after means nothing changed."""
    dbsession.flush()
    dbsession.expire_all()
    resellers = [(r.id, r.operator_id, r.name, r.contact_email, r.commission_percent)
                 for r in dbsession.scalars(select(Reseller).order_by(Reseller.id))]
    allowed = sorted(dbsession.execute(select(ResellerExperience.reseller_id, ResellerExperience.experience_id)).all())
    issued = [(k.id, k.reseller_id, k.key_hash, k.revoked_at)
              for k in dbsession.scalars(select(ResellerKey).order_by(ResellerKey.id))]
    return [resellers, allowed, issued]


def token(page) -> str:
    return page.html.select_one("input[name=csrf_token]")["value"]


def main_text(page) -> str:
    return page.html.select_one("main").get_text(" ", strip=True)


def error_of(page, field: str) -> str:
    found = page.html.select_one(f"#reseller-{field}-error")
    return found.get_text(" ", strip=True) if found else ""


@pytest.fixture
def owner(app_at, world):
    enter(app_at, world, "owner")
    return app_at


# --- adding and changing a reseller -----------------------------------------------------------

def test_an_owner_adds_a_reseller_that_may_sell_the_experiences_ticked(owner, dbsession, world):
    home = owner.get("/console", {"lang": "en"})
    assert "Resellers and API keys" in home.text
    page = owner.get(LIST, {"lang": "en"})
    assert "no-store" in page.headers["Cache-Control"]
    assert "No reseller yet." in page.text
    new = page.click(href=NEW)
    assert field_problems(new.html) == []
    # The owner's own experiences are offered, never another operator's.
    offered = {box["value"] for box in new.html.select("input[name=experience]")}
    assert offered == {str(world.pottery.id), str(world.painting.id)}
    form = form_to(new, NEW)
    form["name"], form["contact_email"], form["commission_percent"] = "  Bókun   Hà Nội ", "Partners@Bokun.example", "20"
    for box in form.fields["experience"]:
        box.checked = box._value == str(world.pottery.id)
    saved = form.submit()
    assert saved.status_int == 303

    (reseller,) = dbsession.scalars(select(Reseller).where(Reseller.operator_id == world.ours.id))
    assert (reseller.name, reseller.contact_email, reseller.commission_percent) == (
        "Bókun Hà Nội", "partners@bokun.example", 20)
    assert [e.id for e in reseller.experiences] == [world.pottery.id]
    assert saved.location.endswith(reseller_url(reseller))
    detail = saved.follow()
    assert "Bókun Hà Nội is added" in detail.text
    assert field_problems(detail.html) == []
    assert "http://example.com/octo" in main_text(detail)  # the address their system calls
    assert "Authorization: Bearer" in main_text(detail) and "Octo-Capabilities" in main_text(detail)

    listed = owner.get(LIST, {"lang": "en"})
    card = main_text(listed)
    for expected in ("Bókun Hà Nội", "Pottery BK", "Keys in use 0", "Bookings 0", "Commission 20%"):
        assert expected in card, expected
    assert "Painting BK" not in card


def test_an_owner_changes_what_a_reseller_may_sell(owner, dbsession, world):
    reseller = make_reseller(dbsession, world.ours, experiences=[world.pottery])
    page = owner.get(reseller_url(reseller), {"lang": "en"})
    form = form_to(page, reseller_url(reseller))
    assert form["commission_percent"].value == "20"
    form["commission_percent"] = "15 %"
    for box in form.fields["experience"]:
        box.checked = box._value == str(world.painting.id)
    assert form.submit().status_int == 303
    dbsession.expire_all()
    assert reseller.commission_percent == 15
    assert [e.id for e in reseller.experiences] == [world.painting.id]


def test_another_operators_experience_is_refused_and_nothing_changes(owner, dbsession, world):
    reseller = make_reseller(dbsession, world.ours, experiences=[world.pottery])
    page = owner.get(reseller_url(reseller), {"lang": "en"})
    before = state(dbsession)
    refused = owner.post(reseller_url(reseller), [
        ("csrf_token", token(page)), ("name", "Renamed"), ("commission_percent", "10"),
        ("experience", str(world.painting.id)), ("experience", str(world.tea.id))], status=400)
    assert "A reseller may sell only your own experiences" in error_of(refused, "experiences")
    assert "Nothing was saved" in refused.text
    # The page keeps what was typed, and offers still only our experiences.
    assert refused.html.select_one("#reseller-name")["value"] == "Renamed"
    assert str(world.tea.id) not in {box["value"] for box in refused.html.select("input[name=experience]")}
    assert state(dbsession) == before

    # Nor can a new reseller be made with it.
    refused = owner.post(NEW, [("csrf_token", token(page)), ("name", "Hanoi Travel"), ("commission_percent", "0"),
                               ("experience", str(world.tea.id))], status=400)
    assert "A reseller may sell only your own experiences" in error_of(refused, "experiences")
    assert state(dbsession) == before


@pytest.mark.parametrize("typed, field, message", [
    ({"name": "   "}, "name", "Write the reseller's name"),
    ({"commission_percent": "120"}, "commission_percent", "between 0 and 90 percent"),
    ({"commission_percent": "-5"}, "commission_percent", "between 0 and 90 percent"),
    ({"commission_percent": "twenty"}, "commission_percent", "a whole number of percent"),
    ({"commission_percent": "12.5"}, "commission_percent", "a whole number of percent"),
    ({"contact_email": "not an address"}, "contact_email", "valid email address"),
    ({"name": "B" * 121}, "name", "At most 120 characters"),
])
def test_bad_input_says_which_field_and_changes_nothing(owner, dbsession, world, typed, field, message):
    reseller = make_reseller(dbsession, world.ours, experiences=[world.pottery])
    page = owner.get(reseller_url(reseller), {"lang": "en"})
    values = dict({"name": "Hanoi Travel", "contact_email": "", "commission_percent": "10"}, **typed)
    before = state(dbsession)
    for url in (NEW, reseller_url(reseller)):
        refused = owner.post(url, dict(values, csrf_token=token(page), experience=str(world.painting.id)), status=400)
        assert message in error_of(refused, field), url
        assert refused.html.select_one(f"#reseller-{field}")["aria-invalid"] == "true"
        assert f'href="#reseller-{field}"' in refused.text  # the summary leads to the field
        assert state(dbsession) == before


def test_a_form_without_its_csrf_token_changes_nothing(owner, dbsession, world):
    reseller = make_reseller(dbsession, world.ours)
    before = state(dbsession)
    owner.post(NEW, {"name": "Sneaky", "commission_percent": "0"}, status=400)
    owner.post(f"{reseller_url(reseller)}/keys", {}, status=400)
    assert state(dbsession) == before


# --- keys --------------------------------------------------------------------------------------

def test_a_new_key_is_shown_once_and_only_its_hash_is_kept(owner, dbsession, world):
    reseller = make_reseller(dbsession, world.ours, experiences=[world.pottery])
    page = owner.get(reseller_url(reseller), {"lang": "en"})
    assert "No key yet" in page.text
    shown = form_to(page, f"{reseller_url(reseller)}/keys").submit()
    assert shown.status_int == 200
    assert "no-store" in shown.headers["Cache-Control"]
    assert "It will not be shown again" in shown.text
    assert field_problems(shown.html) == []
    secret = shown.html.select_one("#new-key")["value"]
    assert secret.startswith("lvk_") and len(secret) > 40

    (row,) = dbsession.scalars(select(ResellerKey).where(ResellerKey.reseller_id == reseller.id))
    assert row.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.prefix == secret[:12] and row.revoked_at is None
    assert secret not in repr([getattr(row, column.key) for column in ResellerKey.__table__.columns])
    assert keys.reseller_for_key(dbsession, secret, now=NOW) is reseller

    # Never again: not on the reseller's page, not by opening the address again.
    again = owner.get(reseller_url(reseller), {"lang": "en"})
    assert secret not in again.text and f"{secret[:12]}…" in again.text
    reopened = owner.get(f"{reseller_url(reseller)}/keys")
    assert reopened.status_int == 303 and secret not in reopened.text
    assert "Keys in use 1" in main_text(owner.get(LIST, {"lang": "en"}))


def test_revoking_a_key_asks_first_then_the_key_stops_working(owner, dbsession, world):
    reseller = make_reseller(dbsession, world.ours)
    key, secret = keys.issue_key(dbsession, reseller, now=NOW)
    other, other_secret = keys.issue_key(dbsession, reseller, now=NOW)
    page = owner.get(reseller_url(reseller), {"lang": "en"})
    confirm = page.click(href=revoke_url(key))
    assert "no-store" in confirm.headers["Cache-Control"]
    assert f"Revoke the key {key.prefix}…?" in confirm.text
    dbsession.expire_all()
    assert key.revoked_at is None  # asking changes nothing

    done = form_to(confirm, revoke_url(key)).submit()
    assert done.status_int == 303
    assert f"The key {key.prefix}… is revoked" in done.follow().text
    dbsession.expire_all()
    assert key.revoked_at is not None
    assert keys.reseller_for_key(dbsession, secret, now=NOW) is None
    assert keys.reseller_for_key(dbsession, other_secret, now=NOW) is reseller  # the other key still works
    assert "Revoked" in main_text(owner.get(reseller_url(reseller), {"lang": "en"}))

    # Again: nothing more happens.
    revoked_at = key.revoked_at
    again = owner.post(revoke_url(key), {"csrf_token": token(page)})
    assert "was already revoked" in again.follow().text
    dbsession.expire_all()
    assert key.revoked_at == revoked_at


# --- who may ---------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["ours", "their-owner"])
def test_staff_and_other_operators_owners_are_refused_and_change_nothing(app_at, dbsession, world, who):
    reseller = make_reseller(dbsession, world.ours, experiences=[world.pottery])
    key, secret = keys.issue_key(dbsession, reseller, now=NOW)
    enter(app_at, world, who)
    csrf = token(app_at.get("/console/account"))
    before = state(dbsession)
    for url in (reseller_url(reseller), revoke_url(key)):
        app_at.get(url, status=403)
    for url in (reseller_url(reseller), f"{reseller_url(reseller)}/keys", revoke_url(key)):
        app_at.post(url, {"csrf_token": csrf, "name": "Taken over", "commission_percent": "90"}, status=403)
    if who == "ours":  # staff: not even the list or the form
        assert "Resellers and API keys" not in app_at.get("/console", {"lang": "en"}).text
        app_at.get(LIST, status=403)
        app_at.get(NEW, status=403)
        app_at.post(NEW, {"csrf_token": csrf, "name": "Staff's own", "commission_percent": "0"}, status=403)
    else:  # another operator's owner: their own list, without ours
        assert "Bókun Hà Nội" not in app_at.get(LIST, {"lang": "en"}).text
        assert str(world.pottery.id) not in {box["value"] for box in app_at.get(NEW).html.select("input[name=experience]")}
    assert state(dbsession) == before
    assert keys.reseller_for_key(dbsession, secret, now=NOW) is reseller


def test_an_admin_chooses_whose_reseller_and_only_that_operators_experiences(app_at, dbsession, world):
    enter(app_at, world, "admin")
    page = app_at.get(NEW, {"lang": "en"})
    assert page.html.select_one("select[name=operator]") is not None
    before = state(dbsession)
    values = [("csrf_token", token(page)), ("operator", str(world.ours.id)), ("name", "Hanoi Travel"),
              ("commission_percent", "10"), ("experience", str(world.tea.id))]
    refused = app_at.post(NEW, values, status=400)
    assert "A reseller may sell only your own experiences" in error_of(refused, "experiences")
    assert state(dbsession) == before
    values[-1] = ("experience", str(world.pottery.id))
    assert app_at.post(NEW, values).status_int == 303
    (reseller,) = dbsession.scalars(select(Reseller).where(Reseller.name == "Hanoi Travel"))
    assert reseller.operator_id == world.ours.id and [e.id for e in reseller.experiences] == [world.pottery.id]


# --- a reseller's bookings in the console ----------------------------------------------------

def resold(dbsession, world, session, name="Emma Schmidt", reference="BKN-58213") -> ResellerBooking:
    """A booking sold by the reseller Bókun Hà Nội (as the OCTO API makes them: channel "reseller")."""
    reseller = dbsession.scalar(select(Reseller).where(Reseller.name == "Bókun Hà Nội")) \
        or make_reseller(dbsession, world.ours, experiences=[world.pottery])
    booking = book(dbsession, session, name, email="emma@example.de", phone="", channel="reseller")
    row = ResellerBooking(booking_id=booking.id, reseller_id=reseller.id, uuid=f"uuid-{booking.id}",
                          reseller_reference=reference, updated_at=NOW)
    dbsession.add(row)
    dbsession.flush()
    return row


def test_a_resellers_booking_shows_who_sold_it_and_that_nothing_is_to_collect(app_at, dbsession, world):
    row = resold(dbsession, world, world.later)
    booking = row.booking
    enter(app_at, world, "ours")  # staff see it too
    page = app_at.get(f"/console/bookings/{booking.id}", {"lang": "en"})
    text = main_text(page)
    for expected in ("Sold by Bókun Hà Nội", "BKN-58213", "nothing to collect at the village",
                     "Paid via Bókun Hà Nội", "Reseller: Bókun Hà Nội", "emma@example.de"):
        assert expected in text, expected
    assert "To pay" not in text and "No e-mail address" not in text
    assert page.html.select_one("form[action$='/resend']") is None  # nothing e-mailed to the guest
    listing = main_text(app_at.get("/console/bookings", {"lang": "en"}))
    assert dashed(booking) in listing and "Reseller: Bókun Hà Nội" in listing and "Paid via Bókun Hà Nội" in listing
    enter(app_at, world, "owner")
    assert "Bookings 1" in main_text(app_at.get(LIST, {"lang": "en"}))


def test_a_resellers_guest_is_never_e_mailed(dbsession, world):
    row = resold(dbsession, world, world.later)
    web = book(dbsession, world.later, "Trần Văn Bảo", email="bao@example.com")
    assert not can_email(row.booking) and can_email(web)
    assert dbsession.scalar(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.recipient == "emma@example.de")) == 0


def test_today_and_the_guest_list_count_nothing_due_for_a_resellers_booking(app, dbsession, world):
    resold(dbsession, world, world.today)
    book(dbsession, world.today, "Trần Văn Bảo", email="bao@example.com")  # unpaid: 600,000 to collect
    (row,) = [r for r in today_sessions(dbsession, operator_id=world.ours.id, now=NOW, locale="en")
              if r.session_id == world.today.id]
    assert row.booked == 4
    assert row.due == 600000  # the web guest's only, not the reseller's customer's too

    manifest = manifest_for(app.registry, dbsession, world.today, "en", now=NOW)
    payments = {guest.name: (guest.payment, guest.due) for guest in manifest.guests}
    assert payments["Emma Schmidt"] == ("Paid via Bókun Hà Nội", False)
    assert payments["Trần Văn Bảo"][1] is True
