"""How much a phone downloads to open an audio-guide stop, before the audio itself
(DESIGN's budget: under 50 KB).

Run: .venv/bin/python bench/stop_page_weight.py [--lang en] [--code TCA] [--url http://localhost:6543]

Without --url, the demo data (catalog and audio tours) goes into a temporary SQLite database
and the real app serves it under waitress on a loopback port. Each demo stop page is fetched
the way a phone with an empty cache opens it: the HTML, then everything it loads (style
sheets, scripts, icon, images, captions, and what the style sheets import) except the
recording, each once, asking for gzip and brotli as browsers do. Bytes are counted as they
arrive ("as served": compressed only if the server compresses), with, beside them, what
gzip would make of each file (a reverse proxy that compresses). Prints the heaviest stop's
resources one by one, then every stop's total, and ends with one JSON line.
"""
import argparse
import gzip
import http.client
import re
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from _common import ROOT, app_settings, json_line, serve

BUDGET_BYTES = 50 * 1024
ACCEPT_ENCODING = "gzip, deflate, br"
PHONE_UA = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130 Mobile Safari/537.36"


class Resources(HTMLParser):
    """What a page makes the browser load (the audio excepted)."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (kind, url)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("href") and set((a.get("rel") or "").split()) & {"stylesheet", "icon",
                                                                                     "modulepreload", "preload"}:
            self.urls.append(("css" if "stylesheet" in a["rel"] else "link", a["href"]))
        elif tag == "script" and a.get("src"):
            self.urls.append(("js", a["src"]))
        elif tag == "img" and a.get("src"):
            self.urls.append(("image", a["src"]))
        elif tag == "track" and a.get("src"):
            self.urls.append(("captions", a["src"]))
        # <source> inside <audio>, and <audio src>: the recording, not counted.


def fetch(base: str, url: str) -> dict:
    """GET `url` as a phone would; the bytes on the wire (the body as sent) and the decoded body."""
    parts = urlsplit(urljoin(base, url))
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    conn.request("GET", path, headers={"Accept-Encoding": ACCEPT_ENCODING, "User-Agent": PHONE_UA,
                                       "Accept-Language": "en"})
    response = conn.getresponse()
    raw = response.read()
    encoding = response.getheader("Content-Encoding", "")
    conn.close()
    if response.status != 200:
        raise SystemExit(f"{url}: HTTP {response.status}")
    body = raw
    if encoding == "gzip":
        body = gzip.decompress(raw)
    elif encoding == "br":
        import brotli  # only if a server sends it

        body = brotli.decompress(raw)
    header_bytes = sum(len(k) + len(v) + 4 for k, v in response.getheaders())
    return {"url": path, "served": len(raw), "encoding": encoding or "identity", "raw": len(body),
            "gzip": len(gzip.compress(body, compresslevel=6)), "headers": header_bytes, "body": body,
            "type": response.getheader("Content-Type", "")}


def css_imports(css: str) -> list[str]:
    return [u for u in re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css) if not u.startswith("data:")]


def js_imports(js: str) -> list[str]:
    return re.findall(r"^\s*import\s+(?:[^'\"]*?from\s+)?['\"]([^'\"]+)['\"]", js, re.MULTILINE)


def weigh(base: str, page_url: str) -> list[dict]:
    """The page and everything it loads (each URL once), as fetched."""
    page = fetch(base, page_url)
    page["kind"] = "html"
    parser = Resources()
    parser.feed(page["body"].decode("utf-8"))
    queue = [(kind, urljoin(base + page["url"], url)) for kind, url in parser.urls]
    seen, rows = set(), [page]
    while queue:
        kind, url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        row = fetch(base, url)
        row["kind"] = kind
        rows.append(row)
        text = row["body"].decode("utf-8", "replace")
        if kind == "css":
            queue += [("css-url", urljoin(url, u)) for u in css_imports(text)]
        elif kind == "js":
            queue += [("js", urljoin(url, u)) for u in js_imports(text)]
    return rows


def demo_stops(url: str) -> list[str]:
    from sqlalchemy import select

    from audio_guides.models import Stop, Tour
    from tourism.catalog.models import PublicationStatus
    from tourism.db import get_engine, get_session_factory

    engine = get_engine({"sqlalchemy.url": url})
    with get_session_factory(engine)() as db:
        codes = list(db.scalars(select(Stop.code).join(Tour).where(Tour.status == PublicationStatus.PUBLISHED)
                                .order_by(Tour.slug, Stop.position)))
    engine.dispose()
    return codes


def measure(base: str, codes: list[str], lang: str) -> dict:
    results = {}
    for code in codes:
        rows = weigh(base, f"/g/{code}?lang={lang}")
        results[code] = rows
    totals = {code: sum(r["served"] for r in rows) for code, rows in results.items()}
    heaviest = max(totals, key=totals.get)
    rows = results[heaviest]
    print(f"Heaviest stop: /g/{heaviest}?lang={lang} (an empty cache; the recording not counted)\n")
    print(f"{'resource':62} {'kind':8} {'served':>8} {'encoding':>9} {'decoded':>8} {'gzip -6':>8}")
    for r in rows:
        print(f"{r['url'][:62]:62} {r['kind']:8} {r['served']:8} {r['encoding']:>9} {r['raw']:8} {r['gzip']:8}")
    served = sum(r["served"] for r in rows)
    gzipped = sum(r["gzip"] for r in rows)
    headers = sum(r["headers"] for r in rows)
    print(f"{'total':62} {'':8} {served:8} {'':>9} {sum(r['raw'] for r in rows):8} {gzipped:8}")
    print(f"(response headers add about {headers} bytes; budget {BUDGET_BYTES} bytes)\n")
    print("Every stop, bytes as served:")
    for code, total in totals.items():
        print(f"  /g/{code:8} {total:8}  {'ok' if total < BUDGET_BYTES else 'OVER BUDGET'}")
    return {
        "bench": "stop_page_weight",
        "lang": lang,
        "heaviest_stop": heaviest,
        "heaviest_bytes_served": served,
        "heaviest_bytes_gzip": gzipped,
        "heaviest_html_bytes": rows[0]["served"],
        "resources": len(rows),
        "stops": len(totals),
        "mean_bytes_served": round(sum(totals.values()) / len(totals)),
        "budget_bytes": BUDGET_BYTES,
        "within_budget": max(totals.values()) < BUDGET_BYTES,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", default="en")
    parser.add_argument("--code", action="append", help="a stop's code (repeatable); default: every demo stop")
    parser.add_argument("--url", help="measure a running server instead (give --code too)")
    args = parser.parse_args()
    if args.url:
        if not args.code:
            sys.exit("--url needs --code: which stop to open")
        json_line(measure(args.url.rstrip("/"), args.code, args.lang))
        return

    from tests.conftest import prepare_database
    from tourism import configure

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'weight.sqlite'}"
        prepare_database(url)  # the demo catalog and the add-ons' demo (audio tours, their media)
        codes = args.code or demo_stops(url)
        if not codes:
            sys.exit("No published audio tour in the demo data: nothing to weigh.")
        app = configure(app_settings(url)).make_wsgi_app()
        with serve(app, threads=4) as base:
            figures = measure(base, codes, args.lang)
            time.sleep(0.5)  # let waitress finish closing the last connection before it stops
        app.registry["db.engine"].dispose()
    json_line(figures)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
