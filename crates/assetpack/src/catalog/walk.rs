//! The walk of a provider's folder, shared by `check` (files no asset lists) and `scan`
//! (files to list): hidden files and folders are skipped, no link is followed, and links and
//! special files are reported apart from the regular files.

use std::io;
use std::path::{Path, PathBuf};

use foldhash::HashSet;

/// A regular file the walk found.
#[derive(Clone, Debug)]
pub struct Walked {
    /// Its path relative to the folder walked, `/`-separated (decoded lossily when the name
    /// is not UTF-8).
    pub rel: String,
    /// Its path on disk.
    pub path: PathBuf,
    /// False when its name is not valid UTF-8 (a manifest cannot name it).
    pub utf8: bool,
}

/// What the walk of a folder found.
#[derive(Default)]
pub struct Tree {
    /// Regular files, in walk order: each folder's entries sorted by name, depth first.
    pub files: Vec<Walked>,
    /// Symbolic links and special files, with a word for what they are.
    pub other: Vec<(String, &'static str)>,
    names: HashSet<String>,
    /// Sizes the listing gave (a bucket's; a folder's walk records none).
    sizes: foldhash::HashMap<String, u64>,
}

impl Tree {
    /// The objects of a bucket folder as a tree: `(where, rel, size)` of each, all regular
    /// files.
    pub fn of_objects(objects: impl IntoIterator<Item = (PathBuf, String, u64)>) -> Tree {
        let mut tree = Tree::default();
        for (path, rel, size) in objects {
            tree.names.insert(rel.clone());
            tree.sizes.insert(rel.clone(), size);
            tree.files.push(Walked {
                rel,
                path,
                utf8: true,
            });
        }
        tree
    }

    /// The size of `rel` as the listing gave it, when it gave one (a bucket's does).
    pub fn size(&self, rel: &str) -> Option<u64> {
        self.sizes.get(rel).copied()
    }

    /// True when `rel` is a regular file of the tree (not a link, not a folder).
    pub fn contains(&self, rel: &str) -> bool {
        self.names.contains(rel)
    }
}

/// Walks `base` (see the module docs). A folder that cannot be read is an error.
pub fn walk(base: &Path) -> io::Result<Tree> {
    let mut tree = Tree::default();
    let walker = walkdir::WalkDir::new(base)
        .follow_links(false)
        // By name, as `sort_by_file_name` sorts, but without taking each path apart to find
        // its name at every comparison (a quarter of the walk of a folder of 2,000 files):
        // the entries sorted are one folder's, so their paths differ only in their names.
        .sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()))
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = entry.map_err(|e| {
            let msg = match e.path() {
                Some(p) => format!("{}: {e}", p.display()),
                None => e.to_string(),
            };
            io::Error::new(e.io_error().map_or(io::ErrorKind::Other, |i| i.kind()), msg)
        })?;
        if entry.depth() == 0 {
            continue;
        }
        let (rel, utf8) = match plain_rel(base, entry.path()) {
            Some(rel) => (rel.to_owned(), true),
            None => {
                let rel_path = entry.path().strip_prefix(base).unwrap_or(entry.path());
                (relative_name(rel_path), rel_path.to_str().is_some())
            }
        };
        let ft = entry.file_type();
        if ft.is_file() {
            tree.names.insert(rel.clone());
            tree.files.push(Walked {
                rel,
                path: entry.path().to_owned(),
                utf8,
            });
        } else if ft.is_symlink() {
            tree.other.push((rel, "symbolic link"));
        } else if !ft.is_dir() {
            tree.other.push((rel, "special file"));
        }
    }
    Ok(tree)
}

/// The part of `path` (a path the walk of `base` found) after `base` and its separator, when
/// it is plain UTF-8 on a system whose separator is `/`: the path as it is, without parsing
/// it into components (which, for every file of a folder of 20,000, took longer than the rest
/// of the walk). `None` for anything less plain; [`relative_name`] then makes the name.
fn plain_rel<'p>(base: &Path, path: &'p Path) -> Option<&'p str> {
    if std::path::MAIN_SEPARATOR != '/' {
        return None;
    }
    let base = base.to_str()?;
    let rest = path.to_str()?.strip_prefix(base)?;
    let rest = match base.ends_with('/') {
        true => rest,
        false => rest.strip_prefix('/')?,
    };
    let plain = !rest.is_empty()
        && !rest.starts_with('/')
        && !rest.ends_with('/')
        && rest
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    plain.then_some(rest)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_name_below_the_folder_is_its_path_as_it_is() {
        let cases = [
            ("base", "base/a/b.png", Some("a/b.png")),
            ("base/", "base/a.png", Some("a.png")),
            ("/srv/p", "/srv/p/x y/é.svg", Some("x y/é.svg")),
            // Not plain: left to `relative_name`, which parses components.
            ("base", "base//a.png", None),
            ("base", "base/./a.png", None),
            ("base", "based/a.png", None),
            ("base", "base", None),
        ];
        for (base, path, want) in cases {
            assert_eq!(plain_rel(Path::new(base), Path::new(path)), want, "{path}");
        }
    }

    #[test]
    fn hidden_files_are_skipped_and_links_are_apart() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("b/.git")).unwrap();
        for f in ["b/z.txt", "a.txt", ".DS_Store", "b/.git/config"] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc", d.join("link")).unwrap();
        let tree = walk(d).unwrap();
        let rels: Vec<&str> = tree.files.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(rels, ["a.txt", "b/z.txt"]);
        assert!(tree.contains("b/z.txt") && !tree.contains("b"));
        #[cfg(unix)]
        assert_eq!(tree.other, [("link".to_owned(), "symbolic link")]);
    }

    #[test]
    fn each_folder_is_walked_in_the_byte_order_of_its_names_before_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("a/b")).unwrap();
        let names = ["a.b", "a-b", "B", "é", "a/b/z", "a/b.txt", "a/a", "Z", "a0"];
        for f in names {
            std::fs::write(d.join(f), "x").unwrap();
        }
        let rels: Vec<String> = walk(d).unwrap().files.into_iter().map(|f| f.rel).collect();
        // A folder's files and folders sorted together by name; a folder's files come where
        // its name sorts ("a" before "a-b", "b" before "b.txt").
        let want = ["B", "Z", "a/a", "a/b/z", "a/b.txt", "a-b", "a.b", "a0", "é"];
        assert_eq!(rels, want);
    }
}
