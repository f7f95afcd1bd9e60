//! Writing a [`Plan`] into a ZIP: reproducible, hashed while read, atomic, flat in memory.
//!
//! Reader threads open the plan's files in order, read them in 1 MiB chunks and hash them;
//! the writer (the calling thread) takes the chunks in plan order and writes the ZIP, so
//! reading, hashing and writing overlap. Each reader is at most a few chunks ahead, so memory
//! stays flat whatever the file sizes. A file whose bytes or SHA-256 differ from the plan
//! aborts the pack with its name: nothing unchecked goes in.
//!
//! Every entry gets the plan's timestamp, fixed permissions (0644 files, 0755 folders), the
//! Unix "made by" system and UTF-8 names, and entries are written in sorted order, so the
//! same plan gives the same bytes on any machine, any day, with any number of jobs.
//!
//! ```
//! use assetpack::bundle::Header;
//! use assetpack::pack::{write_zip, PackOptions};
//! use assetpack::plan::{plan, PlanOptions};
//! use assetpack::NoProgress;
//!
//! let header = Header { name: "empty".into(), ..Header::default() };
//! let plan = plan(&header, &[], &[], &PlanOptions::default()).unwrap();
//! let zip = write_zip(&plan, std::io::Cursor::new(Vec::new()), &PackOptions::default(), &NoProgress).unwrap();
//! assert!(zip.into_inner().starts_with(b"PK\x03\x04"));
//! ```

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Condvar, Mutex};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, PreparedZipFile, System, ZipWriter};

use crate::plan::{Entry, EntryData, Method, Plan};
use crate::progress::Progress;

const CHUNK: usize = 1 << 20;
/// Chunks a reader may hold ready per file.
const AHEAD: usize = 4;
/// How many files past the one being written a reader may open: bounds the memory that
/// read-ahead of many small files takes.
const WINDOW: usize = 16;
/// Most small files one reader job holds.
const BATCH_FILES: usize = 64;
/// Most bytes of small files one reader job holds.
const BATCH_BYTES: u64 = 4 << 20;

/// Options for [`write_zip`].
#[derive(Clone, Debug)]
pub struct PackOptions {
    /// Reader threads (at least 1). The output does not depend on it.
    pub jobs: usize,
    /// Flush the pack to the disk (`fsync`) before renaming it into place, so even a power
    /// cut cannot leave a damaged pack under the final name. Slower on large packs.
    pub sync: bool,
}

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions {
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            sync: false,
        }
    }
}

/// Why a pack could not be written.
#[derive(Debug, thiserror::Error)]
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
    /// A file changed after it was checked.
    #[error("{path} changed after it was checked ({detail}); nothing was written: run `assetpack check`, then build again")]
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
    /// The ZIP library refused an entry.
    #[error("cannot write the pack: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// [`Progress::cancelled`] said stop.
    #[error("cancelled; nothing was written")]
    Cancelled,
}

fn io_write(e: io::Error) -> PackError {
    PackError::Write {
        path: PathBuf::new(),
        source: e,
    }
}

enum Msg {
    /// The file is open and this is how it will be compressed.
    Start {
        deflate: bool,
    },
    Chunk(Vec<u8>),
    Done {
        sha256: String,
        len: u64,
    },
    /// A small file, read whole and made into a finished (stored) entry by the reader.
    Prepared {
        prepared: Box<PreparedZipFile>,
        sha256: String,
        len: u64,
    },
    Failed(io::Error),
    /// A run of small files, read one after another by one reader: one message instead of one
    /// per file keeps the threads from waking each other thousands of times.
    Batch(std::collections::VecDeque<Msg>),
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

/// Deflate when compressing the first 64 KiB saves at least 10%.
fn worth_deflating(sample: &[u8]) -> bool {
    let sample = &sample[..sample.len().min(64 << 10)];
    if sample.len() < 64 {
        return false;
    }
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    if enc.write_all(sample).is_err() {
        return false;
    }
    enc.finish()
        .map(|c| c.len() * 10 < sample.len() * 9)
        .unwrap_or(false)
}

fn open_file(path: &Path) -> io::Result<(File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok((file, meta.len()))
}

/// What a reader needs to know about one file.
struct FileJob<'a> {
    path: &'a Path,
    method: Method,
    /// Size the plan expects.
    expected: u64,
    /// The entry's name in the ZIP.
    name: String,
}

/// The options of a file entry: stored or deflated, with ZIP64 fields when it is large.
fn entry_options(base: SimpleFileOptions, deflate: bool, bytes: u64) -> SimpleFileOptions {
    let o = base
        .unix_permissions(0o644)
        .large_file(bytes >= u64::from(u32::MAX));
    if deflate {
        o.compression_method(CompressionMethod::Deflated)
            .compression_level(Some(6))
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

fn fill(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A small file read whole and made into a finished entry (compressed and CRC'd here).
fn small_msg(job: &FileJob, base: SimpleFileOptions, file: &mut File, size: u64) -> Msg {
    // One more byte than the size, to notice a file that grew.
    let mut data = vec![0; size as usize + 1];
    let n = match fill(file, &mut data) {
        Ok(n) => n,
        Err(e) => return Msg::Failed(e),
    };
    data.truncate(n);
    let sha256 = hex::encode(Sha256::digest(&data));
    // Compressed here, in parallel; the entry then goes into the ZIP with its sizes and CRC
    // known, without the writer seeking back to patch its header.
    let options = entry_options(base, decide(job.method, &data), n as u64);
    match PreparedZipFile::from_data(&job.name, options, &data) {
        Ok(prepared) => Msg::Prepared {
            prepared: Box::new(prepared),
            sha256,
            len: n as u64,
        },
        Err(e) => Msg::Failed(io::Error::other(e.to_string())),
    }
}

/// Reads a run of small files, in order, into one message.
fn read_batch(jobs: &[FileJob], base: SimpleFileOptions) -> Msg {
    let mut out = std::collections::VecDeque::with_capacity(jobs.len());
    for job in jobs {
        let msg = match open_file(job.path) {
            Ok((mut file, size)) if size < CHUNK as u64 => small_msg(job, base, &mut file, size),
            // It grew past what a batch holds in memory: it changed since it was checked.
            Ok((_, size)) => Msg::Done {
                sha256: String::new(),
                len: size,
            },
            Err(e) => Msg::Failed(e),
        };
        out.push_back(msg);
    }
    Msg::Batch(out)
}

/// Reads one file into its channel: a small file whole, compressed and CRC'd here as a
/// prepared entry (so that work runs in parallel), a large one as a stream of chunks. Returns
/// false when the writer has gone away.
#[allow(clippy::too_many_arguments)]
fn read_one(
    k: usize,
    job: &FileJob,
    base: SimpleFileOptions,
    tx: &SyncSender<Msg>,
    pool: &Pool,
    window: &Window,
    stop: &AtomicBool,
) -> bool {
    let (mut file, size) = match open_file(job.path) {
        Ok(f) => f,
        Err(e) => return tx.send(Msg::Failed(e)).is_ok(),
    };
    if size < CHUNK as u64 {
        return tx.send(small_msg(job, base, &mut file, size)).is_ok();
    }
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
            let deflate = decide(job.method, &buf);
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
    tx.send(Msg::Done {
        sha256: hex::encode(hasher.finalize()),
        len,
    })
    .is_ok()
}

/// The index of the file the writer waits for; readers stay within [`WINDOW`] of it.
#[derive(Default)]
struct Window {
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
        while k >= *at + WINDOW {
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

enum Item<'a> {
    Dir(String),
    Entry(&'a Entry, Option<usize>),
}

/// Writes `plan` as a ZIP into `out` and returns it. See the module docs.
pub fn write_zip<W: Write + Seek>(
    plan: &Plan,
    out: W,
    options: &PackOptions,
    progress: &dyn Progress,
) -> Result<W, PackError> {
    // Folders first in their sorted place, then files; file entries numbered for the readers.
    let mut dirs = BTreeSet::new();
    dirs.insert(format!("{}/", plan.name));
    for e in &plan.entries {
        let mut path = e.path.as_str();
        while let Some(i) = path.rfind('/') {
            path = &path[..i];
            dirs.insert(format!("{}/{path}/", plan.name));
        }
    }
    let mut files = Vec::new();
    let mut items: Vec<(String, Item)> = dirs
        .into_iter()
        .map(|d| (d.clone(), Item::Dir(d)))
        .collect();
    for e in &plan.entries {
        let slot = match &e.data {
            EntryData::File(path) => {
                files.push(FileJob {
                    path: path.as_path(),
                    method: e.method,
                    expected: e.bytes,
                    name: plan.zip_name(e),
                });
                Some(files.len() - 1)
            }
            EntryData::Bytes(_) => None,
        };
        items.push((plan.zip_name(e), Item::Entry(e, slot)));
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));

    // Runs of small files become one job each; a large file is a job of its own.
    let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
    let mut group_of = Vec::with_capacity(files.len());
    let mut run_bytes = 0u64;
    for (k, f) in files.iter().enumerate() {
        let small = f.expected < CHUNK as u64;
        let extend = small
            && groups.last().is_some_and(|g: &std::ops::Range<usize>| {
                g.end == k && g.len() < BATCH_FILES && files[g.start].expected < CHUNK as u64
            })
            && run_bytes + f.expected <= BATCH_BYTES;
        if extend {
            if let Some(g) = groups.last_mut() {
                g.end = k + 1;
            }
            run_bytes += f.expected;
        } else {
            groups.push(k..k + 1);
            run_bytes = f.expected;
        }
        group_of.push(groups.len() - 1);
    }

    progress.begin(plan.entries.len() as u64, plan.total_bytes());
    let base = base_options(plan);
    let (txs, rxs): (Vec<_>, Vec<_>) = groups.iter().map(|_| sync_channel::<Msg>(AHEAD)).unzip();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let window = Window::default();
    let pool = Pool::default();
    let jobs = options.jobs.max(1);
    let senders: Vec<Mutex<Option<SyncSender<Msg>>>> =
        txs.into_iter().map(|t| Mutex::new(Some(t))).collect();

    let result = std::thread::scope(|scope| {
        for _ in 0..jobs.min(groups.len().max(1)) {
            let reader = || loop {
                let g = next.fetch_add(1, Ordering::Relaxed);
                if g >= groups.len() || stop.load(Ordering::Relaxed) {
                    break;
                }
                if !window.wait_for(g, &stop) {
                    break;
                }
                let Some(tx) = senders[g].lock().ok().and_then(|mut s| s.take()) else {
                    break;
                };
                let range = groups[g].clone();
                let ok = if files[range.start].expected < CHUNK as u64 {
                    tx.send(read_batch(&files[range], base)).is_ok()
                } else {
                    read_one(g, &files[range.start], base, &tx, &pool, &window, &stop)
                };
                if !ok {
                    break;
                }
            };
            // Named threads show up as such in profilers and debuggers.
            let spawned = std::thread::Builder::new()
                .name("assetpack-reader".into())
                .spawn_scoped(scope, reader);
            if spawned.is_err() {
                break;
            }
        }
        let result = write_items(
            base,
            &items,
            Lanes {
                rxs,
                group_of: &group_of,
                groups: &groups,
            },
            out,
            &pool,
            &window,
            progress,
        );
        stop.store(true, Ordering::Relaxed);
        window.advance(usize::MAX / 2);
        result
    });
    progress.finish();
    result
}

/// Options every entry shares: the plan's timestamp and the Unix "made by" system.
fn base_options(plan: &Plan) -> SimpleFileOptions {
    let (y, mo, d, h, mi, s) = plan.timestamp;
    let time =
        DateTime::from_date_and_time(y, mo, d, h, mi, s).unwrap_or_else(|_| DateTime::default());
    SimpleFileOptions::default()
        .system(System::Unix)
        .last_modified_time(time)
}

/// The readers' channels, one per job, and which job each file belongs to.
struct Lanes<'a> {
    rxs: Vec<Receiver<Msg>>,
    group_of: &'a [usize],
    groups: &'a [std::ops::Range<usize>],
}

#[allow(clippy::too_many_arguments)]
fn write_items<W: Write + Seek>(
    base: SimpleFileOptions,
    items: &[(String, Item)],
    lanes: Lanes,
    out: W,
    pool: &Pool,
    window: &Window,
    progress: &dyn Progress,
) -> Result<W, PackError> {
    let file_options = |deflate: bool, bytes: u64| entry_options(base, deflate, bytes);
    let mut zip = ZipWriter::new(out);
    // The batch being written, and which job it came from.
    let mut pending: std::collections::VecDeque<Msg> = Default::default();
    let mut pending_group = usize::MAX;
    if items.len() >= usize::from(u16::MAX) {
        zip = zip.set_auto_large_file();
    }
    for (name, item) in items {
        if progress.cancelled() {
            return Err(PackError::Cancelled);
        }
        match item {
            Item::Dir(d) => zip.add_directory(d.as_str(), base.unix_permissions(0o755))?,
            Item::Entry(e, None) => {
                let EntryData::Bytes(bytes) = &e.data else {
                    continue;
                };
                let deflate = match e.method {
                    Method::Store => false,
                    Method::Deflate => true,
                    Method::Sample => worth_deflating(bytes),
                };
                zip.start_file(name.as_str(), file_options(deflate, e.bytes))?;
                zip.write_all(bytes).map_err(io_write)?;
                progress.advance(e.bytes);
            }
            Item::Entry(e, Some(k)) => {
                let path = match &e.data {
                    EntryData::File(p) => p.clone(),
                    EntryData::Bytes(_) => PathBuf::new(),
                };
                let g = lanes.group_of[*k];
                let last_of_group = lanes.groups[g].end == *k + 1;
                let rx = &lanes.rxs[g];
                let recv = || {
                    rx.recv().map_err(|_| PackError::Read {
                        path: path.clone(),
                        source: io::Error::other("the reader stopped"),
                    })
                };
                let check = |sha256: &str, len: u64| {
                    if len != e.bytes {
                        return Err(PackError::Changed {
                            path: path.clone(),
                            detail: format!("{len} bytes, {} recorded", e.bytes),
                        });
                    }
                    if sha256 != e.sha256 {
                        return Err(PackError::Changed {
                            path: path.clone(),
                            detail: format!("SHA-256 {sha256}, {} recorded", e.sha256),
                        });
                    }
                    Ok(())
                };
                // Small files come in batches (one job per run of them), large ones streamed.
                let first = if e.bytes < CHUNK as u64 {
                    if pending_group != g {
                        match recv()? {
                            Msg::Batch(v) => pending = v,
                            other => pending = std::iter::once(other).collect(),
                        }
                        pending_group = g;
                    }
                    pending.pop_front().ok_or_else(|| PackError::Read {
                        path: path.clone(),
                        source: io::Error::other("the reader sent too few files"),
                    })?
                } else {
                    recv()?
                };
                let done = |window: &Window| {
                    if last_of_group {
                        window.advance(g + 1);
                    }
                };
                let deflate = match first {
                    Msg::Start { deflate } => deflate,
                    Msg::Prepared {
                        prepared,
                        sha256,
                        len,
                    } => {
                        check(&sha256, len)?;
                        zip.add_prepared_file(*prepared)?;
                        progress.advance(len);
                        progress.file_done(&path);
                        done(window);
                        continue;
                    }
                    Msg::Done { sha256, len } => {
                        // Only a batch sends this first: the file outgrew it.
                        check(&sha256, len)?;
                        return Err(PackError::Changed {
                            path,
                            detail: format!("{len} bytes, {} recorded", e.bytes),
                        });
                    }
                    Msg::Failed(source) => return Err(PackError::Read { path, source }),
                    Msg::Chunk(_) | Msg::Batch(_) => false,
                };
                zip.start_file(name.as_str(), file_options(deflate, e.bytes))?;
                let mut written = 0u64;
                loop {
                    if progress.cancelled() {
                        return Err(PackError::Cancelled);
                    }
                    match recv()? {
                        Msg::Chunk(buf) => {
                            written += buf.len() as u64;
                            if written > e.bytes {
                                return Err(PackError::Changed {
                                    path: path.clone(),
                                    detail: format!(
                                        "it is larger than the {} bytes recorded",
                                        e.bytes
                                    ),
                                });
                            }
                            zip.write_all(&buf).map_err(io_write)?;
                            progress.advance(buf.len() as u64);
                            pool.put(buf);
                        }
                        Msg::Done { sha256, len } => {
                            check(&sha256, len)?;
                            break;
                        }
                        Msg::Failed(source) => return Err(PackError::Read { path, source }),
                        Msg::Start { .. } | Msg::Prepared { .. } | Msg::Batch(_) => {}
                    }
                }
                progress.file_done(&path);
                done(window);
            }
        }
    }
    Ok(zip.finish()?)
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

/// Writes `plan` to `path` atomically: into a temporary file beside it, renamed over `path`
/// only when complete. On any error (or cancellation) the temporary file is removed and an
/// older pack at `path` is left as it was.
pub fn write_pack_file(
    plan: &Plan,
    path: &Path,
    options: &PackOptions,
    progress: &dyn Progress,
) -> Result<(), PackError> {
    let with_path = |source: io::Error| PackError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "pack".into());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{stem}."))
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(with_path)?;
    {
        let writer = PosWriter {
            inner: BufWriter::with_capacity(1 << 20, tmp.as_file_mut()),
            pos: 0,
        };
        let mut writer = match write_zip(plan, writer, options, progress) {
            Ok(w) => w,
            Err(PackError::Write { source, .. }) => return Err(with_path(source)),
            Err(e) => return Err(e),
        };
        writer.flush().map_err(with_path)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(with_path)?;
    }
    if options.sync {
        tmp.as_file().sync_all().map_err(with_path)?;
    }
    tmp.persist(path).map_err(|e| with_path(e.error))?;
    Ok(())
}
