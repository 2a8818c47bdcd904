"""Catalog: villages and experiences, and the public pages a tourist browses."""


def includeme(config):
    config.add_route("catalog.home", "/")
    config.add_route("catalog.village", "/villages/{slug}")
    config.add_route("catalog.experience", "/experiences/{slug}")
    config.scan(".views")
    config.include(".console_views")  # the operator's experiences: texts, prices, policy, visibility
