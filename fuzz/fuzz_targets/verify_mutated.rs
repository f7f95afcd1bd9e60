//! Real packs, mutated where it hurts: starting from a pack built by assetpack (plain and
//! BagIt, made once), the input is a list of edits — flip, truncate, duplicate or move a run
//! of bytes, rewrite a header field — applied before `verify` with extraction.
#![no_main]

use std::sync::OnceLock;

use assetpack::build::{build, BuildOptions};
use assetpack::catalog::Layout;
use assetpack::NoProgress;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

/// A plain and a BagIt pack of two small files, built once.
fn packs() -> &'static [Vec<u8>; 2] {
    static PACKS: OnceLock<[Vec<u8>; 2]> = OnceLock::new();
    PACKS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("files/sub")).expect("mkdir");
        std::fs::write(dir.path().join("files/a.txt"), "hello\n".repeat(40)).expect("write");
        std::fs::write(dir.path().join("files/sub/café.bin"), [7u8; 300]).expect("write");
        let manifest = dir.path().join("p.toml");
        std::fs::write(
            &manifest,
            "[provider]\nid = \"p\"\nname = \"P\"\nbase = \"files\"\n\n\
             [[asset]]\nid = \"a\"\ntitle = \"A\"\nkind = \"other\"\nfile = \"a.txt\"\n\n\
             [[asset]]\nid = \"b\"\ntitle = \"B\"\nkind = \"other\"\nfile = \"sub/café.bin\"\n",
        )
        .expect("write");
        [Layout::Plain, Layout::Bagit].map(|layout| {
            let output = dir.path().join(format!("{layout:?}.zip"));
            let options = BuildOptions {
                output: Some(output.clone()),
                layout,
                ..BuildOptions::default()
            };
            build(&[manifest.clone()], &options, None, &NoProgress).expect("the seed pack builds");
            std::fs::read(output).expect("read")
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, edits)) = data.split_first() else {
        return;
    };
    let mut pack = packs()[usize::from(which & 1)].clone();
    for edit in edits.chunks_exact(5) {
        if pack.is_empty() {
            break;
        }
        let at = usize::from(u16::from_le_bytes([edit[1], edit[2]])) % pack.len();
        let len = usize::from(edit[3]) % 64 + 1;
        let end = (at + len).min(pack.len());
        match edit[0] % 6 {
            0 => pack[at] ^= edit[4] | 1,
            1 => pack.truncate(at),
            2 => {
                let run = pack[at..end].to_vec();
                pack.splice(at..at, run);
            }
            3 => {
                let run: Vec<u8> = pack.drain(at..end).collect();
                let to = usize::from(edit[4]) * pack.len() / 256;
                pack.splice(to..to, run);
            }
            4 => pack[at] = edit[4],
            _ => {
                // A 16- or 32-bit field (a size, an offset, a count) set to a chosen value.
                let v = u32::from(edit[4]).wrapping_mul(0x0101_0101);
                for (i, b) in v.to_le_bytes().iter().enumerate().take(end - at) {
                    pack[at + i] = *b;
                }
            }
        }
    }
    common::verify_and_extract(&pack);
});
