//! Progress reporting.
//!
//! Long operations (hashing gigabytes of posters and videos) call a [`Progress`]
//! implementation supplied by the caller. Every method has a no-op default, so an
//! implementation overrides only what it needs: the CLI draws a bar from [`Progress::advance`],
//! a test records events, another tool passes [`NoProgress`].
//!
//! Methods are called from worker threads, hence the `Sync` bound.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use assetpack::Progress;
//!
//! #[derive(Default)]
//! struct Bytes(AtomicU64);
//!
//! impl Progress for Bytes {
//!     fn advance(&self, bytes: u64) {
//!         self.0.fetch_add(bytes, Ordering::Relaxed);
//!     }
//! }
//!
//! let bytes = Bytes::default();
//! let report = assetpack::check(&["../../packs/providers/oup.toml".into()], &Default::default(), &bytes);
//! assert!(report.ok && bytes.0.load(Ordering::Relaxed) > 0);
//! ```

use std::path::Path;

/// Receives progress events; see the module docs.
pub trait Progress: Sync {
    /// More work is coming: `files` files holding `bytes` bytes will be read. Called once per
    /// batch (for `check`, once per manifest, as manifests load in parallel): add it to the
    /// totals.
    fn begin(&self, files: u64, bytes: u64) {
        let _ = (files, bytes);
    }

    /// `bytes` more bytes have been read.
    fn advance(&self, bytes: u64) {
        let _ = bytes;
    }

    /// One file is done.
    fn file_done(&self, path: &Path) {
        let _ = path;
    }

    /// All work is done.
    fn finish(&self) {}

    /// Polled between chunks: return true to stop (Ctrl-C). Writers then remove what they
    /// started and return a "cancelled" error.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Ignores every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
