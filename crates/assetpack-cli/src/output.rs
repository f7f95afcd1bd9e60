//! Printing check reports: for people (rustc-style) and as JSON for other tools.

use std::io::{self, Write};

use assetpack::check::Report;
use assetpack::Problem;

/// One JSON document: `{"ok", "problems": [...], "summary": {...}}`.
pub fn json(out: &mut impl Write, report: &Report) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    writeln!(out)
}

/// Each problem as `severity[code]: message`, its location and source line, and a fix;
/// then a summary line.
pub fn human(out: &mut impl Write, report: &Report) -> io::Result<()> {
    problems(out, &report.problems)?;
    let s = &report.summary;
    writeln!(
        out,
        "checked {} manifest{}, {} asset{}, {} file{} ({} hashed): {} error{}, {} warning{}",
        s.manifests,
        plural(s.manifests),
        s.assets,
        plural(s.assets),
        s.files,
        plural(s.files),
        assetpack::content::human_size(s.bytes_hashed),
        s.errors,
        plural(s.errors),
        s.warnings,
        plural(s.warnings),
    )
}

/// Each problem in the human format.
pub fn problems(out: &mut impl Write, problems: &[Problem]) -> io::Result<()> {
    for p in problems {
        problem(out, p)?;
    }
    Ok(())
}

/// One line counting warnings by code, e.g. `3 warnings (missing-alt ×2, review-due-soon ×1)`.
pub fn warning_summary(out: &mut impl Write, problems: &[Problem]) -> io::Result<()> {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for p in problems.iter().filter(|p| !p.is_error()) {
        *counts.entry(p.code.as_str()).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    if total == 0 {
        return Ok(());
    }
    let list: Vec<String> = counts.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
    writeln!(
        out,
        "{total} warning{} ({}); `assetpack check` shows them",
        plural(total),
        list.join(", ")
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn problem(out: &mut impl Write, p: &Problem) -> io::Result<()> {
    writeln!(out, "{}[{}]: {}", p.severity, p.code, p.message)?;
    let gutter = p.line.map_or(1, |l| l.to_string().len());
    let pad = " ".repeat(gutter);
    if let Some(m) = &p.manifest {
        match (p.line, p.column) {
            (Some(l), Some(c)) => writeln!(out, "{pad}--> {}:{l}:{c}", m.display())?,
            _ => writeln!(out, "{pad}--> {}", m.display())?,
        }
    }
    if let (Some(line), Some(col), Some(src)) = (p.line, p.column, &p.source_line) {
        let src: String = src
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        writeln!(out, "{pad} |")?;
        writeln!(out, "{line} | {src}")?;
        writeln!(out, "{pad} | {}^", " ".repeat(col.saturating_sub(1)))?;
    }
    let mut at = Vec::new();
    if let Some(prov) = &p.provider {
        at.push(format!("provider {prov}"));
    }
    if let Some(a) = &p.asset {
        at.push(format!("asset {a}"));
    }
    if let Some(f) = &p.file {
        at.push(format!("file {f}"));
    }
    if !at.is_empty() {
        writeln!(out, "{pad} = {}", at.join(", "))?;
    }
    writeln!(out, "{pad} = help: {}", p.fix)?;
    writeln!(out)
}
