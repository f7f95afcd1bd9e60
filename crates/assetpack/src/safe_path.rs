//! What a safe relative path is. Manifests, packs and `verify` all ask this one module.
//!
//! A safe path is relative, `/`-separated, has no empty, `.` or `..` components, no backslash,
//! drive letter, NUL or other control character, no character Windows forbids in file names,
//! no component that Windows reserves (`CON`, `aux.pdf`, `COM1`) and no component ending in a
//! dot or space (Windows drops them silently). Such a path unpacks to the same place on every
//! system and never outside the folder it is unpacked into.
//!
//! ```
//! use assetpack::safe_path::{check, clash_key};
//! assert!(check("posters/oup-a3.pdf").is_ok());
//! assert!(check("../etc/passwd").is_err());
//! assert!(check("logos/aux.png").is_err());
//! assert_eq!(clash_key("Posters/Café.pdf"), clash_key("posters/cafe\u{301}.PDF"));
//! ```

use unicode_normalization::UnicodeNormalization;

/// Why a path is unsafe.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnsafePath {
    /// The path is empty.
    #[error("the path is empty")]
    Empty,
    /// Starts with `/` (or is otherwise absolute).
    #[error("the path is absolute")]
    Absolute,
    /// Uses `\` as a separator or in a name.
    #[error("the path contains a backslash")]
    Backslash,
    /// Starts with a drive letter such as `C:`.
    #[error("the path starts with a drive letter")]
    DriveLetter,
    /// Has a `..` component.
    #[error("the path climbs out of its folder with `..`")]
    ParentDir,
    /// Has an empty or `.` component (`a//b`, `./a`).
    #[error("the path has an empty or `.` component")]
    EmptyComponent,
    /// Contains NUL or another control character.
    #[error("the path contains a control character (U+{0:04X})")]
    Control(u32),
    /// Contains a character Windows forbids: `< > : " | ? *`.
    #[error("the path contains `{0}`, which Windows does not allow in file names")]
    WindowsChar(char),
    /// A component Windows reserves, such as `CON` or `aux.pdf`.
    #[error("`{0}` is a name Windows reserves for devices")]
    Reserved(String),
    /// A component ends with a dot or a space.
    #[error("`{0}` ends with a dot or space, which Windows drops")]
    TrailingDotOrSpace(String),
}

const RESERVED: [&str; 4] = ["CON", "PRN", "AUX", "NUL"];

fn reserved(component: &str) -> bool {
    let stem = component.split('.').next().unwrap_or("").trim_end();
    // Every reserved name starts with three ASCII letters; compared without making an
    // upper-case copy (this runs for every component of every path a manifest names).
    let Some((head, rest)) = stem.get(..3).zip(stem.get(3..)) else {
        return false;
    };
    let is = |name: &str| head.eq_ignore_ascii_case(name);
    if RESERVED.into_iter().any(is) {
        return rest.is_empty();
    }
    if is("COM") || is("LPT") {
        let mut chars = rest.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return c.is_ascii_digit() || matches!(c, '¹' | '²' | '³');
        }
    }
    false
}

/// Checks that `path` is a safe relative path (see the module docs).
pub fn check(path: &str) -> Result<(), UnsafePath> {
    if path.is_empty() {
        return Err(UnsafePath::Empty);
    }
    if let Some(c) = path.chars().find(|c| c.is_control()) {
        return Err(UnsafePath::Control(u32::from(c)));
    }
    if path.starts_with('/') {
        return Err(UnsafePath::Absolute);
    }
    if path.contains('\\') {
        return Err(UnsafePath::Backslash);
    }
    let b = path.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err(UnsafePath::DriveLetter);
    }
    for component in path.split('/') {
        match component {
            "" | "." => return Err(UnsafePath::EmptyComponent),
            ".." => return Err(UnsafePath::ParentDir),
            _ => {}
        }
        if let Some(&b) = component
            .as_bytes()
            .iter()
            .find(|b| matches!(b, b'<' | b'>' | b':' | b'"' | b'|' | b'?' | b'*'))
        {
            return Err(UnsafePath::WindowsChar(char::from(b)));
        }
        if reserved(component) {
            return Err(UnsafePath::Reserved(component.to_owned()));
        }
        if component.ends_with(['.', ' ']) {
            return Err(UnsafePath::TrailingDotOrSpace(component.to_owned()));
        }
    }
    Ok(())
}

/// The key under which two paths clash on a case-insensitive, Unicode-normalising file system
/// (macOS, Windows): the NFC form of the path, case-folded.
pub fn clash_key(path: &str) -> String {
    if path.is_ascii() {
        return path.to_ascii_lowercase();
    }
    // Decompose, fold case, recompose: `É` and `e\u{301}` and `é` all meet.
    path.nfd()
        .collect::<String>()
        .to_lowercase()
        .nfc()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_paths() {
        for p in [
            "a.pdf",
            "posters/oup-a3-poster-01.pdf",
            "Café poster (final).pdf",
            "guides/Quick guide – v2.pdf",
            ".well-known/x",
            "a..b.pdf",
            "console.log",
            "COM10.txt",
            "COM",
            "LPTx.txt",
            "auxiliary.pdf",
            "Coé.pdf",
            "é/nulé",
        ] {
            assert_eq!(check(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn rejects_hostile_paths() {
        let cases: &[(&str, UnsafePath)] = &[
            ("", UnsafePath::Empty),
            ("/etc/passwd", UnsafePath::Absolute),
            ("..\\x", UnsafePath::Backslash),
            ("posters\\a.pdf", UnsafePath::Backslash),
            ("C:/x.pdf", UnsafePath::DriveLetter),
            ("c:x.pdf", UnsafePath::DriveLetter),
            ("../x.pdf", UnsafePath::ParentDir),
            ("a/../../x", UnsafePath::ParentDir),
            ("a//b", UnsafePath::EmptyComponent),
            ("./a", UnsafePath::EmptyComponent),
            ("a/", UnsafePath::EmptyComponent),
            ("a\0b", UnsafePath::Control(0)),
            ("a\nb", UnsafePath::Control(10)),
            ("a\u{7f}", UnsafePath::Control(0x7f)),
            ("ab:c", UnsafePath::WindowsChar(':')),
            ("what?.pdf", UnsafePath::WindowsChar('?')),
            ("CON", UnsafePath::Reserved("CON".into())),
            ("logos/aux.pdf", UnsafePath::Reserved("aux.pdf".into())),
            ("com1.png", UnsafePath::Reserved("com1.png".into())),
            ("LPT9", UnsafePath::Reserved("LPT9".into())),
            ("nul .txt", UnsafePath::Reserved("nul .txt".into())),
            ("COM¹", UnsafePath::Reserved("COM¹".into())),
            ("dir./a", UnsafePath::TrailingDotOrSpace("dir.".into())),
            ("a ", UnsafePath::TrailingDotOrSpace("a ".into())),
        ];
        for (p, want) in cases {
            assert_eq!(check(p).as_ref(), Err(want), "{p:?}");
        }
    }

    #[test]
    fn clash_keys_meet_across_case_and_normalisation() {
        assert_eq!(clash_key("Poster.pdf"), clash_key("poster.PDF"));
        assert_eq!(clash_key("caf\u{e9}.pdf"), clash_key("cafe\u{301}.pdf"));
        assert_eq!(clash_key("CAF\u{c9}.pdf"), clash_key("cafe\u{301}.pdf"));
        assert_ne!(clash_key("poster-1.pdf"), clash_key("poster-2.pdf"));
    }
}
