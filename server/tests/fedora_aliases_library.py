"""Compares our /api/v1/compat/fedora-aliases answer with what the real
fedora-distro-aliases library (from PyPI) computes from a Bodhi capture.

Usage: python fedora_aliases_library.py OURS.json PAGE.json [PAGE.json ...]

The pages are served to the library's own `get_distro_aliases()` in place
of Bodhi (in order, as its pagination asks for them). Our answer is read
back as the library's `Distro` objects. Prints a JSON report on stdout:
`differences` (each: where, release name, field, ours, library),
`aliases` (alias -> the library's namevers), `compared` (fields compared)
and `lookups` (filter_distro calls made).
"""

import json
import sys
from unittest import mock

from fedora_distro_aliases import Distro, filter_distro, get_distro_aliases

# What a Distro holds (its dictionary) and what it computes (properties).
KEYS = ["name", "long_name", "version", "state", "branch", "id_prefix", "version_number"]
PROPERTIES = ["product", "namever", "major_version"]


def library_aliases(pages):
    """get_distro_aliases() with Bodhi answering the captured pages."""
    responses = []
    for path in pages:
        with open(path, encoding="utf-8") as f:
            response = mock.Mock()
            response.json.return_value = json.load(f)
            responses.append(response)
    with mock.patch("requests.get", side_effect=responses) as get:
        aliases = get_distro_aliases()
    if get.call_count != len(pages):
        sys.exit(f"the library asked for {get.call_count} pages, the capture has {len(pages)}")
    return aliases


def view(distro):
    """A Distro as the library's users see it: its keys and properties."""
    if distro is None:
        return None
    out = {k: distro.get(k) for k in KEYS}
    for p in PROPERTIES:
        out[p] = getattr(distro, p)
    return out


def main():
    ours_path, pages = sys.argv[1], sys.argv[2:]
    with open(ours_path, encoding="utf-8") as f:
        ours_json = json.load(f)
    library = library_aliases(pages)
    ours = {alias: [Distro(d) for d in distros] for alias, distros in ours_json.items()}

    differences = []
    compared = 0

    def differ(where, name, field, our_value, library_value):
        differences.append(
            {"where": where, "name": name, "field": field, "ours": our_value, "library": library_value}
        )

    if list(ours) != list(library):
        differ("aliases", None, "(keys in order)", list(ours), list(library))
    for alias, expected in library.items():
        got = ours.get(alias, [])
        if [d.name for d in got] != [d.name for d in expected]:
            differ(alias, None, "(releases in order)", [d.name for d in got], [d.name for d in expected])
            continue
        for index, (g, e) in enumerate(zip(got, expected)):
            ours_view, library_view = view(g), view(e)
            for field in KEYS + PROPERTIES:
                compared += 1
                if ours_view[field] != library_view[field]:
                    differ(f"{alias}[{index}]", e.name, field, ours_view[field], library_view[field])
            # What we serve for the computed fields must be what the
            # library computes from the rest of our answer.
            for field in PROPERTIES:
                compared += 1
                if g.get(field) != ours_view[field]:
                    differ(f"{alias}[{index}] served", e.name, field, g.get(field), ours_view[field])

    # filter_distro by every branch, namever and name the library knows,
    # and a few that name nothing.
    lookups = []
    for distros in library.values():
        for d in distros:
            for by in ("branch", "namever", "name"):
                lookups.append((by, view(d)[by]))
    lookups += [("branch", "f1"), ("namever", "epel-10.99"), ("name", "ELN"), ("branch", "eln")]
    seen = []
    for by, value in lookups:
        if (by, value) in seen:
            continue
        seen.append((by, value))
        where = f"filter_distro({by}={value!r})"
        got = view(filter_distro(ours, **{by: value}))
        expected = view(filter_distro(library, **{by: value}))
        if (got is None) != (expected is None):
            differ(where, value, "(found)", got is not None, expected is not None)
            continue
        if expected is None:
            continue
        for field in KEYS + PROPERTIES:
            compared += 1
            if got[field] != expected[field]:
                differ(where, expected["name"], field, got[field], expected[field])

    report = {
        "differences": differences,
        "aliases": {alias: [d.namever for d in distros] for alias, distros in library.items()},
        "compared": compared,
        "lookups": len(seen),
    }
    json.dump(report, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
