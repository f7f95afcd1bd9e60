//! Reading one file: opened once, hashed (when asked) and its content inspected in the same
//! pass, with one reused buffer per thread. `check`, `scan` and `plan` read files through it.

use std::io::{self, Read};
use std::ops::Range;

use crate::content::{self, Inspection};
use crate::files::Opened;
use crate::store::Place;

use crate::digest::{self, BUFFER};

thread_local! {
    static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What reading one file found.
#[derive(Debug, Default)]
pub struct Examined {
    /// Size from the file's metadata.
    pub len: u64,
    /// SHA-256 (lowercase hex), when hashing was asked for.
    pub sha256: Option<String>,
    /// Media type and damage.
    pub inspection: Inspection,
}

impl Examined {
    /// What reading a file whole found, without its SHA-256 (compared where it was read).
    pub fn read(len: u64, inspection: Inspection) -> Examined {
        Examined {
            len,
            sha256: None,
            inspection,
        }
    }
}

/// What reading found in each provider file, by its folder and its path below it. A build's
/// pack records it as its readers go, so that the files' contents are judged without reading
/// them a second time. It borrows the paths from the plan instead of copying them, and is
/// sorted where it was filled: a map of 20,000 paths, built at the end of a pack, was that
/// build's peak of memory.
#[derive(Debug, Default)]
pub struct ReadFiles<'a> {
    /// Each file, its size and what reading it found, by folder (the folder's address: a
    /// manifest's files share one) and then by path below it.
    files: Vec<ReadFile<'a>>,
    /// Each folder's run in `files`.
    folders: Vec<(&'a Place, Range<usize>)>,
}

/// A file a pack read: its folder, its path below it, its size and what it holds.
pub type ReadFile<'a> = (&'a Place, &'a str, u64, Inspection);

/// The files [`ReadFiles`] holds below one folder.
pub struct Below<'r, 'a>(Vec<&'r [ReadFile<'a>]>);

impl<'a> ReadFiles<'a> {
    /// What reading the files `found` found: each by its folder and its path below it.
    pub fn new(mut found: Vec<ReadFile<'a>>) -> Self {
        let by_address = |f: &ReadFile<'a>| (std::ptr::from_ref(f.0), f.1);
        found.sort_unstable_by(|a, b| by_address(a).cmp(&by_address(b)));
        let mut folders: Vec<(&Place, Range<usize>)> = Vec::new();
        for (i, &(base, ..)) in found.iter().enumerate() {
            match folders.last_mut() {
                Some((b, run)) if std::ptr::eq(*b, base) => run.end = i + 1,
                _ => folders.push((base, i..i + 1)),
            }
        }
        ReadFiles {
            files: found,
            folders,
        }
    }

    /// What was read below `base`, to look up many files of one folder (comparing folders
    /// once).
    pub fn below(&self, base: &Place) -> Below<'_, 'a> {
        let runs = self.folders.iter().filter(|(b, _)| *b == base);
        Below(
            runs.filter_map(|(_, run)| self.files.get(run.clone()))
                .collect(),
        )
    }
}

impl Below<'_, '_> {
    /// What reading the file at `rel` found.
    pub fn get(&self, rel: &str) -> Option<Examined> {
        self.0.iter().find_map(|run| {
            let at = run.binary_search_by(|(_, r, ..)| (*r).cmp(rel)).ok()?;
            let (.., len, inspection) = run.get(at)?;
            Some(Examined::read(*len, inspection.clone()))
        })
    }
}

/// Reads a file opened with [`files::open`](crate::files::open) once: hashes it when `hash` is set and inspects
/// its content.
pub fn examine(mut file: Opened, hash: bool, advance: &dyn Fn(u64)) -> io::Result<Examined> {
    let len = file.len();
    BUF.with(|buf| {
        let mut buf = buf.borrow_mut();
        if buf.len() < BUFFER {
            buf.resize(BUFFER, 0);
        }
        if len < BUFFER as u64 {
            // Small file: one read, then hash and inspect the bytes in memory.
            let mut n = 0;
            loop {
                match file.read(&mut buf[n..]) {
                    Ok(0) => break,
                    Ok(k) => {
                        n += k;
                        // Stop at the size the metadata gave, saving a read per file; a file
                        // that grew meanwhile is caught by the size comparison.
                        if n as u64 >= len || n == buf.len() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if n == buf.len() {
                // The file grew while we read it: fall back to streaming.
                io::Seek::rewind(&mut file)?;
                return stream(&mut file, hash, &mut buf, advance);
            }
            let bytes = &buf[..n];
            advance(n as u64);
            Ok(Examined {
                len: n as u64,
                sha256: hash.then(|| digest::sha256_bytes(bytes)),
                inspection: content::inspect(bytes)?,
            })
        } else {
            stream(&mut file, hash, &mut buf, advance)
        }
    })
}

/// Inspects `file` by positioned reads, then hashes it from its start (where it stands).
fn stream(
    file: &mut Opened,
    hash: bool,
    buf: &mut [u8],
    advance: &dyn Fn(u64),
) -> io::Result<Examined> {
    let len = file.len();
    let inspection = content::inspect(&*file)?;
    let sha256 = if hash {
        let (hex, _) = digest::sha256_reader(file, buf, advance)?;
        Some(hex)
    } else {
        None
    };
    Ok(Examined {
        len,
        sha256,
        inspection,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn file<'a>(base: &'a Arc<Place>, rel: &'a str) -> (&'a Place, &'a str) {
        (base, rel)
    }

    fn found(len: u64) -> Inspection {
        Inspection {
            pixels: Some((len as u32, 1)),
            ..Inspection::default()
        }
    }

    /// Files are found by their folder's value and their path, whatever order the pack read
    /// them in, also when two manifests name one folder (two shared folders, equal).
    #[test]
    fn read_files_are_found_by_folder_and_path() {
        let north = Arc::new(Place::Local(PathBuf::from("/assets/north")));
        let north_again = Arc::new(Place::Local(PathBuf::from("/assets/north")));
        let south = Arc::new(Place::Local(PathBuf::from("/assets/south")));
        let files = [
            file(&south, "b.png"),
            file(&north, "z/poster.pdf"),
            file(&north_again, "a.svg"),
            file(&south, "a.png"),
            file(&north, "b.png"),
        ];
        let read = ReadFiles::new(
            files
                .iter()
                .enumerate()
                .map(|(i, &(base, rel))| (base, rel, i as u64, found(i as u64)))
                .collect(),
        );
        let north_files = read.below(&Place::Local(PathBuf::from("/assets/north")));
        let len = |below: &Below, rel: &str| below.get(rel).map(|e| e.len);
        assert_eq!(len(&north_files, "z/poster.pdf"), Some(1));
        assert_eq!(len(&north_files, "a.svg"), Some(2));
        assert_eq!(len(&north_files, "b.png"), Some(4));
        assert_eq!(len(&north_files, "a.png"), None, "south's file");
        let south_files = read.below(&south);
        assert_eq!(len(&south_files, "a.png"), Some(3));
        assert_eq!(
            south_files.get("b.png").map(|e| e.inspection),
            Some(found(0))
        );
        let elsewhere = read.below(&Place::Local(PathBuf::from("/assets")));
        assert_eq!(len(&elsewhere, "north/a.svg"), None);
    }
}
