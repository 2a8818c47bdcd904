"""The booking flow through WebTest, without JavaScript: calendar → form → hold → pay → manage."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from tests.factories import cancel_as_guest, make_experience, make_session, make_village
from pyramid.i18n import make_localizer

from tourism.booking.models import Booking, BookingStatus
from tourism.i18n import _, translation_dir
from tourism.notify.models import OutboxMessage

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def workshop(dbsession):
    village = make_village(dbsession, slug="luong", province="Tỉnh Lường")
    experience = make_experience(dbsession, village, "luong-gom", max_party=6,
                                 texts={"vi": "Nặn gốm Lường", "en": "Lường pottery", "ko": "르엉 도자기"})
    session = make_session(dbsession, experience, NOW + timedelta(days=1), capacity=4)
    return experience, session


def page(response):
    return BeautifulSoup(response.text, "html.parser")


def fill(form, **values):
    defaults = {"tier_adult": "2", "name": "김민지", "email": "minji@example.kr", "phone": "+82 10 1234 5678",
                "country": "KR", "language": "ko"}
    for key, value in dict(defaults, **values).items():
        form[key] = value
    return form


@pytest.mark.parametrize("locale", ["vi", "ko"])
def test_book_end_to_end_and_receive_the_confirmation(app_at, dbsession, workshop, locale):
    experience, session = workshop
    calendar = app_at.get("/experiences/luong-gom", {"lang": locale, "month": "2026-12"})
    link = page(calendar).select_one(f'a[href$="/book/{session.id}"]')
    assert link is not None and "4" in link.get_text()
    form_page = app_at.get(link["href"])
    response = fill(form_page.forms[0], language=locale).submit(status=303)
    manage = response.follow()
    assert "booking" in manage.request.path
    booking = dbsession.scalar(select(Booking).where(Booking.session_id == session.id))
    assert booking.status == BookingStatus.HELD and booking.seats == 2 and booking.contact_name == "김민지"
    assert page(manage).select_one("[data-countdown-seconds]")["data-countdown-seconds"] == "900"
    confirmed = manage.forms[0].submit(status=303).follow()
    assert booking.status == BookingStatus.CONFIRMED
    assert page(confirmed).select_one('.notice[role="status"]') is not None
    (email,) = dbsession.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "minji@example.kr")).all()
    assert booking.reference[:4] in email.subject or booking.reference[:4] in email.body_text
    assert re.search(r"/booking/[\w-]{40,}", email.body_text)
    localizer = make_localizer(locale, [translation_dir({})])
    assert localizer.translate(_("Pay at the village on the day")) in email.body_text


def test_double_submitted_form_makes_one_booking(app_at, dbsession, workshop):
    _experience, session = workshop
    form = fill(app_at.get(f"/book/{session.id}").forms[0])
    first = form.submit(status=303).follow()
    second = form.submit(status=303).follow()
    (booking,) = dbsession.scalars(select(Booking).where(Booking.session_id == session.id)).all()
    reference = f"{booking.reference[:4]}-{booking.reference[4:]}"
    assert reference in first.text and reference in second.text
    dbsession.refresh(session)
    assert session.seats_held == 2


@pytest.mark.parametrize("values, message", [
    ({"tier_adult": "0"}, "Book for at least"),
    ({"tier_adult": "-3"}, "whole number"),
    ({"tier_adult": "5"}, "Only 4 seats are left"),
    ({"email": "nope"}, "valid email"),
    ({"phone": "abc"}, "phone number"),
    ({"name": "x" * 10_000}, "too long"),
])
def test_bad_input_is_explained_and_changes_nothing(app_at, dbsession, workshop, values, message):
    _experience, session = workshop
    form = fill(app_at.get(f"/book/{session.id}", {"lang": "en"}).forms[0], **values)
    response = form.submit(status=400)
    assert message in page(response).select_one('[role="alert"]').get_text()
    assert dbsession.scalars(select(Booking).where(Booking.session_id == session.id)).all() == []
    dbsession.refresh(session)
    assert session.seats_held == 0


def test_past_session_and_unknown_ids(app_at, dbsession, workshop):
    experience, _session = workshop
    past = make_session(dbsession, experience, NOW - timedelta(hours=2), capacity=4)
    response = app_at.get(f"/book/{past.id}", {"lang": "en"})
    assert "already started" in response.text and not response.forms
    app_at.get("/book/999999999", status=404)
    app_at.get("/book/abc", status=404)


def test_tampered_manage_token_is_not_found(app_at, workshop):
    app_at.get("/booking/not-a-real-token", status=404)
    app_at.get("/booking/" + "A" * 5000, status=404)


def test_cancel_and_move_from_the_manage_page(app_at, dbsession, workshop):
    experience, session = workshop
    later = make_session(dbsession, experience, NOW + timedelta(days=5), capacity=4)
    manage = fill(app_at.get(f"/book/{session.id}", {"lang": "en"}).forms[0]).submit().follow()
    manage = manage.forms[0].submit().follow()
    move_page = app_at.get(page(manage).select_one('a[href$="/move"]')["href"])
    move_page.forms[0]["session_id"] = str(later.id)
    manage = move_page.forms[0].submit(status=303).follow()
    booking = dbsession.scalar(select(Booking).where(Booking.contact_email == "minji@example.kr"))
    assert booking.session_id == later.id
    assert "cancelling costs nothing" in manage.text
    token = manage.request.path.rsplit("/", 1)[-1]
    confirm = manage.click(href=f"/booking/{token}/cancel")
    assert booking.status == BookingStatus.CONFIRMED  # asking is not cancelling
    assert confirm.click(href=f"/booking/{token}$").request.path == f"/booking/{token}"  # "No, keep my booking"
    cancelled = cancel_as_guest(app_at, token).follow()
    assert booking.status == BookingStatus.CANCELLED and "cancelled" in cancelled.text
    app_at.get(f"/booking/{token}/cancel").follow()  # nothing left to cancel: back to the booking
    dbsession.refresh(later)
    assert later.seats_booked == 0


def test_availability_json(app_at, workshop):
    _experience, session = workshop
    data = app_at.get("/api/experiences/luong-gom/availability", {"from": "2026-12-01", "to": "2026-12-03"}).json
    assert data["timeZone"] == "Asia/Ho_Chi_Minh"
    (item,) = data["sessions"]
    assert item["id"] == session.id and item["seatsLeft"] == 4 and item["status"] == "limited"
    assert item["start"] == "2026-12-02T08:00:00+07:00"
    app_at.get("/api/experiences/luong-gom/availability", {"from": "9999-99-99"}, status=400)
    app_at.get("/api/experiences/luong-gom/availability", {"from": "2026-12-01", "to": "2027-12-01"}, status=400)
    app_at.get("/api/experiences/nope/availability", status=404)


def test_availability_json_is_cached_for_a_few_seconds_when_configured(app_settings, dbsession, tm, workshop):
    from webtest import TestApp

    from tourism import configure

    _experience, session = workshop
    app = configure(dict(app_settings, **{"tourism.availability_cache_seconds": "5"})).make_wsgi_app()
    client = TestApp(app, extra_environ={"tm.active": True, "tm.manager": tm, "app.dbsession": dbsession,
                                         "tourism.now": NOW})
    url = "/api/experiences/luong-gom/availability?from=2026-12-01&to=2026-12-03"
    first = client.get(url)
    assert first.headers["Cache-Control"] == "public, max-age=5"
    session.seats_booked = 4
    dbsession.flush()
    assert client.get(url).json == first.json  # still the cached answer
    uncached = client.get("/api/experiences/luong-gom/availability?from=2026-12-01&to=2026-12-04")
    assert uncached.json["sessions"][0]["seatsLeft"] == 0
