//! releasetracker's shared crate: the pure core (`model`) and the web UI,
//! compiled for the server (`ssr`) and, in islands mode, for the browser
//! (`hydrate`: only the interactive islands).
//!
//! Imports go one way: `routes` → pages (`matrix`, `release`, `events`,
//! `calendar`, `edit`, `account`, `status`) → `ui`, `server_data`,
//! `links`, `error` → `model`.

// The release page's view type nests deeper than the default limit when
// the size-optimised wasm build (`wasm-release`) lays out its hydration.
#![recursion_limit = "256"]

pub mod model;

pub mod error;
pub mod links;
pub mod server_data;

pub mod account;
pub mod audit;
pub mod calendar;
pub mod edit;
pub mod events;
pub mod matrix;
pub mod release;
pub mod routes;
pub mod schedule;
pub mod status;
pub mod ui;
pub mod webhooks;

pub use routes::{shell, App};
