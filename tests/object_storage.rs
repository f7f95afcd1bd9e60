//! Packs built into and verified in an S3 bucket: a real S3 server (moto, on loopback) with
//! boto3 as the outside client, and a proxy that resets connections and answers
//! `503 SlowDown`. A pack in a bucket is the local pack byte for byte; a failed upload leaves
//! no object (and no open upload) behind, and an older object under the key as it was.

mod common;

use std::fs;
use std::path::Path;

use common::s3::{self, Fault, Moto, Proxy};
use common::{code, judge, Judge};

/// A moto server with bucket `packs`, or `None` (the test skips) when moto is missing.
fn server() -> Option<Moto> {
    judge(Judge::Moto)?;
    let moto = Moto::start(None);
    moto.boto(&["mb", "packs"]);
    Some(moto)
}

/// Runs assetpack in `dir` against `endpoint` with `args`; exit code and what it said (its
/// standard output, then its standard error).
fn assetpack(dir: &Path, endpoint: &str, args: &[&str]) -> (i32, String) {
    assetpack_as(dir, endpoint, "test", args)
}

fn assetpack_as(dir: &Path, endpoint: &str, key: &str, args: &[&str]) -> (i32, String) {
    let mut cmd = common::bin();
    s3::env(&mut cmd, endpoint, key);
    let o = cmd.current_dir(dir).args(args).output().expect("runs");
    let said = [o.stdout.as_slice(), o.stderr.as_slice()].concat();
    (code(&o), String::from_utf8_lossy(&said).into_owned())
}

/// `build test.toml -o OUT` without the views, quietly, against `endpoint`.
fn build_plain(dir: &Path, endpoint: &str, out: &str) -> (i32, String) {
    let args = [
        "build",
        "test.toml",
        "-o",
        out,
        "--no-index",
        "--no-html",
        "-q",
    ];
    assetpack(dir, endpoint, &args)
}

fn get(moto: &Moto, key: &str, to: &Path) {
    moto.boto(&["get", "packs", key, to.to_str().expect("utf-8")]);
}

fn keys(moto: &Moto) -> Vec<String> {
    moto.boto(&["ls", "packs"])
        .lines()
        .map(str::to_owned)
        .collect()
}

fn open_uploads(moto: &Moto) -> String {
    moto.boto(&["uploads", "packs"]).trim().to_owned()
}

#[test]
fn a_pack_built_into_a_bucket_is_the_local_pack_byte_for_byte_and_verifies_there() {
    let Some(moto) = server() else { return };
    let data = common::shipped_copy();
    let d = data.path();
    let e = moto.endpoint();
    let (c, err) = assetpack(
        d,
        &e,
        &["build", common::BUNDLE, "-o", "s3://packs/2027/north.zip"],
    );
    assert_eq!(c, 0, "{err}");
    assert!(err.contains("wrote s3://packs/2027/north.zip"), "{err}");
    let (c, err) = assetpack(d, &e, &["build", common::BUNDLE, "-o", "local.zip", "-q"]);
    assert_eq!(c, 0, "{err}");
    get(&moto, "2027/north.zip", &d.join("fetched.zip"));
    assert!(s3::same_bytes(&d.join("fetched.zip"), &d.join("local.zip")));

    let mut cmd = common::bin();
    s3::env(&mut cmd, &e, "test");
    let o = cmd
        .current_dir(d)
        .args(["verify", "s3://packs/2027/north.zip"])
        .output()
        .expect("runs");
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let said = common::stdout(&o);
    assert!(said.contains("s3://packs/2027/north.zip: intact"), "{said}");
}

#[test]
fn a_pack_of_many_parts_goes_up_whole_and_a_damaged_one_fails_verify_in_the_bucket() {
    let Some(moto) = server() else { return };
    let f = common::large_fixture();
    let d = f.path();
    let e = moto.endpoint();
    let (c, err) = build_plain(d, &e, "s3://packs/large.zip");
    assert_eq!(c, 0, "{err}");
    assert_eq!(build_plain(d, &e, "large.zip").0, 0);
    get(&moto, "large.zip", &d.join("fetched.zip"));
    let local = fs::read(d.join("large.zip")).expect("local pack");
    assert!(local.len() > 2 * (8 << 20), "the pack spans three parts");
    assert_eq!(fs::read(d.join("fetched.zip")).expect("fetched"), local);
    assert_eq!(open_uploads(&moto), "0");
    // Python's zipfile reads what went up.
    if let Some(py) = judge(Judge::Python) {
        let o = py
            .cmd()
            .args([
                "-c",
                "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).testzip())",
            ])
            .arg(d.join("fetched.zip"))
            .output()
            .expect("python3");
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "None");
    }

    // One byte of the film changed, in the bucket: verify there says so (exit 1).
    let mut bad = local.clone();
    let at = bad.len() / 3;
    bad[at] ^= 0x55;
    fs::write(d.join("bad.zip"), &bad).expect("write");
    moto.boto(&[
        "put",
        "packs",
        "bad.zip",
        d.join("bad.zip").to_str().expect("utf-8"),
    ]);
    let (c, err) = assetpack(d, &e, &["verify", "s3://packs/bad.zip", "-q"]);
    assert_eq!(c, 1, "{err}");
    for folder in ["s3://packs", "s3://packs/dir/"] {
        let (c, err) = assetpack(d, &e, &["build", "test.toml", "-o", folder, "-q"]);
        assert_eq!(c, 2, "{err}");
        assert!(
            err.contains("names a bucket or a folder, not an object"),
            "{err}"
        );
        let (c, _) = assetpack(d, &e, &["verify", folder]);
        assert_eq!(c, 2);
    }
    let (c, err) = assetpack(d, &e, &["verify", "s3://packs/missing.zip"]);
    assert_eq!(c, 2);
    assert!(
        err.contains("s3://packs/missing.zip") && err.contains("no object"),
        "{err}"
    );
}

#[test]
fn out_dir_in_a_bucket_puts_one_pack_per_bundle_spec_there() {
    let Some(moto) = server() else { return };
    let data = common::shipped_copy();
    let d = data.path();
    let spec = fs::read_to_string(d.join(common::BUNDLE)).expect("spec");
    let summer = spec.replace(
        "name = \"north-west-spring-2027\"",
        "name = \"north-west-summer-2027\"",
    );
    fs::write(d.join("packs/bundles/summer.toml"), summer).expect("write");
    let specs = [common::BUNDLE, "packs/bundles/summer.toml"];
    let mut args = vec!["build"];
    args.extend(specs);
    args.extend(["--out-dir", "s3://packs/regions", "-q"]);
    let (c, err) = assetpack(d, &moto.endpoint(), &args);
    assert_eq!(c, 0, "{err}");
    assert_eq!(
        keys(&moto),
        [
            "regions/north-west-spring-2027.zip",
            "regions/north-west-summer-2027.zip"
        ]
    );
    let mut args = vec!["build"];
    args.extend(specs);
    args.extend(["--out-dir", "local", "-q"]);
    assert_eq!(assetpack(d, &moto.endpoint(), &args).0, 0);
    for name in ["north-west-spring-2027.zip", "north-west-summer-2027.zip"] {
        let fetched = d.join(format!("fetched-{name}"));
        get(&moto, &format!("regions/{name}"), &fetched);
        assert!(
            s3::same_bytes(&fetched, &d.join("local").join(name)),
            "{name}"
        );
    }
}

/// Builds the large fixture through a proxy with `fault`; exit code, stderr, and the parts
/// the proxy saw.
fn build_through(moto: &Moto, f: &common::Fixture, fault: Fault) -> (i32, String, usize) {
    let proxy = Proxy::start(moto.port, fault);
    let (c, err) = build_plain(f.path(), &proxy.endpoint(), "s3://packs/large.zip");
    let seen = proxy.parts.load(std::sync::atomic::Ordering::SeqCst);
    (c, err, seen)
}

#[test]
fn resets_and_slowdowns_that_pass_are_retried_and_the_pack_is_still_whole() {
    let Some(moto) = server() else { return };
    let f = common::large_fixture();
    let d = f.path();
    assert_eq!(build_plain(d, &moto.endpoint(), "large.zip").0, 0);
    for fault in [Fault::Reset(2), Fault::SlowDown(3)] {
        let (c, err, parts) = build_through(&moto, &f, fault);
        assert_eq!(c, 0, "{fault:?}: {err}");
        assert!(
            parts > 4,
            "{fault:?}: the failed parts were sent again ({parts})"
        );
        get(&moto, "large.zip", &d.join("fetched.zip"));
        assert!(
            s3::same_bytes(&d.join("fetched.zip"), &d.join("large.zip")),
            "{fault:?}"
        );
    }
    assert_eq!(open_uploads(&moto), "0");
}

#[test]
fn every_part_goes_up_with_the_sha256_the_store_checks_it_against() {
    let Some(moto) = server() else { return };
    let f = common::large_fixture();
    let proxy = Proxy::start(moto.port, Fault::None);
    let (c, err) = build_plain(f.path(), &proxy.endpoint(), "s3://packs/large.zip");
    assert_eq!(c, 0, "{err}");
    let parts = proxy.parts.load(std::sync::atomic::Ordering::SeqCst);
    assert!(parts >= 3, "a pack of three parts or more ({parts})");
    let unchecked = proxy.unchecked.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(unchecked, 0, "parts without their SHA-256, of {parts}");
}

#[test]
fn an_upload_that_keeps_failing_leaves_no_partial_object_and_the_older_pack_as_it_was() {
    let Some(moto) = server() else { return };
    let f = common::large_fixture();
    let d = f.path();
    fs::write(d.join("older.zip"), b"PK\x05\x06older pack").expect("write");
    moto.boto(&[
        "put",
        "packs",
        "large.zip",
        d.join("older.zip").to_str().expect("utf-8"),
    ]);
    for (fault, said) in [
        (Fault::Reset(usize::MAX), "error sending request"),
        (Fault::SlowDown(usize::MAX), "503"),
    ] {
        let (c, err, _) = build_through(&moto, &f, fault);
        assert_eq!(c, 2, "{fault:?}: {err}");
        assert!(
            err.contains("cannot upload to s3://packs/large.zip") && err.contains(said),
            "{fault:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(keys(&moto), ["large.zip"], "{fault:?}");
        get(&moto, "large.zip", &d.join("now.zip"));
        assert!(s3::same_bytes(&d.join("now.zip"), &d.join("older.zip")));
        assert_eq!(
            open_uploads(&moto),
            "0",
            "{fault:?}: the upload was aborted"
        );
    }
}

#[test]
fn wrong_credentials_and_a_missing_bucket_are_clear_errors_and_write_nothing() {
    if judge(Judge::Moto).is_none() {
        return;
    }
    // Credentials are checked once the bucket is made.
    let moto = Moto::start(Some(1));
    moto.boto(&["mb", "packs"]);
    let data = common::shipped_copy();
    let d = data.path();
    let (c, err) = assetpack_as(
        d,
        &moto.endpoint(),
        "AKIAWRONGWRONGWRONG1",
        &["build", common::BUNDLE, "-o", "s3://packs/north.zip", "-q"],
    );
    assert_eq!(c, 2, "{err}");
    assert!(
        err.contains("s3://packs/north.zip") && err.contains("refused the credentials"),
        "{err}"
    );
    assert!(err.contains("AWS_ACCESS_KEY_ID"), "says what to set: {err}");
    drop(moto);

    let Some(moto) = server() else { return };
    let (c, err) = assetpack(
        d,
        &moto.endpoint(),
        &[
            "build",
            common::BUNDLE,
            "-o",
            "s3://no-such-bucket/north.zip",
            "-q",
        ],
    );
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("the bucket does not exist"), "{err}");
    assert!(keys(&moto).is_empty());
}

#[test]
fn an_object_that_is_not_a_pack_is_not_replaced() {
    let Some(moto) = server() else { return };
    let data = common::shipped_copy();
    let d = data.path();
    fs::write(d.join("report.pdf"), common::real_pdf()).expect("write");
    moto.boto(&[
        "put",
        "packs",
        "north.zip",
        d.join("report.pdf").to_str().expect("utf-8"),
    ]);
    let (c, err) = assetpack(
        d,
        &moto.endpoint(),
        &["build", common::BUNDLE, "-o", "s3://packs/north.zip", "-q"],
    );
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("not a ZIP"), "{err}");
    get(&moto, "north.zip", &d.join("now.pdf"));
    assert!(s3::same_bytes(&d.join("now.pdf"), &d.join("report.pdf")));
}

#[test]
fn reads_cut_off_are_asked_again_and_a_store_that_stops_answering_is_no_verdict_on_the_pack() {
    let Some(moto) = server() else { return };
    let f = common::large_fixture();
    let d = f.path();
    assert_eq!(
        build_plain(d, &moto.endpoint(), "s3://packs/large.zip").0,
        0
    );
    let proxy = Proxy::start(moto.port, Fault::CutReads(2));
    let (c, err) = assetpack(d, &proxy.endpoint(), &["verify", "s3://packs/large.zip"]);
    assert_eq!(c, 0, "{err}");
    assert!(proxy.parts.load(std::sync::atomic::Ordering::SeqCst) > 2);

    // Cut every time, a read still makes headway (half of what is left, each time).
    let proxy = Proxy::start(moto.port, Fault::CutReads(usize::MAX));
    let (c, err) = assetpack(
        d,
        &proxy.endpoint(),
        &["verify", "s3://packs/large.zip", "-q"],
    );
    assert_eq!(c, 0, "{err}");

    let proxy = Proxy::start(moto.port, Fault::DropReads);
    let (c, err) = assetpack(d, &proxy.endpoint(), &["verify", "s3://packs/large.zip"]);
    assert_eq!(
        c, 2,
        "a network failure is an I/O error (exit 2), not a damaged pack: {err}"
    );
    assert!(
        err.contains("s3://packs/large.zip") && err.contains("cannot read"),
        "{err}"
    );
}

/// Puts the files of `dir` into bucket `art` under `prefix` and points `manifest` (a file
/// under `root`) at them: its `base` line becomes `s3://art/<prefix>`.
fn move_to_bucket(moto: &Moto, root: &Path, manifest: &str, dir: &Path, prefix: &str) {
    moto.boto(&["sync", "art", prefix, dir.to_str().expect("utf-8")]);
    common::set_base(&root.join(manifest), &format!("s3://art/{prefix}"));
}

/// `check ARGS --format json` against `endpoint`: exit code and the report.
fn check_json(dir: &Path, endpoint: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let mut cmd = common::bin();
    s3::env(&mut cmd, endpoint, "test");
    let o = cmd
        .current_dir(dir)
        .arg("check")
        .args(args)
        .args(["--format", "json", "--today", "2026-11-25"])
        .output()
        .expect("runs");
    (code(&o), common::json(&o))
}

#[test]
fn the_shipped_example_built_from_a_bucket_is_the_local_pack_byte_for_byte() {
    let Some(moto) = server() else { return };
    moto.boto(&["mb", "art"]);
    let data = common::shipped_copy();
    let d = data.path();
    let e = moto.endpoint();
    let (c, err) = assetpack(d, &e, &["build", common::BUNDLE, "-o", "local.zip", "-q"]);
    assert_eq!(c, 0, "{err}");
    for m in fs::read_dir(d.join("packs/providers")).expect("providers") {
        let m = m.expect("entry").path();
        let id = m.file_stem().expect("name").to_string_lossy().into_owned();
        let rel = format!("packs/providers/{id}.toml");
        move_to_bucket(
            &moto,
            d,
            &rel,
            &d.join("assets").join(&id),
            &format!("assets/{id}"),
        );
    }
    // Nothing is left on disk to read the files from.
    fs::remove_dir_all(d.join("assets")).expect("rm");

    let (c, v) = check_json(d, &e, &["packs/providers"]);
    assert_eq!(c, 0, "{v}");
    assert_eq!(v["summary"]["files"], 67, "{v}");
    assert_eq!(v["summary"]["errors"], 0, "{v}");
    let (c, err) = assetpack(d, &e, &["build", common::BUNDLE, "-o", "bucket.zip"]);
    assert_eq!(c, 0, "{err}");
    assert!(
        s3::same_bytes(&d.join("bucket.zip"), &d.join("local.zip")),
        "built from the bucket, the pack is the one built from the folders"
    );
    let (c, err) = assetpack(
        d,
        &e,
        &["build", common::BUNDLE, "-o", "s3://packs/north.zip"],
    );
    assert_eq!(c, 0, "{err}");
    get(&moto, "north.zip", &d.join("fetched.zip"));
    assert!(s3::same_bytes(&d.join("fetched.zip"), &d.join("local.zip")));
    let (c, err) = assetpack(d, &e, &["verify", "bucket.zip"]);
    assert_eq!(c, 0, "{err}");
}

#[test]
fn a_check_of_a_bucket_names_missing_changed_and_unlisted_objects_and_no_build_starts() {
    let Some(moto) = server() else { return };
    moto.boto(&["mb", "art"]);
    let pdf = common::real_pdf();
    let png = common::real_png();
    let f = common::Fixture::new(&[
        ("posters/a #1 50%.pdf", &pdf),
        ("cards/ü.png", &png),
        ("notes.txt", b"Printed copies on request.\n"),
    ]);
    let d = f.path();
    f.manifest(
        &[
            common::file_asset("poster", "posters/a #1 50%.pdf", &pdf),
            common::file_asset("card", "cards/ü.png", &png),
            common::file_asset("notes", "notes.txt", b"Printed copies on request.\n"),
        ]
        .concat(),
    );
    move_to_bucket(&moto, d, "test.toml", &d.join("files"), "test");
    fs::remove_dir_all(d.join("files")).expect("rm");
    let e = moto.endpoint();
    let (c, v) = check_json(d, &e, &["test.toml"]);
    assert_eq!(c, 0, "odd names are found in a bucket as on disk: {v}");

    fs::write(d.join("changed.png"), b"not the card any more").expect("write");
    fs::write(d.join("extra.txt"), b"left over").expect("write");
    moto.boto(&[
        "put",
        "art",
        "test/cards/ü.png",
        d.join("changed.png").to_str().expect("utf-8"),
    ]);
    moto.boto(&[
        "put",
        "art",
        "test/old/extra.txt",
        d.join("extra.txt").to_str().expect("utf-8"),
    ]);
    moto.boto(&[
        "put",
        "art",
        "test/.keep",
        d.join("extra.txt").to_str().expect("utf-8"),
    ]);
    moto.boto(&["rm", "art", "test/notes.txt"]);
    let (c, v) = check_json(d, &e, &["test.toml"]);
    assert_eq!(c, 1, "{v}");
    let mut found: Vec<(String, String)> = v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter(|p| p["code"] != "missing-alt")
        .map(|p| {
            (
                p["code"].as_str().unwrap_or("").to_owned(),
                p["file"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("content-mismatch".to_owned(), "cards/ü.png".to_owned()),
            ("hash-mismatch".to_owned(), "cards/ü.png".to_owned()),
            ("missing-file".to_owned(), "notes.txt".to_owned()),
            ("unlisted-file".to_owned(), "old/extra.txt".to_owned()),
        ],
        "a hidden object (.keep) is passed over as a hidden file is: {v}"
    );
    let (c, err) = assetpack(d, &e, &["build", "test.toml", "-o", "out.zip"]);
    assert_eq!(c, 1, "{err}");
    assert!(err.contains("notes.txt"), "{err}");
    assert!(!d.join("out.zip").exists());
}

#[test]
fn a_bucket_of_assets_that_cannot_be_read_is_a_clear_error_and_no_pack() {
    if judge(Judge::Moto).is_none() {
        return;
    }
    // Credentials are checked once the bucket is made and its two files are in.
    let moto = Moto::start(Some(3));
    moto.boto(&["mb", "art"]);
    let f = common::Fixture::new(&[("a.txt", b"a\n"), ("b.txt", b"b\n")]);
    let d = f.path();
    f.manifest(
        &[
            common::file_asset("a", "a.txt", b"a\n"),
            common::file_asset("b", "b.txt", b"b\n"),
        ]
        .concat(),
    );
    move_to_bucket(&moto, d, "test.toml", &d.join("files"), "test");
    fs::remove_dir_all(d.join("files")).expect("rm");
    let wrong = "AKIAWRONGWRONGWRONG1";
    let (c, err) = assetpack_as(d, &moto.endpoint(), wrong, &["check", "test.toml"]);
    assert_eq!(c, 2, "a folder that cannot be read is an I/O error: {err}");
    assert!(
        err.contains("cannot read the bucket folder s3://art/test/")
            && err.contains("refused the credentials"),
        "{err}"
    );
    assert!(err.contains("AWS_ACCESS_KEY_ID"), "says what to set: {err}");
    let (c, err) = assetpack_as(
        d,
        &moto.endpoint(),
        wrong,
        &["build", "test.toml", "-o", "out.zip"],
    );
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("refused the credentials"), "{err}");
    assert!(!d.join("out.zip").exists());

    let text = fs::read_to_string(d.join("test.toml")).expect("manifest");
    fs::write(
        d.join("test.toml"),
        text.replace("s3://art/", "s3://no-such-bucket/"),
    )
    .expect("write");
    drop(moto);
    let Some(moto) = server() else { return };
    let (c, err) = assetpack(d, &moto.endpoint(), &["check", "test.toml"]);
    assert_eq!(c, 2, "{err}");
    assert!(
        err.contains("cannot read the bucket folder s3://no-such-bucket/test/")
            && err.contains("the bucket does not exist"),
        "{err}"
    );
}

#[test]
fn reads_of_assets_cut_off_are_asked_again_and_a_store_that_stops_answering_leaves_no_pack() {
    let Some(moto) = server() else { return };
    moto.boto(&["mb", "art"]);
    let f = common::large_fixture();
    let d = f.path();
    // The pack is named for its file: each build writes large.zip, kept aside to compare.
    assert_eq!(build_plain(d, &moto.endpoint(), "large.zip").0, 0);
    fs::rename(d.join("large.zip"), d.join("from-disk.zip")).expect("mv");
    move_to_bucket(&moto, d, "test.toml", &d.join("files"), "test");
    fs::remove_dir_all(d.join("files")).expect("rm");

    let proxy = Proxy::start(moto.port, Fault::CutReads(2));
    let (c, err) = build_plain(d, &proxy.endpoint(), "large.zip");
    assert_eq!(c, 0, "{err}");
    let cut = proxy.parts.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        cut > 2,
        "the first two reads were cut, and picked up again: {err}"
    );
    assert!(s3::same_bytes(
        &d.join("large.zip"),
        &d.join("from-disk.zip")
    ));
    fs::remove_file(d.join("large.zip")).expect("rm");

    let proxy = Proxy::start(moto.port, Fault::DropReads);
    let (c, err) = build_plain(d, &proxy.endpoint(), "large.zip");
    assert_eq!(c, 2, "a store that stops answering is an I/O error: {err}");
    assert!(
        err.contains("s3://art/test/film.bin"),
        "names the object: {err}"
    );
    assert!(
        !d.join("large.zip").exists(),
        "no pack, not even a partial one"
    );
}

#[test]
fn no_credentials_anywhere_is_said_so() {
    let Some(moto) = server() else { return };
    let data = common::shipped_copy();
    let mut cmd = common::bin();
    s3::env(&mut cmd, &moto.endpoint(), "test");
    let o = cmd
        .current_dir(data.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        // Nothing answers here: the instance metadata service stands for one that refuses.
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9")
        .args(["build", common::BUNDLE, "-o", "s3://packs/north.zip", "-q"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 2, "{err}");
    assert!(
        err.contains("no credentials were found") && err.contains("AWS_PROFILE"),
        "{err}"
    );
}

#[test]
fn a_fast_check_of_a_bucket_trusts_a_stored_sha256_and_never_the_etag() {
    let Some(moto) = server() else { return };
    moto.boto(&["mb", "art"]);
    let (a, b) = (
        b"Printed copies on request.\n",
        b"Order by the end of March.\n",
    );
    let f = common::Fixture::new(&[("a.txt", a), ("b.txt", b)]);
    let d = f.path();
    f.manifest(
        &[
            common::file_asset("a", "a.txt", a),
            common::file_asset("b", "b.txt", b),
        ]
        .concat(),
    );
    move_to_bucket(&moto, d, "test.toml", &d.join("files"), "test");
    let e = moto.endpoint();
    let put_meta = |key: &str, file: &str, sha: &str| {
        let path = d.join("files").join(file);
        moto.boto(&["putmeta", "art", key, path.to_str().expect("utf-8"), sha]);
    };
    // a.txt carries its true SHA-256; b.txt is replaced by other bytes of the same size and
    // carries none (only an ETag, which is an MD5).
    put_meta("test/a.txt", "a.txt", &common::sha256_hex(a));
    let other = b"Order by the end of April.\n";
    assert_eq!(other.len(), b.len());
    fs::write(d.join("other.txt"), other).expect("write");
    moto.boto(&[
        "put",
        "art",
        "test/b.txt",
        d.join("other.txt").to_str().expect("utf-8"),
    ]);
    let (c, v) = check_json(d, &e, &["test.toml", "--fast"]);
    assert_eq!(c, 0, "same sizes, and the one stored sum matches: {v}");
    assert_eq!(v["summary"]["bytes_hashed"], 0, "nothing hashed: {v}");
    let (c, v) = check_json(d, &e, &["test.toml"]);
    assert_eq!(c, 1, "hashed, b.txt is seen to have changed: {v}");
    assert_eq!(common::codes(&v), ["hash-mismatch"], "{v}");

    // A stored sum that disagrees with the manifest is a changed file, even unhashed.
    put_meta(
        "test/a.txt",
        "a.txt",
        &common::sha256_hex(b"something else"),
    );
    let (c, v) = check_json(d, &e, &["test.toml", "--fast"]);
    assert_eq!(c, 1, "{v}");
    let p = &v["problems"][0];
    assert_eq!(
        (p["code"].as_str(), p["file"].as_str()),
        (Some("hash-mismatch"), Some("a.txt")),
        "{v}"
    );
}

/// The shipped example with every provider's files moved to the bucket `art` (the assets
/// folder deleted) and three bundle specs: the shipped one, the same selection under
/// another name, and Oxford's assets alone. The specs' paths, after the local packs of the
/// three were built into `local/` (with their views) and `local-plain/` (without).
fn three_regions_in_a_bucket(moto: &Moto, d: &Path) -> [&'static str; 3] {
    moto.boto(&["mb", "art"]);
    let spec = fs::read_to_string(d.join(common::BUNDLE)).expect("spec");
    let renamed = |name: &str| spec.replace("north-west-spring-2027", name);
    fs::write(
        d.join("packs/bundles/summer.toml"),
        renamed("north-west-summer-2027"),
    )
    .expect("write");
    let header = &spec[..spec.find("[[select]]").expect("a selection")];
    let autumn = header.replace("north-west-spring-2027", "oxford-autumn-2027");
    fs::write(
        d.join("packs/bundles/autumn.toml"),
        format!("{autumn}[[select]]\nprovider = \"oup\"\n"),
    )
    .expect("write");
    let specs = [
        common::BUNDLE,
        "packs/bundles/summer.toml",
        "packs/bundles/autumn.toml",
    ];
    for extra in [
        &["--out-dir", "local"][..],
        &["--out-dir", "local-plain", "--no-index", "--no-html"],
    ] {
        let mut args = vec!["build", "-q"];
        args.extend(specs);
        args.extend(extra);
        let (c, err) = assetpack(d, &moto.endpoint(), &args);
        assert_eq!(c, 0, "{err}");
    }
    for m in fs::read_dir(d.join("packs/providers")).expect("providers") {
        let m = m.expect("entry").path();
        let id = m.file_stem().expect("name").to_string_lossy().into_owned();
        let rel = format!("packs/providers/{id}.toml");
        let folder = d.join("assets").join(&id);
        move_to_bucket(moto, d, &rel, &folder, &format!("assets/{id}"));
    }
    fs::remove_dir_all(d.join("assets")).expect("rm");
    specs
}

/// `build SPECS ARGS` through a proxy in front of moto: exit code, what
/// it said, and how many times each object of the bucket `art` was read to its end.
fn build_counting_reads(
    moto: &Moto,
    d: &Path,
    specs: &[&str],
    args: &[&str],
) -> (i32, String, std::collections::BTreeMap<String, usize>) {
    let proxy = Proxy::start(moto.port, Fault::None);
    let mut all = vec!["build"];
    all.extend(specs);
    all.extend(args);
    let (c, said) = assetpack(d, &proxy.endpoint(), &all);
    let mut reads = proxy.reads_of();
    reads.retain(|path, _| path.starts_with("/art/"));
    (c, said, reads)
}

#[test]
fn packs_built_side_by_side_from_a_bucket_read_each_shared_asset_once() {
    let Some(moto) = server() else { return };
    let data = common::shipped_copy();
    let d = data.path();
    let specs = three_regions_in_a_bucket(&moto, d);

    // With the views: each pack's PDF index and catalogue look at every asset's file too.
    let to = ["--out-dir", "s3://packs/regions"];
    let (c, said, reads) = build_counting_reads(&moto, d, &specs, &to);
    assert_eq!(c, 0, "{said}");
    assert!(reads.len() > 20, "the packs read the bucket: {reads:?}");
    let again: Vec<_> = reads.iter().filter(|(_, n)| **n > 1).collect();
    assert!(again.is_empty(), "read more than once: {again:?}\n{said}");
    assert!(
        said.contains("assets read from buckets into the cache"),
        "{said}"
    );
    for name in [
        "north-west-spring-2027.zip",
        "north-west-summer-2027.zip",
        "oxford-autumn-2027.zip",
    ] {
        let fetched = d.join(format!("fetched-{name}"));
        get(&moto, &format!("regions/{name}"), &fetched);
        let local = d.join("local").join(name);
        assert!(s3::same_bytes(&fetched, &local), "{name}");
    }

    // Without the cache each pack reads what the packs share, and its views read each
    // asset's file again: the counts above come from the cache.
    let off = ["--out-dir", "uncached", "--cache-size", "0", "-q"];
    let (c, said, reads) = build_counting_reads(&moto, d, &specs, &off);
    assert_eq!(c, 0, "{said}");
    assert!(reads.values().any(|n| *n == 3), "{reads:?}");
    assert!(
        reads.values().any(|n| *n == 6),
        "looked at and packed: {reads:?}"
    );
    let name = "oxford-autumn-2027.zip";
    let uncached = d.join("uncached").join(name);
    assert!(s3::same_bytes(&uncached, &d.join("local").join(name)));
}

#[test]
fn a_scan_of_a_bucket_folder_writes_the_manifest_a_folder_scan_writes_with_the_bucket_as_base() {
    let Some(moto) = server() else { return };
    moto.boto(&["mb", "art"]);
    let data = common::shipped_copy();
    let d = data.path();
    let folder = d.join("assets/oup");
    moto.boto(&["sync", "art", "oup", folder.to_str().expect("utf-8")]);
    fs::write(d.join("hidden.txt"), b"not the provider's").expect("write");
    let hidden = d.join("hidden.txt");
    moto.boto(&[
        "put",
        "art",
        "oup/.drafts/x.txt",
        hidden.to_str().expect("utf-8"),
    ]);
    let e = moto.endpoint();
    let scan = |from: &str, to: &str| {
        let args = ["scan", from, "--provider", "oup", "-o", to];
        assetpack(d, &e, &args)
    };
    let (c, said) = scan("assets/oup", "local.toml");
    assert_eq!(c, 0, "{said}");
    let (c, said) = scan("s3://art/oup", "bucket.toml");
    assert_eq!(c, 0, "{said}");
    assert!(said.contains("scanned 10 files: 10 added"), "{said}");
    let local = fs::read_to_string(d.join("local.toml")).expect("local");
    let bucket = fs::read_to_string(d.join("bucket.toml")).expect("bucket");
    assert!(bucket.contains("base = \"s3://art/oup\"\n"), "{bucket}");
    assert_eq!(
        bucket.replace("base = \"s3://art/oup\"", "base = \"assets/oup\""),
        local,
        "the same assets, sizes and SHA-256s; hidden objects passed over"
    );
    let (c, v) = check_json(d, &e, &["bucket.toml"]);
    assert_eq!(c, 0, "{v}");
    assert_eq!(v["summary"]["files"], 10, "{v}");

    // An object replaced: the next scan updates its entry and keeps the rest as they were.
    let poster = "oup/posters/oup-a3-poster-oxford-handbooks.pdf";
    moto.boto(&["put", "art", poster, hidden.to_str().expect("utf-8")]);
    let (c, said) = scan("s3://art/oup", "bucket.toml");
    assert_eq!(c, 0, "{said}");
    assert!(said.contains("0 added, 1 updated"), "{said}");

    let (c, said) = scan("s3://no-such-bucket/oup", "none.toml");
    assert_eq!(c, 2, "{said}");
    assert!(said.contains("the bucket does not exist"), "{said}");
    assert!(!d.join("none.toml").exists());
}

#[test]
fn a_pack_and_its_views_read_each_asset_from_the_bucket_once() {
    let Some(moto) = server() else { return };
    let data = common::shipped_copy();
    let d = data.path();
    let specs = three_regions_in_a_bucket(&moto, d);
    let (c, said, reads) = build_counting_reads(&moto, d, &specs[..1], &["-o", "one.zip"]);
    assert_eq!(c, 0, "{said}");
    assert!(reads.len() > 20, "{reads:?}");
    let again: Vec<_> = reads.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        again.is_empty(),
        "the index looked and the pack read: {again:?}\n{said}"
    );
    let local = d.join("local/north-west-spring-2027.zip");
    assert!(s3::same_bytes(&d.join("one.zip"), &local));
    // One line says what the temporary cache did.
    assert!(
        said.contains("assets read from buckets into the cache"),
        "{said}"
    );

    // So does a pack of a manifest alone (named by -o).
    let manifest = ["packs/providers/oup.toml"];
    let (c, said, reads) = build_counting_reads(&moto, d, &manifest, &["-o", "oup.zip"]);
    assert_eq!(c, 0, "{said}");
    assert!(reads.len() > 5, "{reads:?}");
    let again: Vec<_> = reads.iter().filter(|(_, n)| **n > 1).collect();
    assert!(again.is_empty(), "{again:?}\n{said}");
}

#[test]
fn a_kept_cache_spares_the_next_build_its_reads_and_a_damaged_copy_is_read_again() {
    let Some(moto) = server() else { return };
    let data = common::shipped_copy();
    let d = data.path();
    let specs = three_regions_in_a_bucket(&moto, d);
    let spec = &specs[..1];
    let kept = [
        "-o",
        "first.zip",
        "--cache",
        "kept",
        "--no-index",
        "--no-html",
    ];
    let (c, said, first) = build_counting_reads(&moto, d, spec, &kept);
    assert_eq!(c, 0, "{said}");
    assert!(first.len() > 20, "{first:?}");
    assert!(d.join("kept/CACHEDIR.TAG").is_file());
    let local = d.join("local-plain/north-west-spring-2027.zip");
    assert!(s3::same_bytes(&d.join("first.zip"), &local));

    // One copy damaged (same size, other bytes), one deleted.
    let mut copies: Vec<_> = fs::read_dir(d.join("kept"))
        .expect("cache")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n.len() == 64))
        .collect();
    copies.sort();
    assert_eq!(copies.len(), first.len(), "one copy per asset read");
    let damaged = &copies[0];
    let mut bytes = fs::read(damaged).expect("copy");
    bytes[0] ^= 0xff;
    fs::write(damaged, &bytes).expect("damage");
    fs::remove_file(&copies[1]).expect("rm");

    let kept = [
        "-o",
        "second.zip",
        "--cache",
        "kept",
        "--no-index",
        "--no-html",
    ];
    let (c, said, second) = build_counting_reads(&moto, d, spec, &kept);
    assert_eq!(c, 0, "{said}");
    assert_eq!(second.values().sum::<usize>(), 2, "{second:?}");
    assert!(s3::same_bytes(&d.join("second.zip"), &local), "{said}");
    let repaired = fs::read(damaged).expect("read again");
    assert_eq!(
        common::sha256_hex(&repaired),
        damaged.file_name().unwrap().to_string_lossy()
    );

    // A bound smaller than every asset keeps nothing and reads every object (even two of
    // the same bytes, which a cache reads once).
    let small = [
        "-o",
        "third.zip",
        "--cache",
        "small",
        "--cache-size",
        "100",
        "--no-index",
        "--no-html",
    ];
    let (c, said, third) = build_counting_reads(&moto, d, spec, &small);
    assert_eq!(c, 0, "{said}");
    assert!(third.len() > first.len(), "{third:?}");
    let held: u64 = fs::read_dir(d.join("small"))
        .expect("cache")
        .map(|e| e.expect("entry").metadata().expect("size").len())
        .sum();
    assert!(held < 1024, "only the tag: {held} bytes");
    assert!(s3::same_bytes(&d.join("third.zip"), &local));
}
