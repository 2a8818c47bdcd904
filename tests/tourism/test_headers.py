"""Security headers on every response, including errors and static files."""
import pytest


@pytest.mark.parametrize("url, status", [("/", 200), ("/no-such-page", 404), ("/static/css/site.css", 200)])
def test_security_headers(testapp, url, status):
    response = testapp.get(url, status=status)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_carry_no_inline_script_or_style(testapp):
    page = testapp.get("/", {"lang": "en"}).html
    for script in page.find_all("script"):
        assert script.get("type") == "application/ld+json" or script.get("src")
    assert not page.find_all("style") and not page.select("[style]")


def test_static_files_have_hashed_urls_and_long_caching(testapp):
    page = testapp.get("/").html
    href = page.select_one('link[rel="stylesheet"]')["href"]
    assert "?x=" in href
    response = testapp.get(href.replace("http://example.com", ""))
    assert response.cache_control.max_age >= 365 * 24 * 3600


def test_hsts_and_csp_additions_come_from_configuration(app_settings):
    from webtest import TestApp

    from tourism import configure

    config = configure(dict(app_settings, **{"tourism.hsts": "true"}))
    config.add_csp_source("manifest-src", "'self'")
    response = TestApp(config.make_wsgi_app()).get("/no-such-page", status=404)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "manifest-src 'self'" in response.headers["Content-Security-Policy"]
