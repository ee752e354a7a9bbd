#!/usr/bin/env python3
"""Turn a bench/run.sh log and its time series into a report (python3 stdlib only).

    report.py [--log bench/results/run.log] [--series bench/results/series]
              [--out bench/results]

Reads the log's sections ("== <name>"), its "RUN ..." lines (written by bench/run.sh: how
each benchmark ended) and every "BENCH <name> key=value ..." line, and the sampler CSVs
(bench/sampler.py) in the series directory. Writes, into --out:
  latest.json  machine, run, every BENCH line, per-scenario figures and target checks
  latest.md    one table per scenario (figure, value, target, met/missed), then the plots
  *.svg        per series: throughput over time and stage utilisation over time; and
               targets.svg, every checked figure against its target
and prints a compact summary. Nothing here fails on a missed target: figures only.

Targets: a BENCH key target_X or X_target is the target of figure X; TARGETS below adds the
issue's targets that the scripts do not print. Whether a figure must be above or below its
target follows from its name (seconds, RSS, CPU, "_over_" ratios, connections: at most;
throughputs and "ratio" figures: at least).
"""
import argparse
import csv
import datetime
import glob
import html
import json
import math
import os
import re
import subprocess
import sys

# ---------------------------------------------------------------------------------------
# Targets

# Issue #9's targets that the BENCH lines may not carry: (bench or "*", scenario filter or
# None, figure regex, op, target). A target here replaces the same figure's target from a
# line (sync_local's lines say 0.8; the issue asks 0.85).
TARGETS = [
    ("sync_local", {"set": "a"}, r"^ratio$", ">=", 0.85),
    ("sync_local", {"set": "b"}, r"^ratio$", ">=", 0.85),
    ("sync_local", None, r"^ratio_link$", ">=", 0.9),
    ("collect", None, r"^seconds$", "<=", 60),
    ("status_export", None, r"^(status|export_csv|export_jsonl)_seconds$", "<=", 10),
    ("*", None, r"(^|_)sqlite_connections$", "==", 1),
]
# Peak RSS of our own processes, at most 300 MB everywhere. Figures in KiB/KB or MiB are
# converted to MB (10^6 bytes) first, as "<prefix>peak_rss_mb". Peers' figures (gpg's,
# the legacy tool's, ...) are not ours to bound.
RSS_TARGET_MB = 300
RSS_KEY = re.compile(r"^(\w*?)(?:peak|max)_rss_(kb|kib|mib|mb)$")
PEER_PREFIXES = ("gpg_", "rnp_", "legacy_", "rclone_", "aws_", "server_", "emulator_")
# A pool size in the same line bounds the connections figures.
POOL_SIZE_KEYS = ("pool_size", "pool_max_connections_per_host", "max_connections_per_host",
                  "connections_limit")
CONNECTION_KEYS = ("connections", "grin_connections", "peak_connections",
                   "pool_peak_open_connections")
LOWER_IS_BETTER = re.compile(
    r"(seconds|_s$|_s_|rss|_ms|cpu|_over_|connections|latency|bytes$|_mb$|_mib$|_kb$)")


def direction(figure):
    """'<=' when smaller is better, else '>='."""
    if "per_s" in figure or "ratio" in figure and "_over_" not in figure:
        return ">="
    return "<=" if LOWER_IS_BETTER.search(figure) else ">="


# ---------------------------------------------------------------------------------------
# Parsing the log

BENCH_LINE = re.compile(r"^BENCH ([A-Za-z0-9_.-]+)((?: +[A-Za-z0-9_.-]+=\S*)*)\s*$")
SECTION = re.compile(r"^== ([A-Za-z0-9_.-]+)$")
PAIR = re.compile(r"([A-Za-z0-9_.-]+)=(\S*)")


def number(text):
    """int or float when the text is a number, else the text."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
        return value if math.isfinite(value) else text
    except ValueError:
        return text


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def pairs(text):
    return {key: number(value) for key, value in PAIR.findall(text)}


def parse_log(path):
    """{'run': {...}, 'benches': {name: {...}}, 'lines': [BENCH line objects]}"""
    run = {}
    benches = {}
    lines = []
    section = None
    with open(path, errors="replace") as log:
        for line_number, raw in enumerate(log, 1):
            line = raw.rstrip("\n")
            if line.startswith("report.py:"):
                break  # our own summary, appended by bench/run.sh after the run
            match = SECTION.match(line)
            # "== name" is bench/run.sh's; a benchmark's own "== word" is not a section.
            if match and (not run.get("benches") or match.group(1) in
                          str(run["benches"]).split(",")):
                section = match.group(1)
                benches.setdefault(section, {"name": section})
                continue
            if line.startswith("RUN "):
                fields = pairs(line[4:])
                if line.startswith("RUN start"):
                    run.update(fields)
                elif line.startswith("RUN end"):
                    run.update(fields)
                elif "bench" in fields:
                    entry = benches.setdefault(fields["bench"], {"name": fields["bench"]})
                    entry["rc"] = fields.get("rc")
                    entry["seconds"] = fields.get("seconds")
                continue
            match = BENCH_LINE.match(line)
            if match:
                name = match.group(1)
                fields = {}
                order = []
                for key, value in PAIR.findall(match.group(2)):
                    fields[key] = number(value)
                    order.append(key)
                lines.append({"bench": name, "section": section, "line": line_number,
                              "fields": fields, "order": order})
                benches.setdefault(name, {"name": name})
    return {"run": run, "benches": benches, "lines": lines}


def scenario_key(line):
    """A BENCH line's identity: its leading non-numeric fields (set=a, size=64KiB, ...)."""
    ident = {}
    for key in line["order"]:
        value = line["fields"][key]
        if is_number(value):
            break
        ident[key] = value
    return ident


def scenario_name(bench, ident):
    return " ".join([bench] + [f"{k}={v}" for k, v in ident.items()])


def build_scenarios(lines, series=None):
    """Group BENCH lines by bench and identity; a later line with the same identity adds
    its figures (s3_upload prints per-client lines and a ratio line per server and set).
    A scenario's time series (sync_local set=a <- series sync_local-a.csv) adds what was
    sampled during it, e.g. the pool's peak of open connections and its limit."""
    series = series or {}
    scenarios = {}
    for line in lines:
        ident = scenario_key(line)
        name = scenario_name(line["bench"], ident)
        entry = scenarios.setdefault(name, {"bench": line["bench"], "name": name,
                                            "id": ident, "figures": {}, "lines": []})
        entry["lines"].append(line["line"])
        for key in line["order"]:
            if key not in ident:
                entry["figures"][key] = line["fields"][key]
    for entry in scenarios.values():
        # The series is named by the bench and the leading identity values (sync_local-a
        # for "sync_local set=a storage=local"): the longest such name that exists.
        values = [str(v) for v in entry["id"].values()]
        names = ["-".join([entry["bench"]] + values[:n]) for n in range(len(values), 0, -1)]
        name = next((candidate for candidate in names if candidate in series), None)
        if name:
            entry["series"] = name
            for key, value in series[name]["summary"].items():
                entry["figures"].setdefault(key, value)
        add_derived(entry)
        entry["checks"] = checks_for(entry)
    return list(scenarios.values())


def add_derived(entry):
    """Peak RSS in MB from KiB/MiB figures, so that one target (300 MB) fits all."""
    figures = entry["figures"]
    derived = {}
    for key, value in figures.items():
        match = RSS_KEY.match(key)
        if (not match or not is_number(value) or match.group(2) == "mb"
                or key.startswith(PEER_PREFIXES) or is_target_key(key)):
            continue
        factor = {"kb": 1024 / 1e6, "kib": 1024 / 1e6, "mib": 1048576 / 1e6}[match.group(2)]
        target_key = f"{match.group(1)}peak_rss_mb"
        if target_key not in figures:
            derived[target_key] = round(value * factor, 1)
    figures.update(derived)
    entry["derived"] = sorted(derived)


def is_target_key(key):
    return key.startswith("target_") or key.endswith("_target")


def checks_for(entry):
    # Figures only: a target key is never itself checked against a target.
    figures = {k: v for k, v in entry["figures"].items() if not is_target_key(k)}
    target_values = {k: v for k, v in entry["figures"].items() if is_target_key(k)}
    targets = {}  # figure -> (op, target, source)
    for key, value in target_values.items():
        if not is_number(value):
            continue
        figure = None
        if key.startswith("target_"):
            figure = key[len("target_"):]
        elif key.endswith("_target"):
            figure = key[: -len("_target")]
        if not figure:
            continue
        # target_seconds=10 beside status_seconds and export_csv_seconds: no figure is
        # named "seconds", so the target holds for every figure ending in "_seconds".
        named = [figure] if figure in figures else [
            k for k in figures if k.endswith("_" + figure) and is_number(figures[k])
            and not k.startswith(PEER_PREFIXES)]
        for name in named:
            targets[name] = (direction(name), value, "BENCH line")
    for key in figures:
        match = RSS_KEY.match(key)
        if (match and match.group(2) == "mb" and is_number(figures[key])
                and not key.startswith(PEER_PREFIXES)):
            targets.setdefault(key, ("<=", RSS_TARGET_MB, "issue #9: peak RSS"))
    pool = next((figures[k] for k in POOL_SIZE_KEYS if is_number(figures.get(k))), None)
    if pool is not None:
        for key in CONNECTION_KEYS:
            if is_number(figures.get(key)):
                targets.setdefault(key, ("<=", pool, "issue #9: pool size"))
    for bench, where, pattern, op, target in TARGETS:
        if bench not in ("*", entry["bench"]):
            continue
        if where and any(str(entry["id"].get(k)) != v for k, v in where.items()):
            continue
        for figure in figures:
            if re.search(pattern, figure):
                targets[figure] = (op, target, "issue #9")
    checks = []
    for figure, (op, target, source) in targets.items():
        value = figures[figure]
        if not is_number(value):
            continue
        met = {">=": value >= target, "<=": value <= target, "==": value == target}[op]
        checks.append({"figure": figure, "value": value, "op": op, "target": target,
                       "met": bool(met), "source": source})
    return checks


def target_keys(entry):
    """Keys that only state a target (shown in the target column, not as figures)."""
    return {k for k in entry["figures"] if is_target_key(k)}


# ---------------------------------------------------------------------------------------
# Machine

def machine_info():
    info = {"nproc": os.cpu_count(), "cpu_model": None, "mem_total_mb": None,
            "kernel": os.uname().release, "hostname": os.uname().nodename}
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    info["mem_total_mb"] = int(line.split()[1]) * 1024 // 1000000
    except OSError:
        pass
    return info


def git_info(repo):
    def git(*args):
        try:
            return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None
    rev = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {"rev": rev, "dirty": bool(dirty) if dirty is not None else None,
            "branch": git("rev-parse", "--abbrev-ref", "HEAD")}


# ---------------------------------------------------------------------------------------
# Time series

def read_series(path):
    """{column: [float or None]} of a sampler CSV."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        columns = {name: [] for name in reader.fieldnames or []}
        for row in reader:
            for name in columns:
                text = row.get(name)
                try:
                    columns[name].append(float(text) if text not in (None, "") else None)
                except ValueError:
                    columns[name].append(None)
    return columns


def trailing_windows(ts, window):
    """(i, j) per sample i: j is the first sample within ~window seconds before it."""
    j = 0
    for i, t in enumerate(ts):
        while j < i and t - ts[j] > window:
            j += 1
        yield i, j


def rate(ts, values, window=2.0):
    """Per-second rate of a counter over a trailing window of ~window seconds."""
    out = []
    for i, j in trailing_windows(ts, window):
        # The window needs two samples; at the start use the first one.
        k = max(0, i - 1) if j == i else j
        if values[i] is None or values[k] is None or ts[i] <= ts[k]:
            out.append(None)
        else:
            out.append(max(0.0, (values[i] - values[k]) / (ts[i] - ts[k])))
    return out


def smooth(ts, values, window=2.0):
    """Trailing mean over ~window seconds (gauges sampled every 0.5 s are noisy)."""
    out = []
    for i, j in trailing_windows(ts, window):
        part = [v for v in values[j: i + 1] if v is not None]
        out.append(sum(part) / len(part) if part else None)
    return out


STAGE_ORDER = ["check", "download", "process", "upload", "record", "conversion"]


def stage_names(columns):
    stages = {c[len("queue_limit_"):] for c in columns if c.startswith("queue_limit_")}
    stages |= {c[len("queue_active_"):] for c in columns if c.startswith("queue_active_")}
    return sorted(stages, key=lambda s: (STAGE_ORDER.index(s) if s in STAGE_ORDER else 99, s))


def series_summary(columns):
    """Figures of a whole series, named as they appear in the scenario's table."""
    ts = columns.get("t") or []
    summary = {"sampled_count": len(ts),
               "sampled_seconds": round(ts[-1] - ts[0], 1) if len(ts) > 1 else 0}

    def peak(column):
        values = [v for v in columns.get(column, []) if v is not None]
        return max(values) if values else None

    for column in ("pool_peak_open_connections", "pool_max_connections_per_host",
                   "books_in_flight"):
        value = peak(column)
        if value is not None:
            summary[column if column.startswith("pool_") else f"peak_{column}"] = value
    cpu = columns.get("process_cpu_s")
    if cpu and len(ts) > 1 and cpu[0] is not None and cpu[-1] is not None and ts[-1] > ts[0]:
        summary["sampled_grin_cores"] = round((cpu[-1] - cpu[0]) / (ts[-1] - ts[0]), 2)
    for stage in stage_names(columns):
        active, limit = columns.get(f"queue_active_{stage}"), columns.get(f"queue_limit_{stage}")
        if active and limit:
            parts = [a / l for a, l in zip(active, limit) if a is not None and l]
            if parts:
                summary[f"mean_utilisation_{stage}"] = round(sum(parts) / len(parts), 3)
    return summary


def series_plots(name, columns, out_dir):
    """Throughput and stage utilisation charts of one sampler CSV; returns file names."""
    ts = columns.get("t")
    if not ts or len(ts) < 2:
        return []
    files = []
    books_columns = [c for c in columns if c.startswith("books_")
                     and c not in ("books_in_flight", "books_processing")]
    panels = []
    if books_columns:
        finished = [sum(columns[c][i] or 0 for c in books_columns) for i in range(len(ts))]
        lines = [("all outcomes", rate(ts, finished))]
        others = [c for c in books_columns if c != "books_synced"]
        # A second line only when some books ended otherwise (skipped, failed, ...).
        if "books_synced" in columns and any(any(columns[c]) for c in others):
            lines.append(("synced", rate(ts, columns["books_synced"])))
        panels.append({"ylabel": "books/s", "lines": lines})
    mb = []
    for column, label in (("downloaded_bytes", "downloaded"), ("uploaded_bytes", "uploaded")):
        if column in columns:
            values = [v / 1e6 if v is not None else None for v in columns[column]]
            mb.append((label, rate(ts, values)))
    if mb:
        panels.append({"ylabel": "MB/s", "lines": mb})
    if "process_cpu_s" in columns:
        panels.append({"ylabel": "grin CPU cores",
                       "lines": [("user + sys", rate(ts, columns["process_cpu_s"]))]})
    if panels:
        file = f"{name}-throughput.svg"
        write(os.path.join(out_dir, file), line_chart(
            f"{name}: throughput over time (2 s window)", ts, panels))
        files.append(file)

    panels = []
    stages = stage_names(columns)
    utilisation = []
    for stage in stages:
        active, limit = columns.get(f"queue_active_{stage}"), columns.get(f"queue_limit_{stage}")
        if not active or not limit or not any(limit):
            continue
        ratio = [a / l if a is not None and l else None for a, l in zip(active, limit)]
        top = max((l for l in limit if l), default=0)
        utilisation.append((f"{stage} (of {top:g})", smooth(ts, ratio)))
    if utilisation:
        panels.append({"ylabel": "active / limit", "lines": utilisation, "ymax": 1.0})
    waiting = [(stage, smooth(ts, columns[f"queue_waiting_{stage}"])) for stage in stages
               if f"queue_waiting_{stage}" in columns
               and any(columns[f"queue_waiting_{stage}"])]
    if waiting:
        panels.append({"ylabel": "books waiting", "lines": waiting})
    other = [(label, smooth(ts, columns[column])) for column, label in (
        ("books_in_flight", "books in flight"), ("cpu_jobs_pending", "CPU jobs pending"),
        ("pool_open_connections", "open connections")) if column in columns]
    if other:
        panels.append({"ylabel": "count", "lines": other})
    if panels:
        file = f"{name}-stages.svg"
        write(os.path.join(out_dir, file), line_chart(
            f"{name}: stage utilisation over time (2 s mean)", ts, panels))
        files.append(file)
    return files


# ---------------------------------------------------------------------------------------
# A small SVG chart writer: line charts with stacked panels sharing the time axis, and a
# horizontal bar chart.

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
          "#17becf", "#7f7f7f", "#bcbd22"]
FONT = 'font-family="sans-serif" font-size="11"'
TITLE_FONT = 'font-family="sans-serif" font-size="14" font-weight="bold"'


def nice_ticks(lo, hi, count=5):
    """Round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < hi:
        ticks.append(round(value, 10))
    return ticks


def tick_label(value):
    if value == 0:
        return "0"
    if abs(value) >= 1e6:
        return f"{value / 1e6:g}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:g}k"
    return f"{value:.4g}"


def esc(text):
    return html.escape(str(text), quote=True)


def thin(xs, ys, limit=1200):
    """At most ~limit points per line: long runs sampled every 0.5 s need not more."""
    if len(xs) <= limit:
        return xs, ys
    step = len(xs) / limit
    keep = sorted({int(i * step) for i in range(limit)} | {len(xs) - 1})
    return [xs[i] for i in keep], [ys[i] for i in keep]


def line_chart(title, xs, panels, width=760, panel_height=170, xlabel="seconds since start"):
    """panels: [{'ylabel', 'lines': [(label, ys)], optional 'ymax'}], sharing xs."""
    left, right, top, gap, bottom = 64, 150, 34, 26, 40
    height = top + len(panels) * panel_height + (len(panels) - 1) * gap + bottom
    plot_w = width - left - right
    x_ticks = nice_ticks(min(xs), max(xs), 8)
    x0, x1 = x_ticks[0], x_ticks[-1]

    def sx(x):
        return left + (x - x0) / (x1 - x0) * plot_w

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" {TITLE_FONT}>{esc(title)}</text>']
    for index, panel in enumerate(panels):
        y_top = top + index * (panel_height + gap)
        y_bottom = y_top + panel_height
        values = [v for _, ys in panel["lines"] for v in ys if v is not None]
        hi = max(values, default=1)
        if panel.get("ymax") is not None:
            hi = max(hi, panel["ymax"])
        y_ticks = nice_ticks(0, hi if hi > 0 else 1, 4)
        y1 = y_ticks[-1]

        def sy(y, y_bottom=y_bottom, y1=y1):
            return y_bottom - y / y1 * panel_height

        # grid and axes
        for tick in y_ticks:
            y = sy(tick)
            out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
                       f'stroke="#e5e5e5"/>')
            out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT}>'
                       f'{tick_label(tick)}</text>')
        for tick in x_ticks:
            x = sx(tick)
            out.append(f'<line x1="{x:.1f}" y1="{y_top}" x2="{x:.1f}" y2="{y_bottom}" '
                       f'stroke="#f0f0f0"/>')
            out.append(f'<line x1="{x:.1f}" y1="{y_bottom}" x2="{x:.1f}" y2="{y_bottom + 4}" '
                       f'stroke="black"/>')
            if index == len(panels) - 1:
                out.append(f'<text x="{x:.1f}" y="{y_bottom + 16}" text-anchor="middle" '
                           f'{FONT}>{tick_label(tick)}</text>')
        out.append(f'<polyline points="{left},{y_top} {left},{y_bottom} {left + plot_w},'
                   f'{y_bottom}" fill="none" stroke="black"/>')
        mid = (y_top + y_bottom) / 2
        out.append(f'<text x="14" y="{mid}" text-anchor="middle" {FONT} '
                   f'transform="rotate(-90 14 {mid})">{esc(panel["ylabel"])}</text>')
        # lines; a None value breaks the line
        for n, (label, ys) in enumerate(panel["lines"]):
            color = COLORS[n % len(COLORS)]
            px, py = thin(xs, ys)
            segments, current = [], []
            for x, y in zip(px, py):
                if y is None:
                    if current:
                        segments.append(current)
                    current = []
                else:
                    current.append(f"{sx(x):.1f},{sy(min(y, y1)):.1f}")
            if current:
                segments.append(current)
            for segment in segments:
                out.append(f'<polyline points="{" ".join(segment)}" fill="none" '
                           f'stroke="{color}" stroke-width="1.5"/>')
            # legend, right of the panel
            ly = y_top + 12 + n * 16
            lx = left + plot_w + 12
            out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 18}" y2="{ly - 4}" '
                       f'stroke="{color}" stroke-width="2"/>')
            out.append(f'<text x="{lx + 24}" y="{ly}" {FONT}>{esc(label)}</text>')
    out.append(f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle" {FONT}>'
               f'{esc(xlabel)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def bar_chart(title, bars, reference=1.0, cap=None, xlabel=""):
    """Horizontal bars: [(label, value, color, note)], a dashed line at reference. Values
    past cap end at the axis' end (a far-off bar would squash all the others)."""
    left = 12 + 6.2 * max(len(b[0]) for b in bars)  # room for the labels at 11 px
    right, top, bar_h, gap, bottom = 130, 46, 16, 6, 44
    width = int(left + 420 + right)
    height = top + len(bars) * (bar_h + gap) + bottom
    plot_w = width - left - right
    hi = max([reference * 1.2] + [b[1] for b in bars if b[1] is not None])
    if cap:
        hi = min(hi, cap)
    x_ticks = nice_ticks(0, hi, 6)
    x1 = x_ticks[-1]

    def sx(x):
        return left + min(x, x1) / x1 * plot_w

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" {TITLE_FONT}>{esc(title)}</text>']
    y_bottom = top + len(bars) * (bar_h + gap)
    for tick in x_ticks:
        x = sx(tick)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{y_bottom}" '
                   f'stroke="#e5e5e5"/>')
        out.append(f'<text x="{x:.1f}" y="{y_bottom + 14}" text-anchor="middle" {FONT}>'
                   f'{tick_label(tick)}</text>')
    for n, (label, value, color, note) in enumerate(bars):
        y = top + n * (bar_h + gap)
        out.append(f'<text x="{left - 6}" y="{y + bar_h - 4}" text-anchor="end" {FONT}>'
                   f'{esc(label)}</text>')
        if value is not None:
            out.append(f'<rect x="{left}" y="{y}" width="{max(sx(value) - left, 1):.1f}" '
                       f'height="{bar_h}" fill="{color}"/>')
            out.append(f'<text x="{sx(value) + 4:.1f}" y="{y + bar_h - 4}" {FONT}>'
                       f'{esc(note)}</text>')
    xr = sx(reference)
    out.append(f'<line x1="{xr:.1f}" y1="{top - 4}" x2="{xr:.1f}" y2="{y_bottom}" '
               f'stroke="black" stroke-dasharray="4,3"/>')
    out.append(f'<text x="{xr:.1f}" y="{top - 6}" text-anchor="middle" {FONT}>target</text>')
    out.append(f'<polyline points="{left},{top} {left},{y_bottom} {left + plot_w},{y_bottom}" '
               f'fill="none" stroke="black"/>')
    out.append(f'<text x="{left + plot_w / 2}" y="{height - 10}" text-anchor="middle" {FONT}>'
               f'{esc(xlabel)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def is_ratio(figure):
    return "ratio" in figure or "_over_" in figure


def targets_chart(scenarios, ratios):
    """Checks as 'how far past the target': value/target for at-least figures, target/value
    for at-most ones, so 1 is the target and longer bars are better. ratios: the ratio
    figures (the speed-ups against ceilings and peers), else the limits (time, RSS,
    connections), which would otherwise squash the ratios against the axis' end."""
    bars = []
    for entry in scenarios:
        for check in entry["checks"]:
            if is_ratio(check["figure"]) != ratios:
                continue
            value, target, op = check["value"], check["target"], check["op"]
            if op == ">=":
                score = value / target if target else None
            elif op == "<=":
                score = target / value if value else (2.0 if target >= 0 else None)
            else:
                score = 1.0 if check["met"] else 0.5
            note = f"{fmt(value)} {op} {fmt(target)}"
            bars.append((f"{entry['name']}: {check['figure']}", score,
                         "#2ca02c" if check["met"] else "#d62728", note))
    if not bars:
        return None
    title = "Ratios" if ratios else "Limits (time, memory, connections)"
    return bar_chart(f"{title} against their targets (1 = at the target, longer is better)",
                     bars, cap=3, xlabel="value / target (at least) or target / value "
                                        "(at most); 3 and more end at the axis")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


# ---------------------------------------------------------------------------------------
# Output

def fmt(value):
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 0.01):
            return f"{value:.3g}"
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def markdown(report, plot_files, targets_files):
    run, machine, git = report["run"], report["machine"], report["git"]
    lines = ["# Benchmark results", ""]
    lines.append(f"- date: {run.get('date', report['generated'])}"
                 f"{' (--quick)' if run.get('quick') == 1 else ''}")
    lines.append(f"- machine: {machine['nproc']} cores, {machine['cpu_model']}, "
                 f"{machine['mem_total_mb']} MB memory")
    lines.append(f"- git: {git.get('rev')}{' (uncommitted changes)' if git.get('dirty') else ''}")
    if "total_seconds" in run:
        lines.append(f"- total wall time: {run['total_seconds']} s")
    lines.append("")
    lines.append("| benchmark | exit | seconds | targets met |")
    lines.append("|---|---|---|---|")
    for bench in report["benches"]:
        checks = [c for s in report["scenarios"] if s["bench"] == bench["name"]
                  for c in s["checks"]]
        met = sum(c["met"] for c in checks)
        rc = bench.get("rc")
        status = "not run" if rc is None else ("ok" if rc == 0 else f"**FAILED ({rc})**")
        lines.append(f"| {bench['name']} | {status} | {fmt(bench.get('seconds', ''))} | "
                     f"{f'{met} of {len(checks)}' if checks else '-'} |")
    lines.append("")
    lines.append("Every ratio compares figures measured in the same run. Targets: issue #9 "
                 "and the target keys of the BENCH lines (bench/README.md).")
    for bench in report["benches"]:
        lines += ["", f"## {bench['name']}", ""]
        scenarios = [s for s in report["scenarios"] if s["bench"] == bench["name"]]
        if bench.get("rc") not in (None, 0):
            lines.append(f"**Failed (exit {bench['rc']})**; see bench/results/run.log.")
            lines.append("")
        if not scenarios:
            lines.append("No BENCH lines.")
        for group in group_scenarios(scenarios):
            lines += scenario_table(group[0]) if len(group) == 1 else side_by_side(group)
        for file in plot_files.get(bench["name"], []):
            lines += [f"![{file}]({file})", ""]
    if targets_files:
        lines += ["## Targets", ""]
        for file in targets_files:
            lines += [f"![{file}]({file})", ""]
    lines += ["## How to read the plots", "",
              "*-throughput.svg*: books finished per second and MB/s downloaded and uploaded, "
              "each a rate over a trailing 2 s window, and grin's CPU (cores busy). "
              "*-stages.svg*: per stage, books holding a slot / the stage's slots (1 = the "
              "stage is full and is the bottleneck if books wait for it), books waiting per "
              "stage, and books in flight. *targets-\\*.svg*: 1 is the target; green bars "
              "past the dashed line met it, red ones missed it.", ""]
    return "\n".join(lines)


def group_scenarios(scenarios):
    """Runs of scenarios that differ only in their last identity field (s3_upload's
    client=ours, rclone, aws) go side by side in one table; others stand alone."""
    groups = []
    for entry in scenarios:
        keys = list(entry["id"])
        if groups and keys and list(groups[-1][0]["id"]) == keys and all(
                groups[-1][0]["id"][k] == entry["id"][k] for k in keys[:-1]):
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return groups


def check_cell(check):
    return (f"{check['op']} {fmt(check['target'])} "
            f"{'met' if check['met'] else '**missed**'}")


def scenario_table(entry):
    checks = {c["figure"]: c for c in entry["checks"]}
    hidden = target_keys(entry)
    lines = [f"### {entry['name']}", "", "| figure | value | target | met |", "|---|---|---|---|"]
    for key, value in entry["figures"].items():
        if key in hidden:
            continue
        check = checks.get(key)
        target = f"{check['op']} {fmt(check['target'])}" if check else ""
        met = ("met" if check["met"] else "**missed**") if check else ""
        lines.append(f"| {key} | {fmt(value)} | {target} | {met} |")
    return lines + [""]


def side_by_side(group):
    """One table, a column per scenario; a checked value shows its target beside it."""
    first = group[0]
    last = list(first["id"])[-1]
    shared = " ".join(f"{k}={v}" for k, v in list(first["id"].items())[:-1])
    title = " ".join(p for p in (first["bench"], shared) if p) + f", by {last}"
    figures = []
    for entry in group:
        hidden = target_keys(entry)
        figures += [k for k in entry["figures"] if k not in hidden and k not in figures]
    lines = [f"### {title}", "",
             "| figure | " + " | ".join(f"{last}={e['id'][last]}" for e in group) + " |",
             "|---|" + "---|" * len(group)]
    for key in figures:
        cells = []
        for entry in group:
            value = entry["figures"].get(key)
            check = next((c for c in entry["checks"] if c["figure"] == key), None)
            cell = "" if value is None else fmt(value)
            cells.append(f"{cell} ({check_cell(check)})" if check else cell)
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return lines + [""]


def summary_table(report):
    rows = [("scenario", "figure", "value", "target", "")]
    for bench in report["benches"]:
        if bench.get("rc") not in (None, 0):
            rows.append((bench["name"], "exit status", str(bench["rc"]), "0", "FAILED"))
        for entry in report["scenarios"]:
            if entry["bench"] != bench["name"]:
                continue
            for check in entry["checks"]:
                rows.append((entry["name"], check["figure"], fmt(check["value"]),
                             f"{check['op']} {fmt(check['target'])}",
                             "met" if check["met"] else "MISSED"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("report.py: " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
                     for r in rows)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    results = os.path.join(here, "results")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", default=os.path.join(results, "run.log"))
    parser.add_argument("--series", default=os.path.join(results, "series"))
    parser.add_argument("--out", default=results)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    parsed = parse_log(args.log)
    # Benchmarks in the order they ran (the log's), with how they ended.
    benches = list(parsed["benches"].values())

    series = {}
    plot_files = {}
    for path in sorted(glob.glob(os.path.join(args.series, "*.csv"))):
        name = os.path.splitext(os.path.basename(path))[0]
        try:
            columns = read_series(path)
        except (OSError, csv.Error) as error:
            print(f"report.py: skipping {path}: {error}", file=sys.stderr)
            continue
        files = series_plots(name, columns, args.out)
        series[name] = {"file": os.path.relpath(path, args.out), "plots": files,
                        "summary": series_summary(columns)}
        # Plots go with the benchmark whose name starts the file name (sync_local-a.csv).
        bench = next((b["name"] for b in benches if name.startswith(b["name"])), name)
        plot_files.setdefault(bench, []).extend(files)
        if bench not in parsed["benches"]:
            benches.append({"name": bench})

    scenarios = build_scenarios(parsed["lines"], series)
    report = {
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine_info(),
        # The revision that ran (bench/run.sh's RUN line), else the checkout's now.
        "git": ({"rev": parsed["run"]["git"], "dirty": parsed["run"].get("dirty") == "1"}
                if parsed["run"].get("git") else git_info(os.path.dirname(here))),
        "run": parsed["run"],
        "benches": benches,
        "bench_lines": [{"bench": l["bench"], **l["fields"]} for l in parsed["lines"]],
        "scenarios": [{k: v for k, v in s.items() if k != "lines"} for s in scenarios],
        "series": series,
    }
    targets_files = []
    for ratios, file in ((True, "targets-ratios.svg"), (False, "targets-limits.svg")):
        chart = targets_chart(scenarios, ratios)
        if chart:
            write(os.path.join(args.out, file), chart)
            targets_files.append(file)
    write(os.path.join(args.out, "latest.json"), json.dumps(report, indent=1) + "\n")
    write(os.path.join(args.out, "latest.md"), markdown(report, plot_files, targets_files))

    print(summary_table(report))
    checks = [c for s in scenarios for c in s["checks"]]
    print(f"report.py: {len(parsed['lines'])} BENCH lines, {len(scenarios)} scenarios, "
          f"{sum(c['met'] for c in checks)} of {len(checks)} targets met; "
          f"{len(series)} time series -> {os.path.join(args.out, 'latest.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
