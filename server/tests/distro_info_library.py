"""Asks Debian's distro-info library (python3-distro-info, the code behind
debian-distro-info and ubuntu-distro-info) every question of its API at
many dates, once with the tables in SOURCE_DIR and once with those in
EXPORT_DIR, and prints the number of questions and every answer that
differs, as JSON.

Usage: /usr/bin/python3 distro_info_library.py SOURCE_DIR EXPORT_DIR
"""

import datetime
import json
import sys

import distro_info


def dates(data_dir):
    """Quarterly from 1993 to 2031, and every date of the tables with the days around it."""
    out = {datetime.date(y, m, 1) for y in range(1993, 2032) for m in (1, 4, 7, 10)}
    for name in ("debian", "ubuntu"):
        with open(f"{data_dir}/{name}.csv", encoding="utf-8") as f:
            for line in f.read().splitlines()[1:]:
                for cell in line.split(",")[3:]:
                    if cell:
                        d = datetime.date.fromisoformat(cell)
                        out.update({d - datetime.timedelta(1), d, d + datetime.timedelta(1)})
    return sorted(out)


def answers(data_dir, when):
    distro_info._get_data_dir = lambda: data_dir
    debian = distro_info.DebianDistroInfo()
    ubuntu = distro_info.UbuntuDistroInfo()
    out = {}

    def ask(key, question):
        try:
            value = question()
        except distro_info.DistroDataOutdated:
            value = "DistroDataOutdated"
        except Exception as e:  # every other refusal counts as an answer too
            value = f"{type(e).__name__}: {e}"
        out[key] = value.isoformat() if isinstance(value, datetime.date) else value

    for name, info in (("debian", debian), ("ubuntu", ubuntu)):
        ask(f"{name}.all", lambda info=info: info.all)
        for result in ("codename", "fullname", "release"):
            ask(f"{name}.get_all.{result}", lambda info=info, result=result: info.get_all(result))
        for series in info.all:
            ask(f"{name}.version.{series}", lambda info=info, s=series: info.version(s))
            ask(f"{name}.valid.{series}", lambda info=info, s=series: info.valid(s))
    for series in ubuntu.all:
        ask(f"ubuntu.is_lts.{series}", lambda s=series: ubuntu.is_lts(s))
    questions = {
        "debian": ("devel", "stable", "testing", "old", "supported", "unsupported", "lts_supported", "elts_supported"),
        "ubuntu": ("devel", "stable", "lts", "supported", "unsupported", "supported_esm"),
    }
    for d in when:
        for name, info in (("debian", debian), ("ubuntu", ubuntu)):
            for q in questions[name]:
                for result in ("codename", "release"):
                    ask(f"{name}.{q}.{result}@{d}", lambda info=info, q=q, d=d, r=result: getattr(info, q)(date=d, result=r))
    return out


def main():
    source_dir, export_dir = sys.argv[1], sys.argv[2]
    when = dates(source_dir)
    source = answers(source_dir, when)
    export = answers(export_dir, when)
    differences = {k: [source[k], export.get(k)] for k in source if source[k] != export.get(k)}
    print(json.dumps({"questions": len(source), "dates": len(when), "differences": differences}))


if __name__ == "__main__":
    main()
