"""Sessions and CSRF: signed, httponly, SameSite cookies; a token on every unsafe request."""
from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.session import SignedCookieSessionFactory

from tourism.settings import flag


def includeme(config):
    settings = config.get_settings()
    session_factory = SignedCookieSessionFactory(
        settings["tourism.session_secret"],
        cookie_name="langviet_session",
        secure=flag(settings, "tourism.secure_cookies"),
        httponly=True,
        samesite="Lax",
        timeout=12 * 3600,
        reissue_time=3600,
    )
    config.set_session_factory(session_factory)
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    # Every POST, PUT, PATCH and DELETE must carry the token; views that take signed
    # third-party callbacks (payment webhooks) opt out explicitly with require_csrf=False.
    config.set_default_csrf_options(require_csrf=True)
