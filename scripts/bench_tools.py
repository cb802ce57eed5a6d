#!/usr/bin/env python3
"""Helpers for scripts/bench: data generators, wrk output parsing, report.

Subcommands (all write to stdout unless told otherwise):
  free-port                      a free TCP port on 127.0.0.1
  gen-seed FILE                  ~50 fedora releases x a handful of states
  gen-big N FILE                 N events, ~200 releases x 10 states, ids 1..N
  wrk-lua TOKEN FILE             the wrk script that POSTs events
  wrk-parse PREFIX WRK_OUTPUT    key=value lines (PREFIX_rps=..., ...)
  report RESULTS_FILE DOC|-      prints the table; writes DOC unless '-'
"""

import datetime as _dt
import json
import os
import random
import re
import socket
import sys
import time

# --------------------------------------------------------------------------
# data


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    print(port)


def _event_line(i, dist, release, state, reached, at):
    # The exact shape `releasetracker export` writes.
    return (
        '{"type":"event","id":%d,"dist":"%s","release":"%s","state":"%s",'
        '"reached":%s,"at":"%s","recorded_at":"2026-01-01T00:00:00Z",'
        '"recorded_by":"bench","source":"import","note":null,"link":null}'
        % (i, dist, release, state, "true" if reached else "false", at)
    )


def _plan_line(dist, release, state, at, revision):
    # As `releasetracker export` writes a plan revision (ids assigned on import).
    return (
        '{"type":"plan","dist":"%s","release":"%s","state":"%s","reached":true,"at":"%s",'
        '"cancelled":false,"note":"revision %d","link":null,"recorded_at":"2026-01-01T00:00:00Z",'
        '"recorded_by":"bench","source":"import"}' % (dist, release, state, at, revision)
    )


def _plans(dist, releases, states, first, spacing_hours, revisions=5):
    """`revisions` revisions per (release, state) key, each a week later than
    the last (a slipping schedule), keys `spacing_hours` apart from `first`."""
    import datetime
    lines = []
    for r in releases:
        for k, s in enumerate(states):
            at = first + datetime.timedelta(hours=spacing_hours * ((int(r) - 1) * len(states) + k))
            for rev in range(1, revisions + 1):
                when = at + datetime.timedelta(days=7 * (rev - 1))
                lines.append(_plan_line(dist, r, s, when.strftime("%Y-%m-%dT%H:%M:%SZ"), rev))
    return lines


def gen_seed(path):
    """Fedora-like history: releases 1..50, each walking through the cycle
    development -> branched -> beta -> active -> eol, about 9 events each."""
    base = _dt.datetime(2000, 1, 4, tzinfo=_dt.timezone.utc)
    events = []
    for r in range(1, 51):
        start = base + _dt.timedelta(days=183 * (r - 1))
        d = lambda days: start + _dt.timedelta(days=days)  # noqa: E731
        steps = [
            ("development", True, d(0)),
            ("branched", True, d(120)),
            ("development", False, d(120)),
            ("beta", True, d(150)),
            ("beta", False, d(180)),
            ("branched", False, d(180)),
            ("active", True, d(180)),
        ]
        if r <= 48:  # the newest two releases are still supported
            steps += [("active", False, d(180 + 395)), ("eol", True, d(180 + 395))]
        events += [(at, r, s, reached) for (s, reached, at) in steps]
    events.sort(key=lambda e: (e[0], e[1]))
    now = _dt.datetime.now(_dt.timezone.utc)
    with open(path, "w") as f:
        i = 0
        for at, r, s, reached in events:
            if at > now:
                continue
            i += 1
            f.write(_event_line(i, "fedora", str(r), s, reached, at.strftime("%Y-%m-%dT%H:%M:%SZ")) + "\n")
    print(i)


STATES = ["development", "branched", "pre-beta", "beta", "pre-final",
          "final", "active", "eol", "frozen", "archived"]


def gen_big(n, path):
    """n events from 2020-01-01 on, 150 s apart (1M events end in 2024-10).
    Release activity slides over time, like real release cycles: event i
    mostly concerns the ~10 releases around 200*i/n. Each (release, state)
    pair alternates entered/left, so the log is consistent."""
    rng = random.Random(20260101)
    step = 150
    epoch = _dt.datetime(2020, 1, 1, tzinfo=_dt.timezone.utc).timestamp()
    inside = {}
    out = []
    rand = rng.random
    n_releases = 200
    fmt = _dt.datetime.utcfromtimestamp
    for i in range(1, n + 1):
        centre = n_releases * i / n
        r = int(centre + (rand() - 0.5) * 10)
        r = min(max(r, 0), n_releases - 1) + 1
        s = STATES[int(rand() * 10)]
        key = (r, s)
        reached = not inside.get(key, False)
        inside[key] = reached
        at = fmt(epoch + i * step).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(_event_line(i, "fedora", str(r), s, reached, at))
    # The schedule beside the facts: 200 releases x 10 states x 5 revisions.
    first = _dt.datetime(2020, 1, 1, tzinfo=_dt.timezone.utc)
    out += _plans("fedora", [str(r) for r in range(1, n_releases + 1)], STATES, first, 30)
    with open(path, "w") as f:
        f.write("\n".join(out))
        f.write("\n")
    print(n)


def gen_pages(path):
    """50 releases x 20 states of dist "pages": every release enters every
    state, one event every 6 hours from 2025-01-01 on, and leaves every
    third state again 30 days later (so a calendar month holds ~120 events)."""
    import datetime
    base = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    n = 0
    with open(path, "w") as f:
        for r in range(1, 51):
            for s in range(20):
                k = (r - 1) * 20 + s
                at = base + datetime.timedelta(hours=6 * k)
                n += 1
                f.write(_event_line(n, "pages", str(r), "state-%02d" % s, True, at.strftime("%Y-%m-%dT%H:%M:%SZ")) + "\n")
                if s % 3 == 0:
                    n += 1
                    left = at + datetime.timedelta(days=30)
                    f.write(_event_line(n, "pages", str(r), "state-%02d" % s, False, left.strftime("%Y-%m-%dT%H:%M:%SZ")) + "\n")
        # Plans for the same 50 x 20 keys, 5 revisions each (5,000 revisions):
        # each met by its event above after slipping a week per revision.
        states = ["state-%02d" % s for s in range(20)]
        for line in _plans("pages", [str(r) for r in range(1, 51)], states, base, 6):
            f.write(line + "\n")
    print(n)


def wrk_lua(token, path):
    lua = r'''-- scripts/bench: POST /api/v1/events, a new release on every request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
function request()
  counter = counter + 1
  local release = tostring(tid * 10000000 + counter)
  return wrk.format(nil, nil, nil,
    '{"dist":"bench","release":"' .. release .. '","state":"active","reached":true}')
end
''' % token
    with open(path, "w") as f:
        f.write(lua)


# --------------------------------------------------------------------------
# wrk output

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text.strip())
    if not m:
        return None
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk_parse(prefix, path):
    text = open(path).read()
    vals = {}
    m = re.search(r"Requests/sec:\s*([0-9.]+)", text)
    vals["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in ([0-9.]+)(us|ms|s|m)", text)
    if m:
        vals["requests"] = int(m.group(1))
        vals["seconds"] = _ms(m.group(2) + m.group(3)) / 1000.0
    for pct in ("50", "75", "90", "99"):
        m = re.search(r"^\s*%s(?:\.0+)?%%\s+([0-9.]+(?:us|ms|s|m))" % pct, text, re.M)
        if m:
            vals["p" + pct] = _ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    vals["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    vals["sockerr"] = sum(int(x) for x in m.groups()) if m else 0
    if "requests" in vals and vals.get("seconds"):
        vals["ok_per_s"] = (vals["requests"] - vals["non2xx"]) / vals["seconds"]
    for k, v in vals.items():
        print("%s_%s=%s" % (prefix, k, v))


# --------------------------------------------------------------------------
# report


def _load(path):
    r = {}
    for line in open(path):
        line = line.rstrip("\n")
        if "=" in line:
            k, v = line.split("=", 1)
            r[k] = v
    return r


def _f(r, key, fmt="%.0f", unit=""):
    v = r.get(key)
    if v is None or v == "":
        return "n/a"
    try:
        return (fmt % float(v)) + unit
    except ValueError:
        return v


def _num(r, key):
    try:
        return float(r[key])
    except (KeyError, ValueError):
        return None


def _lat(r, key):
    v = _num(r, key)
    if v is None:
        return "n/a"
    return "%.3f ms" % v if v < 10 else "%.1f ms" % v


def report(results, doc):
    r = _load(results)
    big = r.get("big_events", "?")
    big_label = "{:,}".format(int(big)) if big.isdigit() else big
    dur_v, dur_w, dur_t = r.get("dur_view", "?"), r.get("dur_write", "?"), r.get("dur_tt", "?")

    # Targets: (name, met?, how it went)
    targets = []
    rt, ng = _num(r, "view_rps"), _num(r, "nginx_rps")
    if rt is not None and ng:
        targets.append(("views at least as fast as nginx's static file", rt >= ng,
                        "%.0f vs %.0f req/s (%.0f%%)" % (rt, ng, 100 * rt / ng)))
    vm = _num(r, "view_metrics_rps")
    if rt and vm is not None:
        targets.append(("metrics cost the read path at most a few percent (≤ 5 %)", vm >= 0.95 * rt,
                        "%.0f vs %.0f req/s (%+.1f%%)" % (vm, rt, 100 * (vm - rt) / rt)))
    for db, label in (("sqlite", "SQLite"), ("pg", "PostgreSQL")):
        if r.get(db + "_skipped"):
            targets.append(("≥ 2,000 writes/s on " + label, None, "skipped: " + r[db + "_skipped"]))
            continue
        ok = _num(r, db + "_ok_per_s")
        if ok is not None:
            bad = int(_num(r, db + "_non2xx") or 0) + int(_num(r, db + "_sockerr") or 0)
            targets.append(("≥ 2,000 writes/s on " + label, ok >= 2000 and bad == 0,
                            "%.0f successful writes/s, %d failed" % (ok, bad)))
    # Issue 17: durable API writes beside the engine's own rate, measured
    # in the same run.
    for db, raw_key, label, raw_label in (("sqlite", "raw_sqlite_tps", "SQLite (synchronous=FULL)",
                                           "one raw writer, event + outbox row per commit"),
                                          ("pg", "raw_pg_tps", "PostgreSQL", "pgbench, one row per transaction")):
        ok, raw = _num(r, db + "_ok_per_s"), _num(r, raw_key)
        if ok is not None and raw:
            targets.append(("API writes on %s >= 0.8x the engine (%s)" % (label, raw_label), ok >= 0.8 * raw,
                            "%.0f vs %.0f/s (%.2fx)" % (ok, raw, ok / raw)))
    st, rss = _num(r, "start_s"), _num(r, "start_rss_mb")
    if st is not None:
        targets.append(("start-up < 1 s with %s events (issue 17)" % big_label, st < 1, "%.2f s" % st))
    if rss is not None:
        targets.append(("peak memory < 200 MB with %s events (issue 17)" % big_label, rss < 200, "%.0f MB" % rss))
    for key, label, limit in (("tt_rbs", "releases-by-state", 0.5), ("tt_det", "detailed, the whole view", 1.0),
                              ("tt_dst", "detailed?state=, narrowed", 5.0), ("tt_rel", "releases/{release}", 5.0)):
        p99 = _num(r, key + "_p99")
        if p99 is not None:
            targets.append(("time travel < %s ms (%s, p99)" % (limit, label), p99 < limit, "p99 %s" % _lat(r, key + "_p99")))

    for key, label in (("page_matrix", "state matrix (50 releases x 20 states)"), ("page_month", "calendar month"),
                       ("page_schedule", "schedule view, 1,000 keys x 5 revisions"),
                       ("page_release", "release page with its schedule"),
                       ("page_lifecycle", "lifecycle chart, 50 releases")):
        p50 = _num(r, key + "_p50")
        if p50 is not None:
            targets.append(("page render < 5 ms (%s, p50)" % label, p50 < 5.0, "p50 %s, p99 %s" % (_lat(r, key + "_p50"), _lat(r, key + "_p99"))))
    sa = _num(r, "streams_all_p99_ms")
    if sa is not None:
        targets.append(("a write reaches all %s streams < 100 ms (p99 from its 201)" % r.get("streams_open", "?"),
                        sa < 100, "p99 %.1f ms, max %s ms" % (sa, r.get("streams_all_max_ms", "?"))))
    wb, ws = _num(r, "streams_base_ok_per_s"), _num(r, "streams_with_ok_per_s")
    if wb and ws is not None:
        targets.append(("writes with %s streams open (no target; compared)" % r.get("streams_open", "?"), None,
                        "%.0f vs %.0f writes/s without (%+.0f%%)" % (ws, wb, 100 * (ws - wb) / wb)))
    hb, hw = _num(r, "hooks_base_ok_per_s"), _num(r, "hooks_with_ok_per_s")
    if hb and hw is not None:
        targets.append(("writes with %s active webhook subscriptions >= 0.9x without" % r.get("hooks_subscriptions", "?"),
                        hw >= 0.9 * hb, "%.0f vs %.0f writes/s without (%.2fx)" % (hw, hb, hw / hb)))
    wz, jz = _num(r, "wasm_gz"), _num(r, "js_gz")
    if wz is not None and jz is not None:
        targets.append(("wasm + JS < 250 KB gzip", wz + jz < 250 * 1024, "%.1f KB gzip" % ((wz + jz) / 1024)))

    rows = [
        ("(a) view releases-by-state, %s conns, %ss" % (r.get("view_conns", "64"), dur_v),
         "%s req/s" % _f(r, "view_rps"), "p99 " + _lat(r, "view_p99"),
         "%s bytes" % r.get("view_bytes", "?")),
        ("(a) same bytes, nginx static file", "%s req/s" % _f(r, "nginx_rps"),
         "p99 " + _lat(r, "nginx_p99"), ""),
        ("(a') the view with metrics on (--metrics-bind)", "%s req/s" % _f(r, "view_metrics_rps"),
         "p99 " + _lat(r, "view_metrics_p99"), ""),
    ]
    for db, label in (("sqlite", "SQLite"), ("pg", "PostgreSQL")):
        if r.get(db + "_skipped"):
            rows.append(("(b) POST /api/v1/events, " + label, "SKIPPED", r[db + "_skipped"], ""))
        else:
            rows.append(("(b) POST /api/v1/events, %s, %s conns, %ss" % (label, r.get("write_conns", "16"), dur_w),
                         "%s req/s" % _f(r, db + "_rps"), "p99 " + _lat(r, db + "_p99"),
                         "non-2xx %s, socket errors %s, stored %s" % (
                             r.get(db + "_non2xx", "?"), r.get(db + "_sockerr", "?"), r.get(db + "_stored", "?"))))
    rows += [
        ("(c) import %s events (SQLite)" % big_label, _f(r, "import_s", "%.1f", " s"), "", "file %s MB" % _f(r, "big_file_mb", "%.0f")),
        ("(c) start-up with %s events until /readyz 200" % big_label, _f(r, "start_s", "%.2f", " s"),
         "peak RSS %s" % _f(r, "start_rss_mb", "%.0f", " MB"), "database %s MB" % _f(r, "big_db_mb", "%.0f")),
        ("(d) ?at=2022-06-01 releases-by-state, 1 conn, %ss" % dur_t,
         "p50 " + _lat(r, "tt_rbs_p50"), "p99 " + _lat(r, "tt_rbs_p99"), "%s req/s" % _f(r, "tt_rbs_rps")),
        ("(d) ?at=2022-06-01 detailed, 1 conn, %ss" % dur_t,
         "p50 " + _lat(r, "tt_det_p50"), "p99 " + _lat(r, "tt_det_p99"),
         "%s req/s, %s bytes" % (_f(r, "tt_det_rps"), r.get("tt_det_bytes", "?"))),
        ("(d) ?at=2022-06-01 detailed?state=active (narrowed), 1 conn, %ss" % dur_t,
         "p50 " + _lat(r, "tt_dst_p50"), "p99 " + _lat(r, "tt_dst_p99"),
         "%s req/s, %s bytes" % (_f(r, "tt_dst_rps"), r.get("tt_dst_bytes", "?"))),
        ("(d) ?at=2022-06-01 releases/100 (one release), 1 conn, %ss" % dur_t,
         "p50 " + _lat(r, "tt_rel_p50"), "p99 " + _lat(r, "tt_rel_p99"),
         "%s req/s, %s bytes" % (_f(r, "tt_rel_rps"), r.get("tt_rel_bytes", "?"))),
        ("(d') no ?at= releases-by-state on the big log, 1 conn, %ss" % dur_t,
         "p50 " + _lat(r, "now_rbs_p50"), "p99 " + _lat(r, "now_rbs_p99"), "%s req/s" % _f(r, "now_rbs_rps")),
        ("(e) page /dists/pages (50 releases x 20 states), 1 conn, %ss" % dur_t,
         "p50 " + _lat(r, "page_matrix_p50"), "p99 " + _lat(r, "page_matrix_p99"),
         "%s req/s, %s bytes" % (_f(r, "page_matrix_rps"), r.get("page_matrix_bytes", "?"))),
        ("(e) page /calendar month, 1 conn, %ss" % dur_t,
         "p50 " + _lat(r, "page_month_p50"), "p99 " + _lat(r, "page_month_p99"), "%s req/s" % _f(r, "page_month_rps")),
        ("(e) GET /api/v1/views/pages/schedule (1,000 keys x 5 revisions), 1 conn, %ss" % dur_t,
         "p50 " + _lat(r, "page_schedule_p50"), "p99 " + _lat(r, "page_schedule_p99"),
         "%s req/s, %s bytes" % (_f(r, "page_schedule_rps"), r.get("page_schedule_bytes", "?"))),
        ("(e) page /dists/pages/releases/25 (schedule table, 20 keys), 1 conn, %ss" % dur_t,
         "p50 " + _lat(r, "page_release_p50"), "p99 " + _lat(r, "page_release_p99"), "%s req/s" % _f(r, "page_release_rps")),
        ("(e) page /calendar?view=lifecycle (50 releases x 20 states), 1 conn, %ss" % dur_t,
         "p50 " + _lat(r, "page_lifecycle_p50"), "p99 " + _lat(r, "page_lifecycle_p99"),
         "%s req/s, %s bytes" % (_f(r, "page_lifecycle_rps"), r.get("page_lifecycle_bytes", "?"))),
        ("(f) %s streams open: from a write's 201 to its arrival, %s writes" % (r.get("streams_open", "?"), r.get("streams_writes", "?")),
         "p50 %s ms" % r.get("streams_p50_ms", "?"), "p99 %s ms" % r.get("streams_p99_ms", "?"),
         "at all streams: p99 %s ms, max %s ms" % (r.get("streams_all_p99_ms", "?"), r.get("streams_all_max_ms", "?"))),
        ("(f) memory per open stream", "%s KB" % r.get("streams_rss_per_stream_kb", "?"), "",
         "RSS %s MB before, %s MB with the streams" % (r.get("streams_rss_before_mb", "?"), r.get("streams_rss_after_mb", "?"))),
        ("(f) POST /api/v1/events, SQLite, %s conns, without streams" % r.get("write_conns", "16"),
         "%s req/s" % _f(r, "streams_base_rps"), "p99 " + _lat(r, "streams_base_p99"), ""),
        ("(f) the same with the %s streams open (each write goes to all)" % r.get("streams_open", "?"),
         "%s req/s" % _f(r, "streams_with_rps"), "p99 " + _lat(r, "streams_with_p99"),
         "the client reads all streams on the same cores"),
        ("(g) webhooks: %s subscriptions x %s events to a loopback receiver" % (r.get("hooks_subscriptions", "?"), r.get("hooks_events", "?")),
         "%s deliveries/s" % r.get("hooks_per_s", "?"), "201 to delivery: p50 %s ms, p99 %s ms" % (r.get("hooks_p50_ms", "?"), r.get("hooks_p99_ms", "?")),
         "%s deliveries" % r.get("hooks_deliveries", "?")),
        ("(g) POST /api/v1/events, SQLite, %s conns, no subscriptions" % r.get("write_conns", "16"),
         "%s req/s" % _f(r, "hooks_base_rps"), "p99 " + _lat(r, "hooks_base_p99"), ""),
        ("(g) the same with %s active subscriptions (each write goes to all)" % r.get("hooks_subscriptions", "?"),
         "%s req/s" % _f(r, "hooks_with_rps"), "p99 " + _lat(r, "hooks_with_p99"),
         "%s deliveries made meanwhile" % r.get("hooks_held_deliveries", "?")),
        ("(e) wasm shipped (release, wasm-opt)", "%s KB" % _f(r, "wasm_bytes", "%.1f") if False else "%.1f KB" % ((_num(r, "wasm_bytes") or 0) / 1024),
         "gzip %.1f KB" % ((_num(r, "wasm_gz") or 0) / 1024), ""),
        ("(e) JS shipped", "%.1f KB" % ((_num(r, "js_bytes") or 0) / 1024),
         "gzip %.1f KB" % ((_num(r, "js_gz") or 0) / 1024), ""),
    ]

    w0 = max(len(x[0]) for x in rows)
    w1 = max(len(x[1]) for x in rows)
    w2 = max(len(x[2]) for x in rows)
    lines = ["%-*s  %*s  %-*s  %s" % (w0, a, w1, b, w2, c, d) for a, b, c, d in rows]
    print("\n".join(lines))
    print()
    for name, met, how in targets:
        print("  %-8s %s: %s" % ({True: "MET", False: "MISSED", None: "SKIPPED"}[met], name, how))
    print()
    print("load average before: %s, after: %s" % (r.get("load_before", "?"), r.get("load_after", "?")))
    print("total bench time: %s s" % r.get("total_s", "?"))

    if doc == "-":
        return
    machine = "%s cores, %s, Linux %s" % (r.get("nproc", "?"), r.get("cpu", "?"), r.get("kernel", "?"))
    md = []
    md.append("## Latest run\n")
    md.append("- date: %s" % r.get("date", "?"))
    md.append("- machine: %s; server, load generator (and nginx, PostgreSQL) share these cores" % machine)
    md.append("- commit: %s%s" % (r.get("commit", "?"), " (with uncommitted changes)" if r.get("dirty") == "1" else ""))
    md.append("- mode: %s; wrk %s; nginx %s; PostgreSQL %s" % (
        "quick (smoke run)" if r.get("quick") == "1" else "full",
        r.get("wrk_version", "?"), r.get("nginx_version", "?"), r.get("pg_version", "n/a")))
    md.append("- load average (1, 5, 15 min) before: %s; after: %s (the machine has %s cores; "
              "anything well above 0 means other work shared them)" % (
                  r.get("load_before", "?"), r.get("load_after", "?"), r.get("nproc", "?")))
    md.append("- total time of `scripts/bench`: %s s\n" % r.get("total_s", "?"))
    md.append("| measurement | result | latency | notes |")
    md.append("|---|---|---|---|")
    for a, b, c, d in rows:
        md.append("| %s | %s | %s | %s |" % (a, b, c, d))
    md.append("")
    md.append("| target | verdict | this run |")
    md.append("|---|---|---|")
    for name, met, how in targets:
        md.append("| %s | %s | %s |" % (name, {True: "met", False: "**missed**", None: "skipped"}[met], how))
    md.append("")
    section = "\n".join(md) + "\n"

    head = ""
    if os.path.exists(doc):
        text = open(doc).read()
        i = text.find("## Latest run")
        head = text[:i] if i >= 0 else text.rstrip("\n") + "\n\n"
    if not head.strip():
        head = "# Benchmarks\n\nRun `scripts/bench` (see the script's header for options).\n\n"
    with open(doc, "w") as f:
        f.write(head + section)


# --------------------------------------------------------------------------
# streams


def streams(port, token, n, writes, out, hold_file=None):
    """Opens `n` streams on `port`, posts `writes` events one after another
    (each once the previous one reached every stream), and writes to `out`
    the delay from each 201 to the message's arrival on each stream: p50,
    p99, and per write the time until the last stream had it. With
    `hold_file`, then keeps the streams open, reading and discarding what
    arrives, until that file is removed."""
    import asyncio
    import re

    id_re = re.compile(rb'event: event\ndata: \{"id":(\d+),')

    parsing = [True]

    async def reader(i, arrivals, ready, stop):
        r, w = await asyncio.open_connection("127.0.0.1", port)
        # HTTP/1.0: the body comes unchunked, ended by the close.
        w.write(b"GET /api/v1/stream HTTP/1.0\r\nHost: bench\r\n\r\n")
        await w.drain()
        head = await r.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise SystemExit("stream %d refused: %r" % (i, head[:200]))
        ready.release()
        buf = b""
        while not stop.is_set():
            chunk = await r.read(65536)
            if not chunk:
                return
            t = time.monotonic()
            if not parsing[0]:
                continue
            buf += chunk
            start = 0
            for m in id_re.finditer(buf):
                arrivals.setdefault(int(m.group(1)), []).append(t)
                start = m.end()
            buf = buf[start:][-4096:]

    async def post(k):
        body = json.dumps({"dist": "bench-streams", "release": str(k), "state": "active", "reached": True}).encode()
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(b"POST /api/v1/events HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
                b"Authorization: Bearer " + token.encode() + b"\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        await w.drain()
        answer = await r.read()
        t = time.monotonic()
        w.close()
        status = answer.split(b" ", 2)[1]
        if status != b"201":
            raise SystemExit("write refused: %r" % answer[:300])
        m = re.search(rb'"id":(\d+)', answer)
        return int(m.group(1)), t

    async def run():
        arrivals = {}
        ready = asyncio.Semaphore(0)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(reader(i, arrivals, ready, stop)) for i in range(n)]
        for _ in range(n):
            await ready.acquire()
        delays, last = [], []
        for k in range(writes):
            event_id, t201 = await post(k)
            deadline = time.monotonic() + 10
            while len(arrivals.get(event_id, [])) < n and time.monotonic() < deadline:
                await asyncio.sleep(0.001)
            got = arrivals.get(event_id, [])
            if len(got) < n:
                raise SystemExit("event %d reached %d of %d streams in 10 s" % (event_id, len(got), n))
            ds = [max(0.0, t - t201) for t in got]
            delays.extend(ds)
            last.append(max(ds))
            await asyncio.sleep(0.02)
        delays.sort()
        last.sort()
        pick = lambda xs, q: xs[min(len(xs) - 1, int(q * len(xs)))]
        with open(out, "w") as f:
            f.write("streams_open=%d\n" % n)
            f.write("streams_writes=%d\n" % writes)
            f.write("streams_p50_ms=%.2f\n" % (pick(delays, 0.50) * 1000))
            f.write("streams_p99_ms=%.2f\n" % (pick(delays, 0.99) * 1000))
            f.write("streams_all_p99_ms=%.2f\n" % (pick(last, 0.99) * 1000))
            f.write("streams_all_max_ms=%.2f\n" % (last[-1] * 1000))
        if hold_file:
            # Hold and drain until told to stop; no parsing from here on.
            parsing[0] = False
            while os.path.exists(hold_file):
                await asyncio.sleep(0.1)
        stop.set()
        for t in tasks:
            t.cancel()

    asyncio.run(run())


# --------------------------------------------------------------------------
# webhooks


def webhooks(port, token, subs, events, out, hold_file):
    """Runs a webhook receiver on loopback, creates `subs` subscriptions to
    everything pointing at it, posts `events` events (8 in flight), and
    writes to `out` the deliveries per second and the delay from each
    event's 201 to each of its deliveries (p50, p99). Then keeps the
    receiver answering 204, discarding what arrives, until `hold_file` is
    removed (the write rate beside 100 active subscriptions is measured
    meanwhile)."""
    import asyncio
    import re

    id_re = re.compile(rb'"data":\{"id":(\d+),')
    arrivals = {}
    counting = [True]
    count = [0]

    async def handle(r, w):
        try:
            while True:
                head = await r.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await r.readexactly(length)
                t = time.monotonic()
                count[0] += 1
                if counting[0]:
                    m = id_re.search(body)
                    if m:
                        arrivals.setdefault(int(m.group(1)), []).append(t)
                w.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await w.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            w.close()

    async def call(method, path, body):
        data = json.dumps(body).encode()
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(method.encode() + b" " + path.encode() + b" HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
                b"Authorization: Bearer " + token.encode() + b"\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(data)).encode() + b"\r\n\r\n" + data)
        await w.drain()
        answer = await r.read()
        t = time.monotonic()
        w.close()
        status = answer.split(b" ", 2)[1]
        if status != b"201":
            raise SystemExit("%s %s refused: %r" % (method, path, answer[:300]))
        return answer, t

    async def run():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        hook_port = server.sockets[0].getsockname()[1]
        for i in range(subs):
            await call("POST", "/api/v1/webhooks", {"url": "http://127.0.0.1:%d/hook/%d" % (hook_port, i),
                                                    "description": "bench %d" % i})
        sent = {}
        queue = asyncio.Queue()
        for k in range(events):
            queue.put_nowait(k)

        async def poster():
            while not queue.empty():
                k = queue.get_nowait()
                answer, t = await call("POST", "/api/v1/events",
                                       {"dist": "bench-hooks", "release": str(k), "state": "active", "reached": True})
                sent[int(re.search(rb'"id":(\d+)', answer).group(1))] = t

        started = time.monotonic()
        await asyncio.gather(*(poster() for _ in range(8)))
        deadline = time.monotonic() + 300
        want = subs * events
        while sum(len(v) for v in arrivals.values()) < want and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        got = sum(len(v) for v in arrivals.values())
        if got < want:
            raise SystemExit("%d of %d deliveries arrived in 300 s" % (got, want))
        finished = max(max(v) for v in arrivals.values())
        delays = sorted(max(0.0, t - sent[e]) for e, ts in arrivals.items() if e in sent for t in ts)
        pick = lambda xs, q: xs[min(len(xs) - 1, int(q * len(xs)))]
        with open(out, "w") as f:
            f.write("hooks_subscriptions=%d\n" % subs)
            f.write("hooks_events=%d\n" % events)
            f.write("hooks_deliveries=%d\n" % got)
            f.write("hooks_per_s=%.0f\n" % (got / (finished - started)))
            f.write("hooks_p50_ms=%.1f\n" % (pick(delays, 0.50) * 1000))
            f.write("hooks_p99_ms=%.1f\n" % (pick(delays, 0.99) * 1000))
        counting[0] = False
        while os.path.exists(hold_file):
            await asyncio.sleep(0.1)
        with open(out, "a") as f:
            f.write("hooks_held_deliveries=%d\n" % (count[0] - got))
        server.close()

    asyncio.run(run())


def raw_sqlite(path, seconds):
    """The engine's own durable commit rate, to set API writes beside: one
    writer, WAL with synchronous=FULL (as the server runs), each
    transaction an event row and an outbox row. Prints `raw_sqlite_tps=N`."""
    import sqlite3
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, dist TEXT, release TEXT, state TEXT,"
               " reached INTEGER, at TEXT, recorded_at TEXT, recorded_by TEXT)")
    db.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY, event_id INTEGER, topic TEXT, body TEXT)")
    body = json.dumps({"dist": "bench", "release": "0", "state": "active", "reached": True})
    n = 0
    end = time.monotonic() + seconds
    started = time.monotonic()
    while time.monotonic() < end:
        db.execute("BEGIN IMMEDIATE")
        cur = db.execute("INSERT INTO events (dist, release, state, reached, at, recorded_at, recorded_by)"
                         " VALUES ('bench', '0', 'active', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'b')")
        db.execute("INSERT INTO outbox (event_id, topic, body) VALUES (?, 'x', ?)", (cur.lastrowid, body))
        db.execute("COMMIT")
        n += 1
    print("raw_sqlite_tps=%.0f" % (n / (time.monotonic() - started)))


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "free-port":
        free_port()
    elif cmd == "gen-seed":
        gen_seed(argv[2])
    elif cmd == "gen-pages":
        gen_pages(argv[2])
    elif cmd == "gen-big":
        gen_big(int(argv[2]), argv[3])
    elif cmd == "wrk-lua":
        wrk_lua(argv[2], argv[3])
    elif cmd == "wrk-parse":
        wrk_parse(argv[2], argv[3])
    elif cmd == "streams":
        streams(int(argv[2]), argv[3], int(argv[4]), int(argv[5]), argv[6], argv[7] if len(argv) > 7 else None)
    elif cmd == "webhooks":
        webhooks(int(argv[2]), argv[3], int(argv[4]), int(argv[5]), argv[6], argv[7])
    elif cmd == "raw-sqlite":
        raw_sqlite(argv[2], float(argv[3]))
    elif cmd == "report":
        report(argv[2], argv[3])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
