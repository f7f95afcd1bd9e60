//! Property tests of whole packs, through the library: for arbitrary sets of files with
//! arbitrary Unicode names and contents, a built pack verifies intact, two builds are
//! byte-identical, and one flipped byte (every bit inverted) anywhere in the pack makes
//! `verify` fail and `verify --extract` write nothing.

use std::fs;
use std::path::{Path, PathBuf};

use assetpack::build::{build, BuildOptions};
use assetpack::verify::{verify, VerifyOptions};
use assetpack::NoProgress;
use proptest::prelude::*;

/// Name characters: ASCII, accents (composed), Welsh, Greek, CJK, spaces and dashes. No
/// quote or backslash (the manifest is written by hand below), nothing a safe path refuses.
const CHARS: &[char] = &[
    'a', 'b', 'C', 'z', '0', '7', '-', '_', ' ', 'é', 'ŵ', 'Ŷ', 'ß', 'Ω', 'λ', '中', '文', '–',
];

fn name() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(proptest::sample::select(CHARS), 1..12),
        // Extensions with no expected content, so that any bytes are a valid file.
        proptest::sample::select(&["bin", "dat", "raw", "x"][..]),
    )
        .prop_map(|(chars, ext)| {
            let stem: String = chars.into_iter().collect();
            format!("{}.{ext}", stem.trim())
        })
        .prop_filter("a safe path", |n| {
            !n.starts_with('.') && assetpack::safe_path::check(n).is_ok()
        })
}

/// One to six files with distinct names (distinct on every disk: case and accents folded).
fn files() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    proptest::collection::vec(
        (name(), proptest::collection::vec(any::<u8>(), 0..3000)),
        1..6,
    )
    .prop_map(|mut files| {
        let mut seen = std::collections::HashSet::new();
        files.retain(|(n, _)| seen.insert(assetpack::safe_path::clash_key(n)));
        files
    })
}

/// A provider folder holding `files` under `files/`, and its manifest (no checksums: the
/// build hashes them), in `dir`.
fn provider(dir: &Path, files: &[(String, Vec<u8>)]) -> PathBuf {
    fs::create_dir_all(dir.join("files")).unwrap();
    let mut manifest = String::from("[provider]\nid = \"p\"\nname = \"P\"\nbase = \"files\"\n\n");
    for (i, (name, bytes)) in files.iter().enumerate() {
        fs::write(dir.join("files").join(name), bytes).unwrap();
        manifest.push_str(&format!(
            "[[asset]]\nid = \"a{i}\"\ntitle = \"{name}\"\nkind = \"other\"\nfile = \"{name}\"\n\n"
        ));
    }
    let path = dir.join("p.toml");
    fs::write(&path, manifest).unwrap();
    path
}

fn build_into(manifest: &Path, output: PathBuf) -> Vec<u8> {
    let options = BuildOptions {
        output: Some(output.clone()),
        ..BuildOptions::default()
    };
    let made = build(&[manifest.to_owned()], &options, None, &NoProgress);
    assert!(made.is_ok(), "{:?}", made.err());
    fs::read(output).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_pack_verifies_and_builds_again_byte_for_byte(files in files()) {
        let dir = tempfile::tempdir().unwrap();
        let manifest = provider(dir.path(), &files);
        fs::create_dir_all(dir.path().join("a")).unwrap();
        fs::create_dir_all(dir.path().join("b")).unwrap();
        let first = build_into(&manifest, dir.path().join("a/pack.zip"));
        let second = build_into(&manifest, dir.path().join("b/pack.zip"));
        prop_assert!(first == second, "two builds differ");
        let v = verify(&dir.path().join("a/pack.zip"), &VerifyOptions::default(), &NoProgress)
            .unwrap();
        prop_assert!(v.ok, "{:?}", v.problems);
        prop_assert_eq!(v.summary.files, files.len() + 3, "files, manifest.toml and .json, README");
    }

    #[test]
    fn one_flipped_byte_anywhere_fails_and_extracts_nothing(
        files in files(),
        at in any::<proptest::sample::Index>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let manifest = provider(dir.path(), &files);
        let mut bytes = build_into(&manifest, dir.path().join("pack.zip"));
        let i = at.index(bytes.len());
        bytes[i] ^= 0xff;
        let bad = dir.path().join("bad.zip");
        fs::write(&bad, &bytes).unwrap();
        let target = dir.path().join("out");
        let options = VerifyOptions {
            extract: Some(target.clone()),
            ..VerifyOptions::default()
        };
        // An error (not a readable ZIP) fails it too.
        if let Ok(v) = verify(&bad, &options, &NoProgress) {
            prop_assert!(!v.ok, "byte {i} (of {}) flipped, yet the pack verified", bytes.len());
            prop_assert!(v.summary.extracted.is_none());
        }
        let left = fs::read_dir(&target).map(|d| d.count()).unwrap_or(0);
        prop_assert_eq!(left, 0, "nothing is extracted from a damaged pack");
    }
}

/// Every byte of a small pack, plain and BagIt, inverted in turn: `verify` fails each time.
#[test]
fn no_byte_of_a_pack_can_change_unnoticed() {
    use assetpack::catalog::Layout;
    let dir = tempfile::tempdir().unwrap();
    let manifest = provider(dir.path(), &[("café poster.bin".into(), vec![7; 700])]);
    for layout in [Layout::Plain, Layout::Bagit] {
        let output = dir.path().join(format!("{layout:?}.zip"));
        let options = BuildOptions {
            output: Some(output.clone()),
            layout,
            ..BuildOptions::default()
        };
        build(std::slice::from_ref(&manifest), &options, None, &NoProgress).unwrap();
        let good = fs::read(&output).unwrap();
        let bad = dir.path().join("bad.zip");
        let unnoticed: Vec<usize> = (0..good.len())
            .filter(|&i| {
                let mut bytes = good.clone();
                bytes[i] ^= 0xff;
                fs::write(&bad, &bytes).unwrap();
                verify(&bad, &VerifyOptions::default(), &NoProgress).is_ok_and(|v| v.ok)
            })
            .collect();
        assert!(
            unnoticed.is_empty(),
            "{layout:?}: bytes {unnoticed:?} of {} changed unnoticed",
            good.len()
        );
    }
}

/// A pack verified from a reader in memory gets the same verdict, problem for problem, as the
/// same bytes verified from a file: intact, and with every tenth byte inverted in turn.
#[test]
fn a_pack_read_from_memory_is_judged_as_from_a_file() {
    use assetpack::verify::verify_reader;
    let dir = tempfile::tempdir().unwrap();
    let manifest = provider(
        dir.path(),
        &[("poster.txt".into(), b"Read here. ".repeat(300))],
    );
    let output = dir.path().join("p.zip");
    let options = BuildOptions {
        output: Some(output.clone()),
        ..BuildOptions::default()
    };
    build(std::slice::from_ref(&manifest), &options, None, &NoProgress).unwrap();
    let good = fs::read(&output).unwrap();
    let bad = dir.path().join("bad.zip");
    let codes = |v: &assetpack::verify::Verification| -> Vec<(String, Option<String>)> {
        let p = v.problems.iter();
        p.map(|p| (p.code.to_string(), p.file.clone())).collect()
    };
    for i in (0..good.len()).step_by(10).chain([usize::MAX]) {
        let mut bytes = good.clone();
        if let Some(b) = bytes.get_mut(i) {
            *b ^= 0xff;
        }
        fs::write(&bad, &bytes).unwrap();
        let from_file = verify(&bad, &VerifyOptions::default(), &NoProgress);
        let reader = std::io::Cursor::new(bytes);
        let from_memory = verify_reader(reader, &bad, &VerifyOptions::default(), &NoProgress);
        match (from_file, from_memory) {
            (Ok(f), Ok(m)) => {
                assert_eq!((f.ok, codes(&f)), (m.ok, codes(&m)), "byte {i}");
                assert_eq!(f.ok, i == usize::MAX, "byte {i}");
            }
            (Err(f), Err(m)) => assert_eq!(f.to_string(), m.to_string(), "byte {i}"),
            (f, m) => panic!("byte {i}: from a file {f:?}, from memory {m:?}"),
        }
    }
}
