"""LàngViệt: village experience-tourism on Pyramid.

`main()` reads like a table of contents: infrastructure first, then each domain.
"""
from pyramid.config import Configurator

from tourism.addons import installed_addons
from tourism.settings import load_settings


WSGI_WRAPPERS = "tourism.wsgi_wrappers"


def add_wsgi_wrapper(config, wrapper):
    """`wrapper(app, registry) -> app`, put in front of the application by `make_app`."""
    config.registry.setdefault(WSGI_WRAPPERS, []).append(wrapper)


def configure(settings: dict) -> Configurator:
    settings = load_settings(settings)
    config = Configurator(settings=settings)
    config.add_directive("add_wsgi_wrapper", add_wsgi_wrapper)

    # Infrastructure, in the order requests meet it.
    config.include(".db")  # request.dbsession, pyramid_tm, pyramid_retry
    config.include(".clock")  # request.now
    config.include(".security")  # signed session cookie, CSRF on every unsafe request
    config.include(".i18n")  # language negotiation, Babel formatting, catalogs
    config.include(".templating")  # Jinja2 renderer and layout helpers
    config.include(".headers")  # CSP and other security headers on every response
    config.include(".static")  # /static with content-hashed URLs
    config.include(".media")  # the content-addressed media store (tourism.media_dir)
    config.include(".media_serving")  # /media/<key> with Range, ETag, a year of caching; a WSGI fast path
    config.include(".uploads")  # view option max_body: an oversized upload is refused (413) before it is read
    config.include(".errors")  # friendly 403/404/400/500 pages in the visitor's language
    config.include(".worker")  # config.add_worker_task: periodic jobs for `langviet worker`
    config.include(".notify")  # e-mail outbox sent by the worker; mailer from mail.transport
    config.include(".panels")  # config.add_panel: add-ons' content on the domains' pages

    # Domains.
    config.include(".accounts")  # users and platform admins
    config.include(".catalog")  # villages and experiences: the public catalog
    config.include(".shop")  # the villages' products on their pages, traceability pages (/t/<CODE>)
    config.include(".scheduling")  # schedule rules → materialised sessions
    config.include(".payments")  # provider interface; pay at the village
    config.include(".booking")  # holds, bookings, availability, manage my booking
    config.include(".tickets")  # signed QR codes and PDF tickets for confirmed bookings
    config.include(".reports")  # the console's Today page and reports (charts, CSV) over the booking domains
    config.include(".octo")  # the OCTO supplier API for resellers, and their keys in the console

    # Installed add-ons (audio guides, 3D heritage): they build on the domains above.
    for addon in installed_addons():
        config.include(addon)
    return config


def make_app(settings: dict):
    """The WSGI application: Pyramid's router behind the wrappers put in front of it
    (`add_wsgi_wrapper`: the fast path for media files). Keeps the router's `registry`
    reachable as `app.registry`."""
    config = configure(settings)
    app = config.make_wsgi_app()
    for wrapper in config.registry.get(WSGI_WRAPPERS, []):
        app = wrapper(app, config.registry)
    return app


def main(global_config, **settings):
    """The WSGI application (paste.app_factory `main`)."""
    return make_app(settings)
