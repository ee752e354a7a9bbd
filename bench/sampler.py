#!/usr/bin/env python3
"""Poll a grin Prometheus endpoint and write a time series CSV (stdlib only).

    sampler.py --url http://127.0.0.1:PORT/metrics --out FILE.csv [--interval 0.5] [--pid PID]

One row per successful scrape: t (seconds since the sampler started), t_unix, then one column
per selected series (see SERIES). Columns are named from the metric and its label values,
e.g. grin_queue_books_active{stage="download"} -> queue_active_download. Labels not used for
the column name are summed (grin_books_total is summed per outcome). With --pid, process_cpu_s
is the process's user + system CPU seconds from /proc/PID/stat.

Stops when the pid exits (with --pid), or when the endpoint stops answering after it has
answered once, or when it never answers within --wait seconds. bench/report.py plots the
files. Rows are appended and flushed as they come, so a sampler killed with the run still
leaves a usable file; a series that first appears mid-run (a new label value) makes the file
be rewritten once with the wider header. Appending keeps the sampler's own CPU small: it
shares the cores with the run it measures.
"""
import argparse
import os
import re
import signal
import sys
import time
import urllib.error
import urllib.request

# metric name -> (column prefix, label whose value ends the column name, or None)
SERIES = {
    "grin_books_total": ("books", "outcome"),
    "grin_downloaded_bytes_total": ("downloaded_bytes", None),
    "grin_uploaded_bytes_total": ("uploaded_bytes", None),
    "grin_queue_books_active": ("queue_active", "stage"),
    "grin_queue_books_waiting": ("queue_waiting", "stage"),
    "grin_queue_stage_limit": ("queue_limit", "stage"),
    "grin_books_in_flight": ("books_in_flight", None),
    "grin_books_processing": ("books_processing", None),
    "grin_cpu_jobs_pending": ("cpu_jobs_pending", None),
    "grin_pool_open_connections": ("pool_open_connections", None),
    "grin_pool_peak_open_connections": ("pool_peak_open_connections", None),
    "grin_pool_max_connections_per_host": ("pool_max_connections_per_host", None),
    "grin_pool_connections_opened_total": ("pool_connections_opened", None),
    "grin_pool_tls_handshakes_total": ("pool_tls_handshakes", "kind"),
}

# name{labels} value [timestamp]; label values may hold escaped quotes.
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def parse(text):
    """Selected series of one scrape as {column: value}."""
    values = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        if not match or match.group(1) not in SERIES:
            continue
        prefix, label = SERIES[match.group(1)]
        try:
            value = float(match.group(3))
        except ValueError:
            continue
        column = prefix
        if label:
            labels = dict(LABEL.findall(match.group(2) or ""))
            part = re.sub(r"[^A-Za-z0-9]+", "_", labels.get(label, "")).strip("_")
            column = f"{prefix}_{part or 'none'}"
        values[column] = values.get(column, 0.0) + value
    return values


def process_cpu(pid):
    """User + system CPU seconds of pid (its reaped children included), or None."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After "(comm)": field 3 is fields[0]; utime, stime, cutime, cstime are fields 14-17.
    return sum(int(f) for f in fields[11:15]) / CLOCK_TICKS


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has exited; only its parent has not reaped it


def csv_line(columns, row):
    return ",".join(format_value(row.get(c)) for c in columns) + "\n"


def rewrite_csv(path, columns, rows):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as out:
        out.write(",".join(columns) + "\n")
        for row in rows:
            out.write(csv_line(columns, row))
    os.replace(tmp, path)


def format_value(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the /metrics URL")
    parser.add_argument("--out", required=True, help="CSV file to write")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between scrapes")
    parser.add_argument("--pid", type=int, help="stop when this process exits; sample its CPU")
    parser.add_argument("--wait", type=float, default=120,
                        help="give up when the endpoint has not answered for this many seconds "
                             "since the start (default 120)")
    args = parser.parse_args()

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    fixed = ["t", "t_unix"]
    columns = []  # series columns, in order of first appearance
    rows = []
    out = None  # the CSV, open for appending once its header is written
    start = time.monotonic()
    answered = False
    failures = 0
    next_scrape = start
    while not stopping:
        if args.pid and not alive(args.pid):
            break
        now = time.monotonic()
        if next_scrape > now:
            time.sleep(next_scrape - now)
        next_scrape += args.interval
        t = time.monotonic() - start
        try:
            with urllib.request.urlopen(args.url, timeout=max(2.0, args.interval * 4)) as answer:
                text = answer.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError, ValueError):
            if answered:
                # Without --pid a closed endpoint is the end of the run; a single slow scrape
                # under load is not, so two misses in a row are needed.
                failures += 1
                if not args.pid and failures >= 2:
                    break
            elif not args.pid and t > args.wait:
                print(f"sampler: {args.url} did not answer within {args.wait:.0f} s",
                      file=sys.stderr)
                break
            continue
        answered = True
        failures = 0
        row = parse(text)
        row["t"] = round(t, 3)
        row["t_unix"] = round(time.time(), 3)
        if args.pid:
            cpu = process_cpu(args.pid)
            if cpu is not None:
                row["process_cpu_s"] = cpu
        rows.append(row)
        new = [c for c in row if c not in fixed and c not in columns]
        if new or out is None:
            columns.extend(new)
            if out:
                out.close()
            rewrite_csv(args.out, fixed + columns, rows)
            out = open(args.out, "a")
        else:
            out.write(csv_line(fixed + columns, row))
            out.flush()
    if out:
        out.close()
    if not rows:
        print(f"sampler: no samples from {args.url}", file=sys.stderr)
        return 1
    print(f"sampler: {len(rows)} samples over {rows[-1]['t']:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
