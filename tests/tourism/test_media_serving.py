"""/media/<key>: the media store's files with HTTP Range, ETag and a year of caching.

Every request carries a real Range (or conditional) header; the bodies are compared with
the stored bytes exactly, through WebTest and once through waitress over a socket. The
files are mostly MP3-like (what players seek in most), but nothing here depends on audio.
"""
import hashlib
import http.client
import threading

import pytest
from waitress.server import create_server
from webtest import TestApp

from tourism.media import media_store
from tourism.media_serving import BLOCK_SIZE, IMMUTABLE, MediaFastPath

# An MPEG-1 Layer III frame header: 128 kbit/s, 44.1 kHz, so 417-byte frames. The server
# does not parse audio; the payload counts up so a byte at the wrong offset shows.
FRAME_HEADER = bytes.fromhex("FFFB9064")
FRAME_LENGTH = 144 * 128_000 // 44_100


def mp3_bytes(frames: int = 30) -> bytes:
    payload = bytes(i % 251 for i in range(FRAME_LENGTH - len(FRAME_HEADER)))
    return (FRAME_HEADER + payload) * frames


VTT = "WEBVTT\n\n00:00.000 --> 00:04.000\nGốm Bát Tràng được nung ở 1.200 °C.\n".encode()


@pytest.fixture
def store(app):
    return media_store(app.registry)


@pytest.fixture
def mp3(store):
    data = mp3_bytes()
    return {"data": data, "url": f"/media/{store.put(data, 'mp3')}", "size": len(data),
            "etag": f'"{hashlib.sha256(data).hexdigest()}"'}


def test_whole_file(testapp, mp3):
    response = testapp.get(mp3["url"], status=200)
    assert response.body == mp3["data"]
    assert response.headers["Content-Length"] == str(mp3["size"])
    assert response.headers["Content-Type"] == "audio/mpeg"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["ETag"] == mp3["etag"]
    assert response.headers["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    assert "Content-Range" not in response.headers


@pytest.mark.parametrize("header, start, stop", [
    ("bytes=0-99", 0, 100),
    ("bytes=100-", 100, None),
    ("bytes=-50", -50, None),
    ("bytes=50-10000000", 50, None),  # past the end: clamped to the last byte
    ("bytes=-10000000", 0, None),  # a suffix longer than the file: all of it, still 206
    ("bytes=0-0", 0, 1),
    ("BYTES=7-7", 7, 8),  # the unit is case-insensitive
    ("bytes=417-833", 417, 834),  # exactly the second frame
])
def test_range(testapp, mp3, header, start, stop):
    data, size = mp3["data"], mp3["size"]
    expected = data[start:stop]
    first = size - len(expected) if start < 0 else start
    response = testapp.get(mp3["url"], headers={"Range": header}, status=206)
    assert response.body == expected
    assert response.headers["Content-Range"] == f"bytes {first}-{first + len(expected) - 1}/{size}"
    assert response.headers["Content-Length"] == str(len(expected))
    assert response.headers["Content-Type"] == "audio/mpeg"
    assert response.headers["ETag"] == mp3["etag"]
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Cache-Control"] == IMMUTABLE


def test_last_byte(testapp, mp3):
    size = mp3["size"]
    response = testapp.get(mp3["url"], headers={"Range": f"bytes={size - 1}-"}, status=206)
    assert response.body == mp3["data"][-1:]
    assert response.headers["Content-Range"] == f"bytes {size - 1}-{size - 1}/{size}"


@pytest.mark.parametrize("header", ["bytes=999999-", "bytes=999999-9999999", "bytes={size}-", "bytes=-0"])
def test_unsatisfiable_range(testapp, mp3, header):
    response = testapp.get(mp3["url"], headers={"Range": header.format(size=mp3["size"])}, status=416)
    assert response.headers["Content-Range"] == f"bytes */{mp3['size']}"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Cache-Control"] == "no-store"  # not kept as if it were the file
    assert response.body == b""


@pytest.mark.parametrize("header", [
    "bytes=abc",
    "items=0-1",
    "bytes=-",
    "bytes=",
    "bytes=5-2",  # last < first: invalid, not unsatisfiable
    "bytes=999999-5",
    "bytes=0-99junk",
    "bytes=0-1,5-9",  # several ranges: documented as answered with the whole file
    "bytes=1-2-3",
    "bytes=0x10-",
    "bytes=" + "9" * 5000 + "-",  # too long for int(): must not become a 500
    "bytes=-" + "9" * 30,
])
def test_malformed_range_sends_the_whole_file(testapp, mp3, header):
    response = testapp.get(mp3["url"], headers={"Range": header}, status=200)
    assert response.body == mp3["data"]
    assert "Content-Range" not in response.headers
    assert response.headers["Cache-Control"] == IMMUTABLE


def test_head(testapp, mp3):
    response = testapp.head(mp3["url"], status=200)
    assert response.body == b""
    assert response.headers["Content-Length"] == str(mp3["size"])
    assert response.headers["Content-Type"] == "audio/mpeg"
    assert response.headers["ETag"] == mp3["etag"]
    assert response.headers["Accept-Ranges"] == "bytes"


def test_head_ignores_range(testapp, mp3):
    # RFC 9110 §14.2: range handling is defined for GET only.
    response = testapp.head(mp3["url"], headers={"Range": "bytes=0-9"}, status=200)
    assert response.headers["Content-Length"] == str(mp3["size"])
    assert "Content-Range" not in response.headers


@pytest.mark.parametrize("if_none_match", [
    "{etag}", "W/{etag}", '"other", {etag}', "*", ' "other" ,W/{etag} ',
])
def test_if_none_match_gives_304(testapp, mp3, if_none_match):
    headers = {"If-None-Match": if_none_match.format(etag=mp3["etag"]), "Range": "bytes=0-9"}
    response = testapp.get(mp3["url"], headers=headers, status=304)
    assert response.body == b""
    assert response.headers["ETag"] == mp3["etag"]
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert "Content-Type" not in response.headers and "Content-Length" not in response.headers
    assert testapp.head(mp3["url"], headers=headers, status=304).body == b""


@pytest.mark.parametrize("if_none_match", ['"other"', 'W/"other"', "{bare}", ""])
def test_if_none_match_other_etag_gives_the_file(testapp, mp3, if_none_match):
    headers = {"If-None-Match": if_none_match.format(bare=mp3["etag"].strip('"'))}  # unquoted: no tag at all
    response = testapp.get(mp3["url"], headers=headers, status=200)
    assert response.body == mp3["data"]


def test_if_range_with_our_etag_gives_the_range(testapp, mp3):
    response = testapp.get(mp3["url"], headers={"Range": "bytes=10-19", "If-Range": mp3["etag"]}, status=206)
    assert response.body == mp3["data"][10:20]


@pytest.mark.parametrize("if_range", ['"0000"', "W/{etag}", "Wed, 21 Oct 2015 07:28:00 GMT", "garbage"])
def test_if_range_not_matching_gives_the_whole_file(testapp, mp3, if_range):
    headers = {"Range": "bytes=10-19", "If-Range": if_range.format(etag=mp3["etag"])}
    response = testapp.get(mp3["url"], headers=headers, status=200)
    assert response.body == mp3["data"]
    assert "Content-Range" not in response.headers


def test_if_range_not_matching_wins_over_unsatisfiable(testapp, mp3):
    # The Range is ignored before it is judged (RFC 9110 §13.2.2).
    testapp.get(mp3["url"], headers={"Range": "bytes=999999-", "If-Range": '"0000"'}, status=200)


@pytest.mark.parametrize("extension, content_type", [
    ("mp3", "audio/mpeg"),
    ("m4a", "audio/mp4"),
    ("aac", "audio/aac"),
    ("ogg", "audio/ogg"),
    ("opus", "audio/ogg"),
    ("webm", "audio/webm"),
    ("vtt", "text/vtt; charset=utf-8"),
    ("glb", "model/gltf-binary"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("webp", "image/webp"),
])
def test_media_types(testapp, store, extension, content_type):
    # The server never looks inside a file: its type comes from the key's extension.
    data = VTT if extension == "vtt" else mp3_bytes(2) + extension.encode()
    response = testapp.get(f"/media/{store.put(data, extension)}", status=200)
    assert response.headers["Content-Type"] == content_type
    assert response.body == data
    ranged = testapp.get(f"/media/{store.put(data, extension)}", headers={"Range": "bytes=0-5"}, status=206)
    assert ranged.headers["Content-Type"] == content_type
    assert ranged.body == data[:6]


def test_vtt_text_is_utf8(testapp, store):
    response = testapp.get(f"/media/{store.put(VTT, 'vtt')}", status=200)
    assert "Gốm Bát Tràng" in response.body.decode(response.charset)
    assert response.charset == "utf-8"


@pytest.mark.parametrize("path", [
    "/media/" + "0" * 64 + ".mp3",  # well formed, not stored
    "/media/abc.mp3",
    "/media/" + "A" * 64 + ".mp3",  # the store's keys are lower-case hex
    "/media/" + "0" * 64,
    "/media/" + "0" * 64 + ".mp3.bak",
    "/media/..%2f..%2fetc%2fpasswd",
    "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/media/..%5c..%5cwindows%5cwin.ini",
    "/media/../../etc/passwd",
    "/media/%2e%2e",
    "/media/",
    "/media/%00.mp3",
])
def test_unknown_or_malformed_key_is_404(testapp, path):
    testapp.get(path, status=404)
    testapp.get(path, headers={"Range": "bytes=0-"}, status=404)


def test_traversal_to_a_stored_file_is_404(testapp, mp3):
    key = mp3["url"].rpartition("/")[2]
    testapp.get(f"/media/..%2f{key[:2]}%2f{key}", status=404)
    testapp.get(f"/media/{key[:2]}%2f{key}", status=404)


def test_stored_file_of_a_type_we_do_not_serve_is_404(testapp, store):
    testapp.get(f"/media/{store.put(b'<script>alert(1)</script>', 'html')}", status=404)


def test_other_methods_are_405(testapp, mp3):
    response = testapp.post(mp3["url"], status=405)
    assert response.headers["Allow"] == "GET, HEAD"
    testapp.delete(mp3["url"], status=405)


def test_security_headers_leave_media_playable(testapp, mp3):
    response = testapp.get(mp3["url"], headers={"Range": "bytes=0-9"}, status=206)
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # fine: the type is right
    assert "media-src 'self'" in response.headers["Content-Security-Policy"]
    # Nothing that would make a shared cache keep one copy per visitor.
    assert "Set-Cookie" not in response.headers
    assert "Vary" not in response.headers


# --- over a real socket ----------------------------------------------------------------------

@pytest.fixture
def live(app):
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server.effective_port
    server.close()
    thread.join(timeout=5)


def test_bytes_exactly_right_through_waitress(live, store):
    # Larger than a block, so both the server's file sender and the block reader loop.
    data = hashlib.sha256(b"seed").digest() * (3 * BLOCK_SIZE // 32 + 1001)
    size = len(data)
    url = f"/media/{store.put(data, 'mp3')}"
    conn = http.client.HTTPConnection("127.0.0.1", live, timeout=10)  # one keep-alive connection for all

    def get(headers=None, method="GET"):
        conn.request(method, url, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()

    status, headers, body = get()
    assert (status, body) == (200, data)
    assert headers["Content-Length"] == str(size)
    checks = [
        ("bytes=0-99", 0, 100),
        (f"bytes={BLOCK_SIZE - 3}-{2 * BLOCK_SIZE + 5}", BLOCK_SIZE - 3, 2 * BLOCK_SIZE + 6),
        ("bytes=100-", 100, size),
        ("bytes=-50", size - 50, size),
        (f"bytes=50-{size * 10}", 50, size),
    ]
    for header, start, stop in checks:
        status, headers, body = get({"Range": header})
        assert status == 206, header
        assert body == data[start:stop], header
        assert headers["Content-Range"] == f"bytes {start}-{stop - 1}/{size}"
        assert headers["Content-Length"] == str(stop - start)
    status, headers, body = get({"Range": f"bytes={size}-"})
    assert (status, headers["Content-Range"], body) == (416, f"bytes */{size}", b"")
    status, headers, body = get({"Range": "bytes=abc"})
    assert (status, body) == (200, data)
    status, headers, body = get({"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")
    assert headers["Content-Length"] is None
    status, headers, body = get(method="HEAD")
    assert (status, headers["Content-Length"], body) == (200, str(size), b"")
    status, headers, body = get()  # the connection is still good after all of the above
    assert (status, body) == (200, data)
    for path in ("/media/..%2f..%2fetc%2fpasswd", "/media/../../etc/passwd", f"/media/..%2f{url[7:]}"):
        conn.request("GET", path)
        response = conn.getresponse()
        assert (response.status, b"root:" in response.read()) == (404, False), path
    conn.close()


def test_the_fast_path_answers_media_before_pyramid(app, mp3):
    """`make_app` puts MediaFastPath in front: a stored key never reaches the router."""
    assert isinstance(app, MediaFastPath)

    def router_must_not_run(environ, start_response):
        raise AssertionError(f"the router got {environ['PATH_INFO']}")

    fast = TestApp(MediaFastPath(router_must_not_run, app.registry))
    ranged = fast.get(mp3["url"], headers={"Range": "bytes=10-19"}, status=206)
    assert ranged.body == mp3["data"][10:20] and ranged.headers["Content-Range"].startswith("bytes 10-19/")
    assert ranged.headers["X-Content-Type-Options"] == "nosniff"
    assert fast.get(mp3["url"], headers={"Range": "bytes=999999999-"}, status=416).body == b""
    assert fast.head(mp3["url"]).headers["Content-Length"] == str(len(mp3["data"]))
