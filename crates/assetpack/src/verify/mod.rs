//! Verifying a pack on the receiving side, and extracting it safely.
//!
//! [`verify`] judges every entry name *as written in the archive* (it never sanitises first:
//! absolute paths, `..`, backslashes, drive letters, control characters, Windows reserved
//! names and symbolic-link entries are problems), finds duplicate names in the central
//! directory (and names one file on Windows or macOS would hold: case, accents, a file that is
//! also a folder), checks the layout the directory describes (each local header names its
//! entry the same way, entries do not share bytes, no bytes lie outside every entry, folder
//! entries hold no data), and re-reads every entry in parallel — which also checks its CRC —
//! to compare its SHA-256 with `SHA256SUMS` (or, for a BagIt pack, the bag's manifests); the
//! names, the layout and the checksum files are judged while the entries are read. Missing,
//! extra and altered files are reported by name. A readable ZIP without checksums is not a
//! pack.
//!
//! With [`VerifyOptions::extract`], the names are judged first, and only a pack whose names
//! are all safe is written, while it is verified, into a fresh temporary folder inside the
//! target, and moved into place only when everything verified; otherwise the folder is
//! removed. Nothing is written outside the target, and nothing is written through a link.
//!
//! ```no_run
//! use assetpack::verify::{verify, VerifyOptions};
//! use assetpack::NoProgress;
//!
//! let v = verify("north-west-spring-2027.zip".as_ref(), &VerifyOptions::default(), &NoProgress).unwrap();
//! for p in &v.problems {
//!     eprintln!("{p}");
//! }
//! assert!(v.ok);
//! ```

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use zip::ZipArchive;

mod checksums;
mod directory;
mod extract;
mod names;
mod signature;

pub use signature::SignatureFound;

use checksums::Expected;
use directory::RawEntry;
use extract::{Fault, Target};

use crate::content::{Locked, OwnedFileAt, ReadAt};
use crate::problem::{Code, Problem, Tally};
use crate::progress::Progress;

/// Options for [`verify`].
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Extract a pack that verifies into this folder (`DIR/<name>/…`).
    pub extract: Option<PathBuf>,
    /// Most an entry over 1 MiB may inflate, as a multiple of its compressed size; an entry
    /// that declares more is refused ([`Code::CompressionRatio`]) and never inflated. 0: no
    /// limit. Default [`MAX_RATIO`].
    pub max_ratio: u64,
    /// Check the pack's signature with this key; a pack without one is then a problem
    /// ([`Code::SignatureMissing`]). Without a key, a signature is read and reported
    /// ([`VerifySummary::signature`]) but not checked.
    pub key: Option<crate::keys::PublicKey>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            extract: None,
            max_ratio: MAX_RATIO,
            key: None,
        }
    }
}

/// The default ratio limit: Apache POI's for the ZIP files it opens. Nothing a pack holds comes
/// near it (text deflates 3 to 20 times; what does not deflate well is stored), while a ZIP
/// bomb's entries inflate a thousand times.
pub const MAX_RATIO: u64 = 100;

/// Entries up to this size are not judged by their ratio: a few hundred kilobytes of repetitive
/// text may deflate more than the limit, and cannot hurt.
const RATIO_GRACE: u64 = 1 << 20;

/// What [`verify`] found: what `verify --format json` prints, and reads back.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Verification {
    /// True when the pack is complete and untouched.
    pub ok: bool,
    /// Every problem, by entry name.
    pub problems: Vec<Problem>,
    /// What was verified.
    pub summary: VerifySummary,
}

/// Counts of a verification.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VerifySummary {
    /// The pack's top folder.
    pub name: Option<String>,
    /// `plain` or `bagit`, when recognised.
    pub layout: Option<String>,
    /// Entries in the central directory (folders included).
    pub entries: usize,
    /// Files whose checksums were compared.
    pub files: usize,
    /// Bytes read back.
    pub bytes: u64,
    /// Errors found.
    pub errors: usize,
    /// Where the pack was extracted, when it was.
    pub extracted: Option<PathBuf>,
    /// The pack's signature, when it has one that could be read.
    #[serde(default)]
    pub signature: Option<SignatureFound>,
}

/// Why verification could not run (the CLI exits 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// The file is not a readable ZIP (truncated, corrupt, something else).
    #[error("{path} is not a readable ZIP archive: {message}")]
    NotZip {
        /// The file.
        path: PathBuf,
        /// What the reader said.
        message: String,
    },
    /// [`Progress::cancelled`] said stop; nothing was extracted.
    #[error("interrupted; nothing was extracted")]
    Cancelled,
    /// Extraction could not start or finish.
    #[error("cannot extract into {path}: {message}")]
    Extract {
        /// The target.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// A pack shared between threads, read with positioned reads so clones seek independently.
struct SharedFile {
    file: Arc<dyn ReadAt + Send + Sync>,
    pos: u64,
    /// The first error reading the source itself (a disk, a network): the verdict cannot
    /// be given, and the pack is not to blame.
    failed: Arc<Mutex<Option<io::Error>>>,
    /// Bytes read ahead, and the offset of the first: the ZIP library reads a central
    /// directory a field at a time, three reads for each entry, each of which was a `pread`
    /// of its own (a third of verifying a pack of 20,000 small files).
    ahead: (u64, Vec<u8>),
    /// Where the last read ended: only a small read that carries on from there reads ahead.
    last_end: u64,
}

/// How much a small read that carries on from the last one reads ahead.
const AHEAD: usize = 8 << 10;

impl Clone for SharedFile {
    /// The same pack at the same position; what was read ahead stays with the original.
    fn clone(&self) -> Self {
        SharedFile {
            pos: self.pos,
            failed: Arc::clone(&self.failed),
            ..SharedFile::new(Arc::clone(&self.file))
        }
    }
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let carries_on = self.pos == self.last_end;
        if carries_on && buf.len() < AHEAD && !self.ahead_holds(self.pos) {
            let mut ahead = std::mem::take(&mut self.ahead.1);
            ahead.resize(AHEAD, 0);
            let n = self.read_at(&mut ahead, self.pos)?;
            ahead.truncate(n);
            self.ahead = (self.pos, ahead);
        }
        let n = match self.ahead_holds(self.pos) {
            true => {
                let (start, ahead) = &self.ahead;
                let from = &ahead[(self.pos - start) as usize..];
                let n = buf.len().min(from.len());
                buf[..n].copy_from_slice(&from[..n]);
                n
            }
            false => self.read_at(buf, self.pos)?,
        };
        self.pos += n as u64;
        self.last_end = self.pos;
        Ok(n)
    }
}

impl SharedFile {
    /// A reader of `file` from its start.
    fn new(file: Arc<dyn ReadAt + Send + Sync>) -> Self {
        SharedFile {
            file,
            pos: 0,
            failed: Arc::default(),
            ahead: (0, Vec::new()),
            last_end: u64::MAX,
        }
    }

    /// True when the bytes read ahead hold the one at `pos`.
    fn ahead_holds(&self, pos: u64) -> bool {
        let (start, ahead) = &self.ahead;
        pos >= *start && pos - start < ahead.len() as u64
    }

    /// Reads at `pos` from the pack itself, recording the first error.
    fn read_at(&self, buf: &mut [u8], pos: u64) -> io::Result<usize> {
        self.file.read_at(buf, pos).inspect_err(|e| {
            if let Ok(mut failed) = self.failed.lock() {
                failed.get_or_insert_with(|| io::Error::new(e.kind(), e.to_string()));
            }
        })
    }

    /// The error met reading the source, if any.
    fn failure(&self) -> Option<io::Error> {
        self.failed.lock().ok()?.take()
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.file.len().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos =
            pos.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before start"))?;
        Ok(self.pos)
    }
}

fn entry_name(ar: &ZipArchive<SharedFile>, i: usize) -> Option<String> {
    ar.name_for_index(i)?.ok().map(|n| n.into_owned())
}

fn entry_problem(
    pack: &Path,
    code: Code,
    name: &str,
    message: String,
    fix: impl Into<std::borrow::Cow<'static, str>>,
) -> Problem {
    let mut p = Problem::new(code, message, fix);
    if !name.is_empty() {
        p = p.with_file(name);
    }
    p.manifest = Some(pack.into());
    p
}

/// Verifies the pack at `path`; see the module docs.
pub fn verify(
    path: &Path,
    options: &VerifyOptions,
    progress: &dyn Progress,
) -> Result<Verification, VerifyError> {
    verify_source(open_file(path)?, path, options, progress)
}

/// [`verify`] a pack from any reader that can seek (an in-memory buffer, a download): reads
/// take turns on it, where a file is read by several threads at once. `name` is what messages
/// call the pack.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let made = assetpack::build::build(
/// #     &["../../packs/providers/oup.toml".into()],
/// #     &assetpack::build::BuildOptions { output: Some(dir.path().join("oup.zip")), ..Default::default() },
/// #     None,
/// #     &assetpack::NoProgress,
/// # ).unwrap();
/// use assetpack::verify::{verify_reader, VerifyOptions};
///
/// let bytes = std::fs::read(&made.output).unwrap();
/// let v = verify_reader(
///     std::io::Cursor::new(bytes),
///     "oup.zip".as_ref(),
///     &VerifyOptions::default(),
///     &assetpack::NoProgress,
/// )
/// .unwrap();
/// assert!(v.ok, "{:?}", v.problems);
/// ```
pub fn verify_reader<R: Read + Seek + Send + 'static>(
    reader: R,
    name: &Path,
    options: &VerifyOptions,
    progress: &dyn Progress,
) -> Result<Verification, VerifyError> {
    let source = Locked::new(reader).map_err(|source| VerifyError::Io {
        path: name.to_owned(),
        source,
    })?;
    verify_source(Arc::new(source), name, options, progress)
}

/// [`verify`] a pack from any source of positioned reads: a file, bytes in memory, an object
/// in a bucket read by ranges (`assetpack::store::RemoteObject`, with the `s3` feature).
/// `name` is what messages call the pack.
pub fn verify_at(
    source: Arc<dyn ReadAt + Send + Sync>,
    name: &Path,
    options: &VerifyOptions,
    progress: &dyn Progress,
) -> Result<Verification, VerifyError> {
    verify_source(source, name, options, progress)
}

fn verify_source(
    source: Arc<dyn ReadAt + Send + Sync>,
    path: &Path,
    options: &VerifyOptions,
    progress: &dyn Progress,
) -> Result<Verification, VerifyError> {
    // 1. The central directory, as the ZIP library reads it and as written, side by side.
    let as_written = || directory::central_directory(source.as_ref());
    let (opened, dir) = rayon::join(|| open_zip(Arc::clone(&source), path), as_written);
    let (shared, archive) = opened?;
    let mut summary = VerifySummary::default();
    let mut written = read_directory(path, dir, &archive);
    summary.entries = written.records.len();
    let mut problems = std::mem::take(&mut written.problems);
    if written.ambiguous {
        // Refused before any entry is read: which entries there are depends on the reader.
        summary.errors = Tally::of(&problems).errors;
        return Ok(Verification {
            ok: false,
            problems,
            summary,
        });
    }
    let bombs = over_ratio(path, &written.records, options.max_ratio, &mut problems);
    // 2. What the archive says of itself, and 3. every file read back.
    let (judged, read, target) =
        judge_and_read_back(path, &shared, &archive, &written, &bombs, options, progress)?;
    let Judged {
        top,
        expected,
        problems: mut judged_problems,
        signature,
        ..
    } = judged;
    problems.append(&mut judged_problems);
    let name = top.clone().unwrap_or_default();
    summary.name = top;
    summary.layout = expected.layout.map(str::to_owned);
    summary.signature = signature;
    if let Some(source) = shared.failure() {
        finish_extract(target, &name, false, read.extract_failed)?;
        return Err(VerifyError::Io {
            path: path.to_owned(),
            source,
        });
    }
    summary.bytes = read.bytes;
    problems.extend(read.problems(path));
    let files = Files::of(&archive, &read.found);
    if expected.layout.is_some() {
        summary.files = compare(path, &name, &expected, &files, &mut problems);
    }
    if expected.layout == Some("bagit") {
        oxum(&archive, &name, &files, path, &mut problems);
    }
    problems.sort_by(|a, b| (a.file.as_deref(), a.code).cmp(&(b.file.as_deref(), b.code)));
    let tally = Tally::of(&problems);
    summary.errors = tally.errors;
    let ok = tally.errors == 0;
    summary.extracted = finish_extract(target, &name, ok, read.extract_failed)?;
    Ok(Verification {
        ok,
        problems,
        summary,
    })
}

/// What the archive says of itself (its layout, its names, its checksums, its signature), and
/// every file read back: CRC, SHA-256, extraction. Side by side, unless the pack is to be
/// extracted: then only a pack whose names are all safe is written out, so they come first.
fn judge_and_read_back(
    path: &Path,
    shared: &SharedFile,
    archive: &ZipArchive<SharedFile>,
    written: &Written,
    bombs: &BTreeSet<String>,
    options: &VerifyOptions,
    progress: &dyn Progress,
) -> Result<(Judged, ReadBacks, Option<Target>), VerifyError> {
    let judge = || Judged::of(path, shared, archive, written, options.key.as_ref());
    let Some(dir) = &options.extract else {
        let (judged, read) = rayon::join(judge, || read_back(archive, bombs, None, progress));
        return Ok((judged?, read?, None));
    };
    let judged = judge()?;
    let safe = !judged.unsafe_names && bombs.is_empty();
    let target = match judged.expected.layout.is_some() && safe {
        true => Some(extract::prepare(dir, judged.name())?),
        false => None,
    };
    let read = read_back(archive, bombs, target.as_ref(), progress)?;
    Ok((judged, read, target))
}

/// The entries, by name, that declare more than `max_ratio` times their compressed size (past
/// [`RATIO_GRACE`]), each a problem: they are not inflated at all.
fn over_ratio(
    path: &Path,
    raw: &[RawEntry],
    max_ratio: u64,
    problems: &mut Vec<Problem>,
) -> BTreeSet<String> {
    let mut refused = BTreeSet::new();
    if max_ratio == 0 {
        return refused;
    }
    for e in raw {
        if e.uncompressed <= RATIO_GRACE || e.uncompressed / e.compressed.max(1) <= max_ratio {
            continue;
        }
        let name = String::from_utf8_lossy(&e.name).into_owned();
        let ratio = e.uncompressed / e.compressed.max(1);
        let message = format!(
            "`{name}` would inflate {ratio} times ({} bytes to {}), more than the limit of {max_ratio}: a ZIP bomb looks like this; it was not read",
            e.compressed, e.uncompressed
        );
        let fix = "do not extract it; if you trust the sender, verify with a higher `--max-ratio`";
        problems.push(entry_problem(
            path,
            Code::CompressionRatio,
            &name,
            message,
            fix,
        ));
        refused.insert(name);
    }
    refused
}

/// Opens `path` for reading: not a regular file is an error.
fn open_file(path: &Path) -> Result<Arc<dyn ReadAt + Send + Sync>, VerifyError> {
    let io_err = |source| VerifyError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(io_err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    Ok(Arc::new(OwnedFileAt {
        file,
        len: meta.len(),
    }))
}

/// Opens `source` (called `path`) as a ZIP: not a readable ZIP is an error.
fn open_zip(
    source: Arc<dyn ReadAt + Send + Sync>,
    path: &Path,
) -> Result<(SharedFile, ZipArchive<SharedFile>), VerifyError> {
    let shared = SharedFile::new(source);
    let archive = ZipArchive::new(shared.clone()).map_err(|e| VerifyError::NotZip {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    Ok((shared, archive))
}

/// The central directory as [`read_directory`] found it.
struct Written {
    /// Every record as written.
    records: Vec<RawEntry>,
    /// Where the directory starts and by how much offsets fall short; `None` when it could
    /// not be read as written.
    at: Option<(u64, u64)>,
    /// Its doubts (each a problem), or why it could not be read.
    problems: Vec<Problem>,
    /// True when its end records are ambiguous: then nothing is read at all.
    ambiguous: bool,
}

/// What [`read_directory`] and [`Judged::of`] tell a sender who must rebuild the pack.
const REBUILD: &str =
    "do not extract this archive; ask the sender for the pack as assetpack built it";

/// The central directory's records as written (`dir`), and the doubts about its end records.
fn read_directory(
    path: &Path,
    dir: io::Result<directory::Directory>,
    archive: &ZipArchive<SharedFile>,
) -> Written {
    match dir {
        Ok(mut dir) => {
            // The ZIP library finds its own end record; it must agree with ours.
            if archive.central_directory_start() != dir.start {
                dir.doubts.push(format!(
                    "the ZIP library finds the central directory at byte {}, the end record as written puts it at byte {}",
                    archive.central_directory_start(),
                    dir.start
                ));
            }
            let problems: Vec<Problem> = dir
                .doubts
                .into_iter()
                .map(|message| entry_problem(path, Code::AmbiguousArchive, "", message, REBUILD))
                .collect();
            Written {
                ambiguous: !problems.is_empty(),
                records: dir.records,
                at: Some((dir.start, dir.shift)),
                problems,
            }
        }
        Err(e) => {
            let message = format!("the central directory cannot be read as written: {e}");
            Written {
                records: Vec::new(),
                at: None,
                problems: vec![entry_problem(
                    path,
                    Code::UnsafeArchive,
                    "",
                    message,
                    REBUILD,
                )],
                ambiguous: false,
            }
        }
    }
}

/// What the archive says of itself, judged before the read-back or beside it.
struct Judged {
    /// Problems of its layout, its names, its checksum files and its signature.
    problems: Vec<Problem>,
    /// True when nothing of it may be extracted: an unsafe name or layout.
    unsafe_names: bool,
    /// The pack's top folder: the first component of the first safe name.
    top: Option<String>,
    /// The checksums.
    expected: Expected,
    /// The signature, when one could be read.
    signature: Option<SignatureFound>,
}

impl Judged {
    /// Judges the layout the directory `written` describes (each local header against its
    /// record), the names as written, the checksums and the signature (checked with `key`).
    fn of(
        path: &Path,
        shared: &SharedFile,
        archive: &ZipArchive<SharedFile>,
        written: &Written,
        key: Option<&crate::keys::PublicKey>,
    ) -> Result<Judged, VerifyError> {
        let mut problems = Vec::new();
        let mut unsafe_names = written.at.is_none();
        if let Some(at) = written.at {
            let found = directory::structure(shared.file.as_ref(), at, &written.records).map_err(
                |source| VerifyError::Io {
                    path: path.to_owned(),
                    source,
                },
            )?;
            unsafe_names |= !found.is_empty();
            problems.extend(found.into_iter().map(|(name, message)| {
                entry_problem(path, Code::UnsafeArchive, &name, message, REBUILD)
            }));
        }
        let mut names = names::judge(path, &written.records);
        problems.append(&mut names.problems);
        unsafe_names |= names.unsafe_names;
        if archive.has_duplicate_names() && !problems.iter().any(|p| p.code == Code::DuplicateEntry)
        {
            unsafe_names = true;
            problems.push(entry_problem(
                path,
                Code::DuplicateEntry,
                "",
                "the archive holds entries with the same name".into(),
                "do not trust this archive",
            ));
        }
        let name = names.top.as_deref().unwrap_or_default();
        let mut expected = Expected::read(archive, name, path);
        problems.append(&mut expected.problems);
        let signature = signature::judge(archive, path, name, &mut expected, key, &mut problems);
        Ok(Judged {
            problems,
            unsafe_names,
            top: names.top,
            expected,
            signature,
        })
    }

    /// The pack's top folder; empty when no name is safe.
    fn name(&self) -> &str {
        self.top.as_deref().unwrap_or_default()
    }
}

/// What the read-back found of one entry of the ZIP library's list.
#[derive(Clone, Copy)]
enum Found {
    /// A folder, or an entry whose name the ZIP library cannot give: no file to compare.
    NoFile,
    /// A file not read: refused by its ratio, or one that could not be read (said apart).
    Unread,
    /// A file read back whole, and its SHA-256.
    Read([u8; 32]),
}

/// Every file entry read back.
struct ReadBacks {
    /// What was found of each entry, by the ZIP library's index.
    found: Vec<Found>,
    /// Bytes read.
    bytes: u64,
    /// Entries that could not be read, and why.
    faults: Vec<(String, String, bool)>,
    /// The first extracted file that could not be written, and why.
    extract_failed: Option<String>,
}

impl ReadBacks {
    fn problems(&self, pack: &Path) -> Vec<Problem> {
        self.faults
            .iter()
            .map(|(n, e, foreign)| {
                let fix = if *foreign {
                    "the archive was repacked by another tool; ask the sender for the pack as assetpack built it"
                } else {
                    "the pack is damaged; download it again"
                };
                let message = format!("entry `{n}` cannot be read back: {e}");
                entry_problem(pack, Code::CorruptEntry, n, message, fix)
            })
            .collect()
    }
}

/// Reads every file entry back in parallel (writing it into `target` when given).
fn read_back(
    archive: &ZipArchive<SharedFile>,
    refused: &BTreeSet<String>,
    target: Option<&Target>,
    progress: &dyn Progress,
) -> Result<ReadBacks, VerifyError> {
    // Names and sizes as the directory records them: nothing is read yet.
    let mut found = vec![Found::NoFile; archive.len()];
    let mut files: Vec<(usize, u64)> = Vec::with_capacity(archive.len());
    for (i, found) in found.iter_mut().enumerate() {
        match archive.name_for_index(i) {
            Some(Ok(n)) if n.ends_with('/') => {}
            Some(Ok(n)) if refused.contains(n.as_ref()) => *found = Found::Unread,
            Some(Ok(_)) => files.push((i, archive.by_index_data(i).map_or(0, |f| f.size()))),
            _ => {}
        }
    }
    let total: u64 = files.iter().map(|&(_, size)| size).sum();
    progress.begin(files.len() as u64, total);
    let results = read_biggest_first(archive, &mut files, target, progress);
    progress.finish();
    let mut out = ReadBacks {
        found,
        bytes: 0,
        faults: Vec::new(),
        extract_failed: None,
    };
    for (i, result) in results {
        out.found[i] = match result {
            Ok((digest, bytes)) => {
                out.bytes += bytes;
                Found::Read(digest)
            }
            Err(Fault::Cancelled) => return Err(VerifyError::Cancelled),
            Err(Fault::Extract(why)) => {
                let n = entry_name(archive, i).unwrap_or_default();
                out.extract_failed
                    .get_or_insert(format!("cannot write {n}: {why}"));
                Found::Unread
            }
            Err(Fault::Entry { what, foreign }) => {
                let n = entry_name(archive, i).unwrap_or_default();
                out.faults.push((n, what, foreign));
                Found::Unread
            }
        };
    }
    Ok(out)
}

/// Entries this big or bigger are read first, biggest first; smaller ones after, in the
/// archive's order.
const BIG: u64 = 1 << 20;

/// Smaller entries are handed out this many at a time: a worker reads neighbouring entries,
/// the archive in order, and takes its next run 64 entries later.
const RUN: usize = 64;

/// Reads the entries `files` lists (index and size), big ones first ([`BIG`]), each worker
/// taking the next one (or run of small ones, [`RUN`]) as soon as it is free, so that the cores finish together (a pack's
/// largest video is not read alone at the end); the results in the archive's order.
///
/// Each result holds the entry's index and its raw digest, nothing on the heap: a small
/// long-lived allocation per entry (a name, a hex string) lands in the memory the entry's
/// inflater has just freed, so the next inflater cannot reuse it and the heap grows with
/// the number of entries (267 MB for 20,000 entries on one thread, against 50 MB).
fn read_biggest_first(
    archive: &ZipArchive<SharedFile>,
    files: &mut [(usize, u64)],
    target: Option<&Target>,
    progress: &dyn Progress,
) -> Vec<(usize, ReadOne)> {
    files.sort_by_key(|&(i, size)| match size >= BIG {
        true => (std::cmp::Reverse(size), i),
        false => (std::cmp::Reverse(0), i),
    });
    let big = files.iter().take_while(|&&(_, size)| size >= BIG).count();
    let runs = (big..files.len()).step_by(RUN);
    let tasks: Vec<Range<usize>> = (0..big)
        .map(|k| k..k + 1)
        .chain(runs.map(|k| k..(k + RUN).min(files.len())))
        .collect();
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().clamp(1, tasks.len().max(1));
    let files = &*files;
    let mut results: Vec<(usize, ReadOne)> = (0..workers)
        .into_par_iter()
        .with_max_len(1)
        .flat_map_iter(|_| {
            let mut ar = archive.clone();
            let mut mine = Vec::with_capacity(files.len() / workers + 1);
            while let Some(task) = tasks.get(next.fetch_add(1, Ordering::Relaxed)) {
                for &(i, _) in files.get(task.clone()).unwrap_or_default() {
                    mine.push(read_one(&mut ar, i, target, progress));
                }
            }
            mine
        })
        .collect();
    results.sort_unstable_by_key(|&(i, _)| i);
    results
}

/// One entry read back: its SHA-256 and size, or why not.
type ReadOne = Result<([u8; 32], u64), Fault>;

/// Reads entry `i` back; a fault names a foreign method or a bad CRC plainly.
fn read_one(
    ar: &mut ZipArchive<SharedFile>,
    i: usize,
    target: Option<&Target>,
    progress: &dyn Progress,
) -> (usize, ReadOne) {
    let out = target.map(|t| t.path_of(&entry_name(ar, i).unwrap_or_default()));
    let read = CHUNK.with_borrow_mut(|buf| {
        if buf.is_empty() {
            buf.resize(1 << 20, 0);
        }
        extract::read_entry(ar, i, buf, out.as_deref(), progress)
    });
    let result = read.map_err(|f| {
        let Fault::Entry { what, .. } = f else {
            return f;
        };
        match foreign_entry(ar, i) {
            Some(why) => Fault::Entry {
                what: why,
                foreign: true,
            },
            None if what == "Invalid checksum" => {
                Fault::entry("its data does not match its CRC-32 (damaged bytes)".into())
            }
            None => Fault::entry(what),
        }
    });
    (i, result)
}

/// The file entries read back, sorted by the names the ZIP library gives them (of two entries
/// whose names it decodes alike, the later one), for [`compare`] and [`oxum`].
struct Files<'a>(Vec<(Cow<'a, str>, Found)>);

impl<'a> Files<'a> {
    /// The files among `found` (by index into `archive`).
    fn of(archive: &'a ZipArchive<SharedFile>, found: &[Found]) -> Files<'a> {
        let mut files: Vec<(Cow<'a, str>, usize, Found)> = found
            .iter()
            .enumerate()
            .filter(|(_, f)| !matches!(f, Found::NoFile))
            .filter_map(|(i, &f)| Some((archive.name_for_index(i)?.ok()?, i, f)))
            .collect();
        files.sort_unstable_by(|a, b| {
            (&a.0, std::cmp::Reverse(a.1)).cmp(&(&b.0, std::cmp::Reverse(b.1)))
        });
        files.dedup_by(|later, first| later.0 == first.0);
        Files(files.into_iter().map(|(n, _, f)| (n, f)).collect())
    }

    /// What was found of the file `name`, if the archive has one.
    fn get(&self, name: &str) -> Option<Found> {
        let at = self
            .0
            .binary_search_by(|(n, _)| n.as_ref().cmp(name))
            .ok()?;
        Some(self.0[at].1)
    }

    /// The files' names, in order.
    fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| n.as_ref())
    }
}

/// A digest in lower-case hex, as checksum files write it, without a string.
fn hex_of(digest: &[u8; 32]) -> [u8; 64] {
    let mut out = [0; 64];
    // 64 bytes is exactly what 32 need: this cannot fail.
    let _ = hex::encode_to_slice(digest, &mut out);
    out
}

/// Compares what was read with the checksums: missing, altered and extra files. The number
/// of files that matched.
fn compare(
    pack: &Path,
    name: &str,
    expected: &Expected,
    got: &Files,
    problems: &mut Vec<Problem>,
) -> usize {
    let mut matched = 0;
    for (n, h) in &expected.want {
        match got.get(n) {
            None => problems.push(entry_problem(
                pack,
                Code::MissingEntry,
                n,
                format!("`{n}` is listed in the checksums but not in the archive"),
                "the pack is incomplete; ask the sender for a new one",
            )),
            Some(Found::Read(g)) if hex_of(&g) != *h.as_bytes() => problems.push(entry_problem(
                pack,
                Code::AlteredEntry,
                n,
                format!(
                    "`{n}` has been altered (SHA-256 {}, expected {h})",
                    hex::encode(g)
                ),
                "do not use this file; ask the sender for a new pack",
            )),
            Some(Found::Read(_)) => matched += 1,
            Some(_) => {}
        }
    }
    if expected.damaged {
        return matched;
    }
    let inside = format!("{name}/");
    for n in got.names() {
        if !expected.want.contains_key(n)
            && !expected.unchecked.iter().any(|u| u == n)
            && n.starts_with(&inside)
        {
            problems.push(entry_problem(
                pack,
                Code::ExtraEntry,
                n,
                format!("`{n}` is in the archive but no checksum covers it"),
                "it was added after the pack was built: do not trust it",
            ));
        }
    }
    matched
}

/// Moves an intact pack into place; anything else leaves nothing behind.
fn finish_extract(
    target: Option<Target>,
    name: &str,
    ok: bool,
    failed: Option<String>,
) -> Result<Option<PathBuf>, VerifyError> {
    let Some(target) = target else {
        return Ok(None);
    };
    if let Some(why) = failed {
        return Err(VerifyError::Extract {
            path: target.dir.clone(),
            message: format!("{why}; nothing was extracted"),
        });
    }
    if !ok {
        return Ok(None);
    }
    target.commit(name).map(Some)
}

/// Checks the bag's Payload-Oxum (`bytes.files` of the payload).
fn oxum(
    archive: &ZipArchive<SharedFile>,
    name: &str,
    got: &Files,
    pack: &Path,
    problems: &mut Vec<Problem>,
) {
    let info_name = format!("{name}/bag-info.txt");
    let mut ar = archive.clone();
    let Ok(mut f) = ar.by_name(&info_name) else {
        return;
    };
    let mut text = String::new();
    if f.by_ref().take(1 << 20).read_to_string(&mut text).is_err() {
        return;
    }
    let Some(declared) = text
        .lines()
        .find_map(|l| l.strip_prefix("Payload-Oxum:"))
        .map(|v| v.trim().to_owned())
    else {
        return;
    };
    let prefix = format!("{name}/data/");
    let payload: Vec<&str> = got.names().filter(|k| k.starts_with(&prefix)).collect();
    let mut bytes = 0;
    for k in &payload {
        if let Some(i) = archive.index_for_name(k) {
            if let Ok(f) = archive.clone().by_index_raw(i) {
                bytes += f.size();
            }
        }
    }
    let actual = format!("{bytes}.{}", payload.len());
    if declared != actual {
        problems.push(entry_problem(
            pack,
            Code::AlteredEntry,
            &info_name,
            format!("bag-info.txt says Payload-Oxum {declared}, the payload is {actual}"),
            "files were added or removed: ask the sender for a new pack",
        ));
    }
}

thread_local! {
    /// Each reader thread's 1 MiB read buffer, made once per thread: rayon calls a
    /// `map_init` initialiser once per job split, hundreds of times on a pack of many small
    /// files, and a fresh megabyte each time only made the heap grow and shrink.
    static CHUNK: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Why an entry that could not be read back is one no assetpack pack holds, if it is.
fn foreign_entry(ar: &mut ZipArchive<SharedFile>, i: usize) -> Option<String> {
    let f = ar.by_index_raw(i).ok()?;
    if f.encrypted() {
        return Some("it is encrypted, and a pack never is".into());
    }
    match f.compression() {
        zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated => None,
        m => {
            // A number is what the archive records; `to_u16` is deprecated only for matching.
            #[allow(deprecated)]
            let n = m.to_u16();
            Some(format!(
                "it uses compression method {n} ({}); a pack is only stored or deflated",
                zip::CompressionMethod::name_from_u16(n)
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes in memory, counting the reads that reach them.
    struct Counted(Vec<u8>, Mutex<usize>);

    impl ReadAt for Counted {
        fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
            *self.1.lock().unwrap() += 1;
            self.0.read_at(buf, offset)
        }
        fn len(&self) -> u64 {
            self.0.len() as u64
        }
    }

    /// Small reads one after another are served from what was read ahead; seeks, large
    /// reads, clones and the end of the pack all give the bytes where they are.
    #[test]
    fn a_shared_file_reads_ahead_only_what_carries_on_and_gives_the_bytes_as_they_are() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let counted = Arc::new(Counted(bytes.clone(), Mutex::new(0)));
        let mut f = SharedFile::new(counted.clone());
        let mut got = Vec::new();
        let mut small = [0u8; 46];
        for _ in 0..1000 {
            f.read_exact(&mut small).unwrap();
            got.extend_from_slice(&small);
        }
        assert!(got == bytes[..46_000], "{} bytes read", got.len());
        assert!(
            *counted.1.lock().unwrap() < 10,
            "{} reads",
            counted.1.lock().unwrap()
        );
        let mut clone = f.clone();
        for (at, len) in [
            (99_990u64, 46usize),
            (5, 20_000),
            (40_000, 3),
            (100_000, 10),
        ] {
            for reader in [&mut f, &mut clone] {
                reader.seek(SeekFrom::Start(at)).unwrap();
                let mut buf = vec![0; len];
                let mut n = 0;
                while n < len {
                    match reader.read(&mut buf[n..]).unwrap() {
                        0 => break,
                        k => n += k,
                    }
                }
                let end = (at as usize + len).min(bytes.len());
                assert!(
                    buf[..n] == bytes[(at as usize).min(end)..end],
                    "at {at}: {n} bytes"
                );
            }
        }
    }

    /// Big entries are read first, biggest first, the rest in order, and every result
    /// comes back in the archive's order with its entry's digest and size.
    #[test]
    fn entries_read_big_ones_first_come_back_in_the_archives_order() {
        use sha2::{Digest, Sha256};
        use std::io::Write;
        let mut bodies: Vec<Vec<u8>> = vec![
            b"small".to_vec(),
            vec![1; 3 << 20],
            b"tiny".to_vec(),
            vec![2; 4 << 20],
        ];
        // More small ones than a run holds.
        bodies.extend((0..2 * RUN + 5).map(|i| format!("entry {i}").into_bytes()));
        let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (i, body) in bodies.iter().enumerate() {
            w.start_file(format!("f{i}"), stored).unwrap();
            w.write_all(body).unwrap();
        }
        let bytes = w.finish().unwrap().into_inner();
        let file: Arc<dyn ReadAt + Send + Sync> = Arc::new(Counted(bytes, Mutex::new(0)));
        let archive = ZipArchive::new(SharedFile::new(file)).unwrap();
        let mut files: Vec<(usize, u64)> = (0..bodies.len())
            .map(|i| (i, bodies[i].len() as u64))
            .collect();
        let got = read_biggest_first(&archive, &mut files, None, &crate::NoProgress);
        let order: Vec<usize> = files.iter().map(|&(i, _)| i).collect();
        assert_eq!(order[..5], [3, 1, 0, 2, 4]);
        assert_eq!(got.len(), bodies.len());
        for (at, (i, result)) in got.iter().enumerate() {
            assert_eq!(*i, at);
            let Ok((digest, len)) = result else {
                panic!("entry {i} not read");
            };
            assert_eq!(*len, bodies[at].len() as u64);
            assert_eq!(digest[..], Sha256::digest(&bodies[at])[..]);
        }
    }
}
