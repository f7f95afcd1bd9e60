//! Reading every entry back (its CRC checked, its SHA-256 computed) and, when asked, writing
//! it into a fresh temporary folder inside the target, moved into place only when the whole
//! pack verified. Nothing is written outside the target, nothing through a link, nothing over
//! an existing file; an interrupt or a failure removes the temporary folder.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use zip::ZipArchive;

use super::{SharedFile, VerifyError};
use crate::progress::Progress;

/// Where a verified pack is extracted: the target folder and the temporary folder inside it.
/// Dropped without [`Target::commit`], it removes the temporary folder, and the target folder
/// too when it made it.
pub(super) struct Target {
    pub dir: PathBuf,
    temp: Option<tempfile::TempDir>,
    /// True when the target folder did not exist before.
    created: bool,
}

impl Drop for Target {
    fn drop(&mut self) {
        // Best effort: what cannot be removed is left, never half-removed data elsewhere.
        drop(self.temp.take());
        if self.created {
            let _ = fs::remove_dir(&self.dir);
        }
    }
}

/// Makes the target ready: `dir` is created when missing (its parent must exist, as for
/// `unzip -d`), must be a real folder, and must not hold `name` already.
pub(super) fn prepare(dir: &Path, name: &str) -> Result<Target, VerifyError> {
    let err = |message: String| VerifyError::Extract {
        path: dir.to_owned(),
        message,
    };
    let mut created = false;
    match fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(err(
                "the folder is a symbolic link; give the real folder".into()
            ))
        }
        Ok(m) if !m.is_dir() => return Err(err("it is not a folder".into())),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            create(dir).map_err(err)?;
            created = true;
        }
        Err(e) => return Err(err(e.to_string())),
    }
    let mut target = Target {
        dir: dir.to_owned(),
        temp: None,
        created,
    };
    let dest = dir.join(name);
    if fs::symlink_metadata(&dest).is_ok() {
        return Err(err(format!(
            "{} already exists; remove it or extract somewhere else",
            dest.display()
        )));
    }
    let temp = tempfile::Builder::new()
        .prefix(".assetpack-extract-")
        .tempdir_in(dir)
        .map_err(|e| err(e.to_string()))?;
    target.temp = Some(temp);
    Ok(target)
}

/// Creates the missing folder `dir`, whose parent must exist.
fn create(dir: &Path) -> Result<(), String> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(format!(
            "neither it nor its parent folder {} exists; create the parent first",
            parent.display()
        ));
    }
    fs::create_dir(dir).map_err(|e| e.to_string())
}

impl Target {
    /// Where entry `name` is written before the commit.
    pub(super) fn path_of(&self, name: &str) -> PathBuf {
        match &self.temp {
            Some(t) => t.path().join(name),
            None => self.dir.join(".assetpack-extract").join(name),
        }
    }

    /// Moves the verified pack `name` into place; the temporary folder goes.
    pub(super) fn commit(mut self, name: &str) -> Result<PathBuf, VerifyError> {
        let dest = self.dir.join(name);
        fs::rename(self.path_of(name), &dest).map_err(|e| VerifyError::Extract {
            path: dest.clone(),
            message: e.to_string(),
        })?;
        self.created = false;
        Ok(dest)
    }
}

/// Why an entry was not read back.
pub(super) enum Fault {
    /// The entry itself: a bad CRC, broken data, or (`foreign`) an encryption or compression
    /// method no pack uses.
    Entry { what: String, foreign: bool },
    /// Writing its extracted copy failed (a full disk, permissions): not the pack's fault.
    Extract(String),
    /// [`Progress::cancelled`] said stop.
    Cancelled,
}

impl Fault {
    pub(super) fn entry(what: String) -> Self {
        Fault::Entry {
            what,
            foreign: false,
        }
    }

    fn extract(e: &io::Error) -> Self {
        Fault::Extract(e.to_string())
    }
}

/// A new file for an extracted entry at `path` (never over an existing one).
fn create_file(path: &Path) -> Result<io::BufWriter<fs::File>, Fault> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| Fault::extract(&e))?;
    }
    let file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Fault::extract(&e))?;
    Ok(io::BufWriter::with_capacity(1 << 20, file))
}

/// Reads entry `i` (checking its CRC and that it holds exactly the size it declares), hashes
/// it, and writes it to `out` when given: its SHA-256 (raw) and size.
pub(super) fn read_entry(
    ar: &mut ZipArchive<SharedFile>,
    i: usize,
    buf: &mut [u8],
    out: Option<&Path>,
    progress: &dyn Progress,
) -> Result<([u8; 32], u64), Fault> {
    let mut f = ar.by_index(i).map_err(|e| Fault::entry(e.to_string()))?;
    let declared = f.size();
    let mut writer = out.map(create_file).transpose()?;
    let mut hasher = Sha256::new();
    let mut n = 0u64;
    loop {
        if progress.cancelled() {
            return Err(Fault::Cancelled);
        }
        let k = match f.read(buf) {
            Ok(0) => break,
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Fault::entry(e.to_string())),
        };
        n += k as u64;
        if n > declared {
            return Err(Fault::entry(format!(
                "it holds more than the {declared} bytes it declares"
            )));
        }
        hasher.update(&buf[..k]);
        if let Some(w) = writer.as_mut() {
            w.write_all(&buf[..k]).map_err(|e| Fault::extract(&e))?;
        }
        progress.advance(k as u64);
    }
    if n != declared {
        return Err(Fault::entry(format!(
            "it holds {n} bytes, not the {declared} it declares"
        )));
    }
    if let Some(w) = writer {
        let file = w.into_inner().map_err(|e| Fault::extract(e.error()))?;
        file.sync_all().map_err(|e| Fault::extract(&e))?;
    }
    Ok((hasher.finalize().into(), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_target_is_created_when_its_parent_exists() {
        let dir = tempfile::tempdir().unwrap();
        let t = prepare(&dir.path().join("new"), "p").unwrap();
        assert!(dir.path().join("new").is_dir());
        drop(t);
        assert!(
            !dir.path().join("new").exists(),
            "a folder it made goes with a failure"
        );
        let t = prepare(&dir.path().join("new"), "p").unwrap();
        fs::create_dir_all(t.path_of("p")).unwrap();
        fs::write(t.path_of("p/a.txt"), "a").unwrap();
        assert_eq!(t.commit("p").unwrap(), dir.path().join("new/p"));
        assert_eq!(
            fs::read_to_string(dir.path().join("new/p/a.txt")).unwrap(),
            "a"
        );
        assert_eq!(
            fs::read_dir(dir.path().join("new")).unwrap().count(),
            1,
            "no temporary folder left"
        );
        let e = prepare(&dir.path().join("no/such"), "p").err().unwrap();
        assert!(e.to_string().contains("parent folder"), "{e}");
        assert!(!dir.path().join("no").exists());
    }

    #[test]
    fn an_existing_pack_folder_or_a_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("p")).unwrap();
        assert!(prepare(dir.path(), "p").is_err());
        fs::write(dir.path().join("f"), "x").unwrap();
        assert!(prepare(&dir.path().join("f"), "p").is_err());
    }
}
