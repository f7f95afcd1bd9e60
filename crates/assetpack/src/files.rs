//! A provider's files, wherever its `base` puts them: beneath a folder on this machine
//! (opened with [`content::open_below`], so no link swapped in leads outside it), or in a
//! bucket folder (`s3://…`, `gs://…`, `az://…`, with the `s3` feature: one `HEAD`, then ranged
//! reads; nothing is staged on disk). The check, the plan, the pack, preflight and the index
//! all open files here, so a file is read the same way whatever it is kept on.
//!
//! ```
//! use assetpack::files;
//! use assetpack::manifest::Place;
//! use std::io::Read;
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("poster.pdf"), b"%PDF-1.7")?;
//! let mut opened = files::open(&Place::Local(dir.path().into()), "poster.pdf")?;
//! let mut text = String::new();
//! opened.read_to_string(&mut text)?;
//! assert_eq!((opened.len(), text.as_str()), (8, "%PDF-1.7"));
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use crate::catalog::Tree;
use crate::content::{self, ReadAt};
use crate::store::Place;

/// Files read at once from a bucket: each read waits on the network far more than on this
/// machine, so requests in flight, not cores, set the pace.
pub const BUCKET_READS: usize = 8;

/// Runs `work`, whose parallel iterators read files: `from_bucket` (some of them in a bucket
/// folder), on a pool of [`BUCKET_READS`] threads (made once); else as called (from disk the
/// cores are the limit).
pub fn reading<R: Send>(from_bucket: bool, work: impl FnOnce() -> R + Send) -> R {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    if !from_bucket {
        return work();
    }
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(BUCKET_READS)
            .thread_name(|i| format!("bucket-read-{i}"))
            .build()
            .ok()
    });
    match pool {
        Some(pool) => pool.install(work),
        None => work(),
    }
}

/// A provider's file, open for reading: in order ([`Read`]) or at any place ([`ReadAt`]).
#[derive(Debug)]
pub struct Opened {
    len: u64,
    pos: u64,
    from: From,
}

#[derive(Debug)]
enum From {
    File(File),
    #[cfg(feature = "s3")]
    Object(Box<crate::store::RemoteObject>),
}

impl Opened {
    /// A file opened on this machine, with the length its metadata gave.
    pub fn file((file, len): (File, u64)) -> Opened {
        Opened {
            len,
            pos: 0,
            from: From::File(file),
        }
    }

    /// Its length when it was opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// The SHA-256 its store keeps for it (an object's `x-amz-meta-sha256`), when there is
    /// one; a file on disk has none.
    pub fn stored_sha256(&self) -> Option<&str> {
        match &self.from {
            From::File(_) => None,
            #[cfg(feature = "s3")]
            From::Object(o) => o.stored_sha256(),
        }
    }

    /// True when it was empty when it was opened.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Read for Opened {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match &mut self.from {
            From::File(f) => f.read(buf)?,
            #[cfg(feature = "s3")]
            From::Object(o) => o.read_at(buf, self.pos)?,
        };
        self.pos += n as u64;
        Ok(n)
    }

    /// A file on disk is read to its end by std's code for files: into memory reserved for the
    /// size it has, and not zeroed first (the trait's default zeroes every byte before reading
    /// into it, and grows the buffer by doubling). The thumbnails read whole PDFs, 470 MB of
    /// them on the `national` corpus, so that is a copy and a clearing of them saved.
    fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let n = match &mut self.from {
            From::File(f) => f.read_to_end(buf)?,
            #[cfg(feature = "s3")]
            From::Object(_) => {
                let left = self.len.saturating_sub(self.pos);
                buf.reserve(usize::try_from(left).unwrap_or(0));
                // The trait's own reading to the end, by way of `read` above (which moves `pos`).
                let n = io::Read::take(&mut *self, u64::MAX).read_to_end(buf)?;
                return Ok(n);
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Opened {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match &mut self.from {
            From::File(f) => f.seek(to)?,
            #[cfg(feature = "s3")]
            From::Object(_) => {
                let pos = match to {
                    SeekFrom::Start(n) => Some(n),
                    SeekFrom::End(d) => self.len.checked_add_signed(d),
                    SeekFrom::Current(d) => self.pos.checked_add_signed(d),
                };
                pos.ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?
            }
        };
        self.pos = pos;
        Ok(pos)
    }
}

impl ReadAt for Opened {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        match &self.from {
            From::File(file) => content::FileAt {
                file,
                len: self.len,
            }
            .read_at(buf, offset),
            #[cfg(feature = "s3")]
            From::Object(o) => o.read_at(buf, offset),
        }
    }

    fn len(&self) -> u64 {
        self.len
    }
}

/// Opens `rel` (`/`-separated) below `base`. A file that is not there is an error of kind
/// [`io::ErrorKind::NotFound`]; a link leading outside a folder is
/// [`content::LeadsOutside`]; a store's refusal keeps the store's words and what to do.
pub fn open(base: &Place, rel: &str) -> io::Result<Opened> {
    match base {
        Place::Local(dir) => content::open_below(dir, Path::new(rel)).map(Opened::file),
        Place::Remote(folder) => open_object(folder, rel),
    }
}

#[cfg(feature = "s3")]
fn open_object(folder: &url::Url, rel: &str) -> io::Result<Opened> {
    let object = crate::store::objects::open(folder, rel)?;
    Ok(Opened {
        len: object.len(),
        pos: 0,
        from: From::Object(Box::new(object)),
    })
}

#[cfg(not(feature = "s3"))]
fn open_object(folder: &url::Url, _rel: &str) -> io::Result<Opened> {
    Err(not_built(folder))
}

#[cfg(not(feature = "s3"))]
fn not_built(folder: &url::Url) -> io::Error {
    io::Error::other(crate::store::StoreError::NotBuilt {
        url: folder.to_string(),
    })
}

/// The size of `rel` below `base`, without reading it.
pub fn size(base: &Place, rel: &str) -> io::Result<u64> {
    match base {
        Place::Local(dir) => std::fs::metadata(dir.join(rel)).map(|m| m.len()),
        Place::Remote(_) => open(base, rel).map(|o| o.len()),
    }
}

/// What `base` holds: the walk of a folder (see [`crate::catalog::walk`]), or the listing of
/// a bucket folder. `Ok(None)` when the folder does not exist (a bucket folder always does:
/// an empty one lists nothing).
pub fn list(base: &Place) -> io::Result<Option<Tree>> {
    match base {
        Place::Local(dir) => match std::fs::metadata(dir) {
            Ok(md) if md.is_dir() => crate::catalog::walk(dir).map(Some),
            _ => Ok(None),
        },
        Place::Remote(folder) => list_objects(folder).map(Some),
    }
}

#[cfg(feature = "s3")]
fn list_objects(folder: &url::Url) -> io::Result<Tree> {
    let listed = crate::store::objects::list(folder)?;
    let base = Place::Remote(folder.clone());
    Ok(Tree::of_objects(
        listed
            .into_iter()
            .map(|(rel, size)| (base.join(&rel), rel, size)),
    ))
}

#[cfg(not(feature = "s3"))]
fn list_objects(folder: &url::Url) -> io::Result<Tree> {
    Err(not_built(folder))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_file_reads_in_order_and_at_places() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"0123456789").unwrap();
        let base = Place::Local(dir.path().into());
        let mut o = open(&base, "a.txt").unwrap();
        let mut four = [0; 4];
        o.read_exact(&mut four).unwrap();
        assert_eq!(&four, b"0123");
        let mut at = [0; 3];
        assert_eq!(o.read_at(&mut at, 7).unwrap(), 3);
        assert_eq!(&at, b"789");
        let mut rest = Vec::new();
        o.read_to_end(&mut rest).unwrap();
        assert_eq!(
            rest, b"456789",
            "a positioned read leaves the cursor where it was"
        );
        assert_eq!(o.stream_position().unwrap(), 10, "read to its end");
        assert_eq!(size(&base, "a.txt").unwrap(), 10);
        let missing = open(&base, "b.txt").unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }

    #[cfg(feature = "s3")]
    #[test]
    fn an_object_reads_to_its_end_from_where_it_was() {
        use object_store::{memory::InMemory, path::Path as Key, ObjectStoreExt, PutPayload};
        let store = std::sync::Arc::new(InMemory::new());
        let bytes: Vec<u8> = (0..300_000u32).map(|n| (n % 251) as u8).collect();
        let key = Key::from("art/a.bin");
        let put = store.put(&key, PutPayload::from(bytes.clone()));
        let runtime = tokio::runtime::Builder::new_current_thread().build();
        runtime.unwrap().block_on(put).unwrap();
        let folder = url::Url::parse("s3://files-to-end/art/").unwrap();
        let remote = crate::store::Remote::from_store(folder.clone(), store).unwrap();
        crate::store::objects::connect_to(&folder, remote);
        let mut o = open(&Place::Remote(folder), "a.bin").unwrap();
        let mut first = [0; 1000];
        o.read_exact(&mut first).unwrap();
        let mut rest = Vec::new();
        assert_eq!(o.read_to_end(&mut rest).unwrap(), bytes.len() - 1000);
        assert!(rest == bytes[1000..]);
        assert_eq!(o.read(&mut first).unwrap(), 0, "nothing is left to read");
    }

    #[test]
    fn a_missing_folder_lists_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(list(&Place::Local(dir.path().join("gone")))
            .unwrap()
            .is_none());
        std::fs::write(dir.path().join("x.png"), b"x").unwrap();
        let tree = list(&Place::Local(dir.path().into())).unwrap().unwrap();
        assert!(tree.contains("x.png"));
    }
}
