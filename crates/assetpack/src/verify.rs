//! Verifying a pack on the receiving side, and extracting it safely.
//!
//! [`verify`] judges every entry name *as written in the archive* (it never sanitises first:
//! absolute paths, `..`, backslashes, drive letters, control characters, Windows reserved
//! names and symbolic-link entries are problems), finds duplicate names in the central
//! directory (and names one file on Windows or macOS would hold: case, accents, a file that is
//! also a folder), checks the layout the directory describes (each local header names its
//! entry the same way, entries do not share bytes, no bytes lie outside every entry, folder
//! entries hold no data), then re-reads every entry in parallel — which also checks its CRC — and compares
//! its SHA-256 with `SHA256SUMS` (or, for a BagIt pack, the bag's manifests). Missing, extra and
//! altered files are reported by name. A readable ZIP without checksums is not a pack.
//!
//! With [`VerifyOptions::extract`], the entries are written while they are verified into a
//! fresh temporary folder inside the target, and moved into place only when everything
//! verified; otherwise the folder is removed. Nothing is written outside the target, and
//! nothing is written through a link.
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

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use zip::ZipArchive;

use crate::problem::{Code, Problem, Tally};
use crate::progress::Progress;
use crate::safe_path;
use crate::sums;

/// Options for [`verify`].
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// Extract a pack that verifies into this folder (`DIR/<name>/…`).
    pub extract: Option<PathBuf>,
}

/// What [`verify`] found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Verification {
    /// True when the pack is complete and untouched.
    pub ok: bool,
    /// Every problem, by entry name.
    pub problems: Vec<Problem>,
    /// What was verified.
    pub summary: VerifySummary,
}

/// Counts of a verification.
#[derive(Clone, Debug, Default, Serialize)]
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
}

/// Why verification could not run (the CLI exits 2).
#[derive(Debug, thiserror::Error)]
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

/// A file shared between threads, read with positioned reads so clones seek independently.
#[derive(Clone)]
struct SharedFile {
    file: Arc<File>,
    pos: u64,
    len: u64,
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = crate::content::ReadAt::read_at(
            &crate::content::FileAt {
                file: &self.file,
                len: self.len,
            },
            buf,
            self.pos,
        )?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
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

/// One central-directory record, as written.
struct RawEntry {
    name: Vec<u8>,
    /// Unix mode from the external attributes, when the entry was made on Unix.
    unix_mode: Option<u32>,
    /// General-purpose flags.
    flags: u16,
    /// Where its local header starts.
    offset: u64,
    /// Compressed and uncompressed sizes.
    compressed: u64,
    uncompressed: u64,
    /// The CRC-32 the directory records.
    crc: u32,
}

/// Little-endian integers from untrusted bytes: `None` past the end.
fn get16(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}
fn get64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Applies a ZIP64 extra field (id 1) to the values the record marks with `0xFFFFFFFF`.
fn zip64_values(extra: &[u8], e: &mut RawEntry) -> Option<()> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let id = get16(extra, at)?;
        let size = get16(extra, at + 2)? as usize;
        let data = extra.get(at + 4..at + 4 + size)?;
        if id == 1 {
            let mut p = 0;
            for v in [&mut e.uncompressed, &mut e.compressed, &mut e.offset] {
                if *v == 0xFFFF_FFFF {
                    *v = get64(data, p)?;
                    p += 8;
                }
            }
        }
        at += 4 + size;
    }
    Some(())
}

fn le16(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
}
fn le32(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]))
}
fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]))
}

fn read_exact_at(file: &File, len: u64, at: u64, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; n];
    let got = crate::content::ReadAt::read_at(&crate::content::FileAt { file, len }, &mut buf, at)?;
    if got < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the archive is cut short",
        ));
    }
    Ok(buf)
}

/// Every central-directory record, duplicates included (the ZIP library keeps one per name),
/// where the directory starts, and by how much every recorded offset falls short of where
/// things are (bytes joined to the front of the archive; 0 for an archive as written).
fn central_directory(file: &File, len: u64) -> io::Result<(Vec<RawEntry>, u64, u64)> {
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_owned());
    let tail_len = len.min(65_557) as usize;
    let tail = read_exact_at(file, len, len - tail_len as u64, tail_len)?;
    let eocd = tail
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .ok_or_else(|| bad("no end of central directory"))?;
    if tail.len() < eocd + 22 {
        return Err(bad("short end record"));
    }
    let eocd_pos = len - tail_len as u64 + eocd as u64;
    let mut count = le16(&tail, eocd + 10) as u64;
    let mut size = le32(&tail, eocd + 12);
    let mut declared = le32(&tail, eocd + 16);
    let mut end = eocd_pos;
    if count == 0xFFFF || size == 0xFFFF_FFFF || le32(&tail, eocd + 16) == 0xFFFF_FFFF {
        let loc = eocd_pos
            .checked_sub(20)
            .ok_or_else(|| bad("no ZIP64 locator"))?;
        let l = read_exact_at(file, len, loc, 20)?;
        if &l[..4] != b"PK\x06\x07" {
            return Err(bad("no ZIP64 locator"));
        }
        let z = le64(&l, 8);
        let z = read_exact_at(file, len, z.min(len), 56)?;
        if &z[..4] != b"PK\x06\x06" {
            return Err(bad("no ZIP64 end record"));
        }
        count = le64(&z, 32);
        size = le64(&z, 40);
        declared = le64(&z, 48);
        end = loc - (56 + le64(&z, 4).saturating_sub(44)).min(loc);
    }
    let start = end
        .checked_sub(size)
        .ok_or_else(|| bad("central directory too large"))?;
    if size > len || count > size / 46 + 1 {
        return Err(bad("central directory sizes do not add up"));
    }
    let cd = read_exact_at(file, len, start, size as usize)?;
    let mut out = Vec::with_capacity(count as usize);
    let mut at = 0;
    while at + 46 <= cd.len() && &cd[at..at + 4] == b"PK\x01\x02" {
        let made_by = cd[at + 5];
        let name_len = le16(&cd, at + 28);
        let extra = le16(&cd, at + 30);
        let comment = le16(&cd, at + 32);
        let attrs = le32(&cd, at + 38) as u32;
        let name_end = at + 46 + name_len;
        if name_end + extra > cd.len() {
            return Err(bad("central directory record runs past its end"));
        }
        let mut entry = RawEntry {
            name: cd[at + 46..name_end].to_vec(),
            unix_mode: (made_by == 3).then_some(attrs >> 16),
            flags: le16(&cd, at + 8) as u16,
            offset: le32(&cd, at + 42),
            compressed: le32(&cd, at + 20),
            uncompressed: le32(&cd, at + 24),
            crc: le32(&cd, at + 16) as u32,
        };
        zip64_values(&cd[name_end..name_end + extra], &mut entry)
            .ok_or_else(|| bad("a ZIP64 extra field runs past its end"))?;
        out.push(entry);
        at = name_end + extra + comment;
    }
    Ok((out, start, start.saturating_sub(declared)))
}

/// Checks the archive's layout against its central directory: every local header names its
/// entry as the directory does, entries neither overlap nor leave bytes between them that
/// belong to no entry, nothing precedes the first entry, and folder entries hold no data.
/// Returns `(entry name, message)` for each problem.
fn structure(
    file: &File,
    len: u64,
    (cd_start, shift): (u64, u64),
    raw: &[RawEntry],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut spans: Vec<(u64, u64, bool, &[u8])> = Vec::with_capacity(raw.len());
    for e in raw {
        let shown = String::from_utf8_lossy(&e.name).into_owned();
        if e.name.ends_with(b"/") && e.uncompressed > 0 {
            out.push((
                shown.clone(),
                format!(
                    "the folder entry `{shown}` holds {} bytes of data",
                    e.uncompressed
                ),
            ));
        } else if e.name.ends_with(b"/") && e.crc != 0 {
            // Nothing has a CRC-32 but 0: readers such as 7-Zip call this entry damaged.
            out.push((
                shown.clone(),
                format!(
                    "the folder entry `{shown}` records CRC-32 {:08x}, but no data has one",
                    e.crc
                ),
            ));
        }
        let offset = e.offset.saturating_add(shift);
        let head = offset
            .checked_add(30 + e.name.len() as u64)
            .filter(|&end| end <= cd_start)
            .and_then(|_| read_exact_at(file, len, offset, 30 + e.name.len()).ok());
        let Some(head) = head.filter(|h| h.starts_with(b"PK\x03\x04")) else {
            out.push((
                shown.clone(),
                format!("the entry `{shown}` has no local header where the directory says"),
            ));
            continue;
        };
        let local_name_len = le16(&head, 26);
        let local_extra = le16(&head, 28) as u64;
        let start = offset;
        let end = offset + 30 + local_name_len as u64 + local_extra + e.compressed;
        spans.push((start, end, e.flags & 8 != 0, &e.name));
        if local_name_len != e.name.len() || head[30..] != e.name[..] {
            let local = read_exact_at(file, len, offset + 30, local_name_len)
                .map(|n| String::from_utf8_lossy(&n).into_owned())
                .unwrap_or_default();
            out.push((
                shown.clone(),
                format!(
                    "the entry `{shown}` is named {local:?} in its local header: tools that read local headers would write it elsewhere"
                ),
            ));
        }
    }
    spans.sort_unstable();
    let mut at = 0u64;
    let mut after: Option<(&[u8], bool)> = None;
    for &(start, end, descriptor, name) in
        spans
            .iter()
            .chain(std::iter::once(&(cd_start, cd_start, false, &b""[..])))
    {
        let shown = String::from_utf8_lossy(name).into_owned();
        // A data descriptor (at most 24 bytes) may follow an entry that has the flag.
        let allowed = match after {
            Some((_, true)) => 24,
            _ => 0,
        };
        if start < at {
            out.push((
                shown.clone(),
                format!("the entry `{shown}` shares bytes with the entry before it"),
            ));
        } else if start - at > allowed {
            let what = match after {
                None => format!("{} bytes before the first entry", start - at),
                Some((prev, _)) => format!(
                    "{} bytes after `{}` that belong to no entry",
                    start - at,
                    String::from_utf8_lossy(prev)
                ),
            };
            out.push((shown.clone(), format!("the archive holds {what}")));
        }
        at = at.max(end);
        after = Some((name, descriptor));
    }
    out
}

/// Names that differ only by case or Unicode normalisation (one file on Windows and macOS),
/// and a file that is also a folder. True when there are any.
fn clashes(pack: &Path, raw: &[RawEntry], problems: &mut Vec<Problem>) -> bool {
    let mut keys: Vec<(String, &str)> = raw
        .iter()
        .filter_map(|e| std::str::from_utf8(&e.name).ok())
        .map(|n| (safe_path::clash_key(n.strip_suffix('/').unwrap_or(n)), n))
        .collect();
    keys.sort_unstable();
    keys.dedup_by(|a, b| a.1 == b.1);
    let before = problems.len();
    for pair in keys.windows(2) {
        let ((k1, n1), (k2, n2)) = (&pair[0], &pair[1]);
        let (f1, f2) = (
            n1.strip_suffix('/').unwrap_or(n1),
            n2.strip_suffix('/').unwrap_or(n2),
        );
        if k1 == k2 && f1 != f2 {
            problems.push(entry_problem(
                pack,
                Code::DuplicateEntry,
                n2,
                format!("entries `{n1}` and `{n2}` differ only by case or by how accents are encoded: they are one file on Windows and macOS"),
                "do not trust this archive: which copy a tool extracts differs between tools",
            ));
        }
    }
    let files: Vec<&(String, &str)> = keys.iter().filter(|(_, n)| !n.ends_with('/')).collect();
    for (key, name) in files {
        let prefix = format!("{key}/");
        let at = keys.partition_point(|(k, _)| k.as_str() < prefix.as_str());
        if let Some((k, other)) = keys.get(at) {
            if k.starts_with(&prefix) {
                problems.push(entry_problem(
                    pack,
                    Code::UnsafeEntry,
                    name,
                    format!(
                        "`{name}` is a file, but `{other}` puts it in a folder of the same name"
                    ),
                    "do not extract this archive; ask the sender for a clean pack",
                ));
            }
        }
    }
    problems.len() > before
}

fn entry_problem(pack: &Path, code: Code, name: &str, message: String, fix: &str) -> Problem {
    let mut p = Problem::new(code, message, fix);
    if !name.is_empty() {
        p = p.with_file(name);
    }
    p.manifest = Some(pack.to_owned());
    p
}

/// Verifies the pack at `path`; see the module docs.
pub fn verify(
    path: &Path,
    options: &VerifyOptions,
    progress: &dyn Progress,
) -> Result<Verification, VerifyError> {
    let io_err = |source| VerifyError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(VerifyError::Io {
            path: path.to_owned(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
        });
    }
    let len = meta.len();
    let shared = SharedFile {
        file: Arc::new(file),
        pos: 0,
        len,
    };
    let archive = ZipArchive::new(shared.clone()).map_err(|e| VerifyError::NotZip {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    let mut problems = Vec::new();
    let mut summary = VerifySummary::default();

    // 1. Names as written, from the central directory itself, and the archive's layout.
    let mut unsafe_names = false;
    let raw = match central_directory(&shared.file, len) {
        Ok((raw, cd_start, shift)) => {
            for (name, message) in structure(&shared.file, len, (cd_start, shift), &raw) {
                unsafe_names = true;
                problems.push(entry_problem(
                    path,
                    Code::UnsafeArchive,
                    &name,
                    message,
                    "do not extract this archive; ask the sender for the pack as assetpack built it",
                ));
            }
            raw
        }
        Err(e) => {
            unsafe_names = true;
            problems.push(entry_problem(
                path,
                Code::UnsafeArchive,
                "",
                format!("the central directory cannot be read as written: {e}"),
                "do not extract this archive; ask the sender for the pack as assetpack built it",
            ));
            Vec::new()
        }
    };
    summary.entries = raw.len();
    let mut seen: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
    let mut top: Option<String> = None;
    for e in &raw {
        let shown = String::from_utf8_lossy(&e.name).into_owned();
        *seen.entry(e.name.clone()).or_default() += 1;
        let Ok(name) = std::str::from_utf8(&e.name) else {
            unsafe_names = true;
            problems.push(entry_problem(
                path,
                Code::UnsafeEntry,
                &shown,
                format!("entry name {shown:?} is not UTF-8"),
                "rebuild the pack with UTF-8 names",
            ));
            continue;
        };
        let file_type = e.unix_mode.map_or(0, |m| m & 0o170000);
        let is_link = file_type == 0o120000;
        if is_link {
            unsafe_names = true;
            problems.push(entry_problem(
                path,
                Code::UnsafeEntry,
                name,
                format!("entry `{name}` is a symbolic link"),
                "do not extract this archive; a pack never holds links",
            ));
        } else if !matches!(file_type, 0 | 0o100000 | 0o040000) {
            unsafe_names = true;
            problems.push(entry_problem(
                path,
                Code::UnsafeEntry,
                name,
                format!(
                    "entry `{name}` is a special file (Unix type {:o}), not a file or folder",
                    file_type >> 12
                ),
                "do not extract this archive; a pack holds only files and folders",
            ));
        }
        if e.unix_mode.is_some_and(|m| m & 0o6000 != 0) {
            unsafe_names = true;
            problems.push(entry_problem(
                path,
                Code::UnsafeEntry,
                name,
                format!("entry `{name}` is marked set-user-ID or set-group-ID"),
                "do not extract this archive with `unzip -K`; a pack never holds such files",
            ));
        }
        let plain = name.strip_suffix('/').unwrap_or(name);
        if let Err(why) = safe_path::check(plain) {
            unsafe_names = true;
            problems.push(entry_problem(
                path,
                Code::UnsafeEntry,
                name,
                format!("entry name {name:?} is unsafe: {why}"),
                "do not extract this archive with ordinary tools; ask the sender for a clean pack",
            ));
            continue;
        }
        let first = plain.split('/').next().unwrap_or(plain).to_owned();
        match &top {
            None => top = Some(first),
            Some(t) if *t != first => {
                problems.push(entry_problem(
                    path,
                    Code::ExtraEntry,
                    name,
                    format!("entry `{name}` is outside the pack's folder `{t}/`"),
                    "a pack has one top folder; ask the sender for a clean pack",
                ));
            }
            _ => {}
        }
    }
    unsafe_names |= clashes(path, &raw, &mut problems);
    for (name, n) in &seen {
        if *n > 1 {
            unsafe_names = true;
            let shown = String::from_utf8_lossy(name);
            problems.push(entry_problem(
                path,
                Code::DuplicateEntry,
                &shown,
                format!("entry `{shown}` appears {n} times"),
                "do not trust this archive: which copy a tool extracts differs between tools",
            ));
        }
    }
    if archive.has_duplicate_names() && !seen.values().any(|n| *n > 1) {
        unsafe_names = true;
        problems.push(entry_problem(
            path,
            Code::DuplicateEntry,
            "",
            "the archive holds entries with the same name".into(),
            "do not trust this archive",
        ));
    }
    let name = top.clone().unwrap_or_default();
    summary.name = top;

    // 2. The checksums.
    let read_small = |entry: &str| -> Option<Result<String, String>> {
        let mut ar = archive.clone();
        let mut f = ar.by_name(entry).ok()?;
        let mut s = String::new();
        Some(
            f.by_ref()
                .take(64 << 20)
                .read_to_string(&mut s)
                .map(|_| s)
                .map_err(|e| e.to_string()),
        )
    };
    let sums_name = format!("{name}/SHA256SUMS");
    // When the checksum file itself is damaged every file would look extra: say it once.
    let mut damaged_sums = false;
    let bag_name = format!("{name}/manifest-sha256.txt");
    let (layout, mut expected, covered_by_tags): (
        Option<&str>,
        Vec<(String, String)>,
        Vec<String>,
    ) = if let Some(text) = read_small(&sums_name) {
        match text.map(|t| sums::parse(sums::Format::Sha256sum, &t)) {
            Ok(Ok(list)) => (Some("plain"), list, vec!["SHA256SUMS".into()]),
            Ok(Err(sums::Malformed { line, text: what })) => {
                damaged_sums = true;
                problems.push(entry_problem(
                    path,
                    Code::NotAPack,
                    &sums_name,
                    format!("SHA256SUMS line {line} is not `HASH  path`: {what:?}"),
                    "the checksums are damaged; ask the sender for a new pack",
                ));
                (Some("plain"), Vec::new(), vec!["SHA256SUMS".into()])
            }
            // Reported below with the other entries that cannot be read back.
            Err(_) => {
                damaged_sums = true;
                (Some("plain"), Vec::new(), vec!["SHA256SUMS".into()])
            }
        }
    } else if let Some(text) = read_small(&bag_name) {
        let mut list = match text.map(|t| sums::parse(sums::Format::Bagit, &t)) {
            Ok(Ok(list)) => list,
            Ok(Err(sums::Malformed { line, text: what })) => {
                damaged_sums = true;
                problems.push(entry_problem(
                    path,
                    Code::NotAPack,
                    &bag_name,
                    format!("manifest-sha256.txt line {line} is malformed: {what:?}"),
                    "the bag's manifest is damaged; ask the sender for a new pack",
                ));
                Vec::new()
            }
            Err(_) => {
                damaged_sums = true;
                Vec::new()
            }
        };
        let tag_name = format!("{name}/tagmanifest-sha256.txt");
        match read_small(&tag_name) {
            Some(Ok(t)) => match sums::parse(sums::Format::Bagit, &t) {
                Ok(tags) => list.extend(tags),
                Err(sums::Malformed { line, text: what }) => problems.push(entry_problem(
                    path,
                    Code::NotAPack,
                    &tag_name,
                    format!("tagmanifest-sha256.txt line {line} is malformed: {what:?}"),
                    "the bag's tag manifest is damaged",
                )),
            },
            _ => problems.push(entry_problem(
                path,
                Code::MissingEntry,
                &tag_name,
                "the bag has no tagmanifest-sha256.txt".into(),
                "ask the sender for a complete pack",
            )),
        }
        if read_small(&format!("{name}/bagit.txt")).is_none() {
            problems.push(entry_problem(
                path,
                Code::MissingEntry,
                &format!("{name}/bagit.txt"),
                "the bag has no bagit.txt".into(),
                "ask the sender for a complete pack",
            ));
        }
        (Some("bagit"), list, vec!["tagmanifest-sha256.txt".into()])
    } else {
        problems.push(entry_problem(path, Code::NotAPack, "",
                format!("the archive has no `{}SHA256SUMS` or bag manifest: it is not an assetpack pack, so nothing can be verified",
                    if name.is_empty() { String::new() } else { format!("{name}/") }),
                "ask the sender for the pack as assetpack built it"));
        (None, Vec::new(), Vec::new())
    };
    summary.layout = layout.map(str::to_owned);
    expected.sort();
    let mut want: BTreeMap<String, String> = BTreeMap::new();
    for (p, h) in expected {
        let full = format!("{name}/{p}");
        if let Some(old) = want.insert(full.clone(), h.clone()) {
            if old != h {
                problems.push(entry_problem(
                    path,
                    Code::NotAPack,
                    &full,
                    format!("`{p}` is listed twice with different checksums"),
                    "the checksums are damaged; ask the sender for a new pack",
                ));
            }
        }
    }
    let unchecked: Vec<String> = covered_by_tags
        .iter()
        .map(|t| format!("{name}/{t}"))
        .collect();

    // 3. Extraction target.
    let target = match (&options.extract, layout.is_some() && !unsafe_names) {
        (Some(dir), true) => Some(prepare_extract(dir, &name)?),
        (Some(_), false) => None,
        (None, _) => None,
    };

    // 4. Read every file back in parallel: CRC, SHA-256, extraction.
    let files: Vec<usize> = (0..archive.len())
        .filter(|&i| entry_name(&archive, i).is_some_and(|n| !n.ends_with('/')))
        .collect();
    let total: u64 = files
        .iter()
        .filter_map(|&i| archive.clone().by_index_raw(i).ok().map(|f| f.size()))
        .sum();
    progress.begin(files.len() as u64, total);
    let results: Vec<ReadBack> = files
        .par_iter()
        .map_init(
            || archive.clone(),
            |ar, &i| {
                let name = entry_name(ar, i).unwrap_or_default();
                let out = target.as_ref().map(|t| t.temp.path().join(&name));
                let read = CHUNK.with_borrow_mut(|buf| {
                    if buf.is_empty() {
                        buf.resize(1 << 20, 0);
                    }
                    read_entry(ar, i, buf, out.as_deref(), progress)
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
                        None if what == "Invalid checksum" => Fault::entry(
                            "its data does not match its CRC-32 (damaged bytes)".into(),
                        ),
                        None => Fault::entry(what),
                    }
                });
                ReadBack { name, result }
            },
        )
        .collect();
    progress.finish();

    let mut got: BTreeMap<String, String> = BTreeMap::new();
    let mut extract_failed = None;
    for ReadBack { name: n, result } in results {
        match result {
            Ok((h, bytes)) => {
                summary.bytes += bytes;
                got.insert(n, h);
            }
            Err(Fault::Extract(why)) => {
                extract_failed.get_or_insert(format!("cannot write {n}: {why}"));
                got.insert(n, String::new());
            }
            Err(Fault::Entry { what: e, foreign }) => {
                problems.push(entry_problem(
                    path,
                    Code::CorruptEntry,
                    &n,
                    format!("entry `{n}` cannot be read back: {e}"),
                    if foreign {
                        "the archive was repacked by another tool; ask the sender for the pack as assetpack built it"
                    } else {
                        "the pack is damaged; download it again"
                    },
                ));
                got.insert(n, String::new());
            }
        }
    }
    if layout.is_some() {
        for (n, h) in &want {
            match got.get(n) {
                None => problems.push(entry_problem(
                    path,
                    Code::MissingEntry,
                    n,
                    format!("`{n}` is listed in the checksums but not in the archive"),
                    "the pack is incomplete; ask the sender for a new one",
                )),
                Some(g) if g.is_empty() => {}
                Some(g) if g != h => problems.push(entry_problem(
                    path,
                    Code::AlteredEntry,
                    n,
                    format!("`{n}` has been altered (SHA-256 {g}, expected {h})"),
                    "do not use this file; ask the sender for a new pack",
                )),
                Some(_) => summary.files += 1,
            }
        }
        for n in got.keys().filter(|_| !damaged_sums) {
            if !want.contains_key(n) && !unchecked.contains(n) && n.starts_with(&format!("{name}/"))
            {
                problems.push(entry_problem(
                    path,
                    Code::ExtraEntry,
                    n,
                    format!("`{n}` is in the archive but no checksum covers it"),
                    "it was added after the pack was built: do not trust it",
                ));
            }
        }
    }
    if layout == Some("bagit") {
        oxum(&archive, &name, &got, path, &mut problems);
    }

    problems.sort_by(|a, b| (a.file.as_deref(), a.code).cmp(&(b.file.as_deref(), b.code)));
    let tally = Tally::of(&problems);
    summary.errors = tally.errors;
    let ok = tally.errors == 0;
    if let (Some(t), Some(why)) = (&target, extract_failed) {
        // The temporary folder (and what was written into it) goes when `target` drops.
        return Err(VerifyError::Extract {
            path: t.dir.clone(),
            message: format!("{why}; nothing was extracted"),
        });
    }
    if let Some(t) = target {
        if ok {
            let dest = t.dir.join(&name);
            fs::rename(t.temp.path().join(&name), &dest).map_err(|e| VerifyError::Extract {
                path: dest.clone(),
                message: e.to_string(),
            })?;
            summary.extracted = Some(dest);
        }
        // The temporary folder (and anything left in it) goes when `t` drops.
    }
    Ok(Verification {
        ok,
        problems,
        summary,
    })
}

/// Checks the bag's Payload-Oxum (`bytes.files` of the payload).
fn oxum(
    archive: &ZipArchive<SharedFile>,
    name: &str,
    got: &BTreeMap<String, String>,
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
    let payload: Vec<&String> = got.keys().filter(|k| k.starts_with(&prefix)).collect();
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

/// One entry read back: its name, and its SHA-256 and size or why it could not be read.
struct ReadBack {
    name: String,
    /// The SHA-256 and size, or why the entry was not read back.
    result: Result<(String, u64), Fault>,
}

/// Why an entry was not read back.
enum Fault {
    /// The entry itself: a bad CRC, broken data, or (`foreign`) an encryption or compression
    /// method no pack uses.
    Entry { what: String, foreign: bool },
    /// Writing its extracted copy failed (a full disk, permissions): not the pack's fault.
    Extract(String),
}

impl Fault {
    fn entry(what: String) -> Self {
        Fault::Entry {
            what,
            foreign: false,
        }
    }
    fn extract(e: &io::Error) -> Self {
        Fault::Extract(e.to_string())
    }
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

struct Target {
    dir: PathBuf,
    temp: tempfile::TempDir,
}

fn prepare_extract(dir: &Path, name: &str) -> Result<Target, VerifyError> {
    let err = |message: String| VerifyError::Extract {
        path: dir.to_owned(),
        message,
    };
    match fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(err(
                "the folder is a symbolic link; give the real folder".into()
            ))
        }
        Ok(m) if !m.is_dir() => return Err(err("it is not a folder".into())),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(err("the folder does not exist; create it first".into()))
        }
        Err(e) => return Err(err(e.to_string())),
    }
    let dest = dir.join(name);
    if fs::symlink_metadata(&dest).is_ok() {
        return Err(err(format!(
            "{} already exists; remove it or extract somewhere else",
            dest.display()
        )));
    }
    let temp = tempfile::Builder::new()
        .prefix(".assetpack-extract-")
        .tempdir_in(dir)
        .map_err(|e| err(e.to_string()))?;
    Ok(Target {
        dir: dir.to_owned(),
        temp,
    })
}

/// Reads entry `i` (checking its CRC), hashes it, and writes it to `out` when given.
fn read_entry(
    ar: &mut ZipArchive<SharedFile>,
    i: usize,
    buf: &mut [u8],
    out: Option<&Path>,
    progress: &dyn Progress,
) -> Result<(String, u64), Fault> {
    let mut f = ar.by_index(i).map_err(|e| Fault::entry(e.to_string()))?;
    let declared = f.size();
    let mut writer = match out {
        Some(p) => {
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent).map_err(|e| Fault::extract(&e))?;
            }
            let file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(p)
                .map_err(|e| Fault::extract(&e))?;
            Some(io::BufWriter::with_capacity(1 << 20, file))
        }
        None => None,
    };
    let mut hasher = Sha256::new();
    let mut n = 0u64;
    loop {
        let k = match f.read(buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Fault::entry(e.to_string())),
        };
        n += k as u64;
        if n > declared {
            return Err(Fault::entry(format!(
                "it holds more than the {declared} bytes it declares"
            )));
        }
        hasher.update(&buf[..k]);
        if let Some(w) = writer.as_mut() {
            w.write_all(&buf[..k]).map_err(|e| Fault::extract(&e))?;
        }
        progress.advance(k as u64);
    }
    if n != declared {
        return Err(Fault::entry(format!(
            "it holds {n} bytes, not the {declared} it declares"
        )));
    }
    if let Some(w) = writer {
        let file = w.into_inner().map_err(|e| Fault::extract(e.error()))?;
        file.sync_all().map_err(|e| Fault::extract(&e))?;
    }
    Ok((hex::encode(hasher.finalize()), n))
}
