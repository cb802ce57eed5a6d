//! The pure core: validated names, events, membership, natural release
//! ordering and the views at any instant. No I/O and no Leptos live here, so
//! the same code runs on the server, in the browser and in property tests.

pub mod activity;
pub mod appstream;
pub mod audit;
pub mod compat;
pub mod describe;
pub mod distro_info;
pub mod endoflife;
pub mod event;
pub mod filter;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod log;
pub mod membership;
pub mod name;
pub mod order;
pub mod plans;
pub mod properties;
pub mod reached;
pub mod shared;
pub mod time;
pub mod views;
pub mod webhooks;

pub use event::{Event, EventId, EventInput, NewEvent, NewRetraction, Retraction};
pub use filter::{FilterText, LogFilter};
pub use log::{Activity, EventLog, LogPage, LogQuery};
pub use name::{Dist, Release, State, ValidationError};
pub use properties::{PropertyChange, PropertyLog, PropertySet};
pub use reached::{parse_reached, ReachedWords};
pub use shared::SharedLog;
pub use time::{parse_at, Timestamp};
