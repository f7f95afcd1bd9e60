//! Ctrl-C or SIGTERM in the middle of a long `build` or `verify --extract`: exit 130, no partial pack, an
//! older pack byte-identical to before, nothing left in the extraction target.

#![cfg(unix)]

mod common;

use std::fs;
use std::path::Path;
use std::process::{Child, Command as Std, Stdio};
use std::time::{Duration, Instant};

use common::*;
use tempfile::TempDir;

/// A provider whose one asset is a sparse file of `gib` GiB (no checksum recorded: the plan
/// hashes it), so packing it takes a few seconds.
fn big_provider(dir: &Path, gib: u64) {
    fs::create_dir_all(dir.join("files")).expect("mkdir");
    let f = fs::File::create(dir.join("files/film.bin")).expect("create");
    f.set_len(gib << 30).expect("sparse file");
    fs::write(
        dir.join("big.toml"),
        "[provider]\nid = \"big\"\nname = \"Big\"\nbase = \"files\"\n\n\
         [[asset]]\nid = \"film\"\ntitle = \"Film\"\nkind = \"other\"\nfile = \"film.bin\"\n",
    )
    .expect("manifest");
}

fn spawn(dir: &Path, args: &[&str]) -> Child {
    Std::new(env!("CARGO_BIN_EXE_assetpack"))
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("assetpack starts")
}

/// Waits (at most a minute) until `ready` holds, then sends `signal` (INT, TERM...) to
/// `child`; its exit code and standard error. `None` when the run ended before it could be
/// interrupted.
fn signal_when(child: Child, signal: &str, ready: impl Fn() -> bool) -> Option<(i32, String)> {
    let start = Instant::now();
    let mut child = child;
    while !ready() {
        if child.try_wait().expect("wait").is_some() || start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = child.id().to_string();
    let sent = Std::new("sh")
        .args(["-c", &format!("kill -{signal} {pid}")])
        .status();
    assert!(sent.is_ok_and(|s| s.success()), "kill -{signal}");
    let o = child.wait_with_output().expect("exits");
    Some((
        o.status.code().expect("exited, not killed"),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    ))
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn an_interrupted_or_terminated_build_exits_130_and_keeps_the_older_pack() {
    let dir = TempDir::new().expect("tempdir");
    big_provider(dir.path(), 2);
    let out = dir.path().join("out");
    fs::create_dir(&out).expect("mkdir");
    // An older pack of the same name, from the shipped example.
    let data = shipped_copy();
    let old = out.join("big.zip");
    let o = run(
        data.path(),
        &[
            "build",
            "packs/providers/oup.toml",
            "-o",
            old.to_str().expect("utf-8"),
            "--quiet",
        ],
    );
    assert_eq!(code(&o), 0);
    let before = fs::read(&old).expect("read");
    let partial = || names_in(&out).iter().any(|n| n.ends_with(".partial"));
    for signal in ["INT", "TERM"] {
        let args = ["build", "big.toml", "-o", "out/big.zip", "--no-index"];
        let Some((code, err)) = signal_when(spawn(dir.path(), &args), signal, partial) else {
            panic!("the build ended before it could be interrupted");
        };
        assert_eq!(code, 130, "SIG{signal}: {err}");
        assert!(err.contains("interrupted"), "{err}");
        assert_eq!(
            names_in(&out),
            ["big.zip"],
            "SIG{signal}: no partial pack is left"
        );
        assert!(
            fs::read(&old).expect("read") == before,
            "the older pack is untouched"
        );
    }
}

#[test]
fn a_terminated_extraction_exits_130_and_leaves_nothing() {
    let dir = TempDir::new().expect("tempdir");
    big_provider(dir.path(), 2);
    let o = run(
        dir.path(),
        &[
            "build",
            "big.toml",
            "-o",
            "big.zip",
            "--no-index",
            "--compression",
            "store",
            "--quiet",
        ],
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let target = dir.path().join("unpacked");
    let child = spawn(dir.path(), &["verify", "big.zip", "--extract", "unpacked"]);
    let started = || target.is_dir() && !names_in(&target).is_empty();
    let Some((code, err)) = signal_when(child, "TERM", started) else {
        panic!("the extraction ended before it could be interrupted");
    };
    assert_eq!(code, 130, "{err}");
    assert!(
        !target.exists(),
        "the target it made is gone again: {:?}",
        names_in(dir.path())
    );
}
