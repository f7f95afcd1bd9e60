//! assetpack: marketing asset packs for library services.
//!
//! Publishers describe the posters, flyers, videos, links and campaign messages they offer in
//! one TOML manifest per provider ([`manifest`]); a regional lead picks assets across providers
//! in a bundle spec ([`bundle`]). [`check()`] verifies that the files match (sizes, SHA-256,
//! content type, safe paths, review dates), [`scan`] writes or updates a manifest from a folder
//! of files, [`build`] makes a reproducible, checksummed ZIP pack and [`verify`] checks one on
//! the receiving side.
//!
//! The crate is in two layers. The **model** says what things are: [`manifest`], [`bundle`],
//! [`channel`], the inputs' [`catalog`] (which files, their paths in the pack, the edition)
//! and the checksum formats ([`sums`]). The **behaviour** does things with them: [`mod@check`],
//! [`scan`], [`plan`] (a plain-data plan of a pack), [`pack`] (the writer), [`verify`] (the
//! reader, which never uses the writer's code) and [`build`] (the one build). Files are read
//! through one reader. The model calls no behaviour.
//!
//! The library prints nothing: findings come back as [`Problem`] values and progress is
//! reported through the [`Progress`] trait, so a command-line tool can draw a bar and other
//! tools can do what they like.
//!
//! ```
//! // Check the shipped manifests, and say what is wrong where.
//! let report = assetpack::check(&["../../packs/providers".into()], &Default::default(), &assetpack::NoProgress);
//! for p in &report.problems {
//!     println!("{}:{:?}: {}[{}] {}", p.manifest.as_ref().unwrap().display(), p.line, p.severity, p.code, p.message);
//! }
//! assert!(report.ok);
//! ```

#![warn(missing_docs)]

pub mod atomic;
pub mod build;
pub mod bundle;
pub mod cache;
pub mod catalog;
pub mod channel;
pub mod check;
pub mod content;
pub mod deflated;
pub mod diff;
pub(crate) mod digest;
pub(crate) mod examine;
pub mod files;
pub mod keys;
pub mod manifest;
pub mod pack;
pub mod plan;
pub mod preflight;
pub mod problem;
pub mod progress;
pub mod readiness;
pub mod resolved;
pub mod safe_path;
pub mod scan;
pub mod schema;
pub mod signing;
pub(crate) mod source;
pub mod store;
pub mod sums;
pub mod verify;

pub use check::{check, CheckOptions, Report};
pub use manifest::{Asset, Kind, Manifest};
pub use problem::{Code, Problem, Severity};
pub use progress::{NoProgress, Progress};
