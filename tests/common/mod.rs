//! Helpers shared by the end-to-end tests.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

pub mod azure;
pub mod craft;
mod judges;
pub mod made;
pub mod s3;
#[allow(unused_imports)]
pub use judges::{judge, Judge};

/// The shipped example bundle spec, relative to a copy of the repository's data.
pub const BUNDLE: &str = "packs/bundles/north-west-spring-2027.toml";

/// The arguments that build the shipped bundle quietly into `zip`, then `extra`.
pub fn build_args<'a>(zip: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "build",
        BUNDLE,
        "-o",
        zip.to_str().expect("utf-8"),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    args
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn bin() -> Command {
    Command::cargo_bin("assetpack").expect("the assetpack binary is built")
}

/// Runs the binary in `dir` with `args`.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().expect("runs")
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(o),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

/// The problems of a JSON report as (code, severity, asset) triples.
pub fn problems(v: &Value) -> Vec<(String, String, String)> {
    v["problems"]
        .as_array()
        .expect("problems is an array")
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap_or_default().to_owned(),
                p["severity"].as_str().unwrap_or_default().to_owned(),
                p["asset"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The codes of the errors only (the shipped example carries a deliberate warning).
pub fn error_codes(v: &Value) -> Vec<String> {
    problems(v)
        .into_iter()
        .filter(|(_, severity, _)| severity == "error")
        .map(|(code, ..)| code)
        .collect()
}

pub fn codes(v: &Value) -> Vec<String> {
    problems(v).into_iter().map(|(c, _, _)| c).collect()
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(from).expect("prefix");
        let target = to.join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).expect("mkdir");
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A copy of the shipped `packs/` and `assets/` to tamper with.
pub fn shipped_copy() -> TempDir {
    let dir = TempDir::new().expect("tempdir");
    copy_tree(&repo().join("packs"), &dir.path().join("packs"));
    copy_tree(&repo().join("assets"), &dir.path().join("assets"));
    dir
}

/// The tiny corpus of the workspace's generator (`assetpack-corpus`), made once per test run,
/// with its `damaged/` folder.
pub fn corpus() -> &'static Path {
    static CORPUS: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    CORPUS
        .get_or_init(|| {
            let dir = TempDir::new().expect("tempdir");
            let path = dir.path().join("c");
            let options = assetpack_corpus::Options {
                damaged: true,
                ..assetpack_corpus::Options::new(assetpack_corpus::Profile::Tiny)
            };
            assetpack_corpus::write(&path, &options).expect("the corpus is written");
            (dir, path)
        })
        .1
        .as_path()
}

/// Runs `assetpack scan FOLDER --provider ID -o MANIFEST --quiet` in `dir`; it must succeed.
pub fn scan_into(dir: &Path, folder: &Path, id: &str, manifest: &str) {
    let o = run(
        dir,
        &[
            "scan",
            folder.to_str().expect("utf-8"),
            "--provider",
            id,
            "-o",
            manifest,
            "--quiet",
        ],
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
}

/// A one-provider manifest in a fresh folder, with `files` written under `files/`.
pub struct Fixture {
    pub dir: TempDir,
}

impl Fixture {
    pub fn new(files: &[(&str, &[u8])]) -> Self {
        let dir = TempDir::new().expect("tempdir");
        fs::create_dir_all(dir.path().join("files")).expect("mkdir");
        for (rel, bytes) in files {
            let p = dir.path().join("files").join(rel);
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(p, bytes).expect("write");
        }
        Fixture { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn manifest(&self, assets: &str) -> PathBuf {
        let text = format!(
            "[provider]\nid = \"test\"\nname = \"Test provider\"\nbase = \"files\"\n\n{assets}"
        );
        let p = self.path().join("test.toml");
        fs::write(&p, text).expect("write manifest");
        p
    }

    pub fn check(&self, extra: &[&str]) -> (i32, Value) {
        let mut args = vec![
            "check",
            "test.toml",
            "--format",
            "json",
            "--today",
            "2026-11-25",
        ];
        args.extend_from_slice(extra);
        let o = run(self.path(), &args);
        (code(&o), json(&o))
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

pub fn file_asset(id: &str, file: &str, bytes: &[u8]) -> String {
    format!(
        "[[asset]]\nid = \"{id}\"\ntitle = \"{id}\"\nkind = \"other\"\nfile = \"{file}\"\nsha256 = \"{}\"\nbytes = {}\n\n",
        sha256_hex(bytes),
        bytes.len()
    )
}

/// A small real PDF (cross-reference table at the right offset).
pub fn real_pdf() -> Vec<u8> {
    fs::read(repo().join("assets/oup/posters/oup-a3-poster-oxford-handbooks.pdf")).expect("sample")
}

pub fn real_png() -> Vec<u8> {
    fs::read(repo().join("assets/oup/logos/oup-logo.png")).expect("sample")
}

/// Deterministic bytes that do not compress.
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A provider with files big enough for a pack of several 8 MiB parts, one file spanning
/// three of them (its header is finished after the parts that follow it have gone).
pub fn large_fixture() -> Fixture {
    let big = noise(19 << 20, 7);
    let mid = noise(3 << 20, 11);
    let files: [(&str, &[u8]); 3] = [
        ("film.bin", &big),
        ("stills.bin", &mid),
        ("notes.txt", b"Printed copies on request.\n"),
    ];
    let f = Fixture::new(&files);
    let assets: String = files
        .iter()
        .map(|(name, bytes)| file_asset(&name.replace('.', "-"), name, bytes))
        .collect();
    f.manifest(&assets);
    f
}

/// Points the manifest at `path` at `base` (its `base = ` line rewritten).
pub fn set_base(path: &Path, base: &str) {
    let text = fs::read_to_string(path).expect("manifest");
    let moved: String = text
        .lines()
        .map(|l| match l.starts_with("base = ") {
            true => format!("base = \"{base}\"\n"),
            false => format!("{l}\n"),
        })
        .collect();
    assert_ne!(moved, text, "{} has a base line", path.display());
    fs::write(path, moved).expect("write");
}
