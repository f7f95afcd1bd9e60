//! Writing a file so that it appears whole or not at all: into a hidden temporary file beside
//! it, renamed over it at the end. A failure, a full disk or an interrupt leaves no partial
//! file, and an older file of the same name stays as it was until the rename.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("oup.toml");
//! assetpack::atomic::write_file(&path, b"[provider]\n").unwrap();
//! assert_eq!(std::fs::read(&path).unwrap(), b"[provider]\n");
//! ```

use std::io::{self, Write};
use std::path::Path;

use tempfile::NamedTempFile;

/// A new hidden temporary file (`.<name>.XXXXXX.partial`) in `path`'s folder. A missing folder
/// is said plainly.
pub fn temp_beside(path: &Path) -> io::Result<NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(|e| {
            let why = match std::fs::metadata(dir) {
                Ok(m) if m.is_dir() => return e,
                Ok(_) => format!("{} is not a folder", dir.display()),
                Err(_) => format!("the folder {} does not exist", dir.display()),
            };
            io::Error::new(e.kind(), why)
        })
}

/// Renames `tmp` over `path`, after giving it `path`'s old permissions (or 0644 for a new
/// file: a temporary file is private) and, when `sync` is set, flushing it to the disk.
pub fn persist(tmp: NamedTempFile, path: &Path, sync: bool) -> io::Result<()> {
    let permissions = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Some(m.permissions()),
        _ => new_file_permissions(),
    };
    if let Some(p) = permissions {
        tmp.as_file().set_permissions(p)?;
    }
    if sync {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn new_file_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn new_file_permissions() -> Option<std::fs::Permissions> {
    None
}

/// Writes `bytes` to `path` atomically (see the module docs), flushed to the disk.
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = temp_beside(path)?;
    tmp.write_all(bytes)?;
    persist(tmp, path, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_keeps_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.toml");
        write_file(&path, b"one").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o644);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        write_file(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn a_missing_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let e = write_file(&dir.path().join("no/such/out.pdf"), b"x").unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
    }
}
