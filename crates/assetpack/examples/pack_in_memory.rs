//! Builds a pack into memory (a `Vec<u8>`, as a web service would before sending it) with a
//! progress reporter of its own, then prints its size and how far the reporter got.
//!
//! ```sh
//! cargo run -p assetpack --example pack_in_memory -- packs/bundles/north-west-spring-2027.toml
//! ```

use std::io::Cursor;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use assetpack::build::{build_into, BuildOptions};
use assetpack::catalog::Inputs;
use assetpack::Progress;

/// Counts bytes and files as the pack's readers report them (from several threads).
#[derive(Default)]
struct Counter {
    total: AtomicU64,
    bytes: AtomicU64,
    files: AtomicU64,
}

impl Progress for Counter {
    fn begin(&self, _files: u64, bytes: u64) {
        self.total.fetch_add(bytes, Ordering::Relaxed);
    }
    fn advance(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
    fn file_done(&self, _path: &Path) {
        self.files.fetch_add(1, Ordering::Relaxed);
    }
}

fn main() -> ExitCode {
    let Some(spec) = std::env::args_os().nth(1) else {
        eprintln!("usage: pack_in_memory BUNDLE.toml");
        return ExitCode::from(2);
    };
    let (inputs, problems) = match Inputs::read(&[spec.into()], None) {
        Ok(read) => read,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let counter = Counter::default();
    let options = BuildOptions::default();
    let out = Cursor::new(Vec::new());
    match build_into(&inputs, problems, &options, None, out, &counter) {
        Ok((zip, made)) => {
            let bytes = zip.into_inner();
            println!(
                "{}: {} entries, {} bytes in memory; read {} of {} bytes in {} files",
                made.plan.name,
                made.plan.entries.len(),
                bytes.len(),
                counter.bytes.load(Ordering::Relaxed),
                counter.total.load(Ordering::Relaxed),
                counter.files.load(Ordering::Relaxed),
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
