//! Any text as a bundle spec: never a panic.
#![no_main]

use assetpack::bundle::Bundle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let loaded = Bundle::parse("b.toml", text);
    if let Some(b) = loaded.bundle {
        // Globs are resolved against a folder that does not exist: no panic either.
        let _ = b.manifest_paths();
    }
});
