"""The operator's 3D tools (being built)."""


def includeme(config):
    pass
