"""Production settings come from the environment, and a missing secret stops start-up."""
import pytest
from pyramid.exceptions import ConfigurationError

from tourism.settings import load_settings

PRODUCTION = {"tourism.environment": "production"}
GOOD_ENV = {
    "TOURISM_DATABASE_URL": "postgresql+psycopg://app@db/langviet",
    "TOURISM_SESSION_SECRET": "s" * 40,
    "TOURISM_SMTP_HOST": "smtp.example.com",
    "TOURISM_MAIL_SENDER": "LàngViệt <no-reply@example.com>",
    "TOURISM_BASE_URL": "https://langviet.example",
}


def test_environment_supplies_production_settings():
    settings = load_settings(PRODUCTION, environ=GOOD_ENV)
    assert settings["sqlalchemy.url"] == GOOD_ENV["TOURISM_DATABASE_URL"]
    assert settings["mail.host"] == "smtp.example.com"


@pytest.mark.parametrize("missing", sorted(GOOD_ENV))
def test_missing_variable_is_named(missing):
    env = {k: v for k, v in GOOD_ENV.items() if k != missing}
    with pytest.raises(ConfigurationError, match=missing):
        load_settings(PRODUCTION, environ=env)


def test_short_secret_is_refused_in_production():
    with pytest.raises(ConfigurationError, match="too short"):
        load_settings(PRODUCTION, environ=dict(GOOD_ENV, TOURISM_SESSION_SECRET="short"))


def test_production_ini_refuses_to_start_without_secrets(monkeypatch):
    from pyramid.paster import get_app

    for name in GOOD_ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="TOURISM_DATABASE_URL"):
        get_app("production.ini")
