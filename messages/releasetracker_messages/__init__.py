"""fedora-messaging message classes for releasetracker.

releasetracker publishes one message per recorded event (topics
``{prefix}.releasetracker.event.reached`` and ``.left``, schema
``releasetracker.event.v1``) and one per retraction (``.retracted``,
``releasetracker.retraction.v1``); one per plan revision
(``{prefix}.releasetracker.plan.changed``, ``releasetracker.plan.v1``),
one when a plan becomes overdue (``.plan.overdue``,
``releasetracker.plan_overdue.v1``) and one per new disagreement with
Bodhi (``{prefix}.releasetracker.audit.drift``,
``releasetracker.audit_drift.v1``). Each body is what releasetracker's
JSON API answers for the same thing; see ``docs/messages.md`` in the
releasetracker repository.
"""

import json
from importlib import resources

from fedora_messaging import message

__all__ = [
    "AuditDriftMessage",
    "EventMessage",
    "PlanMessage",
    "PlanOverdueMessage",
    "RetractionMessage",
    "SCHEMA",
]

#: The JSON Schema of every body (draft 4), shipped with the package.
SCHEMA = json.loads(resources.files(__name__).joinpath("schema.json").read_text(encoding="utf-8"))

#: Who the message comes from, for fedora-messaging's tools.
APP_NAME = "releasetracker"


def _schema(definition):
    """The top-level schema narrowed to one of its definitions."""
    return {
        "$schema": SCHEMA["$schema"],
        "id": "https://releasetracker.fedoraproject.org/message-schema.json#" + definition,
        "definitions": SCHEMA["definitions"],
        "$ref": "#/definitions/" + definition,
    }


def _release_title(dist, release):
    """``Fedora 44``; release ``0`` is Rawhide, as on releasetracker's pages."""
    title = dist[:1].upper() + dist[1:]
    return "{} {}".format(title, "Rawhide" if release == "0" else release)


def _headline(event):
    """``Fedora 44 entered branched``."""
    verb = "entered" if event["reached"] else "left"
    return "{} {} {}".format(_release_title(event["dist"], event["release"]), verb, event["state"])


def _when(timestamp):
    """``2026-08-11`` at midnight UTC, else ``2026-08-11 14:00 UTC`` (or
    with seconds when they matter), as releasetracker's pages write it."""
    date, _, time = timestamp.rstrip("Z").partition("T")
    time = time.split(".")[0]
    if time in ("", "00:00:00") and "." not in timestamp:
        return date
    if time.endswith(":00") and "." not in timestamp:
        return "{} {} UTC".format(date, time[:5])
    return "{} {} UTC".format(date, time)


def _planned(plan):
    """``Fedora 45 enters branched``."""
    verb = "enters" if plan["reached"] else "leaves"
    return "{} {} {}".format(_release_title(plan["dist"], plan["release"]), verb, plan["state"])


def _recorder(record):
    """The person who recorded an event or a plan, as a list (empty for
    services and imports)."""
    person = _person(record["recorded_by"], record["source"])
    return [person] if person else []


def _person(recorded_by, source):
    """The person behind ``recorded_by``, or None for services.

    A signed-in editor records as their nickname (source ``web``); a
    personal API token is named ``nickname/label``; other tokens (and
    imports) belong to no person.
    """
    if source == "web":
        return recorded_by
    if source == "api" and "/" in recorded_by:
        return recorded_by.split("/", 1)[0]
    return None


class _ReleasetrackerMessage(message.Message):
    """What both kinds share."""

    @property
    def app_name(self):
        return APP_NAME

    @property
    def url(self):
        # The publisher puts the event page's address into every body;
        # messages published before it did carry none.
        return self.body.get("url")

    @property
    def agent_name(self):
        names = self.usernames
        return names[0] if names else None


class EventMessage(_ReleasetrackerMessage):
    """A release entered or left a state (``releasetracker.event.v1``)."""

    body_schema = _schema("event")

    @property
    def summary(self):
        return _headline(self.body)

    def __str__(self):
        e = self.body
        before = "it was already in" if e["was_in_state"] else "it was not in"
        lines = [
            "{} at {}; {} {} before{}.".format(
                _headline(e), e["at"], before, e["state"], "" if e["changed"] else ", so nothing changed"
            ),
            "Recorded by {} ({}) at {}.".format(e["recorded_by"], e["source"], e["recorded_at"]),
        ]
        if e.get("note"):
            lines.append("Note: {}".format(e["note"]))
        if e.get("link"):
            lines.append("Link: {}".format(e["link"]))
        if e.get("retraction"):
            lines.append("Retracted since: {}".format(e["retraction"]["reason"]))
        if self.url:
            lines.append(self.url)
        return "\n".join(lines)

    @property
    def usernames(self):
        return _recorder(self.body)


class RetractionMessage(_ReleasetrackerMessage):
    """An event was retracted (``releasetracker.retraction.v1``)."""

    body_schema = _schema("retraction_message")

    @property
    def summary(self):
        return "Retracted: {}".format(_headline(self.body["event"]))

    def __str__(self):
        r, e = self.body, self.body["event"]
        lines = [
            "Retracted: {} at {} (event #{}).".format(_headline(e), e["at"], e["id"]),
            "Reason: {}".format(r["reason"]),
            "Retracted by {} ({}) at {}.".format(r["recorded_by"], r["source"], r["recorded_at"]),
        ]
        if e.get("corrected_by"):
            lines.append("Corrected by event #{}.".format(e["corrected_by"]))
        if self.url:
            lines.append(self.url)
        return "\n".join(lines)

    @property
    def usernames(self):
        # The editor who retracted first (the agent), then the one whose
        # event it was: both are concerned.
        names = []
        for who, source in (
            (self.body["recorded_by"], self.body["source"]),
            (self.body["event"]["recorded_by"], self.body["event"]["source"]),
        ):
            person = _person(who, source)
            if person and person not in names:
                names.append(person)
        return names


class PlanMessage(_ReleasetrackerMessage):
    """A plan was made, moved or cancelled (``releasetracker.plan.v1``).

    A plan is not a fact: it says when a transition is expected.
    """

    body_schema = _schema("plan")

    @property
    def summary(self):
        p = self.body
        what = _planned(p)
        if p["cancelled"]:
            return "Plan cancelled: {} (was planned for {})".format(what, _when(p["at"]))
        if p.get("previous_at"):
            return "Plan moved: {} on {} (was {})".format(what, _when(p["at"]), _when(p["previous_at"]))
        return "Planned: {} on {}".format(what, _when(p["at"]))

    def __str__(self):
        p = self.body
        lines = [
            "{} (revision {}).".format(self.summary, p["revision"]),
            "Recorded by {} ({}) at {}.".format(p["recorded_by"], p["source"], p["recorded_at"]),
        ]
        if p.get("note"):
            lines.append("{}: {}".format("Reason" if p["cancelled"] else "Note", p["note"]))
        if p.get("link"):
            lines.append("Link: {}".format(p["link"]))
        if self.url:
            lines.append(self.url)
        return "\n".join(lines)

    @property
    def usernames(self):
        return _recorder(self.body)


class PlanOverdueMessage(PlanMessage):
    """A planned transition is overdue: its date (plus the grace period)
    has passed and no event made it (``releasetracker.plan_overdue.v1``)."""

    body_schema = _schema("plan_overdue")

    @property
    def summary(self):
        return "Overdue: {} was planned for {}".format(_planned(self.body), _when(self.body["at"]))

    def __str__(self):
        p = self.body
        lines = [
            "{}; no event has recorded it.".format(self.summary),
            "First planned for {}; {} revision(s), {} day(s) of slip so far.".format(
                _when(p["first_at"]), p["revisions"], p["slip_days"]
            ),
        ]
        if self.url:
            lines.append(self.url)
        return "\n".join(lines)


class AuditDriftMessage(_ReleasetrackerMessage):
    """Bodhi and releasetracker disagree about a release
    (``releasetracker.audit_drift.v1``). Nothing is changed by the audit:
    an editor decides which side is right."""

    body_schema = _schema("audit_drift")

    @property
    def summary(self):
        return "Bodhi disagrees: {}".format(self.body["message"])

    def __str__(self):
        f = self.body
        lines = [
            self.summary,
            "Bodhi ({}) says {}; releasetracker says {}.".format(
                f["bodhi_name"], f["bodhi"] or "nothing", f["ours"] or "nothing"
            ),
            "Found by the audit of {} at {}.".format(f["bodhi_url"], f["checked_at"]),
        ]
        if self.url:
            lines.append(self.url)
        return "\n".join(lines)

    @property
    def usernames(self):
        return []
