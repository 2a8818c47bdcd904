"""Month availability for an experience: close to a bare Pyramid view's throughput on the
same server, and flat from 10 thousand to 1 million sessions in the database.

Run: .venv/bin/python bench/availability.py [--clients 8] [--seconds 5] [--sizes 10000 1000000]
     [--cache-seconds 5]   (as production.ini: answers may be 5 s old; default 0, no cache)

The experience under test runs twice a day, so a month holds ~60 sessions, with confirmed
bookings, live holds and expired holds (still counted in `seats_held`, so the expired-hold
subquery has work to do) and a closed day. A thousand other experiences get the rest of the
sessions (and a booking on every fourth), generated in SQL, at each size in turn. The real
app and an extra bare view (`Response("ok")`) run under waitress; HTTP clients in another
process GET one, then the other, in short turns (so a slow moment of a shared machine hits
both alike). Prints requests/s, the ratio availability/bare at each size, how far the ratio
moved, SQL statements per request, and the availability query's plan on the largest size.
Ends with one JSON line of the figures.

Uses its own database (BENCH_DATABASE_URL, default langviet_bench), rebuilt each run.
"""
import argparse
import json
import logging
import time
import urllib.request
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import transaction
from pyramid.response import Response
from sqlalchemy import event

from _common import (app_settings, bench_url, drop_schema, fresh_database, hammer, in_client_process, json_line,
                     serve, summarize)
from tests.factories import make_experience, make_village
from tourism import configure
from tourism.db import get_engine, get_session_factory, get_tm_session

VILLAGE_TZ = "Asia/Ho_Chi_Minh"
OTHER_EXPERIENCES = 1000
BARE = "/bench/bare"


def bare(request):
    return Response("ok")


# --- data ----------------------------------------------------------------------------------

def create_catalog(url: str) -> dict:
    """The experience under test (through the factories) and its village."""
    engine = get_engine({"sqlalchemy.url": url})
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        dbsession = get_tm_session(get_session_factory(engine), manager)
        village = make_village(dbsession, slug="bat-trang", time_zone=VILLAGE_TZ)
        experience = make_experience(dbsession, village, slug="gom-bat-trang", max_party=8)
    engine.dispose()
    return {"village": village.id, "experience": experience.id, "slug": experience.slug}


SESSION_COLUMNS = ("experience_id, starts_at, ends_at, capacity, seats_booked, seats_held, status, "
                   "is_one_off, ever_booked")
BOOKING_COLUMNS = ("reference, experience_id, session_id, status, seats, total_amount, currency, contact_name, "
                   "contact_email, contact_phone, contact_country, locale, hold_expires_at, channel")


def book_in_sql(conn, where: str, params: dict, *, seats: int, status: str, tag: str, expires: str = "NULL"):
    """Take `seats` on every session matching `where` and write the matching bookings.

    Both in one statement, so the counters always agree with the bookings.
    """
    column = "seats_booked" if status == "confirmed" else "seats_held"
    conn.execute(sa.text(f"""
        WITH taken AS (
            UPDATE experience_sessions s SET {column} = {column} + {seats}, ever_booked = true
            WHERE {where} RETURNING s.id, s.experience_id)
        INSERT INTO bookings ({BOOKING_COLUMNS})
        SELECT '{tag}' || lpad(id::text, 10, '0'), experience_id, id, '{status}', {seats}, {seats} * 300000, 'VND',
               'Khách Thử', 'guest' || id || '@example.com', '+84 912 345 678', 'VN', 'vi', {expires}, 'web'
        FROM taken"""), params)


def experience_schedule(conn, experience_id: int, today: date, month: tuple[date, date]) -> None:
    """08:00 and 14:00 every day from a month ago to a year ahead, with bookings in the month."""
    conn.execute(sa.text(f"""
        INSERT INTO experience_sessions ({SESSION_COLUMNS})
        SELECT :id, (d::date + t) AT TIME ZONE :tz, (d::date + t + interval '2 hours') AT TIME ZONE :tz, 12, 0, 0,
               'open', false, false
        FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day') AS d,
             (VALUES (time '08:00'), (time '14:00')) AS slot(t)"""),
        {"id": experience_id, "tz": VILLAGE_TZ, "first": today - timedelta(days=30),
         "last": today + timedelta(days=400)})
    in_month = ("s.experience_id = :id AND s.starts_at >= CAST(:first AS date) AT TIME ZONE :tz "
                "AND s.starts_at < (CAST(:last AS date) + 1) AT TIME ZONE :tz")
    params = {"id": experience_id, "tz": VILLAGE_TZ, "first": month[0], "last": month[1]}
    book_in_sql(conn, in_month + " AND s.id % 3 = 0", params, seats=2, status="confirmed", tag="C")
    book_in_sql(conn, in_month + " AND s.id % 5 = 1", params, seats=3, status="held", tag="E",
                expires="now() - interval '20 minutes'")
    book_in_sql(conn, in_month + " AND s.id % 11 = 2", params, seats=1, status="held", tag="H",
                expires="now() + interval '10 minutes'")
    book_in_sql(conn, in_month + " AND extract(day FROM s.starts_at AT TIME ZONE :tz) = 20 "
                "AND s.seats_booked + s.seats_held + 10 <= s.capacity", params,
                seats=10, status="confirmed", tag="F")  # nearly full on the 20th
    closure = conn.scalar(sa.text(
        "INSERT INTO closures (experience_id, starts_on, ends_on, reason) "
        "VALUES (:id, :day, :day, 'Lò nung đang đốt') RETURNING id"),
        {"id": experience_id, "day": month[0] + timedelta(days=9)})
    conn.execute(sa.text(
        "UPDATE experience_sessions SET closure_id = :closure WHERE experience_id = :id "
        "AND (starts_at AT TIME ZONE :tz)::date = :day"),
        {"closure": closure, "id": experience_id, "tz": VILLAGE_TZ, "day": month[0] + timedelta(days=9)})


def other_experiences(conn, template_id: int) -> int:
    """OTHER_EXPERIENCES copies of the experience under test; returns the first new id."""
    columns = [c.name for c in sa.Table("experiences", sa.MetaData(), autoload_with=conn).columns
               if c.name not in ("id", "slug")]
    listed = ", ".join(columns)
    first = conn.scalar(sa.text("SELECT max(id) + 1 FROM experiences"))
    conn.execute(sa.text(f"""
        INSERT INTO experiences (id, slug, {listed})
        SELECT :first + g, 'khac-' || g, {listed}
        FROM experiences, generate_series(0, :n - 1) AS g WHERE experiences.id = :template"""),
        {"first": first, "n": OTHER_EXPERIENCES, "template": template_id})
    conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('experiences', 'id'), :last)"),
                 {"last": first + OTHER_EXPERIENCES - 1})
    return first


def grow_sessions(conn, first_experience: int, today: date, total: int) -> None:
    """Add other experiences' sessions (twice a day, from 250 days ago) until there are `total`.

    The i-th generated session belongs to experience i mod OTHER_EXPERIENCES, so each
    experience gets consecutive half-days and calling again continues where it stopped.
    """
    have = conn.scalar(sa.text("SELECT count(*) FROM experience_sessions"))
    done = conn.scalar(sa.text("SELECT count(*) FROM experience_sessions WHERE experience_id >= :first"),
                       {"first": first_experience})
    if total <= have:
        return
    newest = conn.scalar(sa.text("SELECT coalesce(max(id), 0) FROM experience_sessions"))
    conn.execute(sa.text(f"""
        INSERT INTO experience_sessions ({SESSION_COLUMNS})
        SELECT :first + g % :n, CAST(:base AS timestamptz) + (g / :n) * interval '12 hours',
               CAST(:base AS timestamptz) + (g / :n) * interval '12 hours' + interval '2 hours', 12,
               0, 0, CASE WHEN g % 97 = 0 THEN 'cancelled' ELSE 'open' END, false, false
        FROM generate_series(:done, :done + :add - 1) AS g"""),
        {"first": first_experience, "n": OTHER_EXPERIENCES, "base": datetime.combine(
            today - timedelta(days=250), datetime.min.time(), ZoneInfo(VILLAGE_TZ)),
         "done": done, "add": total - have})
    newer = {"newest": newest, "first": first_experience}
    others = "s.id > :newest AND s.experience_id >= :first AND s.status = 'open'"
    book_in_sql(conn, others + " AND s.id % 4 = 0", newer, seats=2, status="confirmed", tag="K")
    book_in_sql(conn, others + " AND s.id % 50 = 1", newer,
                seats=1, status="held", tag="X", expires="now() - interval '1 hour'")


def settle(url: str) -> None:
    """VACUUM ANALYZE after a load, as autovacuum would in time, then a checkpoint."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("VACUUM (ANALYZE) experience_sessions, bookings, experiences, closures"))
        # Write the load's dirty pages now, not while we measure (needs a superuser; else skipped).
        try:
            conn.execute(sa.text("CHECKPOINT"))
        except sa.exc.DBAPIError:
            pass
    engine.dispose()


def expected_seats_left(conn, experience_id: int, month: tuple[date, date]) -> int:
    """Seats left over the month by the rule, from the bookings: live holds count, expired don't."""
    return conn.scalar(sa.text("""
        SELECT coalesce(sum(greatest(s.capacity - coalesce(b.taken, 0), 0)), 0)
        FROM experience_sessions s
        LEFT JOIN (SELECT session_id, sum(seats) AS taken FROM bookings
                   WHERE status = 'confirmed' OR (status = 'held' AND hold_expires_at > now())
                   GROUP BY session_id) b ON b.session_id = s.id
        WHERE s.experience_id = :id AND s.starts_at >= CAST(:first AS date) AT TIME ZONE :tz
          AND s.starts_at < (CAST(:last AS date) + 1) AT TIME ZONE :tz"""),
        {"id": experience_id, "first": month[0], "last": month[1], "tz": VILLAGE_TZ})


# --- measuring -------------------------------------------------------------------------------

def measure(base_url: str, paths: dict, clients: int, seconds: float, slices: int) -> dict:
    """In the client process: warm each path up, then hammer each for `seconds` in all,
    taking turns in `slices` slices so that a slow moment of the machine hits both alike."""
    for path in paths.values():
        hammer(base_url, path, clients, 1.0)
    runs = {name: [] for name in paths}
    for _ in range(slices):
        for name, path in paths.items():
            runs[name].append(hammer(base_url, path, clients, seconds / slices))
    return {name: summarize(slices) for name, slices in runs.items()}


class StatementLog:
    """Counts the app's SQL statements and keeps the last availability query with its parameters."""

    def __init__(self, engine):
        self.count = 0
        self.availability = None
        event.listen(engine, "before_cursor_execute", self.seen)

    def seen(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        if "FROM experience_sessions LEFT OUTER JOIN closures" in statement:
            self.availability = (statement, parameters)


def explain(url: str, query) -> tuple[str, float]:
    """EXPLAIN (ANALYZE, BUFFERS) of the captured query: the plan and its execution time (ms)."""
    statement, parameters = query
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql(statement, parameters).all()  # warm, like the server's cache
        lines = [row[0] for row in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)]
    engine.dispose()
    executed = next((float(line.split()[2]) for line in lines if line.startswith("Execution Time")), float("nan"))
    return "\n".join(lines), executed


def label(count: int) -> str:
    """10000 → "10k", 1000000 → "1m": figure names in the JSON line."""
    if count >= 1_000_000 and count % 1_000_000 == 0:
        return f"{count // 1_000_000}m"
    return f"{count // 1000}k" if count % 1000 == 0 else str(count)


def next_month(today: date) -> tuple[date, date]:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients (default 8)")
    parser.add_argument("--threads", type=int, help="waitress threads and pooled connections (default: clients)")
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring time per URL and size (default 5)")
    parser.add_argument("--slices", type=int, default=10, help="turns the two URLs take (default 10)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000],
                        help="total sessions in the database, measured in turn (default 10000 1000000)")
    parser.add_argument("--keep", action="store_true", help="leave the bench database filled")
    parser.add_argument("--cache-seconds", type=float, default=0,
                        help="tourism.availability_cache_seconds (default 0: every request does the "
                             "work; production.ini uses 5)")
    args = parser.parse_args()
    threads = args.threads or args.clients
    url = bench_url()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    fresh_database(url)
    ids = create_catalog(url)
    today = datetime.now(ZoneInfo(VILLAGE_TZ)).date()
    month = next_month(today)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        experience_schedule(conn, ids["experience"], today, month)
        first_other = other_experiences(conn, ids["experience"])

    config = configure(app_settings(url, **{"sqlalchemy.pool_size": str(threads),
                                            "tourism.availability_cache_seconds": str(args.cache_seconds)}))
    config.add_route("bench.bare", BARE)
    config.add_view(bare, route_name="bench.bare")
    app = config.make_wsgi_app()
    statements = StatementLog(app.registry["db.engine"])
    path = f"/api/experiences/{ids['slug']}/availability?from={month[0]}&to={month[1]}"
    paths = {"bare": BARE, "availability": path}

    sizes, plan = [], None
    with serve(app, threads) as base_url:
        for total in args.sizes:
            began = time.perf_counter()
            with engine.begin() as conn:
                grow_sessions(conn, first_other, today, total)
            settle(url)
            loaded = time.perf_counter() - began
            with engine.connect() as conn:
                counted = conn.scalar(sa.text("SELECT count(*) FROM experience_sessions"))
                bookings = conn.scalar(sa.text("SELECT count(*) FROM bookings"))
                expected = expected_seats_left(conn, ids["experience"], month)
            for _ in range(2):  # the second one's statements are counted
                before = statements.count
                with urllib.request.urlopen(base_url + path) as response:
                    body = json.load(response)
            per_request = statements.count - before
            got = sum(s["seatsLeft"] for s in body["sessions"])

            measured = in_client_process(measure, base_url, paths, args.clients, args.seconds, args.slices)
            query_plan, query_ms = explain(url, statements.availability)
            sizes.append({
                "label": label(total), "sessions": counted, "bookings": bookings, "load_seconds": loaded,
                "month_sessions": len(body["sessions"]), "seats_left": got, "seats_left_expected": expected,
                "bare": measured["bare"], "availability": measured["availability"],
                "statements_per_request": per_request,
                "query_ms": query_ms,
            })
            plan = query_plan
    app.registry["db.engine"].dispose()
    engine.dispose()
    if not args.keep:
        drop_schema(url)

    print(f"Month availability ({month[0]} to {month[1]}), {args.clients} clients, {threads} waitress threads, "
          f"{args.seconds:g} s per URL")
    print(f"{'sessions':>10} {'bookings':>9} {'bare req/s':>11} {'avail req/s':>12} {'ratio':>6} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'SQL/req':>8} {'query ms':>9} {'load s':>7} {'spread':>7}")
    for size in sizes:
        ratio = size["availability"]["requests_per_s"] / size["bare"]["requests_per_s"]
        size["ratio"] = ratio
        print(f"{size['sessions']:>10} {size['bookings']:>9} {size['bare']['requests_per_s']:>11.0f} "
              f"{size['availability']['requests_per_s']:>12.0f} {ratio:>6.3f} "
              f"{size['availability']['p50_ms']:>7.1f} {size['availability']['p99_ms']:>7.1f} "
              f"{size['statements_per_request']:>8} {size['query_ms']:>9.2f} {size['load_seconds']:>7.1f} "
              f"{size['availability']['spread']:>6.0%}")
    for size in sizes:
        check = "ok" if size["seats_left"] == size["seats_left_expected"] else "WRONG"
        print(f"  at {size['sessions']} sessions: the month has {size['month_sessions']} sessions, "
              f"{size['seats_left']} seats left (expected {size['seats_left_expected']} with expired holds "
              f"not counted: {check})")
        for name in ("bare", "availability"):
            if size[name]["other_statuses"]:
                print(f"  ! {name}: non-200 responses {size[name]['other_statuses']}")
    first, last = sizes[0], sizes[-1]
    moved = last["ratio"] / first["ratio"]
    alone = last["availability"]["requests_per_s"] / first["availability"]["requests_per_s"]
    print(f"From {first['sessions']} to {last['sessions']} sessions the ratio moved ×{moved:.3f} "
          f"(availability alone ×{alone:.3f})")
    print("(req/s: median of the slices; spread: how far the availability slices' rates ranged, "
          "relative to it; query ms: EXPLAIN ANALYZE of the main availability query)")
    print(f"\nAvailability query on {last['sessions']} sessions:\n{plan}")

    figures = {"clients": args.clients, "server_threads": threads, "seconds": args.seconds,
               "month_sessions": last["month_sessions"], "ratio_moved": round(moved, 3),
               "seats_left_correct": all(s["seats_left"] == s["seats_left_expected"] for s in sizes),
               "errors": sum(sum(s[name]["other_statuses"].values())
                             for s in sizes for name in ("bare", "availability"))}
    for size in sizes:
        key = size["label"]
        figures.update({
            f"bare_rps_{key}": round(size["bare"]["requests_per_s"], 1),
            f"availability_rps_{key}": round(size["availability"]["requests_per_s"], 1),
            f"ratio_{key}": round(size["ratio"], 3),
            f"availability_p50_ms_{key}": round(size["availability"]["p50_ms"], 2),
            f"availability_p99_ms_{key}": round(size["availability"]["p99_ms"], 2),
            f"statements_per_request_{key}": size["statements_per_request"],
            f"query_ms_{key}": round(size["query_ms"], 3),
            f"load_seconds_{key}": round(size["load_seconds"], 1),
        })
    json_line(figures)


if __name__ == "__main__":
    main()
