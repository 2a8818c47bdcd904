"""Placeholder: being written."""


def includeme(config):
    pass
