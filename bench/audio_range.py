"""Audio served with HTTP Range at close to static-file speed (DESIGN's performance budgets).

Run: .venv/bin/python bench/audio_range.py [--clients 8] [--threads 8] [--seconds 6] [--slices 6]
     [--megabytes 3] [--chunk-kib 64]

A generated track (random bytes: the server never parses audio) goes into a temporary media
store. The real app serves it at /media/<key> under waitress, from this process; a plain
static file server serves the very same file from another process. HTTP clients in a third
process, each on one keep-alive connection, ask both for random 64 KiB ranges, in turns
(so a slow moment of a shared machine hits both alike), and check every answer is a 206
with exactly the right bytes. Prints requests/s, MB/s and latencies for each server and the
ratio app/static. A third server, a bare WSGI function under the same waitress settings
(`--bare`), tells how much of any gap is waitress and how much is Pyramid's request path.
Ends with one JSON line of the figures.

The static server is Python's `http.server` (SimpleHTTPRequestHandler, threaded, as
`python -m http.server`), with HTTP/1.1 keep-alive and single byte ranges added, because
the stock handler ignores Range and would send the whole file to every request. No
database is needed: the app gets a temporary SQLite URL it never opens for media.
"""
import argparse
import logging
import os
import random
import re
import statistics
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import get_context
from pathlib import Path

from _common import app_settings, connection, in_client_process, json_line, percentile, serve

from tourism import make_app
from tourism.media import MEDIA_DIR_SETTING, MediaStore

MIB = 1024 * 1024


# --- the static file server ------------------------------------------------------------------

class RangeFileHandler(SimpleHTTPRequestHandler):
    """`python -m http.server`'s handler, with keep-alive and one byte range per request."""

    protocol_version = "HTTP/1.1"  # the stock HTTP/1.0 closes every connection: unfair to it

    def log_message(self, *args):
        pass

    def do_GET(self):
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if match is None:
            return super().do_GET()
        path = self.translate_path(self.path)
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            start = int(match[1])
            stop = min(int(match[2]) + 1 if match[2] else size, size)
            self.send_response(206)
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Content-Range", f"bytes {start}-{stop - 1}/{size}")
            self.send_header("Content-Length", str(stop - start))
            self.end_headers()
            file.seek(start)
            self.wfile.write(file.read(stop - start))


def static_server(root: str, ports) -> None:
    """In its own process: serve `root` on a free loopback port, told back through `ports`."""
    handler = lambda *args: RangeFileHandler(*args, directory=root)  # noqa: E731
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ports.put(server.server_address[1])
    server.serve_forever()


def bare_wsgi(root: str):
    """The least a WSGI app can do for a range: no routing, no tweens, no checks."""
    def app(environ, start_response):
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", environ.get("HTTP_RANGE", ""))
        with open(root + environ["PATH_INFO"], "rb") as file:
            size = os.fstat(file.fileno()).st_size
            start, stop = int(match[1]), min(int(match[2]) + 1, size)
            file.seek(start)
            body = file.read(stop - start)
        start_response("206 Partial Content", [("Content-Type", "audio/mpeg"), ("Content-Length", str(len(body))),
                                               ("Content-Range", f"bytes {start}-{stop - 1}/{size}")])
        return [body]
    return app


# --- the clients -----------------------------------------------------------------------------

def hammer_ranges(base_url: str, path: str, track: str, clients: int, seconds: float, chunk: int) -> dict:
    """`clients` keep-alive connections ask for random `chunk`-byte ranges of `path` for `seconds`.

    Every answer is checked against the track's bytes: a wrong status or body is counted,
    not timed. Meant to run in the client process.
    """
    data = Path(track).read_bytes()
    size = len(data)
    clock = [0.0, 0.0]

    def start_signal():
        clock[:] = [time.perf_counter(), time.perf_counter() + seconds]

    barrier = threading.Barrier(clients, action=start_signal)
    results = [None] * clients

    def client(index):
        rng = random.Random(index)
        conn = connection(base_url)
        latencies, wrong = [], 0
        barrier.wait()
        while True:
            began = time.perf_counter()
            if began >= clock[1]:
                break
            start = rng.randrange(0, size - chunk + 1)
            conn.request("GET", path, headers={"Range": f"bytes={start}-{start + chunk - 1}"})
            response = conn.getresponse()
            body = response.read()
            if response.status == 206 and body == data[start:start + chunk]:
                latencies.append(time.perf_counter() - began)
            else:
                wrong += 1
        conn.close()
        results[index] = (latencies, wrong)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"latencies": [x for lat, _ in results for x in lat], "wrong": sum(w for _, w in results),
            "seconds": time.perf_counter() - clock[0]}


def measure(servers: dict, track: str, clients: int, seconds: float, slices: int, chunk: int) -> dict:
    """In the client process: warm each server up, then take turns in `slices` slices."""
    for base_url, path in servers.values():
        hammer_ranges(base_url, path, track, clients, 1.0, chunk)
    runs = {name: [] for name in servers}
    for _ in range(slices):
        for name, (base_url, path) in servers.items():
            runs[name].append(hammer_ranges(base_url, path, track, clients, seconds / slices, chunk))
    figures = {}
    for name, slices_run in runs.items():
        rates = [len(s["latencies"]) / s["seconds"] for s in slices_run]
        latencies = [x for s in slices_run for x in s["latencies"]]
        rate = statistics.median(rates)
        figures[name] = {
            "requests_per_s": rate,
            "mb_per_s": rate * chunk / 1e6,
            "spread": (max(rates) - min(rates)) / rate if rate else float("nan"),
            "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000,
            "ok": len(latencies),
            "wrong": sum(s["wrong"] for s in slices_run),
        }
    return figures


def whole_file(base_url: str, path: str) -> bytes:
    conn = connection(base_url)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"{base_url}{path}: {response.status} {response.reason}")
    return body


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients (default 8)")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (default 8, as production.ini)")
    parser.add_argument("--seconds", type=float, default=6.0, help="measuring time per server (default 6)")
    parser.add_argument("--slices", type=int, default=6, help="turns the two servers take (default 6)")
    parser.add_argument("--megabytes", type=float, default=3.0, help="size of the track in MiB (default 3)")
    parser.add_argument("--chunk-kib", type=int, default=64, help="size of each range in KiB (default 64)")
    parser.add_argument("--bare", action="store_true", help="also measure a bare WSGI function under waitress")
    args = parser.parse_args()
    chunk = args.chunk_kib * 1024
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    with tempfile.TemporaryDirectory(prefix="langviet-audio-bench-") as tmp:
        media_dir = Path(tmp) / "media"
        data = random.Random(2024).randbytes(int(args.megabytes * MIB))
        key = MediaStore(media_dir).put(data, "mp3")
        track = str(MediaStore(media_dir).path(key))

        # make_app, as `pserve` builds it: the media fast path in front of Pyramid.
        app = make_app(app_settings(f"sqlite:///{tmp}/unused.sqlite",
                                    **{MEDIA_DIR_SETTING: str(media_dir)}))
        context = get_context("spawn")
        ports = context.Queue()
        static = context.Process(target=static_server, args=(str(media_dir), ports), daemon=True)
        static.start()
        try:
            static_url = f"http://127.0.0.1:{ports.get(timeout=30)}"
            with serve(app, args.threads) as app_url, serve(bare_wsgi(str(media_dir)), args.threads) as bare_url:
                servers = {"app": (app_url, f"/media/{key}"), "static": (static_url, f"/{key[:2]}/{key}")}
                for name, (base_url, path) in servers.items():
                    if whole_file(base_url, path) != data:
                        raise SystemExit(f"{name} does not serve the track's bytes")
                if args.bare:
                    servers["bare"] = (bare_url, f"/{key[:2]}/{key}")
                print(f"track: {len(data) / MIB:.1f} MiB; {args.clients} clients, random {args.chunk_kib} KiB "
                      f"ranges; app under waitress ({args.threads} threads), static: threaded http.server")
                figures = in_client_process(measure, servers, track, args.clients, args.seconds, args.slices, chunk)
        finally:
            static.terminate()
            static.join(timeout=10)
        app.registry["db.engine"].dispose()

    for name, f in figures.items():
        print(f"{name:>6}: {f['requests_per_s']:8.0f} requests/s  {f['mb_per_s']:7.1f} MB/s  "
              f"p50 {f['p50_ms']:.2f} ms  p99 {f['p99_ms']:.2f} ms  (spread {f['spread']:.0%}, "
              f"{f['ok']} right, {f['wrong']} wrong)")
    ratio = figures["app"]["requests_per_s"] / figures["static"]["requests_per_s"]
    print(f"app/static: {ratio:.2f} (budget: close to static-file speed)")
    if args.bare:
        print(f"app/bare waitress: {figures['app']['requests_per_s'] / figures['bare']['requests_per_s']:.2f}, "
              f"bare waitress/static: {figures['bare']['requests_per_s'] / figures['static']['requests_per_s']:.2f}")

    json_line({
        "bench": "audio_range",
        "track_mib": round(len(data) / MIB, 2),
        "chunk_kib": args.chunk_kib,
        "clients": args.clients,
        "threads": args.threads,
        **{f"{name}_{figure}": round(value, 2) for name, f in figures.items() for figure, value in f.items()},
        "ratio_app_static": round(ratio, 3),
    })


if __name__ == "__main__":
    main()
