//! The HTML catalogue (`index.html` and `thumbs/` in every pack, `assetpack html`): what is in
//! the pack, and what a reader meets in a real browser. The browser tests drive Debian's
//! Chromium through `tests/browser/catalogue.mjs` (playwright-core, axe-core) against the page
//! opened over `file://` from an unzipped pack, and judge what it reports.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::{build_args, code, json, judge, run, shipped_copy, Judge};
use serde_json::Value;

/// What the browser saw, from `tests/browser/catalogue.mjs`.
fn browse(page: &Path, query: &str) -> Option<Value> {
    judge(Judge::Chromium)?;
    let shots = page.parent().expect("folder").join("shots");
    fs::create_dir_all(&shots).expect("mkdir");
    let o = std::process::Command::new("node")
        .arg(common::repo().join("tests/browser/catalogue.mjs"))
        .arg(page)
        .arg(&shots)
        .arg(query)
        .output()
        .expect("node runs");
    assert!(
        o.status.success(),
        "the browser script failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut seen: Value = serde_json::from_slice(&o.stdout).expect("the script prints JSON");
    seen["shots"] = Value::String(shots.display().to_string());
    Some(seen)
}

/// Builds the shipped bundle and unzips it with `verify --extract`; the pack's folder.
fn unzipped(dir: &Path, extra: &[&str]) -> std::path::PathBuf {
    let zip = dir.join("pack.zip");
    let o = run(dir, &build_args(&zip, extra));
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.join("out");
    let o = run(dir, &["verify", "pack.zip", "--extract", "out", "--quiet"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    out.join("north-west-spring-2027")
}

/// Builds the fixture's `test.toml` into `<name>.zip` and unzips it with `verify --extract`;
/// the pack's folder.
fn built_and_unzipped(dir: &Path, name: &str) -> std::path::PathBuf {
    let zip = format!("{name}.zip");
    let o = run(dir, &["build", "test.toml", "-o", &zip, "--quiet"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(dir, &["verify", &zip, "--extract", "out", "--quiet"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    dir.join("out").join(name)
}

/// Every asset of the pack's `manifest.json`: (card id, provider, title and tags, print,
/// message text).
struct Listed {
    card: String,
    provider: String,
    words: String,
    print: bool,
    text: Option<String>,
}

fn listed(pack: &Path) -> Vec<Listed> {
    let m: Value =
        serde_json::from_slice(&fs::read(pack.join("manifest.json")).expect("manifest.json"))
            .expect("JSON");
    let mut out = Vec::new();
    for p in m["provider"].as_array().expect("providers") {
        let pid = p["id"].as_str().expect("id");
        for a in p["asset"].as_array().expect("assets") {
            let tags: Vec<&str> = a["tags"]
                .as_array()
                .map(|t| t.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            out.push(Listed {
                card: format!("a-{pid}-{}", a["id"].as_str().expect("id")),
                provider: pid.to_owned(),
                words: format!("{} {}", a["title"].as_str().expect("title"), tags.join(" "))
                    .to_lowercase(),
                print: a["print"]["available"].as_bool() == Some(true),
                text: a["text"].as_str().map(str::to_owned),
            });
        }
    }
    out
}

fn ids(v: &Value) -> BTreeSet<&str> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|x| x.as_str().expect("an id"))
        .collect()
}

/// A screenshot is not blank: many colours, and no one colour covers nearly all of it.
fn assert_not_blank(png_path: &Path) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        fs::File::open(png_path).expect("screenshot"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("decodes");
    let px = info.color_type.samples();
    let mut counts = std::collections::HashMap::new();
    for p in buf[..info.buffer_size()].chunks(px) {
        *counts.entry(p[..3].to_vec()).or_insert(0usize) += 1;
    }
    let total: usize = counts.values().sum();
    let most = counts.values().max().copied().unwrap_or(0);
    assert!(
        counts.len() > 50 && most * 100 < total * 97,
        "{} looks blank: {} colours, the commonest on {most} of {total} pixels",
        png_path.display(),
        counts.len()
    );
}

#[test]
fn the_catalogue_works_in_a_real_browser_from_the_unzipped_pack() {
    let data = shipped_copy();
    let pack = unzipped(data.path(), &[]);
    let assets = listed(&pack);
    let probe = assets
        .iter()
        .find(|a| a.words.contains("evidence"))
        .expect("an asset about evidence");
    let Some(seen) = browse(&pack.join("index.html"), "Evidence") else {
        return;
    };
    let s = &seen["seen"];
    for what in ["failed_requests", "console_errors", "page_errors"] {
        assert_eq!(s[what], serde_json::json!([]), "{what}");
    }

    // One card per asset of the pack, each link and image a file of the pack.
    let cards: BTreeSet<&str> = seen["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    let expected: BTreeSet<&str> = assets.iter().map(|a| a.card.as_str()).collect();
    assert_eq!(cards, expected);
    let links = seen["links"].as_array().expect("links");
    assert!(links.len() > assets.len() / 2, "{links:?}");
    for l in links {
        assert_eq!(l["exists"], true, "a link leads nowhere: {l}");
        let href = l["href"].as_str().expect("href");
        assert!(
            href.contains("/north-west-spring-2027/"),
            "outside the pack: {href}"
        );
    }
    let images = seen["images"].as_array().expect("images");
    assert!(images.len() >= 10, "{images:?}");
    for i in images {
        assert_eq!(i["decoded"], true, "an image does not show: {i}");
        assert!(
            i["alt"].as_str().is_some_and(|a| !a.trim().is_empty()),
            "no alt text: {i}"
        );
    }

    // Filters: by provider exactly its assets; printed copies exactly those on offer; search
    // by a word of a title.
    assert_eq!(seen["filters_shown"], true);
    for (provider, visible) in seen["by_provider"].as_object().expect("by provider") {
        let want: BTreeSet<&str> = assets
            .iter()
            .filter(|a| &a.provider == provider)
            .map(|a| a.card.as_str())
            .collect();
        assert_eq!(ids(visible), want, "filtered by {provider}");
    }
    let printed: BTreeSet<&str> = assets
        .iter()
        .filter(|a| a.print)
        .map(|a| a.card.as_str())
        .collect();
    assert!(!printed.is_empty());
    assert_eq!(ids(&seen["print_only"]), printed);
    let found = ids(&seen["search"]["visible"]);
    assert!(found.contains(probe.card.as_str()), "{found:?}");
    let matching: BTreeSet<&str> = assets
        .iter()
        .filter(|a| a.words.contains("evidence"))
        .map(|a| a.card.as_str())
        .collect();
    assert_eq!(found, matching);

    // "Copy" puts the message's text on the clipboard, as the manifest gives it.
    let copied = &seen["copied"];
    let card = copied["message"]
        .as_str()
        .expect("a message was copied")
        .replacen("m-", "a-", 1);
    let message = assets.iter().find(|a| a.card == card).expect("the message");
    assert_eq!(copied["text"].as_str(), message.text.as_deref());

    // Fewer than a page of cards: all shown at once, no "Show more".
    assert_eq!(seen["paging"]["visible"], assets.len());
    assert_eq!(seen["paging"]["after_each_more"], serde_json::json!([]));

    // Keyboard, structure, audit, screens.
    assert_eq!(seen["first_tab"], "skip");
    assert_eq!(seen["keyboard_reaches_search"], true);
    let headings: Vec<&str> = seen["headings"]
        .as_array()
        .expect("headings")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(headings.iter().filter(|h| **h == "H1").count(), 1);
    for pair in headings.windows(2) {
        let level = |h: &str| h[1..].parse::<u8>().expect("a level");
        assert!(
            level(pair[1]) <= level(pair[0]) + 1,
            "a level skipped: {pair:?}"
        );
    }
    let serious: Vec<&Value> = seen["axe"]
        .as_array()
        .expect("axe")
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(serious.is_empty(), "axe-core: {serious:#?}");
    assert_eq!(
        seen["phone_overflow"], false,
        "the phone page scrolls sideways"
    );
    let shots = Path::new(seen["shots"].as_str().expect("shots"));
    assert_not_blank(&shots.join("desktop.png"));
    assert_not_blank(&shots.join("phone.png"));

    // Scripts off: everything listed, nothing offered that needs them.
    assert_eq!(seen["no_js"]["visible"], assets.len());
    assert_eq!(seen["no_js"]["filters_shown"], false);
    assert_eq!(seen["no_js"]["copy_buttons_shown"], 0);
}

#[test]
fn hostile_names_and_titles_stay_text_and_links_still_resolve() {
    let png = common::real_png();
    let pdf = common::real_pdf();
    let fx = common::Fixture::new(&[
        ("odd names/poster #1 100% [final];.pdf", &pdf),
        ("odd names/café ü.png", &png),
    ]);
    let manifest = format!(
        "{}{}[[asset]]\nid = \"msg\"\ntitle = \"</script><img src=x onerror=alert(1)> & friends\"\nkind = \"message\"\ntext = \"Line one <b>not bold</b>\\nline two & \\\"quotes\\\"\"\nchannel = \"x\"\n",
        common::file_asset("poster", "odd names/poster #1 100% [final];.pdf", &pdf),
        common::file_asset("card", "odd names/café ü.png", &png)
            .replace("title = \"card\"", "title = \"<script>alert(1)</script> card\""),
    );
    fx.manifest(&manifest);
    let page = built_and_unzipped(fx.path(), "odd").join("index.html");
    let html = fs::read_to_string(&page).expect("index.html");
    assert!(!html.contains("<script>alert"), "a title became markup");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; card"));
    let Some(seen) = browse(&page, "friends") else {
        return;
    };
    let s = &seen["seen"];
    for what in ["failed_requests", "console_errors", "page_errors"] {
        assert_eq!(s[what], serde_json::json!([]), "{what}");
    }
    for l in seen["links"].as_array().expect("links") {
        assert_eq!(l["exists"], true, "a link leads nowhere: {l}");
    }
    for i in seen["images"].as_array().expect("images") {
        assert_eq!(i["decoded"], true, "an image does not show: {i}");
    }
    assert_eq!(
        ids(&seen["search"]["visible"]),
        BTreeSet::from(["a-test-msg"])
    );
    assert_eq!(
        seen["copied"]["text"],
        "Line one <b>not bold</b>\nline two & \"quotes\""
    );
}

#[test]
fn a_large_catalogue_shows_a_page_at_a_time_and_searches_them_all() {
    let fx = common::Fixture::new(&[]);
    let mut assets = String::new();
    for i in 0..450 {
        let tag = if i == 321 { "zebra" } else { "plain" };
        assets.push_str(&format!(
            "[[asset]]\nid = \"link-{i}\"\ntitle = \"Link {i}\"\nkind = \"link\"\nurl = \"https://example.org/{i}\"\ntags = [\"{tag}\"]\n\n"
        ));
    }
    fx.manifest(&assets);
    let page = built_and_unzipped(fx.path(), "many").join("index.html");
    let html = fs::read_to_string(&page).expect("index.html");
    assert_eq!(
        html.matches("<li class=\"card\"").count(),
        450,
        "all listed without scripts"
    );
    let Some(seen) = browse(&page, "zebra") else {
        return;
    };
    assert_eq!(seen["seen"]["console_errors"], serde_json::json!([]));
    assert_eq!(seen["paging"]["visible"], 200);
    assert_eq!(
        seen["paging"]["status"],
        "Showing the first 200 of all 450 assets"
    );
    assert_eq!(
        seen["paging"]["after_each_more"],
        serde_json::json!([400, 450])
    );
    assert_eq!(
        ids(&seen["search"]["visible"]),
        BTreeSet::from(["a-test-link-321"])
    );
    assert_eq!(seen["no_js"]["visible"], 450);
}

#[test]
fn every_pack_lists_its_catalogue_and_thumbnails_in_its_checksums() {
    let data = shipped_copy();
    let pack = unzipped(data.path(), &[]);
    let sums = fs::read_to_string(pack.join("SHA256SUMS")).expect("sums");
    assert!(sums.contains("  index.html\n"), "{sums}");
    let thumbs: Vec<&str> = sums
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(_, p)| p))
        .filter(|p| p.starts_with("thumbs/"))
        .collect();
    assert!(thumbs.len() >= 10, "{thumbs:?}");
    for t in &thumbs {
        let bytes = fs::read(pack.join(t)).expect("a listed thumbnail is in the pack");
        let is_png = bytes.starts_with(b"\x89PNG\r\n\x1a\n");
        let is_jpeg = bytes.starts_with(&[0xff, 0xd8, 0xff]);
        assert!(
            (t.ends_with(".png") && is_png) || (t.ends_with(".jpg") && is_jpeg),
            "{t} is not what its name says"
        );
    }
    // Thumbnails are small: none over 144 pixels a side, all of them a fraction of the pack.
    let total: u64 = thumbs
        .iter()
        .map(|t| fs::metadata(pack.join(t)).expect("meta").len())
        .sum();
    assert!(total < 300_000, "thumbnails take {total} bytes");
}

#[test]
fn no_html_leaves_the_catalogue_out_and_no_index_keeps_it() {
    let data = shipped_copy();
    let names = |extra: &[&str], zip: &str| {
        let zip = data.path().join(zip);
        let o = run(data.path(), &build_args(&zip, extra));
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        let o = run(
            data.path(),
            &["verify", zip.to_str().expect("utf-8"), "--format", "json"],
        );
        assert_eq!(code(&o), 0);
        let listing = String::from_utf8_lossy(&fs::read(&zip).expect("zip")).into_owned();
        (
            listing.contains("north-west-spring-2027/index.html"),
            listing.contains("north-west-spring-2027/thumbs/"),
            listing.contains("north-west-spring-2027/index.pdf"),
        )
    };
    assert_eq!(names(&["--no-html"], "a.zip"), (false, false, true));
    assert_eq!(names(&["--no-index"], "b.zip"), (true, true, false));
    assert_eq!(
        names(&["--no-index", "--no-html"], "c.zip"),
        (false, false, false)
    );
}

#[test]
fn a_bag_keeps_the_catalogue_beside_its_payload() {
    let data = shipped_copy();
    let pack = unzipped(data.path(), &["--layout", "bagit"]);
    let html = fs::read_to_string(pack.join("data/index.html")).expect("data/index.html");
    let href = html
        .split("class=\"open\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a link");
    assert!(pack.join("data").join(href).is_file(), "{href}");
    assert!(pack.join("data/thumbs").is_dir());
}

#[test]
fn html_previews_a_bundle_with_links_to_the_files_where_they_are() {
    let data = shipped_copy();
    let dir = data.path().join("preview");
    let o = run(
        data.path(),
        &["html", common::BUNDLE, "-o", "preview", "--format", "json"],
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let doc = json(&o);
    assert_eq!(doc["ok"], true);
    let html = fs::read_to_string(dir.join("index.html")).expect("index.html");
    let hrefs: Vec<&str> = html
        .split("class=\"open\" href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert!(hrefs.len() > 20, "{hrefs:?}");
    for href in hrefs {
        let decoded = percent_decode(href);
        assert!(dir.join(&decoded).is_file(), "{href} leads nowhere");
        assert!(
            href.starts_with("../"),
            "{href} is not relative to the sources"
        );
    }
    assert!(dir.join("thumbs").is_dir());
    // Again: an earlier catalogue is replaced whole.
    let o = run(
        data.path(),
        &["html", common::BUNDLE, "-o", "preview", "--quiet"],
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));

    // A folder with anything else in it is refused and left as it was.
    let other = data.path().join("other");
    fs::create_dir_all(&other).expect("mkdir");
    fs::write(other.join("notes.txt"), "mine").expect("write");
    let o = run(data.path(), &["html", common::BUNDLE, "-o", "other"]);
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("choose a new or empty folder"), "{err}");
    assert_eq!(
        fs::read_to_string(other.join("notes.txt")).expect("kept"),
        "mine"
    );
    assert!(!other.join("index.html").exists());
}

/// `%XX` decoded (the test's own: the hrefs are ASCII).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}
