"""Parses a Prometheus text exposition (stdin) with the reference Python
client's parser, as Prometheus-compatible scrapers read it, and prints the
families as JSON: {name: {"type", "help", "samples": [[name, labels, value]]}}.
A text the parser refuses ends the script with a traceback (status 1)."""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families

families = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    families[family.name] = {
        "type": family.type,
        "help": family.documentation,
        "samples": [[s.name, s.labels, s.value] for s in family.samples],
    }
json.dump(families, sys.stdout)
