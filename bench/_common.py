"""What the benches share: their own PostgreSQL database, the real app under waitress, and
HTTP clients that run in a separate process.

The clients live in another process on purpose: in the server's process they would take
the GIL from the very request threads they are timing. The benches never touch the test
suite's database (`test`); they build `langviet_bench` (or BENCH_DATABASE_URL) from the
migrations, afresh on every run: run one bench at a time.
"""
import http.client
import json
import math
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/x.py`: let `tests.factories` import
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from pyramid.paster import get_appsettings  # noqa: E402
from waitress.server import create_server  # noqa: E402

from tourism import migrations  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@localhost:5432/langviet_bench"
TESTING_INI = str(ROOT / "testing.ini")
# The test suite's database: a bench that reset it would wreck a test run in progress.
FORBIDDEN_DATABASES = {"test"}


def bench_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def fresh_database(url: str) -> None:
    """Create the bench database if missing, then rebuild its schema with the migrations."""
    target = sa.engine.make_url(url)
    if target.get_backend_name() != "postgresql":
        sys.exit(f"The benches measure PostgreSQL; {url} is not a PostgreSQL URL.")
    if target.database in FORBIDDEN_DATABASES:
        sys.exit(f"Refusing to use the test suite's database {target.database!r}: set BENCH_DATABASE_URL.")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                            {"name": target.database})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    drop_schema(url)
    migrations.upgrade(url)


def drop_schema(url: str) -> None:
    """Empty the bench database (every table, alembic's record too)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def app_settings(url: str, **extra) -> dict:
    return dict(get_appsettings(TESTING_INI), **{"sqlalchemy.url": url}, **extra)


@contextmanager
def serve(app, threads: int):
    """The WSGI app on a free loopback port, served by waitress from a background thread."""
    server = create_server(app, host="127.0.0.1", port=0, threads=threads,
                           connection_limit=max(100, threads * 4), channel_timeout=60)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        server.task_dispatcher.shutdown()


def in_client_process(function, *args):
    """Run `function(*args)` in a fresh process (spawned: no copy of the server's threads)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def percentile(values, p: float) -> float:
    """The p-th percentile (nearest rank) of `values`; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def connection(base_url: str) -> http.client.HTTPConnection:
    parts = urlsplit(base_url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)


def hammer(base_url: str, path: str, clients: int, seconds: float, headers: dict | None = None) -> dict:
    """`clients` keep-alive connections GET `path` as fast as they can for `seconds`.

    Returns the 200 responses' latencies (seconds), the time taken and the count of any
    other status. Meant to run in the client process.
    """
    clock = [0.0, 0.0]  # start, stop

    def start_signal():  # run by the last thread to arrive, before any is released
        clock[:] = [time.perf_counter(), time.perf_counter() + seconds]

    barrier = threading.Barrier(clients, action=start_signal)
    results = [None] * clients

    def client(index):
        conn = connection(base_url)
        latencies, other = [], {}
        barrier.wait()
        while True:
            start = time.perf_counter()
            if start >= clock[1]:
                break
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                latencies.append(time.perf_counter() - start)
            else:
                other[response.status] = other.get(response.status, 0) + 1
        conn.close()
        results[index] = (latencies, other)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other = {}
    for _, counts in results:
        for status, count in counts.items():
            other[status] = other.get(status, 0) + count
    return {"latencies": [x for lat, _ in results for x in lat], "seconds": time.perf_counter() - clock[0],
            "other_statuses": other}


def summarize(slices: list[dict]) -> dict:
    """Several `hammer` runs of one URL: the median of their rates, latency percentiles of all."""
    rates = [len(s["latencies"]) / s["seconds"] for s in slices]
    latencies = [x for s in slices for x in s["latencies"]]
    other = {}
    for s in slices:
        for status, count in s["other_statuses"].items():
            other[status] = other.get(status, 0) + count
    return {
        "requests_per_s": statistics.median(rates),
        "spread": (max(rates) - min(rates)) / statistics.median(rates) if rates and min(rates) else math.nan,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "ok": len(latencies),
        "other_statuses": other,
    }


def json_line(figures: dict) -> None:
    """The last line of every bench: its figures, for scripts to read."""
    print(json.dumps(figures, sort_keys=True))
