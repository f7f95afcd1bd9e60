//! Bundle specs: which assets of which providers go into one pack.
//!
//! A regional lead writes one bundle spec: a `[bundle]` header (name, title, region, contact,
//! edition date, the manifests to read) and any number of `[[select]]` tables, each adding the
//! assets that match all of its fields. [`Bundle::load`] reads it with every problem located;
//! [`crate::catalog::select`] applies it to loaded manifests.
//!
//! ```
//! use assetpack::bundle::Bundle;
//!
//! let spec = r#"
//! [bundle]
//! name = "north-west-spring-2027"
//! title = "North West libraries: spring 2027"
//! date = 2027-03-01
//! manifests = ["../providers/*.toml"]
//!
//! [[select]]
//! provider = "oup"
//! kinds = ["poster", "bookmark"]
//! "#;
//! let loaded = Bundle::parse("packs/bundles/nw.toml", spec.to_string());
//! assert!(loaded.problems.is_empty());
//! let bundle = loaded.bundle.unwrap();
//! assert_eq!(bundle.selects[0].provider.as_deref(), Some("oup"));
//! ```

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::manifest::{parse_toml, Date, Fields, Kind, LoadError, Sink};
use crate::problem::{Code, Problem};
use crate::source::Source;

/// The `[bundle]` header: what the pack is, for whom, and its edition date.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize,
)]
pub struct Header {
    /// Folder name inside the ZIP and default output file name.
    pub name: String,
    /// What the pack is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Who it is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Who built it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Edition date, printed in the index and used for timestamps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Date>,
}

/// One `[[select]]`: all given fields must match (an absent field matches everything).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Select {
    /// Provider id.
    pub provider: Option<String>,
    /// Asset kinds.
    pub kinds: Vec<Kind>,
    /// Tags: an asset matches when it has any of them.
    pub tags: Vec<String>,
    /// Asset ids.
    pub ids: Vec<String>,
    /// Rendition roles to keep (`None`: all).
    pub renditions: Option<Vec<String>>,
    pub(crate) span: Range<usize>,
}

/// A parsed bundle spec.
#[derive(Clone, Debug)]
pub struct Bundle {
    /// The spec file.
    pub path: PathBuf,
    /// The header.
    pub header: Header,
    /// Manifest paths or globs, relative to the spec.
    pub manifests: Vec<String>,
    /// The selects, in order.
    pub selects: Vec<Select>,
    /// `[check] preflight = true`: the assets are preflighted when the pack is built or the
    /// spec checked.
    pub preflight: bool,
    source: Arc<Source>,
}

/// The result of reading a bundle spec.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The bundle, when usable.
    pub bundle: Option<Bundle>,
    /// Problems found in the TOML.
    pub problems: Vec<Problem>,
}

/// Whether `name` can be a pack's top folder: a plain file name.
pub fn valid_name(name: &str) -> bool {
    !name.starts_with('.')
        && !name.contains('/')
        && crate::safe_path::check(name).is_ok()
        && name.chars().all(|c| !c.is_whitespace() || c == ' ')
}

impl Bundle {
    /// Reads the spec at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Loaded, LoadError> {
        let path = path.as_ref();
        Ok(Self::parse(path, crate::manifest::read_text(path)?))
    }

    /// Parses spec `text` as if read from `path`.
    pub fn parse(path: impl AsRef<Path>, text: String) -> Loaded {
        let path = path.as_ref();
        let source = Arc::new(Source::new(path, text));
        let mut sink = Sink::new(&source);
        let Some(root) = parse_toml(&mut sink, source.text()) else {
            return Loaded {
                bundle: None,
                problems: sink.problems,
            };
        };
        let mut top = Fields::new(&root, 0..0, "the bundle spec");
        top.format_version(&mut sink);
        let header = match top.table(&mut sink, "bundle", "[bundle]") {
            Some(mut b) => {
                let name = b.text(&mut sink, "name", true).and_then(|(n, span)| {
                    if valid_name(&n) {
                        Some(n)
                    } else {
                        b.bad(
                            &mut sink,
                            span,
                            format!("bundle name `{n}` is not a plain folder name"),
                            "use letters, digits and `-`, e.g. `north-west-spring-2027`".into(),
                        );
                        None
                    }
                });
                let title = b.text(&mut sink, "title", false).map(|(s, _)| s);
                let region = b.text(&mut sink, "region", false).map(|(s, _)| s);
                let contact = b.text(&mut sink, "contact", false).map(|(s, _)| s);
                let date = b.date(&mut sink, "date").map(|(d, _)| d);
                let manifests = b.strings(&mut sink, "manifests");
                if manifests.is_none() && !b.has("manifests") {
                    sink.push(
                        Code::MissingField,
                        b.span.clone(),
                        None,
                        "[bundle] has no `manifests`".into(),
                        "add `manifests = [\"../providers/*.toml\"]` (paths or globs, relative to this file)".into(),
                    );
                }
                b.finish(&mut sink);
                name.zip(manifests).map(|(name, manifests)| {
                    (
                        Header {
                            name,
                            title,
                            region,
                            contact,
                            date,
                        },
                        manifests,
                    )
                })
            }
            None => {
                if !top.has("bundle") {
                    sink.push(
                        Code::MissingField,
                        0..0,
                        None,
                        "the bundle spec has no [bundle] table".into(),
                        "add [bundle] with `name` and `manifests`".into(),
                    );
                }
                None
            }
        };
        let mut selects = Vec::new();
        for mut s in top.tables(&mut sink, "select", "[[select]]") {
            let provider = s.text(&mut sink, "provider", false).map(|(p, _)| p);
            let kinds = s
                .strings(&mut sink, "kinds")
                .unwrap_or_default()
                .into_iter()
                .filter_map(|k| match k.parse::<Kind>() {
                    Ok(k) => Some(k),
                    Err(()) => {
                        sink.push(
                            Code::UnknownReference,
                            s.span.clone(),
                            None,
                            format!("{} names an unknown kind `{k}`", s.what()),
                            format!("use one of: {}", Kind::ALL.map(|k| k.as_str()).join(", ")),
                        );
                        None
                    }
                })
                .collect();
            let tags = s.strings(&mut sink, "tags").unwrap_or_default();
            let ids = s.strings(&mut sink, "ids").unwrap_or_default();
            let renditions = s.strings(&mut sink, "renditions");
            let span = s.span.clone();
            s.finish(&mut sink);
            selects.push(Select {
                provider,
                kinds,
                tags,
                ids,
                renditions,
                span,
            });
        }
        let preflight = top
            .table(&mut sink, "check", "[check]")
            .map(|mut c| {
                let on = c.boolean(&mut sink, "preflight").unwrap_or(false);
                c.finish(&mut sink);
                on
            })
            .unwrap_or(false);
        top.finish(&mut sink);
        let mut problems = sink.problems;
        problems.sort_by_key(|p| (p.line, p.column));
        let bundle = header.map(|(header, manifests)| Bundle {
            path: path.to_owned(),
            header,
            manifests,
            selects,
            preflight,
            source: Arc::clone(&source),
        });
        Loaded { bundle, problems }
    }

    pub(crate) fn problem(
        &self,
        code: Code,
        span: Range<usize>,
        message: String,
        fix: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Problem {
        self.source
            .locate(Problem::new(code, message, fix), Some(span))
    }

    /// The manifest files the spec names: each entry resolved against the spec's folder and
    /// expanded as a glob, in sorted order without repeats. An entry that matches nothing is a
    /// problem.
    pub fn manifest_paths(&self) -> (Vec<PathBuf>, Vec<Problem>) {
        let dir = self.path.parent().unwrap_or(Path::new(""));
        let span = self
            .source
            .text()
            .find("manifests")
            .map_or(0..0, |i| i..i + 9);
        let mut out = BTreeSet::new();
        let mut problems = Vec::new();
        for pattern in &self.manifests {
            let full = dir.join(pattern);
            let full = full.to_string_lossy();
            let matched: Vec<PathBuf> = match glob::glob(&full) {
                Ok(paths) => paths
                    .filter_map(Result::ok)
                    .filter(|p| p.is_file())
                    .collect(),
                Err(e) => {
                    problems.push(self.problem(
                        Code::BadValue,
                        span.clone(),
                        format!("`{pattern}` is not a valid path pattern: {e}"),
                        "write a path or a glob such as `../providers/*.toml`",
                    ));
                    continue;
                }
            };
            if matched.is_empty() {
                problems.push(self.problem(
                    Code::NoManifests,
                    span.clone(),
                    format!("`{pattern}` matches no manifest (looked for {full})"),
                    "correct the path; it is relative to the bundle spec",
                ));
            }
            out.extend(matched);
        }
        (out.into_iter().collect(), problems)
    }
}
