//! Minisign public keys and signatures, as the receiving side reads them.
//!
//! A pack built with a secret key carries `SHA256SUMS.minisig` (a bag:
//! `tagmanifest-sha256.txt.minisig`), a [minisign](https://jedisct1.github.io/minisign/)
//! signature of its checksum file; a manifest signed by its publisher has `MANIFEST.minisig`
//! beside it. This module reads public keys (a `.pub` file's text, or the key line alone) and
//! signatures, and checks one signature against the bytes it signs. Making keys and signatures
//! is [`crate::signing`]'s job; [`crate::verify`] and [`crate::check()`] only read, with the
//! `minisign` crate, never with the signer's code.
//!
//! ```
//! use assetpack::keys::PublicKey;
//!
//! let key = PublicKey::parse("RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3").unwrap();
//! assert_eq!(key.id(), "E7620F1842B4E81F");
//! ```

use std::io::Cursor;
use std::path::Path;

/// The suffix of a signature file: `SHA256SUMS.minisig`, `oup.toml.minisig`.
pub const SIGNATURE_SUFFIX: &str = ".minisig";

/// Where the signature of `file` lies: `<file>.minisig`, beside it.
pub fn signature_path(file: &Path) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(SIGNATURE_SUFFIX);
    name.into()
}

/// Signatures are a few hundred bytes; anything much larger is not one.
pub const MAX_SIGNATURE_BYTES: usize = 64 << 10;

/// A minisign public key.
#[derive(Clone)]
pub struct PublicKey {
    key: minisign::PublicKey,
    id: String,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.id)
    }
}

/// Why a key or signature could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A key file could not be read.
    #[error("cannot read the key file {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The text is not a minisign public key.
    #[error("{what} is not a minisign public key (`untrusted comment: …` then a line of 56 base64 characters starting `RW`, or that line alone)")]
    NotAKey {
        /// The file, or "the key given".
        what: String,
    },
}

/// The key ID minisign prints for the 8 bytes of a key number: the little-endian number in
/// upper-case hexadecimal, without leading zeros (minisign's `%" PRIX64 "`), so that the ID
/// shown here is the one in the `minisign` tool's `.pub` comment.
pub fn key_id(keynum: &[u8]) -> String {
    let mut n = [0u8; 8];
    let len = keynum.len().min(8);
    n[..len].copy_from_slice(&keynum[..len]);
    format!("{:X}", u64::from_le_bytes(n))
}

impl PublicKey {
    /// A public key from a `.pub` file's text (its comment line, then the key) or from the
    /// key line alone.
    pub fn parse(text: &str) -> Result<PublicKey, KeyError> {
        let not_a_key = || KeyError::NotAKey {
            what: "the key given".into(),
        };
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
            .ok_or_else(not_a_key)?;
        let key = minisign::PublicKey::from_base64(line).map_err(|_| not_a_key())?;
        let id = key_id(key.keynum());
        Ok(PublicKey { key, id })
    }

    /// The key in `arg`: the file it names, when there is one, else the key itself.
    pub fn read(arg: &str) -> Result<PublicKey, KeyError> {
        let path = Path::new(arg);
        if !path.is_file() {
            return PublicKey::parse(arg).map_err(|_| KeyError::NotAKey {
                what: format!("`{arg}` (not a file either)"),
            });
        }
        let text = std::fs::read(path).map_err(|source| KeyError::Io {
            path: path.to_owned(),
            source,
        })?;
        let text = String::from_utf8_lossy(&text);
        PublicKey::parse(&text).map_err(|_| KeyError::NotAKey {
            what: path.display().to_string(),
        })
    }

    /// Its key ID, as minisign prints it (`E7620F1842B4E81F`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key line (`RW…`) that `minisign -P` takes.
    pub fn to_base64(&self) -> String {
        self.key.to_base64()
    }
}

/// A minisign signature, read but not yet checked.
#[derive(Clone)]
pub struct Signature {
    signature: minisign::SignatureBox,
    key_id: String,
    trusted_comment: String,
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signature(by {})", self.key_id)
    }
}

/// What is wrong with a signature.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureProblem {
    /// The text is not a minisign signature.
    #[error("it is not a minisign signature ({0})")]
    Malformed(String),
    /// Made with another key.
    #[error("it was made with key ID {signed_by}, not with {expected}")]
    Foreign {
        /// The key ID the signature names.
        signed_by: String,
        /// The key ID it was checked against.
        expected: String,
    },
    /// Made with this key over other bytes (or a trusted comment changed): what it signs was
    /// changed after signing.
    #[error("it does not match what it signs: that (or the signature's trusted comment) was changed after signing")]
    Invalid,
}

impl Signature {
    /// Reads a `.minisig` file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Signature, SignatureProblem> {
        if bytes.len() > MAX_SIGNATURE_BYTES {
            return Err(SignatureProblem::Malformed(format!(
                "{} bytes, where a signature has a few hundred",
                bytes.len()
            )));
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| SignatureProblem::Malformed("not UTF-8 text".into()))?;
        let signature = minisign::SignatureBox::from_string(text)
            .map_err(|e| SignatureProblem::Malformed(e.to_string()))?;
        let trusted_comment = signature
            .trusted_comment()
            .map_err(|e| SignatureProblem::Malformed(e.to_string()))?;
        Ok(Signature {
            key_id: key_id(signature.keynum()),
            trusted_comment,
            signature,
        })
    }

    /// The ID of the key it says made it (not yet checked).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Its trusted comment (trustworthy only once [`Signature::check`] passed).
    pub fn trusted_comment(&self) -> &str {
        &self.trusted_comment
    }

    /// Checks that `key` made this signature of `signed` (and of its trusted comment).
    pub fn check(&self, key: &PublicKey, signed: &[u8]) -> Result<(), SignatureProblem> {
        if self.key_id != key.id {
            return Err(SignatureProblem::Foreign {
                signed_by: self.key_id.clone(),
                expected: key.id.clone(),
            });
        }
        // Quiet, no copy of the data written out, legacy (not prehashed) signatures accepted
        // as the minisign tool accepts them.
        minisign::verify(
            &key.key,
            &self.signature,
            Cursor::new(signed),
            true,
            false,
            true,
        )
        .map_err(|_| SignatureProblem::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_id_is_written_as_the_minisign_tool_writes_it() {
        let keynum = [0x1B, 0xCC, 0x41, 0x04, 0x21, 0x37, 0xA5, 0x0C];
        assert_eq!(key_id(&keynum), "CA537210441CC1B");
        let keynum = [0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0xF1];
        assert_eq!(key_id(&keynum), "F123456789ABCDEF");
    }
}
