//! End-to-end tests of the `assetpack` binary: real files, real exit codes, real output.

mod common;

use std::fs;

use common::*;
use serde_json::Value;
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------

#[test]
fn shipped_example_checks_clean_but_for_its_deliberate_flaw() {
    let o = run(
        &repo(),
        &["check", "packs/providers", "--today", "2026-11-25"],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // The Maudsley video without captions is there on purpose (see its manifest).
    assert!(stdout(&o).contains("0 errors, 1 warning"), "{}", stdout(&o));
    assert!(stdout(&o).contains("warning[missing-captions]: video `prescribing-basics-video`"));
}

#[test]
fn the_shipped_example_shows_what_preflight_finds_and_its_bundle_still_builds() {
    let o = run(
        &repo(),
        &[
            "report",
            "packs/providers",
            "--format",
            "json",
            "--today",
            "2026-11-25",
        ],
    );
    let v = json(&o);
    let maudsley = &v["providers"]["maudsley"];
    assert_eq!(
        maudsley["findings"]["unprintable-resolution"], 1,
        "{maudsley}"
    );
    assert_eq!(maudsley["findings"]["missing-captions"], 1);
    assert_eq!(maudsley["videos_with_captions"], 0);
    let data = shipped_copy();
    let zip = data.path().join("pack.zip");
    let o = run(data.path(), &common::build_args(&zip, &[]));
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));

    // On the bundle spec, the report covers what the bundle chooses: not the flawed two.
    let o = run(
        data.path(),
        &[
            "report",
            common::BUNDLE,
            "--format",
            "json",
            "--today",
            "2026-11-25",
        ],
    );
    let v = json(&o);
    let listed = json(&run(
        data.path(),
        &["list", common::BUNDLE, "--format", "json"],
    ));
    let chosen = listed["assets"].as_array().map_or(0, Vec::len);
    assert!(chosen > 10);
    assert_eq!(v["total"]["assets"], chosen);
    let maudsley = &v["providers"]["maudsley"]["findings"];
    assert!(
        maudsley.get("unprintable-resolution").is_none(),
        "{maudsley}"
    );
    assert!(maudsley.get("missing-captions").is_none(), "{maudsley}");
}

#[test]
fn an_edited_asset_is_named_with_a_hash_mismatch() {
    let dir = shipped_copy();
    let poster = dir
        .path()
        .join("assets/oup/posters/oup-a3-poster-oxford-handbooks.pdf");
    let mut bytes = fs::read(&poster).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    fs::write(&poster, bytes).expect("write");

    let o = run(
        dir.path(),
        &["check", "packs/providers", "--format", "json"],
    );
    assert_eq!(code(&o), 1);
    let v = json(&o);
    assert_eq!(v["ok"], false);
    let errors: Vec<_> = problems(&v)
        .into_iter()
        .filter(|(_, s, _)| s == "error")
        .collect();
    assert_eq!(
        errors,
        [(
            "hash-mismatch".to_owned(),
            "error".to_owned(),
            "a3-poster-oxford-handbooks".to_owned()
        )]
    );
    let p = v["problems"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["severity"] == "error"))
        .expect("the error");
    assert_eq!(p["provider"], "oup");
    assert_eq!(p["file"], "posters/oup-a3-poster-oxford-handbooks.pdf");
    assert!(p["manifest"].as_str().unwrap_or("").ends_with("oup.toml"));
    assert!(p["line"].as_u64().unwrap_or(0) > 0 && p["column"].as_u64().unwrap_or(0) > 0);

    // The human report names the asset and points at the manifest line.
    let o = run(dir.path(), &["check", "packs/providers"]);
    assert_eq!(code(&o), 1);
    let text = stdout(&o);
    assert!(text.contains("error[hash-mismatch]"), "{text}");
    assert!(text.contains("asset a3-poster-oxford-handbooks"), "{text}");
    assert!(text.contains("packs/providers/oup.toml:"), "{text}");

    // --fast compares sizes only, so a same-size edit passes.
    let o = run(dir.path(), &["check", "packs/providers", "--fast"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));

    // An edit that changes the size is still one hash mismatch, saying the new size...
    let mut bytes = fs::read(&poster).expect("read");
    bytes.extend_from_slice(b"% appended\n");
    fs::write(&poster, &bytes).expect("write");
    let o = run(
        dir.path(),
        &["check", "packs/providers", "--format", "json"],
    );
    assert_eq!(code(&o), 1);
    let v = json(&o);
    assert_eq!(error_codes(&v), ["hash-mismatch"]);
    let message = v["problems"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["code"] == "hash-mismatch"))
        .and_then(|p| p["message"].as_str())
        .unwrap_or("");
    assert!(
        message.contains(&format!("now {} bytes", bytes.len())),
        "{message}"
    );
    // ...and a size mismatch when not hashing.
    let o = run(
        dir.path(),
        &["check", "packs/providers", "--format", "json", "--fast"],
    );
    assert_eq!(code(&o), 1);
    assert_eq!(error_codes(&json(&o)), ["size-mismatch"]);
}

#[test]
fn json_report_has_the_documented_shape() {
    let o = run(
        &repo(),
        &[
            "check",
            "packs/providers",
            "--format",
            "json",
            "--today",
            "2026-11-25",
        ],
    );
    assert_eq!(code(&o), 0);
    let v = json(&o);
    assert_eq!(v["ok"], true);
    assert_eq!(
        codes(&v),
        ["missing-captions"],
        "the shipped example's deliberate flaw"
    );
    let s = &v["summary"];
    assert_eq!(s["manifests"], 9);
    assert!(s["assets"].as_u64().unwrap_or(0) >= 50);
    assert_eq!(s["errors"], 0);
    assert_eq!(s["warnings"], 1);

    let f = Fixture::new(&[]);
    f.manifest("[[asset]]\nid = \"a\"\ntitel = \"A\"\nkind = \"link\"\nurl = \"https://x.org\"\n");
    let (c, v) = f.check(&[]);
    assert_eq!(c, 1);
    let p = v["problems"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["code"] == "unknown-field"))
        .expect("unknown-field reported");
    for key in [
        "code", "severity", "manifest", "line", "column", "provider", "asset", "file", "message",
        "fix",
    ] {
        assert!(p.get(key).is_some(), "problem lacks `{key}`: {p}");
    }
    assert_eq!(p["line"], 8);
    assert_eq!(p["column"], 1);
    assert!(p["fix"].as_str().unwrap_or("").contains("`title`"));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let o = run(&repo(), &["check"]);
    assert_eq!(code(&o), 2, "no argument is a usage error");
    let o = run(&repo(), &["check", "no/such/manifest.toml"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stdout).contains("no/such/manifest.toml"));
    let o = run(
        &repo(),
        &["check", "packs/providers", "--today", "2026-13-01"],
    );
    assert_eq!(code(&o), 2);
    let o = run(&repo(), &["frobnicate"]);
    assert_eq!(code(&o), 2);

    // Both a data error and an I/O error: 2 wins.
    let f = Fixture::new(&[]);
    f.manifest("[[asset]]\nid = \"a\"\ntitle = \"A\"\nkind = \"link\"\nurl = \"ftp://x.org\"\n");
    let o = run(f.path(), &["check", "test.toml", "missing.toml"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn toml_errors_name_line_and_column() {
    let f = Fixture::new(&[]);
    fs::write(
        f.path().join("test.toml"),
        "[provider]\nid = \"test\"\nname = \"T\"\n\n[[asset]]\nid = \"a\ntitle = \"x\"\n",
    )
    .expect("write");
    let (c, v) = f.check(&[]);
    assert_eq!(c, 1);
    assert_eq!(v["problems"][0]["code"], "toml-syntax");
    assert_eq!(v["problems"][0]["line"], 6);

    // Not UTF-8 at all.
    fs::write(
        f.path().join("test.toml"),
        b"[provider]\nid = \"\xff\xfe\"\n",
    )
    .expect("write");
    let (c, v) = f.check(&[]);
    assert_eq!(c, 1);
    assert_eq!(v["problems"][0]["code"], "toml-syntax");
}

#[test]
fn bad_values_are_each_reported() {
    let f = Fixture::new(&[]);
    f.manifest(
        "[[asset]]\nid = \"Bad Id\"\ntitle = \"A\"\nkind = \"poser\"\nurl = \"https://x.org\"\n\
         last_reviewed = \"2026-01-01\"\nnext_review_due = 2026-02-03T10:00:00\n\n\
         [[asset]]\nid = \"b\"\nkind = \"link\"\nurl = \"https://x.org\"\n\n\
         [[asset]]\nid = \"c\"\ntitle = \"C\"\nkind = \"link\"\n\n\
         [[asset]]\nid = \"d\"\ntitle = \"D\"\nkind = \"link\"\nurl = \"https://x.org\"\ntext = \"hi\"\n\n\
         [[asset]]\nid = \"d\"\ntitle = \"D again\"\nkind = \"link\"\nurl = \"https://y.org\"\n",
    );
    let (c, v) = f.check(&[]);
    assert_eq!(c, 1);
    let got = codes(&v);
    for want in [
        "bad-value",
        "missing-field",
        "content-choice",
        "duplicate-id",
    ] {
        assert!(got.iter().any(|c| c == want), "{want} not in {got:?}");
    }
    // id, kind, last_reviewed (quoted), next_review_due (30 February)
    assert_eq!(
        got.iter().filter(|c| *c == "bad-value").count(),
        4,
        "{got:?}"
    );
}

#[test]
fn unsafe_paths_are_errors_and_never_read() {
    let f = Fixture::new(&[]);
    fs::write(f.path().join("secret.pdf"), real_pdf()).expect("write");
    let mut assets = String::new();
    let paths = [
        "../secret.pdf",
        "/etc/passwd",
        "C:/x.pdf",
        "posters\\\\a.pdf",
        "logos/aux.pdf",
        "CON",
        "a//b.pdf",
        "nul\\u0000.pdf",
        "tab\\there.pdf",
    ];
    for (i, p) in paths.iter().enumerate() {
        assets.push_str(&format!(
            "[[asset]]\nid = \"a{i}\"\ntitle = \"A\"\nkind = \"other\"\nfile = \"{p}\"\n\n"
        ));
    }
    f.manifest(&assets);
    let (c, v) = f.check(&[]);
    assert_eq!(c, 1);
    let unsafe_assets: Vec<String> = problems(&v)
        .into_iter()
        .filter(|(c, _, _)| c == "unsafe-path")
        .map(|(_, _, a)| a)
        .collect();
    assert_eq!(unsafe_assets.len(), paths.len(), "{v:#}");
    assert!(!codes(&v)
        .iter()
        .any(|c| c == "hash-mismatch" || c == "missing-file"));
}

#[cfg(unix)]
#[test]
fn symlinks_leaving_base_are_errors() {
    let pdf = real_pdf();
    let f = Fixture::new(&[("inside.pdf", &pdf)]);
    fs::write(f.path().join("outside.pdf"), &pdf).expect("write");
    std::os::unix::fs::symlink(
        f.path().join("outside.pdf"),
        f.path().join("files/escape.pdf"),
    )
    .expect("symlink");
    std::os::unix::fs::symlink("inside.pdf", f.path().join("files/alias.pdf")).expect("symlink");
    fs::create_dir(f.path().join("elsewhere")).expect("mkdir");
    fs::write(f.path().join("elsewhere/deep.pdf"), &pdf).expect("write");
    std::os::unix::fs::symlink(f.path().join("elsewhere"), f.path().join("files/dir"))
        .expect("symlink");
    f.manifest(&format!(
        "{}{}{}{}",
        file_asset("inside", "inside.pdf", &pdf),
        file_asset("escape", "escape.pdf", &pdf),
        file_asset("alias", "alias.pdf", &pdf),
        file_asset("deep", "dir/deep.pdf", &pdf),
    ));
    let (c, v) = f.check(&[]);
    assert_eq!(c, 1);
    let escapes: Vec<String> = problems(&v)
        .into_iter()
        .filter(|(c, _, _)| c == "symlink-escape")
        .map(|(_, _, a)| a)
        .collect();
    assert_eq!(escapes, ["escape", "deep"], "{v:#}");
    assert!(
        !codes(&v).contains(&"special-file".to_owned()),
        "a link an asset goes through is not reported twice"
    );
    assert!(!problems(&v)
        .iter()
        .any(|(c, s, a)| a == "alias" && s == "error" && c != "duplicate-file"));
}

#[test]
fn clashing_names_are_errors() {
    let pdf = real_pdf();
    let f = Fixture::new(&[
        ("Poster.pdf", &pdf),
        ("poster.pdf", &pdf),
        ("caf\u{e9}.pdf", &pdf),
        ("cafe\u{301}.pdf", &pdf),
    ]);
    f.manifest(&format!(
        "{}{}{}{}{}",
        file_asset("upper", "Poster.pdf", &pdf),
        file_asset("lower", "poster.pdf", &pdf),
        file_asset("nfc", "caf\u{e9}.pdf", &pdf),
        file_asset("nfd", "cafe\u{301}.pdf", &pdf),
        file_asset("again", "Poster.pdf", &pdf),
    ));
    let (c, v) = f.check(&[]);
    assert_eq!(c, 1);
    let p = problems(&v);
    assert!(
        p.contains(&("path-clash".into(), "error".into(), "lower".into())),
        "{p:?}"
    );
    assert!(
        p.contains(&("path-clash".into(), "error".into(), "nfd".into())),
        "{p:?}"
    );
    assert!(
        p.contains(&("duplicate-file".into(), "error".into(), "again".into())),
        "{p:?}"
    );
}

#[test]
fn file_problems_missing_size_type_and_truncation() {
    let pdf = real_pdf();
    let png = real_png();
    let html = b"<!DOCTYPE html><html><body>Sorry, page not found</body></html>".to_vec();
    let cut_pdf = pdf[..pdf.len() - 20].to_vec();
    let cut_png = png[..png.len() - 30].to_vec();
    let f = Fixture::new(&[
        ("ok.pdf", &pdf),
        ("login-page.pdf", &html),
        ("cut.pdf", &cut_pdf),
        ("cut.png", &cut_png),
        ("logo.png", &png),
        ("declared.png", &png),
        ("sized.pdf", &pdf),
        ("unlisted.pdf", &pdf),
        (".hidden", b"ignored"),
    ]);
    fs::create_dir(f.path().join("files/folder.pdf")).expect("mkdir");
    let mut assets = String::new();
    assets.push_str(&file_asset("ok", "ok.pdf", &pdf));
    assets.push_str(&file_asset("html-as-pdf", "login-page.pdf", &html));
    assets.push_str(&file_asset("cut-pdf", "cut.pdf", &cut_pdf));
    assets.push_str(&file_asset("cut-png", "cut.png", &cut_png));
    assets.push_str(&file_asset("gone", "gone.pdf", &pdf));
    assets.push_str(&file_asset("folder", "folder.pdf", &pdf));
    assets.push_str(
        &file_asset("declared", "declared.png", &png)
            .replace("\n\n", "\nmedia_type = \"image/jpeg\"\nalt = \"x\"\n\n"),
    );
    assets.push_str(&file_asset("sized", "sized.pdf", &pdf).replace(
        &format!("bytes = {}", pdf.len()),
        &format!("bytes = {}", pdf.len() + 1),
    ));
    assets.push_str("[[asset]]\nid = \"logo\"\ntitle = \"Logo\"\nkind = \"logo\"\nfile = \"logo.png\"\nalt = \"L\"\n");
    f.manifest(&assets);
    let (c, v) = f.check(&[]);
    assert_eq!(c, 1);
    let p = problems(&v);
    let has = |code: &str, asset: &str| p.iter().any(|(c, _, a)| c == code && a == asset);
    assert!(has("content-mismatch", "html-as-pdf"), "{p:?}");
    assert!(has("corrupt-content", "cut-pdf"), "{p:?}");
    assert!(has("corrupt-content", "cut-png"), "{p:?}");
    assert!(has("missing-file", "gone"), "{p:?}");
    assert!(has("not-a-file", "folder"), "{p:?}");
    assert!(has("media-type-mismatch", "declared"), "{p:?}");
    assert!(has("size-mismatch", "sized"), "{p:?}");
    assert!(has("missing-checksum", "logo"), "{p:?}");
    assert!(
        !p.iter().any(|(_, s, a)| a == "ok" && s == "error"),
        "{p:?}"
    );
    let unlisted: Vec<&Value> = v["problems"]
        .as_array()
        .map(|a| a.iter().filter(|p| p["code"] == "unlisted-file").collect())
        .unwrap_or_default();
    assert_eq!(unlisted.len(), 1, "hidden files are skipped: {unlisted:?}");
    assert_eq!(unlisted[0]["file"], "unlisted.pdf");
    assert_eq!(unlisted[0]["severity"], "warning");
}

#[test]
fn real_jpeg_named_png_is_caught() {
    let c = corpus();
    let jpeg = walkdir::WalkDir::new(c)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.path().extension().is_some_and(|x| x == "jpg"))
        .expect("the corpus has JPEGs");
    let bytes = fs::read(jpeg.path()).expect("read");
    let f = Fixture::new(&[("photo.png", &bytes), ("photo.jpg", &bytes)]);
    f.manifest(&format!(
        "{}{}",
        file_asset("renamed", "photo.png", &bytes),
        file_asset("right", "photo.jpg", &bytes)
    ));
    let (_, v) = f.check(&[]);
    let p = problems(&v);
    assert!(
        p.contains(&("content-mismatch".into(), "error".into(), "renamed".into())),
        "{p:?}"
    );
    assert!(
        !p.iter()
            .any(|(c, _, a)| a == "right" && c == "content-mismatch"),
        "{p:?}"
    );
}

#[test]
fn warnings_pass_unless_strict() {
    let pdf = real_pdf();
    let f = Fixture::new(&[("a.pdf", &pdf), ("extra.pdf", &pdf)]);
    f.manifest(&file_asset("a", "a.pdf", &pdf));
    let (c, v) = f.check(&[]);
    assert_eq!(c, 0, "{v:#}");
    assert_eq!(codes(&v), ["unlisted-file"]);
    let (c, v) = f.check(&["--strict"]);
    assert_eq!(c, 1);
    assert_eq!(v["problems"][0]["severity"], "error");
}

#[test]
fn review_dates_against_today() {
    let f = Fixture::new(&[]);
    let link = |id: &str, due: &str| {
        format!("[[asset]]\nid = \"{id}\"\ntitle = \"{id}\"\nkind = \"link\"\nurl = \"https://x.org/{id}\"\nnext_review_due = {due}\n\n")
    };
    f.manifest(&format!(
        "{}{}{}{}{}{}",
        link("yesterday", "2026-11-24"),
        link("today", "2026-11-25"),
        link("day-30", "2026-12-25"),
        link("day-31", "2026-12-26"),
        link("next-year", "2027-11-25"),
        "[[asset]]\nid = \"inverted\"\ntitle = \"x\"\nkind = \"link\"\nurl = \"https://x.org\"\nlast_reviewed = 2027-01-01\nnext_review_due = 2028-01-01\n"
            .replace("2027-01-01", "2028-06-01"),
    ));
    let (c, v) = f.check(&[]);
    assert_eq!(c, 0);
    let p = problems(&v);
    let of = |id: &str| -> Vec<String> {
        p.iter()
            .filter(|(_, _, a)| a == id)
            .map(|(c, _, _)| c.clone())
            .collect()
    };
    assert_eq!(of("yesterday"), ["review-overdue"]);
    assert_eq!(of("today"), ["review-due-soon"]);
    assert_eq!(of("day-30"), ["review-due-soon"]);
    assert!(of("day-31").is_empty());
    assert!(of("next-year").is_empty());
    assert_eq!(of("inverted"), ["review-dates-order"]);

    // The provider's own dates count too.
    fs::write(
        f.path().join("test.toml"),
        "[provider]\nid = \"test\"\nname = \"T\"\nbase = \"files\"\nnext_review_due = 2024-07-17\n",
    )
    .expect("write");
    let (_, v) = f.check(&[]);
    assert_eq!(codes(&v), ["review-overdue"]);
}

#[test]
fn links_and_messages() {
    let f = Fixture::new(&[]);
    let long = "word ".repeat(60);
    f.manifest(&format!(
        "[[asset]]\nid = \"ftp\"\ntitle = \"x\"\nkind = \"link\"\nurl = \"ftp://files.example.org/a\"\n\n\
         [[asset]]\nid = \"creds\"\ntitle = \"x\"\nkind = \"link\"\nurl = \"https://jo:secret@example.org/\"\n\n\
         [[asset]]\nid = \"plain\"\ntitle = \"x\"\nkind = \"link\"\nurl = \"http://example.org/\"\n\n\
         [[asset]]\nid = \"js\"\ntitle = \"x\"\nkind = \"link\"\nurl = \"javascript:alert(1)\"\n\n\
         [[asset]]\nid = \"fits\"\ntitle = \"x\"\nkind = \"message\"\nchannel = \"x\"\ntext = \"{} https://example.org/{}\"\n\n\
         [[asset]]\nid = \"too-long\"\ntitle = \"x\"\nkind = \"message\"\nchannel = \"x\"\ntext = \"{long}\"\n\n\
         [[asset]]\nid = \"linkedin\"\ntitle = \"x\"\nkind = \"message\"\nchannel = \"LinkedIn\"\ntext = \"{long}\"\n\n\
         [[asset]]\nid = \"mastodon\"\ntitle = \"x\"\nkind = \"message\"\nchannel = \"pigeon\"\ntext = \"hi\"\n",
        "a".repeat(255),
        "b".repeat(100),
    ));
    let (c, v) = f.check(&[]);
    assert_eq!(c, 1);
    let p = problems(&v);
    let of = |id: &str| -> Vec<String> {
        p.iter()
            .filter(|(_, _, a)| a == id)
            .map(|(c, _, _)| c.clone())
            .collect()
    };
    assert_eq!(of("ftp"), ["bad-url"]);
    assert_eq!(of("creds"), ["bad-url"]);
    assert_eq!(of("plain"), ["insecure-url"]);
    assert_eq!(of("js"), ["bad-url"]);
    assert!(
        of("fits").is_empty(),
        "255 characters, a space and a link counted as 23 fit in 280"
    );
    assert_eq!(of("too-long"), ["message-too-long"]);
    assert!(of("linkedin").is_empty());
    assert_eq!(of("mastodon"), ["unknown-channel"]);

    // A configured limit applies.
    let (_, v) = f.check(&["--channel-limit", "pigeon=1"]);
    assert!(problems(&v).contains(&("message-too-long".into(), "error".into(), "mastodon".into())));
}

#[test]
fn videos_need_alt_transcript_and_captions() {
    let f = Fixture::new(&[]);
    f.manifest(
        "[[asset]]\nid = \"v\"\ntitle = \"x\"\nkind = \"video\"\nurl = \"https://example.org/v\"\n\n",
    );
    // A video given as a link is catalogued, not checked for media.
    let (_, v) = f.check(&[]);
    assert!(codes(&v).is_empty());

    let c = corpus();
    let mp4 = walkdir::WalkDir::new(c)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.path().extension().is_some_and(|x| x == "mp4"))
        .expect("corpus has a video");
    let bytes = fs::read(mp4.path()).expect("read");
    let f = Fixture::new(&[("v.mp4", &bytes)]);
    f.manifest(&file_asset("v", "v.mp4", &bytes).replace("kind = \"other\"", "kind = \"video\""));
    let (c, v) = f.check(&[]);
    assert_eq!(c, 0);
    let mut got = codes(&v);
    got.sort();
    assert_eq!(
        got,
        ["missing-alt", "missing-captions", "missing-transcript"]
    );
}

#[test]
fn print_offers_need_a_contact() {
    let f = Fixture::new(&[]);
    f.manifest("[[asset]]\nid = \"p\"\ntitle = \"x\"\nkind = \"link\"\nurl = \"https://x.org\"\nprint = { available = true, sizes = [\"A3\"], max_quantity = 0 }\n");
    let (c, v) = f.check(&[]);
    assert_eq!(c, 1);
    let got = codes(&v);
    assert!(
        got.contains(&"bad-value".to_owned()),
        "max_quantity 0: {got:?}"
    );
    assert!(got.contains(&"no-print-contact".to_owned()), "{got:?}");
}

#[test]
fn duplicate_provider_ids_across_manifests() {
    let f = Fixture::new(&[]);
    f.manifest("");
    fs::copy(f.path().join("test.toml"), f.path().join("again.toml")).expect("copy");
    let o = run(f.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code(&o), 1);
    assert_eq!(codes(&json(&o)), ["duplicate-id"]);
}

#[test]
fn folders_skip_bundle_specs() {
    let o = run(
        &repo(),
        &[
            "check",
            "packs/providers",
            "packs/bundles",
            "--format",
            "json",
            "--today",
            "2026-11-25",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(json(&o)["summary"]["manifests"], 9);
}

#[test]
fn hostile_manifests_never_crash() {
    let f = Fixture::new(&[]);
    let cases: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"[provider".to_vec(),
        b"provider = 3".to_vec(),
        b"[[provider]]\nid = \"x\"".to_vec(),
        b"[provider]\nid = \"x\"\nname = \"x\"\nasset = \"no\"".to_vec(),
        b"[provider]\nid = \"x\"\nname = \"x\"\n[[asset]]\nprint = 5\nrenditions = [1, \"a\", {}]\ntranscript = []\ncaptions = { file = 7 }\n".to_vec(),
        b"[provider]\nid = \"x\"\nname = \"x\"\n[[asset]]\nid = \"a\"\ntitle = \"t\"\nkind = \"other\"\nfile = \"a.pdf\"\nbytes = 99999999999999999999\n".to_vec(),
        b"[provider]\nid = \"x\"\nname = \"x\"\nbase = \"\\u0000\"\n".to_vec(),
        vec![0xff; 1000],
        "[provider]\nid = \"x\"\nname = \"\u{202e}\u{0}\"\n".as_bytes().to_vec(),
        "[a]\n".repeat(5000).into_bytes(),
        format!("x = {}1{}", "[".repeat(3000), "]".repeat(3000)).into_bytes(),
    ];
    for case in cases {
        fs::write(f.path().join("test.toml"), &case).expect("write");
        let o = run(f.path(), &["check", "test.toml", "--format", "json"]);
        let c = code(&o);
        assert!(
            c == 1 || c == 2,
            "exit {c} for {:?}: {}",
            String::from_utf8_lossy(&case),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
        json(&o);
    }
}

// --- scan ------------------------------------------------------------------------------------

#[test]
fn scan_writes_a_manifest_that_checks_clean() {
    let c = corpus();
    let dir = TempDir::new().expect("tempdir");
    let o = run(
        dir.path(),
        &[
            "scan",
            c.join("oup").to_str().expect("utf-8"),
            "--provider",
            "oup",
            "--name",
            "Oxford University Press",
            "-o",
            "oup.toml",
        ],
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let summary = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        summary.contains(" added, 0 updated, 0 vanished"),
        "{summary}"
    );
    let text = fs::read_to_string(dir.path().join("oup.toml")).expect("written");
    assert!(text.contains("name = \"Oxford University Press\""));
    assert!(text.contains("kind = \"poster\""));
    assert!(text.contains("media_type = \"application/pdf\""));
    // `base` is relative to the manifest's folder.
    let base_line = text
        .lines()
        .find(|l| l.starts_with("base = "))
        .expect("base written");
    assert!(base_line.starts_with("base = \"../"), "{base_line}");
    // Odd real-world names survive (spaces, accents, en dash).
    let o = run(dir.path(), &["check", "oup.toml", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let v = json(&o);
    let files = walkdir::WalkDir::new(c.join("oup"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .count();
    assert_eq!(v["summary"]["files"], files);
    assert!(!codes(&v).iter().any(|c| c == "unlisted-file"));

    // Standard output when there is no -o.
    let o = run(
        dir.path(),
        &[
            "scan",
            c.join("oup").to_str().expect("utf-8"),
            "--provider",
            "oup",
            "--quiet",
        ],
    );
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).starts_with("[provider]\nid = \"oup\""),
        "{}",
        stdout(&o)
    );
    // --quiet: the manifest and nothing else.
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
}

#[test]
fn rescan_updates_in_place_and_keeps_hand_edits() {
    let pdf = real_pdf();
    let png = real_png();
    let f = Fixture::new(&[
        ("posters/a.pdf", &pdf),
        ("social/card.png", &png),
        ("old.pdf", &pdf),
    ]);
    let o = run(
        f.path(),
        &["scan", "files", "--provider", "test", "-o", "test.toml"],
    );
    assert_eq!(code(&o), 0);
    let first = fs::read_to_string(f.path().join("test.toml")).expect("read");

    // Hand edits: a comment, a better title, alt text, a field of ours.
    let edited = first
        .replacen("[[asset]]", "# Keep this comment.\n[[asset]]", 1)
        .replace(
            "title = \"A\"",
            "title = \"Café poster – spring\" # hand-written",
        )
        .replace(
            "kind = \"social-card\"",
            "kind = \"social-card\"\nalt = \"A blue card\"",
        );
    assert_ne!(edited, first, "the edits applied");
    fs::write(f.path().join("test.toml"), &edited).expect("write");

    // Change a file, add one, remove one.
    let mut changed = pdf.clone();
    changed.extend_from_slice(b"\n% appended\n");
    fs::write(f.path().join("files/posters/a.pdf"), &changed).expect("write");
    fs::write(f.path().join("files/posters/b.pdf"), &pdf).expect("write");
    fs::remove_file(f.path().join("files/old.pdf")).expect("rm");

    let o = run(f.path(), &["scan", "files", "-o", "test.toml"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("old.pdf is listed but no longer there"),
        "{err}"
    );
    assert!(err.contains("1 added, 1 updated, 1 vanished"), "{err}");
    let after = fs::read_to_string(f.path().join("test.toml")).expect("read");
    assert!(after.contains("# Keep this comment.\n[[asset]]"));
    assert!(after.contains("title = \"Café poster – spring\" # hand-written"));
    assert!(after.contains("alt = \"A blue card\""));
    assert!(after.contains(&format!("sha256 = \"{}\"", sha256_hex(&changed))));
    assert!(after.contains(&format!("bytes = {}", changed.len())));
    assert!(
        after.contains("file = \"old.pdf\""),
        "vanished entries are kept"
    );
    // Order kept: the new file comes last.
    let pos = |s: &str| after.find(s).unwrap_or(usize::MAX);
    assert!(pos("file = \"old.pdf\"") < pos("file = \"posters/b.pdf\""));
    assert!(pos("file = \"posters/a.pdf\"") < pos("file = \"social/card.png\""));
    assert!(pos("file = \"social/card.png\"") < pos("file = \"posters/b.pdf\""));

    // Scanning again changes nothing.
    let o = run(f.path(), &["scan", "files", "-o", "test.toml"]);
    assert_eq!(code(&o), 0);
    assert_eq!(
        fs::read_to_string(f.path().join("test.toml")).expect("read"),
        after
    );

    // A provider mismatch is refused and leaves the file alone.
    let o = run(
        f.path(),
        &["scan", "files", "--provider", "other", "-o", "test.toml"],
    );
    assert_eq!(code(&o), 2);
    assert_eq!(
        fs::read_to_string(f.path().join("test.toml")).expect("read"),
        after
    );
}

#[test]
fn scan_pairs_videos_with_transcripts_and_reports_links() {
    let c = corpus();
    let mp4 = walkdir::WalkDir::new(c)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.path().extension().is_some_and(|x| x == "mp4"))
        .expect("corpus has a video");
    let video = fs::read(mp4.path()).expect("read");
    let f = Fixture::new(&[
        ("videos/intro.mp4", &video),
        (
            "videos/intro.vtt",
            b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n",
        ),
        ("videos/intro.txt", b"Hello"),
        (".DS_Store", b"junk"),
    ]);
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", f.path().join("files/passwd")).expect("symlink");
    let o = run(
        f.path(),
        &["scan", "files", "--provider", "test", "-o", "test.toml"],
    );
    assert_eq!(code(&o), 0);
    let text = fs::read_to_string(f.path().join("test.toml")).expect("read");
    assert_eq!(text.matches("[[asset]]").count(), 1, "{text}");
    assert!(
        text.contains("transcript = { file = \"videos/intro.txt\""),
        "{text}"
    );
    assert!(
        text.contains("captions = { file = \"videos/intro.vtt\""),
        "{text}"
    );
    assert!(!text.contains("DS_Store"));
    #[cfg(unix)]
    {
        assert!(!text.contains("passwd"));
        assert!(String::from_utf8_lossy(&o.stderr).contains("skipped passwd: symbolic link"));
    }
}

#[test]
fn scan_refuses_bad_input_cleanly() {
    let f = Fixture::new(&[("a.pdf", b"%PDF-1.4")]);
    let o = run(f.path(), &["scan", "files", "-o", "new.toml"]);
    assert_eq!(code(&o), 2, "a new manifest needs --provider");
    assert!(!f.path().join("new.toml").exists());
    let o = run(f.path(), &["scan", "files", "--provider", "Bad Id"]);
    assert_eq!(code(&o), 2);
    let o = run(f.path(), &["scan", "nowhere", "--provider", "x"]);
    assert_eq!(code(&o), 2);
    fs::write(f.path().join("broken.toml"), "[provider\n").expect("write");
    let o = run(f.path(), &["scan", "files", "-o", "broken.toml"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("broken.toml:1:"));
    assert_eq!(
        fs::read_to_string(f.path().join("broken.toml")).expect("read"),
        "[provider\n"
    );
}

#[cfg(unix)]
#[test]
fn scan_writes_readable_manifests_and_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new(&[("a.pdf", &real_pdf())]);
    let o = run(
        f.path(),
        &["scan", "files", "--provider", "test", "-o", "new.toml"],
    );
    assert_eq!(code(&o), 0);
    let mode = fs::metadata(f.path().join("new.toml"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    fs::set_permissions(f.path().join("new.toml"), fs::Permissions::from_mode(0o640))
        .expect("chmod");
    let o = run(f.path(), &["scan", "files", "-o", "new.toml"]);
    assert_eq!(code(&o), 0);
    let mode = fs::metadata(f.path().join("new.toml"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[test]
fn checking_a_bundle_spec_checks_its_manifests_and_selects() {
    let o = run(
        &repo(),
        &[
            "check",
            "packs/bundles/north-west-spring-2027.toml",
            "--format",
            "json",
            "--today",
            "2026-11-25",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(json(&o)["summary"]["manifests"], 9);

    let dir = shipped_copy();
    fs::write(
        dir.path().join("packs/bundles/typo.toml"),
        "[bundle]\nname = \"typo\"\nmanifests = [\"../providers/oup.toml\"]\n\n[[select]]\nprovider = \"oup\"\nkinds = [\"flyer\"]\nrenditions = [\"editble\"]\n",
    )
    .expect("write");
    let o = run(
        dir.path(),
        &[
            "check",
            "packs/bundles/typo.toml",
            "--format",
            "json",
            "--today",
            "2026-11-25",
        ],
    );
    assert_eq!(code(&o), 1);
    let v = json(&o);
    assert_eq!(codes(&v), ["unknown-reference"]);
    assert_eq!(v["problems"][0]["line"], 5);
    assert_eq!(v["summary"]["manifests"], 1);
}

#[test]
fn ids_that_windows_reserves_are_refused() {
    let f = Fixture::new(&[]);
    fs::write(
        f.path().join("test.toml"),
        "[provider]\nid = \"con\"\nname = \"Console\"\n\n[[asset]]\nid = \"aux\"\ntitle = \"x\"\nkind = \"message\"\ntext = \"hi\"\n",
    )
    .expect("write");
    let (c, v) = f.check(&[]);
    assert_eq!(c, 1);
    assert_eq!(codes(&v), ["bad-value", "bad-value"]);
}

#[test]
fn scan_refuses_to_turn_another_toml_file_into_a_manifest() {
    let f = Fixture::new(&[("a.pdf", &real_pdf())]);
    let cargo = "[package]\nname = \"x\"\nversion = \"0.1.0\"\n";
    fs::write(f.path().join("Cargo.toml"), cargo).expect("write");
    let o = run(
        f.path(),
        &["scan", "files", "--provider", "test", "-o", "Cargo.toml"],
    );
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a provider manifest"));
    assert_eq!(
        fs::read_to_string(f.path().join("Cargo.toml")).expect("read"),
        cargo
    );
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_never_opened_for_reading() {
    // A FIFO listed as an asset, and one lying unlisted under base: check must neither hang
    // nor read them.
    let pdf = real_pdf();
    let f = Fixture::new(&[("a.pdf", &pdf)]);
    for name in ["pipe.pdf", "stray-pipe"] {
        let status = std::process::Command::new("mkfifo")
            .arg(f.path().join("files").join(name))
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
    }
    f.manifest(&format!(
        "{}{}",
        file_asset("a", "a.pdf", &pdf),
        file_asset("pipe", "pipe.pdf", &pdf)
    ));
    let (c, v) = f.check(&[]);
    assert_eq!(c, 1);
    let p = problems(&v);
    assert!(
        p.contains(&("not-a-file".into(), "error".into(), "pipe".into())),
        "{p:?}"
    );
    assert!(p.iter().any(|(c, _, _)| c == "special-file"), "{p:?}");
    // A pack is refused, not hung (the index is made while the files are checked).
    let o = run(f.path(), &["build", "test.toml", "-o", "out.zip"]);
    assert_eq!(code(&o), 1);
    assert!(!f.path().join("out.zip").exists());
    // The index alone shows a placeholder for the pipe, without opening it for reading.
    let o = run(f.path(), &["index", "test.toml", "-o", "out.pdf"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("pipe.pdf"), "{err}");
    assert!(fs::read(f.path().join("out.pdf"))
        .expect("index written")
        .starts_with(b"%PDF-"));
}

#[test]
fn empty_files_and_media_type_parameters() {
    let html = b"<!DOCTYPE html><html><body>Hi</body></html>".to_vec();
    let f = Fixture::new(&[("empty.pdf", b""), ("sig.html", &html), ("notes.txt", b"")]);
    f.manifest(&format!(
        "{}{}{}",
        file_asset("empty", "empty.pdf", b""),
        file_asset("sig", "sig.html", &html)
            .replace("\n\n", "\nmedia_type = \"text/html; charset=utf-8\"\n\n"),
        file_asset("notes", "notes.txt", b""),
    ));
    let (c, v) = f.check(&[]);
    assert_eq!(c, 1);
    let p = problems(&v);
    assert_eq!(
        p,
        [(
            "corrupt-content".to_owned(),
            "error".to_owned(),
            "empty".to_owned()
        )],
        "{v:#}"
    );
}

#[test]
fn many_problems_of_one_kind_are_counted_past_the_first_few_unless_verbose() {
    let strays: Vec<(String, Vec<u8>)> = (0..8)
        .map(|i| (format!("stray-{i}.txt"), b"left here".to_vec()))
        .collect();
    let files: Vec<(&str, &[u8])> = strays
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let f = Fixture::new(&files);
    f.manifest("");
    let human = |extra: &[&str]| {
        let o = run(f.path(), &[&["check", "test.toml"][..], extra].concat());
        assert_eq!(code(&o), 0);
        stdout(&o)
    };
    let short = human(&[]);
    assert_eq!(
        short.matches("warning[unlisted-file]").count(),
        3,
        "{short}"
    );
    assert!(
        short.contains(
            "… and 5 more `unlisted-file` warnings in test.toml (`--verbose` shows them all"
        ),
        "{short}"
    );
    let all = human(&["--verbose"]);
    assert_eq!(all.matches("warning[unlisted-file]").count(), 8, "{all}");
    assert!(!all.contains("more `unlisted-file`"), "{all}");
    let (_, v) = f.check(&[]);
    assert_eq!(
        v["problems"].as_array().expect("problems").len(),
        8,
        "JSON has all"
    );
}

#[test]
fn diagnostics_are_coloured_only_for_a_terminal_or_when_forced() {
    let f = Fixture::new(&[]);
    f.manifest("[[asset]]\nid = \"a\"\ntitle = \"A\"\nkind = \"poster\"\nfile = \"gone.pdf\"\n");
    let piped = run(f.path(), &["check", "test.toml"]);
    assert!(!stdout(&piped).contains('\u{1b}'), "plain when piped");
    let forced = bin()
        .current_dir(f.path())
        .args(["check", "test.toml"])
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .output()
        .expect("runs");
    let text = stdout(&forced);
    assert!(
        text.contains("\u{1b}[1m\u{1b}[31merror[missing-file]"),
        "{text:?}"
    );
    let no_color = bin()
        .current_dir(f.path())
        .args(["check", "test.toml"])
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    assert!(!stdout(&no_color).contains('\u{1b}'), "NO_COLOR is plain");
}
