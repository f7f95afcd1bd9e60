//! `assetpack show PROVIDER/ASSET`: one asset with every field, its files and what `check`
//! says about them.

use std::io::Write;

use anyhow::{bail, Result};
use assetpack::manifest::{Asset, Content, FileRef};
use assetpack::{CheckOptions, NoProgress, Problem};
use serde::Serialize;

use crate::{output, Format, ShowArgs};

/// What `show --format json` prints.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ShowDoc<'a> {
    /// No errors about the asset.
    ok: bool,
    provider: &'a str,
    manifest: &'a std::path::Path,
    line: Option<usize>,
    asset: &'a Asset,
    problems: &'a [Problem],
}

pub(crate) fn run(args: ShowArgs) -> Result<u8> {
    let Some((provider, id)) = args.asset.split_once('/') else {
        bail!("`{}` is not PROVIDER/ASSET, e.g. oup/a3-poster", args.asset);
    };
    let specs = if args.specs.is_empty() {
        vec![".".into()]
    } else {
        args.specs.clone()
    };
    let report = assetpack::check(&specs, &CheckOptions::default(), &NoProgress);
    let found = report.manifests.iter().find_map(|m| {
        let a = m.assets.iter().find(|a| a.id == id)?;
        (m.provider.id == provider).then_some((m, a))
    });
    let Some((m, a)) = found else {
        bail!(
            "no asset `{id}` of provider `{provider}` in {}; `assetpack list` shows what there is",
            specs
                .iter()
                .map(|s| s.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let problems: Vec<Problem> = report
        .problems
        .into_iter()
        .filter(|p| p.provider.as_deref() == Some(provider) && p.asset.as_deref() == Some(id))
        .collect();
    let ok = !problems.iter().any(Problem::is_error);
    let mut out = output::stdout();
    if args.format == Format::Json {
        let doc = ShowDoc {
            ok,
            provider,
            manifest: &m.path,
            line: m.line_of(a),
            asset: a,
            problems: &problems,
        };
        output::json_doc(&mut out, &doc)?;
    } else {
        human(&mut out, &m.path, m.line_of(a), provider, a)?;
        if problems.is_empty() {
            writeln!(out, "check: no problems")?;
        } else {
            writeln!(out)?;
            output::problems(&mut out, &problems, true)?;
        }
    }
    out.flush()?;
    Ok(if ok { 0 } else { 1 })
}

fn human(
    out: &mut impl Write,
    manifest: &std::path::Path,
    line: Option<usize>,
    provider: &str,
    a: &Asset,
) -> std::io::Result<()> {
    writeln!(out, "{provider}/{} — {}", a.id, a.title)?;
    let at = line.map_or(String::new(), |l| format!(":{l}"));
    writeln!(out, "  manifest: {}{at}", manifest.display())?;
    writeln!(out, "  kind: {}", a.kind)?;
    match &a.content {
        Content::File(f) => file(out, "file", f)?,
        Content::Url(u) => writeln!(out, "  url: {u}")?,
        Content::Text { text, channel } => {
            let ch = channel.as_deref().unwrap_or("any channel");
            writeln!(out, "  message ({ch}): {text}")?;
        }
        _ => {}
    }
    for r in &a.renditions {
        file(out, &format!("rendition {}", r.role), &r.file)?;
    }
    if let Some(t) = &a.transcript {
        file(out, "transcript", t)?;
    }
    if let Some(c) = &a.captions {
        file(out, "captions", c)?;
    }
    let fields = [
        ("description", a.description.clone()),
        ("alt", a.alt.clone()),
        ("usage", a.usage.clone()),
        ("tags", (!a.tags.is_empty()).then(|| a.tags.join(", "))),
        ("last reviewed", a.last_reviewed.map(|d| d.to_string())),
        ("next review due", a.next_review_due.map(|d| d.to_string())),
    ];
    for (name, value) in fields {
        if let Some(v) = value {
            writeln!(out, "  {name}: {v}")?;
        }
    }
    if let Some(p) = &a.print {
        let sizes = p.sizes.join(", ");
        let most = p
            .max_quantity
            .map_or(String::new(), |q| format!(", up to {q} copies"));
        let offered = if p.available {
            "offered"
        } else {
            "not offered"
        };
        writeln!(out, "  printed copies: {offered} ({sizes}{most})")?;
    }
    Ok(())
}

fn file(out: &mut impl Write, what: &str, f: &FileRef) -> std::io::Result<()> {
    let mut about = Vec::new();
    if let Some(b) = f.bytes {
        about.push(assetpack::content::human_size(b));
    }
    if let Some(t) = &f.media_type {
        about.push(t.clone());
    }
    if let Some(h) = &f.sha256 {
        about.push(format!("SHA-256 {h}"));
    }
    let about = if about.is_empty() {
        String::new()
    } else {
        format!(" ({})", about.join(", "))
    };
    writeln!(out, "  {what}: {}{about}", f.file)
}
