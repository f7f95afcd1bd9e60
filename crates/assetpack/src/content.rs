//! What a file really is: its media type from its bytes, and whether it is whole.
//!
//! [`inspect`] reads the first few kilobytes and, for formats with a known structure, a few
//! small pieces elsewhere (a PDF's cross-reference offset, PNG chunk headers, MP4 box headers,
//! a ZIP's end record). It never reads a file end to end, so it costs a handful of reads
//! whatever the file size, and it works on anything that implements [`ReadAt`]: a file on
//! disk or bytes in memory.
//!
//! ```
//! use assetpack::content::{inspect, media_type_for_path};
//!
//! let html = b"<!DOCTYPE html><html><body>Not a PDF</body></html>";
//! let found = inspect(&html[..]).unwrap();
//! assert_eq!(found.media_type, Some("text/html"));
//! assert_eq!(media_type_for_path("posters/a3.pdf"), Some("application/pdf"));
//! ```

use std::fs::File;
use std::io;
use std::path::Path;

/// Random-access reads, as from a file (`pread`) or a byte slice.
pub trait ReadAt {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read (0 at the end).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    /// Total length in bytes.
    fn len(&self) -> u64;
    /// True when the source holds no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Reads several ranges, each whole or (past the end) cut short. A source far away
    /// asks for them together; the default reads ranges that follow one another closely
    /// ([`NEAR`]) with one read, up to [`SPAN`] bytes at a time (the 20,000 local headers of
    /// a pack of small files: a few dozen reads, not 20,000).
    fn read_ranges(&self, ranges: &[std::ops::Range<u64>]) -> io::Result<Vec<Vec<u8>>> {
        let mut out = Vec::with_capacity(ranges.len());
        let mut rest = ranges;
        while !rest.is_empty() {
            let (run, later) = rest.split_at(close_run(rest));
            let span = run[0].start..run[run.len() - 1].end.max(run[0].start);
            let mut buf = vec![0; (span.end - span.start) as usize];
            let n = fill_with(&mut buf, |b, done| {
                self.read_at(b, span.start + done as u64)
            })?;
            for r in run {
                let from = ((r.start - span.start) as usize).min(n);
                let to = (r.end.saturating_sub(span.start) as usize).clamp(from, n);
                out.push(buf[from..to].to_vec());
            }
            rest = later;
        }
        Ok(out)
    }
}

/// Ranges read with one read when each starts at most this far past the end of the one
/// before it.
pub const NEAR: u64 = 16 << 10;

/// The most bytes one read of several ranges spans.
pub const SPAN: u64 = 1 << 20;

/// How many of `ranges` (at least one) one read takes: those that each start at or after
/// the end of the one before, at most [`NEAR`] past it, all within [`SPAN`] of the first.
fn close_run(ranges: &[std::ops::Range<u64>]) -> usize {
    let first = &ranges[0];
    let mut end = first.end.max(first.start);
    let mut n = 1;
    for r in &ranges[1..] {
        let follows = r.start >= end && r.start - end <= NEAR && r.end >= r.start;
        if !follows || r.end - first.start > SPAN {
            break;
        }
        end = r.end;
        n += 1;
    }
    n
}

impl ReadAt for [u8] {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(<[u8]>::len(self));
        let n = buf.len().min(<[u8]>::len(self) - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
}

/// Opens a file for reading, and its length, without ever blocking on a FIFO or device that
/// the path may turn out to be: anything but a regular file is an
/// [`io::ErrorKind::InvalidInput`] error, and nothing is read from it.
pub fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    regular(options.open(path)?)
}

fn regular(file: File) -> io::Result<(File, u64)> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok((file, meta.len()))
}

/// Inside an [`io::Error`] from [`open_below`]: the path leads out of its folder through a
/// symbolic link (or, where the system cannot tell where a link leads, goes through one).
#[derive(Debug, thiserror::Error)]
#[error("it goes through a symbolic link out of the provider's folder, and links are not followed out of it")]
pub struct LeadsOutside;

impl LeadsOutside {
    /// True when `e` is this error.
    pub fn is(e: &io::Error) -> bool {
        e.get_ref().is_some_and(|inner| inner.is::<LeadsOutside>())
    }
}

/// Opens the regular file `rel` below the folder `base` (a manifest's `base`) like
/// [`open_regular`], resolving `rel` so that no symbolic link leads outside `base`, at the
/// moment of opening: a folder swapped for a link after a check cannot make a build read a
/// file from elsewhere. `base` itself may be reached through links.
///
/// On Linux this is one `openat2` call with `RESOLVE_BENEATH` (links that stay inside `base`
/// are followed, as `check` allows them); elsewhere, or where `openat2` is not available,
/// every part of `rel` is opened with `O_NOFOLLOW`, so no link is followed at all. An escape
/// is an error holding [`LeadsOutside`].
pub fn open_below(base: &Path, rel: &Path) -> io::Result<(File, u64)> {
    #[cfg(unix)]
    {
        below::open(base, rel).and_then(regular)
    }
    #[cfg(not(unix))]
    {
        open_regular(&base.join(rel))
    }
}

/// Makes [`open_below`] open each provider folder afresh from here on (it keeps the last one
/// open per thread). Every check, plan and pack calls it as it starts, so a folder replaced
/// between two builds of one long-running program is the new one; within one build, the
/// folder opened first is the one read.
pub fn forget_folders() {
    #[cfg(unix)]
    below::GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// [`open_below`] on Unix. Hand-written over `rustix` because no crate of the field opens a
/// path beneath a folder with `openat2` and a portable fallback (cap-std follows links that
/// stay inside, but through its own resolver, a large dependency for one function).
#[cfg(unix)]
mod below {
    use std::cell::RefCell;
    use std::fs::File;
    use std::io;
    use std::os::fd::OwnedFd;
    use std::path::{Component, Path, PathBuf};
    use std::sync::atomic::{AtomicU64, Ordering};

    use rustix::fs::{openat, Mode, OFlags, CWD};

    use super::LeadsOutside;

    thread_local! {
        /// The folder last opened on this thread, in which generation: files are read folder
        /// by folder, so one entry saves an `open` and a `close` per file.
        static BASE: RefCell<Option<(PathBuf, u64, OwnedFd)>> = const { RefCell::new(None) };
    }

    /// Bumped by [`super::forget_folders`]: a folder opened in an older generation is opened
    /// again, so a long-running program sees a folder replaced between two builds.
    pub(super) static GENERATION: AtomicU64 = AtomicU64::new(0);

    const FILE: OFlags = OFlags::RDONLY
        .union(OFlags::CLOEXEC)
        .union(OFlags::NONBLOCK)
        .union(OFlags::NOCTTY);
    const DIR: OFlags = OFlags::RDONLY
        .union(OFlags::CLOEXEC)
        .union(OFlags::DIRECTORY);

    pub(super) fn open(base: &Path, rel: &Path) -> io::Result<File> {
        let generation = GENERATION.load(Ordering::Relaxed);
        BASE.with(|cache| {
            let mut cache = cache.borrow_mut();
            if cache
                .as_ref()
                .is_none_or(|(p, g, _)| p != base || *g != generation)
            {
                let fd = openat(CWD, base, DIR, Mode::empty())?;
                *cache = Some((base.to_path_buf(), generation, fd));
            }
            match cache.as_ref() {
                Some((_, _, dir)) => open_in(dir, rel),
                None => Err(io::ErrorKind::NotFound.into()),
            }
        })
    }

    fn escape() -> io::Error {
        io::Error::new(io::ErrorKind::PermissionDenied, LeadsOutside)
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn open_in(dir: &OwnedFd, rel: &Path) -> io::Result<File> {
        use rustix::fs::{openat2, ResolveFlags};
        use rustix::io::Errno;
        let how = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
        match openat2(dir, rel, FILE, Mode::empty(), how) {
            Ok(fd) => Ok(File::from(fd)),
            // Older kernels and some sandboxes: the strict walk.
            Err(Errno::NOSYS | Errno::PERM) => walk(dir, rel),
            Err(Errno::XDEV | Errno::LOOP) => Err(escape()),
            Err(e) => Err(e.into()),
        }
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn open_in(dir: &OwnedFd, rel: &Path) -> io::Result<File> {
        walk(dir, rel)
    }

    /// Opens `rel` one part at a time, never following a link.
    pub(super) fn walk(dir: &OwnedFd, rel: &Path) -> io::Result<File> {
        let parts: Vec<&std::ffi::OsStr> = rel
            .components()
            .map(|c| match c {
                Component::Normal(p) => Ok(p),
                _ => Err(io::Error::from(io::ErrorKind::InvalidInput)),
            })
            .collect::<io::Result<_>>()?;
        let Some((last, folders)) = parts.split_last() else {
            return Err(io::ErrorKind::InvalidInput.into());
        };
        let mut held: Option<OwnedFd> = None;
        for part in folders {
            let at = held.as_ref().unwrap_or(dir);
            let next = openat(at, *part, DIR | OFlags::NOFOLLOW, Mode::empty());
            held = Some(next.map_err(|e| refused(at, part, e))?);
        }
        let at = held.as_ref().unwrap_or(dir);
        let fd = openat(at, *last, FILE | OFlags::NOFOLLOW, Mode::empty());
        let fd = fd.map_err(|e| refused(at, last, e))?;
        Ok(File::from(fd))
    }

    /// Why `O_NOFOLLOW` refused `part`: a link is an escape, anything else is what it is.
    fn refused(at: &OwnedFd, part: &std::ffi::OsStr, e: rustix::io::Errno) -> io::Error {
        use rustix::fs::{statat, AtFlags, FileType};
        let link = statat(at, part, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink);
        if link {
            escape()
        } else {
            e.into()
        }
    }
}

/// A file with its length known (from the metadata already fetched).
pub struct FileAt<'a> {
    /// The open file.
    pub file: &'a File,
    /// Its length.
    pub len: u64,
}

/// A file read by positioned reads, owning it: [`FileAt`] that can be shared between threads.
#[derive(Debug)]
pub struct OwnedFileAt {
    /// The open file.
    pub file: File,
    /// Its length.
    pub len: u64,
}

impl ReadAt for OwnedFileAt {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        FileAt {
            file: &self.file,
            len: self.len,
        }
        .read_at(buf, offset)
    }
    fn len(&self) -> u64 {
        self.len
    }
}

/// Any reader that can seek, read at positions by taking turns: for sources that have no
/// positioned reads of their own (an in-memory buffer, a network stream with ranges).
#[derive(Debug)]
pub struct Locked<R> {
    inner: std::sync::Mutex<R>,
    len: u64,
}

impl<R: io::Read + io::Seek> Locked<R> {
    /// Wraps `reader`, measuring its length.
    pub fn new(mut reader: R) -> io::Result<Locked<R>> {
        let len = reader.seek(io::SeekFrom::End(0))?;
        Ok(Locked {
            inner: std::sync::Mutex::new(reader),
            len,
        })
    }
}

impl<R: io::Read + io::Seek> ReadAt for Locked<R> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut r = self
            .inner
            .lock()
            .map_err(|_| io::Error::other("a reader of this source panicked"))?;
        r.seek(io::SeekFrom::Start(offset))?;
        fill_with(buf, |b, _| r.read(b))
    }
    fn len(&self) -> u64 {
        self.len
    }
}

impl ReadAt for FileAt<'_> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        #[cfg(unix)]
        use std::os::unix::fs::FileExt as _;
        #[cfg(windows)]
        use std::os::windows::fs::FileExt as _;
        fill_with(buf, |b, done| {
            #[cfg(unix)]
            let n = self.file.read_at(b, offset + done as u64);
            #[cfg(windows)]
            let n = self.file.seek_read(b, offset + done as u64);
            n
        })
    }
    fn len(&self) -> u64 {
        self.len
    }
}

/// Reads into `buf` until it is full or `read` reaches the end (returns 0), retrying
/// interrupted reads; how many bytes were read. `read` gets the rest of the buffer and how
/// much is already read.
pub fn fill_with(
    buf: &mut [u8],
    mut read: impl FnMut(&mut [u8], usize) -> io::Result<usize>,
) -> io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match read(&mut buf[done..], done) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// What [`inspect`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inspection {
    /// The media type the bytes show, when recognised.
    pub media_type: Option<&'static str>,
    /// Why the file is damaged (truncated, broken structure), when it is.
    pub damage: Option<String>,
    /// Pixel size, for PNG, JPEG, GIF and WebP images.
    pub pixels: Option<(u32, u32)>,
}

const HEAD: usize = 8192;

fn read_vec<R: ReadAt + ?Sized>(src: &R, offset: u64, n: usize) -> io::Result<Vec<u8>> {
    let n = n.min(src.len().saturating_sub(offset) as usize);
    let mut buf = vec![0; n];
    let got = src.read_at(&mut buf, offset)?;
    buf.truncate(got);
    Ok(buf)
}

fn tail<R: ReadAt + ?Sized>(src: &R, n: usize) -> io::Result<Vec<u8>> {
    let len = src.len();
    let start = len.saturating_sub(n as u64);
    read_vec(src, start, (len - start) as usize)
}

/// Where `needle` first occurs in `hay` (`None` for an empty needle).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle).filter(|_| !needle.is_empty())
}

/// Where `needle` last occurs in `hay` (`None` for an empty needle).
fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::rfind(hay, needle).filter(|_| !needle.is_empty())
}

/// Looks at `src` and says what it is and whether it is whole. I/O errors are returned;
/// damage is reported in [`Inspection::damage`].
pub fn inspect<R: ReadAt + ?Sized>(src: &R) -> io::Result<Inspection> {
    let head = read_vec(src, 0, HEAD)?;
    let mut out = Inspection {
        media_type: sniff(&head),
        ..Inspection::default()
    };
    let damage = match out.media_type {
        Some("application/pdf") => check_pdf(src, &head)?,
        Some("image/png") => check_png(src, &mut out)?,
        Some("image/jpeg") => check_jpeg(src, &mut out)?,
        Some("image/gif") => check_gif(src, &head, &mut out)?,
        Some("image/webp") => check_webp(src, &head, &mut out),
        Some("video/mp4" | "video/quicktime" | "audio/mp4") => check_iso_boxes(src)?,
        Some(t) if is_zip_container(t) => check_zip(src)?,
        Some("image/svg+xml") => {
            let t = tail(src, 256)?;
            if rfind(&t, b"</svg>").is_none() && rfind(&t, b"/>").is_none() {
                Some("the SVG does not end with `</svg>`: it is cut short".to_owned())
            } else {
                None
            }
        }
        _ => None,
    };
    out.damage = damage;
    Ok(out)
}

fn is_zip_container(t: &str) -> bool {
    t == "application/zip" || t.starts_with("application/vnd.openxmlformats-officedocument")
}

/// The media type that `head` (the first bytes of a file) shows, if recognised.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    // PDF readers accept the header anywhere in the first 1024 bytes.
    if find(&head[..head.len().min(1024)], b"%PDF-").is_some() {
        return Some("application/pdf");
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Some("image/gif");
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Some("image/tiff");
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brand = &head[8..12];
        return Some(match brand {
            b"qt  " => "video/quicktime",
            b"M4A " | b"M4B " => "audio/mp4",
            _ => "video/mp4",
        });
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some("video/webm");
    }
    if head.starts_with(b"ID3") || head.starts_with(&[0xFF, 0xFB]) {
        return Some("audio/mpeg");
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Some(match infer::get(head).map(|t| t.mime_type()) {
            Some(
                t @ ("application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                | "application/vnd.openxmlformats-officedocument.presentationml.presentation"
                | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ) => t,
            _ => "application/zip",
        });
    }
    if head.starts_with(b"%!PS") {
        return Some("application/postscript");
    }
    sniff_text(head)
}

fn sniff_text(head: &[u8]) -> Option<&'static str> {
    if head.is_empty() {
        return Some("text/plain");
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Some("text/plain");
    }
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // A multi-byte character cut at the end of the sample is fine.
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    if text.contains('\0') {
        return None;
    }
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with("WEBVTT") {
        return Some("text/vtt");
    }
    let bytes = t.as_bytes();
    if bytes.first() == Some(&b'<') {
        // One pass over the tags: `<svg` anywhere makes SVG, else a common HTML tag makes HTML.
        const HTML: [&[u8]; 13] = [
            b"!doctype html",
            b"html",
            b"head",
            b"body",
            b"table",
            b"div",
            b"p>",
            b"p ",
            b"a ",
            b"span",
            b"meta",
            b"br",
            b"img",
        ];
        let opens = |rest: &[u8], tag: &[u8]| {
            rest.len() >= tag.len() && rest[..tag.len()].eq_ignore_ascii_case(tag)
        };
        let mut html = false;
        for (i, _) in bytes.iter().enumerate().filter(|(_, &b)| b == b'<') {
            let rest = &bytes[i + 1..];
            if opens(rest, b"svg") {
                return Some("image/svg+xml");
            }
            html = html || HTML.iter().any(|tag| opens(rest, tag));
        }
        if html {
            return Some("text/html");
        }
        if opens(&bytes[1..], b"?xml") {
            return Some("application/xml");
        }
    }
    // JSON and TOML among the rest: plain text is the safe answer for compatibility checks.
    Some("text/plain")
}

/// `s` with `&`, `<`, `>`, `"` and `'` written as HTML character references, for text and
/// attribute values alike.
pub fn html_escape(s: &str) -> String {
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

/// A size for people, in decimal units as file managers show them: `880 bytes`, `1.5 MB`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The media type a file name's extension promises, if the extension is known.
pub fn media_type_for_path(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (_, ext) = name.rsplit_once('.')?;
    Some(match ext.to_ascii_lowercase().as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "tif" | "tiff" => "image/tiff",
        "svg" => "image/svg+xml",
        "html" | "htm" => "text/html",
        "txt" | "text" => "text/plain",
        "md" | "markdown" => "text/markdown",
        "csv" => "text/csv",
        "json" => "application/json",
        "toml" => "application/toml",
        "xml" => "application/xml",
        "vtt" => "text/vtt",
        "srt" => "application/x-subrip",
        "mp4" | "m4v" => "video/mp4",
        "m4a" => "audio/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "zip" => "application/zip",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "eps" | "ps" => "application/postscript",
        _ => return None,
    })
}

/// True for types whose content is text that [`sniff`] reports as `text/plain`.
fn plain_textual(t: &str) -> bool {
    matches!(
        t,
        "text/plain"
            | "text/markdown"
            | "text/csv"
            | "application/json"
            | "application/toml"
            | "application/x-subrip"
            | "application/xml"
    )
}

/// Whether content sniffed as `found` satisfies a file expected to be `expected` (from its
/// extension or a declared `media_type`).
pub fn satisfies(found: &str, expected: &str) -> bool {
    if found == expected {
        return true;
    }
    if plain_textual(expected) {
        // Any text will do for a text file; markup sniffs as its own type.
        return plain_textual(found) || found == "text/html" || found == "text/vtt";
    }
    let iso = |t: &str| matches!(t, "video/mp4" | "video/quicktime" | "audio/mp4");
    if iso(found) && iso(expected) {
        return true;
    }
    if expected == "application/xhtml+xml" && found == "text/html" {
        return true;
    }
    // Office documents are ZIPs; a sniffer may not see which kind from the first bytes.
    if is_zip_container(expected) && found == "application/zip" {
        return true;
    }
    false
}

fn check_pdf<R: ReadAt + ?Sized>(src: &R, head: &[u8]) -> io::Result<Option<String>> {
    let t = tail(src, 1024)?;
    if rfind(&t, b"%%EOF").is_none() {
        return Ok(Some(
            "the PDF has no `%%EOF` marker at its end: it is cut short".into(),
        ));
    }
    let Some(at) = rfind(&t, b"startxref") else {
        return Ok(Some(
            "the PDF has no `startxref` at its end: readers cannot find its objects".into(),
        ));
    };
    let digits: Vec<u8> = t[at + 9..]
        .iter()
        .copied()
        .skip_while(u8::is_ascii_whitespace)
        .take_while(u8::is_ascii_digit)
        .collect();
    let offset: Option<u64> = std::str::from_utf8(&digits)
        .ok()
        .and_then(|s| s.parse().ok());
    let Some(offset) = offset else {
        return Ok(Some("the PDF's `startxref` holds no offset".into()));
    };
    // Offsets count from the `%PDF-` header, which may follow some junk.
    let shift = find(head, b"%PDF-").unwrap_or(0) as u64;
    let target = read_vec(src, offset + shift, 32)?;
    let is_table = target.starts_with(b"xref");
    let is_stream = {
        let s = String::from_utf8_lossy(&target);
        let mut words = s.split_ascii_whitespace();
        matches!((words.next(), words.next(), words.next()),
            (Some(a), Some(b), Some(c)) if a.bytes().all(|b| b.is_ascii_digit())
                && b.bytes().all(|b| b.is_ascii_digit()) && c.starts_with("obj"))
    };
    if is_table || is_stream {
        Ok(None)
    } else {
        Ok(Some(format!(
            "the PDF's cross-reference offset ({offset}) does not point at a cross-reference table: the file is damaged"
        )))
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn check_png<R: ReadAt + ?Sized>(src: &R, out: &mut Inspection) -> io::Result<Option<String>> {
    let len = src.len();
    let mut at = 8u64;
    let mut first = true;
    for _ in 0..1_000_000 {
        let h = read_vec(src, at, 8)?;
        if h.len() < 8 {
            return Ok(Some(
                "the PNG ends before its IEND chunk: it is cut short".into(),
            ));
        }
        let size = u64::from(be32(&h));
        let kind = &h[4..8];
        if first {
            if kind != b"IHDR" {
                return Ok(Some("the PNG does not start with an IHDR chunk".into()));
            }
            let ihdr = read_vec(src, at + 8, 8)?;
            if ihdr.len() == 8 {
                out.pixels = Some((be32(&ihdr), be32(&ihdr[4..])));
            }
            first = false;
        }
        let end = at + 12 + size;
        if end > len {
            return Ok(Some(format!(
                "the PNG's {} chunk runs past the end of the file: it is cut short",
                String::from_utf8_lossy(kind)
            )));
        }
        if kind == b"IEND" {
            return Ok(None);
        }
        at = end;
    }
    Ok(Some(
        "the PNG has too many chunks to be a real image".into(),
    ))
}

fn check_jpeg<R: ReadAt + ?Sized>(src: &R, out: &mut Inspection) -> io::Result<Option<String>> {
    // Frame header: walk the marker segments up to the start of scan.
    let mut at = 2u64;
    for _ in 0..10_000 {
        let m = read_vec(src, at, 4)?;
        if m.len() < 4 || m[0] != 0xFF {
            break;
        }
        let marker = m[1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        let seg = u64::from(u16::from_be_bytes([m[2], m[3]]));
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let sof = read_vec(src, at + 5, 4)?;
            if sof.len() == 4 {
                let h = u32::from(u16::from_be_bytes([sof[0], sof[1]]));
                let w = u32::from(u16::from_be_bytes([sof[2], sof[3]]));
                out.pixels = Some((w, h));
            }
            break;
        }
        if marker == 0xDA {
            break;
        }
        at += 2 + seg;
    }
    let t = tail(src, 1024)?;
    if rfind(&t, &[0xFF, 0xD9]).is_none() {
        return Ok(Some(
            "the JPEG has no end-of-image marker: it is cut short".into(),
        ));
    }
    if out.pixels.is_none() {
        return Ok(Some(
            "the JPEG has no frame header: it cannot be decoded".into(),
        ));
    }
    Ok(None)
}

fn check_gif<R: ReadAt + ?Sized>(
    src: &R,
    head: &[u8],
    out: &mut Inspection,
) -> io::Result<Option<String>> {
    if head.len() >= 10 {
        let w = u32::from(u16::from_le_bytes([head[6], head[7]]));
        let h = u32::from(u16::from_le_bytes([head[8], head[9]]));
        out.pixels = Some((w, h));
    }
    let t = tail(src, 1)?;
    Ok((t != [0x3B]).then(|| "the GIF does not end with its trailer: it is cut short".into()))
}

fn check_webp<R: ReadAt + ?Sized>(src: &R, head: &[u8], out: &mut Inspection) -> Option<String> {
    let declared = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]])) + 8;
    if head.len() >= 30 && &head[12..16] == b"VP8X" {
        let w = u32::from_le_bytes([head[24], head[25], head[26], 0]) + 1;
        let h = u32::from_le_bytes([head[27], head[28], head[29], 0]) + 1;
        out.pixels = Some((w, h));
    }
    (declared > src.len())
        .then(|| "the WebP is shorter than its header says: it is cut short".into())
}

fn check_iso_boxes<R: ReadAt + ?Sized>(src: &R) -> io::Result<Option<String>> {
    let len = src.len();
    let mut at = 0u64;
    for _ in 0..100_000 {
        if at == len {
            return Ok(None);
        }
        let h = read_vec(src, at, 16)?;
        if h.len() < 8 {
            return Ok(Some(
                "the video ends inside a box header: it is cut short".into(),
            ));
        }
        let kind = &h[4..8];
        let size = match be32(&h) {
            0 => len - at,
            1 if h.len() == 16 => u64::from_be_bytes(h[8..16].try_into().unwrap_or([0; 8])),
            1 => {
                return Ok(Some(
                    "the video ends inside a box header: it is cut short".into(),
                ))
            }
            n => u64::from(n),
        };
        if size < 8 {
            return Ok(Some(format!(
                "the video's `{}` box has an impossible size: the file is damaged",
                String::from_utf8_lossy(kind)
            )));
        }
        if at + size > len {
            return Ok(Some(format!(
                "the video's `{}` box runs past the end of the file: it is cut short",
                String::from_utf8_lossy(kind)
            )));
        }
        at += size;
    }
    Ok(Some("the video has too many top-level boxes".into()))
}

/// The boxes of an MP4/QuickTime file between `start` and `end`, each as (type, where its
/// content starts, where it ends); at most 10,000, and none past a box that is cut short.
fn mp4_boxes<R: ReadAt + ?Sized>(src: &R, start: u64, end: u64) -> Vec<([u8; 4], u64, u64)> {
    let mut out = Vec::new();
    let mut at = start;
    while out.len() < 10_000 && at + 8 <= end {
        let Ok(h) = read_vec(src, at, 16) else { break };
        let size = match be32(&h) {
            0 => end - at,
            1 if h.len() >= 16 => {
                u64::from_be_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]])
            }
            n => u64::from(n),
        };
        let header = if be32(&h) == 1 { 16 } else { 8 };
        if size < header || at + size > end {
            break;
        }
        out.push(([h[4], h[5], h[6], h[7]], at + header, at + size));
        at += size;
    }
    out
}

/// The first box of type `want` between `start` and `end`: where its content starts and ends.
fn mp4_find<R: ReadAt + ?Sized>(
    src: &R,
    start: u64,
    end: u64,
    want: &[u8; 4],
) -> Option<(u64, u64)> {
    mp4_boxes(src, start, end)
        .into_iter()
        .find(|(t, ..)| t == want)
        .map(|(_, s, e)| (s, e))
}

/// Duration in seconds of an MP4/QuickTime file, from its `moov/mvhd` box.
pub fn mp4_duration<R: ReadAt + ?Sized>(src: &R) -> Option<f64> {
    let (moov, moov_end) = mp4_find(src, 0, src.len(), b"moov")?;
    let (mvhd, _) = mp4_find(src, moov, moov_end, b"mvhd")?;
    let b = read_vec(src, mvhd, 32).ok()?;
    let (scale, duration) = if b.first() == Some(&1) {
        (
            be32(b.get(20..24)?),
            u64::from_be_bytes(b.get(24..32)?.try_into().ok()?),
        )
    } else {
        (be32(b.get(12..16)?), u64::from(be32(b.get(16..20)?)))
    };
    (scale > 0).then(|| duration as f64 / f64::from(scale))
}

/// An MP4/QuickTime file's major brand (`ftyp`, e.g. `isom`, `qt  `) and the codec of each
/// track (its `stsd` sample entry: `avc1`, `hvc1`, `mp4a`...), in track order.
pub fn mp4_codecs<R: ReadAt + ?Sized>(src: &R) -> Option<(String, Vec<String>)> {
    let four = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (ftyp, _) = mp4_find(src, 0, src.len(), b"ftyp")?;
    let brand = four(&read_vec(src, ftyp, 4).ok()?);
    let (moov, moov_end) = mp4_find(src, 0, src.len(), b"moov")?;
    let mut codecs = Vec::new();
    for (t, start, end) in mp4_boxes(src, moov, moov_end) {
        if &t != b"trak" {
            continue;
        }
        let stsd = [b"mdia", b"minf", b"stbl", b"stsd"]
            .iter()
            .try_fold((start, end), |(s, e), want| mp4_find(src, s, e, want));
        if let Some((s, _)) = stsd {
            // version and flags (4), entry count (4), then the first entry's size (4) and type.
            let entry = read_vec(src, s + 8, 8).ok()?;
            if entry.len() == 8 {
                codecs.push(four(&entry[4..8]));
            }
        }
    }
    Some((brand, codecs))
}

fn check_zip<R: ReadAt + ?Sized>(src: &R) -> io::Result<Option<String>> {
    let t = tail(src, 65_557)?;
    Ok(rfind(&t, b"PK\x05\x06")
        .is_none()
        .then(|| "the ZIP container has no end record: it is cut short".into()))
}

#[cfg(all(test, unix))]
mod below_tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// `base/sub/a.txt`, and `outside/a.txt` with the same bytes beside `base`.
    fn folders() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().join("base");
        std::fs::create_dir_all(base.join("sub")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("outside")).expect("mkdir");
        std::fs::write(base.join("sub/a.txt"), "poster").expect("write");
        std::fs::write(dir.path().join("outside/a.txt"), "poster").expect("write");
        (dir, base)
    }

    fn escapes(r: io::Result<(File, u64)>) -> bool {
        matches!(r, Err(e) if LeadsOutside::is(&e))
    }

    #[test]
    fn opens_a_file_below_its_folder() {
        let (_dir, base) = folders();
        let (_, len) = open_below(&base, Path::new("sub/a.txt")).expect("opens");
        assert_eq!(len, 6);
        let missing = open_below(&base, Path::new("sub/b.txt"));
        assert!(matches!(missing, Err(e) if e.kind() == io::ErrorKind::NotFound));
    }

    #[test]
    fn a_folder_swapped_for_a_link_out_of_base_is_not_followed() {
        let (dir, base) = folders();
        std::fs::rename(base.join("sub"), dir.path().join("old")).expect("mv");
        symlink(dir.path().join("outside"), base.join("sub")).expect("ln");
        // The same name, the same bytes: only the link gives it away.
        assert!(escapes(open_below(&base, Path::new("sub/a.txt"))));
        symlink("../outside", base.join("rel")).expect("ln");
        assert!(escapes(open_below(&base, Path::new("rel/a.txt"))));
    }

    #[test]
    fn a_file_swapped_for_a_link_out_of_base_is_not_followed() {
        let (dir, base) = folders();
        std::fs::remove_file(base.join("sub/a.txt")).expect("rm");
        symlink(dir.path().join("outside/a.txt"), base.join("sub/a.txt")).expect("ln");
        assert!(escapes(open_below(&base, Path::new("sub/a.txt"))));
    }

    #[test]
    fn the_fallback_follows_no_link_at_all() {
        let (_dir, base) = folders();
        symlink("sub", base.join("inside")).expect("ln");
        let dir = rustix::fs::openat(
            rustix::fs::CWD,
            &base,
            rustix::fs::OFlags::DIRECTORY,
            rustix::fs::Mode::empty(),
        )
        .expect("open base");
        assert!(below::walk(&dir, Path::new("sub/a.txt")).is_ok());
        let through = below::walk(&dir, Path::new("inside/a.txt"));
        assert!(matches!(through, Err(e) if LeadsOutside::is(&e)));
        let up = below::walk(&dir, Path::new("../base/sub/a.txt"));
        assert!(matches!(up, Err(e) if e.kind() == io::ErrorKind::InvalidInput));
    }

    #[test]
    fn a_folder_replaced_between_two_builds_is_read_afresh() {
        let (dir, base) = folders();
        let read = |base: &Path| {
            let (mut f, _) = open_below(base, Path::new("sub/a.txt")).expect("opens");
            let mut text = String::new();
            io::Read::read_to_string(&mut f, &mut text).expect("reads");
            text
        };
        assert_eq!(read(&base), "poster");
        std::fs::rename(&base, dir.path().join("old")).expect("mv");
        std::fs::create_dir_all(base.join("sub")).expect("mkdir");
        std::fs::write(base.join("sub/a.txt"), "reprint").expect("write");
        forget_folders();
        assert_eq!(read(&base), "reprint");
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let (_dir, base) = folders();
        let fifo = base.join("sub/pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            eprintln!("skipped: a_fifo_is_refused_without_blocking: needs mkfifo");
            return;
        }
        let r = open_below(&base, Path::new("sub/pipe"));
        assert!(matches!(r, Err(e) if e.kind() == io::ErrorKind::InvalidInput));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// Bytes that count the reads made of them.
    struct Counted<'a>(&'a [u8], Cell<usize>);

    impl ReadAt for Counted<'_> {
        fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
            self.1.set(self.1.get() + 1);
            self.0.read_at(buf, offset)
        }
        fn len(&self) -> u64 {
            self.0.len() as u64
        }
    }

    /// Each range read on its own, as the default did before it read close ranges together.
    fn one_by_one(bytes: &[u8], ranges: &[std::ops::Range<u64>]) -> Vec<Vec<u8>> {
        let at = |i: u64| (i as usize).min(bytes.len());
        let span = |r: &std::ops::Range<u64>| bytes[at(r.start)..at(r.end.max(r.start))].to_vec();
        ranges.iter().map(span).collect()
    }

    #[test]
    fn close_ranges_are_read_together_and_given_back_one_by_one() {
        let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        // A local header every 2 KiB, as in a pack of small files, then some far apart.
        let mut ranges: Vec<_> = (0..1000u64).map(|i| i * 2048..i * 2048 + 46).collect();
        ranges.extend([
            2_900_000..2_900_010,
            2_999_990..3_000_020,
            3_100_000..3_100_005,
        ]);
        let counted = Counted(&bytes, Cell::new(0));
        let got = counted.read_ranges(&ranges).unwrap();
        assert_eq!(got, one_by_one(&bytes, &ranges));
        // Two spans of at most 1 MiB for the 1,000 headers (the one-by-one reads made 1,000),
        // one read for each range far from the others, and one more where the end cuts a
        // range short.
        assert!(counted.1.get() <= 7, "{} reads", counted.1.get());
    }

    proptest::proptest! {
        #[test]
        fn ranges_read_together_give_what_each_read_alone_gives(
            len in 0usize..6000,
            ranges in proptest::collection::vec((0u64..7000, 0u64..3000, proptest::bool::ANY), 0..40),
        ) {
            let bytes: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            let ranges: Vec<std::ops::Range<u64>> = ranges
                .into_iter()
                .map(|(start, n, backwards)| match backwards {
                    true => start..start.saturating_sub(n),
                    false => start..start + n,
                })
                .collect();
            let got = bytes[..].read_ranges(&ranges).unwrap();
            proptest::prop_assert_eq!(got, one_by_one(&bytes, &ranges));
        }
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut chunk = |kind: &[u8], data: &[u8]| {
            v.extend((data.len() as u32).to_be_bytes());
            v.extend(kind);
            v.extend(data);
            v.extend([0, 0, 0, 0]);
        };
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend(h.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]);
        chunk(b"IHDR", &ihdr);
        chunk(b"IDAT", &[0; 100]);
        chunk(b"IEND", &[]);
        v
    }

    fn pdf() -> Vec<u8> {
        let mut v = b"%PDF-1.4\n1 0 obj <<>> endobj\n".to_vec();
        let xref = v.len();
        v.extend(
            format!("xref\n0 1\n0000000000 65535 f \ntrailer <<>>\nstartxref\n{xref}\n%%EOF\n")
                .bytes(),
        );
        v
    }

    #[test]
    fn whole_files_pass_and_cut_files_are_damaged() {
        let p = png(1200, 630);
        let i = inspect(&p[..]).unwrap();
        assert_eq!(i.media_type, Some("image/png"));
        assert_eq!(i.pixels, Some((1200, 630)));
        assert_eq!(i.damage, None);
        assert!(inspect(&p[..p.len() - 5]).unwrap().damage.is_some());

        let d = pdf();
        assert_eq!(inspect(&d[..]).unwrap().damage, None);
        assert!(inspect(&d[..d.len() - 8]).unwrap().damage.is_some());
        let mut bad = d.clone();
        let n = bad.len();
        bad[n - 10] = b'9'; // the startxref offset now points nowhere
        assert!(inspect(&bad[..]).unwrap().damage.is_some());
    }

    #[test]
    fn mp4_boxes_must_tile_the_file() {
        let mut v = Vec::new();
        v.extend(16u32.to_be_bytes());
        v.extend(b"ftypisom\0\0\0\0");
        v.extend(108u32.to_be_bytes());
        v.extend(b"mdat");
        v.extend([7; 100]);
        let i = inspect(&v[..]).unwrap();
        assert_eq!(i.media_type, Some("video/mp4"));
        assert_eq!(i.damage, None);
        assert!(inspect(&v[..v.len() - 1]).unwrap().damage.is_some());
    }

    #[test]
    fn text_kinds() {
        assert_eq!(sniff(b"WEBVTT\n\n00:00.000"), Some("text/vtt"));
        assert_eq!(sniff(b"\xef\xbb\xbfWEBVTT\n"), Some("text/vtt"));
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"\">"),
            Some("image/svg+xml")
        );
        assert_eq!(
            sniff(b"<table><tr><td>Jo</td></tr></table>"),
            Some("text/html")
        );
        assert_eq!(
            sniff("Caf\u{e9} \u{2013} notes".as_bytes()),
            Some("text/plain")
        );
        assert_eq!(sniff(b"\x00\x01\x02binary"), None);
        assert_eq!(sniff(b"<!DOCTYPE HTML>\n<HTML>"), Some("text/html"));
        assert_eq!(
            sniff(b"<!-- logo -->\n<SVG viewBox=\"0 0 1 1\"/>"),
            Some("image/svg+xml")
        );
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><feed/>"),
            Some("application/xml")
        );
        assert_eq!(sniff(b"<p>Hi</p><svg/>"), Some("image/svg+xml"));
        assert_eq!(sniff(b"<"), Some("text/plain"));
        assert_eq!(find(b"xx%PD%PDF-1.7", b"%PDF-"), Some(5));
        assert_eq!(find(b"%PD", b"%PDF-"), None);
        assert_eq!(rfind(b"</svg> </svg>x", b"</svg>"), Some(7));
        assert_eq!(rfind(b"</sv", b"</svg>"), None);
        assert_eq!(find(b"abc", b""), None);
        assert_eq!(sniff(b"{\"a\": 1}"), Some("text/plain"));
    }

    #[test]
    fn satisfies_rules() {
        assert!(satisfies("text/plain", "text/csv"));
        assert!(!satisfies("text/html", "application/pdf"));
        assert!(!satisfies("image/jpeg", "image/png"));
        assert!(!satisfies("text/plain", "image/svg+xml"));
        assert!(satisfies(
            "application/zip",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        ));
    }
}
