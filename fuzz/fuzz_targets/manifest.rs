//! Any text as a provider manifest: never a panic, and every problem points inside the text.
#![no_main]

use assetpack::manifest::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let lines = text.lines().count().max(1);
    let loaded = Manifest::parse("m.toml", text);
    for p in &loaded.problems {
        if let Some(line) = p.line {
            assert!(line >= 1 && line <= lines + 1, "line {line} of {lines}");
        }
    }
});
