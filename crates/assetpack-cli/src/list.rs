//! `assetpack list`: the chosen assets of a bundle or of manifests, one row each.

use std::io::Write;

use anyhow::Result;
use assetpack::catalog::{csv_field, list, Inputs, Listed};
use serde::Serialize;

use crate::{output, ListArgs, ListFormat};

/// What `list --format json` prints.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ListDoc<'a> {
    ok: bool,
    assets: &'a [Listed],
}

pub(crate) fn run(args: ListArgs) -> Result<u8> {
    // Manifests alone name no pack; the list needs no name.
    let (inputs, problems) = Inputs::read(&args.specs, Some("list.zip".as_ref()))?;
    let errors: Vec<_> = problems.iter().filter(|p| p.is_error()).cloned().collect();
    if !errors.is_empty() {
        let mut err = output::stderr();
        output::problems(&mut err, &errors, false)?;
        writeln!(
            err,
            "the specs have errors: `assetpack check` shows them all"
        )?;
        err.flush()?;
        return Ok(1);
    }
    let rows: Vec<Listed> = list(&inputs)
        .into_iter()
        .filter(|r| args.provider.is_empty() || args.provider.contains(&r.provider))
        .filter(|r| args.kind.is_empty() || args.kind.iter().any(|k| k == r.kind.as_str()))
        .filter(|r| !args.print || r.print)
        .collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        ListFormat::Json => output::json_doc(
            &mut out,
            &ListDoc {
                ok: true,
                assets: &rows,
            },
        )?,
        ListFormat::Csv => csv(&mut out, &rows)?,
        ListFormat::Human => human(&mut out, &rows)?,
    }
    out.flush()?;
    Ok(0)
}

fn cells(r: &Listed) -> [String; 8] {
    [
        r.provider.clone(),
        r.id.clone(),
        r.title.clone(),
        r.kind.to_string(),
        r.file.clone().unwrap_or_default(),
        r.bytes.map(|b| b.to_string()).unwrap_or_default(),
        r.print_sizes.join(" "),
        r.next_review_due.map(|d| d.to_string()).unwrap_or_default(),
    ]
}

const HEADINGS: [&str; 8] = [
    "provider",
    "id",
    "title",
    "kind",
    "file",
    "bytes",
    "print_sizes",
    "next_review_due",
];

/// RFC 4180 CSV with a heading row; every field quoted, formulas neutralised.
fn csv(out: &mut impl Write, rows: &[Listed]) -> std::io::Result<()> {
    let line = |c: &[String]| c.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",");
    write!(out, "{}\r\n", line(&HEADINGS.map(String::from)))?;
    for r in rows {
        write!(out, "{}\r\n", line(&cells(r)))?;
    }
    Ok(())
}

/// Columns padded to their widest cell (the title cut at 50 characters); a count at the end.
fn human(out: &mut impl Write, rows: &[Listed]) -> std::io::Result<()> {
    let shown: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            let mut c = cells(r);
            if c[2].chars().count() > 50 {
                c[2] = c[2].chars().take(49).chain(['…']).collect();
            }
            c[5] = r
                .bytes
                .map(assetpack::content::human_size)
                .unwrap_or_default();
            c
        })
        .collect();
    let mut widths = HEADINGS.map(|h| h.chars().count());
    for c in &shown {
        for (w, cell) in widths.iter_mut().zip(c) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let row = |out: &mut dyn Write, c: &[String]| -> std::io::Result<()> {
        let padded: Vec<String> = c
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.chars().count())))
            .collect();
        writeln!(out, "{}", padded.join("  ").trim_end())
    };
    row(out, &HEADINGS.map(String::from))?;
    for c in &shown {
        row(out, c)?;
    }
    writeln!(
        out,
        "{} asset{}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    )
}
