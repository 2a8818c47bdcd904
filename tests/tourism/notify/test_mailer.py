"""Mail transports: SMTP to a real loopback server, .eml files for development, and settings."""
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from pyramid.exceptions import ConfigurationError

from tourism import configure
from tourism.notify.mailer import FileMailer, SMTPMailer, mailer_from_settings


def message() -> EmailMessage:
    email = EmailMessage()
    email["From"] = "LàngViệt <no-reply@langviet.test>"
    email["To"] = "yuki@notify-test.example"
    email["Subject"] = "ご予約の確認 · Xác nhận"
    email.set_content("Hẹn gặp bạn ở Vạn Phúc. ありがとう")
    return email


def test_the_file_mailer_writes_a_readable_eml(tmp_path):
    directory = tmp_path / "var" / "mail"  # created on first use
    FileMailer(directory).send(message())
    FileMailer(directory).send(message())

    files = sorted(directory.iterdir())
    assert len(files) == 2 and all(f.suffix == ".eml" for f in files)
    assert files[0].name[:8].isdigit() and files[0].name != files[1].name
    written = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert written["Subject"] == "ご予約の確認 · Xác nhận"
    assert written.get_content().strip() == "Hẹn gặp bạn ở Vạn Phúc. ありがとう"


def test_the_smtp_mailer_delivers_and_raises_when_nobody_listens(smtp_server):
    smtp_server.mailer().send(message())
    assert [m["Subject"] for m in smtp_server.received] == ["ご予約の確認 · Xác nhận"]
    smtp_server.stop()
    with pytest.raises(OSError):
        smtp_server.mailer().send(message())


def test_settings_choose_the_transport(tmp_path):
    smtp = mailer_from_settings({"mail.host": "relay.example", "mail.port": "587", "mail.username": "u",
                                 "mail.password": "p", "mail.starttls": "true"})
    assert isinstance(smtp, SMTPMailer)
    assert (smtp.host, smtp.port, smtp.username, smtp.starttls, smtp.timeout) == ("relay.example", 587, "u", True, 10)
    files = mailer_from_settings({"mail.transport": "files", "mail.directory": str(tmp_path)})
    assert isinstance(files, FileMailer) and files.directory == tmp_path


@pytest.mark.parametrize("settings, words", [
    ({"mail.transport": "carrier-pigeon"}, "Unknown mail.transport 'carrier-pigeon'"),
    ({"mail.port": "twenty-five"}, "mail.port"),
])
def test_bad_mail_settings_stop_the_app_at_start_up(base_settings, settings, words):
    with pytest.raises(ConfigurationError, match=words):
        mailer_from_settings(settings)
    with pytest.raises(ConfigurationError, match=words):
        configure(dict(base_settings, **settings))


def test_the_app_registers_the_mailer_and_the_worker_task(app):
    assert isinstance(app.registry["notify.mailer"], SMTPMailer)  # testing.ini: mail.transport = smtp
    assert "notify.send_outbox" in app.registry["worker.tasks"]
