//! Minisign secret keys and signatures, as the sending side makes them.
//!
//! [`new_key_pair`] makes a key pair in minisign's formats (Ed25519; the secret key encrypted
//! with a password by scrypt, or not). [`SigningKey::load`] reads a secret key file, made here
//! or by `minisign -G`, and [`SigningKey::sign`] makes a `.minisig` that `minisign -V` and
//! [`crate::keys`] accept.
//!
//! The key files are read and written by the `minisign` crate. The two Ed25519 signatures of a
//! `.minisig` are made here with `ed25519-compact`, because the `minisign` crate adds random
//! noise to each and a pack must be the same bytes every time it is built from the same inputs
//! with the same key: plain Ed25519 (RFC 8032) is deterministic. Each signature made is
//! checked with the `minisign` crate before it is returned.
//!
//! Secret keys and passwords never appear in an error or a `Debug` output.
//!
//! ```
//! use assetpack::keys::{PublicKey, Signature};
//! use assetpack::signing::{new_key_pair, SigningKey};
//!
//! let pair = new_key_pair(None).unwrap();
//! let key = SigningKey::parse(&pair.secret, None).unwrap();
//! let text = key.sign(b"hello\n", "a trusted comment").unwrap();
//! assert_eq!(text, key.sign(b"hello\n", "a trusted comment").unwrap(), "deterministic");
//!
//! let public = PublicKey::parse(&pair.public).unwrap();
//! let signature = Signature::parse(text.as_bytes()).unwrap();
//! assert!(signature.check(&public, b"hello\n").is_ok());
//! assert!(signature.check(&public, b"hello!\n").is_err());
//! ```

use std::io::Cursor;
use std::path::{Path, PathBuf};

use blake2::{Blake2b512, Digest};
use ct_codecs::{Base64, Decoder, Encoder};

use crate::keys::key_id;

/// A secret key, ready to sign.
#[derive(Clone)]
pub struct SigningKey {
    secret: ed25519_compact::SecretKey,
    keynum: [u8; 8],
    public: minisign::PublicKey,
    id: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.id)
    }
}

/// Why a key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// A key file could not be read or written.
    #[error("cannot {action} the key file {path}: {source}")]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a minisign secret key.
    #[error("{what} is not a minisign secret key{why}")]
    NotASecretKey {
        /// The file.
        what: String,
        /// More, when known (`: …`).
        why: String,
    },
    /// The key is encrypted and no password was given.
    #[error("{what} is encrypted with a password, and none was given")]
    NeedsPassword {
        /// The file.
        what: String,
    },
    /// The password does not open the key.
    #[error("the password does not open {what}")]
    WrongPassword {
        /// The file.
        what: String,
    },
    /// `sign` was given something other than a readable provider manifest.
    #[error("will not sign {}: it is not a readable provider manifest ({why})", path.display())]
    NotAManifest {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A key file is there already.
    #[error("{} exists already (replacing it would leave signatures made with the old key unchecked)", .0.display())]
    Exists(PathBuf),
    /// An empty password was given for a new key.
    #[error("an empty password protects nothing: give one, or make the key unencrypted")]
    EmptyPassword,
    /// The system's random numbers or the key derivation failed.
    #[error("cannot make a key: {0}")]
    Generate(String),
    /// A signature made here did not check (a bug; nothing is written).
    #[error("the signature made does not check: {0}")]
    SelfCheck(String),
}

/// A new key pair in minisign's file formats.
pub struct NewKeyPair {
    /// The public key file's text: `untrusted comment: minisign public key <ID>`, then the key.
    pub public: String,
    /// The secret key file's text.
    pub secret: String,
    /// The key ID.
    pub id: String,
}

impl std::fmt::Debug for NewKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewKeyPair({})", self.id)
    }
}

/// Makes a key pair; the secret key is encrypted with `password` when one is given.
pub fn new_key_pair(password: Option<&str>) -> Result<NewKeyPair, SignError> {
    let generate = |e: minisign::PError| SignError::Generate(e.to_string());
    let pair = match password {
        Some("") => return Err(SignError::EmptyPassword),
        Some(p) => minisign::KeyPair::generate_encrypted_keypair(Some(p.to_owned())),
        None => minisign::KeyPair::generate_unencrypted_keypair(),
    }
    .map_err(generate)?;
    let comment = match password {
        Some(_) => "minisign encrypted secret key",
        None => "minisign secret key, not encrypted",
    };
    Ok(NewKeyPair {
        public: pair.pk.to_box().map_err(generate)?.to_string(),
        secret: pair.sk.to_box(Some(comment)).map_err(generate)?.to_string(),
        id: key_id(pair.pk.keynum()),
    })
}

/// Where the public key of the secret key file `secret` goes by default: `north.key` →
/// `north.pub`, anything else → `<name>.pub`.
pub fn public_key_path(secret: &Path) -> PathBuf {
    match secret.extension() {
        Some(e) if e == "key" => secret.with_extension("pub"),
        _ => {
            let mut name = secret.as_os_str().to_owned();
            name.push(".pub");
            PathBuf::from(name)
        }
    }
}

/// Neither `secret` nor `public` exists ([`SignError::Exists`] names the first that does).
pub fn key_files_free(secret: &Path, public: &Path) -> Result<(), SignError> {
    match [secret, public].into_iter().find(|p| p.exists()) {
        Some(there) => Err(SignError::Exists(there.to_owned())),
        None => Ok(()),
    }
}

/// Writes `pair`: the secret key to `secret` (readable by its owner only) and the public key
/// to `public`. Each is written whole or not at all; existing files are replaced only when
/// `replace` is set (else [`SignError::Exists`], and nothing is written).
pub fn write_key_pair(
    pair: &NewKeyPair,
    secret: &Path,
    public: &Path,
    replace: bool,
) -> Result<(), SignError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| SignError::Io {
            action: "write",
            path,
            source,
        }
    };
    if !replace {
        key_files_free(secret, public)?;
    }
    // Temporary files are created readable by their owner only, and keep that mode.
    let mut tmp_secret = crate::atomic::temp_beside(secret).map_err(io(secret))?;
    std::io::Write::write_all(&mut tmp_secret, pair.secret.as_bytes()).map_err(io(secret))?;
    let mut tmp_public = crate::atomic::temp_beside(public).map_err(io(public))?;
    std::io::Write::write_all(&mut tmp_public, pair.public.as_bytes()).map_err(io(public))?;
    tmp_secret
        .persist(secret)
        .map_err(|e| io(secret)(e.error))?;
    crate::atomic::persist(tmp_public, public, false).map_err(io(public))
}

/// Signs the provider manifest at `path` with `key`: writes `<path>.minisig`, whose trusted
/// comment names the provider and the manifest's SHA-256, and returns its path. A file that
/// is not a readable provider manifest is refused (nothing is written), so that what is signed
/// is what `check` reads.
pub fn sign_manifest(path: &Path, key: &SigningKey) -> Result<PathBuf, SignError> {
    let text = crate::manifest::read_text(path).map_err(|e| SignError::NotAManifest {
        path: path.to_owned(),
        why: e.to_string(),
    })?;
    let loaded = crate::manifest::Manifest::parse(path, text);
    let Some(m) = loaded.manifest else {
        let why = loaded
            .problems
            .iter()
            .find(|p| p.is_error())
            .map_or("it has no [provider] table".to_owned(), |p| p.to_string());
        return Err(SignError::NotAManifest {
            path: path.to_owned(),
            why,
        });
    };
    let bytes = m.text().as_bytes();
    let comment = format!(
        "assetpack manifest of provider {}, sha256 {}",
        m.provider.id,
        crate::digest::sha256_bytes(bytes)
    );
    let signature = key.sign(bytes, &comment)?;
    let out = crate::keys::signature_path(path);
    crate::atomic::write_file(&out, signature.as_bytes()).map_err(|source| SignError::Io {
        action: "write",
        path: out.clone(),
        source,
    })?;
    Ok(out)
}

/// Where a secret key file's fields lie (minisign's format): signature, KDF and checksum
/// algorithms, 32 bytes of salt, two 8-byte limits, then the 8-byte key number and the
/// 64-byte Ed25519 secret key (seed and public key).
const KDF_ALG: std::ops::Range<usize> = 2..4;
const KEYNUM: std::ops::Range<usize> = 54..62;
const SECRET: std::ops::Range<usize> = 62..126;

impl SigningKey {
    /// Reads the secret key file at `path`, decrypting it with `password` when it is encrypted.
    pub fn load(path: &Path, password: Option<&str>) -> Result<SigningKey, SignError> {
        let text = read_key_file(path)?;
        SigningKey::parse(&text, password).map_err(|e| e.naming(path))
    }

    /// True when the secret key file at `path` is encrypted with a password.
    pub fn is_encrypted(path: &Path) -> Result<bool, SignError> {
        let text = read_key_file(path)?;
        key_bytes(&text)
            .map(|b| b[KDF_ALG] != [0, 0])
            .map_err(|e| e.naming(path))
    }

    /// A secret key from a key file's text.
    pub fn parse(text: &str, password: Option<&str>) -> Result<SigningKey, SignError> {
        let bytes = key_bytes(text)?;
        let decrypted;
        let bytes = match (bytes[KDF_ALG] != [0, 0], password) {
            // Not encrypted: taken as it is. (`minisign -G -W` leaves the checksum of such a
            // key zero, which the `minisign` crate refuses; the check below stands in for it.)
            (false, _) => bytes,
            (true, None) => {
                return Err(SignError::NeedsPassword {
                    what: "the secret key".into(),
                })
            }
            (true, Some(p)) => {
                let sk_box = minisign::SecretKeyBox::from_string(text).map_err(not_a_key)?;
                // The crate decrypts, and a wrong password fails the key's checksum.
                decrypted = sk_box.into_secret_key(Some(p.to_owned())).map_err(|_| {
                    SignError::WrongPassword {
                        what: "the secret key".into(),
                    }
                })?;
                decrypted.to_bytes()
            }
        };
        let secret = ed25519_compact::SecretKey::from_slice(&bytes[SECRET])
            .map_err(|e| not_a_key(e.to_string()))?;
        // The public half a secret key carries must be its seed's: a damaged key is refused
        // here, not found out when its signatures fail.
        let seed = ed25519_compact::Seed::from_slice(&secret[..32])
            .map_err(|e| not_a_key(e.to_string()))?;
        if ed25519_compact::KeyPair::from_seed(seed).pk != secret.public_key() {
            return Err(not_a_key(
                "it is damaged (its two halves do not belong together)",
            ));
        }
        let mut keynum = [0u8; 8];
        keynum.copy_from_slice(&bytes[KEYNUM]);
        let public_bytes = [&b"Ed"[..], &keynum, secret.public_key().as_ref()].concat();
        let public = minisign::PublicKey::from_bytes(&public_bytes).map_err(not_a_key)?;
        Ok(SigningKey {
            secret,
            keynum,
            id: key_id(&keynum),
            public,
        })
    }

    /// Its key ID, as minisign prints it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The public key line (`RW…`).
    pub fn public_key(&self) -> String {
        self.public.to_base64()
    }

    /// A `.minisig` of `data` with `trusted_comment` (one line): the same text every time for
    /// the same data, comment and key.
    pub fn sign(&self, data: &[u8], trusted_comment: &str) -> Result<String, SignError> {
        let comment = trusted_comment.replace(['\r', '\n'], " ");
        let prehash = Blake2b512::digest(data);
        let signature = self.secret.sign(prehash, None);
        let mut signed = Vec::with_capacity(64 + 2 + 8);
        signed.extend_from_slice(b"ED");
        signed.extend_from_slice(&self.keynum);
        signed.extend_from_slice(signature.as_ref());
        let mut global = Vec::with_capacity(64 + comment.len());
        global.extend_from_slice(signature.as_ref());
        global.extend_from_slice(comment.as_bytes());
        let global = self.secret.sign(&global, None);
        let base64 =
            |b: &[u8]| Base64::encode_to_string(b).map_err(|e| SignError::SelfCheck(e.to_string()));
        let text = format!(
            "untrusted comment: signature from assetpack, key ID {}\n{}\ntrusted comment: {comment}\n{}\n",
            self.id,
            base64(&signed)?,
            base64(global.as_ref())?,
        );
        self.self_check(&text, data)?;
        Ok(text)
    }

    /// Checks a signature just made with the `minisign` crate.
    fn self_check(&self, text: &str, data: &[u8]) -> Result<(), SignError> {
        let check = |e: minisign::PError| SignError::SelfCheck(e.to_string());
        let sig_box = minisign::SignatureBox::from_string(text).map_err(check)?;
        minisign::verify(
            &self.public,
            &sig_box,
            Cursor::new(data),
            true,
            false,
            false,
        )
        .map_err(check)
    }
}

impl SignError {
    /// The error, naming the key file at `path`.
    fn naming(self, path: &Path) -> SignError {
        let what = path.display().to_string();
        match self {
            SignError::NotASecretKey { why, .. } => SignError::NotASecretKey { what, why },
            SignError::NeedsPassword { .. } => SignError::NeedsPassword { what },
            SignError::WrongPassword { .. } => SignError::WrongPassword { what },
            other => other,
        }
    }
}

fn not_a_key(e: impl std::fmt::Display) -> SignError {
    SignError::NotASecretKey {
        what: "the text".into(),
        why: format!(": {e}"),
    }
}

/// A secret key file's text (a few hundred bytes; a larger file is not one).
fn read_key_file(path: &Path) -> Result<String, SignError> {
    let io = |source| SignError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    if bytes.len() > crate::keys::MAX_SIGNATURE_BYTES {
        return Err(not_a_key("far too large").naming(path));
    }
    String::from_utf8(bytes).map_err(|_| not_a_key("not text").naming(path))
}

/// The decoded key line of a secret key file, checked for length.
fn key_bytes(text: &str) -> Result<Vec<u8>, SignError> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
        .ok_or_else(|| not_a_key("no key line"))?;
    let bytes =
        Base64::decode_to_vec(line, None).map_err(|_| not_a_key("the key line is not base64"))?;
    if bytes.len() < SECRET.end || &bytes[..2] != b"Ed" {
        return Err(not_a_key("not an Ed25519 secret key"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{PublicKey, Signature, SignatureProblem};

    #[test]
    fn an_encrypted_key_needs_its_password() {
        let pair = new_key_pair(Some("correct horse")).expect("pair");
        assert!(pair.secret.contains("encrypted"));
        let e = SigningKey::parse(&pair.secret, None).expect_err("no password");
        assert!(matches!(e, SignError::NeedsPassword { .. }), "{e}");
        let e = SigningKey::parse(&pair.secret, Some("wrong")).expect_err("wrong password");
        assert!(matches!(e, SignError::WrongPassword { .. }), "{e}");
        assert!(
            !e.to_string().contains("wrong"),
            "the password is never shown: {e}"
        );
        let key = SigningKey::parse(&pair.secret, Some("correct horse")).expect("opens");
        assert_eq!(key.id(), pair.id);
        assert!(!format!("{key:?}").contains(&pair.secret[40..60]));
    }

    #[test]
    fn signatures_check_against_their_own_key_only() {
        let (a, b) = (
            new_key_pair(None).expect("a"),
            new_key_pair(None).expect("b"),
        );
        let signer = SigningKey::parse(&a.secret, None).expect("a opens");
        let text = signer.sign(b"data", "line one\nline two").expect("sign");
        assert!(
            text.contains("trusted comment: line one line two\n"),
            "{text}"
        );
        let sig = Signature::parse(text.as_bytes()).expect("parses");
        assert_eq!(sig.key_id(), a.id);
        let other = PublicKey::parse(&b.public).expect("b");
        assert!(matches!(
            sig.check(&other, b"data"),
            Err(SignatureProblem::Foreign { .. })
        ));
        let own = PublicKey::parse(&a.public).expect("a");
        assert_eq!(sig.check(&own, b"data"), Ok(()));
        assert_eq!(sig.check(&own, b"date"), Err(SignatureProblem::Invalid));
        // The trusted comment is signed too.
        let forged = text.replace("line one", "line 1");
        let sig = Signature::parse(forged.as_bytes()).expect("parses");
        assert_eq!(sig.check(&own, b"data"), Err(SignatureProblem::Invalid));
    }

    /// `text` with its key line's bytes changed by `edit`.
    fn edited(text: &str, edit: impl Fn(&mut Vec<u8>)) -> String {
        let mut bytes = key_bytes(text).expect("a key");
        edit(&mut bytes);
        let line = Base64::encode_to_string(&bytes).expect("base64");
        format!("untrusted comment: edited\n{line}\n")
    }

    #[test]
    fn an_unencrypted_key_without_a_checksum_is_read_and_a_damaged_one_refused() {
        let pair = new_key_pair(None).expect("pair");
        // What `minisign -G -W` writes: the checksum left zero.
        let tool_made = edited(&pair.secret, |b| b[126..158].fill(0));
        let key = SigningKey::parse(&tool_made, None).expect("read");
        assert_eq!(key.id(), pair.id);
        let damaged = edited(&pair.secret, |b| b[70] ^= 1);
        let e = SigningKey::parse(&damaged, None).expect_err("damaged");
        assert!(e.to_string().contains("damaged"), "{e}");
    }

    #[test]
    fn an_empty_password_and_a_non_key_are_refused() {
        assert!(matches!(
            new_key_pair(Some("")),
            Err(SignError::EmptyPassword)
        ));
        for text in [
            "",
            "untrusted comment: x\nnot base64!\n",
            "untrusted comment: x\nRWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3\n",
        ] {
            let e = SigningKey::parse(text, None).expect_err(text);
            assert!(matches!(e, SignError::NotASecretKey { .. }), "{e}");
        }
    }
}
