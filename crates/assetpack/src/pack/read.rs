//! The readers: each takes the next job in turn, reads and hashes its files, and sends the
//! writer a fragment (a small ZIP archive of a run of entries, compressed by the reader's
//! own DEFLATE encoder) or a large file's chunks, through the job's channel.

use std::borrow::Cow;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::cache::Cache;
use crate::content::{self, Inspection};
use crate::files::Opened;
use crate::plan::{zip_name_into, Entry, Method, SourceFile};

use super::fragment::Fragment;
use super::jobs::{Item, Job, Named};
use super::{Shared, CHUNK};

/// What a reader found in one file: its SHA-256 and length, to check against the plan, and
/// what its content is, for the build to judge.
pub(super) struct ReadBack {
    pub(super) sha256: String,
    pub(super) len: u64,
    pub(super) inspection: Inspection,
}

/// What a reader sends the writer through a job's channel.
pub(super) enum Msg {
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
    Start { deflate: bool },
    /// The next chunk of a large file: a buffer from the pool, handed back once written.
    Chunk(Vec<u8>),
    /// The large file is read to its end: what the reader found in it.
    Done(ReadBack),
    /// The large file could not be opened or read.
    Failed(io::Error),
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
    cache: Option<&Cache>,
    shared: &Shared,
    buf: &mut Vec<u8>,
) -> Msg {
    let (top, time) = (shared.top, shared.time);
    let mut zip = Fragment::in_buffer(
        shared.spares.take(),
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
    shared: &Shared,
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
        let Some(mut buf) = shared.pool.get(k, shared.window, stop) else {
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
            shared.pool.put(buf);
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

/// A reader thread: takes the next job in turn (`next`), once the window lets it start, and
/// sends what it read through that job's channel in `senders`; until no job is left or the
/// pack stops.
pub(super) fn read_jobs(
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
                let fragment = make_fragment(items, range.clone(), cache, shared, &mut small);
                tx.send(fragment).is_ok()
            }
            Job::Alone(k) => match &items[*k].1 {
                Item::File(e, path) => read_large(j, (e, path), cache, &tx, shared, stop),
                Item::Deflated(..) => true,
                Item::Dir | Item::Bytes(..) => false,
            },
        };
        if !sent {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
