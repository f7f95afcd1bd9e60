//! Finding and loading the manifests named on a command line or in a bundle spec.

use std::fs;
use std::path::{Path, PathBuf};

use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;

use crate::manifest::{self, Manifest};
use crate::problem::{Code, Problem};

/// Lists the manifests named by `inputs`: files as given, and every `*.toml` directly inside
/// each directory, sorted by name.
pub fn find_manifests(inputs: &[PathBuf]) -> (Vec<PathBuf>, Vec<Problem>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for input in inputs {
        match fs::metadata(input) {
            Ok(m) if m.is_dir() => match fs::read_dir(input) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| {
                            p.extension().is_some_and(|e| e == "toml")
                                && !p
                                    .file_name()
                                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                        })
                        .collect();
                    found.sort();
                    if found.is_empty() {
                        problems.push(io_problem(
                            input,
                            format!("{} holds no *.toml manifest", input.display()),
                            "name a manifest file, or a folder that holds provider manifests",
                        ));
                    }
                    out.extend(found);
                }
                Err(e) => problems.push(io_problem(
                    input,
                    format!("cannot list {}: {e}", input.display()),
                    "check the folder exists and is readable",
                )),
            },
            Ok(_) => out.push(input.clone()),
            Err(e) => problems.push(io_problem(
                input,
                format!("cannot read {}: {e}", input.display()),
                "check the path; run from the folder the paths are relative to",
            )),
        }
    }
    (out, problems)
}

pub(crate) fn io_problem(
    path: &Path,
    message: String,
    fix: impl Into<std::borrow::Cow<'static, str>>,
) -> Problem {
    let mut p = Problem::new(Code::Unreadable, message, fix);
    p.manifest = Some(path.into());
    p
}

/// Loads one manifest; `None` for a bundle spec met in a folder or a manifest that could not be
/// used. Problems go to `problems`.
pub fn load_one(path: &Path, problems: &mut Vec<Problem>) -> Option<Manifest> {
    match Manifest::load(path) {
        Ok(l) if l.bundle_spec => None,
        Ok(l) => {
            problems.extend(l.problems);
            l.manifest
        }
        Err(crate::manifest::LoadError::NotUtf8 { path }) => {
            let mut p = Problem::new(
                Code::TomlSyntax,
                format!("{} is not UTF-8 text", path.display()),
                "save the manifest as UTF-8",
            );
            p.manifest = Some(path.into());
            problems.push(p);
            None
        }
        Err(e) => {
            problems.push(io_problem(
                path,
                e.to_string(),
                "check the path and its permissions",
            ));
            None
        }
    }
}

/// Loads manifests in parallel, collecting problems. Bundle specs met in a folder are skipped;
/// two manifests with one provider id are reported.
pub fn load_manifests(paths: &[PathBuf]) -> (Vec<Manifest>, Vec<Problem>) {
    let loaded: Vec<(Option<Manifest>, Vec<Problem>)> = paths
        .par_iter()
        .map(|p| {
            let mut problems = Vec::new();
            (load_one(p, &mut problems), problems)
        })
        .collect();
    let mut manifests = Vec::new();
    let mut problems = Vec::new();
    for (m, p) in loaded {
        manifests.extend(m);
        problems.extend(p);
    }
    problems.extend(duplicate_providers(&manifests));
    (manifests, problems)
}

/// One provider, one manifest: a pack has one folder per provider id.
pub fn duplicate_providers<'a>(manifests: impl IntoIterator<Item = &'a Manifest>) -> Vec<Problem> {
    let mut seen: HashMap<&str, &Manifest> = HashMap::new();
    let mut out = Vec::new();
    for m in manifests {
        if let Some(first) = seen.insert(&m.provider.id, m) {
            out.push(m.report(
                Code::DuplicateId,
                None,
                "id",
                format!(
                    "provider id `{}` is also used by {}",
                    m.provider.id,
                    first.path.display()
                ),
                "give each provider manifest its own id",
            ));
        }
    }
    out
}

/// True when `path` is a bundle spec (a `[bundle]` table and no `[provider]`; see
/// `manifest::is_bundle_table`) rather than a provider manifest.
pub fn is_bundle_spec(path: &Path) -> bool {
    fs::read_to_string(path).is_ok_and(|text| {
        may_name_a_bundle(&text)
            && manifest::tree::parse(&text).is_ok_and(|t| manifest::is_bundle_table(&t))
    })
}

/// False when `text` cannot hold a key `bundle`: the word is not in it, and there is no `\`
/// to spell it with escapes (`"bund\u006Ce"`). A manifest of 20,000 assets is then not
/// parsed twice, once to tell it from a spec and once to read it.
fn may_name_a_bundle(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memmem::find(b, b"bundle").is_some() || memchr::memchr(b'\\', b).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_spec_is_told_apart_however_its_table_is_spelt() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("[bundle]\nname = \"x\"\n", true),
            ("[\"bund\\u006Ce\"]\nname = \"x\"\n", true),
            ("bundle = { name = \"x\" }\n", true),
            ("[provider]\nid = \"p\"\n[bundle]\nname = \"x\"\n", false),
            ("[provider]\nid = \"p\"\nname = \"Starter bundle\"\n", false),
            ("[provider]\nid = \"p\"\nname = \"P\"\n", false),
            ("[bundle\n", false),
        ];
        for (i, (text, spec)) in cases.into_iter().enumerate() {
            let path = dir.path().join(format!("{i}.toml"));
            fs::write(&path, text).unwrap();
            assert_eq!(is_bundle_spec(&path), spec, "{text}");
        }
    }
}
