//! Shared by the verify targets.

use std::path::Path;

use assetpack::verify::{verify, VerifyOptions};
use assetpack::NoProgress;

/// Verifies `bytes` as a pack, extracting into a fresh folder: a pack that does not verify
/// leaves the folder empty, and nothing lands outside it.
pub fn verify_and_extract(bytes: &[u8]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let pack = dir.path().join("pack.zip");
    std::fs::write(&pack, bytes).expect("write");
    let target = dir.path().join("out");
    let options = VerifyOptions {
        extract: Some(target.clone()),
        ..VerifyOptions::default()
    };
    let result = verify(&pack, &options, &NoProgress);
    let extracted = match &result {
        Ok(v) => {
            assert_eq!(v.ok, v.summary.extracted.is_some(), "{:?}", v.problems);
            v.ok
        }
        Err(_) => false,
    };
    if !extracted {
        assert!(
            empty_or_missing(&target),
            "a pack that did not verify left files"
        );
    }
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    names.sort();
    let allowed: &[&str] = if extracted {
        &["out", "pack.zip"]
    } else {
        &["pack.zip"]
    };
    assert!(
        names.iter().all(|n| allowed.iter().any(|a| n == *a)),
        "nothing is written beside the target: {names:?}"
    );
}

fn empty_or_missing(dir: &Path) -> bool {
    std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_none())
}
