//! Writing and updating a manifest from a folder of files.
//!
//! [`scan`] walks a folder (skipping hidden files; symbolic links and special files are
//! reported, never followed), hashes every file in parallel and returns manifest text with one
//! `[[asset]]` per file. Given an existing manifest it *edits* that document: it updates the
//! `sha256` and `bytes` of every file it lists (renditions, transcripts and captions too), adds
//! the new files at the end and reports the ones that vanished, keeping every hand-written
//! field, comment and the order of entries. [`scan_place`] does the same for a bucket folder
//! (`s3://bucket/prefix`): the objects listed, each read once, `base` set to the folder's URL.
//!
//! ```no_run
//! use assetpack::scan::{scan, ScanOptions};
//! use assetpack::NoProgress;
//!
//! let options = ScanOptions::new("oup").name("Oxford University Press");
//! let outcome = scan("assets/oup".as_ref(), None, &options, &NoProgress).unwrap();
//! std::fs::write("packs/providers/oup.toml", outcome.text).unwrap();
//! ```

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use toml_edit::{value, ArrayOfTables, DocumentMut, InlineTable, Item, Table, TableLike};

use crate::catalog::{relative_name, walk, Walked};
use crate::examine::examine;
use crate::manifest::{valid_id, Kind};
use crate::progress::Progress;
use crate::store::Place;

/// What to write into a new manifest, and where it will live.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// Provider id; required for a new manifest, checked against an existing one.
    pub provider_id: Option<String>,
    /// Provider display name (defaults to the id for a new manifest).
    pub name: Option<String>,
    /// Where the manifest will be written; `base` is made relative to its folder (the current
    /// folder when `None`).
    pub output: Option<PathBuf>,
}

impl ScanOptions {
    /// Options for provider `id`.
    pub fn new(id: &str) -> Self {
        ScanOptions {
            provider_id: Some(id.to_owned()),
            ..Self::default()
        }
    }

    /// Sets the provider name.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// Sets where the manifest will be written.
    pub fn output(mut self, path: impl Into<PathBuf>) -> Self {
        self.output = Some(path.into());
        self
    }
}

/// What [`scan`] did.
#[derive(Clone, Debug, Default)]
pub struct ScanOutcome {
    /// The manifest text to write.
    pub text: String,
    /// Files added as new assets (relative paths).
    pub added: Vec<String>,
    /// Listed files whose size or hash changed.
    pub updated: Vec<String>,
    /// Listed files that are no longer there (their entries are kept).
    pub vanished: Vec<String>,
    /// Entries that were skipped, with why (symbolic links, special files, odd names).
    pub skipped: Vec<(String, String)>,
    /// Regular files found.
    pub files: usize,
}

/// Why a scan could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The folder could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// The existing manifest is not valid TOML.
    #[error("{path}:{line}:{column}: the existing manifest is not valid TOML: {message}")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The file to update is some other TOML document, not a provider manifest.
    #[error("{} is not a provider manifest (it has `{keys}`); choose another -o", path.display())]
    NotAManifest {
        /// The file.
        path: PathBuf,
        /// Its foreign top-level keys.
        keys: String,
    },
    /// A new manifest needs `--provider`.
    #[error("a new manifest needs a provider id: pass --provider ID")]
    ProviderRequired,
    /// The id is not lowercase `[a-z0-9-]`.
    #[error("provider id `{0}` may hold only lowercase letters, digits and `-` (try `{1}`)")]
    BadProviderId(String, String),
    /// `--provider` disagrees with the existing manifest.
    #[error("the existing manifest is for provider `{existing}`, not `{given}`")]
    ProviderMismatch {
        /// Id in the manifest.
        existing: String,
        /// Id asked for.
        given: String,
    },
}

struct Found {
    rel: String,
    len: u64,
    sha256: String,
    media_type: Option<&'static str>,
}

/// Scans `dir`; with `existing` (the current manifest text and its path) updates that
/// document instead of writing a new one. See the module docs.
pub fn scan(
    dir: &Path,
    existing: Option<(&Path, &str)>,
    options: &ScanOptions,
    progress: &dyn Progress,
) -> Result<ScanOutcome, ScanError> {
    scan_place(&Place::Local(dir.to_owned()), existing, options, progress)
}

/// Scans `folder`: a folder on this machine, as [`scan`] does, or a bucket folder, whose
/// objects are listed (names with a part starting with `.` passed over, as hidden files are)
/// and each read once, and whose URL becomes the manifest's `base`.
pub fn scan_place(
    folder: &Place,
    existing: Option<(&Path, &str)>,
    options: &ScanOptions,
    progress: &dyn Progress,
) -> Result<ScanOutcome, ScanError> {
    let mut outcome = ScanOutcome::default();
    let files = match folder {
        Place::Local(dir) => files_to_list(dir, options, &mut outcome)?,
        Place::Remote(_) => objects_to_list(folder, &mut outcome)?,
    };
    let found = hash_all(folder, &files, progress)?;
    outcome.files = found.len();
    let by_rel: BTreeMap<&str, &Found> = found.iter().map(|f| (f.rel.as_str(), f)).collect();
    let mut doc = open_document(existing)?;
    provider_table(&mut doc, folder, options, existing.is_some())?;
    let (listed, mut ids) = update_listed(&mut doc, &by_rel, &mut outcome);
    let new: Vec<&Found> = found.iter().filter(|f| !listed.contains(&f.rel)).collect();
    let tables = new_assets(&new, &by_rel, &mut ids);
    if !tables.is_empty() {
        let aot = doc
            .entry("asset")
            .or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
        if let Some(aot) = aot.as_array_of_tables_mut() {
            for (rel, t) in tables {
                outcome.added.push(rel);
                aot.push(t);
            }
        }
    }
    outcome.text = doc.to_string();
    Ok(outcome)
}

/// A file to list and its size.
struct Listed {
    file: Walked,
    size: u64,
}

/// The files of `dir` a manifest can list, from the catalog's walk; the rest (links, special
/// files, names that are not UTF-8 or not safe) go to `outcome.skipped` with the reason.
fn files_to_list(
    dir: &Path,
    options: &ScanOptions,
    outcome: &mut ScanOutcome,
) -> Result<Vec<Listed>, ScanError> {
    let io_err = |source| ScanError::Io {
        path: dir.to_owned(),
        source,
    };
    if !std::fs::metadata(dir).map_err(io_err)?.is_dir() {
        return Err(io_err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a folder",
        )));
    }
    let tree = walk(dir).map_err(io_err)?;
    for (rel, what) in tree.other {
        let why = match what {
            "symbolic link" => "symbolic link, not followed",
            other => other,
        };
        outcome.skipped.push((rel, why.into()));
    }
    // The manifest being written, and its signature, are not the provider's files.
    let own: Vec<PathBuf> = options
        .output
        .iter()
        .flat_map(|o| [o.clone(), crate::keys::signature_path(o)])
        .filter_map(|o| std::fs::canonicalize(o).ok())
        .collect();
    let mut files = Vec::with_capacity(tree.files.len());
    for f in tree.files {
        if !f.utf8 {
            let why = "name is not valid UTF-8; rename the file".to_owned();
            outcome.skipped.push((f.rel, why));
        } else if let Some(why) = unsafe_name(&f.rel) {
            outcome.skipped.push((f.rel, why));
        } else if own.is_empty() || !std::fs::canonicalize(&f.path).is_ok_and(|c| own.contains(&c))
        {
            let size = std::fs::symlink_metadata(&f.path).map_or(0, |m| m.len());
            files.push(Listed { file: f, size });
        }
    }
    Ok(files)
}

/// Why a manifest cannot name `rel`, when it cannot.
fn unsafe_name(rel: &str) -> Option<String> {
    let why = crate::safe_path::check(rel).err()?;
    Some(format!("unsafe name ({why}); rename the file"))
}

/// The objects of the bucket folder `folder` a manifest can list, from its listing (with
/// their sizes); names that are not safe go to `outcome.skipped` with the reason.
fn objects_to_list(folder: &Place, outcome: &mut ScanOutcome) -> Result<Vec<Listed>, ScanError> {
    let mut tree = crate::files::list(folder)
        .map_err(|source| ScanError::Io {
            path: folder.join(""),
            source,
        })?
        .unwrap_or_default();
    let mut files = Vec::with_capacity(tree.files.len());
    for f in std::mem::take(&mut tree.files) {
        match unsafe_name(&f.rel) {
            Some(why) => outcome.skipped.push((f.rel, why)),
            None => files.push(Listed {
                size: tree.size(&f.rel).unwrap_or(0),
                file: f,
            }),
        }
    }
    Ok(files)
}

/// Every file hashed and inspected, in parallel (a file of a folder opened as it was walked,
/// never through a link; an object of a bucket folder with the request that reads it).
fn hash_all(
    folder: &Place,
    files: &[Listed],
    progress: &dyn Progress,
) -> Result<Vec<Found>, ScanError> {
    progress.begin(files.len() as u64, files.iter().map(|f| f.size).sum());
    let found = crate::files::reading(folder.local().is_none(), || {
        hash_each(folder, files, progress)
    });
    progress.finish();
    found
}

/// Each file hashed and inspected, in parallel on the pool [`crate::files::reading`] gives.
fn hash_each(
    folder: &Place,
    files: &[Listed],
    progress: &dyn Progress,
) -> Result<Vec<Found>, ScanError> {
    files
        .par_iter()
        .map(|Listed { file: f, .. }| {
            let opened = match folder {
                Place::Local(_) => {
                    crate::content::open_regular(&f.path).map(crate::files::Opened::file)
                }
                Place::Remote(_) => crate::files::open(folder, &f.rel),
            };
            let e = opened
                .and_then(|o| examine(o, true, &|n| progress.advance(n)))
                .map_err(|source| ScanError::Io {
                    path: f.path.clone(),
                    source,
                })?;
            progress.file_done(&f.path);
            Ok(Found {
                rel: f.rel.clone(),
                len: e.len,
                sha256: e.sha256.unwrap_or_default(),
                media_type: e.inspection.media_type,
            })
        })
        .collect()
}

/// The manifest document to edit: the existing one (which must be a provider manifest), or a
/// new one.
fn open_document(existing: Option<(&Path, &str)>) -> Result<DocumentMut, ScanError> {
    let Some((path, text)) = existing else {
        return Ok(DocumentMut::new());
    };
    let doc = text.parse::<DocumentMut>().map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| crate::source::Source::new(path, text.to_owned()).line_column(s.start))
            .unwrap_or((1, 1));
        ScanError::Manifest {
            path: path.to_owned(),
            line,
            column,
            message: e.message().trim().to_owned(),
        }
    })?;
    let foreign: Vec<&str> = doc
        .iter()
        .map(|(k, _)| k)
        .filter(|k| *k != "provider" && *k != "asset")
        .collect();
    if !foreign.is_empty() || (doc.get("provider").is_none() && !doc.is_empty()) {
        return Err(ScanError::NotAManifest {
            path: path.to_owned(),
            keys: foreign.join(", "),
        });
    }
    Ok(doc)
}

/// Updates the sums of every file the document lists: the files it lists, and the ids used.
fn update_listed(
    doc: &mut DocumentMut,
    by_rel: &BTreeMap<&str, &Found>,
    outcome: &mut ScanOutcome,
) -> (HashSet<String>, HashSet<String>) {
    let mut listed: HashSet<String> = HashSet::new();
    let mut ids: HashSet<String> = HashSet::new();
    if let Some(assets) = doc.get_mut("asset").and_then(Item::as_array_of_tables_mut) {
        for table in assets.iter_mut() {
            if let Some(id) = table.get("id").and_then(Item::as_str) {
                ids.insert(id.to_owned());
            }
            update_refs(table, false, by_rel, &mut listed, outcome);
        }
    }
    (listed, ids)
}

/// An `[[asset]]` table for each file not listed yet; a video takes its same-named transcript
/// (`.txt`, `.md`) and captions (`.vtt`, `.srt`) along instead of listing them apart.
fn new_assets(
    new: &[&Found],
    by_rel: &BTreeMap<&str, &Found>,
    ids: &mut HashSet<String>,
) -> Vec<(String, Table)> {
    let new_set: HashSet<&str> = new.iter().map(|f| f.rel.as_str()).collect();
    let mut attached: HashSet<&str> = HashSet::new();
    let mut tables = Vec::new();
    for f in new {
        if attached.contains(f.rel.as_str()) {
            continue;
        }
        let mut t = new_asset(f, ids);
        if guess_kind(&f.rel) == Kind::Video {
            let stem = f.rel.rsplit_once('.').map_or(f.rel.as_str(), |(s, _)| s);
            for (key, exts) in [
                ("transcript", &["txt", "md"][..]),
                ("captions", &["vtt", "srt"]),
            ] {
                let sibling = exts
                    .iter()
                    .map(|e| format!("{stem}.{e}"))
                    .find(|s| new_set.contains(s.as_str()));
                if let Some(sf) = sibling.and_then(|s| by_rel.get(s.as_str())) {
                    t.insert(key, value(file_inline(sf)));
                    attached.insert(&sf.rel);
                }
            }
        }
        tables.push((f.rel.clone(), t));
    }
    tables
}

fn provider_table(
    doc: &mut DocumentMut,
    folder: &Place,
    options: &ScanOptions,
    existing: bool,
) -> Result<(), ScanError> {
    let current = doc
        .get("provider")
        .and_then(|p| p.get("id"))
        .and_then(Item::as_str)
        .map(str::to_owned);
    let id = match (&current, &options.provider_id) {
        (Some(c), Some(g)) if c != g => {
            return Err(ScanError::ProviderMismatch {
                existing: c.clone(),
                given: g.clone(),
            })
        }
        (_, Some(g)) => g.clone(),
        (Some(c), None) => c.clone(),
        (None, None) => return Err(ScanError::ProviderRequired),
    };
    if !valid_id(&id, false) {
        return Err(ScanError::BadProviderId(
            id.clone(),
            crate::manifest::slug(&id),
        ));
    }
    let provider = doc.entry("provider").or_insert(Item::Table(Table::new()));
    let Some(provider) = provider.as_table_like_mut() else {
        return Ok(());
    };
    if provider.get("id").is_none() {
        provider.insert("id", value(&id));
    }
    if let Some(name) = &options.name {
        set_keep_decor(provider, "name", name.as_str().into());
    } else if provider.get("name").is_none() {
        provider.insert("name", value(&id));
    }
    let existing_base = provider
        .get("base")
        .and_then(Item::as_str)
        .map(str::to_owned);
    let (base, same) = match folder {
        Place::Local(dir) => {
            let base = base_relative_to_output(dir, options.output.as_deref());
            let same = match (&existing_base, &base) {
                (Some(e), Some(b)) => e == b || same_dir(dir, options.output.as_deref(), e),
                (None, None) => true,
                (Some(e), None) => same_dir(dir, options.output.as_deref(), e),
                (None, Some(_)) => false,
            };
            (base, same)
        }
        Place::Remote(url) => {
            let base = url.as_str().trim_end_matches('/').to_owned();
            let same = existing_base.as_deref().map(|e| e.trim_end_matches('/')) == Some(&base);
            (Some(base), same)
        }
    };
    if !same {
        match base {
            Some(b) => set_keep_decor(provider, "base", b.as_str().into()),
            None if existing => {
                provider.remove("base");
            }
            None => {}
        }
    }
    Ok(())
}

/// The folder the manifest will sit in.
fn output_dir(output: Option<&Path>) -> PathBuf {
    match output.and_then(Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

fn same_dir(dir: &Path, output: Option<&Path>, base: &str) -> bool {
    let a = std::fs::canonicalize(output_dir(output).join(base));
    let b = std::fs::canonicalize(dir);
    matches!((a, b), (Ok(a), Ok(b)) if a == b)
}

/// `dir` relative to the output's folder, `/`-separated; `None` when they are the same folder.
fn base_relative_to_output(dir: &Path, output: Option<&Path>) -> Option<String> {
    let out_dir = output_dir(output);
    let (Ok(from), Ok(to)) = (std::fs::canonicalize(out_dir), std::fs::canonicalize(dir)) else {
        return Some(relative_name(dir));
    };
    if from == to {
        return None;
    }
    let rel = pathdiff::diff_paths(&to, &from).unwrap_or(to);
    Some(relative_name(&rel))
}

/// Replaces `key`'s value, keeping the comments and spacing around it.
fn set_keep_decor(t: &mut dyn TableLike, key: &str, mut new: toml_edit::Value) {
    if let Some(old) = t.get(key).and_then(Item::as_value) {
        *new.decor_mut() = old.decor().clone();
    }
    t.insert(key, Item::Value(new));
}

/// Updates `sha256`/`bytes` of every file `t` refers to, recording what it lists.
fn update_refs(
    t: &mut dyn TableLike,
    inline: bool,
    found: &BTreeMap<&str, &Found>,
    listed: &mut HashSet<String>,
    outcome: &mut ScanOutcome,
) {
    if let Some(file) = t.get("file").and_then(Item::as_str).map(str::to_owned) {
        match found.get(file.as_str()) {
            Some(f) => {
                let old_hash = t.get("sha256").and_then(Item::as_str).map(str::to_owned);
                let old_len = t.get("bytes").and_then(Item::as_integer);
                if old_hash.as_deref() != Some(f.sha256.as_str())
                    || old_len != i64::try_from(f.len).ok()
                {
                    let adding = t.get("sha256").is_none() || t.get("bytes").is_none();
                    set_keep_decor(t, "sha256", f.sha256.as_str().into());
                    set_keep_decor(t, "bytes", i64::try_from(f.len).unwrap_or(i64::MAX).into());
                    if adding && inline {
                        // New keys in `{ … }` would land after the closing space: re-space it.
                        t.fmt();
                    }
                    outcome.updated.push(file.clone());
                }
            }
            None => outcome.vanished.push(file.clone()),
        }
        listed.insert(file);
    }
    for key in ["transcript", "captions"] {
        if let Some(sub) = t.get_mut(key).and_then(Item::as_table_like_mut) {
            update_refs(sub, false, found, listed, outcome);
        } else if let Some(sub) = t
            .get_mut(key)
            .and_then(Item::as_value_mut)
            .and_then(toml_edit::Value::as_inline_table_mut)
        {
            update_refs(sub, true, found, listed, outcome);
        }
    }
    if let Some(arr) = t
        .get_mut("renditions")
        .and_then(Item::as_value_mut)
        .and_then(toml_edit::Value::as_array_mut)
    {
        for v in arr.iter_mut() {
            if let Some(it) = v.as_inline_table_mut() {
                update_refs(it, true, found, listed, outcome);
            }
        }
    } else if let Some(aot) = t
        .get_mut("renditions")
        .and_then(Item::as_array_of_tables_mut)
    {
        for table in aot.iter_mut() {
            update_refs(table, false, found, listed, outcome);
        }
    }
}

fn file_inline(f: &Found) -> InlineTable {
    let mut t = InlineTable::new();
    t.insert("file", f.rel.as_str().into());
    t.insert("sha256", f.sha256.as_str().into());
    t.insert("bytes", i64::try_from(f.len).unwrap_or(i64::MAX).into());
    t
}

fn new_asset(f: &Found, ids: &mut HashSet<String>) -> Table {
    let name = f.rel.rsplit('/').next().unwrap_or(&f.rel);
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let mut id = crate::manifest::slug(stem);
    if ids.contains(&id) && !ext.is_empty() {
        id = crate::manifest::slug(&format!("{stem}-{ext}"));
    }
    if ids.contains(&id) {
        id = crate::manifest::slug(&f.rel);
    }
    let base = id.clone();
    let mut n = 2;
    while ids.contains(&id) {
        id = format!("{}-{n}", &base[..base.len().min(60)]);
        n += 1;
    }
    ids.insert(id.clone());
    let mut t = Table::new();
    t.insert("id", value(id));
    t.insert("title", value(title(stem)));
    t.insert("kind", value(guess_kind(&f.rel).as_str()));
    t.insert("file", value(&f.rel));
    t.insert("sha256", value(&f.sha256));
    t.insert("bytes", value(i64::try_from(f.len).unwrap_or(i64::MAX)));
    if let Some(mt) = f.media_type {
        t.insert("media_type", value(mt));
    }
    t
}

/// A readable title from a file stem: `oup-a3-poster_01` → `Oup A3 poster 01`.
pub fn title(stem: &str) -> String {
    let words: Vec<String> = stem
        .split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = w.to_lowercase();
            if matches!(
                lower.as_str(),
                "a0" | "a1" | "a2" | "a3" | "a4" | "a5" | "a6" | "dl" | "nhs" | "oup" | "bmj"
            ) {
                w.to_uppercase()
            } else {
                w.to_owned()
            }
        })
        .collect();
    let joined = words.join(" ");
    let mut chars = joined.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => stem.to_owned(),
    }
}

/// The kind a path suggests, from its folders, its name and its extension.
pub fn guess_kind(rel: &str) -> Kind {
    let lower = rel.to_lowercase();
    let words = |s: &str| -> Option<Kind> {
        let table: [(&[&str], Kind); 13] = [
            (
                &[
                    "table-talker",
                    "table_talker",
                    "tabletalker",
                    "table talker",
                ],
                Kind::TableTalker,
            ),
            (
                &["email-signature", "email_signature", "signature"],
                Kind::EmailSignature,
            ),
            (&["social"], Kind::SocialCard),
            (&["postcard"], Kind::Postcard),
            (&["poster"], Kind::Poster),
            (&["flyer", "leaflet"], Kind::Flyer),
            (&["bookmark"], Kind::Bookmark),
            (&["banner"], Kind::Banner),
            (&["logo"], Kind::Logo),
            (&["guide", "training", "handout"], Kind::Guide),
            (&["video"], Kind::Video),
            (&["artwork"], Kind::Artwork),
            (&["link"], Kind::Other),
        ];
        table
            .iter()
            .find(|(keys, _)| keys.iter().any(|k| s.contains(k)))
            .map(|(_, k)| *k)
    };
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    if matches!(ext, "mp4" | "m4v" | "mov" | "webm") {
        return Kind::Video;
    }
    let mut parts: Vec<&str> = lower.split('/').collect();
    let name = parts.pop().unwrap_or("");
    // Folders first, deepest first; then the file name.
    for folder in parts.iter().rev() {
        if let Some(k) = words(folder) {
            return k;
        }
    }
    words(name).unwrap_or(Kind::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_titles() {
        assert_eq!(
            crate::manifest::slug("Café poster (final)"),
            "cafe-poster-final"
        );
        assert_eq!(crate::manifest::slug("Quick guide – v2"), "quick-guide-v2");
        assert_eq!(crate::manifest::slug("---"), "asset");
        assert_eq!(title("oup-a3-poster_01"), "OUP A3 poster 01");
        assert_eq!(title("quick guide – v2"), "Quick guide – v2");
    }

    #[test]
    fn kinds_from_paths() {
        assert_eq!(guess_kind("posters/a3.pdf"), Kind::Poster);
        assert_eq!(guess_kind("table-talkers/x.pdf"), Kind::TableTalker);
        assert_eq!(guess_kind("social/card.png"), Kind::SocialCard);
        assert_eq!(guess_kind("x/clip.MP4"), Kind::Video);
        assert_eq!(guess_kind("misc/bookmark-2.pdf"), Kind::Bookmark);
        assert_eq!(guess_kind("readme.txt"), Kind::Other);
    }
}
