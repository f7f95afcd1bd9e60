//! assetpack: marketing asset packs for library services.
//!
//! Publishers describe the posters, flyers, videos, links and campaign messages they offer in
//! one TOML manifest per provider ([`manifest`]). [`check`] verifies that the files match
//! (sizes, SHA-256, content type, safe paths, review dates) and [`scan`] writes or updates a
//! manifest from a folder of files.
//!
//! The library prints nothing: findings come back as [`Problem`] values and progress is
//! reported through the [`Progress`] trait, so a command-line tool can draw a bar and other
//! tools can do what they like.

pub mod atomic;
pub mod build;
pub mod bundle;
pub mod catalog;
pub mod check;
pub mod content;
pub mod digest;
pub mod examine;
pub mod manifest;
pub mod pack;
pub mod plan;
pub mod problem;
pub mod progress;
pub mod safe_path;
pub mod scan;
pub mod source;
pub mod sums;
pub mod verify;

pub use check::{check, CheckOptions, Report};
pub use manifest::{Asset, Kind, Manifest};
pub use problem::{Code, Problem, Severity};
pub use progress::{NoProgress, Progress};

/// The README's Rust examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExamples;
