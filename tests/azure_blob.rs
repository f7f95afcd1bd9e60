//! Packs built from and into Azure Blob Storage (`az://container/…`), against Azurite,
//! Microsoft's emulator, on loopback, with Microsoft's own Blob library as the outside
//! client: the same source and upload code as S3, through the Azure protocol (blocks and a
//! block list instead of parts).

mod common;

use std::fs;
use std::path::Path;

use common::azure::Azurite;
use common::{code, judge, Judge};

/// An Azurite with container `packs`, or `None` (the test skips) when it is not installed.
fn server() -> Option<Azurite> {
    judge(Judge::Azurite)?;
    let azurite = Azurite::start();
    azurite.blob(&["mb", "packs"]);
    Some(azurite)
}

/// Runs assetpack in `dir` against `azurite` with `args` (and `key` as the account key, else
/// the emulator's); exit code and what it said (standard output, then standard error).
fn assetpack(azurite: &Azurite, dir: &Path, key: Option<&str>, args: &[&str]) -> (i32, String) {
    let mut cmd = common::bin();
    azurite.env(&mut cmd, key);
    let o = cmd.current_dir(dir).args(args).output().expect("runs");
    let said = [o.stdout.as_slice(), o.stderr.as_slice()].concat();
    (code(&o), String::from_utf8_lossy(&said).into_owned())
}

fn names(azurite: &Azurite, container: &str) -> Vec<String> {
    azurite
        .blob(&["ls", container])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_shipped_example_from_a_container_into_a_container_is_the_local_pack_byte_for_byte() {
    let Some(azurite) = server() else { return };
    azurite.blob(&["mb", "art"]);
    let data = common::shipped_copy();
    let d = data.path();
    let (c, err) = assetpack(
        &azurite,
        d,
        None,
        &common::build_args(&d.join("local.zip"), &[]),
    );
    assert_eq!(c, 0, "{err}");
    for m in fs::read_dir(d.join("packs/providers")).expect("providers") {
        let m = m.expect("entry").path();
        let id = m.file_stem().expect("name").to_string_lossy().into_owned();
        let dir = d.join("assets").join(&id);
        let prefix = format!("assets/{id}");
        azurite.blob(&["sync", "art", &prefix, dir.to_str().expect("utf-8")]);
        common::set_base(&m, &format!("az://art/{prefix}"));
    }
    // Nothing is left on disk to read the files from.
    fs::remove_dir_all(d.join("assets")).expect("rm");

    let (c, err) = assetpack(&azurite, d, None, &["check", "packs/providers"]);
    assert_eq!(c, 0, "{err}");
    let out = "az://packs/regions/north.zip";
    let (c, err) = assetpack(&azurite, d, None, &["build", common::BUNDLE, "-o", out]);
    assert_eq!(c, 0, "{err}");
    let fetched = d.join("fetched.zip");
    azurite.blob(&[
        "get",
        "packs",
        "regions/north.zip",
        fetched.to_str().expect("utf-8"),
    ]);
    assert!(
        common::s3::same_bytes(&fetched, &d.join("local.zip")),
        "the pack in the container is the one built from the folders"
    );
    let (c, err) = assetpack(&azurite, d, None, &["verify", out]);
    assert_eq!(c, 0, "{err}");
    assert!(err.contains("intact"), "{err}");
}

#[test]
fn a_pack_of_many_blocks_goes_up_whole_and_a_damaged_one_fails_verify_in_the_container() {
    let Some(azurite) = server() else { return };
    let f = common::large_fixture();
    let d = f.path();
    let plain = ["--no-index", "--no-html", "-q"];
    let build = |out: &str| {
        let mut args = vec!["build", "test.toml", "-o", out];
        args.extend(plain);
        assetpack(&azurite, d, None, &args)
    };
    assert_eq!(build("large.zip").0, 0);
    let (c, err) = build("az://packs/large.zip");
    assert_eq!(c, 0, "{err}");
    let fetched = d.join("fetched.zip");
    azurite.blob(&[
        "get",
        "packs",
        "large.zip",
        fetched.to_str().expect("utf-8"),
    ]);
    assert!(common::s3::same_bytes(&fetched, &d.join("large.zip")));

    // One byte changed inside the large file's data: verify reads it by ranges and says so.
    let mut bytes = fs::read(&fetched).expect("read");
    let at = bytes.len() / 3;
    bytes[at] ^= 0x55;
    fs::write(d.join("damaged.zip"), &bytes).expect("write");
    azurite.blob(&[
        "put",
        "packs",
        "damaged.zip",
        d.join("damaged.zip").to_str().expect("utf-8"),
    ]);
    let (c, err) = assetpack(&azurite, d, None, &["verify", "az://packs/damaged.zip"]);
    assert_eq!(c, 1, "{err}");
    assert!(err.contains("film.bin"), "names the damaged file: {err}");
}

#[test]
fn a_wrong_key_and_a_missing_container_are_clear_errors_and_write_nothing() {
    let Some(azurite) = server() else { return };
    let f = common::large_fixture();
    let d = f.path();
    // A well-formed key that is not the account's.
    let wrong = "d3Jvbmcta2V5LW5vdC10aGUtYWNjb3VudHMtb3duLWtleS0wMTIzNDU2Nzg5YWJjZGVm";
    let (c, err) = assetpack(
        &azurite,
        d,
        Some(wrong),
        &["build", "test.toml", "-o", "az://packs/x.zip", "-q"],
    );
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("az://packs/x.zip"), "names the pack: {err}");
    assert!(
        err.contains("refused the credentials") && err.contains("AZURE_STORAGE_ACCOUNT_KEY"),
        "says what to set, in Azure's words: {err}"
    );
    assert!(!err.contains("AWS_"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(names(&azurite, "packs").is_empty(), "nothing written");

    let (c, err) = assetpack(
        &azurite,
        d,
        None,
        &["build", "test.toml", "-o", "az://nosuch/x.zip", "-q"],
    );
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("az://nosuch/x.zip"), "names the pack: {err}");
    assert!(
        err.contains("the container does not exist") && err.contains("create the container"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(!d.join("x.zip").exists());
}
