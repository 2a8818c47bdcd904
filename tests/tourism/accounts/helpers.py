"""Shared steps for the accounts tests: e-mails through the loopback SMTP server, password
links out of them, a second browser."""
import re
from datetime import timedelta

from sqlalchemy import func, select
from webtest import TestApp

from tourism.notify.services import send_due

LINK = re.compile(r"https?://[^/\s]+(/console/password/[A-Za-z0-9_-]+)")
SENDER = "LàngViệt <no-reply@langviet.test>"


def deliver(dbsession, smtp_server, now, to: str) -> list:
    """Send what the outbox holds through the real SMTP server; the messages `to` received."""
    send_due(dbsession, now=now + timedelta(seconds=1), mailer=smtp_server.mailer(), sender=SENDER)
    return [m for m in smtp_server.received if m["To"] == to]


def link_in(message) -> str:
    """The path of the password link in an e-mail (its text and its HTML carry the same one)."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    (path,) = set(LINK.findall(text))
    assert set(LINK.findall(html)) == {path}
    return path


def other_browser(testapp) -> TestApp:
    """Another browser on the same app and database (its own cookies)."""
    return TestApp(testapp.app, extra_environ=dict(testapp.extra_environ))


def count(dbsession, model) -> int:
    dbsession.flush()
    return dbsession.scalar(select(func.count()).select_from(model))


def csrf(testapp, url="/console/sign-in") -> str:
    return testapp.get(url).html.select_one("input[name=csrf_token]")["value"]


def try_sign_in(testapp, email="staff@example.com", password="a long staff password") -> int:
    """The status of a sign-in through the form: 303 signed in, 400 refused, 429 throttled."""
    form = testapp.get("/console/sign-in").forms[0]
    form["email"], form["password"] = email, password
    return form.submit(status="*").status_int
