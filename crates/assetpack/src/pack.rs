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
//! Its parts: `jobs` cuts the plan into jobs, `read` is the readers, `fragment` the small
//! archive a reader makes of a run of entries, `ahead` bounds how far the readers run ahead
//! of the writer (and so the memory), and `write` is the writer.
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

use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::Mutex;

use zip::write::SimpleFileOptions;
use zip::{DateTime, System};

use crate::cache::Cache;
use crate::content;
use crate::examine::ReadFiles;
use crate::plan::{EntryData, Plan};
use crate::progress::Progress;

mod ahead;
mod fragment;
mod jobs;
mod read;
mod write;

use ahead::{Pool, Spares, Window, AHEAD, BUCKET_READERS, JOBS_AHEAD, WINDOW};
use jobs::{items, jobs};
use read::{read_jobs, Msg};
use write::write_jobs;

/// The size of a read: a large file is streamed in chunks of it, and a smaller file is read
/// whole into a fragment.
const CHUNK: usize = 1 << 20;

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
    let window = Window::new(&jobs, ahead, fragments);
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
    use crate::plan::{Entry, Method, SourceFile};
    use sha2::{Digest, Sha256};
    use std::io::Read;
    use zip::{CompressionMethod, ZipArchive};

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
