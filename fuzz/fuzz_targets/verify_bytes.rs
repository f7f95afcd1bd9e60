//! Any bytes as a pack: `verify` (with extraction) never panics, never extracts a pack that
//! does not verify, and never writes outside its target.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::verify_and_extract(data);
});
