#!/usr/bin/env python3
"""Runs schemathesis against a releasetracker server on loopback and sums up.

Requests are generated from the server's own OpenAPI description
(/api/v1/openapi.json), with the API token in `Authorization`, and every
check of schemathesis applies (no 5xx, documented status codes, content
types, headers and bodies, negative data refused, ...). The run is written
to a HAR file; from it this script counts the requests, the answers by
status, and the 201 answers of the two create operations, so the caller
can compare them with what the server stored.

Usage (with the Python of a virtual environment that has schemathesis):
    python schemathesis_run.py --port 3947 --token rt_... --har run.har \
        [--max-examples 15] [--max-time 50] [--seed 1] [--workers 1]

The last line of stdout is the summary as one JSON object:
    {"requests": N, "by_status": {...}, "events_created": N,
     "server_errors": N, "seconds": S, "exit_code": C}
The exit status is schemathesis's (0: no check failed).
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path

# The operations whose 201 answer means "one event stored".
CREATES = {("POST", "/api/v1/events"), ("POST", "/event")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--har", required=True, help="where to write the HAR file of the run")
    parser.add_argument("--max-examples", type=int, default=15)
    parser.add_argument("--max-time", type=int, default=50, help="seconds for the whole run")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workers", default="1")
    args = parser.parse_args()

    cli = Path(sys.executable).parent / "schemathesis"
    base = f"http://127.0.0.1:{args.port}"
    command = [
        str(cli), "--config-file", str(Path(__file__).with_name("schemathesis.toml")),
        "run", f"{base}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {args.token}",
        "--checks", "all",
        # Not the `coverage` phase: schemathesis 4.32.5 fails inside it
        # (KeyError in its constraint walker) on our patterns.
        "--phases", "examples,fuzzing,stateful",
        "--max-examples", str(args.max_examples),
        "--max-time", str(args.max_time),
        "--workers", args.workers,
        "--request-timeout", "10",
        "--report", "har", "--report-har-path", args.har,
        "--suppress-health-check", "all",
        "--no-color",
    ]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    env = dict(os.environ, SCHEMATHESIS_TELEMETRY="false", NO_COLOR="1")
    started = time.monotonic()
    # Schemathesis's own report goes to our stderr, so that stdout ends
    # with the summary line only.
    code = subprocess.run(command, stdout=sys.stderr, env=env, check=False).returncode
    seconds = time.monotonic() - started

    by_status = collections.Counter()
    created = 0
    requests = 0
    try:
        entries = json.loads(Path(args.har).read_text())["log"]["entries"]
    except (OSError, ValueError, KeyError) as err:
        print(f"no HAR file from schemathesis: {err}", file=sys.stderr)
        entries = []
    for entry in entries:
        status = entry["response"]["status"]
        requests += 1
        by_status[status] += 1
        method = entry["request"]["method"]
        path = entry["request"]["url"].removeprefix(base).split("?")[0]
        # A replay (the same Idempotency-Key and request again) answers 201
        # with the event stored before: not a new one.
        replay = any(h["name"].lower() == "idempotent-replayed" and h["value"] == "true"
                     for h in entry["response"].get("headers", []))
        if status == 201 and (method, path) in CREATES and not replay:
            created += 1
    server_errors = sum(n for s, n in by_status.items() if s >= 500)
    print(json.dumps({
        "requests": requests,
        "by_status": {str(k): v for k, v in sorted(by_status.items())},
        "events_created": created,
        "server_errors": server_errors,
        "seconds": round(seconds, 1),
        "exit_code": code,
    }))
    return code if code else (1 if server_errors else 0)


if __name__ == "__main__":
    sys.exit(main())
