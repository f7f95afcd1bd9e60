//! `assetpack scan`: a manifest written or updated from a folder of files.

use std::io::Write;

use anyhow::{Context, Result};
use assetpack::scan::{scan_place, ScanOptions};

use serde::Serialize;

use crate::{output, progress, Format, ScanArgs};

/// What `scan --format json` prints.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ScanDoc<'a> {
    ok: bool,
    /// The manifest written, or `null` when it is in `text`.
    manifest: Option<&'a std::path::Path>,
    /// Regular files found.
    files: usize,
    added: &'a [String],
    updated: &'a [String],
    vanished: &'a [String],
    skipped: Vec<Skipped<'a>>,
    /// The manifest, when no -o was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Skipped<'a> {
    path: &'a str,
    why: &'a str,
}

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
    let json = args.format == Format::Json;
    let bar = progress::Bar::new(args.quiet || json);
    let folder = assetpack::store::place(&args.dir.to_string_lossy())?;
    let outcome = scan_place(
        &folder,
        args.output.as_deref().zip(existing.as_deref()),
        &options,
        &bar,
    );
    bar.clear();
    let outcome = outcome?;
    match &args.output {
        Some(path) => assetpack::atomic::write_file(path, outcome.text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?,
        None if json => {}
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(outcome.text.as_bytes())?;
            out.flush()?;
        }
    }
    if json {
        let skipped = outcome.skipped.iter();
        let doc = ScanDoc {
            ok: true,
            manifest: args.output.as_deref(),
            files: outcome.files,
            added: &outcome.added,
            updated: &outcome.updated,
            vanished: &outcome.vanished,
            skipped: skipped.map(|(path, why)| Skipped { path, why }).collect(),
            text: args.output.is_none().then_some(outcome.text.as_str()),
        };
        output::json_doc(&mut std::io::stdout().lock(), &doc)?;
        return Ok(0);
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
