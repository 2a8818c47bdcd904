"""What a phone with an empty cache downloads for the 3D heritage pages: first what the page
itself loads (HTML, style sheets, scripts, poster), then what turning the model in 3D adds
(the <model-viewer> script, loaded only near the model or on request, and the GLB).

Run: .venv/bin/python bench/heritage_page_weight.py [--lang vi]

The demo data goes into a temporary SQLite database and the real app serves it under
waitress on a loopback port (as bench/stop_page_weight.py, whose fetching it shares: each
URL once, bytes as served and what gzip would make of them). Ends with one JSON line.
"""
import argparse
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

from _common import ROOT, app_settings, json_line, serve
from stop_page_weight import fetch, weigh

PAGES = ["/heritage/chu-dau-vase", "/heritage/tan-cuong-tea-pan", "/heritage/dong-ho-woodblock",
         "/villages/dong-ho", "/experiences/tan-cuong-tea-morning"]


class ViewerParts(HTMLParser):
    """The viewer script (the setup script's data-viewer) and the models (<model-viewer src>)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("data-viewer"):
            self.urls.append(a["data-viewer"])
        elif tag == "model-viewer" and a.get("src"):
            self.urls.append(a["src"])


def measure(base: str, lang: str) -> dict:
    print(f"{'page (lang=' + lang + ')':40} {'first view':>11} {'gzip -6':>8} {'+ 3D view':>10} {'gzip -6':>8}")
    figures = {}
    for path in PAGES:
        rows = weigh(base, f"{path}?lang={lang}")
        parts = ViewerParts()
        parts.feed(rows[0]["body"].decode("utf-8"))
        extra = [fetch(base, url) for url in dict.fromkeys(parts.urls)]
        first, first_gzip = sum(r["served"] for r in rows), sum(r["gzip"] for r in rows)
        three_d, three_d_gzip = sum(r["served"] for r in extra), sum(r["gzip"] for r in extra)
        print(f"{path:40} {first:11} {first_gzip:8} {three_d:10} {three_d_gzip:8}")
        figures[path] = {"first_view_bytes": first, "first_view_gzip": first_gzip,
                         "three_d_bytes": three_d, "three_d_gzip": three_d_gzip}
    print("\nfirst view: the page and what it loads at once; + 3D view: the viewer script and the "
          "models, fetched only when the visitor comes near a model (or asks, when saving data).")
    return {"bench": "heritage_page_weight", "lang": lang, "pages": figures}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", default="vi")
    args = parser.parse_args()

    from tests.conftest import prepare_database
    from tourism import configure

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'weight.sqlite'}"
        prepare_database(url)
        app = configure(app_settings(url)).make_wsgi_app()
        with serve(app, threads=4) as base:
            figures = measure(base, args.lang)
            time.sleep(0.5)
        app.registry["db.engine"].dispose()
    json_line(figures)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
