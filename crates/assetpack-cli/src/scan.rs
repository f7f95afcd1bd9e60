//! `assetpack scan`: a manifest written or updated from a folder of files.

use std::io::Write;

use anyhow::{Context, Result};
use assetpack::scan::{scan, ScanOptions};

use crate::{progress, ScanArgs};

pub(crate) fn run(args: ScanArgs) -> Result<u8> {
    let existing = match &args.output {
        Some(path) if path.exists() => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the manifest {}", path.display()))?,
        ),
        _ => None,
    };
    let options = ScanOptions {
        provider_id: args.provider.clone(),
        name: args.name.clone(),
        output: args.output.clone(),
    };
    let bar = progress::Bar::new(args.quiet);
    let outcome = scan(
        &args.dir,
        args.output.as_deref().zip(existing.as_deref()),
        &options,
        &bar,
    );
    bar.clear();
    let outcome = outcome?;
    match &args.output {
        Some(path) => assetpack::atomic::write_file(path, outcome.text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(outcome.text.as_bytes())?;
            out.flush()?;
        }
    }
    let mut err = std::io::stderr().lock();
    for (path, why) in &outcome.skipped {
        writeln!(err, "skipped {path}: {why}")?;
    }
    for path in &outcome.vanished {
        writeln!(
            err,
            "warning: {path} is listed but no longer there; its entry is kept (remove it by hand if it is gone for good)"
        )?;
    }
    if !args.quiet {
        writeln!(
            err,
            "scanned {} files: {} added, {} updated, {} vanished, {} skipped",
            outcome.files,
            outcome.added.len(),
            outcome.updated.len(),
            outcome.vanished.len(),
            outcome.skipped.len()
        )?;
    }
    Ok(0)
}
