"""/media/<key>: the media store's files (tourism.media) with HTTP Range, an ETag and a year of caching.

Only the types in MEDIA_TYPES are served (audio, WebVTT captions, 3D models and images); any
other stored file is a 404, so an upload can never become a page of this site.

A key is the SHA-256 of the file's bytes, so the URL's content never changes: the hash is a
strong ETag, and browsers and proxies may keep the file for a year without asking again.
Seeking in an <audio> element sends `Range: bytes=<from>-`; the answer is 206 with just
those bytes, read from where they start on disk (never the whole file into memory).

Written by hand rather than with WebOb's `conditional_response=True`, which answers
`Range: bytes=-` with a 500, serves a whole file for `bytes=-0`, takes `bytes=0-1,5-9` or
`bytes=0-1junk` as `bytes=0-1`, and reads a ranged file from its first byte.

Choices left to the server by RFC 9110, made here:
- a Range header that is malformed, or asks for several ranges, is ignored: 200 and the
  whole file (§14.2 "a server MAY ignore the Range header field"); media players ask for
  one range at a time, and the offline service worker fetches whole files;
- Range is honoured on GET only; HEAD answers as a GET without Range would (§14.2);
- If-Range matches only our strong ETag; a date there never matches (we send no
  Last-Modified), so the whole file is sent, which is always correct.
"""
import os
import re

from pyramid.httpexceptions import HTTPMethodNotAllowed, HTTPNotFound
from pyramid.response import Response
from pyramid.view import view_config

from tourism.headers import CSP_REGISTRY_KEY, render_csp, static_security_headers
from tourism.media import media_store

# What we serve, by the key's extension. `.opus` is Opus in an Ogg container, whose
# registered type is audio/ogg (RFC 7845 §9); `audio/opus` names bare RTP payloads.
# No SVG or HTML: both can run script when opened from our origin.
MEDIA_TYPES = {
    # audio guides' recordings and their captions
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "webm": "audio/webm",
    "vtt": "text/vtt; charset=utf-8",  # the only text: WebVTT is UTF-8 by definition
    # 3D models (glTF binary, as registered with IANA) and images such as their posters
    "glb": "model/gltf-binary",
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
}
IMMUTABLE = "public, max-age=31536000, immutable"
BLOCK_SIZE = 256 * 1024
# One byte range: "first-last", "first-" or "-suffix". At most 18 digits each, so int() is
# cheap and never refuses (Python rejects over 4300 digits); longer counts as malformed.
SINGLE_RANGE = re.compile(r"\s*bytes=\s*([0-9]{0,18})\s*-\s*([0-9]{0,18})\s*", re.IGNORECASE)
ENTITY_TAG = re.compile(r'(?:W/)?("[^"]*")')


class RangeNotSatisfiable(Exception):
    """The Range header is well formed but asks for nothing inside the file (416)."""


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The bytes [start, stop) a Range header asks of a `size`-byte file.

    None means "ignore the header and send the whole file": it is malformed, asks for
    several ranges, or the file is empty (no 206 can describe a part of nothing).
    Raises RangeNotSatisfiable when it starts at or past the end, or is the suffix "-0".
    """
    match = SINGLE_RANGE.fullmatch(header)
    if match is None or size == 0:
        return None
    first, last = match.groups()
    if not first:
        if not last:
            return None  # "bytes=-"
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiable()
        return max(0, size - suffix), size
    start = int(first)
    if last and int(last) < start:
        return None  # "last < first" makes the header invalid, not unsatisfiable (RFC 9110 §14.1.1)
    if start >= size:
        raise RangeNotSatisfiable()
    return start, size if not last else min(int(last) + 1, size)


def etag_matches_any(header: str, etag: str) -> bool:
    """If-None-Match's weak comparison: `*`, or any listed tag with or without W/."""
    return header.strip() == "*" or etag in ENTITY_TAG.findall(header)


def file_window(file, start: int, stop: int):
    """The bytes [start, stop) of an open file, a block at a time; closes the file."""
    try:
        file.seek(start)
        remaining = stop - start
        while remaining > 0:
            block = file.read(min(BLOCK_SIZE, remaining))
            if not block:
                return  # the file shrank: a store file never should; the client sees a short body
            remaining -= len(block)
            yield block
    finally:
        file.close()


STATUS_LINES = {200: "200 OK", 206: "206 Partial Content", 304: "304 Not Modified",
                416: "416 Range Not Satisfiable"}


def media_answer(store, key: str, method: str, header, file_wrapper=None):
    """What to answer a GET or HEAD of `key`: (status, headers, body iterable), or None for 404.

    `header(name)` reads a request header (None when absent); `file_wrapper` is the WSGI
    server's file sender, if any. Shared by the Pyramid view and the WSGI fast path, so
    both answer exactly alike.
    """
    content_type = MEDIA_TYPES.get(key.rpartition(".")[2])
    try:
        path = store.path(key)  # only "<64 hex>.<ext>": no way out of the store
        size = os.stat(path).st_size
    except (ValueError, OSError):
        return None
    if content_type is None:
        return None  # stored, but not something we serve

    etag = f'"{key.partition(".")[0]}"'
    validators = [("ETag", etag), ("Cache-Control", IMMUTABLE), ("Accept-Ranges", "bytes")]
    if_none_match = header("If-None-Match")
    if if_none_match is not None and etag_matches_any(if_none_match, etag):
        return 304, validators, []

    span = None
    range_header = header("Range")
    if_range = header("If-Range")
    if range_header and method == "GET" and (if_range is None or if_range.strip() == etag):
        try:
            span = byte_range(range_header, size)
        except RangeNotSatisfiable:
            # Not cached as if it were the file; the size tells the client what it may ask.
            return 416, [("Content-Range", f"bytes */{size}"), ("Accept-Ranges", "bytes"),
                         ("Cache-Control", "no-store"), ("Content-Length", "0")], []

    headers = [("Content-Type", content_type), *validators]
    if method == "HEAD":
        return 200, [*headers, ("Content-Length", str(size))], []
    try:
        file = open(path, "rb")
    except OSError:
        return None
    if span is None:
        # The server's own file sender when it has one (waitress writes it from its I/O
        # loop, freeing the request thread); otherwise blocks from a generator.
        body = file_wrapper(file, BLOCK_SIZE) if file_wrapper else file_window(file, 0, size)
        return 200, [*headers, ("Content-Length", str(size))], body
    # A range always comes from the generator: a file wrapper sends from the seek position to
    # the end of the file unless the server stops at Content-Length, which PEP 3333 asks but
    # not every server does; under waitress it measured no faster (bench/audio_range.py).
    start, stop = span
    return 206, [*headers, ("Content-Range", f"bytes {start}-{stop - 1}/{size}"),
                 ("Content-Length", str(stop - start))], file_window(file, start, stop)


@view_config(route_name="tourism.media", request_method=("GET", "HEAD"))
def media_file(request):
    answer = media_answer(media_store(request.registry), request.matchdict["key"], request.method,
                          request.headers.get, request.environ.get("wsgi.file_wrapper"))
    if answer is None:
        raise HTTPNotFound()
    status, headers, body = answer
    response = Response(status=status, headerlist=headers)
    response.app_iter = body  # after the headers: WebOb would otherwise reset Content-Length
    return response


class MediaFastPath:
    """WSGI middleware: GET and HEAD of a stored /media/<key> answered before Pyramid.

    Media files need no routing, session, security policy or database transaction, and
    those cost most of a request's time (bench/audio_range.py); everything else, and any
    key the store does not have, goes on to the application (its 404 page, its 405).
    """

    PREFIX = "/media/"

    def __init__(self, app, registry):
        self.app = app
        self.store = media_store(registry)
        # The same security headers the tween adds to every other response (the CSP is fixed
        # once configuration is done).
        self.security_headers = [("Content-Security-Policy", render_csp(registry[CSP_REGISTRY_KEY])),
                                 *static_security_headers(registry.settings).items()]

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        if method in ("GET", "HEAD") and path.startswith(self.PREFIX):
            answer = media_answer(self.store, path[len(self.PREFIX):], method,
                                  lambda name: environ.get("HTTP_" + name.upper().replace("-", "_")),
                                  environ.get("wsgi.file_wrapper"))
            if answer is not None:
                status, headers, body = answer
                start_response(STATUS_LINES[status], [*headers, *self.security_headers])
                return body
        return self.app(environ, start_response)

    def __getattr__(self, name):
        return getattr(self.app, name)  # the router's `registry`, for callers that use it


@view_config(route_name="tourism.media", require_csrf=False)
def media_other_method(request):
    """POST, PUT, ... on a media URL: 405 naming what is allowed (not a CSRF or 404 page)."""
    return HTTPMethodNotAllowed(headers={"Allow": "GET, HEAD"})


def includeme(config):
    config.add_route("tourism.media", "/media/{key}")
    config.add_wsgi_wrapper(MediaFastPath)
    config.scan(__name__)
