//! End-to-end tests of `assetpack build` and `assetpack verify`, judged by real readers and
//! checkers: `unzip -t`, Python's zipfile, 7-Zip, bsdtar, `sha256sum -c`, bagit-python, the
//! zip crate. A judge that is not installed is skipped with a line saying so (see
//! `common::judges`).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as Std;

use common::*;
use tempfile::TempDir;

const NAME: &str = "north-west-spring-2027";

/// Builds the shipped bundle from a copy of the repository's data into `out` (a folder).
fn build_shipped(data: &Path, out: &Path, extra: &[&str]) -> PathBuf {
    let zip = out.join(format!("{NAME}.zip"));
    let o = run(data, &build_args(&zip, extra));
    assert_eq!(
        code(&o),
        0,
        "build failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    zip
}

/// A copy of the shipped example, a folder for output, and the bundle's pack built into it.
fn shipped_pack() -> (TempDir, TempDir, PathBuf) {
    let data = shipped_copy();
    let out = TempDir::new().expect("tempdir");
    let zip = build_shipped(data.path(), out.path(), &[]);
    (data, out, zip)
}

/// Runs a Python script, or `None` (skipped) when Python is not installed.
fn python(script: &str, args: &[&str]) -> Option<std::process::Output> {
    let py = judge(Judge::Python)?;
    Some(
        py.cmd()
            .arg("-c")
            .arg(script)
            .args(args)
            .output()
            .expect("python3 runs"),
    )
}

fn tool_ok(cmd: &mut Std) -> String {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} could not start: {e}"));
    assert!(
        o.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `sha256sum -c --strict SHA256SUMS` in `root`, when coreutils' `sha256sum` is there.
fn sha256sum_check(root: &Path) {
    if let Some(sha256sum) = judge(Judge::Sha256sum) {
        tool_ok(
            sha256sum
                .cmd()
                .args(["-c", "--quiet", "--strict", "SHA256SUMS"])
                .current_dir(root),
        );
    }
}

/// Extracts `zip` into `dir` with the zip crate (a reader nobody here wrote).
fn unzip_into(zip: &Path, dir: &Path) {
    let file = fs::File::open(zip).expect("open the pack");
    zip::ZipArchive::new(file)
        .expect("the zip crate reads the pack")
        .extract(dir)
        .expect("the zip crate extracts the pack");
}

/// `zip` extracted by the zip crate into a new folder, and the pack's top folder in it.
fn unzipped(zip: &Path) -> (TempDir, PathBuf) {
    let x = TempDir::new().expect("tempdir");
    unzip_into(zip, x.path());
    let root = x.path().join(NAME);
    (x, root)
}

#[test]
fn shipped_bundle_opens_in_every_reader_and_checks_out() {
    let (data, _out, zip) = shipped_pack();

    if let Some(unzip) = judge(Judge::Unzip) {
        let t = tool_ok(unzip.cmd().arg("-t").arg(&zip));
        assert!(t.contains("No errors detected"), "{t}");
    }

    let o = python(
        "import sys, zipfile\n\
         z = zipfile.ZipFile(sys.argv[1])\n\
         assert z.testzip() is None\n\
         for i in z.infolist():\n\
         \x20   assert i.filename.startswith(sys.argv[2] + '/'), i.filename\n\
         \x20   assert '\\\\' not in i.filename and not i.filename.startswith('/')\n\
         \x20   assert i.date_time == (2027, 3, 1, 0, 0, 0), i.date_time\n\
         \x20   assert i.create_system == 3\n\
         \x20   mode = i.external_attr >> 16\n\
         \x20   assert mode in (0o100644, 0o40755), oct(mode)\n\
         \x20   if any(ord(c) > 127 for c in i.filename): assert i.flag_bits & 0x800\n\
         \x20   if i.filename.endswith(('.png', '.mp4', '.docx')): assert i.compress_type == zipfile.ZIP_STORED, i.filename\n\
         \x20   text = i.filename.endswith(('.svg', '.html', '.txt', '.toml', '.json', '.vtt', 'SHA256SUMS'))\n\
         \x20   if text and i.file_size >= 1024: assert i.compress_type == zipfile.ZIP_DEFLATED, i.filename\n\
         \x20   if i.file_size < 1024: assert i.compress_type == zipfile.ZIP_STORED, i.filename\n\
         names = z.namelist()\n\
         assert names == sorted(names)\n\
         print(len(names))",
        &[zip.to_str().expect("utf-8"), NAME],
    );
    if let Some(o) = o {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }

    let x = TempDir::new().expect("tempdir");
    unzip_into(&zip, x.path());
    let root = x.path().join(NAME);
    sha256sum_check(&root);
    for f in [
        "README.txt",
        "manifest.toml",
        "manifest.json",
        "links.html",
        "print-request.csv",
    ] {
        assert!(root.join(f).is_file(), "{f} is in the pack");
    }
    assert!(root.join("LICENCES/oup.txt").is_file());
    assert!(root
        .join("amilliondecisions/messages/campaign-message-x.txt")
        .is_file());
    assert!(root
        .join("bmj-best-practice/videos/getting-started.vtt")
        .is_file());
    // The select kept only the png rendition of OpenAthens' logo... and the logo itself.
    assert!(root.join("openathens/logos/openathens-logo.svg").is_file());
    // Selects: OUP gave posters, bookmarks, table talkers (and its logo), not its flyer.
    assert!(!root.join("oup/flyers").exists());
    let sums = fs::read_to_string(root.join("SHA256SUMS")).expect("sums");
    let listed = sums.lines().count();
    let files = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .count();
    assert_eq!(listed, files - 1, "SHA256SUMS covers every other file");
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root.join("manifest.json")).expect("json"))
            .expect("valid JSON");
    assert_eq!(manifest["pack"]["name"], NAME);
    assert_eq!(manifest["pack"]["edition"], "2027-03-01");
    let readme = fs::read_to_string(root.join("README.txt")).expect("readme");
    assert!(readme.contains("sha256sum -c SHA256SUMS"));
    assert!(
        readme.contains("print-requests@example.org"),
        "print contacts in the README"
    );
    assert!(
        readme.contains("do not alter the artwork"),
        "terms in the README"
    );
    let links = fs::read_to_string(root.join("links.html")).expect("links");
    assert!(links.contains("href=\"https://bestpractice.bmj.com/oauth2/login\""));

    // 7-Zip tests every entry's CRC; libarchive extracts the same tree, byte for byte.
    if let Some(seven) = judge(Judge::SevenZip) {
        let t = tool_ok(seven.cmd().arg("t").arg(&zip));
        assert!(t.contains("Everything is Ok"), "{t}");
    }
    let tree = |dir: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(dir).expect("under dir").to_path_buf();
                (rel, fs::read(e.path()).expect("readable"))
            })
            .collect()
    };
    let by_zip_crate = tree(x.path());
    assert_eq!(by_zip_crate.len(), files);
    if let Some(bsdtar) = judge(Judge::Bsdtar) {
        let b = TempDir::new().expect("tempdir");
        tool_ok(bsdtar.cmd().arg("-xf").arg(&zip).current_dir(b.path()));
        assert!(
            by_zip_crate == tree(b.path()),
            "the zip crate and bsdtar extract the same files"
        );
    }

    let o = run(data.path(), &["verify", zip.to_str().expect("utf-8")]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).contains("intact"));
}

/// Every file `manifest.json` lists for an asset (its own, renditions, transcript, captions,
/// a message's text) is in the pack at that path, with that size and the SHA-256 that
/// `SHA256SUMS` gives it; no provider file is left out; and the header counts them.
#[test]
fn the_resolved_manifest_lists_every_packed_file_with_its_size_and_checksum() {
    let (_data, _out, zip) = shipped_pack();
    let (_x, root) = unzipped(&zip);
    let sums: std::collections::BTreeMap<String, String> =
        fs::read_to_string(root.join("SHA256SUMS"))
            .expect("sums")
            .lines()
            .map(|l| (l[66..].to_owned(), l[..64].to_owned()))
            .collect();
    let json = fs::read_to_string(root.join("manifest.json")).expect("json");
    let manifest: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let mut listed = std::collections::BTreeSet::new();
    let providers = manifest["provider"].as_array().expect("providers");
    for provider in providers {
        for asset in provider["asset"].as_array().expect("assets") {
            let renditions = asset["renditions"].as_array().into_iter().flatten();
            let files = [&asset["file"], &asset["transcript"], &asset["captions"]]
                .into_iter()
                .chain(renditions)
                .filter(|f| !f.is_null());
            for f in files {
                let path = f["path"].as_str().expect("a path");
                assert!(listed.insert(path.to_owned()), "{path} listed twice");
                let on_disk = fs::metadata(root.join(path)).expect("listed file is packed");
                assert_eq!(f["bytes"].as_u64(), Some(on_disk.len()), "{path}");
                assert_eq!(
                    f["sha256"].as_str(),
                    sums.get(path).map(String::as_str),
                    "{path}"
                );
            }
        }
    }
    let ids: Vec<&str> = providers.iter().filter_map(|p| p["id"].as_str()).collect();
    let in_provider_folders = sums
        .keys()
        .filter(|p| ids.iter().any(|id| p.starts_with(&format!("{id}/"))))
        .count();
    assert!(listed.len() > 20, "{} files", listed.len());
    assert_eq!(
        listed.len(),
        in_provider_folders,
        "every provider file is listed"
    );
    assert_eq!(
        manifest["pack"]["providers"].as_u64(),
        Some(ids.len() as u64)
    );
    let assets: usize = providers
        .iter()
        .map(|p| p["asset"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(manifest["pack"]["assets"].as_u64(), Some(assets as u64));
}

/// A pack of two small files: each stored (under 1 KiB, deflating saves nothing), but its
/// `SHA256SUMS`, text the pack always deflates, deflated however short it is; and intact.
#[test]
fn a_short_checksum_file_is_still_deflated() {
    let d = TempDir::new().expect("tempdir");
    let files = d.path().join("files");
    fs::create_dir(&files).expect("mkdir");
    fs::write(
        files.join("a.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n",
    )
    .expect("svg");
    fs::write(files.join("b.txt"), "hello\n").expect("txt");
    let o = run(
        d.path(),
        &[
            "scan",
            "files",
            "--provider",
            "tiny",
            "-o",
            "tiny.toml",
            "--quiet",
        ],
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(d.path(), &["build", "tiny.toml", "-o", "t.zip", "--quiet"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let zip = d.path().join("t.zip");
    let mut archive = zip::ZipArchive::new(fs::File::open(&zip).expect("open")).expect("a ZIP");
    let method = |archive: &mut zip::ZipArchive<fs::File>, name: &str| {
        let entry = archive.by_name(name).expect(name);
        (entry.size(), entry.compression())
    };
    let (size, sums) = method(&mut archive, "t/SHA256SUMS");
    assert!(size < 1024, "{size} bytes");
    assert_eq!(sums, zip::CompressionMethod::Deflated);
    let (_, svg) = method(&mut archive, "t/tiny/a.svg");
    assert_eq!(svg, zip::CompressionMethod::Stored);
    let o = run(d.path(), &["verify", "t.zip"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn rebuilds_are_byte_identical() {
    let data = shipped_copy();
    let out = TempDir::new().expect("tempdir");
    let a = build_shipped(data.path(), out.path(), &["--jobs", "1"]);
    let first = fs::read(&a).expect("read");

    // Another copy, other mtimes, other permissions, other jobs, a SOURCE_DATE_EPOCH that the
    // bundle's date overrides, another day for the wall clock: the same bytes.
    let data2 = shipped_copy();
    fs::File::options()
        .write(true)
        .open(
            data2
                .path()
                .join("assets/oup/posters/oup-a3-poster-oxford-handbooks.pdf"),
        )
        .and_then(|f| {
            f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(981_173_106))
        })
        .expect("set the file's time");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(
            data2.path().join("assets/oup/bookmarks/oup-bookmark.pdf"),
            fs::Permissions::from_mode(0o600),
        )
        .expect("chmod");
    }
    let out2 = TempDir::new().expect("tempdir");
    let zip2 = out2.path().join("again.zip");
    let o = bin()
        .current_dir(data2.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args([
            "build",
            BUNDLE,
            "-o",
            zip2.to_str().expect("utf-8"),
            "--jobs",
            "4",
            "--quiet",
        ])
        .output()
        .expect("runs");
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        fs::read(&zip2).expect("read") == first,
        "the second build differs"
    );

    // BagIt packs are reproducible too.
    let b1 = build_shipped(data.path(), out.path(), &["--layout", "bagit"]);
    let b1 = fs::read(b1).expect("read");
    let b2 = build_shipped(
        data2.path(),
        out2.path(),
        &["--layout", "bagit", "--jobs", "3"],
    );
    assert!(fs::read(b2).expect("read") == b1);
}

/// A build of files on this machine makes no cache (that is for files in buckets), so it
/// needs no temporary folder: with TMPDIR pointing nowhere, a bundle, provider manifests
/// alone and `--out-dir` all build, and the packs are those of a normal run.
#[test]
fn a_build_of_local_files_needs_no_temporary_folder() {
    let (data, out, zip) = shipped_pack();
    let expected = fs::read(&zip).expect("read");
    let nowhere = out.path().join("no-such-folder");
    let build = |args: &[&str]| {
        let o = bin()
            .current_dir(data.path())
            .env("TMPDIR", &nowhere)
            .args(args)
            .output()
            .expect("runs");
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    };
    let again = out.path().join("again.zip");
    build(&build_args(&again, &[]));
    assert!(
        fs::read(&again).expect("read") == expected,
        "the pack differs"
    );
    let dir = out.path().join("packs");
    build(&["build", BUNDLE, "--out-dir", dir.to_str().expect("utf-8")]);
    let in_dir = dir.join(format!("{NAME}.zip"));
    assert!(
        fs::read(in_dir).expect("read") == expected,
        "the pack differs"
    );
    let alone = out.path().join("oup.zip");
    let alone = alone.to_str().expect("utf-8");
    build(&["build", "packs/providers/oup.toml", "-o", alone]);
    let o = run(data.path(), &["verify", alone, "--quiet"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!nowhere.exists());
}

/// Packs of one `--out-dir` run that make their views share a temporary cache of thumbnails
/// (each asset's made once for all): the packs are those each spec makes alone, nothing is
/// left in TMPDIR, and with no usable TMPDIR the run goes on without the cache.
#[test]
fn packs_built_in_one_run_share_their_thumbnails_and_leave_nothing_behind() {
    let (data, out, _) = shipped_pack();
    let d = data.path();
    let bundle = fs::read_to_string(d.join(BUNDLE)).expect("the bundle");
    let twin = bundle.replace(&format!("name = \"{NAME}\""), "name = \"twin\"");
    fs::write(d.join("packs/bundles/twin.toml"), twin).expect("written");
    let tmp = out.path().join("tmp");
    fs::create_dir(&tmp).expect("a folder");
    let alone = |spec: &str, name: &str| {
        let zip = out.path().join(format!("alone/{name}.zip"));
        let o = run(
            d,
            &["build", spec, "-o", zip.to_str().expect("utf-8"), "--quiet"],
        );
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        fs::read(zip).expect("the pack")
    };
    fs::create_dir(out.path().join("alone")).expect("a folder");
    let expected = [
        alone(BUNDLE, NAME),
        alone("packs/bundles/twin.toml", "twin"),
    ];
    for (run_tmp, dir) in [
        (tmp.clone(), "shared"),
        (out.path().join("nowhere"), "without"),
    ] {
        let regions = out.path().join(dir);
        let o = bin()
            .current_dir(d)
            .env("TMPDIR", &run_tmp)
            .args(["build", BUNDLE, "packs/bundles/twin.toml", "--out-dir"])
            .arg(&regions)
            .output()
            .expect("runs");
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !err.contains("cache:"),
            "a thumbnail cache is not news: {err}"
        );
        for (name, want) in [NAME, "twin"].iter().zip(&expected) {
            let got = fs::read(regions.join(format!("{name}.zip"))).expect("the pack");
            assert!(
                &got == want,
                "{dir}: {name} differs from the pack built alone"
            );
        }
    }
    let left: Vec<_> = fs::read_dir(&tmp).expect("tmp").collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

#[test]
fn source_date_epoch_sets_timestamps_without_a_bundle_date() {
    let data = shipped_copy();
    let out = TempDir::new().expect("tempdir");
    let zip = out.path().join("oup-only.zip");
    let o = bin()
        .current_dir(data.path())
        .env("SOURCE_DATE_EPOCH", "1767225600") // 2026-01-01T00:00:00Z
        .args([
            "build",
            "packs/providers/oup.toml",
            "-o",
            zip.to_str().expect("utf-8"),
            "--quiet",
        ])
        .output()
        .expect("runs");
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let o = python(
        "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert {i.date_time for i in z.infolist()} == {(2026, 1, 1, 0, 0, 0)}\nassert all(n.startswith(('oup-only/oup/', 'oup-only/thumbs/oup/')) or n.count('/') <= 2 for n in z.namelist())\nassert 'oup-only/oup/posters/oup-a3-poster-oxford-handbooks.pdf' in z.namelist()",
        &[zip.to_str().expect("utf-8")],
    );
    if let Some(o) = o {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // The same, read by the zip crate: every entry carries the epoch's day.
    let mut archive = zip::ZipArchive::new(fs::File::open(&zip).expect("open")).expect("a ZIP");
    for i in 0..archive.len() {
        let entry = archive.by_index(i).expect("entry");
        let t = entry.last_modified().expect("a time");
        assert_eq!((t.year(), t.month(), t.day(), t.hour()), (2026, 1, 1, 0));
    }

    // Manifests without -o: a usage error, nothing written.
    let o = run(data.path(), &["build", "packs/providers/oup.toml"]);
    assert_eq!(code(&o), 2);
}

/// Byte offset and length of each non-empty entry's data, read by the zip crate.
fn data_offsets(zip: &Path) -> Vec<(String, u64, u64)> {
    let mut archive = zip::ZipArchive::new(fs::File::open(zip).expect("open")).expect("a ZIP");
    (0..archive.len())
        .filter_map(|i| {
            let entry = archive.by_index_raw(i).expect("entry");
            let start = entry.data_start()?;
            (!entry.is_dir() && entry.compressed_size() > 0).then(|| {
                (
                    entry.name().expect("a name").into_owned(),
                    start,
                    entry.compressed_size(),
                )
            })
        })
        .collect()
}

#[test]
fn verify_catches_one_flipped_byte_in_any_entry() {
    let (_data, out, zip) = shipped_pack();
    let good = fs::read(&zip).expect("read");
    let offsets = data_offsets(&zip);
    assert!(offsets.len() > 50);
    let bad = out.path().join("bad.zip");
    for (name, off, len) in offsets {
        let mut bytes = good.clone();
        bytes[(off + len / 2) as usize] ^= 0x20;
        fs::write(&bad, &bytes).expect("write");
        let o = run(out.path(), &["verify", "bad.zip", "--format", "json"]);
        assert_eq!(
            code(&o),
            1,
            "a flipped byte in {name} went unnoticed: {}",
            stdout(&o)
        );
        let v = json(&o);
        assert_eq!(v["ok"], false);
        let named = v["problems"]
            .as_array()
            .is_some_and(|a| a.iter().any(|p| p["file"] == name.as_str()));
        assert!(named, "the problem names {name}: {v:#}");
    }
}

#[test]
fn bagit_layout_satisfies_bagit_python() {
    let data = shipped_copy();
    let out = TempDir::new().expect("tempdir");
    let zip = build_shipped(data.path(), out.path(), &["--layout", "bagit"]);
    let x = TempDir::new().expect("tempdir");
    unzip_into(&zip, x.path());
    let bag = x.path().join(NAME);
    for f in [
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "tagmanifest-sha256.txt",
        "data/README.txt",
        "data/oup/posters/oup-a3-poster-oxford-handbooks.pdf",
    ] {
        assert!(bag.join(f).is_file(), "{f}");
    }
    let info = fs::read_to_string(bag.join("bag-info.txt")).expect("info");
    for key in [
        "Source-Organization: North West",
        "Contact-Name: Jo Bloggs",
        "External-Description:",
        "Bagging-Date: 2027-03-01",
        "Payload-Oxum:",
        "Bag-Software-Agent: assetpack",
    ] {
        assert!(info.contains(key), "{key} in {info}");
    }
    let o = run(out.path(), &["verify", zip.to_str().expect("utf-8")]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let Some(bagit) = judge(Judge::Bagit) else {
        return;
    };
    let o = bagit
        .cmd()
        .arg("--validate")
        .arg(&bag)
        .output()
        .expect("bagit.py runs");
    assert!(
        o.status.success(),
        "bagit.py: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    // A tampered bag file fails it.
    fs::write(bag.join("data/links.html"), "<p>changed</p>").expect("write");
    let o = bagit
        .cmd()
        .arg("--validate")
        .arg(&bag)
        .output()
        .expect("bagit.py runs");
    assert!(!o.status.success());
}

#[test]
fn a_file_changed_after_check_aborts_and_keeps_the_old_pack() {
    let (data, out, zip) = shipped_pack();
    let before = fs::read(&zip).expect("read");

    // Same size, other content: `check --fast` passes, packing notices.
    let poster = data
        .path()
        .join("assets/oup/posters/oup-a3-poster-oxford-handbooks.pdf");
    let mut bytes = fs::read(&poster).expect("read");
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    fs::write(&poster, &bytes).expect("write");
    let o = run(
        data.path(),
        &[
            "build",
            BUNDLE,
            "-o",
            zip.to_str().expect("utf-8"),
            "--quiet",
        ],
    );
    assert_eq!(code(&o), 1, "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("oup-a3-poster-oxford-handbooks.pdf"), "{err}");
    assert!(
        !err.contains("ZipWriter"),
        "one error, from assetpack: {err}"
    );
    assert!(
        fs::read(&zip).expect("read") == before,
        "the older pack is intact"
    );
    let leftovers = entries_in(out.path());
    assert_eq!(
        leftovers.len(),
        1,
        "no partial pack left behind: {leftovers:?}"
    );

    // A missing file is caught by the checks before anything is written.
    fs::remove_file(&poster).expect("rm");
    let fresh = out.path().join("fresh.zip");
    let o = run(
        data.path(),
        &["build", BUNDLE, "-o", fresh.to_str().expect("utf-8")],
    );
    assert_eq!(code(&o), 1);
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing-file"));
    assert!(!fresh.exists());
}

/// A write that fails part-way (a file-size limit stands in for a full disk) is reported once,
/// by assetpack, with exit 2; the older pack is left as it was and nothing partial remains.
/// A file the pack reads is held to the size its manifest records as it is read (the build's
/// check no longer looks at it first); a file of an asset the bundle leaves out is still
/// compared by the check. Either way: exit 1, the file named, nothing written.
#[test]
fn a_file_of_another_size_stops_the_build_whether_packed_or_not() {
    let (data, out, zip) = shipped_pack();
    let before = fs::read(&zip).expect("read");
    let grow = |rel: &str| {
        let path = data.path().join("assets/oup").join(rel);
        let mut bytes = fs::read(&path).expect("read");
        bytes.push(b'\n');
        fs::write(&path, &bytes).expect("write");
        path
    };
    let build = || run(data.path(), &build_args(&zip, &[]));

    // The bundle takes OUP's posters: the pack reads this one and finds one byte more.
    let poster = grow("posters/oup-a3-poster-oxford-handbooks.pdf");
    let o = build();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 1, "{err}");
    assert!(err.contains("oup-a3-poster-oxford-handbooks.pdf"), "{err}");
    assert!(err.contains("bytes"), "the sizes are said: {err}");
    assert!(
        fs::read(&zip).expect("read") == before,
        "the older pack is intact"
    );
    assert_eq!(
        entries_in(out.path()).len(),
        1,
        "no partial pack left behind"
    );

    // OUP's flyers are not in the bundle: the check compares this one's size, at its line.
    let mut bytes = fs::read(&poster).expect("read");
    bytes.pop();
    fs::write(&poster, &bytes).expect("restore");
    grow("flyers/oup-interactive-flyer.pdf");
    let o = build();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 1, "{err}");
    assert!(err.contains("size-mismatch"), "{err}");
    assert!(err.contains("oup.toml:"), "located in the manifest: {err}");
    assert!(
        fs::read(&zip).expect("read") == before,
        "the older pack is intact"
    );
}

#[test]
fn a_write_that_fails_part_way_keeps_the_old_pack() {
    let (data, out, zip) = shipped_pack();
    let before = fs::read(&zip).expect("read");
    assert!(before.len() > 200_000, "the pack outgrows the limit below");
    let o = run_with_file_limit(
        data.path(),
        64,
        &[
            "build",
            BUNDLE,
            "-o",
            zip.to_str().expect("utf-8"),
            "--quiet",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot write the pack"), "{err}");
    assert!(
        err.contains(zip.to_str().expect("utf-8")),
        "names the pack: {err}"
    );
    assert!(
        err.starts_with("error: ") && err.lines().count() == 1 && !err.contains("ZipWriter"),
        "one message, from assetpack: {err}"
    );
    assert!(
        fs::read(&zip).expect("read") == before,
        "the older pack is intact"
    );
    let leftovers = entries_in(out.path());
    assert_eq!(leftovers.len(), 1, "no partial pack left: {leftovers:?}");
}

/// Runs the binary in `dir` with files limited to `blocks` (of 512 bytes or 1 KiB, as the
/// shell counts): a write past it fails with "File too large", as on a full disk.
fn run_with_file_limit(dir: &Path, blocks: u32, args: &[&str]) -> std::process::Output {
    Std::new("sh")
        .current_dir(dir)
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f {blocks} && exec \"$@\""))
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_assetpack"))
        .args(args)
        .output()
        .expect("sh")
}

/// The names in a folder.
fn entries_in(dir: &Path) -> Vec<std::ffi::OsString> {
    fs::read_dir(dir)
        .expect("ls")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect()
}

/// Extraction that cannot write (a file-size limit stands in for a full disk) is an I/O error,
/// exit 2, not a damaged pack; nothing is left in the target folder.
#[test]
fn extract_that_cannot_write_is_an_io_error_and_leaves_nothing() {
    let (_data, out, zip) = shipped_pack();
    let target = out.path().join("target");
    fs::create_dir(&target).expect("mkdir");
    let o = run_with_file_limit(
        out.path(),
        16,
        &[
            "verify",
            zip.to_str().expect("utf-8"),
            "--extract",
            target.to_str().expect("utf-8"),
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: cannot extract into") && err.contains("nothing was extracted"),
        "{err}"
    );
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("corrupt-entry"),
        "the pack is not blamed"
    );
    let left = entries_in(&target);
    assert!(left.is_empty(), "nothing left behind: {left:?}");
}

#[test]
fn bad_bundle_specs_are_reported_with_locations() {
    let data = shipped_copy();
    let spec = data.path().join("packs/bundles/bad.toml");
    fs::write(
        &spec,
        "[bundle]\nname = \"bad\"\nmanifests = [\"../providers/*.toml\", \"../nowhere/*.toml\"]\n\n\
         [[select]]\nprovider = \"nobody\"\n\n[[select]]\nprovider = \"oup\"\nkinds = [\"posterr\"]\n\n\
         [[select]]\nprovider = \"oup\"\nids = [\"no-such-id\"]\n\n[[select]]\nprovider = \"oup\"\nrenditions = [\"hologram\"]\n\n\
         [[select]]\ntags = [\"no-asset-has-this\"]\nbogus = 1\n",
    )
    .expect("write");
    let out = data.path().join("bad.zip");
    let o = run(data.path(), &["build", "packs/bundles/bad.toml"]);
    assert_eq!(code(&o), 1);
    let err = String::from_utf8_lossy(&o.stderr);
    for want in [
        "no-manifests",
        "unknown-reference",
        "empty-select",
        "unknown-field",
        "bad.toml:",
    ] {
        assert!(err.contains(want), "{want} in:\n{err}");
    }
    assert!(!out.exists());
}

/// An entry to craft: name, data, unix mode.
type CraftEntry<'a> = (&'a str, &'a str, u32);

/// Writes a ZIP of stored entries, byte by byte (see `common::craft`).
fn craft(path: &Path, entries: &[CraftEntry]) {
    let raw: Vec<_> = entries
        .iter()
        .map(|(name, data, mode)| craft::RawEntry::with_mode(name, data.as_bytes(), *mode))
        .collect();
    fs::write(path, craft::zip(&raw)).expect("write the crafted ZIP");
}

/// Runs `verify ZIP --extract TARGET` into a new folder `target`; the output and what is
/// left in the folder.
fn extract_into(zip: &Path, target: &Path) -> (std::process::Output, Vec<std::ffi::OsString>) {
    fs::create_dir(target).expect("mkdir");
    let o = run(
        target.parent().expect("parent"),
        &[
            "verify",
            zip.to_str().expect("utf-8"),
            "--extract",
            target.to_str().expect("utf-8"),
        ],
    );
    (o, entries_in(target))
}

fn sums_for(files: &[(&str, &str)]) -> String {
    files
        .iter()
        .map(|(p, d)| format!("{}  {p}\n", sha256_hex(d.as_bytes())))
        .collect()
}

#[test]
fn verify_judges_hostile_archives() {
    let dir = TempDir::new().expect("tempdir");
    let ok_sums = sums_for(&[("a.txt", "hello")]);
    // The good pack `p/` and one entry more.
    let good_and = |extra| {
        vec![
            ("p/a.txt", "hello", 0o100644),
            ("p/SHA256SUMS", ok_sums.as_str(), 0o100644),
            extra,
        ]
    };
    let cases: Vec<(&str, Vec<CraftEntry>, &str)> = vec![
        (
            "good",
            vec![
                ("p/a.txt", "hello", 0o100644),
                ("p/SHA256SUMS", &ok_sums, 0o100644),
            ],
            "",
        ),
        (
            "dotdot",
            good_and(("p/../../evil.sh", "x", 0o100644)),
            "unsafe-entry",
        ),
        (
            "absolute",
            vec![
                ("/etc/cron.d/x", "x", 0o100644),
                ("p/a.txt", "hello", 0o100644),
                ("p/SHA256SUMS", &ok_sums, 0o100644),
            ],
            "unsafe-entry",
        ),
        (
            "backslash",
            good_and(("p\\..\\evil", "x", 0o100644)),
            "unsafe-entry",
        ),
        (
            "drive",
            good_and(("C:/evil", "x", 0o100644)),
            "unsafe-entry",
        ),
        (
            "symlink",
            good_and(("p/link", "/etc/passwd", 0o120777)),
            "unsafe-entry",
        ),
        (
            "duplicate",
            vec![
                ("p/a.txt", "hello", 0o100644),
                ("p/a.txt", "HELLO", 0o100644),
                ("p/SHA256SUMS", &ok_sums, 0o100644),
            ],
            "duplicate-entry",
        ),
        (
            "extra",
            good_and(("p/new.exe", "MZ", 0o100644)),
            "extra-entry",
        ),
        (
            "missing",
            vec![("p/SHA256SUMS", &ok_sums, 0o100644)],
            "missing-entry",
        ),
        (
            "altered",
            vec![
                ("p/a.txt", "HELLO", 0o100644),
                ("p/SHA256SUMS", &ok_sums, 0o100644),
            ],
            "altered-entry",
        ),
        (
            "not-a-pack",
            vec![("p/a.txt", "hello", 0o100644)],
            "not-a-pack",
        ),
        (
            "bad-sums",
            vec![
                ("p/a.txt", "hello", 0o100644),
                ("p/SHA256SUMS", "not a checksum line\n", 0o100644),
            ],
            "not-a-pack",
        ),
        ("fifo", good_and(("p/pipe", "", 0o010644)), "unsafe-entry"),
        ("device", good_and(("p/tty", "", 0o020644)), "unsafe-entry"),
        (
            "setuid",
            vec![
                ("p/a.txt", "hello", 0o104755),
                ("p/SHA256SUMS", &ok_sums, 0o100644),
            ],
            "unsafe-entry",
        ),
        (
            "control",
            good_and(("p/bell\u{7}.txt", "x", 0o100644)),
            "unsafe-entry",
        ),
    ];
    for (label, entries, want) in cases {
        let zip = dir.path().join(format!("{label}.zip"));
        craft(&zip, &entries);
        let o = run(
            dir.path(),
            &["verify", zip.to_str().expect("utf-8"), "--format", "json"],
        );
        let v = json(&o);
        if want.is_empty() {
            assert_eq!(code(&o), 0, "{label}: {v:#}");
        } else {
            assert_eq!(code(&o), 1, "{label}: {v:#}");
            assert!(
                codes(&v).iter().any(|c| c == want),
                "{label}: {want} not in {v:#}"
            );
        }
        // Extraction refuses a pack that does not verify, and leaves nothing behind.
        let target = dir.path().join(format!("x-{label}"));
        let (o, left) = extract_into(&zip, &target);
        if want.is_empty() {
            assert_eq!(code(&o), 0);
            assert_eq!(
                fs::read_to_string(target.join("p/a.txt")).expect("extracted"),
                "hello"
            );
            assert_eq!(left.len(), 1, "only p/ is left: {left:?}");
        } else {
            assert_eq!(code(&o), 1);
            assert!(
                left.is_empty(),
                "{label}: nothing extracted, found {left:?}"
            );
        }
        assert!(!dir.path().join("evil.sh").exists() && !dir.path().join("evil").exists());
    }
}

/// A pack that another tool has recompressed (bzip2, LZMA) cannot be checked: `verify`
/// names the method of each entry it cannot read, says the archive was repacked, and does
/// not call every file "extra" because the checksum file itself is unreadable.
#[test]
fn verify_names_entries_another_tool_compressed() {
    let dir = TempDir::new().expect("tempdir");
    let sums = sums_for(&[("a.txt", "hello")]);
    // Entries recorded as bzip2 (method 12) or LZMA (14), as a tool that repacked the pack
    // writes them.
    let entry = |name: &str, data: &[u8], method: u16| craft::RawEntry {
        method,
        ..craft::RawEntry::new(name, data)
    };
    for (name, method, sums_method) in [("bzip2-all", 12, 12), ("lzma-one", 14, 0)] {
        let zip = craft::zip(&[
            entry("p/a.txt", b"hello", method),
            entry("p/SHA256SUMS", sums.as_bytes(), sums_method),
        ]);
        fs::write(dir.path().join(format!("{name}.zip")), zip).expect("write");
    }
    for (label, method, unreadable) in [
        ("bzip2-all", "method 12 (Bzip2)", 2),
        ("lzma-one", "method 14 (Lzma)", 1),
    ] {
        let zip = dir.path().join(format!("{label}.zip"));
        let o = run(
            dir.path(),
            &["verify", zip.to_str().expect("utf-8"), "--format", "json"],
        );
        let v = json(&o);
        assert_eq!(code(&o), 1, "{label}: {v:#}");
        let problems = v["problems"].as_array().expect("problems");
        let foreign: Vec<_> = problems
            .iter()
            .filter(|p| {
                p["code"] == "corrupt-entry"
                    && p["message"].as_str().is_some_and(|m| m.contains(method))
                    && p["fix"].as_str().is_some_and(|f| f.contains("repacked"))
            })
            .collect();
        assert_eq!(foreign.len(), unreadable, "{label}: {v:#}");
        assert!(
            problems.iter().all(|p| p["code"] == "corrupt-entry"),
            "{label}: only the unreadable entries are reported: {v:#}"
        );
    }
}

/// Writes hostile variants of a good two-file pack `p/` into `dir`, byte by byte: each is a
/// ZIP that ordinary readers open, but whose layout lies.
fn write_hostile_layouts(dir: &Path) {
    use craft::{find, put_u32, zip, RawEntry};
    let a = b"hello\n";
    let sums = |names: &[&str]| -> Vec<u8> {
        sums_for(&names.iter().map(|n| (*n, "hello\n")).collect::<Vec<_>>()).into_bytes()
    };
    let good = || {
        vec![
            RawEntry::new("p/a.txt", a),
            RawEntry::new("p/SHA256SUMS", &sums(&["a.txt"])),
        ]
    };
    let with = |extra: RawEntry| {
        let mut e = good();
        e.push(extra);
        zip(&e)
    };
    let write = |name: &str, bytes: &[u8]| fs::write(dir.join(name), bytes).expect("write");

    let mut d = zip(&good());
    assert_eq!(&d[30..37], b"p/a.txt");
    d[30..37].copy_from_slice(b"../a.tx");
    write("local-name.zip", &d);

    let mut d = zip(&[
        RawEntry::new("p/a.txt", a),
        RawEntry::new("p/b.txt", a),
        RawEntry::new("p/SHA256SUMS", &sums(&["a.txt", "b.txt"])),
    ]);
    let first = find(&d, b"PK\x01\x02", 0);
    let second = find(&d, b"PK\x01\x02", first + 4);
    put_u32(&mut d, second + 42, 0);
    write("overlap.zip", &d);

    write(
        "prefixed.zip",
        &[b"#!/bin/sh\necho hi\nexit 0\n".as_slice(), &zip(&good())].concat(),
    );

    let mut d = zip(&good());
    let cd = find(&d, b"PK\x01\x02", 0);
    d.splice(cd..cd, b"hidden payload".iter().copied());
    let eocd = d.len() - 22;
    put_u32(&mut d, eocd + 16, (cd + b"hidden payload".len()) as u32);
    write("hidden-bytes.zip", &d);

    write(
        "folder-data.zip",
        &with(RawEntry::new("p/d/", b"data in a folder")),
    );
    let mut d = with(RawEntry::new("p/d/", b""));
    let folder = find(&d, b"p/d/", find(&d, b"PK\x01\x02", 0)) - 46;
    assert_eq!(&d[folder + 46..folder + 50], b"p/d/");
    put_u32(&mut d, folder + 16, 0xdead_beef);
    write("folder-crc.zip", &d);

    write("case.zip", &with(RawEntry::new("p/A.txt", b"evil")));
    write(
        "nfd.zip",
        &zip(&[
            RawEntry::new("p/caf\u{e9}.txt", a),
            RawEntry::new("p/cafe\u{301}.txt", a),
            RawEntry::new("p/SHA256SUMS", &sums(&["caf\u{e9}.txt", "cafe\u{301}.txt"])),
        ]),
    );
    write(
        "file-and-folder.zip",
        &zip(&[
            RawEntry::new("p/a.txt", a),
            RawEntry::new("p/a.txt/b", a),
            RawEntry::new("p/SHA256SUMS", &sums(&["a.txt", "a.txt/b"])),
        ]),
    );

    // End records that readers may read two ways.
    let good_zip = zip(&good());
    let eocd = good_zip.len() - 22;
    let mut d = good_zip.clone();
    let fake = d[eocd..].to_vec();
    d[eocd + 20..eocd + 22].copy_from_slice(&(fake.len() as u16).to_le_bytes());
    d.extend(&fake);
    write("two-ends.zip", &d);
    write("trailing.zip", &[good_zip.as_slice(), b"appended"].concat());
    let mut d = good_zip.clone();
    d[eocd + 8..eocd + 12].copy_from_slice(&[1, 0, 1, 0]);
    write("miscounted.zip", &d);
}

/// An entry that declares a few bytes but inflates to a megabyte (a "zip bomb" in small) is
/// stopped at its declared size: reported, and nothing extracted.
#[test]
fn an_entry_that_inflates_past_its_declared_size_is_stopped() {
    use std::io::Write as _;
    let dir = TempDir::new().expect("tempdir");
    let big = vec![b'a'; 1 << 20];
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&big).expect("deflate");
    let deflated = z.finish().expect("deflate");
    let small = b"hello\n";
    let sums = sums_for(&[("a.txt", "hello\n")]);
    let bomb = craft::RawEntry {
        method: 8,
        declared: Some((small.len() as u32, {
            let mut c = flate2::Crc::new();
            c.update(small);
            c.sum()
        })),
        ..craft::RawEntry::new("p/a.txt", &deflated)
    };
    let zip = dir.path().join("bomb.zip");
    fs::write(
        &zip,
        craft::zip(&[bomb, craft::RawEntry::new("p/SHA256SUMS", sums.as_bytes())]),
    )
    .expect("write");
    let o = run(dir.path(), &["verify", "bomb.zip", "--format", "json"]);
    let v = json(&o);
    assert_eq!(code(&o), 1, "{v:#}");
    assert!(
        v["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .any(|p| p["code"] == "corrupt-entry"
                && p["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("declared"))),
        "{v:#}"
    );
    let (o, left) = extract_into(&zip, &dir.path().join("x"));
    assert_eq!(code(&o), 1);
    assert!(left.is_empty(), "nothing extracted: {left:?}");
}

#[test]
fn an_entry_that_would_inflate_past_the_ratio_limit_is_refused_unread() {
    use std::io::Write as _;
    let dir = TempDir::new().expect("tempdir");
    // Declared honestly: 8 MiB that deflate about a thousand times.
    let text = "a".repeat(8 << 20);
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(text.as_bytes()).expect("deflate");
    let deflated = z.finish().expect("deflate");
    let mut crc = flate2::Crc::new();
    crc.update(text.as_bytes());
    let bomb = craft::RawEntry {
        method: 8,
        declared: Some((text.len() as u32, crc.sum())),
        ..craft::RawEntry::new("p/blank.txt", &deflated)
    };
    let sums = sums_for(&[("blank.txt", &text)]);
    let zip = dir.path().join("bomb.zip");
    let entries = [bomb, craft::RawEntry::new("p/SHA256SUMS", sums.as_bytes())];
    fs::write(&zip, craft::zip(&entries)).expect("write");
    let o = run(dir.path(), &["verify", "bomb.zip", "--format", "json"]);
    let v = json(&o);
    assert_eq!(code(&o), 1, "{v:#}");
    let problems = v["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "refused, and not missing as well: {v:#}");
    assert_eq!(problems[0]["code"], "compression-ratio", "{v:#}");
    assert_eq!(problems[0]["file"], "p/blank.txt", "{v:#}");
    let (o, left) = extract_into(&zip, &dir.path().join("x"));
    assert_eq!(code(&o), 1);
    assert!(left.is_empty(), "nothing extracted: {left:?}");
    // Nothing else is wrong with it: with the limit lifted it verifies and extracts.
    let o = run(
        dir.path(),
        &["verify", "bomb.zip", "--max-ratio", "0", "--extract", "y"],
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        fs::read(dir.path().join("y/p/blank.txt"))
            .expect("read")
            .len(),
        8 << 20
    );
}

#[test]
fn verify_judges_hostile_layouts() {
    let dir = TempDir::new().expect("tempdir");
    write_hostile_layouts(dir.path());
    let cases = [
        ("local-name", "unsafe-archive", "local header"),
        ("overlap", "unsafe-archive", "shares bytes"),
        (
            "prefixed",
            "unsafe-archive",
            "25 bytes before the first entry",
        ),
        ("hidden-bytes", "unsafe-archive", "14 bytes after"),
        ("folder-data", "unsafe-archive", "holds 16 bytes"),
        ("folder-crc", "unsafe-archive", "records CRC-32 deadbeef"),
        ("case", "duplicate-entry", "differ only by case"),
        ("nfd", "duplicate-entry", "differ only by case"),
        ("file-and-folder", "unsafe-entry", "is a file"),
        (
            "two-ends",
            "ambiguous-archive",
            "two end-of-directory records",
        ),
        ("trailing", "ambiguous-archive", "8 bytes follow it"),
        ("miscounted", "ambiguous-archive", "counts 1 entries"),
    ];
    for (label, want, says) in cases {
        let zip = dir.path().join(format!("{label}.zip"));
        let o = run(
            dir.path(),
            &["verify", zip.to_str().expect("utf-8"), "--format", "json"],
        );
        let v = json(&o);
        assert_eq!(code(&o), 1, "{label}: {v:#}");
        let found =
            v["problems"].as_array().expect("problems").iter().any(|p| {
                p["code"] == want && p["message"].as_str().is_some_and(|m| m.contains(says))
            });
        assert!(found, "{label}: no {want} saying {says:?} in {v:#}");
        // Nothing is extracted from an archive that lies about its layout.
        let (o, left) = extract_into(&zip, &dir.path().join(format!("x-{label}")));
        assert_eq!(code(&o), 1, "{label}");
        assert!(
            left.is_empty(),
            "{label}: nothing extracted, found {left:?}"
        );
    }
    assert!(!dir.path().join("a.tx").exists());
}

#[test]
fn a_pack_of_more_than_65535_entries_is_zip64_and_every_reader_opens_it() {
    use assetpack::plan::{Entry, EntryData, Method, Plan};
    let dir = TempDir::new().expect("tempdir");
    let mut entries: Vec<Entry> = (0..70_000)
        .map(|i| {
            let bytes = format!("message {i}\n").into_bytes();
            Entry {
                path: format!("messages/m{i:05}.txt"),
                sha256: sha256_hex(&bytes),
                bytes: bytes.len() as u64,
                data: EntryData::Bytes(bytes.into()),
                method: if i % 2 == 0 {
                    Method::Deflate
                } else {
                    Method::Store
                },
            }
        })
        .collect();
    let sums: String = entries
        .iter()
        .map(|e| format!("{}  {}\n", e.sha256, e.path))
        .collect();
    entries.push(Entry {
        path: "SHA256SUMS".into(),
        sha256: sha256_hex(sums.as_bytes()),
        bytes: sums.len() as u64,
        data: EntryData::Bytes(sums.into_bytes().into()),
        method: Method::Deflate,
    });
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let plan = Plan {
        name: "big".into(),
        layout: assetpack::catalog::Layout::Plain,
        timestamp: assetpack::catalog::Timestamp::midnight(
            assetpack::manifest::Date::parse("2027-03-01").expect("a date"),
        ),
        entries,
    };
    let zip = dir.path().join("big.zip");
    assetpack::pack::write_pack_file(
        &plan,
        &zip,
        &assetpack::pack::PackOptions::default(),
        &assetpack::NoProgress,
    )
    .expect("pack written");
    let bytes = fs::read(&zip).expect("read");
    assert!(
        bytes.windows(4).any(|w| w == b"PK\x06\x06"),
        "a ZIP64 end record"
    );
    let o = python(
        "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(len(z.infolist()))",
        &[zip.to_str().expect("utf-8")],
    );
    if let Some(o) = o {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        // 70,001 files and the folders big/ and big/messages/.
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "70003");
    }
    if let Some(unzip) = judge(Judge::Unzip) {
        tool_ok(unzip.cmd().arg("-tq").arg(&zip));
    }
    let o = run(dir.path(), &["verify", "big.zip"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn verify_refuses_what_is_not_a_zip() {
    let (_data, out, zip) = shipped_pack();
    let bytes = fs::read(&zip).expect("read");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.zip", bytes[..bytes.len() / 2].to_vec()),
        ("empty.zip", Vec::new()),
        ("text.zip", b"this is not a zip file at all".to_vec()),
        ("cut-end.zip", bytes[..bytes.len() - 10].to_vec()),
    ];
    for (name, b) in cases {
        fs::write(out.path().join(name), b).expect("write");
        let o = run(out.path(), &["verify", name]);
        assert_eq!(
            code(&o),
            2,
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(name) && !err.contains("panicked"), "{err}");
    }
    let o = run(out.path(), &["verify", "no-such.zip"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn extract_writes_the_pack_once_and_never_over_existing_files() {
    let (_data, out, zip) = shipped_pack();
    let target = out.path().join("unpacked");
    fs::create_dir(&target).expect("mkdir");
    let o = run(
        out.path(),
        &[
            "verify",
            zip.to_str().expect("utf-8"),
            "--extract",
            "unpacked",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    sha256sum_check(&target.join(NAME));
    let o = run(
        out.path(),
        &[
            "verify",
            zip.to_str().expect("utf-8"),
            "--extract",
            "unpacked",
        ],
    );
    assert_eq!(code(&o), 2, "a second extraction does not overwrite");
    let entries: Vec<_> = fs::read_dir(&target)
        .expect("ls")
        .filter_map(Result::ok)
        .collect();
    assert_eq!(entries.len(), 1, "no temporary folder left behind");

    #[cfg(unix)]
    {
        let link = out.path().join("link");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let o = run(
            out.path(),
            &["verify", zip.to_str().expect("utf-8"), "--extract", "link"],
        );
        assert_eq!(code(&o), 2, "never extract through a symlink");
    }
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let data = shipped_copy();
    let o = run(data.path(), &["build", BUNDLE, "--dry-run"]);
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    assert!(
        text.lines()
            .any(|l| l.ends_with(&format!("{NAME}/SHA256SUMS"))),
        "{text}"
    );
    assert!(text.contains("store") && text.contains("deflate"));
    assert!(!data.path().join(format!("{NAME}.zip")).exists());
}

#[test]
fn corpus_build_round_trips_with_odd_names() {
    // The tiny corpus has names with spaces, capitals, an en dash and an accent.
    let c = corpus();
    let dir = TempDir::new().expect("tempdir");
    let mut specs = Vec::new();
    for p in ["oup", "maudsley", "royal-marsden"] {
        let m = dir.path().join(format!("{p}.toml"));
        let o = run(
            dir.path(),
            &[
                "scan",
                c.join(p).to_str().expect("utf-8"),
                "--provider",
                p,
                "-o",
                m.to_str().expect("utf-8"),
            ],
        );
        assert_eq!(code(&o), 0);
        specs.push(m);
    }
    let zip = dir.path().join("tiny.zip");
    let mut args = vec!["build".to_owned()];
    args.extend(specs.iter().map(|s| s.to_string_lossy().into_owned()));
    args.extend([
        "-o".to_owned(),
        zip.to_string_lossy().into_owned(),
        "--quiet".to_owned(),
    ]);
    let o = bin()
        .current_dir(dir.path())
        .args(&args)
        .output()
        .expect("runs");
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let names = python(
        "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\n\
         odd = [i for i in z.infolist() if any(ord(c) > 127 for c in i.filename)]\nassert odd\n\
         assert all(i.flag_bits & 0x800 for i in odd)\nprint('\\n'.join(i.filename for i in odd))",
        &[zip.to_str().expect("utf-8")],
    );
    if let Some(names) = names {
        assert!(
            names.status.success(),
            "{}",
            String::from_utf8_lossy(&names.stderr)
        );
        assert!(String::from_utf8_lossy(&names.stdout).contains("Café poster (final).pdf"));
    }
    let x = TempDir::new().expect("tempdir");
    unzip_into(&zip, x.path());
    assert!(
        walkdir::WalkDir::new(x.path())
            .into_iter()
            .filter_map(Result::ok)
            .any(|e| e.file_name() == "Café poster (final).pdf"),
        "the odd name comes back out"
    );
    sha256sum_check(&x.path().join("tiny"));
    let o = run(dir.path(), &["verify", "tiny.zip"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

#[test]
fn build_never_overwrites_what_is_not_a_pack() {
    let data = shipped_copy();
    let manifest = data.path().join("packs/providers/oup.toml");
    let before = fs::read(&manifest).expect("read");
    for target in [
        "packs/providers/oup.toml",
        "assets/oup/posters/oup-a3-poster-oxford-handbooks.pdf",
        "packs",
        "README-notes.txt",
    ] {
        let p = data.path().join(target);
        if target.ends_with(".txt") {
            fs::write(&p, "my notes").expect("write");
        }
        let o = run(
            data.path(),
            &["build", "packs/providers/oup.toml", "-o", target, "--quiet"],
        );
        assert_eq!(
            code(&o),
            2,
            "{target}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stderr).contains("will not write the pack"));
    }
    assert!(fs::read(&manifest).expect("read") == before);
    assert_eq!(
        fs::read_to_string(data.path().join("README-notes.txt")).expect("read"),
        "my notes"
    );
    // An older pack is fine to replace.
    let zip = build_shipped(data.path(), data.path(), &[]);
    build_shipped(data.path(), data.path(), &[]);
    assert!(zip.exists());
}

#[test]
fn the_pack_carries_its_index_which_names_the_manifest_checksum() {
    let (data, out, zip) = shipped_pack();
    let (_x, root) = unzipped(&zip);
    let pdf = root.join("index.pdf");
    assert!(pdf.is_file(), "index.pdf is in the pack");
    let sums = fs::read_to_string(root.join("SHA256SUMS")).expect("sums");
    assert!(
        sums.contains("  index.pdf\n"),
        "SHA256SUMS covers the index"
    );
    let manifest_sha = sha256_hex(&fs::read(root.join("manifest.toml")).expect("manifest"));
    if let Some(pdftotext) = judge(Judge::Pdftotext) {
        let text = tool_ok(pdftotext.cmd().arg(&pdf).arg("-"));
        assert!(
            text.contains(&manifest_sha),
            "the cover names manifest.toml's SHA-256"
        );
    }
    if let Some(qpdf) = judge(Judge::Qpdf) {
        tool_ok(qpdf.cmd().arg("--check").arg(&pdf));
    }

    // --no-index leaves it out and changes nothing else in manifest.toml.
    let bare = out.path().join("bare.zip");
    let o = run(
        data.path(),
        &[
            "build",
            BUNDLE,
            "-o",
            bare.to_str().expect("utf-8"),
            "--no-index",
            "--quiet",
        ],
    );
    assert_eq!(code(&o), 0);
    let y = TempDir::new().expect("tempdir");
    unzip_into(&bare, y.path());
    assert!(!y.path().join(NAME).join("index.pdf").exists());
    assert_eq!(
        sha256_hex(&fs::read(y.path().join(NAME).join("manifest.toml")).expect("manifest")),
        manifest_sha
    );
}

#[test]
fn the_json_reports_read_back_into_the_library_types() {
    let (data, _out, zip) = shipped_pack();
    let o = run(data.path(), &["check", BUNDLE, "--format", "json"]);
    let report: assetpack::Report = serde_json::from_slice(&o.stdout).expect("a check report");
    assert_eq!(report.ok, code(&o) == 0);
    assert_eq!(report.summary.warnings, report.problems.len(), "{report:?}");
    let as_json = json(&o);
    for (p, v) in report
        .problems
        .iter()
        .zip(as_json["problems"].as_array().expect("list"))
    {
        assert_eq!(p.code.as_str(), v["code"], "{v:#}");
        assert_eq!(p.line.map(|l| l as u64), v["line"].as_u64(), "{v:#}");
    }
    let zip = zip.to_str().expect("utf-8");
    let o = run(data.path(), &["verify", zip, "--format", "json"]);
    let v: assetpack::verify::Verification =
        serde_json::from_slice(&o.stdout).expect("a verification");
    assert!(v.ok && v.problems.is_empty(), "{v:?}");
    assert_eq!(v.summary.name.as_deref(), Some(NAME));
    assert!(v.summary.files > 50, "{v:?}");
    // The resolved manifest a pack carries reads back into the library's type.
    let file = fs::File::open(zip).expect("open");
    let mut archive = zip::ZipArchive::new(file).expect("zip");
    let mut entry = archive
        .by_name(&format!("{NAME}/manifest.json"))
        .expect("manifest.json");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut entry, &mut text).expect("read");
    let m: assetpack::resolved::PackManifest<'static> =
        serde_json::from_str(&text).expect("a pack manifest");
    assert_eq!((m.format, m.pack.header.name.as_str()), (1, NAME));
    let files: usize = m
        .provider
        .iter()
        .flat_map(|p| &p.asset)
        .map(|a| a.files().count())
        .sum();
    assert!(
        files > 40 && files <= m.pack.files,
        "{files} of {}",
        m.pack.files
    );
    assert_eq!(
        serde_json::to_string_pretty(&m).expect("json") + "\n",
        text,
        "round trip"
    );
    drop(entry);
    let mut toml_text = String::new();
    let mut entry = archive
        .by_name(&format!("{NAME}/manifest.toml"))
        .expect("manifest.toml");
    std::io::Read::read_to_string(&mut entry, &mut toml_text).expect("read");
    assert_eq!(
        toml::to_string(&m).expect("toml"),
        toml_text,
        "the same document as TOML"
    );
    // A code this version does not know is refused by name, not taken for another.
    let newer = String::from_utf8_lossy(&o.stdout).replace("\"problems\": []", "\"problems\": [{\"code\": \"from-the-future\", \"severity\": \"error\", \"manifest\": null, \"line\": null, \"column\": null, \"provider\": null, \"asset\": null, \"file\": null, \"message\": \"\", \"fix\": \"\"}]");
    let e = serde_json::from_str::<assetpack::verify::Verification>(&newer).expect_err("refused");
    assert!(e.to_string().contains("from-the-future"), "{e}");
}

#[test]
fn every_command_speaks_json_even_when_it_fails() {
    let data = shipped_copy();
    let d = data.path();
    let doc = |args: &[&str], want: i32| -> serde_json::Value {
        let o = run(d, args);
        assert_eq!(
            code(&o),
            want,
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v = json(&o);
        assert_eq!(v["format"], 1, "{args:?}: {v:#}");
        assert_eq!(v["ok"], want == 0, "{args:?}: {v:#}");
        v
    };
    let v = doc(
        &[
            "scan",
            "assets/oup",
            "--provider",
            "oup",
            "--format",
            "json",
        ],
        0,
    );
    assert!(
        v["text"].as_str().is_some_and(|t| t.contains("[provider]")),
        "{v:#}"
    );
    assert_eq!(v["files"], v["added"].as_array().map_or(0, |a| a.len()));
    let v = doc(
        &[
            "build",
            BUNDLE,
            "-o",
            "p.zip",
            "--no-index",
            "--format",
            "json",
        ],
        0,
    );
    assert_eq!(v["written"], true);
    let size = fs::metadata(d.join("p.zip")).expect("written").len();
    assert_eq!(v["bytes"], size);
    let v = doc(
        &[
            "build",
            BUNDLE,
            "-o",
            "q.zip",
            "--dry-run",
            "--format",
            "json",
        ],
        0,
    );
    let plan = v["plan"].as_array().expect("a dry run lists its plan");
    assert_eq!(plan.len(), v["entries"].as_u64().expect("entries") as usize);
    assert!(!d.join("q.zip").exists());
    let v = doc(&["index", BUNDLE, "-o", "i.pdf", "--format", "json"], 0);
    assert_eq!(
        v["bytes"],
        fs::metadata(d.join("i.pdf")).expect("pdf").len()
    );
    doc(&["verify", "p.zip", "--format", "json"], 0);
    doc(&["check", BUNDLE, "--format", "json"], 0);
    // Failures: problems in the data, I/O, usage.
    fs::write(d.join("bad.toml"), "[provider]\nid = \"Bad Id\"\n").expect("write");
    let v = doc(&["build", "bad.toml", "-o", "b.zip", "--format", "json"], 1);
    assert!(
        !v["problems"].as_array().expect("problems").is_empty(),
        "{v:#}"
    );
    let v = doc(&["verify", "missing.zip", "--format", "json"], 2);
    assert_eq!(v["error"]["kind"], "io", "{v:#}");
    let v = doc(
        &["scan", "assets/oup", "--format", "json", "--no-such-flag"],
        2,
    );
    assert_eq!(v["error"]["kind"], "usage", "{v:#}");
}

#[test]
fn check_speaks_github_annotations() {
    let data = shipped_copy();
    let d = data.path();
    fs::create_dir(d.join("p")).expect("mkdir");
    fs::write(
        d.join("p/p.toml"),
        "[provider]\nid = \"p\"\nname = \"P, Ltd: 100%\"\n\n[[asset]]\nid = \"a\"\ntitle = \"A\"\nkind = \"poster\"\nfile = \"gone 100%.pdf\"\n",
    )
    .expect("write");
    let o = run(&d.join("p"), &["check", "p.toml", "--format", "github"]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.starts_with("::error ") && l.contains("title=missing-file"))
        .unwrap_or_else(|| panic!("no missing-file annotation:\n{out}"));
    assert!(
        line.starts_with("::error file=p.toml,line=9,col="),
        "{line}"
    );
    // `%` is escaped as GitHub asks, so the message arrives as written.
    assert!(
        line.contains("::the file `gone 100%25.pdf` does not exist"),
        "{line}"
    );
    assert!(out
        .lines()
        .all(|l| !l.starts_with("::") || !l.contains('\n')));
}

#[test]
fn out_dir_builds_one_pack_per_bundle_spec_and_a_failed_one_stops_no_other() {
    let data = shipped_copy();
    let d = data.path();
    let spec = fs::read_to_string(d.join(common::BUNDLE)).expect("spec");
    let bundles = d.join("packs/bundles");
    let summer = spec.replace(
        "name = \"north-west-spring-2027\"",
        "name = \"north-west-summer-2027\"",
    );
    fs::write(bundles.join("summer.toml"), &summer).expect("write");
    fs::write(bundles.join("twin.toml"), &summer).expect("write");
    let broken = summer
        .replace("name = \"north-west-summer-2027\"", "name = \"broken\"")
        .replace("provider = \"oup\"", "provider = \"no-such-provider\"");
    fs::write(bundles.join("broken.toml"), broken).expect("write");

    let o = run(
        d,
        &[
            "build",
            common::BUNDLE,
            "packs/bundles/summer.toml",
            "packs/bundles/broken.toml",
            "--out-dir",
            "regions",
            "--quiet",
        ],
    );
    assert_eq!(
        code(&o),
        1,
        "the broken spec's data error: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    for name in ["north-west-spring-2027", "north-west-summer-2027"] {
        let zip = format!("regions/{name}.zip");
        let v = run(d, &["verify", &zip, "--quiet"]);
        assert_eq!(code(&v), 0, "{zip}: {}", String::from_utf8_lossy(&v.stdout));
    }
    assert!(!d.join("regions/broken.zip").exists());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no-such-provider"), "{err}");

    // Two specs that name one pack, or a provider manifest: usage errors, nothing overwritten.
    let before = fs::read(d.join("regions/north-west-summer-2027.zip")).expect("zip");
    let o = run(
        d,
        &[
            "build",
            "packs/bundles/summer.toml",
            "packs/bundles/twin.toml",
            "packs/providers/oup.toml",
            "--out-dir",
            "regions",
            "--quiet",
        ],
    );
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("both name the pack `north-west-summer-2027`"),
        "{err}"
    );
    assert!(
        err.contains("oup.toml: --out-dir builds one pack per bundle spec"),
        "{err}"
    );
    let after = fs::read(d.join("regions/north-west-summer-2027.zip")).expect("zip");
    assert!(before == after, "the same inputs give the same pack");
}
