//! An object read by ranges, as a verifier reads a pack: its end first (the central
//! directory: one request for the last 4 MiB, kept), then its entries in order. Each place
//! being read has a cursor, a ranged request from there to the end whose body is read as it
//! comes; a read where a cursor stands (or a little ahead of one) goes on with it, anywhere
//! else opens another. So a pack costs a handful of requests, each byte crosses the network
//! about once, and nothing is staged on disk. Every request asks for the version first seen
//! (`If-Match` its ETag): a pack replaced while it is read is an error, not a mixture.

use std::io;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures_util::stream::{BoxStream, StreamExt};
use object_store::{GetOptions, GetRange, GetResult, ObjectStore};

use super::remote::{block_on, stored_sha256};
use super::Remote;
use crate::content::{fill_with, ReadAt};

/// The end of the object fetched first (the central directory and the end records).
const TAIL: u64 = 4 << 20;
/// The start of a large object kept from the request that opened it.
const HEAD: u64 = 256 << 10;
/// A read this far ahead of a cursor skips the bytes between instead of a new request.
const SKIP: u64 = 1 << 20;
/// Cursors kept open at once.
const CURSORS: usize = 8;
/// New requests for one read after the body of one broke off.
const RETRIES: usize = 3;

type Body = BoxStream<'static, object_store::Result<Bytes>>;

/// A ranged request's body, read up to `pos`, with what was left of its last chunk.
struct Cursor {
    pos: u64,
    left: Bytes,
    body: Body,
}

/// An object in a bucket, read by ranges ([`ReadAt`]); see the module docs.
pub struct RemoteObject {
    remote: Remote,
    len: u64,
    etag: Option<String>,
    sha256: Option<String>,
    /// The object's first bytes, read with the request that opened it (see
    /// [`RemoteObject::started`]); empty when it was opened with a `HEAD`.
    head: Bytes,
    tail: Mutex<Option<(u64, Bytes)>>,
    cursors: Mutex<Vec<Cursor>>,
}

impl std::fmt::Debug for RemoteObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteObject")
            .field("at", &self.remote)
            .field("len", &self.len)
            .finish()
    }
}

impl RemoteObject {
    /// The object `got` describes (an answer to a `HEAD`, or to a `GET` whose body is left
    /// unread).
    pub(super) fn new(remote: Remote, got: &GetResult) -> RemoteObject {
        RemoteObject {
            remote,
            len: got.meta.size,
            etag: got.meta.e_tag.clone(),
            sha256: stored_sha256(&got.attributes),
            head: Bytes::new(),
            tail: Mutex::new(None),
            cursors: Mutex::new(Vec::new()),
        }
    }

    /// The object `got` answers for, a `GET` of the whole of it, as a file is read: all of it
    /// up to [`TAIL`] is read now, and of a larger object the first [`HEAD`] bytes (what a
    /// look at its type reads) with the rest of the body kept as a cursor from there. So a
    /// small object costs one request, and a large one read in order two at most (its start,
    /// and its end if something looks there first).
    pub(super) fn started(remote: Remote, got: GetResult) -> io::Result<RemoteObject> {
        let mut object = RemoteObject::new(remote, &got);
        let keep = match object.len <= TAIL {
            true => object.len,
            false => HEAD,
        };
        let mut cursor = Cursor {
            pos: 0,
            left: Bytes::new(),
            body: got.into_stream(),
        };
        let mut head = BytesMut::with_capacity(keep as usize);
        while (head.len() as u64) < keep {
            let mut chunk = object.next_chunk(&mut cursor)?;
            if chunk.is_empty() {
                break;
            }
            let n = chunk.len().min(keep as usize - head.len());
            cursor.left = chunk.split_off(n);
            head.extend_from_slice(&chunk);
        }
        cursor.pos = head.len() as u64;
        object.head = head.freeze();
        if cursor.pos < object.len {
            object.keep(cursor)?;
        }
        Ok(object)
    }

    /// The SHA-256 the object was stored with (`x-amz-meta-sha256`, lowercase hex), when
    /// whoever uploaded it said one. Never the ETag: that is no SHA-256 (an MD5, or a hash of
    /// the parts' hashes).
    pub fn stored_sha256(&self) -> Option<&str> {
        self.sha256.as_deref()
    }

    fn options(&self, range: GetRange) -> GetOptions {
        GetOptions {
            range: Some(range),
            if_match: self.etag.clone(),
            ..GetOptions::default()
        }
    }

    fn failed(&self, e: object_store::Error) -> io::Error {
        // The verifier names the pack; the error says what happened and what to do.
        io::Error::other(self.remote.failed("read", e).reason())
    }

    /// The last [`TAIL`] bytes, fetched on first use: where they start, and them.
    fn tail(&self) -> io::Result<(u64, Bytes)> {
        let mut tail = lock(&self.tail)?;
        if let Some(t) = tail.as_ref() {
            return Ok(t.clone());
        }
        let start = self.len.saturating_sub(TAIL);
        let store: &Arc<dyn ObjectStore> = self.remote.store();
        let options = self.options(GetRange::Bounded(start..self.len));
        let got = block_on(async {
            store
                .get_opts(self.remote.key(), options)
                .await?
                .bytes()
                .await
        })
        .map_err(io::Error::other)?
        .map_err(|e| self.failed(e))?;
        *tail = Some((start, got.clone()));
        Ok((start, got))
    }

    /// A cursor kept at `at` (or a little before it), taken out of the kept ones.
    fn kept_cursor(&self, at: u64) -> io::Result<Option<Cursor>> {
        let mut cursors = lock(&self.cursors)?;
        let near = cursors
            .iter()
            .position(|c| c.pos <= at && at - c.pos <= SKIP);
        Ok(near.map(|i| cursors.swap_remove(i)))
    }

    /// True when a cursor is kept at `at` or a little before it.
    fn has_cursor_near(&self, at: u64) -> io::Result<bool> {
        let cursors = lock(&self.cursors)?;
        Ok(cursors.iter().any(|c| c.pos <= at && at - c.pos <= SKIP))
    }

    /// A cursor at `at`: one kept there (or a little before, skipped forward), else a new
    /// request from `at` to the end.
    fn cursor(&self, at: u64) -> io::Result<Cursor> {
        match self.kept_cursor(at)? {
            Some(mut c) => {
                self.skip(&mut c, at)?;
                Ok(c)
            }
            None => self.open(at),
        }
    }

    fn open(&self, at: u64) -> io::Result<Cursor> {
        let store = Arc::clone(self.remote.store());
        let options = self.options(GetRange::Offset(at));
        let key = self.remote.key().clone();
        let got = block_on(async move { store.get_opts(&key, options).await })
            .map_err(io::Error::other)?
            .map_err(|e| self.failed(e))?;
        Ok(Cursor {
            pos: at,
            left: Bytes::new(),
            body: got.into_stream(),
        })
    }

    /// The next chunk of `c`'s body (empty at its end).
    fn next_chunk(&self, c: &mut Cursor) -> io::Result<Bytes> {
        if !c.left.is_empty() {
            return Ok(std::mem::take(&mut c.left));
        }
        match block_on(c.body.next()).map_err(io::Error::other)? {
            Some(Ok(chunk)) => Ok(chunk),
            Some(Err(e)) => Err(self.failed(e)),
            None => Ok(Bytes::new()),
        }
    }

    fn skip(&self, c: &mut Cursor, to: u64) -> io::Result<()> {
        while c.pos < to {
            let mut chunk = self.next_chunk(c)?;
            if chunk.is_empty() {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            let n = chunk.len().min((to - c.pos) as usize);
            c.left = chunk.split_off(n);
            c.pos += n as u64;
        }
        Ok(())
    }

    /// Reads at `offset` through a cursor, opening new requests when a body breaks off.
    fn read_through_cursor(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut tries = 0;
        loop {
            let mut c = self.cursor(offset)?;
            match self.next_chunk(&mut c) {
                Ok(mut chunk) => {
                    let n = buf.len().min(chunk.len());
                    buf[..n].copy_from_slice(&chunk[..n]);
                    c.left = chunk.split_off(n);
                    c.pos += n as u64;
                    if n > 0 {
                        self.keep(c)?;
                    }
                    return Ok(n);
                }
                // The body broke off: a new request from here.
                Err(_) if tries < RETRIES => tries += 1,
                Err(e) => return Err(e),
            }
        }
    }

    fn keep(&self, c: Cursor) -> io::Result<()> {
        let mut cursors = lock(&self.cursors)?;
        if cursors.len() >= CURSORS {
            cursors.remove(0);
        }
        cursors.push(c);
        Ok(())
    }
}

/// Copies what `bytes` holds from `from` into `buf`; how much.
fn copy_from(bytes: &[u8], from: usize, buf: &mut [u8]) -> usize {
    let n = buf.len().min(bytes.len().saturating_sub(from));
    buf[..n].copy_from_slice(&bytes[from..from + n]);
    n
}

fn lock<T>(m: &Mutex<T>) -> io::Result<std::sync::MutexGuard<'_, T>> {
    m.lock()
        .map_err(|_| io::Error::other("a reader of this object panicked"))
}

impl RemoteObject {
    /// One read (perhaps less than `buf` holds): from the start kept, from the tail when it
    /// is fetched already, from a cursor there, else from the tail (fetched now) at the end
    /// or a new cursor anywhere else.
    fn read_once(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        if offset >= self.len || buf.is_empty() {
            return Ok(0);
        }
        if offset < self.head.len() as u64 {
            return Ok(copy_from(&self.head, offset as usize, buf));
        }
        let fetched = lock(&self.tail)?.clone();
        let in_tail = offset >= self.len.saturating_sub(TAIL);
        let (start, tail) = match fetched {
            Some(t) if offset >= t.0 => t,
            _ if in_tail && !self.has_cursor_near(offset)? => self.tail()?,
            _ => return self.read_through_cursor(buf, offset),
        };
        Ok(copy_from(&tail, (offset - start) as usize, buf))
    }
}

impl ReadAt for RemoteObject {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        fill_with(buf, |b, done| self.read_once(b, offset + done as u64))
    }

    fn len(&self) -> u64 {
        self.len
    }

    /// The ranges in one go: the store joins near ones and asks for the rest side by side.
    fn read_ranges(&self, ranges: &[std::ops::Range<u64>]) -> io::Result<Vec<Vec<u8>>> {
        let clipped: Vec<std::ops::Range<u64>> = ranges
            .iter()
            .map(|r| r.start.min(self.len)..r.end.min(self.len))
            .collect();
        let wanted: Vec<std::ops::Range<u64>> =
            clipped.iter().filter(|r| !r.is_empty()).cloned().collect();
        let store = Arc::clone(self.remote.store());
        let key = self.remote.key().clone();
        let mut got = block_on(async move { store.get_ranges(&key, &wanted).await })
            .map_err(io::Error::other)?
            .map_err(|e| self.failed(e))?
            .into_iter();
        Ok(clipped
            .iter()
            .map(|r| match r.is_empty() {
                true => Vec::new(),
                false => got.next().map(|b| b.to_vec()).unwrap_or_default(),
            })
            .collect())
    }
}
