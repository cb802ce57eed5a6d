//! The plain-text form of the log: one JSON object per line, events then
//! retractions then property changes then plan revisions, each in id order. `export` writes it; `parse` reads it back with
//! every line validated, naming the first bad one.

use std::collections::HashSet;
use std::sync::Arc;

use app::model::event::{EventInput, FUTURE_TOLERANCE};
use app::model::name::check_text;
use app::model::plans::{Plan, PlanInput};
use app::model::properties::{check_key, check_value};
use app::model::time::{self, parse_timestamp, Timestamp};
use app::model::{Dist, Event, PropertyChange, Release, Retraction};
use serde::{Deserialize, Serialize};

/// One line of the file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Line {
    /// An event with every stored field.
    Event {
        /// Id; assigned on import when absent.
        #[serde(default)]
        id: Option<i64>,
        /// Dist.
        dist: String,
        /// Release.
        release: String,
        /// State.
        state: String,
        /// Entered or left.
        reached: bool,
        /// When it happened (RFC 3339).
        at: String,
        /// When it was recorded; defaults to now.
        #[serde(default)]
        recorded_at: Option<String>,
        /// Who recorded it; defaults to `import`.
        #[serde(default)]
        recorded_by: Option<String>,
        /// Channel; defaults to `import`.
        #[serde(default)]
        source: Option<String>,
        /// Note.
        #[serde(default)]
        note: Option<String>,
        /// Link.
        #[serde(default)]
        link: Option<String>,
        /// The event this one corrects; left out when none, so files
        /// written before corrections existed read and write the same.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        corrects: Option<i64>,
    },
    /// A retraction.
    Retraction {
        /// Id; assigned on import when absent.
        #[serde(default)]
        id: Option<i64>,
        /// The retracted event.
        event_id: i64,
        /// Why.
        reason: String,
        /// When; defaults to now.
        #[serde(default)]
        recorded_at: Option<String>,
        /// Who; defaults to `import`.
        #[serde(default)]
        recorded_by: Option<String>,
        /// Channel; defaults to `import`.
        #[serde(default)]
        source: Option<String>,
    },
    /// A change of a dist's or release's property.
    Property {
        /// Id; assigned on import when absent.
        #[serde(default)]
        id: Option<i64>,
        /// Dist.
        dist: String,
        /// Release; `null` for a property of the dist itself.
        #[serde(default)]
        release: Option<String>,
        /// Key.
        key: String,
        /// New value; `null` when the key was removed.
        #[serde(default)]
        value: Option<String>,
        /// When it takes effect (RFC 3339).
        at: String,
        /// When it was recorded; defaults to now.
        #[serde(default)]
        recorded_at: Option<String>,
        /// Who recorded it; defaults to `import`.
        #[serde(default)]
        recorded_by: Option<String>,
        /// Channel; defaults to `import`.
        #[serde(default)]
        source: Option<String>,
    },
    /// A revision of a transition's plan.
    Plan {
        /// Id; assigned on import when absent.
        #[serde(default)]
        id: Option<i64>,
        /// Dist.
        dist: String,
        /// Release.
        release: String,
        /// State.
        state: String,
        /// Enter or leave.
        reached: bool,
        /// When it is expected (RFC 3339).
        at: String,
        /// Whether this revision cancels the plan.
        #[serde(default)]
        cancelled: bool,
        /// Note (a cancellation's reason).
        #[serde(default)]
        note: Option<String>,
        /// Link.
        #[serde(default)]
        link: Option<String>,
        /// When it was recorded; defaults to now.
        #[serde(default)]
        recorded_at: Option<String>,
        /// Who recorded it; defaults to `import`.
        #[serde(default)]
        recorded_by: Option<String>,
        /// Channel; defaults to `import`.
        #[serde(default)]
        source: Option<String>,
    },
}

impl From<&Plan> for Line {
    fn from(p: &Plan) -> Self {
        Line::Plan {
            id: Some(p.id),
            dist: p.key.dist.to_string(),
            release: p.key.release.to_string(),
            state: p.key.state.to_string(),
            reached: p.key.reached,
            at: time::format(&p.at),
            cancelled: p.cancelled,
            note: p.note.clone(),
            link: p.link.clone(),
            recorded_at: Some(time::format(&p.recorded_at)),
            recorded_by: Some(p.recorded_by.to_string()),
            source: Some(p.source.to_string()),
        }
    }
}

impl From<&PropertyChange> for Line {
    fn from(c: &PropertyChange) -> Self {
        Line::Property {
            id: Some(c.id),
            dist: c.dist.to_string(),
            release: c.release.as_ref().map(ToString::to_string),
            key: c.key.clone(),
            value: c.value.clone(),
            at: time::format(&c.at),
            recorded_at: Some(time::format(&c.recorded_at)),
            recorded_by: Some(c.recorded_by.to_string()),
            source: Some(c.source.to_string()),
        }
    }
}

impl From<&Event> for Line {
    fn from(e: &Event) -> Self {
        Line::Event {
            id: Some(e.id),
            dist: e.dist.to_string(),
            release: e.release.to_string(),
            state: e.state.to_string(),
            reached: e.reached,
            at: time::format(&e.at),
            recorded_at: Some(time::format(&e.recorded_at)),
            recorded_by: Some(e.recorded_by.to_string()),
            source: Some(e.source.to_string()),
            note: e.note.clone(),
            link: e.link.clone(),
            corrects: e.corrects,
        }
    }
}

impl From<&Retraction> for Line {
    fn from(r: &Retraction) -> Self {
        Line::Retraction {
            id: Some(r.id),
            event_id: r.event_id,
            reason: r.reason.clone(),
            recorded_at: Some(time::format(&r.recorded_at)),
            recorded_by: Some(r.recorded_by.to_string()),
            source: Some(r.source.to_string()),
        }
    }
}

/// What a file holds, validated and with ids assigned.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Events in id order.
    pub events: Vec<Event>,
    /// Retractions in id order.
    pub retractions: Vec<Retraction>,
    /// Property changes in id order.
    pub properties: Vec<PropertyChange>,
    /// Plan revisions in id order.
    pub plans: Vec<Plan>,
}

/// Reads the JSON Lines text. Ids must be above those already stored
/// (`stored_max`: highest event and retraction ids) and increase; a
/// retraction must name an event that is stored or earlier in the file
/// (`stored_event` answers for the database), and no event twice.
pub fn parse(
    text: &str,
    stored_max: (i64, i64),
    now: Timestamp,
    stored_event: impl Fn(i64) -> bool,
) -> Result<Parsed, String> {
    parse_all(text, (stored_max.0, stored_max.1, 0, 0), now, stored_event)
}

/// [`parse`] with the highest stored property change and plan ids as the
/// third and fourth of `stored_max`: their ids must be above them and
/// increase.
pub fn parse_all(
    text: &str,
    stored_max: (i64, i64, i64, i64),
    now: Timestamp,
    stored_event: impl Fn(i64) -> bool,
) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let (mut last_event, mut last_retraction, mut last_property, mut last_plan) = stored_max;
    let mut retracted = HashSet::new();
    let name = |value: Option<String>, field: &'static str, line: usize| -> Result<Arc<str>, String> {
        let value = value.unwrap_or_else(|| "import".into());
        app::model::Dist::parse(&value)
            .map(|_| Arc::from(value.as_str()))
            .map_err(|e| format!("line {line}: {field}: {}", e.message))
    };
    for (index, raw) in text.lines().enumerate() {
        let n = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(raw).map_err(|e| format!("line {n}: {e}"))?;
        let stamp = |value: Option<String>| -> Result<Timestamp, String> {
            value.map(|v| parse_timestamp("recorded_at", &v).map_err(|e| format!("line {n}: {e}"))).unwrap_or(Ok(now))
        };
        match line {
            Line::Event {
                id,
                dist,
                release,
                state,
                reached,
                at,
                recorded_at,
                recorded_by,
                source,
                note,
                link,
                corrects,
            } => {
                let id = id.unwrap_or(last_event + 1);
                if id <= last_event {
                    return Err(format!(
                        "line {n}: event id {id} is not above {last_event} (ids must increase and be new)"
                    ));
                }
                let recorded_at = stamp(recorded_at)?;
                let input = EventInput {
                    dist: Some(dist),
                    release: Some(release),
                    state: Some(state),
                    reached: Some(reached),
                    at: Some(at),
                    note,
                    link,
                };
                let valid = input.validate(recorded_at).map_err(|e| format!("line {n}: {e}"))?;
                out.events.push(Event {
                    id,
                    dist: valid.dist,
                    release: valid.release,
                    state: valid.state,
                    reached: valid.reached,
                    at: valid.at,
                    recorded_at,
                    recorded_by: name(recorded_by, "recorded_by", n)?,
                    source: name(source, "source", n)?,
                    note: valid.note,
                    link: valid.link,
                    corrects,
                });
                last_event = id;
            }
            Line::Retraction { id, event_id, reason, recorded_at, recorded_by, source } => {
                let id = id.unwrap_or(last_retraction + 1);
                if id <= last_retraction {
                    return Err(format!("line {n}: retraction id {id} is not above {last_retraction}"));
                }
                let known = out.events.binary_search_by_key(&event_id, |e| e.id).is_ok() || stored_event(event_id);
                if !known {
                    return Err(format!("line {n}: retraction of unknown event {event_id}"));
                }
                if !retracted.insert(event_id) {
                    return Err(format!("line {n}: event {event_id} is retracted twice"));
                }
                check_text("reason", &reason, true).map_err(|e| format!("line {n}: {e}"))?;
                out.retractions.push(Retraction {
                    id,
                    event_id,
                    reason,
                    recorded_at: stamp(recorded_at)?,
                    recorded_by: name(recorded_by, "recorded_by", n)?,
                    source: name(source, "source", n)?,
                });
                last_retraction = id;
            }
            Line::Property { id, dist, release, key, value, at, recorded_at, recorded_by, source } => {
                let id = id.unwrap_or(last_property + 1);
                if id <= last_property {
                    return Err(format!("line {n}: property change id {id} is not above {last_property}"));
                }
                let fail = |e: String| format!("line {n}: {e}");
                let dist = Dist::parse(&dist).map_err(|e| fail(e.to_string()))?;
                let release = release.map(|r| Release::parse(&r)).transpose().map_err(|e| fail(e.to_string()))?;
                check_key(&key).map_err(|e| fail(e.to_string()))?;
                if let Some(value) = &value {
                    check_value(&key, value).map_err(|e| fail(e.to_string()))?;
                }
                let recorded_at = stamp(recorded_at)?;
                let at = parse_timestamp("at", &at).map_err(|e| fail(e.to_string()))?;
                if at > recorded_at + FUTURE_TOLERANCE {
                    return Err(fail("at: lies in the future of its recording".into()));
                }
                out.properties.push(PropertyChange {
                    id,
                    dist,
                    release,
                    key,
                    value,
                    at,
                    recorded_at,
                    recorded_by: name(recorded_by, "recorded_by", n)?,
                    source: name(source, "source", n)?,
                });
                last_property = id;
            }
            Line::Plan {
                id,
                dist,
                release,
                state,
                reached,
                at,
                cancelled,
                note,
                link,
                recorded_at,
                recorded_by,
                source,
            } => {
                let id = id.unwrap_or(last_plan + 1);
                if id <= last_plan {
                    return Err(format!("line {n}: plan id {id} is not above {last_plan}"));
                }
                let input = PlanInput {
                    dist: Some(dist),
                    release: Some(release),
                    state: Some(state),
                    reached: Some(reached),
                    at: Some(at),
                    note,
                    link,
                };
                let valid = input.validate().map_err(|e| format!("line {n}: {e}"))?;
                out.plans.push(Plan {
                    id,
                    key: valid.key,
                    at: valid.at,
                    cancelled,
                    note: valid.note,
                    link: valid.link,
                    recorded_at: stamp(recorded_at)?,
                    recorded_by: name(recorded_by, "recorded_by", n)?,
                    source: name(source, "source", n)?,
                });
                last_plan = id;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        parse_timestamp("at", "2026-06-01T00:00:00Z").unwrap()
    }

    #[test]
    fn the_first_bad_line_is_named() {
        let text = "{\"type\":\"event\",\"dist\":\"fedora\",\"release\":\"44\",\"state\":\"a\",\"reached\":true,\"at\":\"2026-01-01T00:00:00Z\"}\n\
                    {\"type\":\"event\",\"dist\":\"\",\"release\":\"44\",\"state\":\"a\",\"reached\":true,\"at\":\"2026-01-01T00:00:00Z\"}\n";
        let err = parse(text, (0, 0), now(), |_| false).unwrap_err();
        assert!(err.starts_with("line 2: dist"), "{err}");
        let err = parse("not json", (0, 0), now(), |_| false).unwrap_err();
        assert!(err.starts_with("line 1:"));
    }

    #[test]
    fn property_lines_are_validated_and_numbered() {
        let ok = "{\"type\":\"property\",\"dist\":\"debian\",\"release\":\"12\",\"key\":\"codename\",\"value\":\"Bookworm\",\"at\":\"2026-01-01T00:00:00Z\"}\n\
                  {\"type\":\"property\",\"dist\":\"debian\",\"key\":\"name\",\"value\":null,\"at\":\"2026-01-01T00:00:00Z\"}\n";
        let parsed = parse_all(ok, (0, 0, 4, 0), now(), |_| false).unwrap();
        assert_eq!(parsed.properties.iter().map(|p| p.id).collect::<Vec<_>>(), vec![5, 6]);
        assert_eq!(parsed.properties[1].release, None);
        assert_eq!(parsed.properties[1].value, None);
        let line = serde_json::to_string(&Line::from(&parsed.properties[0])).unwrap();
        assert!(line.starts_with("{\"type\":\"property\",\"id\":5,"), "{line}");
        for bad in [
            ok.replace("codename", "Code Name"),
            ok.replace("Bookworm", " Bookworm"),
            ok.replace("2026-01-01", "2027-01-01"),
            ok.replace("\"12\"", "\"\""),
        ] {
            assert!(parse_all(&bad, (0, 0, 0, 0), now(), |_| false).unwrap_err().starts_with("line 1:"), "{bad}");
        }
    }

    #[test]
    fn plan_lines_round_trip_and_are_validated() {
        let ok = "{\"type\":\"plan\",\"dist\":\"fedora\",\"release\":\"45\",\"state\":\"branched\",\"reached\":true,\"at\":\"2099-01-01T00:00:00Z\"}\n\
                  {\"type\":\"plan\",\"dist\":\"fedora\",\"release\":\"45\",\"state\":\"branched\",\"reached\":true,\"at\":\"2099-01-01T00:00:00Z\",\"cancelled\":true,\"note\":\"moved\"}\n";
        let parsed = parse_all(ok, (0, 0, 0, 2), now(), |_| false).unwrap();
        assert_eq!(parsed.plans.iter().map(|p| (p.id, p.cancelled)).collect::<Vec<_>>(), vec![(3, false), (4, true)]);
        let line = serde_json::to_string(&Line::from(&parsed.plans[1])).unwrap();
        let again = parse_all(&line, (0, 0, 0, 0), now(), |_| false).unwrap();
        assert_eq!(again.plans[0], parsed.plans[1]);
        assert_eq!(serde_json::to_string(&Line::from(&again.plans[0])).unwrap(), line, "byte-identical round trip");
        for bad in [
            ok.replace("2099-01-01T00:00:00Z", "soon"),
            ok.replace("\"45\"", "\"\""),
            ok.replace("true,\"at", "\"yes\",\"at"),
        ] {
            assert!(parse_all(&bad, (0, 0, 0, 0), now(), |_| false).unwrap_err().starts_with("line 1:"), "{bad}");
        }
        assert!(parse_all(ok, (0, 0, 0, 0), now(), |_| false).is_ok());
        let stale = ok.replace("{\"type\":\"plan\",", "{\"type\":\"plan\",\"id\":1,");
        assert!(parse_all(&stale, (0, 0, 0, 5), now(), |_| false).unwrap_err().contains("not above 5"));
    }

    #[test]
    fn ids_are_assigned_and_retractions_checked() {
        let text = "{\"type\":\"event\",\"dist\":\"fedora\",\"release\":\"44\",\"state\":\"a\",\"reached\":true,\"at\":\"2026-01-01T00:00:00Z\"}\n\
                    {\"type\":\"retraction\",\"event_id\":8,\"reason\":\"typo\"}\n";
        let parsed = parse(text, (7, 0), now(), |_| false).unwrap();
        assert_eq!(parsed.events[0].id, 8);
        assert_eq!(parsed.retractions[0].id, 1);
        let twice = format!("{text}{{\"type\":\"retraction\",\"event_id\":8,\"reason\":\"again\"}}\n");
        assert!(parse(&twice, (7, 0), now(), |_| false).unwrap_err().contains("twice"));
        let unknown = "{\"type\":\"retraction\",\"event_id\":3,\"reason\":\"x\"}";
        assert!(parse(unknown, (0, 0), now(), |_| false).is_err());
        assert!(parse(unknown, (5, 0), now(), |id| id == 3).is_ok());
    }
}
