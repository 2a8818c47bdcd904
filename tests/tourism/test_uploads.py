"""The body limit of upload views (tourism.uploads): checked from Content-Length before the
body is read, from a limit read at each request; other views are left as they are."""
from types import SimpleNamespace

import pytest

from tourism.uploads import BodyTooLarge, body_limit_view


def view(context, request):
    return "answered"


def derive(**options):
    return body_limit_view(view, SimpleNamespace(options=options))


def request_of(length, limit):
    return SimpleNamespace(registry={"limit": limit}, content_length=length)


def test_a_view_without_the_option_is_not_wrapped():
    assert derive() is view


def test_a_body_over_the_limit_is_refused_before_the_view_runs():
    limited = derive(max_body=lambda registry: registry["limit"])
    with pytest.raises(BodyTooLarge) as refused:
        limited(None, request_of(1001, 1000))
    assert refused.value.limit == 1000 and refused.value.status_code == 413
    assert limited(None, request_of(1000, 1000)) == "answered"
    assert limited(None, request_of(None, 1000)) == "answered"  # no Content-Length: the view's read stops it
    assert limited(None, request_of(1001, 2000)) == "answered"  # the limit is read at each request
