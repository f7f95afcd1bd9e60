//! Entry names judged as written: unsafe paths, links and special files, set-user-ID bits,
//! duplicates, names one file on Windows or macOS would hold, a file that is also a folder,
//! and entries outside the pack's one top folder.

use std::collections::BTreeMap;
use std::path::Path;

use super::directory::RawEntry;
use super::entry_problem;
use crate::problem::{Code, Problem};
use crate::safe_path;

/// What the names say.
pub(super) struct Names {
    /// The problems found.
    pub problems: Vec<Problem>,
    /// True when any entry must not be extracted (nothing is, then).
    pub unsafe_names: bool,
    /// The pack's top folder: the first component of the first safe name.
    pub top: Option<String>,
}

/// Judges every record of the central directory of `pack`.
pub(super) fn judge(pack: &Path, raw: &[RawEntry]) -> Names {
    let mut names = Names {
        problems: Vec::new(),
        unsafe_names: false,
        top: None,
    };
    for e in raw {
        names.judge_one(pack, e);
    }
    names.unsafe_names |= clashes(pack, raw, &mut names.problems);
    names.unsafe_names |= duplicates(pack, raw, &mut names.problems);
    names
}

impl Names {
    fn push(&mut self, pack: &Path, code: Code, name: &str, message: String, fix: &'static str) {
        if code != Code::ExtraEntry {
            self.unsafe_names = true;
        }
        self.problems
            .push(entry_problem(pack, code, name, message, fix));
    }

    fn judge_one(&mut self, pack: &Path, e: &RawEntry) {
        let Ok(name) = std::str::from_utf8(&e.name) else {
            let shown = String::from_utf8_lossy(&e.name).into_owned();
            self.push(
                pack,
                Code::UnsafeEntry,
                &shown,
                format!("entry name {shown:?} is not UTF-8"),
                "rebuild the pack with UTF-8 names",
            );
            return;
        };
        self.judge_mode(pack, name, e.unix_mode);
        let plain = name.strip_suffix('/').unwrap_or(name);
        if let Err(why) = safe_path::check(plain) {
            self.push(
                pack,
                Code::UnsafeEntry,
                name,
                format!("entry name {name:?} is unsafe: {why}"),
                "do not extract this archive with ordinary tools; ask the sender for a clean pack",
            );
            return;
        }
        let first = plain.split('/').next().unwrap_or(plain);
        match &self.top {
            None => self.top = Some(first.to_owned()),
            Some(t) if t != first => {
                let message = format!("entry `{name}` is outside the pack's folder `{t}/`");
                self.push(
                    pack,
                    Code::ExtraEntry,
                    name,
                    message,
                    "a pack has one top folder; ask the sender for a clean pack",
                );
            }
            _ => {}
        }
    }

    /// Links, special files and set-user-ID bits, from the Unix mode when there is one.
    fn judge_mode(&mut self, pack: &Path, name: &str, mode: Option<u32>) {
        let file_type = mode.map_or(0, |m| m & 0o170000);
        if file_type == 0o120000 {
            self.push(
                pack,
                Code::UnsafeEntry,
                name,
                format!("entry `{name}` is a symbolic link"),
                "do not extract this archive; a pack never holds links",
            );
        } else if !matches!(file_type, 0 | 0o100000 | 0o040000) {
            self.push(
                pack,
                Code::UnsafeEntry,
                name,
                format!(
                    "entry `{name}` is a special file (Unix type {:o}), not a file or folder",
                    file_type >> 12
                ),
                "do not extract this archive; a pack holds only files and folders",
            );
        }
        if mode.is_some_and(|m| m & 0o6000 != 0) {
            self.push(
                pack,
                Code::UnsafeEntry,
                name,
                format!("entry `{name}` is marked set-user-ID or set-group-ID"),
                "do not extract this archive with `unzip -K`; a pack never holds such files",
            );
        }
    }
}

/// Names written more than once. True when there are any.
fn duplicates(pack: &Path, raw: &[RawEntry], problems: &mut Vec<Problem>) -> bool {
    let mut seen: BTreeMap<&[u8], usize> = BTreeMap::new();
    for e in raw {
        *seen.entry(&e.name).or_default() += 1;
    }
    let mut any = false;
    for (name, n) in seen.into_iter().filter(|(_, n)| *n > 1) {
        any = true;
        let shown = String::from_utf8_lossy(name);
        problems.push(entry_problem(
            pack,
            Code::DuplicateEntry,
            &shown,
            format!("entry `{shown}` appears {n} times"),
            "do not trust this archive: which copy a tool extracts differs between tools",
        ));
    }
    any
}

/// Names that differ only by case or Unicode normalisation (one file on Windows and macOS),
/// and a file that is also a folder. True when there are any.
fn clashes(pack: &Path, raw: &[RawEntry], problems: &mut Vec<Problem>) -> bool {
    let mut keys: Vec<(String, &str)> = raw
        .iter()
        .filter_map(|e| std::str::from_utf8(&e.name).ok())
        .map(|n| (safe_path::clash_key(n.strip_suffix('/').unwrap_or(n)), n))
        .collect();
    keys.sort_unstable();
    keys.dedup_by(|a, b| a.1 == b.1);
    let before = problems.len();
    for pair in keys.windows(2) {
        let ((k1, n1), (k2, n2)) = (&pair[0], &pair[1]);
        let (f1, f2) = (
            n1.strip_suffix('/').unwrap_or(n1),
            n2.strip_suffix('/').unwrap_or(n2),
        );
        if k1 == k2 && f1 != f2 {
            problems.push(entry_problem(
                pack,
                Code::DuplicateEntry,
                n2,
                format!("entries `{n1}` and `{n2}` differ only by case or by how accents are encoded: they are one file on Windows and macOS"),
                "do not trust this archive: which copy a tool extracts differs between tools",
            ));
        }
    }
    let files: Vec<&(String, &str)> = keys.iter().filter(|(_, n)| !n.ends_with('/')).collect();
    for (key, name) in files {
        let prefix = format!("{key}/");
        let at = keys.partition_point(|(k, _)| k.as_str() < prefix.as_str());
        if let Some((k, other)) = keys.get(at) {
            if k.starts_with(&prefix) {
                problems.push(entry_problem(
                    pack,
                    Code::UnsafeEntry,
                    name,
                    format!(
                        "`{name}` is a file, but `{other}` puts it in a folder of the same name"
                    ),
                    "do not extract this archive; ask the sender for a clean pack",
                ));
            }
        }
    }
    problems.len() > before
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(name: &str, mode: u32) -> RawEntry {
        RawEntry {
            name: name.as_bytes().to_vec(),
            unix_mode: Some(mode),
            flags: 0,
            offset: 0,
            compressed: 0,
            uncompressed: 0,
            crc: 0,
            repeated: [0; 22],
            disk: 0,
            made_by: [0, 3],
            internal: 0,
            external: mode << 16,
        }
    }

    fn codes(entries: &[RawEntry]) -> (Vec<Code>, bool, Option<String>) {
        let n = judge(Path::new("x.zip"), entries);
        (
            n.problems.iter().map(|p| p.code).collect(),
            n.unsafe_names,
            n.top,
        )
    }

    #[test]
    fn a_clean_pack_has_one_top_folder_and_no_problem() {
        let (c, bad, top) = codes(&[raw("p/", 0o40755), raw("p/a.txt", 0o100644)]);
        assert!(c.is_empty() && !bad, "{c:?}");
        assert_eq!(top.as_deref(), Some("p"));
    }

    #[test]
    fn hostile_names_and_modes_are_unsafe() {
        for (name, mode) in [
            ("p/../../etc/x", 0o100644),
            ("/etc/passwd", 0o100644),
            ("p\\..\\x", 0o100644),
            ("p/link", 0o120777),
            ("p/fifo", 0o010644),
            ("p/run", 0o104755),
            ("p/CON.txt", 0o100644),
        ] {
            let (c, bad, _) = codes(&[raw("p/a.txt", 0o100644), raw(name, mode)]);
            assert!(bad && c.contains(&Code::UnsafeEntry), "{name}: {c:?}");
        }
    }

    #[test]
    fn names_one_disk_would_merge_are_duplicates() {
        for other in ["p/a.txt", "p/A.txt"] {
            let (c, bad, _) = codes(&[raw("p/a.txt", 0o100644), raw(other, 0o100644)]);
            assert!(bad && c.contains(&Code::DuplicateEntry), "{other}: {c:?}");
        }
        let (c, _, _) = codes(&[raw("p/a", 0o100644), raw("p/a/b", 0o100644)]);
        assert!(c.contains(&Code::UnsafeEntry), "file and folder: {c:?}");
    }

    #[test]
    fn a_second_top_folder_is_extra_but_not_unsafe() {
        let (c, bad, _) = codes(&[raw("p/a.txt", 0o100644), raw("q/b.txt", 0o100644)]);
        assert_eq!(c, [Code::ExtraEntry]);
        assert!(!bad);
    }
}
