//! Printing reports: for people (rustc-style), as JSON for other tools, and as GitHub Actions
//! annotations.

use std::io::{self, Write};

use assetpack::check::Report;
use assetpack::{Problem, Severity};
use serde::Serialize;

/// The version of the shape of every JSON document the command line prints (its `"format"`).
pub const FORMAT: u32 = 1;

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Versioned<'a, T: Serialize> {
    #[schemars(schema_with = "format_one")]
    format: u32,
    #[serde(flatten)]
    body: &'a T,
}

/// The version of a document's shape: 1.
fn format_one(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "integer", "const": FORMAT })
}

/// One JSON document: `{"format": 1, ...body}`.
pub fn json_doc(out: &mut impl Write, body: &impl Serialize) -> io::Result<()> {
    let doc = Versioned {
        format: FORMAT,
        body,
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}

/// Any document a command prints with `--format json`.
#[derive(schemars::JsonSchema)]
#[schemars(title = "assetpack report")]
#[serde(untagged)]
#[allow(dead_code)]
enum AnyReport<'a> {
    /// `check`.
    Check(Versioned<'a, Report>),
    /// `verify`.
    Verify(Versioned<'a, assetpack::verify::Verification>),
    /// `build`.
    Build(Versioned<'a, crate::build::BuildDoc<'a>>),
    /// `build` or `index` stopped by problems in the data.
    Stopped(Versioned<'a, crate::build::StoppedDoc<'a>>),
    /// `index`.
    Index(Versioned<'a, crate::build::IndexDoc<'a>>),
    /// `scan`.
    Scan(Versioned<'a, crate::scan::ScanDoc<'a>>),
    /// `list`.
    List(Versioned<'a, crate::list::ListDoc<'a>>),
    /// `show`.
    Show(Versioned<'a, crate::show::ShowDoc<'a>>),
    /// `diff`.
    Diff(Versioned<'a, crate::diff::DiffDoc<'a>>),
    /// `key new`.
    KeyNew(Versioned<'a, crate::keys::NewKeyDoc<'a>>),
    /// `sign`.
    Sign(Versioned<'a, crate::keys::SignedDoc<'a>>),
    /// `report`.
    Readiness(Versioned<'a, assetpack::readiness::Readiness>),
    /// A fatal or usage error of any command.
    Error(Versioned<'a, Failure<'a>>),
}

/// The JSON Schema of every `--format json` document.
pub fn report_schema() -> String {
    let schema = schemars::SchemaGenerator::default().into_root_schema_for::<AnyReport>();
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

/// A check report as JSON: `{"format", "ok", "problems": [...], "summary": {...}}`.
pub fn json(out: &mut impl Write, report: &Report) -> io::Result<()> {
    json_doc(out, report)
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Failure<'a> {
    ok: bool,
    error: ErrorDoc<'a>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ErrorDoc<'a> {
    /// `usage`, `io` or `interrupted`.
    kind: &'a str,
    message: &'a str,
}

/// A fatal error as the JSON document of a command run with `--format json`, on standard
/// output: `{"format": 1, "ok": false, "error": {"kind", "message"}}`.
pub fn json_error(kind: &str, message: &str) {
    let doc = Failure {
        ok: false,
        error: ErrorDoc { kind, message },
    };
    let mut out = io::stdout().lock();
    let _ = json_doc(&mut out, &doc);
    let _ = out.flush();
}

/// Each problem as a GitHub Actions workflow command (`::error file=…,line=…::message`), so a
/// publisher's CI shows it on the manifest line; then the summary line.
pub fn github(out: &mut impl Write, report: &Report) -> io::Result<()> {
    for p in &report.problems {
        let level = match p.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            _ => "notice",
        };
        let mut props = Vec::new();
        if let Some(m) = &p.manifest {
            props.push(format!("file={}", escape_property(&m.to_string_lossy())));
        }
        if let Some(l) = p.line {
            props.push(format!("line={l}"));
        }
        if let Some(c) = p.column {
            props.push(format!("col={c}"));
        }
        props.push(format!("title={}", escape_property(p.code.as_str())));
        let text = format!("{} (fix: {})", p.message, p.fix);
        writeln!(out, "::{level} {}::{}", props.join(","), escape_data(&text))?;
    }
    summary(out, report)
}

/// The escapes GitHub's workflow commands need in a message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// ... and in a property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Each problem as `severity[code]: message`, its location and source line, and a fix;
/// then a summary line.
pub fn human(out: &mut impl Write, report: &Report, verbose: bool) -> io::Result<()> {
    problems(out, &report.problems, verbose)?;
    summary(out, report)
}

fn summary(out: &mut impl Write, report: &Report) -> io::Result<()> {
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

/// Standard output for people: buffered, coloured on a terminal, plain when piped or when
/// `NO_COLOR` is set (`CLICOLOR_FORCE=1` colours it anyway).
pub fn stdout() -> io::BufWriter<anstream::AutoStream<io::StdoutLock<'static>>> {
    io::BufWriter::with_capacity(1 << 16, anstream::stdout().lock())
}

/// Standard error for people, as [`stdout`].
pub fn stderr() -> io::BufWriter<anstream::AutoStream<io::StderrLock<'static>>> {
    io::BufWriter::new(anstream::stderr().lock())
}

/// How many problems of one code in one manifest are shown before the rest are counted.
const SHOWN: usize = 3;

/// Each problem in the human format; past the first [`SHOWN`] of one code in one manifest,
/// one line counts the rest, unless `verbose`.
pub fn problems(out: &mut impl Write, problems: &[Problem], verbose: bool) -> io::Result<()> {
    // Each (manifest, code) met: how many times, and its first problem.
    type Key<'a> = (Option<&'a std::path::Path>, assetpack::Code);
    let mut seen: Vec<(Key, usize, &Problem)> = Vec::new();
    for p in problems {
        let key = (p.manifest.as_deref(), p.code);
        // The code first, and the paths by their bytes (a manifest's problems share one
        // path): comparing paths component by component, for each of tens of thousands of
        // warnings, took longer than the rest of their output.
        let same = |(m, code): &Key| {
            *code == key.1 && m.map(|m| m.as_os_str()) == key.0.map(|m| m.as_os_str())
        };
        let n = match seen.iter_mut().find(|(k, _, _)| same(k)) {
            Some((_, n, _)) => {
                *n += 1;
                *n
            }
            None => {
                seen.push((key, 1, p));
                1
            }
        };
        if verbose || n <= SHOWN {
            problem(out, p)?;
        }
    }
    for ((manifest, code), n, first) in seen {
        if verbose || n <= SHOWN {
            continue;
        }
        let r#in = manifest.map_or(String::new(), |m| format!(" in {}", m.display()));
        let style = severity_style(first);
        writeln!(
            out,
            "{style}…{style:#} and {} more `{code}` {}{}{in} (`--verbose` shows them all; JSON always has all)",
            n - SHOWN,
            first.severity,
            plural(n - SHOWN),
        )?;
    }
    Ok(())
}

fn severity_style(p: &Problem) -> anstyle::Style {
    let colour = match p.severity {
        Severity::Error => anstyle::AnsiColor::Red,
        Severity::Warning => anstyle::AnsiColor::Yellow,
        _ => anstyle::AnsiColor::Blue,
    };
    anstyle::Style::new().bold().fg_color(Some(colour.into()))
}

/// One line counting warnings by code, e.g. `3 warnings (missing-alt ×2, review-due-soon ×1)`.
pub fn warning_summary(out: &mut impl Write, problems: &[Problem]) -> io::Result<()> {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for p in problems.iter().filter(|p| p.severity == Severity::Warning) {
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
    let sev = severity_style(p);
    let bold = anstyle::Style::new().bold();
    let blue = anstyle::Style::new()
        .bold()
        .fg_color(Some(anstyle::AnsiColor::Blue.into()));
    writeln!(
        out,
        "{sev}{}[{}]{sev:#}{bold}: {}{bold:#}",
        p.severity, p.code, p.message
    )?;
    let gutter = p.line.map_or(1, |l| l.to_string().len());
    let pad = " ".repeat(gutter);
    if let Some(m) = &p.manifest {
        match (p.line, p.column) {
            (Some(l), Some(c)) => writeln!(out, "{pad}{blue}-->{blue:#} {}:{l}:{c}", m.display())?,
            _ => writeln!(out, "{pad}{blue}-->{blue:#} {}", m.display())?,
        }
    }
    if let (Some(line), Some(col), Some(src)) = (p.line, p.column, &p.source_line) {
        let src: String = src
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        writeln!(out, "{pad} {blue}|{blue:#}")?;
        writeln!(out, "{blue}{line} |{blue:#} {src}")?;
        let caret = " ".repeat(col.saturating_sub(1));
        writeln!(out, "{pad} {blue}|{blue:#} {caret}{sev}^{sev:#}")?;
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
