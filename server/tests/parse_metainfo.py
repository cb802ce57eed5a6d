"""Reads an AppStream metainfo file with Python's own XML parser
(xml.etree) and prints what it holds as JSON, so the Rust tests compare
our export and Fedora's real file through the same, independent reader.
An attribute that is absent is null; one that is present but empty is "".

Usage: parse_metainfo.py FILE
"""

import json
import sys
import xml.etree.ElementTree as ET


def text(element, path):
    found = element.find(path)
    return None if found is None else "".join(found.itertext()).strip()


def main(path):
    root = ET.parse(path).getroot()
    homepage = root.find("url[@type='homepage']")
    print(
        json.dumps(
            {
                "tag": root.tag,
                "type": root.get("type"),
                "id": text(root, "id"),
                "name": text(root, "name"),
                "summary": text(root, "summary"),
                "description": text(root, "description"),
                "homepage": None if homepage is None else homepage.text,
                "metadata_license": text(root, "metadata_license"),
                "developer_name": text(root, "developer_name"),
                "releases": [
                    {
                        "version": r.get("version"),
                        "type": r.get("type"),
                        "date": r.get("date"),
                        "date_eol": r.get("date_eol"),
                        "description": text(r, "description"),
                    }
                    for r in root.findall("releases/release")
                ],
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
