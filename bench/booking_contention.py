"""Booking the last seats of one session: exactly `capacity` seats sold however many clients
race, at a throughput close to what PostgreSQL itself allows on one hot row.

Run: .venv/bin/python bench/booking_contention.py [--clients 32] [--capacity 200] [--rounds 3]

The real app runs under waitress; `--clients` HTTP clients (threads in a separate process,
each with its own cookie jar and keep-alive connection) first GET the booking page for its
session cookie, CSRF token and form key, then race to POST bookings of 1–2 seats until the
session is sold out. A refusal is the ordinary 400 form page ("Only N seats are left",
"sold out"); anything else counts as an error. Only the POSTs are timed: after the first,
a client makes its own form key (a random token, as the page would) instead of a GET.
Seats sold and any overbooking are read back from the database.

Then the same number of connections run PostgreSQL's side of it alone: the conditional
UPDATE of one hot session row, one transaction each, from Python (psycopg) and, when
installed, pgbench. Ends with one JSON line of the figures.

Uses its own database (BENCH_DATABASE_URL, default langviet_bench), rebuilt each run.
"""
import argparse
import http.client
import logging
import os
import random
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import psycopg
import sqlalchemy as sa
import transaction

from _common import (app_settings, bench_url, connection, drop_schema, fresh_database, in_client_process,
                     json_line, percentile, serve)
from tests.factories import make_experience, make_session, make_village
from tourism import configure
from tourism.db import get_engine, get_session_factory, get_tm_session

HOT_ROW_UPDATE = ("UPDATE experience_sessions SET seats_held = seats_held + 1 "
                  "WHERE id = %s AND seats_booked + seats_held + 1 <= capacity")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_KEY_FIELD = re.compile(r'name="form_key" value="([^"]+)"')
SEATS_LEFT = re.compile(r"Only (\d+) seats are left")
MAX_CONSECUTIVE_ERRORS = 5


# --- setup ----------------------------------------------------------------------------

def create_sessions(url: str, capacity: int, rounds: int, clients: int) -> dict:
    """One village and experience; a session per round, the control's sessions, a warm-up
    session and the scratch hot row."""
    engine = get_engine({"sqlalchemy.url": url})
    manager = transaction.TransactionManager(explicit=True)
    starts = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(days=3)
    with manager:
        dbsession = get_tm_session(get_session_factory(engine), manager)
        village = make_village(dbsession, slug="lang-ghe-cuoi")
        experience = make_experience(dbsession, village, slug="ghe-cuoi-cung", max_party=4)
        race = [make_session(dbsession, experience, starts + timedelta(hours=3 * i), capacity=capacity).id
                for i in range(rounds)]
        # The control: the same seats spread over one session per client, so no row is hot.
        share = -(-capacity // clients)
        apart = [make_session(dbsession, experience, starts + timedelta(days=10, hours=i), capacity=share).id
                 for i in range(clients)]
        warmup = make_session(dbsession, experience, starts - timedelta(hours=3),
                              capacity=clients * 2 * (rounds + 1)).id
        scratch = make_session(dbsession, experience, starts + timedelta(days=30), capacity=2_000_000_000).id
    engine.dispose()
    return {"race": race, "apart": apart, "warmup": warmup, "scratch": scratch}


def seats_in_database(url: str, session_id: int) -> dict:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        capacity, booked, held = conn.execute(
            sa.text("SELECT capacity, seats_booked, seats_held FROM experience_sessions WHERE id = :id"),
            {"id": session_id}).one()
        bookings, seats = conn.execute(
            sa.text("SELECT count(*), coalesce(sum(seats), 0) FROM bookings "
                    "WHERE session_id = :id AND status IN ('held', 'confirmed')"),
            {"id": session_id}).one()
    engine.dispose()
    return {"capacity": capacity, "counters": booked + held, "bookings": bookings, "seats": seats}


# --- the HTTP race (runs in the client process) ------------------------------------------

class Browser:
    """One visitor: a keep-alive connection and a cookie jar, English pages."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.conn = connection(base_url)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = connection(self.base_url)
            return 0, ""
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.coded_value
        return response.status, text


def booking_form(csrf: str, form_key: str, seats: int, index: int) -> dict:
    return {
        "csrf_token": csrf, "form_key": form_key, "tier_adult": str(seats), "tier_child": "0",
        "name": f"Khách Thử {index}", "email": f"client{index}@example.com", "phone": "+84 912 345 678",
        "country": "VN", "language": "en",
    }


def race(base_url: str, session_ids: list[int], warmup_id: int, clients: int, seed: int) -> dict:
    """Every client books 1–2 seats at a time until its session is sold out (client i races
    for session_ids[i % len(session_ids)]: one id makes them all race for the same row).

    Returns each POST as (outcome, seats, latency seconds, seconds since the start) and the
    setup failures, if any.
    """
    start = [0.0, 0.0]  # perf_counter(), monotonic() at the start signal

    def start_signal():  # run by the last thread to arrive, before any is released
        start[:] = [time.perf_counter(), time.monotonic()]

    barrier = threading.Barrier(clients, action=start_signal)
    posts: list[list] = [[] for _ in range(clients)]
    setup_errors: list[str] = []

    def client(index):
        rng = random.Random(seed + index)
        session_id = session_ids[index % len(session_ids)]
        browser = Browser(base_url)
        try:
            # Warm this thread's connection, the templates and SQLAlchemy's caches on a
            # session of its own, then fetch the page of the session to race for.
            status, page = browser.request("GET", f"/book/{warmup_id}")
            csrf = CSRF_FIELD.search(page).group(1)
            status, _ = browser.request("POST", f"/book/{warmup_id}",
                                        booking_form(csrf, secrets.token_urlsafe(24), 1, index))
            if status != 303:
                raise RuntimeError(f"warm-up booking answered {status}")
            status, page = browser.request("GET", f"/book/{session_id}")
            csrf = CSRF_FIELD.search(page).group(1)
            form_key = FORM_KEY_FIELD.search(page).group(1)
        except Exception as error:  # reported, and this client sits the race out
            setup_errors.append(f"client {index}: {error!r}")
            barrier.wait()
            return
        barrier.wait()
        most, errors_in_a_row = 2, 0
        while errors_in_a_row < MAX_CONSECUTIVE_ERRORS:
            seats = min(rng.choice((1, 2)), most)
            began = time.perf_counter()
            status, page = browser.request("POST", f"/book/{session_id}", booking_form(csrf, form_key, seats, index))
            ended = time.perf_counter()
            form_key = secrets.token_urlsafe(24)
            if status == 303:
                outcome, errors_in_a_row = "booked", 0
            elif status == 400 and "sold out" in page:
                outcome = "sold_out"
            elif status == 400 and (left := SEATS_LEFT.search(page)):
                outcome, most = "too_few", int(left.group(1))
            else:
                outcome, errors_in_a_row = f"error {status}", errors_in_a_row + 1
            posts[index].append((outcome, seats, ended - began, ended - start[0]))
            if outcome == "sold_out":
                break

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"posts": [p for per_client in posts for p in per_client], "setup_errors": setup_errors,
            "started": start[1]}


class Backends:
    """Samples, every 20 ms, what the bench database's connections are doing.

    A transaction waiting for the hot row shows as a Lock wait; one holding it while our
    Python code works between two statements shows as "idle in transaction".
    """

    QUERY = ("SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), "
             "count(*) FILTER (WHERE state = 'idle in transaction'), "
             "count(*) FILTER (WHERE state = 'active' AND wait_event_type IS DISTINCT FROM 'Lock') "
             "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")

    def __init__(self, url: str):
        self.url = url
        self.samples: list[tuple[float, int, int, int]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        with psycopg.connect(libpq_url(self.url), autocommit=True) as conn:
            while not self.stopping.wait(0.02):
                self.samples.append((time.monotonic(), *conn.execute(self.QUERY).fetchone()))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()

    def means(self, begin: float, end: float) -> dict:
        """Mean counts between two time.monotonic() instants (system-wide: any process's)."""
        window = [sample[1:] for sample in self.samples if begin <= sample[0] <= end]
        n = len(window) or 1
        waiting, idle, active = (sum(column) / n for column in zip(*window)) if window else (0, 0, 0)
        return {"lock_waiting": round(waiting, 1), "idle_in_transaction": round(idle, 1),
                "active": round(active, 1)}


# --- PostgreSQL alone on one hot row ---------------------------------------------------------

def libpq_url(url: str) -> str:
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def hot_row_psycopg(url: str, row_id: int, clients: int, seconds: float) -> float:
    """Conditional UPDATEs per second of one row, `clients` autocommit connections."""
    clock = [0.0, 0.0]  # start, deadline

    def start_signal():
        clock[:] = [time.perf_counter(), time.perf_counter() + seconds]

    barrier = threading.Barrier(clients, action=start_signal)
    counts = [0] * clients

    def client(index):
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            conn.execute(HOT_ROW_UPDATE, (row_id,), prepare=True)  # prepare before the clock starts
            barrier.wait()
            done = 0
            while time.perf_counter() < clock[1]:
                done += conn.execute(HOT_ROW_UPDATE, (row_id,), prepare=True).rowcount
            counts[index] = done

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - clock[0])


def hot_row_pgbench(url: str, row_id: int, clients: int, seconds: int) -> float | None:
    """The same UPDATE from pgbench (no Python at all), or None when pgbench is missing."""
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        return None
    target = sa.engine.make_url(url)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(HOT_ROW_UPDATE.replace("%s", str(row_id)) + ";\n")
    env = dict(os.environ, PGPASSWORD=target.password or "")
    command = [pgbench, "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 1)),
               "-T", str(seconds), "-f", script.name, "-h", target.host or "localhost",
               "-p", str(target.port or 5432), "-U", target.username or "postgres", target.database]
    try:
        output = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    except subprocess.CalledProcessError as error:
        print(f"pgbench failed: {error.stderr.strip()}")
        return None
    finally:
        os.unlink(script.name)
    found = re.search(r"tps = ([\d.]+)", output)
    return float(found.group(1)) if found else None


def sell_out_time(result: dict) -> float:
    """Seconds from the start signal to the last successful booking."""
    return max((p[3] for p in result["posts"] if p[0] == "booked"), default=0.0)


# --- main ------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent HTTP clients (default 32)")
    parser.add_argument("--capacity", type=int, default=200, help="seats in the session (default 200)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="sessions raced for, one after another (default 3: steadier figures)")
    parser.add_argument("--threads", type=int, help="waitress threads and pooled connections (default: clients)")
    parser.add_argument("--pg-seconds", type=int, default=5, help="duration of each hot-row baseline")
    parser.add_argument("--keep", action="store_true", help="leave the bench database filled")
    args = parser.parse_args()
    threads = args.threads or args.clients
    url = bench_url()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" is the point here

    fresh_database(url)
    ids = create_sessions(url, args.capacity, args.rounds, args.clients)
    settings = app_settings(url, **{"sqlalchemy.pool_size": str(threads), "sqlalchemy.max_overflow": "4"})
    app = configure(settings).make_wsgi_app()

    rounds = []
    with serve(app, threads) as base_url:
        for number, session_id in enumerate(ids["race"]):
            with Backends(url) as backends:
                result = in_client_process(race, base_url, [session_id], ids["warmup"], args.clients, 1000 * number)
            result["db"] = seats_in_database(url, session_id)
            result["backends"] = backends.means(result["started"], result["started"] + sell_out_time(result))
            rounds.append(result)
        with Backends(url) as backends:
            control = in_client_process(race, base_url, ids["apart"], ids["warmup"], args.clients, 999_999)
        control["backends"] = backends.means(control["started"], control["started"] + sell_out_time(control))
    app.registry["db.engine"].dispose()

    pg_psycopg = hot_row_psycopg(url, ids["scratch"], args.clients, args.pg_seconds)
    pg_bench = hot_row_pgbench(url, ids["scratch"], args.clients, args.pg_seconds)
    if not args.keep:
        drop_schema(url)

    posts = [p for r in rounds for p in r["posts"]]
    booked = [p for p in posts if p[0] == "booked"]
    refused = [p for p in posts if p[0] in ("sold_out", "too_few")]
    errors = [p for p in posts if p[0].startswith("error")]
    sell_out = sum(sell_out_time(r) for r in rounds)
    bookings_per_s = len(booked) / sell_out if sell_out else 0.0
    seats_sold = sum(r["db"]["seats"] for r in rounds)
    overbooked = sum(max(r["db"]["seats"] - r["db"]["capacity"], 0) for r in rounds)
    counters_mismatch = sum(r["db"]["counters"] != r["db"]["seats"] for r in rounds)
    setup_errors = [e for r in rounds + [control] for e in r["setup_errors"]]
    control_booked = [p for p in control["posts"] if p[0] == "booked"]
    control_time = sell_out_time(control)
    control_per_s = len(control_booked) / control_time if control_time else 0.0
    errors += [p for p in control["posts"] if p[0].startswith("error")]
    hot_backends = {key: round(sum(r["backends"][key] for r in rounds) / len(rounds), 1)
                    for key in rounds[0]["backends"]}

    figures = {
        "clients": args.clients,
        "server_threads": threads,
        "capacity": args.capacity,
        "rounds": args.rounds,
        "bookings": len(booked),
        "seats_booked": seats_sold,
        "seats_expected": args.capacity * args.rounds,
        "overbooked": overbooked,
        "counter_mismatches": counters_mismatch,
        "refusals": len(refused),
        "errors": len(errors) + len(setup_errors),
        "sell_out_seconds": round(sell_out, 3),
        "bookings_per_s": round(bookings_per_s, 1),
        "post_p50_ms": round(percentile([p[2] for p in posts], 50) * 1000, 1),
        "post_p99_ms": round(percentile([p[2] for p in posts], 99) * 1000, 1),
        "booked_p50_ms": round(percentile([p[2] for p in booked], 50) * 1000, 1),
        "booked_p99_ms": round(percentile([p[2] for p in booked], 99) * 1000, 1),
        "refused_p50_ms": round(percentile([p[2] for p in refused], 50) * 1000, 1),
        "control_bookings_per_s": round(control_per_s, 1),
        "ratio_to_control": round(bookings_per_s / control_per_s, 3) if control_per_s else None,
        "control_booked_p50_ms": round(percentile([p[2] for p in control_booked], 50) * 1000, 1),
        "race_lock_waiting": hot_backends["lock_waiting"],
        "race_idle_in_transaction": hot_backends["idle_in_transaction"],
        "control_lock_waiting": control["backends"]["lock_waiting"],
        "control_idle_in_transaction": control["backends"]["idle_in_transaction"],
        "pg_hot_row_updates_per_s": round(pg_psycopg, 1),
        "pgbench_hot_row_updates_per_s": round(pg_bench, 1) if pg_bench else None,
        "ratio_to_pg": round(bookings_per_s / pg_psycopg, 3) if pg_psycopg else None,
        "ratio_to_pgbench": round(bookings_per_s / pg_bench, 3) if pg_bench else None,
    }

    print(f"Booking race: {args.clients} clients, {threads} waitress threads, "
          f"{args.rounds} session(s) of {args.capacity} seats")
    for number, r in enumerate(rounds, 1):
        db = r["db"]
        print(f"  round {number}: {db['bookings']} bookings, {db['seats']} seats of {db['capacity']} "
              f"(counters say {db['counters']})")
    print(f"  seats booked           {seats_sold} (expected {args.capacity * args.rounds}), overbooked {overbooked}")
    print(f"  bookings               {len(booked)} in {sell_out:.2f} s = {bookings_per_s:.1f} bookings/s")
    print(f"  refusals               {len(refused)} (sold out / too few seats left), errors {figures['errors']}")
    print(f"  POST latency           p50 {figures['post_p50_ms']} ms, p99 {figures['post_p99_ms']} ms "
          f"(successful: p50 {figures['booked_p50_ms']} ms, p99 {figures['booked_p99_ms']} ms)")
    print(f"  PostgreSQL meanwhile   on average {hot_backends['lock_waiting']} transactions waiting for a lock, "
          f"{hot_backends['idle_in_transaction']} idle in transaction (waiting on Python), "
          f"{hot_backends['active']} running")
    for message in setup_errors + sorted({p[0] for p in errors}):
        print(f"  ! {message}")
    print("Control, the same clients each on a session of its own (no hot row):")
    print(f"  bookings               {len(control_booked)} in {control_time:.2f} s = {control_per_s:.1f} bookings/s, "
          f"p50 {figures['control_booked_p50_ms']} ms → the hot row leaves {figures['ratio_to_control']} of it")
    print(f"  PostgreSQL meanwhile   on average {control['backends']['lock_waiting']} waiting for a lock, "
          f"{control['backends']['idle_in_transaction']} idle in transaction, {control['backends']['active']} running")
    print(f"PostgreSQL alone, one hot row, {args.clients} connections, one UPDATE per transaction:")
    print(f"  psycopg loop           {pg_psycopg:.0f} updates/s → bookings at {figures['ratio_to_pg']} of it")
    if pg_bench:
        print(f"  pgbench                {pg_bench:.0f} updates/s → bookings at {figures['ratio_to_pgbench']} of it")
    json_line(figures)


if __name__ == "__main__":
    main()
