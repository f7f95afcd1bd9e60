//! The writer: takes each job's output in order, checks every file read against the plan,
//! and writes it into the ZIP (a fragment merged whole, a large file streamed).

use std::cell::Cell;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::mpsc::Receiver;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::content::Inspection;
use crate::deflated::Deflated;
use crate::examine::ReadFiles;
use crate::plan::{zip_name_into, Entry, SourceFile};

use super::fragment::Fragment;
use super::jobs::{Item, Job, Named};
use super::read::Msg;
use super::{io_write, PackError, Shared};

/// The DEFLATE level of every deflated entry: see [`crate::deflated::LEVEL`].
const LEVEL: i64 = crate::deflated::LEVEL as i64;

/// The options of a file entry: stored or deflated, with ZIP64 fields when it is large.
fn entry_options(base: SimpleFileOptions, deflate: bool, bytes: u64) -> SimpleFileOptions {
    let o = base
        .unix_permissions(0o644)
        .large_file(bytes >= u64::from(u32::MAX));
    if deflate {
        o.compression_method(CompressionMethod::Deflated)
            .compression_level(Some(LEVEL))
    } else {
        o.compression_method(CompressionMethod::Stored)
    }
}

/// Writes a document deflated ahead (`len` bytes) into `zip` as the entry `name`, without
/// compressing it again: the zip crate takes compressed data only by copying another
/// archive's entry, so the stream is wrapped in a fragment of one entry first.
fn copy_deflated<W: Write + Seek>(
    zip: &mut ZipWriter<W>,
    name: &str,
    time: DateTime,
    len: u64,
    d: &Deflated,
) -> io::Result<()> {
    let mut one = Fragment::with_capacity(d.stream.len() + 30 + name.len(), 46 + name.len(), time);
    one.deflated(name, len, d)?;
    let wrapped = one.finish()?;
    let mut archive = ZipArchive::new(io::Cursor::new(wrapped)).map_err(io::Error::other)?;
    let entry = archive.by_index_raw(0).map_err(io::Error::other)?;
    zip.raw_copy_file_rename(entry, name)
        .map_err(io::Error::other)
}

/// A file's bytes or SHA-256 differ from the plan's.
fn changed(e: &Entry, src: &SourceFile, sha256: &str, len: u64) -> Result<(), PackError> {
    let detail = if len != e.bytes {
        format!("{len} bytes, {} expected", e.bytes)
    } else if sha256 != e.sha256 {
        format!("SHA-256 {sha256}, {} expected", e.sha256)
    } else {
        return Ok(());
    };
    Err(differs(src, detail))
}

/// The error for a file whose bytes are not the plan's: against its manifest, or against
/// what the plan measured.
fn differs(src: &SourceFile, detail: String) -> PackError {
    let path = src.path();
    if src.recorded {
        PackError::Mismatch { path, detail }
    } else {
        PackError::Changed { path, detail }
    }
}

/// The writer: takes each job's output in order, checks every file against the plan and
/// writes it (a fragment merged whole, a large file streamed).
pub(super) fn write_jobs<'a, W: Write + Seek>(
    base: SimpleFileOptions,
    items: &[Named<'a>],
    jobs: &[Job],
    rxs: Vec<Receiver<Msg>>,
    out: W,
    shared: &Shared,
) -> Result<(W, ReadFiles<'a>), PackError> {
    let abandoned = Cell::new(false);
    let mut zip = ZipWriter::new(Abandon {
        inner: out,
        abandoned: &abandoned,
        pos: 0,
    });
    if items.len() >= usize::from(u16::MAX) {
        zip = zip.set_auto_large_file();
    }
    match write_entries(&mut zip, base, items, jobs, rxs, shared) {
        // Keyed by path only once the writer and its central directory are gone.
        Ok(found) => Ok((zip.finish()?.inner, found.into_read_files())),
        Err(e) => {
            // Dropping an unfinished ZipWriter writes a central directory (and prints to
            // stderr when that fails): an abandoned writer swallows it.
            abandoned.set(true);
            Err(e)
        }
    }
}

/// The pack's output once the build has failed: the ZIP writer's `Drop` still finishes the
/// archive, and after an error those bytes go nowhere. The first I/O error abandons it too,
/// so the error is reported once, by the build, never by the ZIP library on stderr.
struct Abandon<'a, W> {
    inner: W,
    abandoned: &'a Cell<bool>,
    /// Where the writer is, so that once abandoned it still answers seeks consistently.
    pos: u64,
}

impl<W> Abandon<'_, W> {
    fn watch<T>(&self, r: io::Result<T>) -> io::Result<T> {
        // `Interrupted` is retried by `write_all`, so it is no failure.
        if r.as_ref()
            .is_err_and(|e| e.kind() != io::ErrorKind::Interrupted)
        {
            self.abandoned.set(true);
        }
        r
    }
}

impl<W: Write> Write for Abandon<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.abandoned.get() {
            let r = self.inner.write(buf);
            if let Ok(n) = r {
                self.pos += n as u64;
            }
            return self.watch(r);
        }
        self.pos += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        if self.abandoned.get() {
            return Ok(());
        }
        let r = self.inner.flush();
        self.watch(r)
    }
}

impl<W: Seek> Seek for Abandon<'_, W> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        if !self.abandoned.get() {
            let r = self.inner.seek(to);
            if let Ok(p) = r {
                self.pos = p;
            }
            return self.watch(r);
        }
        self.pos = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::Current(d) | SeekFrom::End(d) => self.pos.saturating_add_signed(d),
        };
        Ok(self.pos)
    }
}

fn write_entries<'a, W: Write + Seek>(
    zip: &mut ZipWriter<Abandon<'_, W>>,
    base: SimpleFileOptions,
    items: &[Named<'a>],
    jobs: &[Job],
    rxs: Vec<Receiver<Msg>>,
    shared: &Shared,
) -> Result<Found<'a>, PackError> {
    let mut found = Found(Vec::with_capacity(items.len()));
    let mut whole = String::new();
    for (j, (job, rx)) in jobs.iter().zip(&rxs).enumerate() {
        if shared.progress.cancelled() {
            return Err(PackError::Cancelled);
        }
        if let Some(out) = zip.get_ref() {
            (shared.entry_starts)(out.pos);
        }
        match job {
            Job::Fragment(range) => {
                write_fragment(zip, items, range.clone(), rx, shared, &mut found)?
            }
            Job::Alone(k) => match &items[*k] {
                (rest, Item::File(e, src)) => {
                    let name = zip_name_into(shared.top, rest, &mut whole);
                    let (len, inspection) = write_large(zip, base, name, e, src, rx, shared)?;
                    found.push(src, len, inspection);
                }
                (rest, Item::Deflated(e, d)) => {
                    let name = zip_name_into(shared.top, rest, &mut whole);
                    copy_deflated(zip, name, shared.time, e.bytes, d).map_err(io_write)?;
                    shared.progress.advance(e.bytes);
                }
                _ => {}
            },
        }
        shared.window.advance(j + 1);
    }
    Ok(found)
}

/// What the pack found in each provider file it read, with the file's folder and path
/// borrowed from the plan (see [`ReadFiles`]).
struct Found<'a>(Vec<crate::examine::ReadFile<'a>>);

impl<'a> Found<'a> {
    fn push(&mut self, src: &'a SourceFile, len: u64, inspection: Inspection) {
        self.0.push((&src.base, &src.rel, len, inspection));
    }

    fn into_read_files(self) -> ReadFiles<'a> {
        ReadFiles::new(self.0)
    }
}

/// A reader that stopped without saying why (it is only ever seen after another error).
fn stopped(path: PathBuf) -> PackError {
    PackError::Read {
        path,
        source: io::Error::other("the reader stopped"),
    }
}

/// Merges the fragment of `items[range]`, once every file in it is checked against the plan.
fn write_fragment<'a, W: Write + Seek>(
    zip: &mut ZipWriter<W>,
    items: &[Named<'a>],
    range: std::ops::Range<usize>,
    rx: &Receiver<Msg>,
    shared: &Shared,
    found: &mut Found<'a>,
) -> Result<(), PackError> {
    let first = || match &items[range.start].1 {
        Item::File(_, src) => src.path(),
        _ => PathBuf::new(),
    };
    let (fragment, read) = match rx.recv().map_err(|_| stopped(first()))? {
        Msg::Fragment { zip, read } => (zip, read),
        Msg::FragmentFailed(k, source) => {
            return Err(match items.get(k) {
                Some((_, Item::File(_, src))) => PackError::Read {
                    path: src.path(),
                    source,
                },
                _ => PackError::Write {
                    path: PathBuf::new(),
                    source,
                },
            })
        }
        _ => return Err(stopped(first())),
    };
    for (k, r) in range.clone().zip(&read) {
        if let (Item::File(e, src), Some(r)) = (&items[k].1, r) {
            changed(e, src, &r.sha256, r.len)?;
        }
    }
    if read.len() != range.len() {
        return Err(stopped(first()));
    }
    let mut bytes = 0;
    for (k, r) in range.clone().zip(read) {
        match (&items[k].1, r) {
            (Item::File(_, src), Some(r)) => {
                bytes += r.len;
                found.push(src, r.len, r.inspection);
            }
            // Made by assetpack: counted too, so progress reaches the plan's total.
            (Item::Bytes(e, _) | Item::Deflated(e, _), _) => bytes += e.bytes,
            _ => {}
        }
    }
    zip.merge_archive(ZipArchive::new(io::Cursor::new(&fragment[..]))?)?;
    shared.spares.give(fragment);
    shared.progress.advance(bytes);
    for k in range {
        if let Item::File(_, src) = &items[k].1 {
            shared.progress.file_done(&src.path());
        }
    }
    Ok(())
}

/// Streams a large file's chunks into its entry, checking its size as they come and its
/// SHA-256 at the end; its length and what its content is.
fn write_large<W: Write + Seek>(
    zip: &mut ZipWriter<W>,
    base: SimpleFileOptions,
    name: &str,
    e: &Entry,
    src: &SourceFile,
    rx: &Receiver<Msg>,
    shared: &Shared,
) -> Result<(u64, Inspection), PackError> {
    let progress = shared.progress;
    let failed = |source| PackError::Read {
        path: src.path(),
        source,
    };
    let deflate = match rx.recv().map_err(|_| stopped(src.path()))? {
        Msg::Start { deflate } => deflate,
        Msg::Failed(source) => return Err(failed(source)),
        _ => return Err(stopped(src.path())),
    };
    zip.start_file(name, entry_options(base, deflate, e.bytes))?;
    let mut written = 0u64;
    loop {
        if progress.cancelled() {
            return Err(PackError::Cancelled);
        }
        match rx.recv().map_err(|_| stopped(src.path()))? {
            Msg::Chunk(buf) => {
                written += buf.len() as u64;
                if written > e.bytes {
                    let detail = format!("it is larger than the {} bytes expected", e.bytes);
                    return Err(differs(src, detail));
                }
                zip.write_all(&buf).map_err(io_write)?;
                progress.advance(buf.len() as u64);
                shared.pool.put(buf);
            }
            Msg::Done(r) => {
                changed(e, src, &r.sha256, r.len)?;
                progress.file_done(&src.path());
                return Ok((r.len, r.inspection));
            }
            Msg::Failed(source) => return Err(failed(source)),
            _ => return Err(stopped(src.path())),
        }
    }
}
