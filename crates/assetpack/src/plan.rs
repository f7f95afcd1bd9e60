//! The plan of a pack: every entry, where its bytes come from, its expected SHA-256, and how
//! it is compressed. A plan is plain data, built without writing anything: it can be printed
//! (`build --dry-run`), tested and diffed; [`crate::pack`] executes it.
//!
//! The pack holds one top folder, `<name>/`:
//! - `<provider-id>/<file>` for every file asset, rendition, transcript and caption file;
//! - `<provider-id>/messages/<asset-id>.txt` for every message;
//! - `links.html` (every link, grouped by provider), `manifest.toml` and `manifest.json` (the
//!   resolved bundle), `README.txt`, `LICENCES/<provider-id>.txt`, `print-request.csv`,
//!   and what the caller makes from the draft: `index.pdf`, `index.html` and `thumbs/`;
//! - `SHA256SUMS` over every other file, or, with [`Layout::Bagit`], a BagIt bag (RFC 8493)
//!   with the same content under `data/`.
//!
//! ```
//! use assetpack::catalog::Inputs;
//! use assetpack::plan::{plan, PlanOptions};
//!
//! let specs = ["../../packs/bundles/north-west-spring-2027.toml".into()];
//! let (inputs, _) = Inputs::read(&specs, None).unwrap();
//! let p = plan(&inputs, &PlanOptions::default()).unwrap();
//! assert!(p.entries.iter().any(|e| e.path == "SHA256SUMS"));
//! for e in p.entries.iter().take(3) {
//!     println!("{} {} {}", e.sha256, e.bytes, p.zip_name(e));
//! }
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::bundle::Header;
use crate::cache::Cache;
use crate::catalog::{self, Edition, Inputs, Layout, Selected, Timestamp};
use crate::content;
pub use crate::deflated::Deflated;
use crate::deflated::{DocumentWriter, Held, Written};
use crate::manifest::{Asset, Content, FileRef, FileRole, Manifest, Place, Print, Provider};
use crate::resolved::{AssetOut, Documents, FileOut, PackInfo, ProviderOut};
use crate::safe_path;
use crate::signing::{SignError, SigningKey};
use crate::sums;

/// How entries are compressed. The choice never changes the content.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
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
#[derive(Clone, Copy, Debug, Default)]
pub struct PlanOptions {
    /// Plain or BagIt.
    pub layout: Layout,
    /// Compression policy.
    pub compression: Compression,
}

/// Where an entry's bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryData {
    /// A provider's file on disk (hashed again while it is packed).
    File(SourceFile),
    /// Bytes made by assetpack.
    Bytes(Arc<[u8]>),
    /// Bytes made by assetpack, held deflated: the resolved manifests, megabytes on a large
    /// bundle (see [`crate::deflated`]). [`EntryData::made`] gives the bytes back.
    Deflated(Deflated),
}

impl EntryData {
    /// The bytes assetpack made, inflated when held deflated; `None` for a provider's file.
    pub fn made(&self) -> io::Result<Option<Cow<'_, [u8]>>> {
        Ok(match self {
            EntryData::File(_) => None,
            EntryData::Bytes(b) => Some(Cow::Borrowed(&b[..])),
            EntryData::Deflated(d) => Some(Cow::Owned(d.inflate()?)),
        })
    }
}

/// A provider's file: its folder (the manifest's `base`) and its path below it, as the
/// manifest gives it. It is opened below the folder ([`crate::content::open_below`]), so no
/// link swapped in after the check leads the pack outside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The provider's folder (on this machine or in a bucket).
    pub base: Arc<Place>,
    /// The path below it, `/`-separated.
    pub rel: String,
    /// True when the entry's size and SHA-256 are the manifest's own (a file that differs
    /// disagrees with its manifest); false when the plan measured them, the manifest
    /// recording none (a file that differs changed during the build).
    pub recorded: bool,
}

impl SourceFile {
    /// The file's path (or URL), for messages.
    pub fn path(&self) -> PathBuf {
        self.base.join(&self.rel)
    }

    /// Opens the file ([`crate::files::open`]: a regular file below a folder, or an object in
    /// a bucket folder).
    pub fn open(&self) -> std::io::Result<crate::files::Opened> {
        crate::files::open(&self.base, &self.rel)
    }
}

/// How one entry is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
    /// Timestamp of every entry (the edition's, see [`crate::catalog::Edition`]).
    pub timestamp: Timestamp,
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
        let mut name = String::new();
        zip_name_into(&self.name, &entry.path, &mut name);
        name
    }
}

/// The name in the ZIP of what is at `path` in a pack whose top folder is `top`, into `out`
/// (replacing what it held): `<top>/<path>`.
pub(crate) fn zip_name_into<'o>(top: &str, path: &str, out: &'o mut String) -> &'o str {
    out.clear();
    out.push_str(top);
    out.push('/');
    out.push_str(path);
    out
}

/// A plan but for the files made from it (the PDF index, the HTML catalogue and its thumbnails)
/// and the checksum files, which [`Draft::finish`] adds. The index prints the SHA-256 of the
/// pack's `manifest.toml`, which does not depend on the index, so the index is made from a
/// draft.
#[derive(Clone, Debug)]
pub struct Draft {
    header: Header,
    options: PlanOptions,
    edition: Edition,
    /// The providers' names, for a bag's `Source-Organization` when there is no region.
    providers: Vec<String>,
    payload: Vec<Entry>,
}

/// What the PDF index and the HTML catalogue of a pack are made from: the inputs, the layout
/// their paths follow, the edition and the SHA-256 of the pack's `manifest.toml` (which does
/// not depend on them).
#[derive(Clone, Copy, Debug)]
pub struct IndexFacts<'a> {
    /// The pack's inputs.
    pub inputs: &'a Inputs,
    /// The pack's layout (paths in the pack are under `data/` in a bag).
    pub layout: Layout,
    /// The pack's edition.
    pub edition: Edition,
    /// SHA-256 of the pack's `manifest.toml`.
    pub manifest_sha256: &'a str,
    /// The ID of the key the pack is signed with, when it is.
    pub signed_by: Option<&'a str>,
    /// The cache the build reads assets in buckets through, when it has one: the views open
    /// each asset's file through it too, so a file is read from its bucket once.
    pub cache: Option<&'a Cache>,
}

impl Draft {
    /// What the PDF index of the pack of `inputs` (which this draft was made from) is made
    /// from.
    pub fn index_facts<'a>(&'a self, inputs: &'a Inputs) -> IndexFacts<'a> {
        IndexFacts {
            inputs,
            layout: self.options.layout,
            edition: self.edition,
            manifest_sha256: self.manifest_sha256().unwrap_or_default(),
            signed_by: None,
            cache: None,
        }
    }

    /// SHA-256 of the pack's resolved `manifest.toml`.
    pub fn manifest_sha256(&self) -> Option<&str> {
        self.payload
            .iter()
            .find(|e| e.path == "manifest.toml")
            .map(|e| e.sha256.as_str())
    }

    /// The plan, with the files `made` from the draft (the PDF index, the HTML catalogue and
    /// its thumbnails) added to the payload.
    pub fn finish(self, made: Vec<Made>) -> Result<Plan, PlanError> {
        self.finish_signed(made, None)
    }

    /// The plan, with the files `made` from the draft added to the payload, and signed with
    /// `key` when given: `SHA256SUMS.minisig` (a bag: `tagmanifest-sha256.txt.minisig`), whose
    /// trusted comment names the pack, its edition and the SHA-256 of its `manifest.toml`.
    pub fn finish_signed(
        self,
        made: Vec<Made>,
        key: Option<&SigningKey>,
    ) -> Result<Plan, PlanError> {
        let comment = format!(
            "assetpack pack {}, edition {}, manifest.toml sha256 {}",
            self.header.name,
            self.edition.date,
            self.manifest_sha256().unwrap_or_default()
        );
        let Draft {
            header,
            options,
            edition,
            providers,
            mut payload,
        } = self;
        let PlanOptions {
            layout,
            compression,
        } = options;
        // The sums, a bag's tag files and a signature come after: room for them now, so a
        // list of 20,000 entries is not doubled for a few more.
        payload.reserve_exact(made.len() + 8);
        if !made.is_empty() {
            payload.extend(
                made.into_iter()
                    .map(|m| generated_entry(m.path, m.bytes, compression)),
            );
            payload.sort_by(|a, b| a.path.cmp(&b.path));
            // Made by the caller: checked like the providers' paths, against them.
            check_paths(payload.iter().map(|e| e.path.as_str()))?;
        }

        let mut entries = match layout {
            Layout::Plain => {
                let sums = sums::write(
                    sums::Format::Sha256sum,
                    payload.iter().map(|e| (e.sha256.as_str(), e.path.as_str())),
                );
                let mut entries = payload;
                entries.push(sums_entry(sums::SHA256SUMS, sums, compression)?);
                entries
            }
            Layout::Bagit => bag_entries(&header, &providers, payload, edition, compression),
        };
        if let Some(key) = key {
            entries.push(signature_entry(&entries, layout, key, &comment)?);
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Plan {
            name: header.name,
            layout,
            timestamp: edition.time,
            entries,
        })
    }
}

/// The signature of the pack's checksum file (`SHA256SUMS`, or a bag's tag manifest, which
/// covers the bag's manifest, which covers the payload). Stored: it does not deflate.
fn signature_entry(
    entries: &[Entry],
    layout: Layout,
    key: &SigningKey,
    comment: &str,
) -> Result<Entry, PlanError> {
    let signed = sums::signed_file(layout);
    let made = entries
        .iter()
        .find(|e| e.path == signed)
        .map(|e| e.data.made());
    let Some(Ok(Some(bytes))) = made else {
        return Err(SignError::SelfCheck(format!("the plan has no {signed} to sign")).into());
    };
    let text = key.sign(&bytes, comment)?;
    Ok(bytes_entry(
        &sums::signature_of(signed),
        text.into_bytes(),
        Method::Store,
        Compression::Store,
    ))
}

/// A file made from a [`Draft`] by the caller, such as the PDF index (`index.pdf`), the HTML
/// catalogue (`index.html`) or a thumbnail (`thumbs/<provider>/<asset>.jpg`): its path in the
/// payload, `/`-separated, and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Made {
    /// Path in the payload.
    pub path: String,
    /// The content.
    pub bytes: Vec<u8>,
}

impl Made {
    /// A made file at `path`.
    pub fn new(path: impl Into<String>, bytes: Vec<u8>) -> Made {
        Made {
            path: path.into(),
            bytes,
        }
    }
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// The pack could not be signed.
    #[error("cannot sign the pack: {0}")]
    Sign(#[from] SignError),
    /// The resolved manifest could not be written as TOML or JSON (the serialiser's error).
    #[error("the resolved manifest could not be written as {format}: {source}")]
    Serialise {
        /// `TOML`, `JSON`, or `DEFLATE` when compressing it failed.
        format: &'static str,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
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

/// Files smaller than this are stored by auto compression: deflating saves such a file a few
/// dozen bytes, and every deflated entry resets the encoder (128 KiB of tables), which for a
/// file this small costs more than compressing it.
const TINY: u64 = 1024;

fn method_for(path: &str, bytes: u64, compression: Compression) -> Method {
    match compression {
        Compression::Auto if bytes < TINY => Method::Store,
        Compression::Auto => auto_method(path),
        Compression::Store => Method::Store,
        Compression::Deflate => Method::Deflate,
    }
}

// --- the resolved manifest (manifest.toml / manifest.json) ----------------------------------

/// The plan of a pack of `inputs`, without a PDF index or HTML catalogue (see
/// [`Draft::finish`] for them).
pub fn plan(inputs: &Inputs, options: &PlanOptions) -> Result<Plan, PlanError> {
    Draft::new(inputs, options)?.finish(Vec::new())
}

/// What the chosen assets bring to the pack, gathered provider by provider.
#[derive(Default)]
struct Gathered<'a> {
    /// The providers' files and messages, provider after provider, each asset's in the order
    /// of [`Slot`]s.
    payload: Vec<Entry>,
    /// Each provider's manifest index and its entries' end in `payload` (the next one's
    /// start), in manifest order.
    parts: Vec<(usize, usize)>,
    /// Files of the chosen assets (their own, renditions, transcripts, captions, messages'
    /// text files) and their bytes.
    files: (usize, u64),
    /// Each provider's links, for `links.html`.
    links: Vec<(&'a Provider, Vec<&'a Asset>)>,
    /// Rows of `print-request.csv`.
    print_rows: Vec<String>,
    /// Each provider's terms of use.
    licences: Vec<(&'a str, &'a str)>,
    /// Assets chosen.
    assets: usize,
}

/// What a chosen asset puts in the payload, in order: each of its files, then its message's
/// text file. The gathering makes an entry of each; the resolved manifests are written later
/// from the same walk, taking each slot's entry in turn, so the two cannot disagree.
enum Slot<'a> {
    File(FileRole<'a>, &'a FileRef),
    Message(&'a str),
}

/// The slots of the chosen asset `s` of `m` (see [`Slot`]).
fn slots<'a>(m: &'a Manifest, a: &'a Asset, s: &Selected) -> impl Iterator<Item = Slot<'a>> {
    let message = match &a.content {
        Content::Text { text, .. } => Some(Slot::Message(text)),
        _ => None,
    };
    let files = s.files(m).into_iter();
    files.map(|(role, f)| Slot::File(role, f)).chain(message)
}

/// The chosen assets of each manifest gathered on their own (in parallel: on a large bundle
/// with files whose manifest records no checksum, hashing them is most of the work), then
/// joined in manifest order.
fn gather<'a>(
    inputs: &'a Inputs,
    by_manifest: &BTreeMap<usize, Vec<&Selected>>,
    compression: Compression,
) -> Result<Gathered<'a>, PlanError> {
    // Collected in the map's order (rayon keeps it).
    let parts = by_manifest
        .par_iter()
        .map(|(&mi, chosen)| {
            let mut part = Gathered::default();
            part.add_provider(&inputs.manifests[mi], chosen, compression)?;
            Ok((mi, part))
        })
        .collect::<Vec<Result<_, PlanError>>>();
    let mut gathered = Gathered {
        // Sized once: on a bundle of 20,000 assets, doubling left megabytes unused.
        payload: Vec::with_capacity(payload_len(inputs)),
        ..Gathered::default()
    };
    // The first manifest's error, as when they were gathered one after the other.
    for part in parts {
        let (mi, part) = part?;
        gathered.append(part);
        gathered.parts.push((mi, gathered.payload.len()));
    }
    Ok(gathered)
}

impl Draft {
    /// Drafts the pack of `inputs`. Files whose manifest records no checksum are hashed now;
    /// all others are trusted here and verified while they are packed.
    pub fn new(inputs: &Inputs, options: &PlanOptions) -> Result<Draft, PlanError> {
        content::forget_folders();
        let header = &inputs.header;
        if !crate::bundle::valid_name(&header.name) {
            return Err(PlanError::BadName(header.name.clone()));
        }
        let edition = inputs.edition();
        let by_manifest = by_manifest(&inputs.selected);
        let mut gathered = gather(inputs, &by_manifest, options.compression)?;
        let files = generated_files(header, &gathered);
        let readme = readme(inputs, &by_manifest, options.layout, edition);
        let mut payload = std::mem::take(&mut gathered.payload);
        // Exactly: growing would double a list of 20,000 entries for a dozen more.
        payload.reserve_exact(files.len() + 1 + DOCUMENTS.len());
        let generated = files.iter().map(|(path, bytes)| {
            generated_entry(path.clone(), Arc::clone(bytes), options.compression)
        });
        payload.extend(generated);
        payload.push(generated_entry(
            "README.txt".into(),
            readme.into_bytes(),
            options.compression,
        ));
        // The resolved manifests are written while the paths are checked.
        let chosen = Chosen {
            inputs,
            by_manifest: &by_manifest,
            payload: &payload,
        };
        let (documents, checked) = rayon::join(
            || resolved_manifests(header, edition, options, &files, &gathered, &chosen),
            || check_paths(payload.iter().map(|e| e.path.as_str()).chain(DOCUMENTS)),
        );
        checked?;
        let documents = documents?;
        payload.sort_by(|a, b| a.path.cmp(&b.path));
        for document in documents {
            let at = payload.partition_point(|e| e.path < document.path);
            payload.insert(at, document);
        }
        Ok(Draft {
            header: header.clone(),
            options: *options,
            edition,
            providers: by_manifest
                .keys()
                .map(|&mi| inputs.manifests[mi].provider.name.clone())
                .collect(),
            payload,
        })
    }
}

/// The resolved manifests' paths in the payload.
const DOCUMENTS: [&str; 2] = ["manifest.toml", "manifest.json"];

/// How many payload entries the chosen assets make: their files and messages.
fn payload_len(inputs: &Inputs) -> usize {
    let entries = |s: &Selected| {
        let m = inputs.manifests.get(s.manifest)?;
        let a = m.assets.get(s.asset)?;
        Some(s.files(m).len() + usize::from(matches!(a.content, Content::Text { .. })))
    };
    inputs.selected.iter().filter_map(entries).sum()
}

/// The chosen assets grouped by manifest, in manifest order.
fn by_manifest(selected: &[Selected]) -> BTreeMap<usize, Vec<&Selected>> {
    let mut out: BTreeMap<usize, Vec<&Selected>> = BTreeMap::new();
    for s in selected {
        out.entry(s.manifest).or_default().push(s);
    }
    out
}

impl<'a> Gathered<'a> {
    /// Adds what `other` gathered after what this holds.
    fn append(&mut self, other: Gathered<'a>) {
        self.payload.extend(other.payload);
        self.files.0 += other.files.0;
        self.files.1 += other.files.1;
        self.links.extend(other.links);
        self.print_rows.extend(other.print_rows);
        self.licences.extend(other.licences);
        self.assets += other.assets;
    }

    fn add_provider(
        &mut self,
        m: &'a Manifest,
        chosen: &[&Selected],
        compression: Compression,
    ) -> Result<(), PlanError> {
        let p = &m.provider;
        if let Some(terms) = &p.terms {
            self.licences.push((&p.id, terms));
        }
        let mut links = Vec::new();
        let base = Arc::new(m.base.clone());
        for s in chosen {
            let a = &m.assets[s.asset];
            self.add_asset(m, &base, a, s, compression)?;
            if matches!(a.content, Content::Url(_)) {
                links.push(a);
            }
        }
        self.assets += chosen.len();
        if !links.is_empty() {
            self.links.push((p, links));
        }
        Ok(())
    }

    fn add_asset(
        &mut self,
        m: &'a Manifest,
        base: &Arc<Place>,
        a: &'a Asset,
        s: &Selected,
        compression: Compression,
    ) -> Result<(), PlanError> {
        let mut main = None;
        for slot in slots(m, a, s) {
            let entry = match slot {
                Slot::File(_, f) => file_entry(m, base, f, compression)?,
                Slot::Message(text) => {
                    message_entry(catalog::message_path(m, &a.id), text, compression)
                }
            };
            if matches!(slot, Slot::File(FileRole::Main, _) | Slot::Message(_)) {
                main = Some(self.payload.len());
            }
            self.files.0 += 1;
            self.files.1 += entry.bytes;
            self.payload.push(entry);
        }
        if let Some(print) = a.print.as_ref().filter(|p| p.available) {
            let path = main
                .and_then(|i| self.payload.get(i))
                .map_or("", |e| e.path.as_str());
            self.print_rows.push(print_row(&m.provider, a, print, path));
        }
        Ok(())
    }
}

/// The entry of a provider's file `f`, with the SHA-256 and size it must have.
fn file_entry(
    m: &Manifest,
    base: &Arc<Place>,
    f: &FileRef,
    compression: Compression,
) -> Result<Entry, PlanError> {
    let path = catalog::payload_path(m, &f.file);
    let (sha256, bytes) = expected_sum(m, f)?;
    Ok(Entry {
        data: EntryData::File(SourceFile {
            base: Arc::clone(base),
            rel: f.file.clone(),
            recorded: f.recorded().is_some(),
        }),
        sha256,
        bytes,
        method: method_for(&path, bytes, compression),
        path,
    })
}

/// What the resolved manifests are written from: the chosen assets, manifest by manifest,
/// and the payload gathered from them (see [`Gathered::parts`]).
struct Chosen<'w, 'a> {
    inputs: &'a Inputs,
    by_manifest: &'w BTreeMap<usize, Vec<&'a Selected>>,
    payload: &'w [Entry],
}

impl<'a> Chosen<'_, 'a> {
    /// Provider `mi` of the resolved manifests, with its `chosen` assets, each file's path,
    /// SHA-256 and size taken from `entries` (the payload gathered from them, in order).
    fn provider(&self, mi: usize, entries: &[Entry]) -> Option<ProviderOut<'a>> {
        let m = self.inputs.manifests.get(mi)?;
        let chosen = self.by_manifest.get(&mi)?;
        let mut entries = entries.iter();
        let mut assets = Vec::with_capacity(chosen.len());
        for s in chosen {
            let a = m.assets.get(s.asset)?;
            let mut out = AssetOut::of(a);
            for slot in slots(m, a, s) {
                let e = entries.next()?;
                match slot {
                    Slot::File(role, f) => out.add_file(
                        role,
                        FileOut::of(role, f, e.path.clone(), e.sha256.clone(), e.bytes),
                    ),
                    Slot::Message(_) => out.file = Some(FileOut::message(e)),
                }
            }
            assets.push(out);
        }
        Some(ProviderOut {
            provider: Provider {
                base: None,
                ..m.provider.clone()
            },
            asset: assets,
        })
    }
}

/// The SHA-256 and size a file must have: from its manifest, else hashed now.
fn expected_sum(m: &Manifest, f: &FileRef) -> Result<(String, u64), PlanError> {
    if let (Some(h), Some(b)) = (&f.sha256, f.bytes) {
        return Ok((h.clone(), b));
    }
    let e = crate::files::open(&m.base, &f.file)
        .and_then(|opened| crate::examine::examine(opened, true, &|_| {}))
        .map_err(|e| PlanError::Io {
            path: m.resolve(&f.file),
            source: e,
        })?;
    Ok((e.sha256.unwrap_or_default(), e.len))
}

/// A message's text file: the text and a newline.
fn message_entry(path: String, text: &str, compression: Compression) -> Entry {
    let bytes: Arc<[u8]> = format!("{text}\n").into_bytes().into();
    Entry {
        sha256: crate::digest::sha256_bytes(&bytes),
        bytes: bytes.len() as u64,
        method: method_for(&path, bytes.len() as u64, compression),
        data: EntryData::Bytes(bytes),
        path,
    }
}

/// One row of `print-request.csv`.
fn print_row(p: &Provider, a: &Asset, print: &Print, path: &str) -> String {
    let contact = p.print.as_ref().map_or("", |c| c.contact.as_str());
    let max = print
        .max_quantity
        .map(|q| q.to_string())
        .unwrap_or_default();
    [
        p.id.as_str(),
        &p.name,
        contact,
        &a.id,
        &a.title,
        a.kind.as_str(),
        &print.sizes.join("; "),
        &max,
        path,
    ]
    .map(catalog::csv_field)
    .join(",")
}

/// `links.html`, `print-request.csv` and `LICENCES/`, when there is anything to put in them.
fn generated_files(header: &Header, g: &Gathered) -> Vec<(String, Arc<[u8]>)> {
    let mut files = Vec::new();
    if !g.links.is_empty() {
        files.push((
            "links.html".into(),
            links_html(header, &g.links).into_bytes().into(),
        ));
    }
    if !g.print_rows.is_empty() {
        let mut csv = String::from(
            "\"provider\",\"provider_name\",\"print_contact\",\"asset\",\"title\",\"kind\",\"sizes\",\"max_quantity\",\"path\",\"quantity\",\"size_wanted\"\r\n",
        );
        for row in &g.print_rows {
            csv.push_str(row);
            csv.push_str(",\"\",\"\"\r\n");
        }
        files.push(("print-request.csv".into(), csv.into_bytes().into()));
    }
    for (id, terms) in &g.licences {
        files.push((
            format!("LICENCES/{id}.txt"),
            format!("{terms}\n").into_bytes().into(),
        ));
    }
    files
}

/// `manifest.toml` and `manifest.json`: the pack's header, then each provider with its
/// assets. The counts leave out the files made from the draft (`index.pdf`, `index.html`,
/// `thumbs/`): the index prints `manifest.toml`'s SHA-256 on its cover, so `manifest.toml` must
/// not depend on the index.
fn resolved_manifests(
    header: &Header,
    edition: Edition,
    options: &PlanOptions,
    generated: &[(String, Arc<[u8]>)],
    g: &Gathered,
    from: &Chosen,
) -> Result<[Entry; 2], PlanError> {
    let (count, bytes) = g.files;
    let pack = PackInfo {
        header: Cow::Borrowed(header),
        edition: edition.date.to_string(),
        layout: options.layout,
        software: software(),
        providers: g.parts.len(),
        assets: g.assets,
        // + manifest.toml, manifest.json and README.txt
        files: count + generated.len() + 3,
        bytes: bytes + generated.iter().map(|(_, b)| b.len() as u64).sum::<u64>(),
    };
    // Deflated as they are written unless the pack stores them (a document too small to be
    // worth deflating is inflated again by `document_entry`).
    let deflate = !matches!(options.compression, Compression::Store);
    let (toml_len, json_len) = about_how_long(g);
    let toml = DocumentWriter::new(deflate, toml_len);
    let json = DocumentWriter::new(deflate, json_len);
    let mut documents = Documents::start(&pack, toml, json).map_err(serialise)?;
    let mut start = 0;
    for &(mi, end) in &g.parts {
        let entries = from.payload.get(start..end).unwrap_or_default();
        let provider = from
            .provider(mi, entries)
            .ok_or_else(|| PlanError::Serialise {
                format: "TOML",
                source: "a provider's files were not gathered".into(),
            })?;
        documents.provider(&provider).map_err(serialise)?;
        start = end;
    }
    let (toml, json) = documents.finish().map_err(serialise)?;
    let method = |path| move |len| method_for(path, len, options.compression);
    let (toml, json) = rayon::join(|| toml.finish(), || json.finish());
    let finished = |doc: io::Result<Written>| doc.map_err(deflate_failed);
    Ok([
        document_entry(DOCUMENTS[0], finished(toml)?, method(DOCUMENTS[0]))?,
        document_entry(DOCUMENTS[1], finished(json)?, method(DOCUMENTS[1]))?,
    ])
}

/// About how long `manifest.toml` and `manifest.json` will be, to size their buffers once
/// (what is never filled of a large buffer is never touched, so a guess too high costs no
/// memory): measured on the workspace's corpora, a few hundred bytes per asset and file.
fn about_how_long(g: &Gathered) -> (usize, usize) {
    const HEAD: usize = 4 << 10;
    let items = g.assets + g.files.0;
    (HEAD + items * 200, HEAD + items * 280)
}

/// The entry of a document as it was written (by a [`DocumentWriter`], or held whole).
fn document_entry(
    path: &str,
    doc: Written,
    method_for_len: impl FnOnce(u64) -> Method,
) -> Result<Entry, PlanError> {
    let method = method_for_len(doc.len);
    let data = match (doc.data, method) {
        (Held::Plain(bytes), _) => EntryData::Bytes(bytes.into()),
        (Held::Deflated(deflated), Method::Store) => {
            EntryData::Bytes(deflated.inflate().map_err(deflate_failed)?.into())
        }
        (Held::Deflated(deflated), _) => EntryData::Deflated(deflated),
    };
    Ok(Entry {
        path: path.into(),
        data,
        sha256: doc.sha256,
        bytes: doc.len,
        method,
    })
}

/// DEFLATE failed on a document the plan made.
fn deflate_failed(e: io::Error) -> PlanError {
    PlanError::Serialise {
        format: "DEFLATE",
        source: e.into(),
    }
}

/// The resolved manifest's serialiser failed.
fn serialise((format, source): crate::resolved::TextError) -> PlanError {
    PlanError::Serialise { format, source }
}

fn generated_entry(path: String, bytes: impl Into<Arc<[u8]>>, compression: Compression) -> Entry {
    let bytes: Arc<[u8]> = bytes.into();
    Entry {
        sha256: crate::digest::sha256_bytes(&bytes),
        bytes: bytes.len() as u64,
        method: method_for(&path, bytes.len() as u64, compression),
        path,
        data: EntryData::Bytes(bytes),
    }
}

/// Every payload path is safe, and no two name one file or a file and a folder, not even by
/// case or Unicode normalisation.
fn check_paths<'a>(paths: impl Iterator<Item = &'a str>) -> Result<(), PlanError> {
    let mut keys = Vec::with_capacity(paths.size_hint().0);
    for path in paths {
        if let Err(why) = safe_path::check(path) {
            return Err(PlanError::UnsafePath(path.to_owned(), why.to_string()));
        }
        keys.push((safe_path::clash_key(path), path));
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

/// The entry of a checksum file, deflated (it is text, whatever its name says) unless the pack
/// stores everything; held deflated, as the resolved manifests are (a line of 64 hex digits
/// and a path each: 2 MB for 20,000 files, which the pack holds to its end).
fn sums_entry(path: &str, text: String, compression: Compression) -> Result<Entry, PlanError> {
    let store = matches!(compression, Compression::Store);
    let doc = Written::whole(text.into_bytes(), !store).map_err(deflate_failed)?;
    document_entry(path, doc, |_| match store {
        true => Method::Store,
        false => Method::Deflate,
    })
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

fn bag_entries(
    header: &Header,
    providers: &[String],
    payload: Vec<Entry>,
    edition: Edition,
    compression: Compression,
) -> Vec<Entry> {
    let mut manifest = String::new();
    let mut oxum_bytes = 0u64;
    let count = payload.len();
    let mut entries: Vec<Entry> = payload
        .into_iter()
        .map(|mut e| {
            e.path = catalog::pack_path(Layout::Bagit, &e.path);
            sums::push_line(&mut manifest, sums::Format::Bagit, &e.sha256, &e.path);
            oxum_bytes += e.bytes;
            e
        })
        .collect();
    let bagit = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_owned();
    let mut info = String::new();
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    // RFC 8493 §2.2.2 recommends it: the region a bundle is for, else the providers.
    let organisation = header
        .region
        .clone()
        .unwrap_or_else(|| providers.join(", "));
    if !organisation.trim().is_empty() {
        let _ = writeln!(info, "Source-Organization: {}", one_line(&organisation));
    }
    if let Some(contact) = &header.contact {
        let _ = writeln!(info, "Contact-Name: {}", one_line(contact));
    }
    let description = header.title.as_deref().unwrap_or(&header.name);
    let _ = writeln!(info, "External-Description: {}", one_line(description));
    let _ = writeln!(info, "External-Identifier: {}", header.name);
    let _ = writeln!(info, "Bagging-Date: {}", edition.date);
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
            sums::BAG_MANIFEST,
            manifest.into_bytes(),
            Method::Deflate,
            compression,
        ),
    ];
    let tagmanifest = sums::write(
        sums::Format::Bagit,
        tags.iter().map(|t| (t.sha256.as_str(), t.path.as_str())),
    );
    entries.extend(tags);
    entries.push(bytes_entry(
        sums::BAG_TAG_MANIFEST,
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
        content::html_escape(title),
        content::html_escape(title)
    );
    for (p, assets) in links {
        let _ = writeln!(s, "<h2>{}</h2>\n<ul>", content::html_escape(&p.name));
        for a in assets {
            if let Content::Url(u) = &a.content {
                let _ = write!(
                    s,
                    "<li><a href=\"{}\">{}</a><br><small>{}</small>",
                    content::html_escape(u),
                    content::html_escape(&a.title),
                    content::html_escape(u)
                );
                if let Some(usage) = &a.usage {
                    let _ = write!(s, "<br>{}", content::html_escape(usage));
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
    inputs: &Inputs,
    by_manifest: &BTreeMap<usize, Vec<&Selected>>,
    layout: Layout,
    edition: Edition,
) -> String {
    let (header, manifests) = (&inputs.header, &inputs.manifests);
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
    let _ = writeln!(s, "Edition:   {}", edition.date);
    let _ = writeln!(s, "Pack name: {}\n", header.name);
    let _ = writeln!(s, "What is inside\n--------------");
    let root = layout.payload_root();
    let _ = writeln!(
        s,
        "- {root}<provider>/           the files of each provider, in the provider's own folders\n\
         - {root}<provider>/messages/  ready-to-post campaign messages, one text file each\n\
         - {root}links.html            every referral and sign-up link, grouped by provider\n\
         - {root}manifest.toml, .json  every asset with its details, path, size and SHA-256\n\
         - {root}print-request.csv     the printed materials you can ask for (when any)\n\
         - {root}index.html            the catalogue: open it in a browser to find, preview, copy (when built)\n\
         - {root}thumbs/               the catalogue's thumbnails (when built)\n\
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
    let signed = sums::signed_file(layout);
    let _ = writeln!(
        s,
        "If the pack is signed ({sig} is there), check who made it with the sender's\n\
         public key (the line starting RW that they publish):\n\n    minisign -Vm {signed} -P <public key>\n\n\
         or, without unzipping:  assetpack verify {name}.zip --key <public key>\n",
        sig = sums::signature_of(signed),
        name = header.name,
    );
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

    #[test]
    fn paths_that_would_meet_on_some_disk_are_refused() {
        let clash = |paths: &[&str]| {
            matches!(
                check_paths(paths.iter().copied()),
                Err(PlanError::Clash(..))
            )
        };
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
            check_paths(["../escape.pdf"].into_iter()),
            Err(PlanError::UnsafePath(..))
        ));
    }
}
