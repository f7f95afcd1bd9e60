//! A content-addressed copy, on local disk, of assets read from buckets, so that a run that
//! builds several packs (`build SPEC... --out-dir`) reads each shared asset from the store
//! once, and a kept cache (`--cache DIR`) spares the next run the reads.
//!
//! Entries are named by their SHA-256 and hold exactly those bytes: an entry is written to a
//! temporary name, hashed as it is written, and renamed into place only when its hash and
//! size are the manifest's. The cache is bounded: past its limit the least recently used
//! entries go, and an asset larger than the limit is never copied (it streams from the store
//! as it would without a cache). A file on this machine is never copied.
//!
//! A cache also keeps *derived records*: what a view computed from an asset's bytes (the
//! index's thumbnail of a poster), under `derived/`, named by a key the view makes from the
//! asset's SHA-256 and everything else the record depends on ([`Cache::derived`],
//! [`Cache::keep_derived`]). Each holds the SHA-256 of its record before the record, so one
//! damaged on disk is noticed and made again; they count towards the bound like the copies.
//!
//! A pack's reader asks for an asset with [`Cache::open`]; while one reader copies an asset
//! in, another asking for it waits for the copy. The copy is read from the store to the end
//! on its own, not in step with any pack's writer, so waiting on it cannot dead-lock two
//! packs built side by side.
//!
//! ```
//! use assetpack::cache::Cache;
//!
//! let dir = tempfile::tempdir()?;
//! let cache = Cache::keep(dir.path(), 1 << 30)?;
//! assert_eq!(cache.used(), 0);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};

use sha2::{Digest, Sha256};

use crate::catalog::Inputs;
use crate::digest::{sha256_reader, BUFFER};
use crate::files::Opened;
use crate::manifest::Content;
use crate::store::Place;

/// The default bound on a cache's size: 2 GiB.
pub const DEFAULT_LIMIT: u64 = 2 << 30;

/// Marks a folder as a cache, so backup tools may skip it (<https://bford.info/cachedir/>).
const TAG: &str = "CACHEDIR.TAG";
const TAG_TEXT: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file marks a cache made by assetpack (copies of assets read from buckets).\n\
# Deleting the folder loses nothing: assetpack reads the assets again.\n";

/// A file to open: a provider's folder (`base`) and the path below it, as its manifest gives
/// them.
pub type Source<'a> = (&'a Place, &'a str);

fn open_source((base, rel): Source<'_>) -> io::Result<Opened> {
    crate::files::open(base, rel)
}

/// A bounded, content-addressed cache of assets read from buckets (see the module docs).
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    limit: u64,
    /// Kept across runs (every asset read from a bucket is copied in), or made for one run
    /// (only assets more than one pack reads are copied; the folder goes when it is dropped).
    kept: bool,
    _temporary: Option<tempfile::TempDir>,
    state: Mutex<State>,
    copied: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Each entry's size, whether this process has hashed it, and when it was last used.
    entries: HashMap<String, Entry>,
    used: u64,
    clock: u64,
    /// Entries being copied in.
    copying: HashSet<String>,
    /// How many more reads of each asset this run expects ([`Cache::expect`]).
    expected: HashMap<String, u32>,
    /// Reads answered from the cache, and assets copied in.
    hits: u64,
    copies: u64,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    size: u64,
    /// Copied in by this process, or hashed once since it started (an entry found on disk
    /// from an earlier run is hashed before it is first used).
    sound: bool,
    last_used: u64,
}

/// What the build of `inputs` will read from buckets, one SHA-256 per read: each file of the
/// pack whose SHA-256 its manifest records, and, when the build makes its views (`looks`: the
/// PDF index or the HTML catalogue, which look at each asset's file), each asset's own file
/// once more. Empty when the pack reads nothing from a bucket (no cache is needed then); each
/// read goes to [`Cache::expect`] otherwise.
pub fn bucket_reads(inputs: &Inputs, looks: bool) -> Vec<String> {
    let mut reads = Vec::new();
    for s in &inputs.selected {
        let Some(m) = inputs.manifests.get(s.manifest) else {
            continue;
        };
        if m.base.local().is_some() {
            continue;
        }
        let looked = m.assets.get(s.asset).and_then(|a| match &a.content {
            Content::File(f) if looks => f.sha256.as_ref(),
            _ => None,
        });
        let files = s.files(m);
        let packed = files.iter().filter_map(|(_, f)| f.sha256.as_ref());
        reads.extend(packed.chain(looked).cloned());
    }
    reads
}

impl Cache {
    /// A cache kept in `dir` (made if missing) across runs, bounded to `limit` bytes. What an
    /// earlier run left there is used; partial copies a run stopped outright left (untouched
    /// for an hour: another run may be copying into the folder now) are removed.
    pub fn keep(dir: &Path, limit: u64) -> io::Result<Cache> {
        std::fs::create_dir_all(dir)?;
        let tag = dir.join(TAG);
        if !tag.exists() {
            std::fs::write(&tag, TAG_TEXT)?;
        }
        let mut state = State::default();
        find_entries(dir, "", false, &mut state)?;
        // Derived records are checked at each read: their folder may be missing, or even
        // unreadable (then none is used).
        let _ = find_entries(&dir.join(DERIVED), &derived_name(""), true, &mut state);
        let cache = Cache::with(dir.to_owned(), limit, true, None, state);
        cache.evict(&mut cache.lock());
        Ok(cache)
    }

    /// A cache for one run, in a new folder in the system's temporary folder (`TMPDIR`),
    /// removed when the cache is dropped; only assets [`Cache::expect`]ed more than once are
    /// copied in.
    pub fn for_run(limit: u64) -> io::Result<Cache> {
        let temporary = tempfile::Builder::new()
            .prefix("assetpack-cache-")
            .tempdir()?;
        let dir = temporary.path().to_owned();
        Ok(Cache::with(
            dir,
            limit,
            false,
            Some(temporary),
            State::default(),
        ))
    }

    fn with(
        dir: PathBuf,
        limit: u64,
        kept: bool,
        temporary: Option<tempfile::TempDir>,
        state: State,
    ) -> Cache {
        Cache {
            dir,
            limit,
            kept,
            _temporary: temporary,
            state: Mutex::new(state),
            copied: Condvar::new(),
        }
    }

    /// Its folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes its entries hold.
    pub fn used(&self) -> u64 {
        self.lock().used
    }

    /// Reads answered from the cache so far, and assets copied in.
    pub fn counts(&self) -> (u64, u64) {
        let state = self.lock();
        (state.hits, state.copies)
    }

    /// Says that a pack of this run will read the asset with this SHA-256 once more: a cache
    /// for one run copies in only what is read more than once.
    pub fn expect(&self, sha256: &str) {
        *self.lock().expected.entry(sha256.to_owned()).or_default() += 1;
    }

    /// Opens the file `rel` below `base` (a provider's folder), whose contents its manifest
    /// says are `len` bytes hashing to `sha256`: the cache's copy when it has one, else a copy
    /// made now when it should keep one, else the file itself. A file on this machine is
    /// always opened where it is.
    pub fn open(&self, source: Source<'_>, sha256: &str, len: u64) -> io::Result<Opened> {
        if source.0.local().is_some() || !is_sha256(sha256) {
            return open_source(source);
        }
        let mut state = self.lock();
        loop {
            if state.copying.contains(sha256) {
                state = self.copied.wait(state).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            if let Some(entry) = state.entries.get(sha256).copied() {
                match self.open_entry(&mut state, sha256, entry, len) {
                    Some(opened) => {
                        state.hits += 1;
                        self.served(&mut state, sha256);
                        return Ok(opened);
                    }
                    None => continue,
                }
            }
            let later = state.expected.get(sha256).is_some_and(|n| *n > 1);
            if !(self.kept || later) || len > self.limit {
                self.served(&mut state, sha256);
                drop(state);
                return open_source(source);
            }
            state.copying.insert(sha256.to_owned());
            drop(state);
            return self.copy_in(source, sha256, len);
        }
    }

    /// Copies the file `rel` below `base` in ahead of its readers, when the cache would keep
    /// it (as [`Cache::open`] would) and it fits beside what the cache holds without pushing
    /// anything out; counts no read. So the files a caller is about to read one per core can
    /// be fetched from their bucket several at once first.
    pub fn fetch(&self, source: Source<'_>, sha256: &str, len: u64) -> io::Result<()> {
        if source.0.local().is_some() || !is_sha256(sha256) {
            return Ok(());
        }
        let mut state = self.lock();
        let later = state.expected.get(sha256).is_some_and(|n| *n > 1);
        let fits = state.used.saturating_add(len) <= self.limit;
        if !(self.kept || later)
            || !fits
            || state.copying.contains(sha256)
            || state.entries.contains_key(sha256)
        {
            return Ok(());
        }
        state.copying.insert(sha256.to_owned());
        drop(state);
        let copied = self.copy(source, sha256, len);
        let settled = self.settle(&mut self.lock(), sha256, len, copied);
        self.copied.notify_all();
        settled.map(|_| ())
    }

    /// Records how a copy of `sha256` went: no longer being copied; a sound copy becomes an
    /// entry (and what no longer fits goes). True when it did.
    fn settle(
        &self,
        state: &mut MutexGuard<'_, State>,
        sha256: &str,
        len: u64,
        copied: io::Result<bool>,
    ) -> io::Result<bool> {
        state.copying.remove(sha256);
        if let Ok(true) = copied {
            state.copies += 1;
            state.add(sha256, len, true);
            self.evict(state);
        }
        copied
    }

    /// Counts one expected read of `sha256` done; a cache for one run lets go of an entry no
    /// pack will read again (the file stays readable through what is open).
    fn served(&self, state: &mut MutexGuard<'_, State>, sha256: &str) {
        let Some(n) = state.expected.get_mut(sha256) else {
            return;
        };
        *n = n.saturating_sub(1);
        if *n == 0 && !self.kept {
            self.forget(state, sha256);
        }
    }

    /// The entry opened, or `None` (and the entry forgotten) when it is gone or its bytes are
    /// not what its name says.
    fn open_entry(
        &self,
        state: &mut MutexGuard<'_, State>,
        sha256: &str,
        entry: Entry,
        len: u64,
    ) -> Option<Opened> {
        let opened = File::open(self.dir.join(sha256))
            .and_then(|f| Ok((f.metadata()?.len(), f)))
            .ok()
            .filter(|(size, _)| *size == len && entry.size == len)
            .filter(|(_, f)| entry.sound || hashes_to(f, sha256));
        let Some((size, file)) = opened else {
            self.forget(state, sha256);
            return None;
        };
        state.touch(sha256);
        if let Some(e) = state.entries.get_mut(sha256) {
            e.sound = true;
        }
        Some(Opened::file((file, size)))
    }

    /// Copies `source` into the cache and opens the copy; a copy whose bytes are not the
    /// plan's is thrown away and the file opened itself (the pack then says what differs).
    fn copy_in(&self, source: Source<'_>, sha256: &str, len: u64) -> io::Result<Opened> {
        let copied = self.copy(source, sha256, len);
        let mut state = self.lock();
        let result = match self.settle(&mut state, sha256, len, copied) {
            Ok(true) => {
                let entry = state.entries.get(sha256).copied();
                let opened = entry.and_then(|e| self.open_entry(&mut state, sha256, e, len));
                self.served(&mut state, sha256);
                opened.map_or_else(|| open_source(source), Ok)
            }
            Ok(false) => {
                self.served(&mut state, sha256);
                open_source(source)
            }
            Err(e) => Err(e),
        };
        drop(state);
        self.copied.notify_all();
        result
    }

    /// Reads `source` to its end into a temporary file and renames it to `sha256` when the
    /// bytes hash to it; false when they do not.
    fn copy(&self, source: Source<'_>, sha256: &str, len: u64) -> io::Result<bool> {
        let mut from = open_source(source)?;
        let mut to = tempfile::Builder::new()
            .prefix(".copy-")
            .tempfile_in(&self.dir)?;
        let tee = Tee {
            from: &mut from,
            to: &mut to,
        };
        let (hash, total) = sha256_reader(tee, &mut vec![0; BUFFER], |_| {})?;
        if total != len || hash != sha256 {
            return Ok(false);
        }
        to.persist(self.dir.join(sha256)).map_err(|e| e.error)?;
        Ok(true)
    }

    /// The derived record kept under `key` (64 lowercase hex digits, see the module docs), or
    /// `None` when there is none or it is damaged (it is then removed).
    pub fn derived(&self, key: &str) -> Option<Vec<u8>> {
        if !is_sha256(key) {
            return None;
        }
        let name = derived_name(key);
        let mut state = self.lock();
        state.entries.get(&name)?;
        let read = std::fs::read(self.dir.join(&name)).ok();
        match read.as_deref().and_then(unwrap_record) {
            Some(record) => {
                state.touch(&name);
                Some(record.to_vec())
            }
            None => {
                self.forget(&mut state, &name);
                None
            }
        }
    }

    /// Keeps `record` under `key` (see [`Cache::derived`]), unless it is larger than the
    /// bound. A record that cannot be written is not kept, and that is all: the next run
    /// computes it again.
    pub fn keep_derived(&self, key: &str, record: &[u8]) {
        let size = record.len() as u64 + 32;
        if !is_sha256(key) || size > self.limit {
            return;
        }
        let name = derived_name(key);
        if self.write_derived(&name, record).is_ok() {
            let mut state = self.lock();
            state.add(&name, size, true);
            self.evict(&mut state);
        }
    }

    fn write_derived(&self, name: &str, record: &[u8]) -> io::Result<()> {
        let dir = self.dir.join(DERIVED);
        std::fs::create_dir_all(&dir)?;
        let mut to = tempfile::Builder::new()
            .prefix(".copy-")
            .tempfile_in(&dir)?;
        to.write_all(&Sha256::digest(record))?;
        to.write_all(record)?;
        to.persist(self.dir.join(name)).map_err(|e| e.error)?;
        Ok(())
    }

    /// Removes the least recently used entries until the cache is within its limit.
    fn evict(&self, state: &mut MutexGuard<'_, State>) {
        while state.used > self.limit {
            let Some(oldest) = state
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.forget(state, &oldest);
        }
    }

    /// Removes an entry and its file.
    fn forget(&self, state: &mut MutexGuard<'_, State>, sha256: &str) {
        state.remove(sha256);
        let _ = std::fs::remove_file(self.dir.join(sha256));
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    fn add(&mut self, sha256: &str, size: u64, sound: bool) {
        self.clock += 1;
        let entry = Entry {
            size,
            sound,
            last_used: self.clock,
        };
        if let Some(old) = self.entries.insert(sha256.to_owned(), entry) {
            self.used -= old.size;
        }
        self.used += size;
    }

    fn touch(&mut self, sha256: &str) {
        self.clock += 1;
        if let Some(e) = self.entries.get_mut(sha256) {
            e.last_used = self.clock;
        }
    }

    fn remove(&mut self, sha256: &str) {
        if let Some(old) = self.entries.remove(sha256) {
            self.used -= old.size;
        }
    }
}

/// The folder of derived records in a cache's folder.
const DERIVED: &str = "derived";

/// A derived record's name in the cache's entries (its path below the cache's folder).
fn derived_name(key: &str) -> String {
    format!("{DERIVED}/{key}")
}

/// Adds the entries an earlier run left in `dir` to `state`, each named `prefix` and its
/// file's name, `sound` when they need no hashing before use; removes the partial copies a
/// run stopped outright left (untouched for an hour: another run may be writing one now).
fn find_entries(dir: &Path, prefix: &str, sound: bool, state: &mut State) -> io::Result<()> {
    for found in std::fs::read_dir(dir)? {
        let found = found?;
        let name = found.file_name();
        let Some(name) = name.to_str() else { continue };
        let Ok(md) = found.metadata() else { continue };
        if name.starts_with(".copy-") && left_over(&md) {
            let _ = std::fs::remove_file(found.path());
        } else if is_sha256(name) {
            state.add(&format!("{prefix}{name}"), md.len(), sound);
        }
    }
    Ok(())
}

/// The record a derived file holds, when the SHA-256 before it is the record's.
fn unwrap_record(file: &[u8]) -> Option<&[u8]> {
    let (sum, record) = file.split_at_checked(32)?;
    (Sha256::digest(record).as_slice() == sum).then_some(record)
}

/// True for a partial copy no run has written to for an hour.
fn left_over(md: &std::fs::Metadata) -> bool {
    let age = md.modified().ok().and_then(|t| t.elapsed().ok());
    age.is_some_and(|a| a > std::time::Duration::from_secs(3600))
}

/// True for 64 lowercase hex digits: an entry's name.
fn is_sha256(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// True when the file's bytes hash to `sha256` (an entry from an earlier run, checked once);
/// the file is left at its start.
fn hashes_to(mut file: &File, sha256: &str) -> bool {
    let hashed = sha256_reader(file, &mut vec![0; BUFFER], |_| {});
    hashed.is_ok_and(|(hash, _)| hash == sha256) && file.seek(SeekFrom::Start(0)).is_ok()
}

/// A reader that writes what it reads to `to` as well: a copy hashed as it is made.
struct Tee<R, W> {
    from: R,
    to: W,
}

impl<R: Read, W: Write> Read for Tee<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.from.read(buf)?;
        self.to.write_all(&buf[..n])?;
        Ok(n)
    }
}

#[cfg(all(test, feature = "s3"))]
mod tests {
    use super::*;
    use crate::store::Remote;
    use object_store::memory::InMemory;
    use object_store::{path::Path as Key, ObjectStoreExt, PutPayload};
    use std::sync::Arc;

    /// A bucket in memory holding `files`, its folder `s3://<bucket>/art` a place to read
    /// them from.
    fn bucket(name: &str, files: &[(&str, &[u8])]) -> (Arc<InMemory>, Arc<Place>) {
        let store = Arc::new(InMemory::new());
        for (rel, bytes) in files {
            replace(&store, rel, bytes);
        }
        let folder = url::Url::parse(&format!("s3://{name}/art/")).unwrap();
        let remote = Remote::from_store(folder.clone(), Arc::clone(&store)).unwrap();
        crate::store::objects::connect_to(&folder, remote);
        (store, Arc::new(Place::Remote(folder)))
    }

    fn source<'a>(base: &'a Place, rel: &'a str) -> Source<'a> {
        (base, rel)
    }

    fn sha(bytes: &[u8]) -> String {
        crate::digest::sha256_bytes(bytes)
    }

    fn read(mut opened: Opened) -> Vec<u8> {
        let mut bytes = Vec::new();
        opened.read_to_end(&mut bytes).unwrap();
        bytes
    }

    /// Replaces an object's bytes in the bucket (so a read of the bucket would see them).
    fn replace(store: &InMemory, rel: &str, bytes: &[u8]) {
        let key = Key::from(format!("art/{rel}"));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(store.put(&key, PutPayload::from(bytes.to_vec())))
            .unwrap();
    }

    #[test]
    fn a_run_copies_only_what_two_packs_read_and_lets_go_of_it_after_the_last() {
        let (shared, alone) = (
            b"shared poster".as_slice(),
            b"one region's flyer".as_slice(),
        );
        let (store, base) = bucket("cache-run", &[("shared.pdf", shared), ("alone.pdf", alone)]);
        let cache = Cache::for_run(1 << 20).unwrap();
        for _ in 0..2 {
            cache.expect(&sha(shared));
        }
        cache.expect(&sha(alone));

        let first = cache
            .open(source(&base, "shared.pdf"), &sha(shared), 13)
            .unwrap();
        assert_eq!(read(first), shared);
        assert_eq!((cache.counts(), cache.used()), ((0, 1), 13));
        let once = cache
            .open(source(&base, "alone.pdf"), &sha(alone), 18)
            .unwrap();
        assert_eq!(read(once), alone);
        assert_eq!(cache.counts(), (0, 1), "read once: not copied");

        // The second read is the copy's, whatever the bucket holds now.
        replace(&store, "shared.pdf", b"other bytes!!");
        let second = cache
            .open(source(&base, "shared.pdf"), &sha(shared), 13)
            .unwrap();
        assert_eq!(read(second), shared);
        assert_eq!(
            (cache.counts(), cache.used()),
            ((1, 1), 0),
            "let go after the last"
        );
        assert!(!cache.dir().join(sha(shared)).exists());
    }

    #[test]
    fn a_kept_cache_stays_in_its_bound_and_rehashes_what_an_earlier_run_left() {
        let files: Vec<(String, Vec<u8>)> = (0..4u8)
            .map(|i| (format!("f{i}.png"), vec![i; 400]))
            .collect();
        let named: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
        let (store, base) = bucket("cache-kept", &named);
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::keep(dir.path(), 1000).unwrap();
        for (name, bytes) in &files {
            let opened = cache.open(source(&base, name), &sha(bytes), 400).unwrap();
            assert_eq!(&read(opened), bytes);
        }
        // Two of 400 bytes fit in 1000: the two used last.
        assert_eq!(cache.used(), 800);
        assert!(!dir.path().join(sha(&files[0].1)).exists());
        assert!(dir.path().join(sha(&files[3].1)).exists());
        assert!(dir.path().join(TAG).exists());
        drop(cache);

        // The next run: one entry damaged on disk, the bucket changed under both.
        let damaged = dir.path().join(sha(&files[2].1));
        std::fs::write(&damaged, vec![9u8; 400]).unwrap();
        replace(&store, "f3.png", &[7; 400]);
        let cache = Cache::keep(dir.path(), 1000).unwrap();
        assert_eq!(cache.used(), 800);
        let kept = cache
            .open(source(&base, "f3.png"), &sha(&files[3].1), 400)
            .unwrap();
        assert_eq!(
            read(kept),
            files[3].1,
            "the entry, not the bucket's new bytes"
        );
        let again = cache
            .open(source(&base, "f2.png"), &sha(&files[2].1), 400)
            .unwrap();
        assert_eq!(read(again), files[2].1, "the damaged entry read again");
        assert_eq!(cache.counts(), (1, 1));
        assert_eq!(std::fs::read(&damaged).unwrap(), files[2].1);
    }

    #[test]
    fn bytes_that_are_not_the_plans_are_not_kept() {
        let (_store, base) = bucket("cache-wrong", &[("a.pdf", b"changed in the bucket")]);
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::keep(dir.path(), 1 << 20).unwrap();
        let planned = sha(b"what the manifest says");
        let opened = cache.open(source(&base, "a.pdf"), &planned, 21).unwrap();
        assert_eq!(
            read(opened),
            b"changed in the bucket",
            "the pack sees what differs"
        );
        assert_eq!((cache.counts(), cache.used()), ((0, 0), 0));
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "only the tag: {left:?}");
    }

    #[test]
    fn a_file_fetched_ahead_is_copied_once_and_its_reads_come_from_the_copy() {
        let poster = vec![9u8; 5000];
        let (_store, base) = bucket("cache-fetch", &[("poster.pdf", &poster)]);
        let cache = Cache::for_run(1 << 20).unwrap();
        // Fetching what is read once keeps nothing.
        cache
            .fetch(source(&base, "poster.pdf"), &sha(&poster), 5000)
            .unwrap();
        assert_eq!(cache.counts(), (0, 0));
        cache.expect(&sha(&poster));
        cache.expect(&sha(&poster));
        cache
            .fetch(source(&base, "poster.pdf"), &sha(&poster), 5000)
            .unwrap();
        cache
            .fetch(source(&base, "poster.pdf"), &sha(&poster), 5000)
            .unwrap();
        assert_eq!(cache.counts(), (0, 1), "copied once, nothing read yet");
        for _ in 0..2 {
            let opened = cache.open(source(&base, "poster.pdf"), &sha(&poster), 5000);
            assert!(read(opened.unwrap()) == poster);
        }
        assert_eq!(cache.counts(), (2, 1), "both reads from the copy");
        assert_eq!(cache.used(), 0, "let go of after the last read");
    }

    #[test]
    fn readers_side_by_side_get_one_copy() {
        let big = vec![5u8; 3 << 20];
        let (_store, base) = bucket("cache-side", &[("film.mp4", &big)]);
        let cache = Cache::for_run(1 << 30).unwrap();
        for _ in 0..4 {
            cache.expect(&sha(&big));
        }
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let src = source(&base, "film.mp4");
                    let opened = cache.open(src, &sha(&big), big.len() as u64).unwrap();
                    assert!(read(opened) == big);
                });
            }
        });
        assert_eq!(cache.counts(), (3, 1));
        assert_eq!(cache.used(), 0);
    }
}

#[cfg(test)]
mod derived_tests {
    use super::*;

    fn key(n: u8) -> String {
        crate::digest::sha256_bytes(&[n])
    }

    #[test]
    fn a_derived_record_is_kept_across_runs() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::keep(dir.path(), 1 << 20).unwrap();
        assert_eq!(cache.derived(&key(1)), None);
        cache.keep_derived(&key(1), b"thumbnail");
        assert_eq!(cache.derived(&key(1)).as_deref(), Some(&b"thumbnail"[..]));
        drop(cache);
        let next_run = Cache::keep(dir.path(), 1 << 20).unwrap();
        assert_eq!(next_run.used(), 32 + 9);
        assert_eq!(
            next_run.derived(&key(1)).as_deref(),
            Some(&b"thumbnail"[..])
        );
        // Not a key: nothing kept, nothing read, no path made of it.
        next_run.keep_derived("../escape", b"x");
        assert_eq!(next_run.derived("../escape"), None);
        assert!(!dir.path().join("escape").exists());
    }

    #[test]
    fn a_damaged_record_is_not_used_and_goes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::keep(dir.path(), 1 << 20).unwrap();
        cache.keep_derived(&key(2), b"thumbnail");
        let file = dir.path().join(DERIVED).join(key(2));
        let mut bytes = std::fs::read(&file).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(&file, bytes).unwrap();
        assert_eq!(cache.derived(&key(2)), None);
        assert!(!file.exists());
        assert_eq!(cache.used(), 0);
    }

    #[test]
    fn derived_records_count_towards_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::keep(dir.path(), 100).unwrap();
        cache.keep_derived(&key(3), &[0; 60]);
        cache.keep_derived(&key(4), &[0; 60]);
        // The older went to make room; one larger than the bound is never kept.
        assert_eq!(cache.derived(&key(3)), None);
        assert_eq!(cache.derived(&key(4)).map(|r| r.len()), Some(60));
        cache.keep_derived(&key(5), &[0; 100]);
        assert_eq!(cache.derived(&key(5)), None);
        assert_eq!(cache.used(), 92);
    }
}
