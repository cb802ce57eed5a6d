"""Verifies recorded webhook deliveries with the `standardwebhooks`
library from PyPI, as a receiver would.

Reads a JSON list of {"secret", "headers", "body"} on stdin; prints one
line per delivery: "ok <type>" when `Webhook(secret).verify(body,
headers)` accepts it, "bad <error>" when it refuses it."""

import json
import sys

from standardwebhooks.webhooks import Webhook

for item in json.load(sys.stdin):
    try:
        payload = Webhook(item["secret"]).verify(item["body"], item["headers"])
        print("ok", payload["type"])
    except Exception as e:  # the library raises its own WebhookVerificationError
        print("bad", type(e).__name__, e)
