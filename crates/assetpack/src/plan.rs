//! The plan of a pack: every entry, where its bytes come from, its expected SHA-256, and how
//! it is compressed. A plan is plain data, built without writing anything: it can be printed
//! (`build --dry-run`), tested and diffed; [`crate::pack`] executes it.
//!
//! The pack holds one top folder, `<name>/`:
//! - `<provider-id>/<file>` for every file asset, rendition, transcript and caption file;
//! - `<provider-id>/messages/<asset-id>.txt` for every message;
//! - `links.html` (every link, grouped by provider), `manifest.toml` and `manifest.json` (the
//!   resolved bundle), `README.txt`, `LICENCES/<provider-id>.txt`, `print-request.csv`,
//!   `index.pdf` when given;
//! - `SHA256SUMS` over every other file, or, with [`Layout::Bagit`], a BagIt bag (RFC 8493)
//!   with the same content under `data/`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use crate::bundle::{Header, Selected};
use crate::content;
use crate::manifest::{Asset, Content, Date, FileRef, FileRole, Kind, Manifest, Print, Provider};
use crate::safe_path;

/// How the pack is laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Files under `<name>/`, with `SHA256SUMS`.
    #[default]
    Plain,
    /// A BagIt bag: payload under `<name>/data/`, manifests and tag files beside it.
    Bagit,
}

/// How entries are compressed. The choice never changes the content.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// Store formats that are already compressed, deflate text, and decide the rest (PDFs,
    /// unknown types) by trying to compress their first bytes.
    #[default]
    Auto,
    /// Store everything.
    Store,
    /// Deflate everything.
    Deflate,
}

/// Options for [`plan`].
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// Plain or BagIt.
    pub layout: Layout,
    /// Compression policy.
    pub compression: Compression,
    /// The PDF index, when one goes in.
    pub index_pdf: Option<Vec<u8>>,
}

/// Where an entry's bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryData {
    /// A file on disk (hashed again while it is packed).
    File(PathBuf),
    /// A file whose bytes were kept when it was checked: packed from them (and hashed while
    /// packed) without reading the file again.
    Kept(PathBuf, Arc<[u8]>),
    /// Bytes made by assetpack.
    Bytes(Arc<[u8]>),
}

/// How one entry is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Stored as is.
    Store,
    /// Deflated.
    Deflate,
    /// Decided from a sample of the content (deflated when that saves 10% or more).
    Sample,
}

/// One file of the pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Path inside `<name>/`, `/`-separated (for a bag, starting with `data/` for payload).
    pub path: String,
    /// Where the bytes come from.
    pub data: EntryData,
    /// Expected SHA-256, lowercase hex.
    pub sha256: String,
    /// Expected size.
    pub bytes: u64,
    /// Compression.
    pub method: Method,
}

/// A pack's plan: see the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The top folder's name.
    pub name: String,
    /// Plain or BagIt.
    pub layout: Layout,
    /// Timestamp of every entry: (year, month, day, hour, minute, second), UTC.
    pub timestamp: (u16, u8, u8, u8, u8, u8),
    /// Every file, sorted by path.
    pub entries: Vec<Entry>,
}

impl Plan {
    /// Total bytes of all entries (uncompressed).
    pub fn total_bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.bytes).sum()
    }

    /// The entry's full name in the ZIP: `<name>/<path>`.
    pub fn zip_name(&self, entry: &Entry) -> String {
        format!("{}/{}", self.name, entry.path)
    }

    /// Packs the files whose bytes a check kept ([`crate::check::Report::contents`]) from
    /// those bytes instead of reading them again. The pack is the same either way.
    pub fn use_contents(&mut self, contents: &crate::check::Contents) {
        if contents.is_empty() {
            return;
        }
        // Hashing a path walks its components: tens of thousands of them take milliseconds.
        self.entries.par_iter_mut().for_each(|e| {
            if let EntryData::File(path) = &mut e.data {
                if let Some(bytes) = contents.get(path) {
                    e.data = EntryData::Kept(std::mem::take(path), Arc::clone(bytes));
                }
            }
        });
    }
}

/// A plan but for the PDF index and the checksum files, which [`Draft::finish`] adds. The
/// index prints the SHA-256 of the pack's `manifest.toml`, which does not depend on the index,
/// so the index is made from a draft.
#[derive(Clone, Debug)]
pub struct Draft {
    header: Header,
    layout: Layout,
    compression: Compression,
    timestamp: (u16, u8, u8, u8, u8, u8),
    edition: String,
    payload: Vec<Entry>,
}

impl Draft {
    /// SHA-256 of the pack's resolved `manifest.toml`.
    pub fn manifest_sha256(&self) -> Option<&str> {
        self.payload
            .iter()
            .find(|e| e.path == "manifest.toml")
            .map(|e| e.sha256.as_str())
    }

    /// The plan, with `index_pdf` as `index.pdf` when given.
    pub fn finish(self, index_pdf: Option<Vec<u8>>) -> Result<Plan, PlanError> {
        let Draft {
            header,
            layout,
            compression,
            timestamp,
            edition,
            mut payload,
        } = self;
        if let Some(pdf) = index_pdf {
            let bytes: Arc<[u8]> = pdf.into();
            let index = Entry {
                path: "index.pdf".into(),
                sha256: crate::digest::sha256_bytes(&bytes),
                bytes: bytes.len() as u64,
                method: method_for("index.pdf", compression),
                data: EntryData::Bytes(bytes),
            };
            // The draft's paths are sorted and checked; only the new name needs checking.
            let clashes = |e: &&Entry| {
                let top = e.path.split('/').next().unwrap_or_default();
                top.eq_ignore_ascii_case(&index.path)
            };
            if let Some(e) = payload.iter().find(clashes) {
                return Err(PlanError::Clash(e.path.clone(), index.path));
            }
            let at = payload.partition_point(|e| e.path < index.path);
            payload.insert(at, index);
        }

        let mut entries = match layout {
            Layout::Plain => {
                let mut sums =
                    String::with_capacity(payload.iter().map(|e| e.path.len() + 67).sum());
                for e in &payload {
                    for part in [e.sha256.as_str(), "  ", e.path.as_str(), "\n"] {
                        sums.push_str(part);
                    }
                }
                let mut entries = payload;
                entries.push(bytes_entry(
                    "SHA256SUMS",
                    sums.into_bytes(),
                    Method::Deflate,
                    compression,
                ));
                entries
            }
            Layout::Bagit => bag_entries(&header, payload, &edition, compression),
        };
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Plan {
            name: header.name,
            layout,
            timestamp,
            entries,
        })
    }
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A file without a recorded checksum could not be hashed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// Two files would land on one path in the pack.
    #[error("`{0}` and `{1}` would be the same file in the pack (names equal or differ only in case); rename one")]
    Clash(String, String),
    /// A path in the pack would be unsafe on some system.
    #[error("`{0}` cannot be a path in the pack: {1}")]
    UnsafePath(String, String),
    /// The pack name is not a plain folder name.
    #[error("`{0}` cannot be a pack's folder name: use letters, digits and `-`")]
    BadName(String),
}

/// The edition date and time of a pack: the bundle's `date` at midnight, else
/// `SOURCE_DATE_EPOCH`, else 1980-01-01 — never the wall clock.
pub fn edition_time(date: Option<Date>) -> (u16, u8, u8, u8, u8, u8) {
    let clamp = |y: i32| y.clamp(1980, 2107) as u16;
    if let Some(d) = date {
        let d = d.0;
        return (clamp(d.year()), u8::from(d.month()), d.day(), 0, 0, 0);
    }
    if let Some(t) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
    {
        if t.year() < 1980 {
            return (1980, 1, 1, 0, 0, 0);
        }
        if t.year() > 2107 {
            return (2107, 12, 31, 23, 59, 58);
        }
        return (
            t.year() as u16,
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
        );
    }
    (1980, 1, 1, 0, 0, 0)
}

fn edition_date_string(ts: (u16, u8, u8, u8, u8, u8)) -> String {
    format!("{:04}-{:02}-{:02}", ts.0, ts.1, ts.2)
}

/// Whether auto compression deflates, stores or samples a file named `path`.
fn auto_method(path: &str) -> Method {
    match content::media_type_for_path(path) {
        Some(t)
            if t.starts_with("text/")
                || matches!(
                    t,
                    "image/svg+xml"
                        | "application/json"
                        | "application/toml"
                        | "application/xml"
                        | "application/x-subrip"
                        | "application/postscript"
                ) =>
        {
            Method::Deflate
        }
        Some("application/pdf") | None => Method::Sample,
        Some("image/tiff") => Method::Sample,
        Some(_) => Method::Store,
    }
}

fn method_for(path: &str, compression: Compression) -> Method {
    match compression {
        Compression::Auto => auto_method(path),
        Compression::Store => Method::Store,
        Compression::Deflate => Method::Deflate,
    }
}

// --- the resolved manifest (manifest.toml / manifest.json) ----------------------------------

#[derive(Serialize)]
struct Resolved<'a> {
    pack: PackInfo<'a>,
    provider: Vec<ProviderOut<'a>>,
}

#[derive(Serialize)]
struct PackInfo<'a> {
    #[serde(flatten)]
    header: &'a Header,
    edition: String,
    layout: Layout,
    software: String,
    providers: usize,
    assets: usize,
    files: usize,
    bytes: u64,
}

#[derive(Serialize)]
struct ProviderOut<'a> {
    /// The provider as described, less `base` (a path on the builder's machine).
    #[serde(flatten)]
    provider: Provider,
    asset: Vec<AssetOut<'a>>,
}

#[derive(Serialize)]
struct FileOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'a str>,
    /// Path inside the pack's content folder.
    path: String,
    /// Path in the provider's folder, as the manifest gives it.
    source: &'a str,
    sha256: String,
    bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
}

#[derive(Serialize)]
struct AssetOut<'a> {
    id: &'a str,
    title: &'a str,
    kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<FileOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alt: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    last_reviewed: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_review_due: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    print: Option<&'a Print>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    renditions: Vec<FileOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transcript: Option<FileOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    captions: Option<FileOut<'a>>,
}

/// The files one selected asset brings (renditions filtered), with their payload paths.
fn asset_files<'a>(
    m: &'a Manifest,
    a: &'a Asset,
    keep: &Option<std::collections::BTreeSet<String>>,
) -> Vec<(FileRole<'a>, &'a FileRef, String)> {
    a.files()
        .into_iter()
        .filter(|(role, _)| match role {
            FileRole::Rendition(_, r) => keep.as_ref().is_none_or(|k| k.contains(*r)),
            _ => true,
        })
        .map(|(role, f)| (role, f, format!("{}/{}", m.provider.id, f.file)))
        .collect()
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    // Quote everything; neutralise spreadsheet formulas.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Builds the plan of a pack of `selected` assets. Files whose manifest records no checksum
/// are hashed now; all others are trusted here and verified while they are packed.
pub fn plan(
    header: &Header,
    manifests: &[Manifest],
    selected: &[Selected],
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    draft(header, manifests, selected, options)?.finish(options.index_pdf.clone())
}

/// The [`Draft`] of a pack of `selected` assets (see [`plan`]); `options.index_pdf` is not
/// used: give the index to [`Draft::finish`].
pub fn draft(
    header: &Header,
    manifests: &[Manifest],
    selected: &[Selected],
    options: &PlanOptions,
) -> Result<Draft, PlanError> {
    if !crate::bundle::valid_name(&header.name) {
        return Err(PlanError::BadName(header.name.clone()));
    }
    let timestamp = edition_time(header.date);
    let edition = edition_date_string(timestamp);
    // Payload entries (paths relative to the payload root).
    let mut payload: Vec<Entry> = Vec::new();

    // Group the selection by provider, keeping manifest order.
    let mut by_manifest: BTreeMap<usize, Vec<&Selected>> = BTreeMap::new();
    for s in selected {
        by_manifest.entry(s.manifest).or_default().push(s);
    }

    let mut providers_out = Vec::new();
    let mut links: Vec<(&Provider, Vec<&Asset>)> = Vec::new();
    let mut print_rows: Vec<String> = Vec::new();
    let mut licences: Vec<(&str, &str)> = Vec::new();
    let mut asset_count = 0;
    for (&mi, sel) in &by_manifest {
        let m = &manifests[mi];
        let p = &m.provider;
        if let Some(terms) = &p.terms {
            licences.push((&p.id, terms));
        }
        let mut assets_out = Vec::new();
        let mut provider_links = Vec::new();
        for s in sel {
            let a = &m.assets[s.asset];
            asset_count += 1;
            let mut file_outs: Vec<(FileRole, FileOut)> = Vec::new();
            for (role, f, path) in asset_files(m, a, &s.renditions) {
                let (sha256, bytes) = match (&f.sha256, f.bytes) {
                    (Some(h), Some(b)) => (h.clone(), b),
                    _ => {
                        let source = m.resolve(&f.file);
                        let e = crate::check::examine(&source, true, &|_| {}).map_err(|e| {
                            PlanError::Io {
                                path: source.clone(),
                                source: e,
                            }
                        })?;
                        (e.sha256.unwrap_or_default(), e.len)
                    }
                };
                payload.push(Entry {
                    path: path.clone(),
                    data: EntryData::File(m.resolve(&f.file)),
                    sha256: sha256.clone(),
                    bytes,
                    method: method_for(&path, options.compression),
                });
                let role_name = match role {
                    FileRole::Rendition(_, r) => Some(r),
                    _ => None,
                };
                file_outs.push((
                    role,
                    FileOut {
                        role: role_name,
                        path,
                        source: &f.file,
                        sha256,
                        bytes,
                        media_type: f
                            .media_type
                            .clone()
                            .or_else(|| content::media_type_for_path(&f.file).map(str::to_owned)),
                    },
                ));
            }
            let mut main = None;
            let mut renditions = Vec::new();
            let mut transcript = None;
            let mut captions = None;
            for (role, out) in file_outs {
                match role {
                    FileRole::Main => main = Some(out),
                    FileRole::Transcript => transcript = Some(out),
                    FileRole::Captions => captions = Some(out),
                    FileRole::Rendition(..) => renditions.push(out),
                }
            }
            let (url, text, channel) = match &a.content {
                Content::Url(u) => (Some(u.as_str()), None, None),
                Content::Text { text, channel } => (None, Some(text.as_str()), channel.as_deref()),
                Content::File(_) => (None, None, None),
            };
            if let Some(text) = text {
                let path = format!("{}/messages/{}.txt", p.id, a.id);
                let bytes: Arc<[u8]> = format!("{text}\n").into_bytes().into();
                let sha256 = crate::digest::sha256_bytes(&bytes);
                main = Some(FileOut {
                    role: None,
                    path: path.clone(),
                    source: "",
                    sha256: sha256.clone(),
                    bytes: bytes.len() as u64,
                    media_type: Some("text/plain".into()),
                });
                payload.push(Entry {
                    path: path.clone(),
                    sha256,
                    bytes: bytes.len() as u64,
                    data: EntryData::Bytes(bytes),
                    method: method_for(&path, options.compression),
                });
            }
            if url.is_some() {
                provider_links.push(a);
            }
            if let Some(print) = a.print.as_ref().filter(|p| p.available) {
                let contact = p.print.as_ref().map_or("", |c| c.contact.as_str());
                print_rows.push(
                    [
                        p.id.as_str(),
                        &p.name,
                        contact,
                        &a.id,
                        &a.title,
                        a.kind.as_str(),
                        &print.sizes.join("; "),
                        &print
                            .max_quantity
                            .map(|q| q.to_string())
                            .unwrap_or_default(),
                        main.as_ref().map_or("", |f| f.path.as_str()),
                    ]
                    .map(csv_field)
                    .join(","),
                );
            }
            assets_out.push(AssetOut {
                id: &a.id,
                title: &a.title,
                kind: a.kind,
                file: main,
                url,
                text,
                channel,
                description: a.description.as_deref(),
                alt: a.alt.as_deref(),
                tags: &a.tags,
                last_reviewed: a.last_reviewed,
                next_review_due: a.next_review_due,
                print: a.print.as_ref(),
                usage: a.usage.as_deref(),
                renditions,
                transcript,
                captions,
            });
        }
        if !provider_links.is_empty() {
            links.push((p, provider_links));
        }
        providers_out.push(ProviderOut {
            provider: Provider {
                base: None,
                ..p.clone()
            },
            asset: assets_out,
        });
    }

    let mut extra: Vec<(String, Vec<u8>)> = Vec::new();
    if !links.is_empty() {
        extra.push(("links.html".into(), links_html(header, &links).into_bytes()));
    }
    if !print_rows.is_empty() {
        let mut csv = String::from(
            "\"provider\",\"provider_name\",\"print_contact\",\"asset\",\"title\",\"kind\",\"sizes\",\"max_quantity\",\"path\",\"quantity\",\"size_wanted\"\r\n",
        );
        for row in &print_rows {
            csv.push_str(row);
            csv.push_str(",\"\",\"\"\r\n");
        }
        extra.push(("print-request.csv".into(), csv.into_bytes()));
    }
    for (id, terms) in &licences {
        extra.push((
            format!("LICENCES/{id}.txt"),
            format!("{terms}\n").into_bytes(),
        ));
    }
    // The counts in manifest.toml leave out index.pdf: the index prints manifest.toml's
    // SHA-256 on its cover, so manifest.toml must not depend on the index.
    let files_before_manifest = payload.len() + extra.len() + 3; // + manifest.toml/json, README
    let bytes_before: u64 = payload.iter().map(|e| e.bytes).sum::<u64>()
        + extra.iter().map(|(_, b)| b.len() as u64).sum::<u64>();
    let resolved = Resolved {
        pack: PackInfo {
            header,
            edition: edition.clone(),
            layout: options.layout,
            software: software(),
            providers: providers_out.len(),
            assets: asset_count,
            files: files_before_manifest,
            bytes: bytes_before,
        },
        provider: providers_out,
    };
    let (toml_text, json_text) = rayon::join(
        || toml::to_string(&resolved).unwrap_or_else(|e| format!("# {e}\n")),
        || serde_json::to_string_pretty(&resolved).unwrap_or_default() + "\n",
    );
    extra.push(("manifest.toml".into(), toml_text.into_bytes()));
    extra.push(("manifest.json".into(), json_text.into_bytes()));
    extra.push((
        "README.txt".into(),
        readme(header, manifests, &by_manifest, options.layout, &edition).into_bytes(),
    ));
    for (path, bytes) in extra {
        let bytes: Arc<[u8]> = bytes.into();
        payload.push(Entry {
            sha256: crate::digest::sha256_bytes(&bytes),
            bytes: bytes.len() as u64,
            method: method_for(&path, options.compression),
            path,
            data: EntryData::Bytes(bytes),
        });
    }

    // Sorted and checked here, beside the file check, so that `finish` only adds the index.
    payload.sort_by(|a, b| a.path.cmp(&b.path));
    check_paths(&payload)?;
    Ok(Draft {
        header: header.clone(),
        layout: options.layout,
        compression: options.compression,
        timestamp,
        edition,
        payload,
    })
}

/// Every payload path is safe, and no two name one file or a file and a folder, not even by
/// case or Unicode normalisation.
fn check_paths(payload: &[Entry]) -> Result<(), PlanError> {
    let mut keys = Vec::with_capacity(payload.len());
    for e in payload {
        if let Err(why) = safe_path::check(&e.path) {
            return Err(PlanError::UnsafePath(e.path.clone(), why.to_string()));
        }
        keys.push((safe_path::clash_key(&e.path), e.path.as_str()));
    }
    keys.sort_unstable();
    for pair in keys.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(PlanError::Clash(pair[0].1.to_owned(), pair[1].1.to_owned()));
        }
    }
    // A folder and a file of one name: the first key under `<file>/` sorts at or after it.
    let mut prefix = String::new();
    for (key, path) in &keys {
        prefix.clear();
        prefix.push_str(key);
        prefix.push('/');
        let at = keys.partition_point(|(k, _)| k.as_str() < prefix.as_str());
        if let Some((k, other)) = keys.get(at) {
            if k.starts_with(prefix.as_str()) {
                return Err(PlanError::Clash((*path).to_owned(), (*other).to_owned()));
            }
        }
    }
    Ok(())
}

fn software() -> String {
    format!("assetpack {}", env!("CARGO_PKG_VERSION"))
}

fn bytes_entry(path: &str, bytes: Vec<u8>, method: Method, compression: Compression) -> Entry {
    let method = match compression {
        Compression::Store => Method::Store,
        _ => method,
    };
    let bytes: Arc<[u8]> = bytes.into();
    Entry {
        path: path.to_owned(),
        sha256: crate::digest::sha256_bytes(&bytes),
        bytes: bytes.len() as u64,
        data: EntryData::Bytes(bytes),
        method,
    }
}

/// RFC 8493 requires `%`, CR and LF in manifest paths to be percent-encoded.
fn bag_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn bag_entries(
    header: &Header,
    payload: Vec<Entry>,
    edition: &str,
    compression: Compression,
) -> Vec<Entry> {
    let mut manifest = String::new();
    let mut oxum_bytes = 0u64;
    let count = payload.len();
    let mut entries: Vec<Entry> = payload
        .into_iter()
        .map(|mut e| {
            e.path = format!("data/{}", e.path);
            let _ = writeln!(manifest, "{}  {}", e.sha256, bag_path(&e.path));
            oxum_bytes += e.bytes;
            e
        })
        .collect();
    let bagit = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_owned();
    let mut info = String::new();
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(region) = &header.region {
        let _ = writeln!(info, "Source-Organization: {}", one_line(region));
    }
    if let Some(contact) = &header.contact {
        let _ = writeln!(info, "Contact-Name: {}", one_line(contact));
    }
    let description = header.title.as_deref().unwrap_or(&header.name);
    let _ = writeln!(info, "External-Description: {}", one_line(description));
    let _ = writeln!(info, "External-Identifier: {}", header.name);
    let _ = writeln!(info, "Bagging-Date: {edition}");
    let _ = writeln!(info, "Payload-Oxum: {oxum_bytes}.{count}");
    let _ = writeln!(info, "Bag-Software-Agent: {}", software());
    let tags = [
        bytes_entry(
            "bagit.txt",
            bagit.into_bytes(),
            Method::Deflate,
            compression,
        ),
        bytes_entry(
            "bag-info.txt",
            info.into_bytes(),
            Method::Deflate,
            compression,
        ),
        bytes_entry(
            "manifest-sha256.txt",
            manifest.into_bytes(),
            Method::Deflate,
            compression,
        ),
    ];
    let mut tagmanifest = String::new();
    for t in &tags {
        let _ = writeln!(tagmanifest, "{}  {}", t.sha256, t.path);
    }
    entries.extend(tags);
    entries.push(bytes_entry(
        "tagmanifest-sha256.txt",
        tagmanifest.into_bytes(),
        Method::Deflate,
        compression,
    ));
    entries
}

fn links_html(header: &Header, links: &[(&Provider, Vec<&Asset>)]) -> String {
    let title = header.title.as_deref().unwrap_or(&header.name);
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Links – {}</title>\n\
         <style>body{{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.5}}li{{margin:.4em 0}}small{{color:#555}}</style>\n\
         </head>\n<body>\n<h1>Links: {}</h1>\n",
        html_escape(title),
        html_escape(title)
    );
    for (p, assets) in links {
        let _ = writeln!(s, "<h2>{}</h2>\n<ul>", html_escape(&p.name));
        for a in assets {
            if let Content::Url(u) = &a.content {
                let _ = write!(
                    s,
                    "<li><a href=\"{}\">{}</a><br><small>{}</small>",
                    html_escape(u),
                    html_escape(&a.title),
                    html_escape(u)
                );
                if let Some(usage) = &a.usage {
                    let _ = write!(s, "<br>{}", html_escape(usage));
                }
                s.push_str("</li>\n");
            }
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</body>\n</html>\n");
    s
}

fn readme(
    header: &Header,
    manifests: &[Manifest],
    by_manifest: &BTreeMap<usize, Vec<&Selected>>,
    layout: Layout,
    edition: &str,
) -> String {
    let mut s = String::new();
    let title = header.title.as_deref().unwrap_or(&header.name);
    let _ = writeln!(
        s,
        "{title}\n{}\n",
        "=".repeat(title.chars().count().min(78))
    );
    let _ = writeln!(
        s,
        "This is a pack of marketing and promotional materials for library and knowledge services,\n\
         built with {} from the publishers' manifests.\n",
        software()
    );
    if let Some(r) = &header.region {
        let _ = writeln!(s, "For:       {r}");
    }
    if let Some(c) = &header.contact {
        let _ = writeln!(s, "Built by:  {c}");
    }
    let _ = writeln!(s, "Edition:   {edition}");
    let _ = writeln!(s, "Pack name: {}\n", header.name);
    let _ = writeln!(s, "What is inside\n--------------");
    let root = match layout {
        Layout::Plain => "",
        Layout::Bagit => "data/",
    };
    let _ = writeln!(
        s,
        "- {root}<provider>/           the files of each provider, in the provider's own folders\n\
         - {root}<provider>/messages/  ready-to-post campaign messages, one text file each\n\
         - {root}links.html            every referral and sign-up link, grouped by provider\n\
         - {root}manifest.toml, .json  every asset with its details, path, size and SHA-256\n\
         - {root}print-request.csv     the printed materials you can ask for (when any)\n\
         - {root}index.pdf             the illustrated index and print-request form (when built)\n\
         - {root}LICENCES/             each provider's terms of use\n"
    );
    let _ = writeln!(s, "How to check the pack\n---------------------");
    match layout {
        Layout::Plain => {
            let _ = writeln!(
                s,
                "Every file is listed with its SHA-256 in SHA256SUMS. After unzipping:\n\n    cd {}\n    sha256sum -c SHA256SUMS\n\n\
                 or, without unzipping:  assetpack verify {}.zip\n",
                header.name, header.name
            );
        }
        Layout::Bagit => {
            let _ = writeln!(
                s,
                "The pack is a BagIt bag (RFC 8493). After unzipping:\n\n    bagit.py --validate {}\n\n\
                 or, without unzipping:  assetpack verify {}.zip\n",
                header.name, header.name
            );
        }
    }
    let _ = writeln!(
        s,
        "Providers, terms of use and printed copies\n------------------------------------------"
    );
    for (&mi, sel) in by_manifest {
        let p = &manifests[mi].provider;
        let n = sel.len();
        let _ = writeln!(
            s,
            "\n{} ({n} asset{})",
            p.name,
            if n == 1 { "" } else { "s" }
        );
        if let Some(w) = &p.website {
            let _ = writeln!(s, "  Website:  {w}");
        }
        if let Some(c) = &p.contact {
            let _ = writeln!(s, "  Contact:  {c}");
        }
        if let Some(t) = &p.terms {
            let _ = writeln!(s, "  Terms:    {t}");
        }
        let printable = sel
            .iter()
            .filter(|x| {
                manifests[mi].assets[x.asset]
                    .print
                    .as_ref()
                    .is_some_and(|p| p.available)
            })
            .count();
        match (&p.print, printable) {
            (Some(pc), n) if n > 0 => {
                let _ = writeln!(
                    s,
                    "  Printed copies of {n} item{} on request from: {}",
                    if n == 1 { "" } else { "s" },
                    pc.contact
                );
                if let Some(notes) = &pc.notes {
                    let _ = writeln!(s, "  {notes}");
                }
            }
            _ => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(paths: &[&str]) -> Vec<Entry> {
        let mut v: Vec<Entry> = paths
            .iter()
            .map(|p| bytes_entry(p, Vec::new(), Method::Store, Compression::Store))
            .collect();
        v.sort_by(|a, b| a.path.cmp(&b.path));
        v
    }

    #[test]
    fn paths_that_would_meet_on_some_disk_are_refused() {
        let clash =
            |paths: &[&str]| matches!(check_paths(&entries(paths)), Err(PlanError::Clash(..)));
        assert!(clash(&["oup/Poster.pdf", "oup/poster.pdf"]), "case");
        assert!(
            clash(&["oup/caf\u{e9}.pdf", "oup/cafe\u{301}.pdf"]),
            "NFC and NFD"
        );
        assert!(clash(&["oup/a", "oup/a/b.pdf"]), "file and folder");
        assert!(
            clash(&["oup/A", "oup/a-b", "oup/a/b.pdf"]),
            "file and folder, by case"
        );
        assert!(!clash(&["oup/a-b", "oup/a/b.pdf", "oup/a.b"]), "near names");
        assert!(matches!(
            check_paths(&entries(&["../escape.pdf"])),
            Err(PlanError::UnsafePath(..))
        ));
    }
}
