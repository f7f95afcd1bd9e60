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
    let (dir, prefix) = beside(path);
    temp_builder(&prefix)
        .tempfile_in(dir)
        .map_err(|e| explain(e, dir))
}

/// `path`'s folder (`.` for a bare name) and the prefix of hidden temporaries named after it
/// (`.<name>.`).
fn beside(path: &Path) -> (&Path, String) {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    (dir, format!(".{name}."))
}

/// Names hidden temporaries `<prefix>XXXXXX.partial`.
fn temp_builder(prefix: &str) -> tempfile::Builder<'_, 'static> {
    let mut b = tempfile::Builder::new();
    b.prefix(prefix).suffix(".partial");
    b
}

/// Says plainly why nothing could be made in `dir`, when it is missing or not a folder.
fn explain(e: io::Error, dir: &Path) -> io::Error {
    let why = match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => return e,
        Ok(_) => format!("{} is not a folder", dir.display()),
        Err(_) => format!("the folder {} does not exist", dir.display()),
    };
    io::Error::new(e.kind(), why)
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

/// Writes `files` (relative `/`-separated paths, already checked safe, and their bytes) into
/// the folder `dir` so that it appears whole or not at all: into a hidden temporary folder
/// beside it, renamed into place at the end. A folder already at `dir` is replaced whole (the
/// caller decides whether it may be); should the last rename fail, it is put back.
pub fn write_folder<'a>(
    dir: &Path,
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> io::Result<()> {
    let tmp = temp_folder_beside(dir)?;
    for (path, bytes) in files {
        let to = tmp.path().join(path);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&to, bytes)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))?;
    }
    let new = tmp.keep();
    let swapped = match std::fs::symlink_metadata(dir) {
        Ok(_) => swap_in(&new, dir),
        Err(_) => std::fs::rename(&new, dir),
    };
    if swapped.is_err() {
        let _ = std::fs::remove_dir_all(&new);
    }
    swapped
}

/// A new hidden temporary folder (`.<name>.XXXXXX.partial`) beside `path`.
fn temp_folder_beside(path: &Path) -> io::Result<tempfile::TempDir> {
    let (dir, prefix) = beside(path);
    temp_builder(&prefix)
        .tempdir_in(dir)
        .map_err(|e| explain(e, dir))
}

/// Moves the folder at `dir` aside, `new` into its place, then removes the old one.
fn swap_in(new: &Path, dir: &Path) -> io::Result<()> {
    let aside = temp_folder_beside(dir)?.keep();
    let old = aside.join("old");
    std::fs::rename(dir, &old)?;
    if let Err(e) = std::fs::rename(new, dir) {
        let _ = std::fs::rename(&old, dir);
        let _ = std::fs::remove_dir_all(&aside);
        return Err(e);
    }
    std::fs::remove_dir_all(&aside)
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

    #[test]
    fn a_folder_is_written_whole_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("catalogue");
        write_folder(
            &out,
            [("index.html", &b"one"[..]), ("thumbs/a/b.png", b"png")],
        )
        .unwrap();
        assert_eq!(std::fs::read(out.join("thumbs/a/b.png")).unwrap(), b"png");
        write_folder(&out, [("index.html", &b"two"[..])]).unwrap();
        assert_eq!(std::fs::read(out.join("index.html")).unwrap(), b"two");
        assert!(
            !out.join("thumbs").exists(),
            "the old folder is replaced whole"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary folder left: {names:?}");
    }
}
