"""The schema package against the samples the Rust tests write
(``server/src/bus/message/samples.rs``), read the way fedora-messaging's
consumers read a delivery: ``get_message`` resolves the class from the
``fedora_messaging_schema`` header through the ``fedora.messages`` entry
points, then validates the body."""

import json
import pathlib

import pika
import pytest
from fedora_messaging import message as fm

from releasetracker_messages import (
    SCHEMA,
    AuditDriftMessage,
    EventMessage,
    PlanMessage,
    PlanOverdueMessage,
    RetractionMessage,
)

HERE = pathlib.Path(__file__).parent
SAMPLES = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((HERE / "samples").glob("*.json"))}


def deliver(sample, body=None):
    """What a consumer makes of the sample as delivered by the broker."""
    properties = pika.BasicProperties(
        content_type="application/json",
        content_encoding="utf-8",
        delivery_mode=2,
        message_id=sample["id"],
        headers=sample["headers"],
    )
    raw = json.dumps(sample["body"] if body is None else body).encode("utf-8")
    return fm.get_message(sample["topic"], properties, raw)


def test_every_sample_is_here():
    assert set(SAMPLES) == {
        "event-entered-by-person",
        "event-left-by-personal-token",
        "event-rawhide-by-service",
        "event-repeated-import",
        "retraction",
        "plan-new",
        "plan-moved",
        "plan-cancelled",
        "plan-overdue",
        "audit-drift",
    }


def test_the_registry_knows_both_schemas_and_the_package():
    assert fm.get_class("releasetracker.event.v1") is EventMessage
    assert fm.get_class("releasetracker.retraction.v1") is RetractionMessage
    assert fm.get_class("releasetracker.plan.v1") is PlanMessage
    assert fm.get_class("releasetracker.plan_overdue.v1") is PlanOverdueMessage
    assert fm.get_class("releasetracker.audit_drift.v1") is AuditDriftMessage
    # The header the publisher sends names this distribution.
    assert fm._schema_name_to_package["releasetracker.event.v1"] == SAMPLES["retraction"]["headers"][
        "fedora_messaging_schema_package"
    ]


def test_the_package_schema_is_the_documented_one():
    documented = HERE.parents[1] / "docs" / "message-schema.json"
    if documented.exists():  # in a checkout, not in an installed copy
        assert json.loads(documented.read_text(encoding="utf-8")) == SCHEMA


@pytest.mark.parametrize("name", [n for n in SAMPLES if n.startswith("event-")])
def test_event_samples_resolve_to_event_messages(name):
    sample = SAMPLES[name]
    message = deliver(sample)
    assert type(message) is EventMessage
    assert message.id == sample["id"]
    assert message.topic == sample["topic"]
    assert message.severity == fm.INFO
    assert message.app_name == "releasetracker"
    assert message.url == "https://releasetracker.fedoraproject.org/events/{}".format(sample["body"]["id"])
    message.validate()


def test_a_message_without_url_still_validates_and_has_none():
    sample = json.loads(json.dumps(SAMPLES["event-rawhide-by-service"]))
    del sample["body"]["url"]
    message = deliver(sample)
    assert message.url is None
    message.validate()


def test_an_event_by_a_person():
    m = deliver(SAMPLES["event-entered-by-person"])
    assert m.summary == "Fedora 44 entered branched"
    assert m.agent_name == "alice"
    assert m.usernames == ["alice"]
    text = str(m)
    assert "Fedora 44 entered branched at 2026-02-10T14:00:00Z; it was not in branched before." in text
    assert "Recorded by alice (web)" in text
    assert "Note: Branched on schedule; see the meeting log.\nSecond line." in text
    assert "Link: https://meetbot.fedoraproject.org/fedora-meeting/2026-02-10/" in text
    assert text.endswith("\nhttps://releasetracker.fedoraproject.org/events/1")


def test_a_personal_token_speaks_for_its_owner():
    m = deliver(SAMPLES["event-left-by-personal-token"])
    assert m.summary == "Fedora 43 left beta-freeze"
    assert m.agent_name == "bob"
    assert m.usernames == ["bob"]


def test_services_and_imports_are_no_person():
    rawhide = deliver(SAMPLES["event-rawhide-by-service"])
    assert rawhide.summary == "Fedora Rawhide entered active"
    assert rawhide.agent_name is None and rawhide.usernames == []
    repeated = deliver(SAMPLES["event-repeated-import"])
    assert repeated.usernames == []
    assert "so nothing changed" in str(repeated)


def test_a_retraction():
    sample = SAMPLES["retraction"]
    m = deliver(sample)
    assert type(m) is RetractionMessage
    assert m.summary == "Retracted: Fedora 42 entered stable"
    assert m.agent_name == "alice"
    assert m.usernames == ["alice"]  # the event was a service's
    text = str(m)
    assert "Reason: wrong release: it was 42's GA date" in text
    assert "Retracted by alice (web)" in text
    assert m.url == "https://releasetracker.fedoraproject.org/events/5"
    m.validate()


@pytest.mark.parametrize("missing", ["dist", "reached", "recorded_by", "was_in_state"])
def test_a_body_without_a_required_field_is_refused(missing):
    sample = SAMPLES["event-entered-by-person"]
    body = {k: v for k, v in sample["body"].items() if k != missing}
    with pytest.raises(fm.ValidationError):
        deliver(sample, body)


def test_a_url_that_is_no_web_address_is_refused():
    sample = SAMPLES["event-entered-by-person"]
    with pytest.raises(fm.ValidationError):
        deliver(sample, dict(sample["body"], url="javascript:alert(1)"))


def test_a_retraction_without_its_event_is_refused():
    sample = SAMPLES["retraction"]
    body = {k: v for k, v in sample["body"].items() if k != "event"}
    with pytest.raises(fm.ValidationError):
        deliver(sample, body)


def test_plan_revisions():
    new, moved, cancelled = (deliver(SAMPLES[n]) for n in ("plan-new", "plan-moved", "plan-cancelled"))
    for m in (new, moved, cancelled):
        assert type(m) is PlanMessage
        m.validate()
    assert new.topic == "org.fedoraproject.prod.releasetracker.plan.changed"
    assert new.summary == "Planned: Fedora 45 enters branched on 2026-08-11"
    assert new.usernames == ["alice"] and new.agent_name == "alice"
    assert new.url == "https://releasetracker.fedoraproject.org/dists/fedora/releases/45"
    assert "Link: https://fedorapeople.org/groups/schedule/f-45/f-45-key-tasks.html" in str(new)
    assert moved.summary == "Plan moved: Fedora 45 enters branched on 2026-08-18 (was 2026-08-11)"
    assert "(revision 2)" in str(moved) and "Note: Mass rebuild ran late." in str(moved)
    assert cancelled.summary == "Plan cancelled: Fedora 44 enters beta (was planned for 2026-03-10 14:00 UTC)"
    assert "Reason: No Beta this cycle." in str(cancelled)


def test_an_overdue_plan():
    sample = SAMPLES["plan-overdue"]
    m = deliver(sample)
    assert type(m) is PlanOverdueMessage
    m.validate()
    assert m.topic == "org.fedoraproject.prod.releasetracker.plan.overdue"
    assert m.summary == "Overdue: Fedora 43 enters eol was planned for 2026-12-09"
    assert m.usernames == []  # planned by the importer
    assert "no event has recorded it" in str(m)
    with pytest.raises(fm.ValidationError):
        deliver(sample, dict(sample["body"], status="met"))


def test_audit_drift():
    sample = SAMPLES["audit-drift"]
    m = deliver(sample)
    assert type(m) is AuditDriftMessage
    m.validate()
    assert m.topic == "org.fedoraproject.prod.releasetracker.audit.drift"
    assert m.summary.startswith("Bodhi disagrees: Bodhi's end of life for F42 is 2026-05-13")
    assert m.url == "https://releasetracker.fedoraproject.org/audit"
    assert m.usernames == [] and m.agent_name is None
    assert "Bodhi (F42) says 2026-05-13; releasetracker says 2026-05-20." in str(m)
    with pytest.raises(fm.ValidationError):
        deliver(sample, {k: v for k, v in sample["body"].items() if k != "checked_at"})
