//! A pack written straight into a bucket: a multipart upload that the ZIP writer sees as a
//! file it can seek in.
//!
//! The writer goes back only to finish the local header of the entry it has just written
//! (its CRC-32 and sizes, once they are known). The pack says where each entry starts
//! ([`Marks::entry_starts`]); a part is sent as soon as it is full and holds no header that
//! may still change, so memory stays at a few parts whatever the pack's size, and the bytes
//! are the same as a local build's. Parts are numbered by their place in the object, so one
//! kept back for its header can go after the parts that follow it.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use object_store::multipart::PartId;
use object_store::{MultipartId, PutPayload};

use super::remote::{block_on, spawn};
use super::{Remote, StoreError};

/// The smallest part (S3 wants 5 MiB or more for every part but the last).
const MIN_PART: u64 = 8 << 20;
/// The largest part S3 takes.
const MAX_PART: u64 = 5 << 30;
/// The most parts of one upload.
const MAX_PARTS: u64 = 10_000;
/// Parts on their way at once (eight: a store that answers each request slowly, like a test
/// server on this machine, is kept busy; at most about 130 MB in memory).
const IN_FLIGHT: usize = 8;
/// Parts on their way at once from all the uploads of this process (packs built side by side
/// share them: memory stays bounded, and a store is not flooded).
const IN_FLIGHT_IN_ALL: usize = 12;

/// The parts on their way from this process, and a signal when one has arrived.
static SENDING: (Mutex<usize>, std::sync::Condvar) = (Mutex::new(0), std::sync::Condvar::new());

/// One of the process's [`IN_FLIGHT_IN_ALL`] places for a part on its way, given back when
/// dropped (when the part's request has ended, whoever waits for it).
struct Place;

impl Place {
    fn take() -> Place {
        let (count, arrived) = &SENDING;
        let mut n = count.lock().unwrap_or_else(|e| e.into_inner());
        while *n >= IN_FLIGHT_IN_ALL {
            n = arrived.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        *n += 1;
        Place
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let (count, arrived) = &SENDING;
        let mut n = count.lock().unwrap_or_else(|e| e.into_inner());
        *n = n.saturating_sub(1);
        arrived.notify_one();
    }
}
/// Bytes after an entry's start that the writer may still rewrite: its local header (30
/// bytes, the name, the extra fields).
const HEADER_ROOM: u64 = 128 << 10;

/// Where the entries of a pack start, told by the pack's writer: the bytes of the last two
/// entries' headers are kept until the next entries start (until then the ZIP writer may
/// still fill them in). Shared between the writer and the [`Upload`].
#[derive(Clone, Debug, Default)]
pub struct Marks {
    starts: Arc<Mutex<Option<[u64; 2]>>>,
    told: Arc<AtomicU64>,
}

impl Marks {
    /// An entry starts at byte `at`: the entry before the last can no longer change.
    pub fn entry_starts(&self, at: u64) {
        if let Ok(mut s) = self.starts.lock() {
            *s = Some(match *s {
                Some([_, last]) => [last, at],
                None => [at, at],
            });
        }
        self.told.fetch_add(1, Ordering::Relaxed);
    }

    /// True when bytes `range` may still be rewritten. Until a first mark, everything may.
    fn may_change(&self, range: std::ops::Range<u64>) -> bool {
        match self.starts.lock().ok().and_then(|s| *s) {
            None => true,
            Some(starts) => starts
                .iter()
                .any(|&m| m < range.end && range.start < m.saturating_add(HEADER_ROOM)),
        }
    }
}

type Sending = tokio::task::JoinHandle<object_store::Result<PartId>>;

/// A pack on its way into a bucket; see the module docs. [`Write`] and [`Seek`] like a file;
/// nothing is under the key until [`Upload::commit`], and an upload dropped uncommitted is
/// aborted (the store forgets its parts; an older object under the key stays).
pub struct Upload {
    remote: Remote,
    id: MultipartId,
    part: u64,
    /// Parts still in memory, by number.
    held: BTreeMap<u64, Vec<u8>>,
    /// Parts on their way, oldest first.
    sending: VecDeque<(u64, Sending)>,
    /// Parts the store has, by number.
    sent: BTreeMap<u64, PartId>,
    pos: u64,
    end: u64,
    marks: Marks,
    /// How many marks had been told when the held parts were last looked at.
    seen: u64,
    failed: Option<String>,
    committed: bool,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("to", &self.remote)
            .field("bytes", &self.end)
            .finish()
    }
}

impl Upload {
    /// Starts a multipart upload to `remote` for a pack of about `bytes` bytes (which sets
    /// the part size: 8 MiB, or more when 10,000 such parts would not hold it).
    pub(super) fn start(remote: Remote, bytes: u64) -> Result<Upload, StoreError> {
        let part = part_size(bytes).ok_or_else(|| StoreError::TooLarge {
            url: remote.to_string(),
            bytes,
        })?;
        let created = block_on(remote.parts().create_multipart(remote.key()))?;
        let id = created.map_err(|e| remote.failed("upload to", e))?;
        Ok(Upload {
            remote,
            id,
            part,
            held: BTreeMap::new(),
            sending: VecDeque::new(),
            sent: BTreeMap::new(),
            pos: 0,
            end: 0,
            marks: Marks::default(),
            seen: 0,
            failed: None,
            committed: false,
        })
    }

    /// Where the writer tells this upload where entries start.
    pub fn marks(&self) -> Marks {
        self.marks.clone()
    }

    /// Sends what is left and makes the object appear under its key, whole.
    pub fn commit(mut self) -> Result<(), StoreError> {
        self.failure()?;
        if self.end == 0 {
            return Err(self.request_error("there is nothing to upload".into()));
        }
        let last = (self.end - 1) / self.part;
        self.send_all()?;
        if (0..=last).any(|k| !self.sent.contains_key(&k)) {
            return Err(self.request_error("a part of the pack was never sent".into()));
        }
        let parts: Vec<PartId> = std::mem::take(&mut self.sent).into_values().collect();
        let done = block_on(self.remote.parts().complete_multipart(
            self.remote.key(),
            &self.id,
            parts,
        ))?;
        done.map_err(|e| self.remote.failed("upload to", e))?;
        self.committed = true;
        Ok(())
    }

    fn request_error(&self, why: String) -> StoreError {
        StoreError::Request {
            url: self.remote.to_string(),
            what: "upload to",
            why,
            fix: "nothing was written under the key; try again",
        }
    }

    fn failure(&self) -> Result<(), StoreError> {
        match &self.failed {
            Some(why) => Err(self.request_error(why.clone())),
            None => Ok(()),
        }
    }

    /// Sends every held part and waits for all of them.
    fn send_all(&mut self) -> Result<(), StoreError> {
        let held: Vec<u64> = self.held.keys().copied().collect();
        for k in held {
            if let Some(bytes) = self.held.remove(&k) {
                self.send(k, bytes)?;
            }
        }
        while !self.sending.is_empty() {
            self.wait_oldest()?;
        }
        Ok(())
    }

    fn send(&mut self, k: u64, bytes: Vec<u8>) -> Result<(), StoreError> {
        let parts = Arc::clone(self.remote.parts());
        let key = self.remote.key().clone();
        let id = self.id.clone();
        let payload = PutPayload::from(bytes);
        let place = Place::take();
        let handle = spawn(async move {
            let sent = parts.put_part(&key, &id, k as usize, payload).await;
            drop(place);
            sent
        })?;
        self.sending.push_back((k, handle));
        while self.sending.len() > IN_FLIGHT {
            self.wait_oldest()?;
        }
        Ok(())
    }

    fn wait_oldest(&mut self) -> Result<(), StoreError> {
        let Some((k, handle)) = self.sending.pop_front() else {
            return Ok(());
        };
        let result = block_on(handle)?;
        match result {
            Ok(Ok(id)) => {
                self.sent.insert(k, id);
                Ok(())
            }
            Ok(Err(e)) => {
                let err = self.remote.failed("upload to", e);
                self.failed = Some(err.to_string());
                Err(err)
            }
            Err(e) => {
                let why = format!("sending part {} stopped: {e}", k + 1);
                self.failed = Some(why.clone());
                Err(self.request_error(why))
            }
        }
    }

    /// Sends the full parts that no header in them may still change.
    fn send_ready(&mut self) -> Result<(), StoreError> {
        let ready: Vec<u64> = self
            .held
            .iter()
            .filter(|(k, bytes)| {
                let start = **k * self.part;
                bytes.len() as u64 == self.part
                    && !(start..start + self.part).contains(&self.pos)
                    && !self.marks.may_change(start..start + self.part)
            })
            .map(|(k, _)| *k)
            .collect();
        for k in ready {
            if let Some(bytes) = self.held.remove(&k) {
                self.send(k, bytes)?;
            }
        }
        Ok(())
    }
}

/// The part size for `bytes`: 8 MiB, or whole MiB enough for 10,000 parts to hold it with
/// room to spare; `None` past what S3 takes.
fn part_size(bytes: u64) -> Option<u64> {
    let room = bytes.saturating_add(bytes / 20).saturating_add(64 << 20);
    let needed = room.div_ceil(MAX_PARTS - 100).next_multiple_of(1 << 20);
    let part = needed.max(MIN_PART);
    (part <= MAX_PART).then_some(part)
}

impl Write for Upload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(why) = &self.failed {
            return Err(io::Error::other(why.clone()));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let k = self.pos / self.part;
        let off = (self.pos % self.part) as usize;
        if self.sent.contains_key(&k) || self.sending.iter().any(|(s, _)| *s == k) {
            return Err(io::Error::other(format!(
                "the pack's writer went back to byte {} after it was uploaded",
                self.pos
            )));
        }
        if k >= MAX_PARTS {
            return Err(io::Error::other(
                "the pack outgrew the largest multipart upload",
            ));
        }
        let part = self.part as usize;
        let bytes = self
            .held
            .entry(k)
            .or_insert_with(|| Vec::with_capacity(part));
        if bytes.len() < off {
            bytes.resize(off, 0);
        }
        let n = buf.len().min(part - off);
        let over = (bytes.len() - off).min(n);
        bytes[off..off + over].copy_from_slice(&buf[..over]);
        bytes.extend_from_slice(&buf[over..n]);
        let filled = bytes.len() == part;
        self.pos += n as u64;
        self.end = self.end.max(self.pos);
        let told = self.marks.told.load(Ordering::Relaxed);
        if filled || told != self.seen {
            self.seen = told;
            if let Err(e) = self.send_ready() {
                return Err(io::Error::other(e));
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Upload {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.end.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos =
            pos.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before start"))?;
        Ok(self.pos)
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for (_, handle) in self.sending.drain(..) {
            handle.abort();
        }
        // The store forgets the parts; nothing ever appeared under the key.
        let parts = Arc::clone(self.remote.parts());
        let _ = block_on(parts.abort_multipart(self.remote.key(), &self.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_8_mib_until_10_000_of_them_would_not_hold_the_pack() {
        assert_eq!(part_size(0), Some(MIN_PART));
        assert_eq!(part_size(4 << 30), Some(MIN_PART));
        let big = 200u64 << 30;
        let part = part_size(big).unwrap();
        assert!(part > MIN_PART && part.is_multiple_of(1 << 20));
        assert!(big.div_ceil(part) < MAX_PARTS);
        assert_eq!(part_size(60 << 40), None);
    }

    #[test]
    fn marks_keep_the_last_two_headers() {
        let m = Marks::default();
        assert!(
            m.may_change(100..200),
            "before any mark everything may change"
        );
        m.entry_starts(0);
        m.entry_starts(10 << 20);
        assert!(m.may_change(0..(8 << 20)));
        m.entry_starts(20 << 20);
        assert!(!m.may_change(0..(8 << 20)));
        assert!(m.may_change((8 << 20)..(16 << 20)));
        assert!(m.may_change((16 << 20)..(24 << 20)));
        assert!(!m.may_change((24 << 20)..(32 << 20)));
    }
}
