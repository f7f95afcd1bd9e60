//! Writing a [`Plan`] into a ZIP: reproducible, hashed while read, atomic, flat in memory.
//!
//! The entries are cut into jobs that reader threads take in order. A run of folders, small
//! files and generated files becomes a *fragment*: the reader reads and hashes the files and
//! compresses the run into a small ZIP archive of its own, with the one DEFLATE encoder it
//! keeps for all its entries. A large file is streamed in 1 MiB chunks, hashed as it goes.
//! The writer (the calling thread) takes the jobs in order, checks every file's size and
//! SHA-256 against the plan, and merges each fragment whole or writes the chunks, so
//! reading, hashing, compressing and writing overlap. Readers stay a bounded number of jobs
//! and chunks ahead, so memory stays flat whatever the file sizes. A file whose bytes or
//! SHA-256 differ from the plan aborts the pack with its name: nothing unchecked goes in.
//!
//! Every entry gets the plan's timestamp, fixed permissions (0644 files, 0755 folders), the
//! Unix "made by" system and UTF-8 names, and entries are written in sorted order, so the
//! same plan gives the same bytes on any machine, any day, with any number of jobs.
//!
//! ```
//! use assetpack::bundle::Header;
//! use assetpack::catalog::Inputs;
//! use assetpack::pack::{write_zip, PackOptions};
//! use assetpack::plan::{plan, PlanOptions};
//! use assetpack::NoProgress;
//!
//! let header = Header { name: "empty".into(), ..Header::default() };
//! let inputs = Inputs { header, ..Inputs::default() };
//! let plan = plan(&inputs, &PlanOptions::default()).unwrap();
//! let zip = write_zip(&plan, std::io::Cursor::new(Vec::new()), &PackOptions::default(), &NoProgress).unwrap();
//! assert!(zip.into_inner().starts_with(b"PK\x03\x04"));
//! ```

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::BTreeSet;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Condvar, Mutex};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipArchive, ZipWriter};

use crate::cache::Cache;
use crate::content::{self, Inspection};
use crate::deflated::Deflated;
use crate::examine::ReadFiles;
use crate::files::Opened;
use crate::plan::{zip_name_into, Entry, EntryData, Method, Plan, SourceFile};
use crate::progress::Progress;

mod fragment;
use fragment::Fragment;

const CHUNK: usize = 1 << 20;
/// Chunks a reader may hold ready per file: as many as the pool lends out (which is what
/// bounds the memory), so the reader of the next large file is not held back by its channel.
const AHEAD: usize = IN_FLIGHT + 2;
/// How many fragments (jobs of small files, each held whole until it is written) may be read,
/// counting from the job the writer waits for: bounds the memory that read-ahead of many small
/// files takes.
const WINDOW: usize = 4;
/// How many jobs past the one being written a reader may start. A large file's job holds no
/// more than the pool lends it, so while one reader hashes a long video, the other goes on to
/// the large files after it instead of waiting with a core idle, as it did when every job
/// counted against [`WINDOW`] (national's plain build, 12 interleaved rounds: median 0.842 →
/// 0.809 s; many's is unchanged). Letting fragments too run 8 ahead gained 2% more on national
/// but took many's peak past 64 MB.
const JOBS_AHEAD: usize = 16;
/// Readers, and the window, when files come from a bucket: each waits on the network most of
/// the time, so more of them keep more requests in flight (memory stays bounded by the
/// window's fragments and the pool's buffers).
const BUCKET_READERS: usize = crate::files::BUCKET_READS;
/// Most entries in one fragment.
const BATCH_FILES: usize = 64;
/// Most bytes of content in one fragment (a single larger generated file makes its own).
const BATCH_BYTES: u64 = 1 << 20;

/// Options for [`write_zip`].
#[derive(Clone, Debug)]
pub struct PackOptions {
    /// Reader threads (at least 1). The output does not depend on it.
    pub jobs: usize,
    /// Flush the pack to the disk (`fsync`) before renaming it into place, so even a power
    /// cut cannot leave a damaged pack under the final name. Slower on large packs.
    pub sync: bool,
    /// Copies of assets read from buckets, shared by the packs of one run (see
    /// [`crate::cache`]); `None` reads every asset from where it is.
    pub cache: Option<std::sync::Arc<Cache>>,
}

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions {
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            sync: false,
            cache: None,
        }
    }
}

/// Why a pack could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// A file's bytes are not those its manifest records (the data is wrong).
    #[error("{path} does not match its manifest ({detail}); nothing was written: run `assetpack check` to see what differs, then restore the file or rescan its folder")]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// What differs.
        detail: String,
    },
    /// A file changed while the build read it (the manifest records no checksum, and the
    /// bytes differ from those the plan measured).
    #[error("{path} changed while the build read it ({detail}); nothing was written: build again once nothing is writing to it")]
    Changed {
        /// The file.
        path: PathBuf,
        /// What differs.
        detail: String,
    },
    /// Writing the pack failed (full disk, permissions...).
    #[error("cannot write the pack {path}: {source}")]
    Write {
        /// The output.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// The ZIP library refused an entry (its error, boxed: the library is not part of this
    /// crate's interface).
    #[error("cannot write the pack: {0}")]
    Zip(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// [`Progress::cancelled`] said stop.
    #[error("cancelled; nothing was written")]
    Cancelled,
}

impl From<zip::result::ZipError> for PackError {
    fn from(e: zip::result::ZipError) -> Self {
        match e {
            zip::result::ZipError::Io(source) => io_write(source),
            e => PackError::Zip(Box::new(e)),
        }
    }
}

fn io_write(e: io::Error) -> PackError {
    PackError::Write {
        path: PathBuf::new(),
        source: e,
    }
}

/// What a reader found in one file: its SHA-256 and length, to check against the plan, and
/// what its content is, for the build to judge.
struct ReadBack {
    sha256: String,
    len: u64,
    inspection: Inspection,
}

enum Msg {
    /// A finished run of entries: a small ZIP archive of its own, merged whole by the writer,
    /// with the SHA-256 and size of each file read into it (in item order, `None` for folders
    /// and generated entries, which need no check).
    Fragment {
        zip: Vec<u8>,
        read: Vec<Option<ReadBack>>,
    },
    /// A fragment's file could not be read: the item's index and why.
    FragmentFailed(usize, io::Error),
    /// A large file is open and this is how it will be compressed.
    Start {
        deflate: bool,
    },
    Chunk(Vec<u8>),
    Done(ReadBack),
    Failed(io::Error),
}

/// Read buffers: 1 MiB chunks reused instead of allocated, and at most [`IN_FLIGHT`] of them
/// out at once, so read-ahead never holds more than that much memory. The reader of the file
/// the writer is waiting for may always take one, so the pipeline cannot stall.
#[derive(Default)]
struct Pool {
    state: Mutex<PoolState>,
    freed: Condvar,
}

#[derive(Default)]
struct PoolState {
    free: Vec<Vec<u8>>,
    out: usize,
}

/// Most 1 MiB buffers out at once.
const IN_FLIGHT: usize = 16;

impl Pool {
    /// A buffer for file `k`; waits while too many are out, unless `k` is the file the writer
    /// needs next. `None` when the pack is being abandoned.
    fn get(&self, k: usize, window: &Window, stop: &AtomicBool) -> Option<Vec<u8>> {
        let mut st = self.state.lock().ok()?;
        while st.out >= IN_FLIGHT && k > window.current() {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            st = self
                .freed
                .wait_timeout(st, std::time::Duration::from_millis(5))
                .ok()?
                .0;
        }
        st.out += 1;
        let mut v = st.free.pop().unwrap_or_default();
        drop(st);
        v.resize(CHUNK, 0);
        Some(v)
    }

    fn put(&self, v: Vec<u8>) {
        if let Ok(mut st) = self.state.lock() {
            st.out = st.out.saturating_sub(1);
            if st.free.len() < IN_FLIGHT {
                st.free.push(v);
            }
        }
        self.freed.notify_all();
    }
}

/// Fragments' buffers, handed back by the writer once merged and reused by the readers: a
/// fragment is up to a mebibyte, and a block that large is mapped anew for each one (and
/// every page of it faulted in) when it is allocated instead.
#[derive(Default)]
struct Spares(Mutex<Vec<Vec<u8>>>);

impl Spares {
    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_default()
    }

    /// Keeps `v` for another fragment; no more are kept than can be out at once.
    fn give(&self, v: Vec<u8>) {
        if let Ok(mut s) = self.0.lock() {
            if s.len() < WINDOW + 2 {
                s.push(v);
            }
        }
    }
}

/// Deflate when compressing a sample saves at least 10%. The sample is four 8 KiB slices,
/// one from the middle of each quarter of `bytes` (the whole file, or the first chunk of a
/// large one), so a file is judged by its body: not by a text header before compressed data,
/// nor by the table of object offsets that ends a PDF (it compresses well, and made a PDF of
/// compressed streams look worth deflating for a 3% gain).
fn worth_deflating(bytes: &[u8]) -> bool {
    const SLICE: usize = 8 << 10;
    const SLICES: usize = 4;
    if bytes.len() < 64 {
        return false;
    }
    let sample: Cow<[u8]> = if bytes.len() <= SLICE * SLICES {
        Cow::Borrowed(bytes)
    } else {
        let quarter = bytes.len() / SLICES;
        let slice = |i: usize| {
            let start = i * quarter + (quarter - SLICE) / 2;
            &bytes[start..start + SLICE]
        };
        Cow::Owned((0..SLICES).map(slice).collect::<Vec<_>>().concat())
    };
    // Deflated by the thread's encoder, as the small files are: an encoder made for each
    // sample was 370 KiB zeroed and faulted in per large file.
    let mut made = Vec::with_capacity(sample.len() + 64);
    crate::deflated::deflate_into(&sample, &mut made).is_ok() && made.len() * 10 < sample.len() * 9
}

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

fn decide(method: Method, sample: &[u8]) -> bool {
    match method {
        Method::Store => false,
        Method::Deflate => true,
        Method::Sample => worth_deflating(sample),
    }
}

fn fill(file: &mut Opened, buf: &mut [u8]) -> io::Result<usize> {
    content::fill_with(buf, |b, _| file.read(b))
}

/// One entry of the ZIP, in order.
enum Item<'a> {
    Dir,
    /// Bytes assetpack made.
    Bytes(&'a Entry, &'a [u8]),
    /// Bytes assetpack made and deflated already.
    Deflated(&'a Entry, &'a Deflated),
    /// A provider's file on disk.
    File(&'a Entry, &'a SourceFile),
}

impl Item<'_> {
    /// Files of a chunk or more are streamed on their own, and a document deflated ahead is
    /// copied on its own by the writer (a fragment would hold a second copy of it);
    /// everything else goes in fragments.
    fn is_alone(&self) -> bool {
        match self {
            Item::File(e, ..) => e.bytes >= CHUNK as u64,
            Item::Deflated(..) => true,
            Item::Dir | Item::Bytes(..) => false,
        }
    }
}

/// What one reader job makes: a fragment of consecutive small items, or one item alone (a
/// large file, or a document deflated ahead, for which a reader has nothing to do).
#[derive(Clone)]
enum Job {
    Fragment(std::ops::Range<usize>),
    Alone(usize),
}

/// Reads a small file whole into the start of `buf` (one more byte than its size is asked for,
/// to notice a file that grew) and returns its bytes and SHA-256, or `Err(size)` without
/// reading it when it has grown past what a fragment holds (it changed since it was checked).
/// `buf` is the reader's for all its small files: it is zeroed only where it grows.
fn read_small<'b>(
    e: &Entry,
    source: &SourceFile,
    cache: Option<&Cache>,
    buf: &'b mut Vec<u8>,
) -> io::Result<Result<(&'b [u8], String), u64>> {
    let mut file = open_source(e, source, cache)?;
    let size = file.len();
    if size >= CHUNK as u64 {
        return Ok(Err(size));
    }
    let room = size as usize + 1;
    if buf.len() < room {
        buf.resize(room, 0);
    }
    let n = fill(&mut file, &mut buf[..room])?;
    let bytes = &buf[..n];
    Ok(Ok((bytes, hex::encode(Sha256::digest(bytes)))))
}

/// Packs `items[range]` into a ZIP fragment of their own (see `fragment`: one DEFLATE encoder
/// per reader thread for all its entries). Fragments are made in parallel by the readers.
fn make_fragment(
    items: &[Named],
    range: std::ops::Range<usize>,
    (top, time): (&str, DateTime),
    cache: Option<&Cache>,
    spares: &Spares,
    buf: &mut Vec<u8>,
) -> Msg {
    let mut zip = Fragment::in_buffer(
        spares.take(),
        fragment_capacity(&items[range.clone()], top),
        items[range.clone()]
            .iter()
            .map(|(rest, _)| 46 + top.len() + 1 + rest.len())
            .sum(),
        time,
    );
    let mut read = Vec::with_capacity(range.len());
    let mut whole = String::new();
    for k in range {
        let (rest, item) = &items[k];
        let name = zip_name_into(top, rest, &mut whole);
        let written = match item {
            Item::Dir => {
                read.push(None);
                zip.folder(name)
            }
            // The writer copies these itself (`Item::is_alone`); a fragment could hold one too.
            Item::Deflated(e, d) => {
                read.push(None);
                zip.deflated(name, e.bytes, d)
            }
            Item::Bytes(e, bytes) => {
                read.push(None);
                zip.file(name, bytes, decide(e.method, bytes))
            }
            Item::File(e, path) => match read_small(e, path, cache, buf) {
                Ok(Ok((bytes, sha256))) => content::inspect(bytes).and_then(|inspection| {
                    read.push(Some(ReadBack {
                        sha256,
                        len: bytes.len() as u64,
                        inspection,
                    }));
                    zip.file(name, bytes, decide(e.method, bytes))
                }),
                // The writer reports the new size; the fragment goes no further.
                Ok(Err(size)) => {
                    read.push(Some(ReadBack {
                        sha256: String::new(),
                        len: size,
                        inspection: Inspection::default(),
                    }));
                    break;
                }
                Err(e) => Err(e),
            },
        };
        if let Err(e) = written {
            return Msg::FragmentFailed(k, e);
        }
    }
    match zip.finish() {
        Ok(zip) => Msg::Fragment { zip, read },
        Err(e) => Msg::FragmentFailed(usize::MAX, e),
    }
}

/// Room for the entries of a fragment as stored, with their local headers; text that is
/// always deflated (the resolved manifests, megabytes on a large bundle) gets a third, and
/// the fragment grows if that is short.
fn fragment_capacity(items: &[Named], top: &str) -> usize {
    let entry = |(rest, item): &Named| {
        let header = 30 + top.len() + 1 + rest.len() + 64;
        match item {
            Item::Dir => header,
            Item::Bytes(e, _) if e.method == Method::Deflate => header + e.bytes as usize / 3,
            Item::Bytes(e, _) | Item::File(e, ..) => header + e.bytes as usize,
            Item::Deflated(_, d) => header + d.stream.len(),
        }
    };
    items.iter().map(entry).sum()
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

/// Opens the file of entry `e`: through the cache when there is one (an asset in a bucket
/// it holds, or should hold, a copy of), else where it is.
fn open_source(e: &Entry, source: &SourceFile, cache: Option<&Cache>) -> io::Result<Opened> {
    match cache {
        Some(cache) => cache.open((&source.base, &source.rel), &e.sha256, e.bytes),
        None => source.open(),
    }
}

/// Streams one large file into its channel in chunks, hashing it. Returns false when the
/// writer has gone away.
fn read_large(
    k: usize,
    (e, source): (&Entry, &SourceFile),
    cache: Option<&Cache>,
    tx: &SyncSender<Msg>,
    pool: &Pool,
    window: &Window,
    stop: &AtomicBool,
) -> bool {
    let method = e.method;
    let opened = open_source(e, source, cache).and_then(|file| {
        let inspection = content::inspect(&file)?;
        Ok((file, inspection))
    });
    let (mut file, inspection) = match opened {
        Ok(f) => f,
        Err(e) => return tx.send(Msg::Failed(e)).is_ok(),
    };
    let mut hasher = Sha256::new();
    let mut len = 0u64;
    let mut started = false;
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let Some(mut buf) = pool.get(k, window, stop) else {
            return false;
        };
        let n = match fill(&mut file, &mut buf) {
            Ok(n) => n,
            Err(e) => return tx.send(Msg::Failed(e)).is_ok(),
        };
        buf.truncate(n);
        if !started {
            let deflate = decide(method, &buf);
            if tx.send(Msg::Start { deflate }).is_err() {
                return false;
            }
            started = true;
        }
        if n == 0 {
            pool.put(buf);
            break;
        }
        hasher.update(&buf);
        len += n as u64;
        if tx.send(Msg::Chunk(buf)).is_err() {
            return false;
        }
        if n < CHUNK {
            break;
        }
    }
    tx.send(Msg::Done(ReadBack {
        sha256: hex::encode(hasher.finalize()),
        len,
        inspection,
    }))
    .is_ok()
}

/// The index of the job the writer waits for; readers start a job only within `ahead` jobs of
/// it ([`JOBS_AHEAD`]) and within `fragments` fragments of it ([`WINDOW`]; both
/// [`BUCKET_READERS`] when files come from a bucket).
#[derive(Default)]
struct Window {
    ahead: usize,
    fragments: usize,
    /// How many of the jobs before each index are fragments (one more index than jobs).
    fragments_before: Vec<usize>,
    at: Mutex<usize>,
    moved: Condvar,
    /// Readers waiting for the window to move: the writer wakes them only when there are any.
    waiting: AtomicUsize,
}

impl Window {
    /// Waits until file `k` is within the window. False when the pack is being abandoned.
    fn wait_for(&self, k: usize, stop: &AtomicBool) -> bool {
        let Ok(mut at) = self.at.lock() else {
            return false;
        };
        while !self.may_start(k, *at) {
            if stop.load(Ordering::Relaxed) {
                return false;
            }
            self.waiting.fetch_add(1, Ordering::SeqCst);
            let woke = self.moved.wait(at);
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            at = match woke {
                Ok(a) => a,
                Err(_) => return false,
            };
        }
        true
    }

    /// Whether job `k` may start while the writer waits for job `at`.
    fn may_start(&self, k: usize, at: usize) -> bool {
        let before = |i: usize| {
            let last = self.fragments_before.len().saturating_sub(1);
            self.fragments_before.get(i.min(last)).copied().unwrap_or(0)
        };
        k < at.saturating_add(self.ahead) && before(k + 1) - before(at.min(k)) <= self.fragments
    }

    fn current(&self) -> usize {
        self.at.lock().map(|a| *a).unwrap_or(usize::MAX)
    }

    fn advance(&self, to: usize) {
        if let Ok(mut at) = self.at.lock() {
            *at = to;
        }
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.moved.notify_all();
        }
    }
}

/// An entry as the writer takes it: its name in the ZIP less the top folder's `<name>/`, which
/// every name starts with (the plan's path, borrowed; a folder's own `d/`, or `""` for the top
/// folder), and what it holds. Borrowed, the names of 20,000 entries are not copied for the
/// whole of the pack; each is written out whole ([`zip_name_into`]) when its entry is.
type Named<'a> = (Cow<'a, str>, Item<'a>);

/// The entries of `plan` in ZIP order: every folder in its sorted place, then the files.
fn items(plan: &Plan) -> Vec<Named<'_>> {
    // Each folder once, found without making its name: an entry's folders are met again
    // and again (20,000 files in a few hundred folders), and once one is known, so are all
    // the folders above it.
    let mut dirs: BTreeSet<&str> = BTreeSet::new();
    for e in &plan.entries {
        let mut path = e.path.as_str();
        while let Some(i) = path.rfind('/') {
            path = &path[..i];
            if !dirs.insert(path) {
                break;
            }
        }
    }
    let mut items: Vec<Named> = Vec::with_capacity(1 + dirs.len() + plan.entries.len());
    items.push((Cow::Borrowed(""), Item::Dir));
    items.extend(
        dirs.into_iter()
            .map(|d| (Cow::Owned(format!("{d}/")), Item::Dir)),
    );
    for e in &plan.entries {
        let item = match &e.data {
            EntryData::File(source) => Item::File(e, source),
            EntryData::Bytes(bytes) => Item::Bytes(e, bytes),
            EntryData::Deflated(d) => Item::Deflated(e, d),
        };
        items.push((Cow::Borrowed(e.path.as_str()), item));
    }
    // Names are unique, so an unstable sort gives the one order (every whole name starts
    // with the same `<name>/`, so the rests sort as the names do).
    items.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    items
}

/// Cuts the items into reader jobs: each large file alone, runs of the rest into fragments of
/// at most [`BATCH_FILES`] entries and [`BATCH_BYTES`] bytes — from a bucket, one file each
/// (with the folders before it), since a fragment's reader fetches its files one after
/// another. Depends only on the plan, so the ZIP is the same whatever the number of readers
/// (and a fragment's entries are copied into the pack as they are, so the cut does not
/// change the bytes either).
fn jobs(items: &[Named], from_bucket: bool) -> Vec<Job> {
    let fits = |entries: usize, files: usize, file: usize| match from_bucket {
        true => files + file <= 1,
        false => entries < BATCH_FILES,
    };
    let mut jobs = Vec::new();
    let mut run: Option<(std::ops::Range<usize>, u64, usize)> = None;
    for (k, (_, item)) in items.iter().enumerate() {
        if item.is_alone() {
            if let Some((r, ..)) = run.take() {
                jobs.push(Job::Fragment(r));
            }
            jobs.push(Job::Alone(k));
            continue;
        }
        let (bytes, file) = match item {
            Item::Dir => (0, 0),
            Item::Bytes(e, _) | Item::Deflated(e, _) | Item::File(e, ..) => (e.bytes, 1),
        };
        match &mut run {
            Some((r, total, n)) if fits(r.len(), *n, file) && *total + bytes <= BATCH_BYTES => {
                r.end = k + 1;
                *total += bytes;
                *n += file;
            }
            _ => {
                if let Some((r, ..)) = run.replace((k..k + 1, bytes, file)) {
                    jobs.push(Job::Fragment(r));
                }
            }
        }
    }
    if let Some((r, ..)) = run {
        jobs.push(Job::Fragment(r));
    }
    jobs
}

/// Writes `plan` as a ZIP into `out` and returns it. See the module docs.
pub fn write_zip<W: Write + Seek>(
    plan: &Plan,
    out: W,
    options: &PackOptions,
    progress: &dyn Progress,
) -> Result<W, PackError> {
    write_zip_reading(plan, out, options, progress).map(|(out, _)| out)
}

/// [`write_zip`], also returning what each provider file read into the pack holds (its
/// length and content type), for a build to judge without reading the files again.
pub(crate) fn write_zip_reading<'p, W: Write + Seek>(
    plan: &'p Plan,
    out: W,
    options: &PackOptions,
    progress: &dyn Progress,
) -> Result<(W, ReadFiles<'p>), PackError> {
    write_zip_marking(plan, out, options, progress, &|_| {})
}

/// [`write_zip_reading`], telling `entry_starts` where each run of entries starts before it
/// is written: the ZIP writer goes back only into the local headers of the last two runs
/// (to fill in a CRC-32 and sizes), so an output that cannot go back further (an upload)
/// may let go of everything before them.
pub(crate) fn write_zip_marking<'p, W: Write + Seek>(
    plan: &'p Plan,
    out: W,
    options: &PackOptions,
    progress: &dyn Progress,
    entry_starts: &(dyn Fn(u64) + Sync),
) -> Result<(W, ReadFiles<'p>), PackError> {
    content::forget_folders();
    let items = items(plan);
    let from_bucket = plan.entries.iter().any(|e| match &e.data {
        EntryData::File(src) => src.base.local().is_none(),
        _ => false,
    });
    let jobs = jobs(&items, from_bucket);
    progress.begin(plan.entries.len() as u64, plan.total_bytes());
    let time = entry_time(plan);
    let base = base_options(time);
    let (txs, rxs): (Vec<_>, Vec<_>) = jobs.iter().map(|_| sync_channel::<Msg>(AHEAD)).unzip();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (readers, ahead, fragments) = match from_bucket {
        true => (
            options.jobs.max(BUCKET_READERS),
            BUCKET_READERS,
            BUCKET_READERS,
        ),
        false => (options.jobs.max(1), JOBS_AHEAD, WINDOW),
    };
    let window = Window {
        ahead,
        fragments,
        fragments_before: fragments_before(&jobs),
        ..Window::default()
    };
    let pool = Pool::default();
    let spares = Spares::default();
    let cache = options.cache.as_deref();
    let senders: Vec<Mutex<Option<SyncSender<Msg>>>> =
        txs.into_iter().map(|t| Mutex::new(Some(t))).collect();

    let shared = Shared {
        top: &plan.name,
        pool: &pool,
        spares: &spares,
        time,
        window: &window,
        progress,
        entry_starts,
    };
    let result = std::thread::scope(|scope| {
        for _ in 0..readers.min(jobs.len().max(1)) {
            let reader = || read_jobs(&items, &jobs, (&senders, &next), &stop, cache, &shared);
            // Named threads show up as such in profilers and debuggers.
            let spawned = std::thread::Builder::new()
                .name("assetpack-reader".into())
                .spawn_scoped(scope, reader);
            if spawned.is_err() {
                break;
            }
        }
        let result = write_jobs(base, &items, &jobs, rxs, out, &shared);
        stop.store(true, Ordering::Relaxed);
        window.advance(usize::MAX / 2);
        result
    });
    progress.finish();
    result
}

/// A reader thread: takes the next job in turn (`next`), once the window lets it start, and
/// sends what it read through that job's channel in `senders`; until no job is left or the
/// pack stops.
fn read_jobs(
    items: &[Named],
    jobs: &[Job],
    (senders, next): (&[Mutex<Option<SyncSender<Msg>>>], &AtomicUsize),
    stop: &AtomicBool,
    cache: Option<&Cache>,
    shared: &Shared,
) {
    // The reader's buffer for all its small files.
    let mut small = Vec::new();
    loop {
        let j = next.fetch_add(1, Ordering::Relaxed);
        if j >= jobs.len() || stop.load(Ordering::Relaxed) || !shared.window.wait_for(j, stop) {
            return;
        }
        let Some(tx) = senders[j].lock().ok().and_then(|mut s| s.take()) else {
            return;
        };
        let sent = match &jobs[j] {
            Job::Fragment(range) => {
                let at = (shared.top, shared.time);
                let fragment =
                    make_fragment(items, range.clone(), at, cache, shared.spares, &mut small);
                tx.send(fragment).is_ok()
            }
            Job::Alone(k) => match &items[*k].1 {
                Item::File(e, path) => {
                    let window = shared.window;
                    read_large(j, (e, path), cache, &tx, shared.pool, window, stop)
                }
                Item::Deflated(..) => true,
                Item::Dir | Item::Bytes(..) => false,
            },
        };
        if !sent {
            return;
        }
    }
}

/// How many of the jobs before each index are fragments, for indices 0 to `jobs.len()`.
fn fragments_before(jobs: &[Job]) -> Vec<usize> {
    let fragments = jobs.iter().scan(0, |n, job| {
        *n += usize::from(matches!(job, Job::Fragment(_)));
        Some(*n)
    });
    std::iter::once(0).chain(fragments).collect()
}

/// The time of every entry: the plan's timestamp.
fn entry_time(plan: &Plan) -> DateTime {
    let t = plan.timestamp;
    let (y, mo, d, h, mi, s) = (t.year, t.month, t.day, t.hour, t.minute, t.second);
    DateTime::from_date_and_time(y, mo, d, h, mi, s).unwrap_or_else(|_| DateTime::default())
}

/// Options every entry shares: the time and the Unix "made by" system.
fn base_options(time: DateTime) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .system(System::Unix)
        .last_modified_time(time)
}

/// What the writer shares with the readers.
struct Shared<'a> {
    /// The pack's top folder, which every name starts with.
    top: &'a str,
    pool: &'a Pool,
    spares: &'a Spares,
    /// The time of every entry.
    time: DateTime,
    window: &'a Window,
    progress: &'a dyn Progress,
    entry_starts: &'a (dyn Fn(u64) + Sync),
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
fn write_jobs<'a, W: Write + Seek>(
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

/// A buffered writer that knows its position, so the many "where am I?" questions the ZIP
/// writer asks cost nothing (a plain `BufWriter` flushes and asks the kernel every time).
struct PosWriter<W: Write + Seek> {
    inner: BufWriter<W>,
    pos: u64,
}

impl<W: Write + Seek> Write for PosWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write + Seek> Seek for PosWriter<W> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        if to == SeekFrom::Current(0) {
            return Ok(self.pos);
        }
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

/// Writes `plan` to `path` atomically: into a temporary file beside it ([`write_temp`]),
/// renamed over `path` only when complete. On any error (or cancellation) the temporary file
/// is removed and an older pack at `path` is left as it was.
pub fn write_pack_file(
    plan: &Plan,
    path: &Path,
    options: &PackOptions,
    progress: &dyn Progress,
) -> Result<(), PackError> {
    write_temp(plan, path, options, progress)?.publish()
}

/// A pack written in full to a temporary file beside its output path, not yet in place:
/// [`Unpublished::publish`] renames it over the path; dropping it removes it, leaving an older
/// file at the path as it was.
#[derive(Debug)]
pub struct Unpublished<'p> {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
    sync: bool,
    /// What each provider file read into the pack holds.
    pub(crate) read: ReadFiles<'p>,
}

impl Unpublished<'_> {
    /// Moves the pack into place (after flushing it to the disk, when asked for).
    pub fn publish(self) -> Result<(), PackError> {
        crate::atomic::persist(self.tmp, &self.path, self.sync).map_err(|source| PackError::Write {
            path: self.path.clone(),
            source,
        })
    }
}

/// Writes `plan` into a temporary file beside `path`; nothing is at `path` until the result
/// is published. A failure, or a cancel, removes the temporary file.
pub fn write_temp<'p>(
    plan: &'p Plan,
    path: &Path,
    options: &PackOptions,
    progress: &dyn Progress,
) -> Result<Unpublished<'p>, PackError> {
    let with_path = |source: io::Error| PackError::Write {
        path: path.to_owned(),
        source,
    };
    let mut tmp = crate::atomic::temp_beside(path).map_err(with_path)?;
    let read = {
        let writer = PosWriter {
            inner: BufWriter::with_capacity(1 << 20, tmp.as_file_mut()),
            pos: 0,
        };
        let (mut writer, read) = match write_zip_reading(plan, writer, options, progress) {
            Ok(w) => w,
            Err(PackError::Write { source, .. }) => return Err(with_path(source)),
            Err(e) => return Err(e),
        };
        writer.flush().map_err(with_path)?;
        read
    };
    Ok(Unpublished {
        tmp,
        path: path.to_owned(),
        sync: options.sync,
        read,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Layout, Timestamp};

    fn file_plan(path: &Path, bytes: &[u8]) -> Plan {
        Plan {
            name: "t".into(),
            layout: Layout::Plain,
            timestamp: Timestamp::midnight(crate::manifest::Date::parse("2027-03-01").unwrap()),
            entries: vec![Entry {
                path: "a.txt".into(),
                data: EntryData::File(SourceFile {
                    base: std::sync::Arc::new(crate::manifest::Place::Local(
                        path.parent().expect("a folder").into(),
                    )),
                    rel: path
                        .file_name()
                        .expect("a name")
                        .to_string_lossy()
                        .into_owned(),
                    recorded: false,
                }),
                sha256: hex::encode(Sha256::digest(bytes)),
                bytes: bytes.len() as u64,
                method: Method::Deflate,
            }],
        }
    }

    fn pack(plan: &Plan) -> Result<Vec<u8>, PackError> {
        write_zip(
            plan,
            io::Cursor::new(Vec::new()),
            &PackOptions::default(),
            &crate::NoProgress,
        )
        .map(io::Cursor::into_inner)
    }

    /// Bytes that do not compress (xorshift noise, like JPEG or deflated PDF streams).
    fn noise(n: usize) -> Vec<u8> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    fn document_plan(name: &str, data: EntryData, text: &[u8]) -> Plan {
        Plan {
            name: name.into(),
            entries: vec![Entry {
                path: "manifest.json".into(),
                data,
                sha256: hex::encode(Sha256::digest(text)),
                bytes: text.len() as u64,
                method: Method::Deflate,
            }],
            ..file_plan(Path::new("/x/a.txt"), b"")
        }
    }

    #[test]
    fn a_document_deflated_ahead_is_packed_as_the_writer_would_deflate_it() {
        let texts = [
            "{\n  \"title\": \"Gwasanaethau llyfrgell ŵ\"\n}\n".repeat(4000),
            String::new(),
        ];
        for (text, name) in texts.iter().zip(["t", "pâck"]) {
            let mut doc = crate::deflated::DocumentWriter::new(true, 0);
            doc.write_all(text.as_bytes()).expect("written");
            let crate::deflated::Held::Deflated(deflated) = doc.finish().expect("finished").data
            else {
                panic!("deflated");
            };
            let bytes = EntryData::Bytes(text.as_bytes().into());
            let direct = pack(&document_plan(name, bytes, text.as_bytes())).expect("packed");
            let ahead = document_plan(name, EntryData::Deflated(deflated), text.as_bytes());
            let ahead = pack(&ahead).expect("packed");
            assert!(ahead == direct, "{name}: the two packs differ");

            let mut zip = ZipArchive::new(io::Cursor::new(ahead)).expect("a ZIP");
            let mut entry = zip
                .by_name(&format!("{name}/manifest.json"))
                .expect("entry");
            assert_eq!(entry.compression(), CompressionMethod::Deflated);
            assert_eq!(entry.unix_mode(), Some(0o100_644));
            let mut back = String::new();
            entry
                .read_to_string(&mut back)
                .expect("inflates, CRC-32 right");
            assert_eq!(&back, text);
        }
    }

    #[test]
    fn a_reader_goes_past_large_files_but_not_past_four_fragments() {
        use Job::{Alone, Fragment};
        let f = || Fragment(0..1);
        let jobs = [
            f(),
            Alone(1),
            Alone(2),
            Alone(3),
            Alone(4),
            Alone(5),
            f(),
            f(),
            f(),
            f(),
        ];
        let window = |ahead| Window {
            ahead,
            fragments: 4,
            fragments_before: fragments_before(&jobs),
            ..Window::default()
        };
        let open = |w: &Window, at| {
            (0..jobs.len())
                .map(|k| w.may_start(k, at))
                .collect::<Vec<_>>()
        };
        let (t, x) = (true, false);
        let far = window(10);
        assert_eq!(far.fragments_before, [0, 1, 1, 1, 1, 1, 1, 2, 3, 4, 5]);
        // Writing job 0: past the five large files and three more fragments, not a fifth.
        assert_eq!(open(&far, 0), [t, t, t, t, t, t, t, t, t, x]);
        // Writing job 1: the fragment being written is behind.
        assert_eq!(open(&far, 1), [t; 10]);
        // Three jobs on at most, whatever they are.
        assert_eq!(open(&window(3), 1), [t, t, t, t, x, x, x, x, x, x]);
        // Abandoned: the writer's index far past the end.
        assert!(far.may_start(9, usize::MAX / 2));
    }

    #[test]
    fn the_deflate_sample_judges_a_file_by_its_body() {
        let text: Vec<u8> = b"<svg><rect width=\"10\"/></svg>\n".repeat(10_000);
        assert!(worth_deflating(&text));
        assert!(!worth_deflating(&noise(300_000)));
        // A PDF of compressed streams: a text header, then noise, then a long xref table.
        let mut pdf = b"%PDF-1.7\n".repeat(1_000);
        pdf.extend(noise(400_000));
        for k in 0..2_000 {
            pdf.extend(format!("{:010} 00000 n \n", k * 200).as_bytes());
        }
        assert!(!worth_deflating(&pdf), "judged by its body, not its xref");
        // Text after a binary header is still text.
        let mut mixed = noise(8_000);
        mixed.extend(&text);
        assert!(worth_deflating(&mixed));
        // Small files are judged whole.
        assert!(worth_deflating(&text[..20_000]));
        assert!(!worth_deflating(&noise(20_000)));
    }

    #[test]
    fn a_small_file_that_changed_or_grew_stops_the_pack_with_its_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"hello\n").expect("write");
        let measured = file_plan(&path, b"hello\n");
        let mut recorded = measured.clone();
        if let EntryData::File(f) = &mut recorded.entries[0].data {
            f.recorded = true;
        }
        assert!(pack(&measured).is_ok());
        for now in [b"HELLO\n".to_vec(), vec![b'x'; 3 << 20]] {
            std::fs::write(&path, &now).expect("write");
            match pack(&recorded) {
                Err(PackError::Mismatch { path: p, .. }) => assert_eq!(p, path),
                other => panic!("expected a mismatch, got {:?}", other.map(|z| z.len())),
            }
            match pack(&measured) {
                Err(PackError::Changed { path: p, detail }) => {
                    assert_eq!(p, path);
                    if now.len() > 6 {
                        assert!(
                            detail.starts_with(&format!("{} bytes", now.len())),
                            "{detail}"
                        );
                    }
                }
                other => panic!("expected a changed file, got {:?}", other.map(|z| z.len())),
            }
        }
    }

    /// Packs `plan` over an older file at `out`; the error, and that the older file and the
    /// folder are as they were.
    fn pack_over_older(plan: &Plan, out: &Path) -> PackError {
        std::fs::write(out, b"older pack").expect("write");
        let e = write_pack_file(plan, out, &PackOptions::default(), &crate::NoProgress)
            .expect_err("the pack fails");
        assert_eq!(std::fs::read(out).expect("read"), b"older pack");
        let folder = out.parent().expect("folder");
        let left: Vec<_> = std::fs::read_dir(folder).expect("ls").flatten().collect();
        assert!(
            left.iter()
                .all(|f| !f.file_name().to_string_lossy().ends_with(".partial")),
            "no partial pack"
        );
        e
    }

    #[test]
    fn a_file_that_vanished_after_the_check_stops_the_pack_and_keeps_the_older_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"hello\n").expect("write");
        let plan = file_plan(&path, b"hello\n");
        std::fs::remove_file(&path).expect("rm");
        match pack_over_older(&plan, &dir.path().join("pack.zip")) {
            PackError::Read { path: p, source } => {
                assert_eq!(p, path);
                assert_eq!(source.kind(), io::ErrorKind::NotFound);
            }
            other => panic!("expected a read error, got {other}"),
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_swapped_for_a_link_after_the_check_is_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().join("base");
        std::fs::create_dir_all(base.join("sub")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("elsewhere")).expect("mkdir");
        std::fs::write(base.join("sub/a.txt"), b"hello\n").expect("write");
        std::fs::write(dir.path().join("elsewhere/a.txt"), b"hello\n").expect("write");
        let mut plan = file_plan(&base.join("sub/a.txt"), b"hello\n");
        plan.entries[0].data = EntryData::File(SourceFile {
            base: std::sync::Arc::new(crate::manifest::Place::Local(base.clone())),
            rel: "sub/a.txt".into(),
            recorded: false,
        });
        assert!(pack(&plan).is_ok());
        // Same name, same bytes: only the link differs, and it leads out of `base`.
        std::fs::rename(base.join("sub"), dir.path().join("old")).expect("mv");
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), base.join("sub")).expect("ln");
        match pack_over_older(&plan, &dir.path().join("pack.zip")) {
            PackError::Read { source, .. } => {
                assert!(crate::content::LeadsOutside::is(&source), "{source}")
            }
            other => panic!("expected a read error, got {other}"),
        }
    }
}
