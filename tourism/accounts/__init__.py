"""Accounts: users and platform admins. Sign-in and operator staff arrive with the console."""


def includeme(config):
    # Importing the models registers their tables on the shared metadata.
    from tourism.accounts import models  # noqa: F401
