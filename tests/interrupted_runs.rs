//! A long `build` or `verify --extract` disturbed: Ctrl-C or SIGTERM in the middle (exit 130), a
//! file that grows, shrinks or changes while it is packed, an output folder it cannot write
//! (exit 2). In every case no partial pack, an older pack byte-identical to before, nothing left
//! in the extraction target, and a message that says what happened.

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

/// A folder holding `big_provider(gib)` and its pack `big.zip`, stored (so extracting it
/// takes a while).
fn big_pack(gib: u64) -> TempDir {
    let dir = TempDir::new().expect("tempdir");
    big_provider(dir.path(), gib);
    let args = [
        "build",
        "big.toml",
        "-o",
        "big.zip",
        "--no-index",
        "--compression",
        "store",
        "--quiet",
    ];
    let o = run(dir.path(), &args);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    dir
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
    let pid = child.id().to_string();
    when(child, ready, || {
        let sent = Std::new("sh")
            .args(["-c", &format!("kill -{signal} {pid}")])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -{signal}");
    })
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
    let before = older_pack(dir.path());
    let out = dir.path().join("out");
    let old = out.join("big.zip");
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
    let dir = big_pack(2);
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

/// An older pack at `out/big.zip` (from the shipped example); its bytes.
fn older_pack(dir: &Path) -> Vec<u8> {
    let out = dir.join("out");
    fs::create_dir_all(&out).expect("mkdir");
    let data = shipped_copy();
    let old = out.join("big.zip");
    let args = ["build", "packs/providers/oup.toml", "-o"];
    let o = run(
        data.path(),
        &[&args[..], &[old.to_str().expect("utf-8"), "--quiet"]].concat(),
    );
    assert_eq!(code(&o), 0);
    fs::read(&old).expect("read")
}

#[test]
fn a_file_that_changes_while_it_is_packed_stops_the_build_and_keeps_the_older_pack() {
    let dir = TempDir::new().expect("tempdir");
    big_provider(dir.path(), 2);
    let before = older_pack(dir.path());
    let out = dir.path().join("out");
    let film = dir.path().join("files/film.bin");
    let size = fs::metadata(&film).expect("stat").len();
    type Change = fn(&Path, u64);
    let changes: [(&str, Change, &str); 3] = [
        ("grows", |f, _| append(f, b"more"), "larger than the"),
        (
            "shrinks",
            |f, n| resize(f, n - (64 << 20)),
            "2080374784 bytes",
        ),
        ("changes", |f, n| write_at(f, n - 100, b"X"), "SHA-256"),
    ];
    for (what, change, says) in changes {
        resize(&film, size);
        let args = ["build", "big.toml", "-o", "out/big.zip", "--no-index"];
        let child = spawn(dir.path(), &args);
        let partial = || names_in(&out).iter().any(|n| n.ends_with(".partial"));
        let Some(o) = when(child, partial, || change(&film, size)) else {
            panic!("the build ended before the file {what}");
        };
        assert_eq!(o.0, 2, "a file that {what}: {}", o.1);
        assert!(
            o.1.contains("changed while the build read it"),
            "{what}: {}",
            o.1
        );
        assert!(o.1.contains(says), "{what}: {}", o.1);
        assert!(o.1.contains("film.bin"), "{what}: {}", o.1);
        assert_eq!(
            names_in(&out),
            ["big.zip"],
            "{what}: no partial pack is left"
        );
        assert!(
            fs::read(out.join("big.zip")).expect("read") == before,
            "{what}: older pack kept"
        );
    }
}

#[test]
fn an_output_folder_that_cannot_be_written_is_an_error_that_writes_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let data = shipped_copy();
    let out = data.path().join("locked");
    fs::create_dir(&out).expect("mkdir");
    fs::set_permissions(&out, fs::Permissions::from_mode(0o555)).expect("chmod");
    // Root writes anywhere a mode allows nothing: a path below a file stands in for it there.
    let root = fs::write(out.join("probe"), b"").is_ok();
    let target = if root {
        let _ = fs::remove_file(out.join("probe"));
        fs::write(data.path().join("a-file"), b"").expect("write");
        data.path().join("a-file/oup.zip")
    } else {
        out.join("oup.zip")
    };
    let o = run(
        data.path(),
        &[
            "build",
            "packs/providers/oup.toml",
            "-o",
            target.to_str().expect("utf-8"),
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 2, "{err}");
    assert!(err.contains("cannot write"), "{err}");
    let why = if root {
        "is not a folder"
    } else {
        "Permission denied"
    };
    assert!(err.contains(why), "{err}");
    assert!(
        err.contains(target.parent().expect("folder").to_str().expect("utf-8")),
        "{err}"
    );
    fs::set_permissions(&out, fs::Permissions::from_mode(0o755)).expect("chmod");
    assert!(
        names_in(&out).is_empty(),
        "nothing written: {:?}",
        names_in(&out)
    );
}

/// Waits (at most a minute) until `ready` holds, then runs `act`; the child's exit code and
/// standard error. `None` when the run ended first.
fn when(child: Child, ready: impl Fn() -> bool, act: impl Fn()) -> Option<(i32, String)> {
    let start = Instant::now();
    let mut child = child;
    while !ready() {
        if child.try_wait().expect("wait").is_some() || start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    act();
    let o = child.wait_with_output().expect("exits");
    Some((
        o.status.code().expect("exited, not killed"),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    ))
}

fn append(file: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(file)
        .expect("open");
    f.write_all(bytes).expect("append");
}

fn resize(file: &Path, len: u64) {
    let f = fs::OpenOptions::new().write(true).open(file).expect("open");
    f.set_len(len).expect("set_len");
}

fn write_at(file: &Path, offset: u64, bytes: &[u8]) {
    use std::os::unix::fs::FileExt;
    let f = fs::OpenOptions::new().write(true).open(file).expect("open");
    f.write_all_at(bytes, offset).expect("write");
}

/// How a run sent a signal ended: interrupted (130, or killed by the signal before its handler
/// was in place), or finished first (0).
fn ended(o: &std::process::Output) -> Option<bool> {
    match o.status.code() {
        Some(130) | None => Some(false),
        Some(0) => Some(true),
        Some(_) => None,
    }
}

/// Spreads `n` delays over `span`, from the start of a run to a little past its end.
fn delays(span: Duration, n: u32) -> impl Iterator<Item = Duration> {
    (0..n).map(move |i| span * (i + 1) * 5 / (n * 4))
}

/// Runs `args` in `dir`, sends SIGINT after `delay`; the output.
fn interrupt_after(dir: &Path, args: &[&str], delay: Duration) -> std::process::Output {
    let child = spawn(dir, args);
    std::thread::sleep(delay);
    let _ = Std::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    child.wait_with_output().expect("exits")
}

#[test]
fn an_interrupt_at_any_point_of_a_build_leaves_the_older_pack_or_a_whole_new_one() {
    let data = shipped_copy();
    let out = data.path().join("out");
    fs::create_dir(&out).expect("mkdir");
    let pack = out.join("north.zip");
    let older = || {
        let o = run(
            data.path(),
            &["build", "packs/providers/oup.toml", "-o", "out/north.zip"],
        );
        assert_eq!(code(&o), 0);
        fs::read(&pack).expect("read")
    };
    let before = older();
    let args = [
        "build",
        "packs/bundles/north-west-spring-2027.toml",
        "-o",
        "out/north.zip",
    ];
    let start = Instant::now();
    assert_eq!(code(&run(data.path(), &args)), 0);
    let whole = fs::read(&pack).expect("read");
    let span = start.elapsed();
    let (mut stopped, mut finished) = (0, 0);
    for delay in delays(span, 12) {
        older();
        let o = interrupt_after(data.path(), &args, delay);
        let err = String::from_utf8_lossy(&o.stderr);
        let done = ended(&o).unwrap_or_else(|| panic!("after {delay:?}: {:?} {err}", o.status));
        let now = fs::read(&pack).expect("read");
        if done {
            finished += 1;
            assert!(
                now == whole,
                "after {delay:?}: a whole new pack, the same bytes"
            );
        } else {
            stopped += 1;
            assert!(
                now == before,
                "after {delay:?}: the older pack is untouched ({err})"
            );
        }
        assert_eq!(
            names_in(&out),
            ["north.zip"],
            "after {delay:?}: nothing else"
        );
    }
    assert!(
        stopped > 0,
        "some runs were interrupted ({finished} finished)"
    );
}

#[test]
fn an_interrupt_at_any_point_of_an_extraction_leaves_nothing_or_the_whole_pack() {
    // Long enough (a 1 GiB file, stored) for the interrupts to land while it works.
    let dir = big_pack(1);
    let target = dir.path().join("x");
    let args = ["verify", "big.zip", "--extract", "x", "--quiet"];
    fs::create_dir(&target).expect("mkdir");
    let start = Instant::now();
    assert_eq!(code(&run(dir.path(), &args)), 0);
    let span = start.elapsed();
    let whole = entries_below(&target);
    let mut stopped = 0;
    for delay in delays(span, 12) {
        fs::remove_dir_all(&target).expect("rm");
        fs::create_dir(&target).expect("mkdir");
        let o = interrupt_after(dir.path(), &args, delay);
        let err = String::from_utf8_lossy(&o.stderr);
        let done = ended(&o).unwrap_or_else(|| panic!("after {delay:?}: {:?} {err}", o.status));
        let left = entries_below(&target);
        if done {
            assert_eq!(left, whole, "after {delay:?}: the whole pack");
        } else {
            stopped += 1;
            assert!(
                left.is_empty(),
                "after {delay:?}: nothing left: {left:?} ({err})"
            );
        }
    }
    assert!(
        stopped > 0,
        "some runs were interrupted (the whole run took {span:?})"
    );
}

/// Every path below `dir`, relative, sorted.
fn entries_below(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| {
            let e = e.expect("walk");
            let rel = e.path().strip_prefix(dir).expect("below");
            rel.to_string_lossy().into_owned()
        })
        .collect();
    v.sort();
    v
}
