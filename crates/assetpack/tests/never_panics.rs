//! Property tests: whatever the input, reading a manifest or judging a path never panics, and
//! every problem found in the TOML points inside the text.

use assetpack::manifest::Manifest;
use assetpack::safe_path;
use proptest::prelude::*;

const SEED: &str = r#"[provider]
id = "oup"
name = "OUP"
base = "../assets"
[provider.print]
contact = "x@example.org"
[[asset]]
id = "a"
title = "Café – ŵ"
kind = "poster"
file = "posters/a.pdf"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
bytes = 12
print = { available = true, sizes = ["A3"], max_quantity = 5 }
renditions = [{ role = "web", file = "a.png" }]
transcript = { file = "a.txt" }
next_review_due = 2027-01-01
"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let loaded = Manifest::parse("m.toml", text.clone());
        let lines = text.split('\n').count();
        for p in loaded.problems {
            prop_assert!(p.line.unwrap_or(1) <= lines.max(1) + 1);
        }
    }

    #[test]
    fn mutated_manifests_never_panic(cut in 0usize..SEED.len(), insert in "[\\[\\]{}=\",\\n a-z0-9.#-]{0,12}") {
        let mut text = String::new();
        let cut = (0..=cut).rev().find(|i| SEED.is_char_boundary(*i)).unwrap_or(0);
        text.push_str(&SEED[..cut]);
        text.push_str(&insert);
        text.push_str(&SEED[cut..]);
        let loaded = Manifest::parse("m.toml", text);
        for p in &loaded.problems {
            prop_assert!(!p.message.is_empty() && !p.fix.is_empty());
        }
    }

    #[test]
    fn safe_paths_are_relative_and_plain(path in "\\PC{0,40}") {
        if safe_path::check(&path).is_ok() {
            prop_assert!(!path.starts_with('/'));
            prop_assert!(!path.split('/').any(|c| c == ".." || c == "." || c.is_empty()));
            prop_assert!(!path.contains('\\') && !path.contains('\0'));
        }
    }
}

#[test]
fn the_seed_is_clean() {
    let loaded = Manifest::parse("m.toml", SEED.to_string());
    assert!(loaded.problems.is_empty(), "{:#?}", loaded.problems);
}
