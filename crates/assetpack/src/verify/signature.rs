//! The pack's signature, when it has one: `<checksum file>.minisig`, read with
//! [`crate::keys`] and checked against the key given. Only the checksum file is signed; the
//! checksums cover everything else, and are compared with every entry on the way.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use zip::ZipArchive;

use super::checksums::Expected;
use super::{entry_problem, SharedFile};
use crate::catalog::Layout;
use crate::keys::{PublicKey, Signature, SignatureProblem, MAX_SIGNATURE_BYTES};
use crate::problem::{Code, Problem};
use crate::sums;

/// A pack's signature, as [`super::verify`] found it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SignatureFound {
    /// The ID of the key the signature names.
    pub key_id: String,
    /// True when it was checked against the key given, and matched.
    pub checked: bool,
    /// Its trusted comment (assetpack writes the pack's name, edition and the SHA-256 of its
    /// `manifest.toml`); signed, so trustworthy only when `checked`.
    pub trusted_comment: String,
}

/// The signature entry's bytes; `None` when there is none.
fn read_entry(archive: &ZipArchive<SharedFile>, entry: &str) -> Option<Result<Vec<u8>, String>> {
    let mut ar = archive.clone();
    let mut f = ar.by_name(entry).ok()?;
    let mut bytes = Vec::new();
    let read = f
        .by_ref()
        .take(MAX_SIGNATURE_BYTES as u64 + 1)
        .read_to_end(&mut bytes);
    Some(read.map(|_| bytes).map_err(|e| e.to_string()))
}

/// Reads the signature of the checksum file `expected` read, if the pack has one (it is then
/// no extra entry), and checks it with `key` when one is given. A key and no signature, a
/// signature that cannot be read, one by another key and one that does not match are each a
/// problem.
pub(super) fn judge(
    archive: &ZipArchive<SharedFile>,
    pack: &Path,
    name: &str,
    expected: &mut Expected,
    key: Option<&PublicKey>,
    problems: &mut Vec<Problem>,
) -> Option<SignatureFound> {
    let layout = match expected.layout? {
        "bagit" => Layout::Bagit,
        _ => Layout::Plain,
    };
    let signed_name = format!("{name}/{}", sums::signed_file(layout));
    let entry = sums::signature_of(&signed_name);
    let Some(bytes) = read_entry(archive, &entry) else {
        if let Some(key) = key {
            problems.push(entry_problem(
                pack,
                Code::SignatureMissing,
                &entry,
                format!("the pack is not signed (no `{entry}`), and key ID {} was given", key.id()),
                "ask the sender for a signed pack, or verify without `--key` to check only the checksums",
            ));
        }
        return None;
    };
    expected.unchecked.push(entry.clone());
    let read = bytes
        .map_err(SignatureProblem::Malformed)
        .and_then(|b| Signature::parse(&b));
    let signature = match read {
        Ok(s) => s,
        Err(why) => {
            problems.push(signature_problem(pack, &entry, &why));
            return None;
        }
    };
    let mut found = SignatureFound {
        key_id: signature.key_id().to_owned(),
        checked: false,
        trusted_comment: signature.trusted_comment().to_owned(),
    };
    let Some(key) = key else {
        return Some(found);
    };
    // The checksum file could not be read: that is reported already, and nothing can match.
    let signed = expected
        .signed
        .as_ref()
        .map_or("", |(_, text)| text.as_str());
    match signature.check(key, signed.as_bytes()) {
        Ok(()) => found.checked = true,
        Err(why) => problems.push(signature_problem(pack, &entry, &why)),
    }
    Some(found)
}

fn signature_problem(pack: &Path, entry: &str, why: &SignatureProblem) -> Problem {
    let (code, fix) = match why {
        SignatureProblem::Malformed(_) => (
            Code::SignatureMalformed,
            "the signature is damaged: do not trust the pack; ask the sender for a new one",
        ),
        SignatureProblem::Foreign { .. } => (
            Code::SignatureForeign,
            "the pack was not signed by the key you trust: do not use it, or check that you were given the right key",
        ),
        SignatureProblem::Invalid => (
            Code::SignatureInvalid,
            "the checksums were changed after signing: do not use this pack; ask the sender for a new one",
        ),
    };
    entry_problem(pack, code, entry, format!("`{entry}`: {why}"), fix)
}
