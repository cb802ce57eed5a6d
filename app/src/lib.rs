//! releasetracker's shared crate: the pure core (`model`) and the web UI,
//! compiled for the server (`ssr`) and, in islands mode, for the browser
//! (`hydrate`: only the interactive islands).

pub mod model;

pub mod account;
pub mod calendar;
pub mod edit;
pub mod events;
pub mod matrix;
pub mod release;
pub mod status;
pub mod ui;

pub use ui::{shell, App};
