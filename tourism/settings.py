"""Settings: the ini file gives defaults, the environment gives secrets and addresses.

Production reads its database URL, session secret and mail settings from environment
variables (see production.ini) and refuses to start, naming the variable, when one that is
required is missing.
"""
import os

from pyramid.exceptions import ConfigurationError
from pyramid.settings import asbool

# setting name -> environment variable that overrides it
FROM_ENVIRONMENT = {
    "sqlalchemy.url": "TOURISM_DATABASE_URL",
    "tourism.session_secret": "TOURISM_SESSION_SECRET",
    "mail.host": "TOURISM_SMTP_HOST",
    "mail.port": "TOURISM_SMTP_PORT",
    "mail.username": "TOURISM_SMTP_USERNAME",
    "mail.password": "TOURISM_SMTP_PASSWORD",
    "mail.default_sender": "TOURISM_MAIL_SENDER",
    "mail.starttls": "TOURISM_SMTP_STARTTLS",
    "tourism.base_url": "TOURISM_BASE_URL",
    "vietqr.bank_bin": "TOURISM_VIETQR_BANK_BIN",
    "vietqr.account": "TOURISM_VIETQR_ACCOUNT",
    "vietqr.account_name": "TOURISM_VIETQR_ACCOUNT_NAME",
    "vietqr.bank_name": "TOURISM_VIETQR_BANK_NAME",
    # Card payments: required only when the stripe provider is listed in
    # tourism.payment_providers (checked by tourism.payments at start-up).
    "stripe.secret_key": "TOURISM_STRIPE_SECRET_KEY",
    "stripe.publishable_key": "TOURISM_STRIPE_PUBLISHABLE_KEY",
    "stripe.webhook_secret": "TOURISM_STRIPE_WEBHOOK_SECRET",
}
REQUIRED = ("sqlalchemy.url", "tourism.session_secret", "mail.host", "mail.default_sender", "tourism.base_url")
MIN_SECRET_LENGTH = 32


def load_settings(settings: dict, environ=os.environ) -> dict:
    """Return the settings with environment overrides applied and required values checked.

    Raises ConfigurationError with the name of the environment variable to set.
    """
    settings = dict(settings)
    for name, variable in FROM_ENVIRONMENT.items():
        if environ.get(variable):
            settings[name] = environ[variable]
    for name in REQUIRED:
        if not settings.get(name):
            raise ConfigurationError(
                f"Missing setting {name!r}: set the environment variable "
                f"{FROM_ENVIRONMENT[name]} before starting LàngViệt."
            )
    if is_production(settings) and len(settings["tourism.session_secret"]) < MIN_SECRET_LENGTH:
        raise ConfigurationError(
            f"TOURISM_SESSION_SECRET is too short: use at least {MIN_SECRET_LENGTH} random "
            "characters, e.g. the output of `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    return settings


def is_production(settings: dict) -> bool:
    return settings.get("tourism.environment", "development") == "production"


def flag(settings: dict, name: str, default: bool = False) -> bool:
    return asbool(settings.get(name, default))
