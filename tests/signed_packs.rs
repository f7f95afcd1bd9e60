//! End-to-end tests of signed packs and manifests: `key new`, `build --sign`, `verify --key`,
//! `sign` and `check --key`, judged by the `minisign` tool where it is installed (it checks
//! what assetpack signs, and signs what assetpack then checks), by bagit-python for a signed
//! bag and by poppler's `pdftotext` for the index's cover.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;
use tempfile::TempDir;

const NAME: &str = "north-west-spring-2027";
const SUMS: &str = "north-west-spring-2027/SHA256SUMS";
const SIGNATURE: &str = "north-west-spring-2027/SHA256SUMS.minisig";
const PASSWORD_VAR: &str = "ASSETPACK_SIGN_PASSWORD";

/// Runs the binary in `dir` with `args`, `password` in ASSETPACK_SIGN_PASSWORD (or none set).
fn run_with(dir: &Path, args: &[&str], password: Option<&str>) -> Output {
    let mut cmd = bin();
    cmd.current_dir(dir).args(args).env_remove(PASSWORD_VAR);
    if let Some(p) = password {
        cmd.env(PASSWORD_VAR, p);
    }
    cmd.output().expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A new key pair `<name>.key`/`<name>.pub` in `dir`: its key ID and public key line.
struct Key {
    secret: PathBuf,
    public: PathBuf,
    id: String,
    line: String,
}

fn new_key(dir: &Path, name: &str, password: Option<&str>) -> Key {
    let secret = dir.join(format!("{name}.key"));
    let mut args = vec![
        "key",
        "new",
        secret.to_str().expect("utf-8"),
        "--format",
        "json",
    ];
    if password.is_none() {
        args.push("--unencrypted");
    }
    let o = run_with(dir, &args, password);
    assert_eq!(code(&o), 0, "key new: {}", stderr(&o));
    let v = json(&o);
    let id = v["key_id"].as_str().expect("key_id").to_owned();
    let line = v["public_key"].as_str().expect("public_key").to_owned();
    assert!(
        (1..=16).contains(&id.len()) && !id.starts_with('0'),
        "a key ID as minisign writes it: {v}"
    );
    Key {
        public: dir.join(format!("{name}.pub")),
        secret,
        id,
        line,
    }
}

/// Builds the shipped bundle in `data` into `zip` with `extra` arguments.
fn build(data: &Path, zip: &Path, extra: &[&str], password: Option<&str>) -> Output {
    run_with(data, &build_args(zip, extra), password)
}

fn build_signed(data: &Path, zip: &Path, key: &Key) -> PathBuf {
    let o = build(
        data,
        zip,
        &["--sign", key.secret.to_str().expect("utf-8")],
        None,
    );
    assert_eq!(code(&o), 0, "build --sign: {}", stderr(&o));
    zip.to_owned()
}

/// `verify --format json` of `zip` with `extra` arguments: exit code and document.
fn verify(dir: &Path, zip: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["verify", zip.to_str().expect("utf-8"), "--format", "json"];
    args.extend_from_slice(extra);
    let o = run_with(dir, &args, None);
    (code(&o), json(&o))
}

/// Every entry of a ZIP: name and bytes, in order.
fn entries(zip: &Path) -> Vec<(String, Vec<u8>)> {
    let mut ar = zip::ZipArchive::new(fs::File::open(zip).expect("open")).expect("a zip");
    (0..ar.len())
        .map(|i| {
            let mut f = ar.by_index(i).expect("entry");
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).expect("read");
            (f.name().expect("a UTF-8 name").into_owned(), bytes)
        })
        .collect()
}

fn entry(zip: &Path, name: &str) -> Vec<u8> {
    entries(zip)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} is in the pack"))
        .1
}

/// Writes `entries` as a new ZIP at `zip` with the zip crate (what someone who edits a pack
/// with an ordinary tool makes).
fn rezip(zip: &Path, entries: &[(String, Vec<u8>)]) {
    let mut w = zip::ZipWriter::new(fs::File::create(zip).expect("create"));
    let options = zip::write::SimpleFileOptions::default();
    for (name, bytes) in entries {
        if name.ends_with('/') {
            w.add_directory(name.as_str(), options).expect("dir");
        } else {
            w.start_file(name.as_str(), options).expect("file");
            w.write_all(bytes).expect("write");
        }
    }
    w.finish().expect("finish");
}

/// `entries` with `name`'s bytes replaced (or added).
fn replaced(
    mut entries: Vec<(String, Vec<u8>)>,
    name: &str,
    bytes: Vec<u8>,
) -> Vec<(String, Vec<u8>)> {
    match entries.iter_mut().find(|(n, _)| n == name) {
        Some(e) => e.1 = bytes,
        None => entries.push((name.to_owned(), bytes)),
    }
    entries
}

fn signature(v: &Value) -> &Value {
    &v["summary"]["signature"]
}

#[test]
fn a_signed_pack_verifies_with_its_key_and_is_the_same_bytes_every_build() {
    let data = shipped_copy();
    let keys = TempDir::new().expect("tempdir");
    let key = new_key(keys.path(), "north", None);
    let out = TempDir::new().expect("tempdir");
    let a = build_signed(data.path(), &out.path().join("a.zip"), &key);
    let b = build_signed(data.path(), &out.path().join("b.zip"), &key);
    assert_eq!(
        fs::read(&a).expect("a"),
        fs::read(&b).expect("b"),
        "same inputs and key, same bytes"
    );

    let sig = String::from_utf8(entry(&a, SIGNATURE)).expect("text");
    assert!(sig.starts_with("untrusted comment: "), "{sig}");
    assert!(
        sig.contains(&format!(
            "trusted comment: assetpack pack {NAME}, edition 2027-03-01, manifest.toml sha256 "
        )),
        "{sig}"
    );
    let sums = String::from_utf8(entry(&a, SUMS)).expect("text");
    assert!(
        !sums.contains("minisig"),
        "the signature is not among the sums it signs"
    );

    for given in [key.public.to_str().expect("utf-8"), key.line.as_str()] {
        let (c, v) = verify(out.path(), &a, &["--key", given]);
        assert_eq!(c, 0, "{v:#}");
        assert_eq!(signature(&v)["key_id"], key.id.as_str());
        assert_eq!(signature(&v)["checked"], true);
    }
    // Without a key the signature is named, not checked.
    let o = run_with(out.path(), &["verify", a.to_str().expect("utf-8")], None);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains(&format!("signed by key ID {}, not checked", key.id)),
        "{}",
        stdout(&o)
    );
    // An unsigned pack is no worse than before without a key, and refused with one.
    let plain = out.path().join("plain.zip");
    assert_eq!(code(&build(data.path(), &plain, &[], None)), 0);
    let (c, v) = verify(out.path(), &plain, &[]);
    assert_eq!((c, signature(&v)), (0, &Value::Null), "{v:#}");
    let (c, v) = verify(out.path(), &plain, &["--key", &key.line]);
    assert_eq!(
        (c, codes(&v)),
        (1, vec!["signature-missing".to_owned()]),
        "{v:#}"
    );

    // The secret key is nowhere in the pack, and no output showed it.
    let secret_line = fs::read_to_string(&key.secret)
        .expect("secret")
        .lines()
        .nth(1)
        .expect("key line")
        .to_owned();
    let pack = fs::read(&a).expect("pack");
    assert!(!pack
        .windows(secret_line.len())
        .any(|w| w == secret_line.as_bytes()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&key.secret)
            .expect("secret")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the secret key is readable by its owner only: {mode:o}"
        );
    }
}

#[test]
fn checksums_rewritten_after_signing_are_refused_with_the_key() {
    let data = shipped_copy();
    let key = new_key(data.path(), "north", None);
    let zip = build_signed(data.path(), &data.path().join("signed.zip"), &key);
    // A file changed and SHA256SUMS rewritten to match it: every checksum holds, the old
    // signature stays. Only the signature can tell.
    let readme = format!("{NAME}/README.txt");
    let forged = b"Trust me.\n".to_vec();
    let sums = String::from_utf8(entry(&zip, SUMS)).expect("text").replace(
        &format!("{}  README.txt", sha256_hex(&entry(&zip, &readme))),
        &format!("{}  README.txt", sha256_hex(&forged)),
    );
    let tampered = data.path().join("tampered.zip");
    rezip(
        &tampered,
        &replaced(
            replaced(entries(&zip), &readme, forged),
            SUMS,
            sums.into_bytes(),
        ),
    );
    let (c, v) = verify(data.path(), &tampered, &[]);
    assert_eq!(c, 0, "without a key, the checksums are all it has: {v:#}");
    assert_eq!(signature(&v)["checked"], false);
    let (c, v) = verify(
        data.path(),
        &tampered,
        &["--key", key.public.to_str().expect("utf-8")],
    );
    assert_eq!(
        (c, codes(&v)),
        (1, vec!["signature-invalid".to_owned()]),
        "{v:#}"
    );
    assert!(v["problems"][0]["message"]
        .as_str()
        .expect("message")
        .contains("changed after signing"));

    // The payload changed without the checksums: the signature holds, the file does not.
    let altered = data.path().join("altered.zip");
    rezip(
        &altered,
        &replaced(entries(&zip), &readme, b"Trust me.\n".to_vec()),
    );
    let (c, v) = verify(data.path(), &altered, &["--key", &key.line]);
    assert_eq!(
        (c, codes(&v)),
        (1, vec!["altered-entry".to_owned()]),
        "{v:#}"
    );
    assert_eq!(signature(&v)["checked"], true);
}

#[test]
fn a_signature_by_another_key_or_none_at_all_is_its_own_problem() {
    let data = shipped_copy();
    let ours = new_key(data.path(), "ours", None);
    let theirs = new_key(data.path(), "theirs", None);
    let zip = build_signed(data.path(), &data.path().join("signed.zip"), &ours);
    let (c, v) = verify(
        data.path(),
        &zip,
        &["--key", theirs.public.to_str().expect("utf-8")],
    );
    assert_eq!(
        (c, codes(&v)),
        (1, vec!["signature-foreign".to_owned()]),
        "{v:#}"
    );
    let message = v["problems"][0]["message"].as_str().expect("message");
    assert!(
        message.contains(&ours.id) && message.contains(&theirs.id),
        "{message}"
    );

    // Re-signed by someone else over the very same checksums.
    let resigned = data.path().join("resigned.zip");
    let other = build_signed(data.path(), &data.path().join("other.zip"), &theirs);
    rezip(
        &resigned,
        &replaced(entries(&zip), SIGNATURE, entry(&other, SIGNATURE)),
    );
    let (c, v) = verify(data.path(), &resigned, &["--key", &ours.line]);
    assert_eq!(
        (c, codes(&v)),
        (1, vec!["signature-foreign".to_owned()]),
        "{v:#}"
    );

    // Damaged, or removed.
    for (bytes, want) in [
        (
            b"untrusted comment: x\nnot a signature\n".to_vec(),
            "signature-malformed",
        ),
        (vec![0xff; 100_000], "signature-malformed"),
    ] {
        let broken = data.path().join("broken.zip");
        rezip(&broken, &replaced(entries(&zip), SIGNATURE, bytes));
        for key in [vec!["--key", ours.line.as_str()], vec![]] {
            let (c, v) = verify(data.path(), &broken, &key);
            assert_eq!((c, codes(&v)), (1, vec![want.to_owned()]), "{key:?} {v:#}");
        }
    }
    let stripped = data.path().join("stripped.zip");
    let without: Vec<_> = entries(&zip)
        .into_iter()
        .filter(|(n, _)| n != SIGNATURE)
        .collect();
    rezip(&stripped, &without);
    let (c, v) = verify(data.path(), &stripped, &["--key", &ours.line]);
    assert_eq!(
        (c, codes(&v)),
        (1, vec!["signature-missing".to_owned()]),
        "{v:#}"
    );
    // A key that is not one is a usage error.
    let o = run_with(
        data.path(),
        &[
            "verify",
            zip.to_str().expect("utf-8"),
            "--key",
            "RWQnot-a-key",
        ],
        None,
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("not a minisign public key"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_encrypted_key_signs_only_with_its_password_and_a_wrong_one_writes_nothing() {
    let data = shipped_copy();
    let key = new_key(data.path(), "north", Some("correct horse battery"));
    assert!(fs::read_to_string(&key.secret)
        .expect("secret")
        .contains("encrypted"));
    let zip = data.path().join("pack.zip");
    let sign = ["--sign", key.secret.to_str().expect("utf-8")];
    // An older pack, which a failed build must leave as it was.
    assert_eq!(code(&build(data.path(), &zip, &[], None)), 0);
    let before = fs::read(&zip).expect("old pack");
    for password in [None, Some("wrong horse")] {
        let o = build(data.path(), &zip, &sign, password);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{err}");
        match password {
            None => assert!(err.contains(PASSWORD_VAR), "{err}"),
            Some(p) => {
                assert!(err.contains("password does not open"), "{err}");
                assert!(!err.contains(p), "the password is never shown: {err}");
            }
        }
        assert_eq!(fs::read(&zip).expect("pack"), before, "nothing written");
    }
    let o = build(data.path(), &zip, &sign, Some("correct horse battery"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let (c, v) = verify(data.path(), &zip, &["--key", &key.line]);
    assert_eq!(c, 0, "{v:#}");
    assert_eq!(signature(&v)["key_id"], key.id.as_str());
    let o = build(
        data.path(),
        &zip,
        &[&sign[..], &["--format", "json"]].concat(),
        Some("correct horse battery"),
    );
    assert_eq!(json(&o)["signed_by"], key.id.as_str());

    // key new will not replace a key, and asks for a password it cannot get.
    let o = run_with(
        data.path(),
        &["key", "new", "north.key", "--unencrypted"],
        None,
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("exists already") && stderr(&o).contains("--force"),
        "{}",
        stderr(&o)
    );
    let o = run_with(data.path(), &["key", "new", "fresh.key"], None);
    assert_eq!(code(&o), 2);
    assert!(!data.path().join("fresh.key").exists() && !data.path().join("fresh.pub").exists());
}

#[test]
fn the_minisign_tool_checks_what_assetpack_signs_and_signs_what_it_checks() {
    let Some(minisign) = judge(Judge::Minisign) else {
        return;
    };
    let data = shipped_copy();
    let key = new_key(data.path(), "north", None);
    let zip = build_signed(data.path(), &data.path().join("signed.zip"), &key);
    let x = TempDir::new().expect("tempdir");
    fs::write(x.path().join("SHA256SUMS"), entry(&zip, SUMS)).expect("write");
    fs::write(x.path().join("SHA256SUMS.minisig"), entry(&zip, SIGNATURE)).expect("write");
    let o = minisign
        .cmd()
        .args(["-Vm", "SHA256SUMS", "-P", &key.line])
        .current_dir(x.path())
        .output()
        .expect("minisign runs");
    assert!(
        o.status.success(),
        "minisign -V: {}{}",
        stdout(&o),
        stderr(&o)
    );
    assert!(
        stdout(&o).contains(&format!("Trusted comment: assetpack pack {NAME}")),
        "{}",
        stdout(&o)
    );

    // The same key in the minisign tool's hands: its signature is accepted.
    fs::remove_file(x.path().join("SHA256SUMS.minisig")).expect("rm");
    let o = minisign
        .cmd()
        .args(["-S", "-s"])
        .arg(&key.secret)
        .args(["-m", "SHA256SUMS"])
        .current_dir(x.path())
        .output()
        .expect("minisign runs");
    assert!(o.status.success(), "minisign -S: {}", stderr(&o));
    let tool_signed = data.path().join("tool-signed.zip");
    let signature_bytes = fs::read(x.path().join("SHA256SUMS.minisig")).expect("signature");
    assert_ne!(
        signature_bytes,
        entry(&zip, SIGNATURE),
        "the tool's own signature"
    );
    rezip(
        &tool_signed,
        &replaced(entries(&zip), SIGNATURE, signature_bytes),
    );
    let (c, v) = verify(
        data.path(),
        &tool_signed,
        &["--key", key.public.to_str().expect("utf-8")],
    );
    assert_eq!(c, 0, "{v:#}");
    assert!(signature(&v)["trusted_comment"]
        .as_str()
        .expect("comment")
        .contains("timestamp:"));

    // A key the tool made signs packs and manifests that it and assetpack both check.
    let o = minisign
        .cmd()
        .args(["-G", "-W", "-p", "tool.pub", "-s", "tool.key"])
        .current_dir(data.path())
        .output()
        .expect("minisign runs");
    assert!(o.status.success(), "minisign -G: {}", stderr(&o));
    let tool_key = Key {
        secret: data.path().join("tool.key"),
        public: data.path().join("tool.pub"),
        id: String::new(),
        line: String::new(),
    };
    let zip = build_signed(data.path(), &data.path().join("tool-key.zip"), &tool_key);
    let (c, v) = verify(data.path(), &zip, &["--key", "tool.pub"]);
    assert_eq!(c, 0, "{v:#}");
    let tool_pub = fs::read_to_string(data.path().join("tool.pub")).expect("pub");
    let id = signature(&v)["key_id"].as_str().expect("key id");
    assert!(
        tool_pub.contains(&format!("minisign public key {id}")),
        "the tool names the same key ID: {tool_pub}"
    );
    let manifest = "packs/providers/oup.toml";
    assert_eq!(
        code(&run_with(
            data.path(),
            &["sign", manifest, "--key", "tool.key"],
            None
        )),
        0
    );
    let o = minisign
        .cmd()
        .args(["-Vm", manifest, "-p", "tool.pub"])
        .current_dir(data.path())
        .output()
        .expect("runs");
    assert!(
        o.status.success(),
        "minisign -V of a signed manifest: {}",
        stderr(&o)
    );

    // An encrypted key of ours opens in the tool with its password.
    let locked = new_key(data.path(), "locked", Some("pass phrase"));
    let mut child = minisign
        .cmd()
        .args(["-S", "-s"])
        .arg(&locked.secret)
        .args(["-m", "SHA256SUMS", "-x", "locked.minisig"])
        .current_dir(x.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("minisign runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"pass phrase\n")
        .expect("password");
    let o = child.wait_with_output().expect("minisign ends");
    assert!(
        o.status.success(),
        "minisign -S with our encrypted key: {}",
        stderr(&o)
    );
}

#[test]
fn a_signed_bag_signs_its_tag_manifest_and_still_satisfies_bagit_python() {
    let data = shipped_copy();
    let key = new_key(data.path(), "north", None);
    let zip = data.path().join("bag.zip");
    let o = build(
        data.path(),
        &zip,
        &[
            "--layout",
            "bagit",
            "--sign",
            key.secret.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let (c, v) = verify(data.path(), &zip, &["--key", &key.line]);
    assert_eq!(
        (c, signature(&v)["checked"].clone()),
        (0, Value::Bool(true)),
        "{v:#}"
    );
    let x = TempDir::new().expect("tempdir");
    zip::ZipArchive::new(fs::File::open(&zip).expect("open"))
        .expect("zip")
        .extract(x.path())
        .expect("extract");
    let bag = x.path().join(NAME);
    assert!(bag.join("tagmanifest-sha256.txt.minisig").is_file());
    if let Some(bagit) = judge(Judge::Bagit) {
        let o = bagit
            .cmd()
            .arg("--validate")
            .arg(&bag)
            .output()
            .expect("bagit.py runs");
        assert!(o.status.success(), "bagit.py --validate: {}", stderr(&o));
    }
    if let Some(minisign) = judge(Judge::Minisign) {
        let o = minisign
            .cmd()
            .args(["-Vm", "tagmanifest-sha256.txt", "-P", &key.line])
            .current_dir(&bag)
            .output()
            .expect("runs");
        assert!(o.status.success(), "minisign -V: {}", stderr(&o));
    }
    // A payload file changed (same size, so Payload-Oxum holds), its line in the bag's
    // manifest and that manifest's line in the tag manifest rewritten: only the signature tells.
    let readme = format!("{NAME}/data/README.txt");
    let manifest = format!("{NAME}/manifest-sha256.txt");
    let tags = format!("{NAME}/tagmanifest-sha256.txt");
    let old = entry(&zip, &readme);
    let new = old.to_ascii_uppercase();
    assert_ne!(old, new);
    let swap = |text: Vec<u8>, from: &[u8], to: &[u8]| {
        String::from_utf8(text)
            .expect("text")
            .replace(&sha256_hex(from), &sha256_hex(to))
            .into_bytes()
    };
    let old_manifest = entry(&zip, &manifest);
    let new_manifest = swap(old_manifest.clone(), &old, &new);
    let new_tags = swap(entry(&zip, &tags), &old_manifest, &new_manifest);
    let forged = data.path().join("forged.zip");
    let all = replaced(
        replaced(
            replaced(entries(&zip), &readme, new),
            &manifest,
            new_manifest,
        ),
        &tags,
        new_tags,
    );
    rezip(&forged, &all);
    let (c, v) = verify(data.path(), &forged, &[]);
    assert_eq!(c, 0, "every checksum holds: {v:#}");
    let (c, v) = verify(data.path(), &forged, &["--key", &key.line]);
    assert_eq!(
        (c, codes(&v)),
        (1, vec!["signature-invalid".to_owned()]),
        "{v:#}"
    );
}

#[test]
fn signed_manifests_are_required_and_checked_by_check_key() {
    let data = shipped_copy();
    let key = new_key(data.path(), "oup", None);
    let other = new_key(data.path(), "other", None);
    let manifest = "packs/providers/oup.toml";
    let check = |key: &str| {
        let o = run_with(
            data.path(),
            &[
                "check",
                manifest,
                "--key",
                key,
                "--today",
                "2027-01-01",
                "--format",
                "json",
            ],
            None,
        );
        (code(&o), codes(&json(&o)))
    };
    let (c, found) = check(&key.line);
    assert_eq!((c, found), (1, vec!["signature-missing".to_owned()]));
    let o = run_with(data.path(), &["sign", manifest, "--key", "oup.key"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(data
        .path()
        .join("packs/providers/oup.toml.minisig")
        .is_file());
    assert_eq!(check(&key.line), (0, vec![]));
    assert_eq!(
        check("other.pub"),
        (1, vec!["signature-foreign".to_owned()])
    );
    let _ = other;
    // Changed after signing, by one character.
    let path = data.path().join(manifest);
    let text = fs::read_to_string(&path).expect("manifest");
    fs::write(&path, text.replacen("Oxford", "0xford", 1)).expect("edit");
    assert_eq!(check("oup.pub"), (1, vec!["signature-invalid".to_owned()]));
    fs::write(&path, &text).expect("restore");
    assert_eq!(check("oup.pub"), (0, vec![]));
    // Only provider manifests are signed.
    let o = run_with(data.path(), &["sign", BUNDLE, "--key", "oup.key"], None);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("not a readable provider manifest"),
        "{}",
        stderr(&o)
    );
    assert!(!data.path().join(format!("{BUNDLE}.minisig")).exists());
}

#[test]
fn the_index_cover_names_the_signing_key() {
    let Some(pdftotext) = judge(Judge::Pdftotext) else {
        return;
    };
    let data = shipped_copy();
    let key = new_key(data.path(), "north", None);
    let zip = build_signed(data.path(), &data.path().join("signed.zip"), &key);
    let pdf = data.path().join("index.pdf");
    fs::write(&pdf, entry(&zip, &format!("{NAME}/index.pdf"))).expect("write");
    let o = pdftotext.cmd().arg(&pdf).arg("-").output().expect("runs");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&key.id),
        "the cover names key ID {}:\n{text}",
        key.id
    );
}

#[test]
fn a_signature_beside_a_manifest_in_its_own_folder_is_not_a_providers_file() {
    let f = Fixture::new(&[]);
    let poster = real_pdf();
    fs::write(f.path().join("poster.pdf"), &poster).expect("write");
    let text = format!(
        "[provider]\nid = \"test\"\nname = \"Test provider\"\nbase = \".\"\n\n{}",
        file_asset("poster", "poster.pdf", &poster)
    );
    fs::write(f.path().join("test.toml"), text).expect("write");
    fs::remove_dir(f.path().join("files")).expect("rmdir");
    let key = new_key(
        &f.path().join(".."),
        &format!("k{}", std::process::id()),
        None,
    );
    let o = run_with(
        f.path(),
        &[
            "sign",
            "test.toml",
            "--key",
            key.secret.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let (c, v) = f.check(&["--key", &key.line]);
    assert_eq!((c, codes(&v)), (0, Vec::<String>::new()), "{v:#}");
    // A scan that updates the manifest does not list its signature as an asset.
    let o = run_with(f.path(), &["scan", ".", "-o", "test.toml", "--quiet"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let manifest = fs::read_to_string(f.path().join("test.toml")).expect("manifest");
    assert!(!manifest.contains("minisig"), "{manifest}");
}
