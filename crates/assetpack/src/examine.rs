//! Reading one file: opened once, hashed (when asked) and its content inspected in the same
//! pass, with one reused buffer per thread. `check`, `scan` and `plan` read files through it.

use std::io::{self, Read};

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
/// pack fills it as its readers go, so that the files' contents are judged without reading
/// them a second time.
#[derive(Debug, Default)]
pub struct ReadFiles(foldhash::HashMap<Place, foldhash::HashMap<String, Examined>>);

impl ReadFiles {
    /// What was read below `base`, by path, to record more files there.
    pub fn below_mut(&mut self, base: &Place) -> &mut foldhash::HashMap<String, Examined> {
        self.0.entry(base.to_owned()).or_default()
    }

    /// What was read below `base`, by path (to look up many files of one folder, hashing
    /// `base` once).
    pub fn below(&self, base: &Place) -> Option<&foldhash::HashMap<String, Examined>> {
        self.0.get(base)
    }
}

/// Reads a file opened with [`files::open`] once: hashes it when `hash` is set and inspects
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
