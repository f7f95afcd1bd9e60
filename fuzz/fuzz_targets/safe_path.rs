//! The safe-path rules: never a panic; a path they accept has no component that climbs, is
//! absolute or is empty, and its clash key is stable.
#![no_main]

use assetpack::safe_path;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    let key = safe_path::clash_key(path);
    assert_eq!(key, safe_path::clash_key(path));
    if safe_path::check(path).is_ok() {
        assert!(!path.starts_with('/') && !path.contains('\\'));
        assert!(path
            .split('/')
            .all(|c| !c.is_empty() && c != ".." && c != "."));
    }
});
