"""The validator of tests.tourism.octo.schema refuses what the official specification does not
allow, so its silence on the API's responses means something."""
import json

import pytest
from webtest import TestApp

from tests.tourism.octo.schema import conforms, problems

SUPPLIER = {"id": "htx-octo", "name": "HTX Gốm Octo", "endpoint": "http://example.com/octo",
            "contact": {"website": "http://example.com/", "email": None, "telephone": None, "address": None}}


def answer(body, status="200 OK", headers=(("Octo-Capabilities", ""),), path="/octo/supplier", method="GET"):
    """`body` as the response of a stand-in server, read through WebTest like the API's."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()

    def app(environ, start_response):
        start_response(status, [("Content-Type", "application/json; charset=utf-8"), *headers])
        return [payload]

    return TestApp(app).request(path, method=method, status="*")


def test_a_conforming_response_passes():
    assert conforms("GET", "/supplier", answer(SUPPLIER)).status_int == 200


def test_a_missing_required_field_is_refused():
    body = {key: value for key, value in SUPPLIER.items() if key != "endpoint"}
    with pytest.raises(AssertionError, match='"endpoint" is a required property'):
        conforms("GET", "/supplier", answer(body))


def test_a_wrong_type_is_refused():
    with pytest.raises(AssertionError, match="is not of type"):
        conforms("GET", "/supplier/", answer(dict(SUPPLIER, name=42)))


def test_the_required_octo_capabilities_header_is_refused_when_missing():
    with pytest.raises(AssertionError, match="Octo-Capabilities"):
        conforms("GET", "/supplier", answer(SUPPLIER, headers=()))


def test_an_error_must_have_its_code_and_message():
    bad = answer({"error": "INVALID_PRODUCT_ID"}, status="400 Bad Request", path="/octo/products/nope")
    with pytest.raises(AssertionError, match="is not valid under any of the schemas"):
        conforms("GET", "/products/{id}", bad)
    good = answer({"error": "INVALID_PRODUCT_ID", "errorMessage": "No.", "productId": "nope"},
                  status="400 Bad Request", path="/octo/products/nope")
    conforms("GET", "/products/{id}", good)


def test_an_undocumented_status_is_refused():
    # The specification gives every error as 400, a wrong or missing key too.
    for status in ("500 Internal Server Error", "401 Unauthorized", "403 Forbidden", "404 Not Found"):
        with pytest.raises(AssertionError, match="Undocumented status code"):
            conforms("GET", "/supplier", answer({"error": "UNAUTHORIZED", "errorMessage": "Key?"}, status=status))
    conforms("GET", "/supplier", answer({"error": "UNAUTHORIZED", "errorMessage": "Key?"}, status="400 Bad Request"))


def test_a_body_that_is_not_json_is_refused():
    assert problems("GET", "/supplier", answer(b"<html>oops</html>"))


def test_what_a_capability_in_use_requires_is_refused_when_missing():
    # Under octo/content a supplier has a shortDescription and media, and the response its languages.
    content = (("Octo-Capabilities", "octo/content"), ("Content-Language", "en"), ("Available-Languages", "en"))
    with pytest.raises(AssertionError, match=r"\$\.shortDescription is missing: .* octo/content"):
        conforms("GET", "/supplier", answer(dict(SUPPLIER, media=[]), headers=content))
    with pytest.raises(AssertionError, match="Content-Language header is missing"):
        conforms("GET", "/supplier", answer(dict(SUPPLIER, media=[], shortDescription=None),
                                            headers=(("Octo-Capabilities", "octo/content"),
                                                     ("Available-Languages", "en"))))
    conforms("GET", "/supplier", answer(dict(SUPPLIER, media=[], shortDescription=None), headers=content))
    # Without the capability the same fields may be left out.
    conforms("GET", "/supplier", answer(SUPPLIER))


def test_an_unknown_operation_is_refused():
    with pytest.raises(AssertionError, match="not an operation"):
        conforms("DELETE", "/supplier", answer(SUPPLIER, method="DELETE"))
    with pytest.raises(AssertionError, match="not a path"):
        conforms("GET", "/vouchers", answer(SUPPLIER, path="/octo/vouchers"))
