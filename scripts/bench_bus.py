#!/usr/bin/env python3
"""The message bus benchmark; run it through scripts/bench-bus.

Usage: bench_bus.py BINARY WORKDIR AMQP_URL PG_ADMIN_URL|- DOC|- [--quick]

Everything runs on 127.0.0.1: the releasetracker binary, RabbitMQ, and
PostgreSQL when PG_ADMIN_URL answers. Servers are started in WORKDIR and
stopped at the end (also on errors and Ctrl-C); the PostgreSQL databases
created here are dropped. Needs pika (a dependency of fedora-messaging) and
wrk.

Measured, on SQLite and on PostgreSQL:
  (1) drain: N events are written with publishing off, then the server
      restarts with AMQP_URL and publishes the backlog with publisher
      confirms; rate = messages per second at the consumer, first to last.
  (2) sustained: wrk writes events for a few seconds with publishing on,
      first with nobody consuming, then with the consumer: the API's write
      rates, the rate at which messages reach the consumer, the backlog when
      wrk stops and how long it takes to drain.
  (3) latency: one writer, one event every 20 ms; for each event the time
      from the API's 201 (response read by the client) to the consumer
      receiving its message, p50/p99 (negative: the message arrived before
      the client had read the 201).
"""

import datetime
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

import pika

QUICK = "--quick" in sys.argv
args = [a for a in sys.argv[1:] if a != "--quick"]
BINARY, WORKDIR, AMQP_URL, PG_ADMIN, DOC = args
DRAIN_EVENTS = 2000 if QUICK else 20000
WRK_SECONDS = 3 if QUICK else 10
LATENCY_SAMPLES = 100 if QUICK else 1000
LATENCY_GAP = 0.02

children = []
pg_databases = []


def log(msg):
    print(f"==> {msg}", file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------------------
# the server


class Server:
    def __init__(self, database, amqp_url, prefix, name):
        self.port = free_port()
        env = dict(os.environ, RUST_LOG="warn")
        env.pop("AMQP_URL", None)
        if amqp_url:
            env["AMQP_URL"] = amqp_url
        self.log = open(os.path.join(WORKDIR, f"{name}.log"), "ab")
        self.proc = subprocess.Popen(
            [BINARY, "--database", database, "serve", "--bind", f"127.0.0.1:{self.port}",
             "--poll-interval-ms", "200", "--amqp-topic-prefix", prefix,
             # thousands of writes a second from one address: no write limit
             "--write-rate-limit", "0", "--token-write-rate-limit", "0", "--max-requests-per-client", "0"],
            env=env, stdout=self.log, stderr=self.log, cwd=WORKDIR)
        children.append(self.proc)
        deadline = time.time() + 30
        while True:
            try:
                ready = self.readyz()
                if not amqp_url or ready["outbox"]["connected"]:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit(f"the server did not start; see {self.log.name}")
            time.sleep(0.02)

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return json.loads(body)

    def readyz(self):
        return self.get("/readyz")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def token(database):
    out = subprocess.run([BINARY, "--database", database, "--log-level", "warn", "token", "create",
                          "--name", "bench"], capture_output=True, text=True, check=True, cwd=WORKDIR)
    return out.stdout.strip().splitlines()[-1]


def event_body(i):
    return json.dumps({"dist": "bench", "release": str(i), "state": "active", "reached": True})


# ---------------------------------------------------------------------------
# the consumer


class Consumer:
    """An exclusive queue bound to the prefix's topics, consumed in a thread;
    remembers when each message arrived (perf_counter, as the writer)."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.arrivals = {}  # event id -> first arrival time
        self.count = 0
        self.first = None
        self.last = None
        self.ids = set()
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.ready = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        if not self.ready.wait(15):
            raise SystemExit(f"cannot consume from RabbitMQ: {self.error}")

    def run(self):
        try:
            conn = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
            ch = conn.channel()
            q = ch.queue_declare("", exclusive=True, auto_delete=True).method.queue
            ch.queue_bind(q, "amq.topic", routing_key=f"{self.prefix}.releasetracker.event.#")

            def on_message(_ch, _method, props, body):
                now = time.perf_counter()
                event_id = json.loads(body)["id"]
                with self.lock:
                    self.count += 1
                    self.first = self.first or now
                    self.last = now
                    self.arrivals.setdefault(event_id, now)
                    self.ids.add(props.message_id)

            ch.basic_consume(q, on_message, auto_ack=True)
            self.ready.set()
            while not self.stop_flag.is_set():
                conn.process_data_events(time_limit=0.05)
            conn.close()
        except Exception as e:  # reported by the waiting side
            self.error = e
            self.ready.set()

    def wait_for(self, n, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.arrivals) >= n:
                    return True
            time.sleep(0.01)
        return False

    def close(self):
        self.stop_flag.set()
        self.thread.join(5)


# ---------------------------------------------------------------------------
# the measurements


def wrk(port, tok, seconds, offset):
    lua = os.path.join(WORKDIR, f"post-{offset}.lua")
    with open(lua, "w") as f:
        f.write(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {tok}"\n'
            "local threads = 0\n"
            "function setup(thread) threads = threads + 1; thread:set(\"tid\", threads) end\n"
            "local counter = 0\n"
            "function request()\n"
            "  counter = counter + 1\n"
            f"  local release = tostring({offset} + tid * 10000000 + counter)\n"
            "  return wrk.format(nil, nil, nil, '{\"dist\":\"bench\",\"release\":\"' .. release .. "
            "'\",\"state\":\"active\",\"reached\":true}')\n"
            "end\n")
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", lua, f"http://127.0.0.1:{port}/api/v1/events"],
                         capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    non2xx = int(m.group(1)) if m else 0
    return requests - non2xx, non2xx


def drain(database, label):
    prefix = f"bench.rt{os.getpid()}.{label}d"
    tok = token(database)
    log(f"{label}: writing {DRAIN_EVENTS} events with publishing off")
    server = Server(database, None, prefix, f"{label}-off")
    # wrk until the outbox holds enough rows; the write rate without the
    # bus is the reference for (2).
    written, seconds = 0, 0.0
    while written < DRAIN_EVENTS:
        started = time.perf_counter()
        ok, _ = wrk(server.port, tok, 2, written * 10)
        seconds += time.perf_counter() - started
        written += ok
    pending = server.readyz()["outbox"]["pending"]
    server.stop()
    consumer = Consumer(prefix)
    log(f"{label}: restarting with AMQP_URL; publishing the backlog of {pending}")
    started = time.perf_counter()
    server = Server(database, AMQP_URL, prefix, f"{label}-drain")
    if not consumer.wait_for(pending, 300):
        raise SystemExit(f"{label}: only {len(consumer.arrivals)} of {pending} messages arrived")
    total = time.perf_counter() - started
    rate = (pending - 1) / (consumer.last - consumer.first)
    server.stop()
    consumer.close()
    return {"backlog": pending, "rate": rate, "total_s": total, "writes_off_per_s": written / seconds}


def sustained(database, label):
    prefix = f"bench.rt{os.getpid()}.{label}s"
    tok = token(database)
    server = Server(database, AMQP_URL, prefix, f"{label}-sustained")
    # First with nobody bound to the topics (the broker confirms and drops):
    # the server's own cost, without a consumer competing for the CPU.
    log(f"{label}: wrk writes for {WRK_SECONDS} s with publishing on, nobody consuming")
    started = time.perf_counter()
    ok, _ = wrk(server.port, tok, WRK_SECONDS, 0)
    alone = ok / (time.perf_counter() - started)
    time.sleep(0.5)
    before = server.readyz()["events"]
    consumer = Consumer(prefix)
    log(f"{label}: wrk writes for {WRK_SECONDS} s with publishing on and a consumer")
    started = time.perf_counter()
    ok, non2xx = wrk(server.port, tok, WRK_SECONDS, 500_000_000)
    ended = time.perf_counter()
    time.sleep(0.3)  # requests wrk abandoned at its deadline may still commit
    ready = server.readyz()
    # wrk does not count requests cut off at its deadline, though some of
    # them were committed: the log's growth is the number of writes.
    stored, backlog = ready["events"] - before, ready["outbox"]["pending"]
    with consumer.lock:
        during = len(consumer.arrivals)
    if not consumer.wait_for(stored, 120):
        raise SystemExit(f"{label}: only {len(consumer.arrivals)} of {stored} messages arrived")
    drained = consumer.last - ended
    status = server.readyz()["outbox"]
    server.stop()
    consumer.close()
    return {"writes_per_s": ok / (ended - started), "writes_alone_per_s": alone, "non2xx": non2xx,
            "messages_per_s": during / (ended - started), "backlog_at_end": backlog,
            "drain_after_s": max(drained, 0.0), "failed": status["failed"],
            "writes": stored, "messages": len(consumer.arrivals), "deliveries": consumer.count}


def latency(database, label):
    prefix = f"bench.rt{os.getpid()}.{label}l"
    tok = token(database)
    consumer = Consumer(prefix)
    server = Server(database, AMQP_URL, prefix, f"{label}-latency")
    log(f"{label}: {LATENCY_SAMPLES} events, one every {LATENCY_GAP * 1000:.0f} ms")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {tok}"}
    sent = {}
    for i in range(LATENCY_SAMPLES):
        t_request = time.perf_counter()
        conn.request("POST", "/api/v1/events", body=event_body(1_000_000 + i), headers=headers)
        r = conn.getresponse()
        body = r.read()
        t_201 = time.perf_counter()
        if r.status != 201:
            raise SystemExit(f"write answered {r.status}: {body[:200]!r}")
        sent[json.loads(body)["id"]] = (t_request, t_201)
        time.sleep(LATENCY_GAP)
    conn.close()
    if not consumer.wait_for(len(sent), 30):
        raise SystemExit(f"{label}: only {len(consumer.arrivals)} of {len(sent)} messages arrived")
    server.stop()
    consumer.close()
    from_201 = sorted((consumer.arrivals[i] - t201) * 1000 for i, (_, t201) in sent.items())
    from_request = sorted((consumer.arrivals[i] - treq) * 1000 for i, (treq, _) in sent.items())

    def pct(xs, p):
        return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

    return {"p50": pct(from_201, 50), "p99": pct(from_201, 99), "max": from_201[-1],
            "req_p50": pct(from_request, 50), "req_p99": pct(from_request, 99),
            "mean": statistics.fmean(from_201), "samples": len(from_201)}


# ---------------------------------------------------------------------------
# databases


def pg_database():
    """A fresh PostgreSQL database, or None when PG_ADMIN is not reachable."""
    if PG_ADMIN == "-":
        return None
    name = f"rt_bench_bus_{os.getpid()}_{len(pg_databases)}"
    try:
        subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        log(f"SKIPPED PostgreSQL: cannot create a database at {PG_ADMIN} ({e})")
        return None
    pg_databases.append(name)
    base = PG_ADMIN.rsplit("/", 1)[0]
    return f"{base}/{name}"


def cleanup():
    for p in children:
        if p.poll() is None:
            p.kill()
            p.wait()
    for name in pg_databases:
        subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)


# ---------------------------------------------------------------------------
# report


def report(results):
    lines = []
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpus = os.cpu_count()
    lines.append(f"Run {when}, commit {rev}, {cpus} cores, release build, RabbitMQ and the server on "
                 f"127.0.0.1{' (--quick)' if QUICK else ''}.")
    lines.append("")
    lines.append("| | " + " | ".join(results) + " |")
    lines.append("|---|" + "---|" * len(results))

    def row(title, fn):
        lines.append(f"| {title} | " + " | ".join(fn(r) for r in results.values()) + " |")

    row("(1) publish rate, backlog through the outbox with confirms", lambda r: f"**{r['drain']['rate']:,.0f} messages/s** ({r['drain']['backlog']:,} messages)")
    row("API writes/s with publishing off (wrk -t2 -c16, during (1))", lambda r: f"{r['drain']['writes_off_per_s']:,.0f}")
    row("(2) API writes/s with publishing on, nobody consuming", lambda r: f"{r['sustained']['writes_alone_per_s']:,.0f}")
    row("(2) API writes/s with publishing on and the consumer", lambda r: f"{r['sustained']['writes_per_s']:,.0f}")
    row("(2) messages/s reaching the consumer meanwhile", lambda r: f"{r['sustained']['messages_per_s']:,.0f}")
    row("(2) backlog when wrk stopped / drained after", lambda r: f"{r['sustained']['backlog_at_end']} / {r['sustained']['drain_after_s'] * 1000:.0f} ms")
    row("(2) events stored / distinct messages / deliveries / failed publishes", lambda r: f"{r['sustained']['writes']} / {r['sustained']['messages']} / {r['sustained']['deliveries']} / {r['sustained']['failed']}")
    row("(3) latency 201 → consumer, p50 / p99 / max", lambda r: f"**{r['latency']['p50']:.1f} / {r['latency']['p99']:.1f}** / {r['latency']['max']:.1f} ms")
    row("(3) latency request sent → consumer, p50 / p99", lambda r: f"{r['latency']['req_p50']:.1f} / {r['latency']['req_p99']:.1f} ms")
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if DOC == "-":
        return
    head = "# Message bus benchmarks\n"
    if os.path.exists(DOC):
        with open(DOC) as f:
            old = f.read()
        head = old.split("## Latest run")[0]
    with open(DOC, "w") as f:
        f.write(head.rstrip("\n") + "\n\n## Latest run\n\n" + text)
    log(f"wrote {DOC}")


def main():
    results = {}
    try:
        databases = [("SQLite", lambda label: f"sqlite://{os.path.join(WORKDIR, label + '.db')}")]
        databases.append(("PostgreSQL", lambda label: pg_database()))
        for title, make in databases:
            label = title.lower()
            dbs = [make(f"{label}-{step}") for step in ("drain", "sustained", "latency")]
            if any(d is None for d in dbs):
                continue
            results[title] = {
                "drain": drain(dbs[0], label),
                "sustained": sustained(dbs[1], label),
                "latency": latency(dbs[2], label),
            }
    finally:
        cleanup()
    report(results)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
