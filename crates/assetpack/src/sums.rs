//! The checksum files of a pack, written by the plan and read by `verify`: defined once here
//! so the two sides cannot drift apart.
//!
//! - [`Format::Sha256sum`]: `SHA256SUMS`, as GNU `sha256sum -c` reads it: `HASH  path` lines
//!   (`HASH *path` is read too), and a line starting with `\` has `\\`, `\n` and `\r`
//!   escapes, as GNU coreutils writes them.
//! - [`Format::Bagit`]: a BagIt manifest (`manifest-sha256.txt`, `tagmanifest-sha256.txt`,
//!   RFC 8493 §2.1.3): `HASH  path` with `%`, CR and LF percent-encoded.
//!
//! ```
//! use assetpack::sums::{parse, write, Format};
//!
//! let text = write(Format::Sha256sum, [("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "a\nb.txt")]);
//! assert!(text.starts_with('\\'), "a name with a newline is escaped: {text}");
//! let back = parse(Format::Sha256sum, &text).unwrap();
//! assert_eq!(back[0].0, "a\nb.txt");
//! ```

/// Which checksum file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// `SHA256SUMS` for `sha256sum -c`.
    Sha256sum,
    /// A BagIt manifest.
    Bagit,
}

/// The name of a plain pack's checksum file.
pub const SHA256SUMS: &str = "SHA256SUMS";
/// The names of a bag's payload manifest and tag manifest.
pub const BAG_MANIFEST: &str = "manifest-sha256.txt";
/// See [`BAG_MANIFEST`].
pub const BAG_TAG_MANIFEST: &str = "tagmanifest-sha256.txt";

/// The checksum file a signed pack's signature signs: `SHA256SUMS`, or a bag's tag manifest
/// (which covers the bag's manifest, which covers the payload).
pub fn signed_file(layout: crate::catalog::Layout) -> &'static str {
    match layout {
        crate::catalog::Layout::Plain => SHA256SUMS,
        crate::catalog::Layout::Bagit => BAG_TAG_MANIFEST,
    }
}

/// The signature of checksum file `signed` in a signed pack: `SHA256SUMS.minisig`, or a bag's
/// `tagmanifest-sha256.txt.minisig` (the tag manifest covers the bag's manifest, which covers
/// the payload). Neither is listed in a checksum file: each signs one.
pub fn signature_of(signed: &str) -> String {
    format!("{signed}{}", crate::keys::SIGNATURE_SUFFIX)
}

/// A line of a checksum file that is not `HASH  path`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line} is not `HASH  path`: {text:?}")]
pub struct Malformed {
    /// 1-based line number.
    pub line: usize,
    /// The line as found.
    pub text: String,
}

/// Appends the line for `path` (a `/`-separated path) with lowercase hex `sha256`.
pub fn push_line(out: &mut String, format: Format, sha256: &str, path: &str) {
    match format {
        Format::Sha256sum if path.contains(['\\', '\n', '\r']) => {
            out.push('\\');
            out.push_str(sha256);
            out.push_str("  ");
            let escaped = path
                .replace('\\', "\\\\")
                .replace('\n', "\\n")
                .replace('\r', "\\r");
            out.push_str(&escaped);
        }
        Format::Sha256sum => {
            out.push_str(sha256);
            out.push_str("  ");
            out.push_str(path);
        }
        Format::Bagit => {
            out.push_str(sha256);
            out.push_str("  ");
            out.push_str(
                &path
                    .replace('%', "%25")
                    .replace('\r', "%0D")
                    .replace('\n', "%0A"),
            );
        }
    }
    out.push('\n');
}

/// A whole checksum file of `(sha256, path)` pairs, in the order given.
pub fn write<'a>(format: Format, lines: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (sha256, path) in lines {
        push_line(&mut out, format, sha256, path);
    }
    out
}

/// Reads a checksum file into `(path, sha256)` pairs (hashes lowercased), in file order.
/// Blank lines are skipped; any other line that is not `HASH  path` is an error.
pub fn parse(format: Format, text: &str) -> Result<Vec<(String, String)>, Malformed> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || Malformed {
            line: i + 1,
            text: line.to_owned(),
        };
        let (escaped, rest) = match (format, line.strip_prefix('\\')) {
            (Format::Sha256sum, Some(rest)) => (true, rest),
            _ => (false, line),
        };
        if rest.len() < 66 || !rest.is_char_boundary(64) {
            return Err(bad());
        }
        let (hash, rest) = rest.split_at(64);
        if !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let path = match format {
            Format::Sha256sum => rest.strip_prefix("  ").or_else(|| rest.strip_prefix(" *")),
            // RFC 8493 allows one or more spaces or tabs.
            Format::Bagit => rest
                .strip_prefix([' ', '\t'])
                .map(|p| p.trim_start_matches([' ', '\t'])),
        }
        .filter(|p| !p.is_empty())
        .ok_or_else(bad)?;
        out.push((unescape(format, escaped, path), hash.to_ascii_lowercase()));
    }
    Ok(out)
}

fn unescape(format: Format, escaped: bool, path: &str) -> String {
    match format {
        Format::Sha256sum if escaped => {
            let mut out = String::with_capacity(path.len());
            let mut chars = path.chars();
            while let Some(c) = chars.next() {
                match (c, chars.clone().next()) {
                    ('\\', Some('n')) => {
                        out.push('\n');
                        chars.next();
                    }
                    ('\\', Some('r')) => {
                        out.push('\r');
                        chars.next();
                    }
                    ('\\', Some('\\')) => {
                        out.push('\\');
                        chars.next();
                    }
                    _ => out.push(c),
                }
            }
            out
        }
        Format::Sha256sum => path.to_owned(),
        Format::Bagit => path
            .replace("%0A", "\n")
            .replace("%0D", "\r")
            .replace("%25", "%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "9dc49d11070f2d084cdaf092d4c9d8d69f2a23b039953609372c03cfed7a43d0";

    #[test]
    fn what_is_written_reads_back() {
        let paths = [
            "oup/a b.pdf",
            "café/100%.txt",
            "odd\\name",
            "line\nbreak",
            "x\r",
        ];
        for format in [Format::Sha256sum, Format::Bagit] {
            let text = write(format, paths.iter().map(|p| (H, *p)));
            let back = parse(format, &text).unwrap();
            let want: Vec<_> = paths
                .iter()
                .map(|p| (p.to_string(), H.to_owned()))
                .collect();
            assert_eq!(back, want, "{format:?}:\n{text}");
        }
    }

    #[test]
    fn sha256sum_lines_are_what_coreutils_writes() {
        assert_eq!(
            write(Format::Sha256sum, [(H, "a.txt")]),
            format!("{H}  a.txt\n")
        );
        assert_eq!(
            write(Format::Sha256sum, [(H, "a\\b")]),
            format!("\\{H}  a\\\\b\n")
        );
        assert_eq!(
            parse(Format::Sha256sum, &format!("{} *x", H.to_uppercase())).unwrap(),
            [("x".to_owned(), H.to_owned())]
        );
    }

    #[test]
    fn malformed_lines_are_named() {
        for bad in [
            "not a checksum",
            &format!("{H}x"),
            &format!("{H}  "),
            &"é".repeat(40),
        ] {
            let text = format!("{H}  ok\n{bad}\n");
            assert_eq!(
                parse(Format::Sha256sum, &text).unwrap_err().line,
                2,
                "{bad:?}"
            );
        }
    }
}
