"""Consumes releasetracker messages with the real fedora-messaging client.

Usage: FEDORA_MESSAGING_CONF=config.toml python fedora_messaging_consume.py COUNT TIMEOUT [SCHEMA]

The queue and its bindings come from the TOML configuration, as for the
`fedora-messaging consume` command. Each message the library accepts is
printed on stdout as one JSON object (topic, body, severity, sent-at, id,
schema, priority, headers); after COUNT messages the consumer halts and the
script exits 0. It exits 3 if COUNT messages do not arrive within TIMEOUT
seconds. With SCHEMA (docs/message-schema.json), each body is also checked
against it with jsonschema (a dependency of fedora-messaging); the first
body that does not validate ends the script with status 5. fedora-messaging logs (warnings and errors) go to stderr, where
the Rust test looks for complaints.
"""

import json
import logging
import os
import sys
import threading

import jsonschema
from fedora_messaging import api, exceptions


def main():
    count, timeout = int(sys.argv[1]), float(sys.argv[2])
    schema = None
    if len(sys.argv) > 3:
        with open(sys.argv[3], encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft4Validator.check_schema(schema)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    def give_up():
        print(f"timed out after {timeout} s", file=sys.stderr, flush=True)
        os._exit(3)

    timer = threading.Timer(timeout, give_up)
    timer.daemon = True
    timer.start()

    seen = []

    def callback(message):
        if schema is not None:
            try:
                jsonschema.Draft4Validator(schema).validate(message.body)
            except jsonschema.ValidationError as e:
                print(f"body does not match the schema: {e.message}", file=sys.stderr, flush=True)
                os._exit(5)
        headers = dict(message._headers)
        seen.append(message.id)
        print(
            json.dumps(
                {
                    "topic": message.topic,
                    "body": message.body,
                    "severity": message.severity,
                    "sent_at": headers.get("sent-at"),
                    "id": message.id,
                    "schema": headers.get("fedora_messaging_schema"),
                    "priority": message.priority,
                    "headers": headers,
                }
            ),
            flush=True,
        )
        if len(seen) >= count:
            raise exceptions.HaltConsumer(exit_code=0, requeue=False)

    try:
        api.consume(callback)
    except exceptions.HaltConsumer as halt:
        sys.exit(halt.exit_code)
    sys.exit(4)


if __name__ == "__main__":
    main()
