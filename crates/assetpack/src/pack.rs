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
use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipWriter};

use crate::plan::{Entry, EntryData, Method, Plan};
use crate::progress::Progress;

const CHUNK: usize = 1 << 20;
/// Chunks a reader may hold ready per file.
const AHEAD: usize = 4;

/// Options for [`write_zip`].
#[derive(Clone, Debug)]
pub struct PackOptions {
    /// Reader threads (at least 1). The output does not depend on it.
    pub jobs: usize,
}

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions {
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
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
    Failed(io::Error),
}

/// A pool of read buffers, so 1 MiB chunks are reused instead of allocated.
struct Pool(Mutex<Vec<Vec<u8>>>);

impl Pool {
    fn get(&self) -> Vec<u8> {
        let mut v = self
            .0
            .lock()
            .map(|mut p| p.pop())
            .ok()
            .flatten()
            .unwrap_or_default();
        v.resize(CHUNK, 0);
        v
    }
    fn put(&self, v: Vec<u8>) {
        if let Ok(mut p) = self.0.lock() {
            if p.len() < 64 {
                p.push(v);
            }
        }
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

fn open_file(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
}

/// Reads one file into its channel. Returns false when the writer has gone away.
fn read_one(
    path: &Path,
    method: Method,
    tx: &SyncSender<Msg>,
    pool: &Pool,
    stop: &AtomicBool,
) -> bool {
    let mut file = match open_file(path) {
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
        let mut buf = pool.get();
        let mut n = 0;
        while n < buf.len() {
            match file.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return tx.send(Msg::Failed(e)).is_ok(),
            }
        }
        buf.truncate(n);
        if !started {
            let deflate = match method {
                Method::Store => false,
                Method::Deflate => true,
                Method::Sample => worth_deflating(&buf),
            };
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
        let last = n < CHUNK;
        if tx.send(Msg::Chunk(buf)).is_err() {
            return false;
        }
        if last {
            break;
        }
    }
    tx.send(Msg::Done {
        sha256: hex::encode(hasher.finalize()),
        len,
    })
    .is_ok()
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
                files.push((path.as_path(), e.method));
                Some(files.len() - 1)
            }
            EntryData::Bytes(_) => None,
        };
        items.push((plan.zip_name(e), Item::Entry(e, slot)));
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));

    progress.begin(plan.entries.len() as u64, plan.total_bytes());
    let (txs, rxs): (Vec<_>, Vec<_>) = files.iter().map(|_| sync_channel::<Msg>(AHEAD)).unzip();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let pool = Pool(Mutex::new(Vec::new()));
    let jobs = options.jobs.max(1);
    let senders: Vec<Mutex<Option<SyncSender<Msg>>>> =
        txs.into_iter().map(|t| Mutex::new(Some(t))).collect();

    let result = std::thread::scope(|scope| {
        for _ in 0..jobs.min(files.len().max(1)) {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= files.len() || stop.load(Ordering::Relaxed) {
                    break;
                }
                let Some(tx) = senders[k].lock().ok().and_then(|mut s| s.take()) else {
                    break;
                };
                let (path, method) = files[k];
                if !read_one(path, method, &tx, &pool, &stop) {
                    break;
                }
            });
        }
        let result = write_items(plan, &items, rxs, out, &pool, progress);
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        result
    });
    progress.finish();
    result
}

fn write_items<W: Write + Seek>(
    plan: &Plan,
    items: &[(String, Item)],
    rxs: Vec<Receiver<Msg>>,
    out: W,
    pool: &Pool,
    progress: &dyn Progress,
) -> Result<W, PackError> {
    let (y, mo, d, h, mi, s) = plan.timestamp;
    let time =
        DateTime::from_date_and_time(y, mo, d, h, mi, s).unwrap_or_else(|_| DateTime::default());
    let base = SimpleFileOptions::default()
        .system(System::Unix)
        .last_modified_time(time);
    let file_options = |deflate: bool, bytes: u64| {
        let o = base
            .unix_permissions(0o644)
            .large_file(bytes >= u64::from(u32::MAX));
        if deflate {
            o.compression_method(CompressionMethod::Deflated)
                .compression_level(Some(6))
        } else {
            o.compression_method(CompressionMethod::Stored)
        }
    };
    let mut zip = ZipWriter::new(out);
    if plan.entries.len() >= usize::from(u16::MAX) {
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
                let rx = &rxs[*k];
                let recv = || {
                    rx.recv().map_err(|_| PackError::Read {
                        path: path.clone(),
                        source: io::Error::other("the reader stopped"),
                    })
                };
                let deflate = match recv()? {
                    Msg::Start { deflate } => deflate,
                    Msg::Failed(source) => return Err(PackError::Read { path, source }),
                    _ => false,
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
                                    path,
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
                            if len != e.bytes {
                                return Err(PackError::Changed {
                                    path,
                                    detail: format!("{len} bytes, {} recorded", e.bytes),
                                });
                            }
                            if sha256 != e.sha256 {
                                return Err(PackError::Changed {
                                    path,
                                    detail: format!("SHA-256 {sha256}, {} recorded", e.sha256),
                                });
                            }
                            break;
                        }
                        Msg::Failed(source) => return Err(PackError::Read { path, source }),
                        Msg::Start { .. } => {}
                    }
                }
                progress.file_done(&path);
            }
        }
    }
    Ok(zip.finish()?)
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
        let writer = BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
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
    tmp.as_file().sync_all().map_err(with_path)?;
    tmp.persist(path).map_err(|e| with_path(e.error))?;
    Ok(())
}
