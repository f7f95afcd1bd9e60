//! `assetpack diff OLD NEW`: assets added, removed and changed between two editions; exit 0
//! when they are the same, 1 when they differ, like `diff`.

use std::io::Write;

use anyhow::Result;
use assetpack::diff::{diff, Diff, DiffError};
use serde::Serialize;

use crate::{output, DiffArgs, Format};

/// What `diff --format json` prints.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct DiffDoc<'a> {
    /// True when the two sides are the same.
    ok: bool,
    #[serde(flatten)]
    diff: &'a Diff,
}

pub(crate) fn run(args: DiffArgs) -> Result<u8> {
    let d = match diff(&args.old, &args.new) {
        Ok(d) => d,
        Err(DiffError::Problems { path, problems }) => {
            let mut err = output::stderr();
            output::problems(&mut err, &problems, false)?;
            writeln!(err, "{} has errors; nothing was compared", path.display())?;
            err.flush()?;
            return Ok(1);
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.format == Format::Json {
        output::json_doc(
            &mut out,
            &DiffDoc {
                ok: d.is_empty(),
                diff: &d,
            },
        )?;
    } else {
        human(&mut out, &d)?;
    }
    out.flush()?;
    Ok(if d.is_empty() { 0 } else { 1 })
}

fn human(out: &mut impl Write, d: &Diff) -> std::io::Result<()> {
    for a in &d.added {
        writeln!(out, "added    {}  {}", a.asset, a.title)?;
    }
    for a in &d.removed {
        writeln!(out, "removed  {}  {}", a.asset, a.title)?;
    }
    for c in &d.changed {
        writeln!(out, "changed  {}  {}", c.asset, c.title)?;
        for f in &c.fields {
            let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
            writeln!(
                out,
                "           {}: {} → {}",
                f.field,
                shown(&f.old),
                shown(&f.new)
            )?;
        }
    }
    let n = d.added.len() + d.removed.len() + d.changed.len();
    if n == 0 {
        writeln!(out, "the same assets, field for field")
    } else {
        writeln!(
            out,
            "{n} asset{} differ ({} added, {} removed, {} changed)",
            if n == 1 { "" } else { "s" },
            d.added.len(),
            d.removed.len(),
            d.changed.len()
        )
    }
}
