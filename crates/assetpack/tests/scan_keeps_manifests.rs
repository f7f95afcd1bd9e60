//! Property tests of `scan` on arbitrary folders of files with Unicode names: the manifest it
//! writes reads back without errors and lists every file; scanning an unchanged folder again
//! changes nothing; and a rescan keeps every hand-written field and comment.

use std::fs;
use std::path::Path;

use assetpack::manifest::{Content, Manifest};
use assetpack::scan::{scan, ScanOptions};
use assetpack::NoProgress;
use proptest::prelude::*;

const CHARS: &[char] = &[
    'a', 'B', 'z', '0', '9', '-', '_', ' ', 'é', 'ŵ', 'ß', 'Ω', '中', '–',
];

/// Up to eight files in up to two folders, with distinct names on every disk.
fn files() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let name = (
        proptest::sample::select(&["", "posters/", "social cards/"][..]),
        proptest::collection::vec(proptest::sample::select(CHARS), 1..10),
        proptest::sample::select(&["bin", "dat", "txt", "vtt"][..]),
    )
        .prop_map(|(dir, chars, ext)| {
            let stem: String = chars.into_iter().collect();
            format!("{dir}{}.{ext}", stem.trim())
        })
        .prop_filter("a safe path", |n| {
            !n.split('/').any(|c| c.starts_with('.')) && assetpack::safe_path::check(n).is_ok()
        });
    proptest::collection::vec((name, proptest::collection::vec(any::<u8>(), 1..400)), 1..8)
        .prop_map(|mut files| {
            let mut seen = std::collections::HashSet::new();
            files.retain(|(n, _)| seen.insert(assetpack::safe_path::clash_key(n)));
            files
        })
}

fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (name, bytes) in files {
        let path = dir.join("files").join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
}

/// Scans `dir/files` into the manifest `dir/p.toml` (updating `existing` when given).
fn scan_into(dir: &Path, existing: Option<&str>) -> String {
    let manifest = dir.join("p.toml");
    let options = ScanOptions {
        output: Some(manifest.clone()),
        ..ScanOptions::new("p")
    };
    let outcome = scan(
        &dir.join("files"),
        existing.map(|t| (manifest.as_path(), t)),
        &options,
        &NoProgress,
    )
    .unwrap();
    fs::write(&manifest, &outcome.text).unwrap();
    outcome.text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_scanned_manifest_reads_back_and_a_rescan_changes_nothing(files in files()) {
        let dir = tempfile::tempdir().unwrap();
        write_files(dir.path(), &files);
        let first = scan_into(dir.path(), None);
        let loaded = Manifest::parse(dir.path().join("p.toml"), first.clone());
        prop_assert!(loaded.problems.is_empty(), "{:?}\n{first}", loaded.problems);
        let m = loaded.manifest.unwrap();
        let mut listed: Vec<String> = m
            .assets
            .iter()
            .flat_map(|a| a.files().into_iter().map(|(_, f)| f.file.clone()))
            .collect();
        listed.sort();
        let mut names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
        names.sort();
        prop_assert_eq!(listed, names, "every file is listed once");
        prop_assert!(m.assets.iter().all(|a| matches!(a.content, Content::File(_))));
        let second = scan_into(dir.path(), Some(&first));
        prop_assert_eq!(first, second, "a rescan of an unchanged folder changes nothing");
    }

    #[test]
    fn a_rescan_keeps_hand_written_fields_and_comments(files in files(), extra in 1u8..=255) {
        let dir = tempfile::tempdir().unwrap();
        write_files(dir.path(), &files);
        let first = scan_into(dir.path(), None);
        // A person documents the first asset and adds a comment.
        let edited = first.replacen(
            "[[asset]]\n",
            "# Reviewed with the print team.\n[[asset]]\ndescription = \"Hand-written, keep me.\"\n",
            1,
        );
        // Then a file changes and one is added.
        let (name, bytes) = &files[0];
        let mut changed = bytes.clone();
        changed.push(extra);
        fs::write(dir.path().join("files").join(name), &changed).unwrap();
        fs::write(dir.path().join("files/new file.bin"), [extra; 9]).unwrap();
        let after = scan_into(dir.path(), Some(&edited));
        prop_assert!(after.contains("# Reviewed with the print team.\n"), "{after}");
        prop_assert!(after.contains("description = \"Hand-written, keep me.\""), "{after}");
        let m = Manifest::parse(dir.path().join("p.toml"), after.clone()).manifest.unwrap();
        prop_assert_eq!(m.assets.len(), files.len() + 1, "the new file is added: {}", after);
        let f = m
            .assets
            .iter()
            .flat_map(|a| a.files())
            .find(|(_, f)| &f.file == name)
            .map(|(_, f)| f.clone())
            .unwrap();
        prop_assert_eq!(f.bytes, Some(changed.len() as u64), "the changed file's size is updated");
    }
}
