//! releasetracker's shared crate: the pure core (`model`) and the Leptos
//! application (`App`, `shell`), compiled for the server (`ssr`) and the
//! browser (`hydrate`).

pub mod model;

mod pages;

pub use pages::{shell, App};
