#!/usr/bin/env python3
"""The harness of scripts/reliability (issue 7, parts 1, 2, 3, 7 and 6).

    reliability.py BIN WORK PG_ADMIN_URL AMQP_URL SUMMARY MODE [--short]

MODE is crash, db-outage, broker-outage, scale-out, soak or all. Everything
runs on 127.0.0.1: the server processes, the TCP proxies that play the
outages (the shared PostgreSQL and RabbitMQ are never stopped), and the
clients. Each part prints its figures and appends them to SUMMARY
(Markdown); the exit status is 1 when a check failed.

Standard library only, except pika (an AMQP client) for the message checks.
"""

import datetime
import http.client
import json
import os
import random
import re
import select
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

import pika

BIN, WORK, PG_ADMIN, AMQP_URL, SUMMARY, MODE = sys.argv[1:7]
SHORT = "--short" in sys.argv[7:]
FAILURES = []
PROCS = []  # every server started, killed at exit by the caller's trap too


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def check(ok, what):
    """Records a failed check (the run goes on, the exit status says it)."""
    if not ok:
        FAILURES.append(what)
        log(f"FAILED: {what}")
    return ok


def summary(lines):
    text = "\n".join(lines) + "\n"
    print(text, flush=True)
    with open(SUMMARY, "a") as f:
        f.write(text + "\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def ms(v):
    return f"{v * 1000:.0f} ms" if v == v else "n/a"


# ---------------------------------------------------------------------------
# HTTP


def request(port, method, path, body=None, token=None, timeout=15, conn_out=None, extra=None):
    """One request on a new connection: (status, headers, body bytes).
    Raises ConnectionRefusedError when nothing listens (the request was
    not sent) and other OSErrors when it was sent but got no answer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.connect()  # ConnectionRefusedError: not sent
    try:
        headers = {"Connection": "close"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        headers.update(extra or {})
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except (http.client.HTTPException, OSError) as e:
            raise OSError(f"no answer: {e}") from e
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def get_json(port, path):
    status, _, data = request(port, "GET", path)
    if status != 200:
        raise RuntimeError(f"GET {path}: {status} {data[:200]!r}")
    return json.loads(data)


def all_events(port, dist):
    """The whole log of `dist`, oldest first."""
    events, before = [], None
    while True:
        path = f"/api/v1/events?dist={dist}&limit=1000" + (f"&before_id={before}" if before else "")
        page = get_json(port, path)
        events.extend(page["events"])
        before = page.get("next_before_id")
        if not before:
            return sorted(events, key=lambda e: e["id"])


def recompute_states_by_release(events):
    """DESIGN.md §1: a release is in a state when the last non-retracted
    event of (release, state) — by `at`, ties broken by `id` — has
    reached=true. Releases in no state are left out."""
    last = {}
    for e in events:
        if e.get("retracted") or e.get("retraction"):
            continue
        key = (e["release"], e["state"])
        rank = (datetime.datetime.fromisoformat(e["at"].replace("Z", "+00:00")), e["id"])
        if key not in last or rank > last[key][0]:
            last[key] = (rank, e["reached"])
    out = {}
    for (release, state), (_, reached) in last.items():
        if reached:
            out.setdefault(release, []).append(state)
    return {r: sorted(s) for r, s in out.items()}


# ---------------------------------------------------------------------------
# processes and databases


class Server:
    """`releasetracker serve` on a port of its own."""

    def __init__(self, db, name, amqp_url=None, prefix=None, extra=(), log_level="warn", log_json=False):
        self.db, self.name, self.amqp_url, self.prefix, self.extra = db, name, amqp_url, prefix, list(extra)
        self.log_level, self.log_json = log_level, log_json
        self.port = free_port()
        self.proc = None
        self.log = open(os.path.join(WORK, f"{name}.log"), "ab")

    def start(self, wait=True):
        env = dict(os.environ)
        env.pop("AMQP_URL", None)
        # The harness's clients post bursts from one address on purpose:
        # the per-client write limit would turn them into 429s.
        args = [BIN, "--database", self.db, "--log-level", self.log_level,
                *(["--log-format", "json"] if self.log_json else []), "serve",
                "--bind", f"127.0.0.1:{self.port}", "--site-root", os.path.join(WORK, "site"),
                "--write-rate-limit", "0", "--token-write-rate-limit", "0", "--max-requests-per-client", "0"]
        if self.amqp_url:
            env["AMQP_URL"] = self.amqp_url
            args += ["--amqp-topic-prefix", self.prefix]
        self.proc = subprocess.Popen(args + self.extra, env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        PROCS.append(self.proc)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, limit=60):
        started = time.monotonic()
        while time.monotonic() - started < limit:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} (see {self.log.name})")
            try:
                if request(self.port, "GET", "/healthz", timeout=2)[0] == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"{self.name} did not start within {limit} s")

    def kill9(self):
        self.proc.kill()  # SIGKILL
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def rss_kib(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0


def make_token(db):
    out = subprocess.run([BIN, "--database", db, "--log-level", "warn", "token", "create", "--name",
                          f"rel-{uuid.uuid4().hex[:8]}"], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


PG_DBS = []


def pg_database():
    """A fresh database next to PG_ADMIN (dropped by the caller's trap,
    whose list is WORK/pg_dbs)."""
    name = f"rt_rel_{uuid.uuid4().hex[:10]}"
    subprocess.run(["psql", "-q", "-X", PG_ADMIN, "-c", f"CREATE DATABASE {name}"], check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(WORK, "pg_dbs"), "a") as f:
        f.write(name + "\n")
    PG_DBS.append(name)
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def sqlite_database(name):
    return "sqlite://" + os.path.join(WORK, f"{name}.db")


# ---------------------------------------------------------------------------
# a TCP proxy that refuses and cuts connections on demand


class Proxy:
    """Forwards 127.0.0.1:port to (host, upstream_port). `down()` closes
    the listening socket (new connections are refused) and every open
    connection; `up()` listens again on the same port."""

    def __init__(self, host, upstream_port):
        self.upstream = (host, upstream_port)
        self.port = free_port()
        self.lock = threading.Lock()
        self.conns = []
        self.listener = None
        self.up()

    def up(self):
        for _ in range(200):
            try:
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", self.port))
                s.listen(128)
                break
            except OSError:
                s.close()
                time.sleep(0.05)
        else:
            raise RuntimeError(f"proxy cannot listen on {self.port} again")
        self.listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def down(self):
        with self.lock:
            listener, self.listener = self.listener, None
            conns, self.conns = self.conns, []
        if listener:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                if self.listener is not listener:
                    client.close()
                    server.close()
                    return
                self.conns += [client, server]
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        socks = [a, b]
        try:
            while True:
                readable, _, _ = select.select(socks, [], [], 1.0)
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        raise OSError("closed")
                    (b if s is a else a).sendall(data)
        except (OSError, ValueError):
            for s in socks:
                try:
                    s.close()
                except OSError:
                    pass


# ---------------------------------------------------------------------------
# AMQP: a queue of our own bound to a unique topic prefix


class Consumer:
    """Collects the event ids of messages under `prefix` on amq.topic."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.ids = []  # in arrival order, duplicates kept
        self.message_ids = {}  # event id -> set of message_id
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(20):
            raise RuntimeError("AMQP consumer did not start")

    def _run(self):
        conn = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
        ch = conn.channel()
        q = ch.queue_declare("", exclusive=True, auto_delete=True).method.queue
        ch.queue_bind(q, "amq.topic", routing_key=f"{self.prefix}.releasetracker.event.*")
        self.ready.set()
        for method, props, body in ch.consume(q, auto_ack=True, inactivity_timeout=0.2):
            if self.stop.is_set():
                break
            if method is None:
                continue
            try:
                event_id = json.loads(body)["id"]
            except (ValueError, KeyError):
                continue
            with self.lock:
                self.ids.append(event_id)
                self.message_ids.setdefault(event_id, set()).add(props.message_id)
        try:
            ch.cancel()
            conn.close()
        except Exception:
            pass

    def wait_for(self, ids, limit):
        """Seconds until every id in `ids` arrived, or None after `limit`."""
        started = time.monotonic()
        while time.monotonic() - started < limit:
            with self.lock:
                if set(ids) <= set(self.ids):
                    return time.monotonic() - started
            time.sleep(0.1)
        return None

    def close(self):
        self.stop.set()
        self.thread.join(5)

    def report(self, ids):
        with self.lock:
            got = list(self.ids)
            mids = dict(self.message_ids)
        counts = {}
        for i in got:
            counts[i] = counts.get(i, 0) + 1
        missing = sorted(set(ids) - set(counts))
        dups = sum(c - 1 for i, c in counts.items() if i in ids)
        unstable = sum(1 for i in ids if len(mids.get(i, ())) > 1)
        extra = sorted(set(counts) - set(ids))
        return missing, dups, unstable, extra


# ---------------------------------------------------------------------------
# writers


class Writers:
    """`n` clients posting events with a unique note each, so that any
    stored event can be traced back to the request that made it. `keyed`:
    each request carries its note as `Idempotency-Key` and is repeated until
    it is answered 201 (after no answer or a 503), as a careful script would."""

    def __init__(self, port_of, token, dist, n, backdate=True, keyed=False):
        self.port_of, self.token, self.dist, self.n, self.backdate = port_of, token, dist, n, backdate
        self.keyed = keyed
        self.retries = 0  # keyed: requests repeated after no answer
        self.replayed = 0  # keyed: 201s that repeated an earlier, stored attempt
        self.lock = threading.Lock()
        self.acked = {}  # id -> answered body
        self.sent = {}  # note -> outcome: "201", "503", ..., or "none" (no answer)
        self.latency = []  # (t_end, seconds, status)
        self.bad_errors = []  # non-201 answers not in the documented shape
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(n)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def _body(self, w, k):
        rnd = random.Random(f"{w}-{k}")
        body = {"dist": self.dist, "release": str(rnd.randint(1, 6)), "state": rnd.choice(
            ["active", "branched", "beta-freeze", "eol", "pre-beta"]), "reached": rnd.random() < 0.6,
            "note": f"w{w}-{k}"}
        if self.backdate and rnd.random() < 0.3:
            # Back-dated to a few whole seconds, so that ties on `at` occur.
            body["at"] = f"2024-01-01T00:00:{rnd.randint(0, 9):02d}Z"
        return body

    def _run(self, w):
        k = 0
        while not self.stop.is_set():
            body = self._body(w, k)
            note = body["note"]
            t0 = time.monotonic()
            try:
                status, headers, data = request(self.port_of(k), "POST", "/api/v1/events", json.dumps(body),
                                                self.token, extra={"Idempotency-Key": note} if self.keyed else None)
            except ConnectionRefusedError:
                time.sleep(0.02)  # not sent: nothing listens (the server is down)
                continue
            except OSError:
                with self.lock:
                    self.sent[note] = "none"
                    if self.keyed:
                        self.retries += 1
                if not self.keyed:
                    k += 1
                time.sleep(0.02)
                continue
            t1 = time.monotonic()
            with self.lock:
                self.sent[note] = str(status)
                self.latency.append((t1, t1 - t0, status))
                if status == 201:
                    event = json.loads(data)
                    self.acked[event["id"]] = event
                    self.replayed += headers.get("idempotent-replayed") == "true"
                else:
                    try:
                        err = json.loads(data)["error"]
                        shape_ok = isinstance(err.get("code"), str) and isinstance(err.get("message"), str)
                    except (ValueError, KeyError, TypeError, AttributeError):
                        shape_ok = False
                    if not shape_ok or (status == 503 and (err.get("code") != "unavailable"
                                                           or "retry-after" not in headers)):
                        self.bad_errors.append((status, data[:200]))
            if status != 201:
                time.sleep(0.05)
            if self.keyed and status == 503:
                continue  # the same request again, with its key
            k += 1

    def count(self, outcome):
        with self.lock:
            return sum(1 for v in self.sent.values() if v == outcome)


IDENTITY = ("id", "dist", "release", "state", "reached", "at", "note", "recorded_at", "recorded_by", "source")


def verify_log(port, writers, dist, label):
    """Every 201 stored with the body it was answered with; every stored
    event traced to a request that got a 201 or no answer; the view equals
    a recomputation. Returns the stored events and figures."""
    stored = all_events(port, dist)
    by_id = {e["id"]: e for e in stored}
    missing = [i for i in writers.acked if i not in by_id]
    changed = [i for i, e in writers.acked.items() if i in by_id and
               any(e.get(k) != by_id[i].get(k) for k in IDENTITY)]
    notes = {}
    for e in stored:
        notes[e.get("note")] = notes.get(e.get("note"), 0) + 1
    twice = [n for n, c in notes.items() if c > 1]
    acked_notes = {e["note"] for e in writers.acked.values()}
    unexplained, unanswered_stored = [], 0
    for e in stored:
        if e["note"] in acked_notes:
            continue
        if writers.sent.get(e["note"]) == "none":
            unanswered_stored += 1
        else:
            unexplained.append((e["id"], e["note"], writers.sent.get(e["note"])))
    unanswered = writers.count("none")
    check(not missing, f"{label}: {len(missing)} acknowledged events missing: {missing[:10]}")
    check(not changed, f"{label}: {len(changed)} acknowledged events stored differently: {changed[:10]}")
    check(not twice, f"{label}: notes stored twice: {twice[:10]}")
    check(not unexplained, f"{label}: {len(unexplained)} stored events nobody got a 201 for: {unexplained[:10]}")
    view = get_json(port, f"/api/v1/views/{dist}/states-by-release")
    expected = recompute_states_by_release(stored)
    check(view == expected, f"{label}: states-by-release differs from the recomputation:\n  view {view}\n  log  {expected}")
    for release, states in view.items():
        check(states == sorted(states), f"{label}: states of {release} not sorted: {states}")
    return stored, unanswered, unanswered_stored


# ---------------------------------------------------------------------------
# 1. crash


def crash_on(kind, rounds, with_amqp, keyed=False):
    db = sqlite_database("crash") if kind == "SQLite" else pg_database()
    token = make_token(db)
    prefix = f"rel.crash{uuid.uuid4().hex[:8]}"
    consumer = Consumer(prefix) if with_amqp else None
    server = Server(db, f"crash-{kind.lower()}", AMQP_URL if with_amqp else None, prefix,
                    ["--poll-interval-ms", "100"])
    dist = f"crash-{kind.lower()}{'-keyed' if keyed else ''}"
    restart_times = []
    server.start()
    writers = Writers(lambda _k: server.port, token, dist, 8, keyed=keyed).start()
    rnd = random.Random()
    for r in range(rounds):
        time.sleep(rnd.uniform(0.2, 1.2))
        server.kill9()
        t0 = time.monotonic()
        server.start(wait=False)
        server.wait_ready()
        restart_times.append(time.monotonic() - t0)
    time.sleep(1)
    writers.finish()
    stored, unanswered, unanswered_stored = verify_log(server.port, writers, dist, f"crash/{kind}")
    if keyed:
        # Every request was repeated until answered: no maybe left but the
        # requests in flight when the writers stopped.
        check(unanswered <= writers.n, f"crash/{kind} keyed: {unanswered} requests never answered")
        unanswered, unanswered_stored = writers.retries, writers.replayed
    lines = [f"| {kind}{' (keyed retries)' if keyed else ''} | {rounds} | {len(writers.acked)} | {unanswered} | {unanswered_stored} | "
             f"{len(stored)} | {ms(statistics.median(restart_times))} / {ms(max(restart_times))} |"]
    amqp = "—"
    if consumer:
        ids = [e["id"] for e in stored]
        took = consumer.wait_for(ids, 60)
        missing, dups, unstable, extra = consumer.report(ids)
        consumer.close()
        check(not missing, f"crash/{kind}: {len(missing)} messages never arrived: {missing[:10]}")
        check(not unstable, f"crash/{kind}: {unstable} events with more than one message_id")
        check(not extra, f"crash/{kind}: messages for unknown events {extra[:10]}")
        amqp = (f"{len(ids) - len(missing)}/{len(ids)} arrived, {dups} duplicates"
                + (f", the last {took:.1f} s after the log was checked" if took is not None else ""))
    server.stop()
    check(server.proc.returncode == 0, f"crash/{kind}: the last server did not stop cleanly")
    return lines[0] + f" {amqp} |"


def part_crash():
    rounds = 5 if SHORT else 25
    rows = [crash_on("SQLite", rounds, True), crash_on("PostgreSQL", rounds, True)]
    keyed_rounds = max(3, rounds // 5)
    keyed = [crash_on("SQLite", keyed_rounds, True, keyed=True), crash_on("PostgreSQL", keyed_rounds, True, keyed=True)]
    summary([
        "## 1. Crash safety",
        "",
        f"8 writers, kill -9 every 0.2–1.2 s, {rounds} times per database, AMQP on:",
        "",
        "| database | kills | 201s | no answer | of those stored | events stored | restart (median / max) | messages |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"The same with writers that send an `Idempotency-Key` and repeat a request until it is answered "
        f"({keyed_rounds} kills per database; \"no answer\" counts the repeats, \"of those stored\" the repeats "
        "answered as replays because the first attempt had been stored):",
        "",
        "| database | kills | 201s | no answer | of those stored | events stored | restart (median / max) | messages |",
        "|---|---|---|---|---|---|---|---|",
        *keyed,
    ])


# ---------------------------------------------------------------------------
# 2. database outage


def part_db_outage():
    down_for = 10 if SHORT else 60
    db = pg_database()
    token = make_token(db)
    pg = urllib.parse.urlsplit(PG_ADMIN)
    proxy = Proxy(pg.hostname, pg.port or 5432)
    via = db.replace(f"@{pg.netloc.split('@')[-1]}/", f"@127.0.0.1:{proxy.port}/")
    server = Server(via, "db-outage").start()
    dist = "db-outage"
    writers = Writers(lambda _k: server.port, token, dist, 4, backdate=False).start()
    time.sleep(3)
    reads = {"view": [], "page": []}
    ready_during = []
    proxy.down()
    t_down = time.monotonic()
    while time.monotonic() - t_down < down_for:
        for kind, path in (("view", f"/api/v1/views/{dist}/states-by-release"), ("page", "/")):
            t0 = time.monotonic()
            try:
                status = request(server.port, "GET", path, timeout=10)[0]
            except OSError:
                status = 0
            reads[kind].append((status, time.monotonic() - t0))
        try:
            ready_during.append(request(server.port, "GET", "/readyz", timeout=10)[0])
        except OSError:
            ready_during.append(0)
        time.sleep(0.2)
    proxy.up()
    t_up = time.monotonic()
    recovered = None
    while time.monotonic() - t_up < 60:
        try:
            if request(server.port, "GET", "/readyz", timeout=5)[0] == 200:
                recovered = time.monotonic() - t_up
                break
        except OSError:
            pass
        time.sleep(0.05)
    first_201 = None
    while time.monotonic() - t_up < 60 and first_201 is None:
        with writers.lock:
            after = [t for t, _, s in writers.latency if s == 201 and t > t_up]
        first_201 = min(after) - t_up if after else None
        time.sleep(0.05)
    time.sleep(2)
    writers.finish()
    with writers.lock:
        during = [(lat, s) for t, lat, s in writers.latency if t_down + 0.5 < t < t_up]
        bad = list(writers.bad_errors)
    fail_lat = [lat for lat, s in during if s == 503]
    other = sorted({s for _, s in during if s != 503})
    check(fail_lat, "db-outage: no write was answered 503 during the outage")
    check(not other, f"db-outage: writes during the outage answered {other}, not only 503")
    check(not bad, f"db-outage: error bodies not in the documented shape (or 503 without Retry-After): {bad[:3]}")
    for kind in reads:
        non200 = [s for s, _ in reads[kind] if s != 200]
        check(not non200, f"db-outage: {kind} reads during the outage answered {sorted(set(non200))}")
    check(all(s == 503 for s in ready_during), f"db-outage: /readyz during the outage said {sorted(set(ready_during))}")
    check(recovered is not None, "db-outage: /readyz did not come back within 60 s")
    check(first_201 is not None, "db-outage: no write succeeded after the database came back")
    stored, unanswered, unanswered_stored = verify_log(server.port, writers, dist, "db-outage")
    check(len(stored) == len(writers.acked) + unanswered_stored,
          f"db-outage: {len(stored)} events stored, {len(writers.acked)} got 201")
    server.stop()
    proxy.down()
    summary([
        "## 2. Database outage",
        "",
        f"PostgreSQL behind a proxy that refuses connections for {down_for} s; 4 writers, reads 5 a second:",
        "",
        f"- writes during the outage: {len(fail_lat)} answered 503 `unavailable` with Retry-After; "
        f"time to the 503: median {ms(statistics.median(fail_lat) if fail_lat else float('nan'))}, "
        f"p99 {ms(pct(fail_lat, 99))}, max {ms(max(fail_lat) if fail_lat else float('nan'))}",
        f"- reads during the outage: views {sum(1 for s, _ in reads['view'] if s == 200)}/{len(reads['view'])} "
        f"200 (median {ms(statistics.median([l for _, l in reads['view']]))}), "
        f"`/` {sum(1 for s, _ in reads['page'] if s == 200)}/{len(reads['page'])} 200 "
        f"(median {ms(statistics.median([l for _, l in reads['page']]))}); "
        f"/readyz 503 {sum(1 for s in ready_during if s == 503)}/{len(ready_during)}",
        f"- recovery without restart: /readyz 200 after {ms(recovered) if recovered is not None else 'never'}, "
        f"first 201 after {ms(first_201) if first_201 is not None else 'never'}",
        f"- afterwards: {len(stored)} events stored = {len(writers.acked)} answered 201"
        f" + {unanswered_stored} of {unanswered} unanswered; view equals the recomputation",
    ])


# ---------------------------------------------------------------------------
# 3. broker outage


def part_broker_outage():
    down_for = 10 if SHORT else 60
    db = pg_database()
    token = make_token(db)
    host, port = re.search(r"@([^:/]+):(\d+)", AMQP_URL).groups()
    proxy = Proxy(host, int(port))
    via = AMQP_URL.replace(f"@{host}:{port}", f"@127.0.0.1:{proxy.port}")
    prefix = f"rel.broker{uuid.uuid4().hex[:8]}"
    consumer = Consumer(prefix)
    server = Server(db, "broker-outage", via, prefix).start()
    dist = "broker-outage"
    writers = Writers(lambda _k: server.port, token, dist, 4, backdate=False).start()
    time.sleep(3)
    proxy.down()
    t_down = time.monotonic()
    time.sleep(down_for)
    backlog = get_json(server.port, "/readyz")["outbox"]
    proxy.up()
    t_up = time.monotonic()
    time.sleep(3)
    writers.finish()
    with writers.lock:
        during = [(lat, s) for t, lat, s in writers.latency if t_down < t < t_up]
        statuses = sorted({s for _, _, s in writers.latency})
    check(statuses == [201], f"broker-outage: writes answered {statuses}, not only 201")
    stored, _, _ = verify_log(server.port, writers, dist, "broker-outage")
    ids = [e["id"] for e in stored]
    took = consumer.wait_for(ids, 90)
    missing, dups, unstable, extra = consumer.report(ids)
    consumer.close()
    check(not missing, f"broker-outage: {len(missing)} messages never arrived")
    check(not unstable, f"broker-outage: {unstable} events with more than one message_id")
    server.stop()
    proxy.down()
    lat = [l for l, _ in during]
    summary([
        "## 3. Broker outage",
        "",
        f"RabbitMQ behind a proxy that refuses and cuts connections for {down_for} s; 4 writers:",
        "",
        f"- writes during the outage: {len(during)}, all 201; latency median {ms(statistics.median(lat) if lat else float('nan'))}, p99 {ms(pct(lat, 99))}",
        f"- outbox at the end of the outage: {backlog.get('pending')} pending, connected={backlog.get('connected')}",
        f"- afterwards: {len(ids) - len(missing)}/{len(ids)} messages arrived ({dups} duplicates), "
        f"the last {round(took + 3, 1) if took is not None else 'never'} s after the broker came back",
    ])


# ---------------------------------------------------------------------------
# 7. scale-out


def part_scale_out():
    writes = 40 if SHORT else 200
    db = pg_database()
    token = make_token(db)
    prefix = f"rel.scale{uuid.uuid4().hex[:8]}"
    consumer = Consumer(prefix)
    a = Server(db, "scale-a", AMQP_URL, prefix).start()
    b = Server(db, "scale-b", AMQP_URL, prefix).start()
    dist = "scale-out"
    delays_view, delays_feed, ids = [], [], []
    for i in range(writes):
        src, dst = (a, b) if i % 2 == 0 else (b, a)
        body = {"dist": dist, "release": f"r{i}", "state": "active", "reached": True, "note": f"n{i}"}
        status, _, data = request(src.port, "POST", "/api/v1/events", json.dumps(body), token)
        t0 = time.monotonic()
        if not check(status == 201, f"scale-out: write {i} answered {status}"):
            continue
        event_id = json.loads(data)["id"]
        ids.append(event_id)
        seen_view = seen_feed = None
        while time.monotonic() - t0 < 10 and (seen_view is None or seen_feed is None):
            if seen_view is None:
                st, _, v = request(dst.port, "GET", f"/api/v1/views/{dist}/states-by-release")
                if st == 200 and f"r{i}" in json.loads(v):
                    seen_view = time.monotonic() - t0
            if seen_feed is None:
                st, _, f = request(dst.port, "GET", f"/feed.atom?dist={dist}")
                if st == 200 and f":event/{event_id}<".encode() in f:
                    seen_feed = time.monotonic() - t0
            time.sleep(0.01)
        check(seen_view is not None and seen_feed is not None, f"scale-out: event {event_id} not visible on the other instance within 10 s")
        delays_view.append(seen_view if seen_view is not None else 10)
        delays_feed.append(seen_feed if seen_feed is not None else 10)
    took = consumer.wait_for(ids, 30)
    time.sleep(2)  # let duplicates, if any, arrive
    missing, dups, unstable, extra = consumer.report(ids)
    consumer.close()
    check(not missing, f"scale-out: {len(missing)} messages never arrived")
    check(dups == 0, f"scale-out: {dups} messages published twice")
    over = sum(1 for d in delays_view + delays_feed if d > 1)
    check(over == 0, f"scale-out: {over} reads saw a write later than 1 s")
    a.stop()
    b.stop()

    def dist_line(name, d):
        return f"- {name}: median {ms(statistics.median(d))}, p90 {ms(pct(d, 90))}, p99 {ms(pct(d, 99))}, max {ms(max(d))}"

    summary([
        "## 7. Scale-out",
        "",
        f"Two instances on one PostgreSQL database (poll interval 500 ms), {writes} writes alternating between them; "
        "after each, how long until the other instance shows it:",
        "",
        dist_line("in `states-by-release`", delays_view),
        dist_line("in `/feed.atom`", delays_feed),
        f"- messages: {len(ids) - len(missing)}/{len(ids)} arrived, {dups} twice",
    ])


# ---------------------------------------------------------------------------
# 6. soak


def server_write_latencies(server, since):
    """Seconds each write took inside the server since `since` (UTC), from
    its JSON log of finished POST requests."""
    out = []
    server.log.flush()
    with open(server.log.name, "rb") as f:
        for line in f:
            if b'"latency"' not in line:
                continue
            try:
                entry = json.loads(line)
                at = datetime.datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00"))
                value, unit = entry["latency"].split()
            except (ValueError, KeyError):
                continue
            if at >= since:
                out.append(float(value) / {"ms": 1e3, "us": 1e6, "μs": 1e6, "ns": 1e9, "s": 1}.get(unit, 1e3))
    return out


def part_soak():
    duration = 30 if SHORT else 600
    db = pg_database()
    token = make_token(db)
    # The server logs each write with its own latency (tower-http's trace
    # layer, POST requests only), so that what the server takes can be told
    # apart from what the crowded machine adds on the client's side.
    server = Server(db, "soak", log_level="warn,[request{method=POST}]=debug", log_json=True).start()
    dist = "soak"
    # Some history first, so the reads have something to answer.
    seed = Writers(lambda _k: server.port, token, dist, 4).start()
    time.sleep(3)
    seed.finish()
    writers = Writers(lambda _k: server.port, token, dist, 8).start()
    lua = os.path.join(WORK, "reads.lua")
    with open(lua, "w") as f:
        f.write('local paths = {"/api/v1/views/soak/states-by-release", "/api/v1/views/soak/releases-by-state",'
                ' "/api/v1/events?dist=soak&limit=50", "/feed.atom?dist=soak", "/api/v1/views/soak/detailed"}\n'
                'local i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n')
    interval = 5 if SHORT else 30
    rows, rss = [], []
    t0 = time.monotonic()
    wall0 = datetime.datetime.now(datetime.timezone.utc)
    while time.monotonic() - t0 < duration - 1:
        start = datetime.datetime.now(datetime.timezone.utc)
        out = subprocess.run(["wrk", "-t2", "-c192", f"-d{interval}s", "--latency", "-s", lua,
                              f"http://127.0.0.1:{server.port}/"], capture_output=True, text=True)
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
        p99 = re.search(r"99%\s+([\d.]+\w+)", out.stdout)
        errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out.stdout)
        with writers.lock:
            recent = [lat for t, lat, s in writers.latency if s == 201 and t > time.monotonic() - interval]
        rss.append(server.rss_kib())
        on_server = server_write_latencies(server, start)
        rows.append(f"| {round(time.monotonic() - t0)} s | {rps.group(1) if rps else '?'} | {p99.group(1) if p99 else '?'} "
                    f"| {len(recent) / interval:.0f} | {ms(pct(recent, 99)) if recent else '-'} "
                    f"| {ms(pct(on_server, 99)) if on_server else '-'} "
                    f"| {errs.group(1) if errs else 0} | {rss[-1] / 1024:.0f} MiB |")
    writers.finish()
    with writers.lock:
        outcomes = {}
        for v in writers.sent.values():
            outcomes[v] = outcomes.get(v, 0) + 1
        write_lat = [lat for _, lat, s in writers.latency if s == 201]
    on_server = server_write_latencies(server, wall0)
    n = len(all_events(server.port, dist))
    server.stop()
    summary([
        "## 6. Load (soak)",
        "",
        f"{duration} s: wrk with 192 connections reading five views/feeds plus 8 writers (200 connections), "
        f"{n} events in the log at the end:",
        "",
        "| at | reads/s | read p99 | writes/s | write p99 (client) | write p99 (server) | non-2xx | server RSS |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"Writes: outcomes {outcomes}, latency of the 201s median {ms(statistics.median(write_lat) if write_lat else float('nan'))}, "
        f"p99 {ms(pct(write_lat, 99))} as the writers saw it; in the server (request in to answer out) "
        f"median {ms(statistics.median(on_server) if on_server else float('nan'))}, p99 {ms(pct(on_server, 99))}, "
        f"max {ms(max(on_server) if on_server else float('nan'))} ({len(on_server)} writes).",
    ])


def main():
    os.makedirs(os.path.join(WORK, "site"), exist_ok=True)
    parts = {"crash": part_crash, "broker-outage": part_broker_outage, "db-outage": part_db_outage,
             "scale-out": part_scale_out, "soak": part_soak}
    order = ["crash", "broker-outage", "db-outage", "scale-out", "soak"] if MODE == "all" else [MODE]
    for name in order:
        log(f"==> {name}{' (short)' if SHORT else ''}")
        t0 = time.monotonic()
        try:
            parts[name]()
        except Exception as e:  # a part that breaks is a failure; the others still run
            import traceback
            traceback.print_exc()
            check(False, f"{name}: {e!r}")
        finally:
            for p in PROCS:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        log(f"    {name} took {time.monotonic() - t0:.0f} s")
    if FAILURES:
        summary(["## Failed checks", "", *[f"- {f}" for f in FAILURES]])
        sys.exit(1)


if __name__ == "__main__":
    main()
