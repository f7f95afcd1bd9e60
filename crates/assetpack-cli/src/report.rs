//! `assetpack report`: the accessibility and readiness report, for people, as JSON, or as one
//! self-contained HTML page a lead can send to a publisher.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::{Context, Result};
use assetpack::check::CheckOptions;
use assetpack::content::html_escape as esc;
use assetpack::manifest::Date;
use assetpack::readiness::{readiness, Counts, Readiness};

use crate::{output, progress, ReportArgs, ReportFormat};

pub(crate) fn run(args: ReportArgs) -> Result<u8> {
    let options = CheckOptions {
        today: args.today.unwrap_or_else(Date::today),
        ..CheckOptions::default()
    };
    let quiet = args.quiet || args.format != ReportFormat::Human || args.output.is_none();
    let bar = progress::Bar::new(quiet);
    let r = readiness(&args.paths, &options, &bar);
    bar.clear();
    let text = match args.format {
        ReportFormat::Human => human(&r),
        ReportFormat::Json => json(&r)?,
        ReportFormat::Html => html(&r),
    };
    match &args.output {
        Some(path) => {
            assetpack::atomic::write_file(path, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            if !args.quiet {
                eprintln!("wrote {}", path.display());
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    let io = r
        .providers
        .values()
        .flat_map(|p| &p.problems)
        .chain(&r.other_problems)
        .any(assetpack::Problem::is_io);
    Ok(if io {
        2
    } else if r.total.errors > 0 || !r.other_problems.is_empty() {
        1
    } else {
        0
    })
}

fn json(r: &Readiness) -> Result<String> {
    let mut out = Vec::new();
    output::json_doc(&mut out, r)?;
    Ok(String::from_utf8(out)?)
}

/// `3/4` and, when there is anything to count, the share.
fn share(with: usize, of: usize) -> String {
    if of == 0 {
        "none".into()
    } else {
        format!("{with}/{of} ({:.0}%)", 100.0 * with as f64 / of as f64)
    }
}

/// The lines of one provider's (or the total's) counts, for people.
fn lines(c: &Counts) -> Vec<(&'static str, String)> {
    let findings: Vec<String> = c
        .findings
        .iter()
        .map(|(k, n)| format!("{k} ×{n}"))
        .collect();
    vec![
        ("images with alt text", share(c.images_with_alt, c.images)),
        (
            "videos with captions",
            share(c.videos_with_captions, c.videos),
        ),
        (
            "videos with a transcript",
            share(c.videos_with_transcript, c.videos),
        ),
        ("PDFs tagged", share(c.pdfs_tagged, c.pdfs)),
        ("PDFs with a title", share(c.pdfs_with_title, c.pdfs)),
        ("PDFs with a language", share(c.pdfs_with_language, c.pdfs)),
        (
            "reviews overdue / due soon",
            format!("{} / {}", c.reviews_overdue, c.reviews_due_soon),
        ),
        (
            "errors, warnings, info",
            format!("{}, {}, {}", c.errors, c.warnings, c.info),
        ),
        (
            "findings",
            if findings.is_empty() {
                "none".into()
            } else {
                findings.join(", ")
            },
        ),
    ]
}

fn human(r: &Readiness) -> String {
    let mut s = format!("accessibility and readiness, as of {}\n", r.today);
    for (id, p) in &r.providers {
        let _ = writeln!(s, "\n{} ({id}): {} assets", p.name, p.counts.assets);
        for (label, value) in lines(&p.counts) {
            let _ = writeln!(s, "  {label:<28} {value}");
        }
    }
    let _ = writeln!(s, "\nall providers: {} assets", r.total.assets);
    for (label, value) in lines(&r.total) {
        let _ = writeln!(s, "  {label:<28} {value}");
    }
    for p in &r.other_problems {
        let _ = writeln!(s, "{p}");
    }
    s
}

const STYLE: &str = "body{font:16px/1.45 system-ui,sans-serif;color:#1a1a1a;margin:0 auto;max-width:70em;padding:1em 2em}\
h1{color:#005eb8}table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border:1px solid #c8d0d8;padding:.3em .6em;text-align:left;vertical-align:top}\
th{background:#f3f6f9}td.n{text-align:right}.error{color:#8a1020}.warning{color:#7a4100}.info{color:#4a4a4a}li{margin:.3em 0}";

/// One self-contained page: the totals, a table of providers, and each provider's findings.
fn html(r: &Readiness) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Accessibility and readiness report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <h1>Accessibility and readiness report</h1>\n<p>Review dates judged as of {}. Made by assetpack {}.</p>\n",
        esc(&r.today),
        env!("CARGO_PKG_VERSION")
    );
    s.push_str("<table>\n<caption>Per provider</caption>\n<thead><tr><th scope=\"col\">Provider</th><th scope=\"col\">Assets</th>");
    for (label, _) in lines(&r.total).iter().take(8) {
        let _ = write!(s, "<th scope=\"col\">{}</th>", esc(label));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    let row = |s: &mut String, name: &str, c: &Counts| {
        let _ = write!(
            s,
            "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td>",
            esc(name),
            c.assets
        );
        for (_, value) in lines(c).iter().take(8) {
            let _ = write!(s, "<td>{}</td>", esc(value));
        }
        s.push_str("</tr>\n");
    };
    for p in r.providers.values() {
        row(&mut s, &p.name, &p.counts);
    }
    row(&mut s, "All providers", &r.total);
    s.push_str("</tbody>\n</table>\n");
    for (id, p) in &r.providers {
        let _ = writeln!(s, "<h2 id=\"{}\">{}</h2>", esc(id), esc(&p.name));
        if p.problems.is_empty() {
            s.push_str("<p>Nothing found.</p>\n");
            continue;
        }
        s.push_str("<ul>\n");
        for f in &p.problems {
            let at = [f.asset.as_deref(), f.file.as_ref().map(|_| "")]
                .into_iter()
                .flatten()
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let _ = writeln!(
                s,
                "<li><span class=\"{}\">{} [{}]</span>{}: {} <em>Fix: {}</em></li>",
                f.severity,
                f.severity,
                f.code,
                if at.is_empty() {
                    String::new()
                } else {
                    format!(" asset <code>{}</code>", esc(&at))
                },
                esc(&f.message),
                esc(&f.fix)
            );
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</main>\n</body>\n</html>\n");
    s
}
