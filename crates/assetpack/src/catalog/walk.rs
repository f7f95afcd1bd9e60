//! The walk of a provider's folder, shared by `check` (files no asset lists) and `scan`.

use std::io;
use std::path::Path;

use foldhash::HashSet;

/// What the walk of a `base` folder found, by `/`-separated relative path.
#[derive(Default)]
pub struct Tree {
    /// Regular files.
    pub regular: HashSet<String>,
    /// Symlinks and special files, with a word for what they are.
    pub other: Vec<(String, &'static str)>,
}

/// Walks `base`, skipping hidden files and folders and following no link.
pub fn walk(base: &Path) -> io::Result<Tree> {
    let mut tree = Tree::default();
    let walker = walkdir::WalkDir::new(base)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = entry.map_err(|e| {
            let msg = e.to_string();
            e.into_io_error().unwrap_or_else(|| io::Error::other(msg))
        })?;
        if entry.depth() == 0 {
            continue;
        }
        let rel = relative_name(entry.path().strip_prefix(base).unwrap_or(entry.path()));
        let ft = entry.file_type();
        if ft.is_file() {
            tree.regular.insert(rel);
        } else if ft.is_symlink() {
            tree.other.push((rel, "symbolic link"));
        } else if !ft.is_dir() {
            tree.other.push((rel, "special file"));
        }
    }
    Ok(tree)
}

/// `/`-joined, lossily decoded relative path.
pub fn relative_name(p: &Path) -> String {
    if std::path::MAIN_SEPARATOR == '/' {
        if let Some(s) = p.to_str() {
            return s.to_owned();
        }
    }
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
