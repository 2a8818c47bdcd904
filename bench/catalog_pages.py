"""How fast the public catalog pages render, next to a bare Pyramid view in the same app.

Run: .venv/bin/python bench/catalog_pages.py [development.ini] [requests per page]
Prints milliseconds per request and the ratio to the bare view (in process, through WebTest,
so it measures our code and the database, not the network). Load the demo data first.
"""
import sys
import time

from pyramid.paster import get_appsettings
from pyramid.response import Response
from webtest import TestApp

from tourism import configure

PAGES = [
    "/?lang=vi",
    "/?lang=en&q=gom&craft=pottery",
    "/?lang=ko&date_from=2027-04-10&date_to=2027-04-12",
    "/villages/bat-trang?lang=vi",
    "/experiences/tan-cuong-tea-morning?lang=ko",
    "/experiences/bat-trang-ceramics-museum?lang=fr",
]


def bare(request):
    return Response("ok")


def measure(app, url, count) -> float:
    app.get(url)  # warm up templates and caches
    start = time.perf_counter()
    for _ in range(count):
        app.get(url)
    return (time.perf_counter() - start) / count * 1000


def main():
    ini = sys.argv[1] if len(sys.argv) > 1 else "development.ini"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    config = configure(dict(get_appsettings(ini)))
    config.add_route("bench.bare", "/bench/bare")
    config.add_view(bare, route_name="bench.bare")
    app = TestApp(config.make_wsgi_app())
    baseline = measure(app, "/bench/bare", count)
    print(f"{'page':55} {'ms/request':>10} {'× bare view':>12}")
    print(f"{'/bench/bare (bare Pyramid view)':55} {baseline:10.2f} {1:12.1f}")
    for url in PAGES:
        ms = measure(app, url, count)
        print(f"{url:55} {ms:10.2f} {ms / baseline:12.1f}")


if __name__ == "__main__":
    main()
