"""PDF tickets per second, and the time for a 500-guest manifest (DESIGN: "a PDF ticket in
well under 50 ms; a 500-guest manifest in a few seconds").

Run: .venv/bin/python bench/tickets.py [--tickets 200] [--repeat 5] [--guests 500]

Pure CPU in one process, no database: each ticket is signed (Ed25519) and drawn with the
guest's name in turn in Vietnamese, Korean, Chinese and Japanese, so every PDF embeds
subsets of both fonts. Reports the one-off start-up cost (finding and parsing the fonts),
the first ticket, then the median over `--repeat` batches of tickets/s with per-ticket
p50/p99, and the median of `--repeat` manifests. Ends with one JSON line of the figures.
"""
import argparse
import io
import statistics
import time

from _common import json_line, percentile
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader

from tests.tourism.tickets.samples import NAMES, SESSION_START, VIETNAM, make_manifest, make_ticket
from tourism.tickets import codes, pdf
from tourism.tickets.fonts import load_fonts

BUDGET_TICKET_MS = 50


def one_ticket(keys: codes.TicketKeys, fonts, number: int) -> bytes:
    valid_from, valid_until = codes.local_day_window(SESSION_START, VIETNAM)
    reference = "".join(codes.REFERENCE_ALPHABET[(number >> (5 * k)) & 31] for k in range(8))
    code = keys.sign(reference=reference, session_id=number + 1, party=1 + number % 6,
                     valid_from=valid_from, valid_until=valid_until)
    return pdf.ticket_pdf(make_ticket(code, guest_name=NAMES[number % len(NAMES)],
                                      reference=f"{reference[:4]}-{reference[4:]}"), fonts=fonts)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=200, help="tickets per batch")
    parser.add_argument("--repeat", type=int, default=5, help="batches, and manifests")
    parser.add_argument("--guests", type=int, default=500, help="guests on the manifest")
    args = parser.parse_args()

    started = time.perf_counter()
    fonts = load_fonts()
    fonts_ms = (time.perf_counter() - started) * 1000
    private_key = Ed25519PrivateKey.generate()
    kid = codes.key_id(private_key.public_key())
    keys = codes.TicketKeys(kid, private_key, {kid: private_key.public_key()})

    started = time.perf_counter()
    sample = one_ticket(keys, fonts, 0)
    first_ms = (time.perf_counter() - started) * 1000
    print(f"fonts found and registered (once per process): {fonts_ms:.0f} ms")
    print(f"first ticket: {first_ms:.1f} ms, {len(sample) / 1024:.0f} KiB")

    rates, latencies = [], []
    for batch in range(args.repeat):
        batch_started = time.perf_counter()
        for i in range(args.tickets):
            started = time.perf_counter()
            one_ticket(keys, fonts, batch * args.tickets + i)
            latencies.append(time.perf_counter() - started)
        rates.append(args.tickets / (time.perf_counter() - batch_started))
        print(f"  batch {batch + 1}: {rates[-1]:.1f} tickets/s")
    ticket_p50 = percentile(latencies, 50) * 1000
    ticket_p99 = percentile(latencies, 99) * 1000
    print(f"tickets: {statistics.median(rates):.1f}/s (median of {args.repeat} batches of {args.tickets}); "
          f"per ticket p50 {ticket_p50:.1f} ms, p99 {ticket_p99:.1f} ms (budget: well under {BUDGET_TICKET_MS} ms)")

    manifest = make_manifest(args.guests)
    times, size = [], 0
    for run in range(args.repeat):
        started = time.perf_counter()
        data = pdf.manifest_pdf(manifest, fonts=fonts)
        times.append(time.perf_counter() - started)
        size = len(data)
        print(f"  manifest {run + 1}: {times[-1]:.2f} s")
    pages = len(PdfReader(io.BytesIO(data)).pages)
    manifest_s = statistics.median(times)
    print(f"{args.guests}-guest manifest: {manifest_s:.2f} s (median of {args.repeat}), {pages} pages, "
          f"{size / 1024:.0f} KiB")

    json_line({
        "bench": "tickets",
        "fonts_ms": round(fonts_ms, 1),
        "first_ticket_ms": round(first_ms, 1),
        "tickets_per_s": round(statistics.median(rates), 1),
        "ticket_p50_ms": round(ticket_p50, 2),
        "ticket_p99_ms": round(ticket_p99, 2),
        "ticket_budget_ratio": round(ticket_p50 / BUDGET_TICKET_MS, 3),
        "ticket_kib": round(len(sample) / 1024, 1),
        "manifest_guests": args.guests,
        "manifest_s": round(manifest_s, 3),
        "manifest_pages": pages,
        "manifest_kib": round(size / 1024, 1),
    })


if __name__ == "__main__":
    main()
