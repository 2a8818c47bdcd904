"""Schema migrations through alembic; the app and the tests both build the schema this way."""
from alembic import command
from alembic.config import Config

from tourism.addons import migration_locations


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "tourism:alembic")
    # Add-ons keep their migrations beside their code, on a branch of their own (see addons.py).
    config.set_main_option("path_separator", "space")
    config.set_main_option("version_locations", " ".join(["tourism:alembic/versions", *migration_locations()]))
    # The URL travels as an attribute: alembic's ini interpolation would mangle '%' in passwords.
    config.attributes["sqlalchemy.url"] = url
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def new_revision(url: str, message: str, head: str = "tourism@head") -> None:
    """Write a new migration from the difference between the models and the database.

    `head` is the branch it extends: "tourism@head", or an add-on's, e.g. "audio_guides@head".
    """
    command.revision(alembic_config(url), message=message, autogenerate=True, head=head)
