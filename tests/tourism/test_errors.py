"""Friendly error pages and CSRF refusals, on an app with a few extra test-only views."""
import pytest
from bs4 import BeautifulSoup
from pyramid.httpexceptions import HTTPFound
from pyramid.response import Response
from webtest import TestApp

from tourism import configure


def explode(request):
    raise RuntimeError("database password is hunter2")


def form_page(request):
    token = request.session.get_csrf_token()
    return Response(f'<form method="post"><input name="csrf_token" value="{token}"></form>')


def form_post(request):
    request.session["saved"] = request.POST["value"]
    return HTTPFound(location="/test/form")


@pytest.fixture(scope="module")
def wsgi_app_with_test_views(app_settings):
    config = configure(app_settings)
    config.add_route("test.explode", "/test/explode")
    config.add_view(explode, route_name="test.explode")
    config.add_route("test.form", "/test/form")
    config.add_view(form_page, route_name="test.form", request_method="GET")
    config.add_view(form_post, route_name="test.form", request_method="POST")
    return config.make_wsgi_app()


@pytest.fixture
def app_with_test_views(wsgi_app_with_test_views):
    return TestApp(wsgi_app_with_test_views)  # fresh cookies for every test


def test_server_error_page_reveals_nothing(app_with_test_views):
    response = app_with_test_views.get("/test/explode", {"lang": "en"}, status=500)
    page = BeautifulSoup(response.text, "html.parser")
    assert page.h1.get_text() == "Something went wrong on our side"
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert response.headers["Cache-Control"] == "no-store"


def test_server_error_page_is_in_the_visitors_language(app_with_test_views):
    response = app_with_test_views.get("/test/explode", headers={"Accept-Language": "ko"}, status=500)
    page = BeautifulSoup(response.text, "html.parser")
    assert page.html["lang"] == "ko"
    assert page.h1.get_text() != "Something went wrong on our side"


def test_unsafe_request_without_token_is_refused_with_a_clear_page(app_with_test_views):
    response = app_with_test_views.post("/test/form", {"value": "x"}, headers={"Accept-Language": "en"}, status=400)
    assert "This form has expired" in response.text


def test_unsafe_request_with_the_token_passes(app_with_test_views):
    token = app_with_test_views.get("/test/form").html.find("input")["value"]
    app_with_test_views.post("/test/form", {"value": "x", "csrf_token": token}, status=302)
    app_with_test_views.post("/test/form", {"value": "x", "csrf_token": "forged"}, status=400)


def test_http_exceptions_are_not_swallowed_by_the_error_page(app_with_test_views):
    token = app_with_test_views.get("/test/form").html.find("input")["value"]
    response = app_with_test_views.post("/test/form", {"value": "x", "csrf_token": token})
    assert response.status_int == 302 and response.location.endswith("/test/form")


@pytest.mark.parametrize("url", ["/?q=%ff%fe", "/?lang=%ff", "/villages/%ff", "/experiences/%C0%AF"])
def test_urls_that_are_not_utf8_get_the_bad_request_page(testapp, url):
    response = testapp.get(url, headers={"Accept-Language": "en"}, status=400)
    assert "We could not understand this request" in response.text
