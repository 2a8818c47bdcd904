"""The console's pages for resellers and their API keys."""


def includeme(config):
    pass
