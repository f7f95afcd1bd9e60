//! End-to-end tests of `assetpack index`, judged by qpdf, poppler and pypdf (each skipped
//! with a line saying so when it is not installed; see `common::judges`).

mod common;

use std::fs;
use std::path::Path;
use std::process::Command as Std;

use common::*;
use tempfile::TempDir;

fn tool(cmd: &mut Std) -> (bool, String, String) {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} could not start: {e}"));
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The PDF's text by poppler's `pdftotext`, or `None` (skipped) when it is not installed.
fn pdftotext(pdf: &Path) -> Option<String> {
    let (ok, out, err) = tool(
        judge(Judge::Pdftotext)?
            .cmd()
            .arg("-enc")
            .arg("UTF-8")
            .arg(pdf)
            .arg("-"),
    );
    assert!(ok, "pdftotext: {err}");
    Some(out)
}

/// `qpdf --check` passes on `pdf` (when qpdf is installed).
fn qpdf_check(pdf: &Path) {
    if let Some(qpdf) = judge(Judge::Qpdf) {
        let (ok, out, err) = tool(qpdf.cmd().arg("--check").arg(pdf));
        assert!(ok, "qpdf --check: {out}{err}");
        assert!(out.contains("No syntax or stream encoding errors"), "{out}");
    }
}

#[test]
fn shipped_bundle_index_is_clean_and_complete() {
    let data = shipped_copy();
    let out = TempDir::new().expect("tempdir");
    let pdf = out.path().join("index.pdf");
    let o = run(
        data.path(),
        &[
            "index",
            "packs/bundles/north-west-spring-2027.toml",
            "-o",
            pdf.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));

    qpdf_check(&pdf);
    if let Some(text) = pdftotext(&pdf) {
        index_text_is_complete(&text);
    }
    if let Some(qpdf) = judge(Judge::Qpdf) {
        index_fields_and_bookmarks_are_there(qpdf, &pdf);
    }
    // Poppler renders every page without complaint.
    if let Some(pdftoppm) = judge(Judge::Pdftoppm) {
        let (ok, _, err) = tool(
            pdftoppm
                .cmd()
                .args(["-r", "20", "-png"])
                .arg(&pdf)
                .arg(out.path().join("p")),
        );
        assert!(ok && err.trim().is_empty(), "pdftoppm: {err}");
    }
}

fn index_text_is_complete(text: &str) {
    for want in [
        "North West libraries: spring 2027 promotion pack",
        "Contents",
        "Oxford University Press",
        "Find it on the Hub – A3 poster",
        "#AMillionDecisions",
        "Printed-materials request form",
        "Printed copies available",
        "https://bestpractice.bmj.com/oauth2/login",
        "Transcript: yes · Captions: yes",
        "MP4 video, 0:06",
        "of 280 characters (x)",
    ] {
        assert!(text.contains(want), "`{want}` not in the text");
    }
    let pages = text.matches("Page ").count();
    assert!(pages >= 10, "every page has a footer");
    assert!(text.contains(&format!("Page {pages} of {pages}")));
}

fn index_fields_and_bookmarks_are_there(qpdf: Judge, pdf: &Path) {
    // Fillable fields named after provider, asset and size, with the requester's boxes.
    let (ok, json, err) = tool(qpdf.cmd().arg("--json").arg("--json-key=acroform").arg(pdf));
    assert!(ok, "{err}");
    for field in [
        "qty.oup.a3-poster-oxford-handbooks.A3",
        "qty.oup.a3-poster-oxford-handbooks.A4",
        "qty.openathens.bookmark.bookmark",
        "requester.name",
        "requester.address",
    ] {
        assert!(
            json.contains(&format!("\"fullname\": \"{field}\"")),
            "field {field} missing"
        );
    }
    assert!(
        !json.contains("qty.oup.interactive-flyer"),
        "only printable items get boxes"
    );

    // Bookmarks per provider.
    let (_, outline, _) = tool(qpdf.cmd().arg("--json").arg("--json-key=outlines").arg(pdf));
    assert!(
        outline.contains("\"title\": \"BMJ Best Practice\""),
        "{outline}"
    );
}

#[test]
fn unicode_titles_come_back_exactly() {
    let f = Fixture::new(&[]);
    f.manifest(
        "[[asset]]\nid = \"cafe\"\ntitle = \"Café poster (final)\"\nkind = \"link\"\nurl = \"https://example.org/cafe\"\n\n\
         [[asset]]\nid = \"guide\"\ntitle = \"Quick guide – v2\"\nkind = \"link\"\nurl = \"https://example.org/guide\"\n\n\
         [[asset]]\nid = \"welsh\"\ntitle = \"Gwasanaeth Llyfrgell – ŵ ŷ\"\nkind = \"message\"\nchannel = \"x\"\ntext = \"Siân a Llŷr: #AMillionDecisions\"\n",
    );
    let o = run(f.path(), &["index", "test.toml", "-o", "idx.pdf"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let Some(text) = pdftotext(&f.path().join("idx.pdf")) else {
        return;
    };
    for want in [
        "Café poster (final)",
        "Quick guide – v2",
        "Gwasanaeth Llyfrgell – ŵ ŷ",
        "Siân a Llŷr: #AMillionDecisions",
    ] {
        assert!(text.contains(want), "`{want}` did not round-trip:\n{text}");
    }
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let data = shipped_copy();
    let a = run(
        data.path(),
        &[
            "index",
            "packs/bundles/north-west-spring-2027.toml",
            "-o",
            "a.pdf",
        ],
    );
    let b = run(
        data.path(),
        &[
            "index",
            "packs/bundles/north-west-spring-2027.toml",
            "-o",
            "b.pdf",
        ],
    );
    assert_eq!((code(&a), code(&b)), (0, 0));
    let (x, y) = (
        fs::read(data.path().join("a.pdf")).expect("a"),
        fs::read(data.path().join("b.pdf")).expect("b"),
    );
    assert!(x == y, "two runs differ");
    let text = String::from_utf8_lossy(&x);
    assert!(
        !text.contains("2026-11") && !text.contains("D:2026"),
        "no wall-clock date in the file"
    );
}

#[test]
fn a_damaged_image_gets_a_placeholder_and_a_warning() {
    let png = real_png();
    let cut = png[..png.len() / 2].to_vec();
    let f = Fixture::new(&[("ok.png", &png), ("cut.png", &cut)]);
    f.manifest(&format!(
        "{}{}",
        file_asset("ok", "ok.png", &png)
            .replace("kind = \"other\"", "kind = \"logo\"\nalt = \"x\""),
        file_asset("cut", "cut.png", &cut)
            .replace("kind = \"other\"", "kind = \"logo\"\nalt = \"x\""),
    ));
    let o = run(f.path(), &["index", "test.toml", "-o", "idx.pdf"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cut.png"), "the warning names the file: {err}");
    assert!(!err.contains("ok.png"), "{err}");
    qpdf_check(&f.path().join("idx.pdf"));
}

#[test]
fn the_form_takes_welsh_names_typed_on_screen() {
    // pypdf fills the fields and draws their appearance with the form's own field font, as a
    // viewer does when someone types; the text must come back out of the drawn appearance.
    let data = shipped_copy();
    let o = run(
        data.path(),
        &[
            "index",
            "packs/bundles/north-west-spring-2027.toml",
            "-o",
            "idx.pdf",
        ],
    );
    assert_eq!(code(&o), 0);
    let script = "import sys\nfrom pypdf import PdfReader, PdfWriter\n\
        w = PdfWriter(clone_from=PdfReader(sys.argv[1]))\n\
        for p in w.pages:\n\
        \x20   w.update_page_form_field_values(p, {'requester.name': 'Siân Llŷr', 'requester.organisation': 'Gwasanaeth Llyfrgell – ŵ ŷ', 'qty.oup.a3-poster-oxford-handbooks.A3': '12'}, auto_regenerate=False)\n\
        w.write(sys.argv[2])\n\
        f = PdfReader(sys.argv[2]).get_fields()\n\
        print(f['requester.name'].get('/V'))\n";
    let Some(pypdf) = judge(Judge::Pypdf) else {
        return;
    };
    let (ok, out, err) = tool(
        pypdf
            .cmd()
            .arg("-c")
            .arg(script)
            .arg(data.path().join("idx.pdf"))
            .arg(data.path().join("filled.pdf")),
    );
    assert!(ok, "pypdf: {err}");
    assert_eq!(out.trim(), "Siân Llŷr", "the stored value is Unicode");
    if let Some(text) = pdftotext(&data.path().join("filled.pdf")) {
        assert!(
            text.contains("Siân Llŷr"),
            "the typed name is drawn in a font that has ŷ:\n{text}"
        );
        assert!(text.contains("Gwasanaeth Llyfrgell – ŵ ŷ"));
    }
    qpdf_check(&data.path().join("filled.pdf"));
}

#[test]
fn contents_links_and_bookmarks_lead_to_the_provider_pages() {
    let data = shipped_copy();
    let o = run(
        data.path(),
        &[
            "index",
            "packs/bundles/north-west-spring-2027.toml",
            "-o",
            "idx.pdf",
        ],
    );
    assert_eq!(code(&o), 0);
    // For each provider: the page its bookmark opens, the page its contents link opens, and
    // the page whose text starts with its name must be the same.
    let script = "import sys\nfrom pypdf import PdfReader\n\
        r = PdfReader(sys.argv[1])\n\
        idx = {p.indirect_reference.idnum: i for i, p in enumerate(r.pages)}\n\
        links = [idx[a.get_object()['/A']['/D'][0].idnum] for a in r.pages[1].get('/Annots', []) if a.get_object().get('/A', {}).get('/S') == '/GoTo']\n\
        marks = [(o.title, r.get_destination_page_number(o)) for o in r.outline]\n\
        for (title, page), link in zip(marks, links):\n\
        \x20   text = r.pages[page].extract_text()\n\
        \x20   assert text.lstrip().startswith(title), (title, page, text[:60])\n\
        \x20   assert link == page, (title, link, page)\n\
        print(len(marks), len(links))\n";
    let Some(pypdf) = judge(Judge::Pypdf) else {
        return;
    };
    let (ok, out, err) = tool(
        pypdf
            .cmd()
            .arg("-c")
            .arg(script)
            .arg(data.path().join("idx.pdf")),
    );
    assert!(ok, "{err}");
    let counts: Vec<usize> = out
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(counts[0], 9, "a bookmark per provider");
    assert_eq!(
        counts[1], 10,
        "a contents link per provider and one for the form"
    );
}

#[test]
fn files_that_are_not_what_their_names_say_get_a_placeholder_and_a_warning() {
    let pdf = real_pdf();
    let f = Fixture::new(&[
        ("logo.png", b"just some text"),
        (
            "poster.pdf",
            b"<!DOCTYPE html><html><body>Not found</body></html>",
        ),
        ("real.pdf", &pdf),
    ]);
    f.manifest(&format!(
        "{}{}{}",
        file_asset("logo", "logo.png", b"just some text")
            .replace("kind = \"other\"", "kind = \"logo\"\nalt = \"x\""),
        file_asset(
            "poster",
            "poster.pdf",
            b"<!DOCTYPE html><html><body>Not found</body></html>"
        )
        .replace("kind = \"other\"", "kind = \"poster\""),
        file_asset("real", "real.pdf", &pdf).replace("kind = \"other\"", "kind = \"poster\""),
    ));
    let o = run(f.path(), &["index", "test.toml", "-o", "idx.pdf"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("test/logo.png: named as image/png but its content is text/plain"),
        "{err}"
    );
    assert!(
        err.contains("test/poster.pdf: named as application/pdf but its content is text/html"),
        "{err}"
    );
    assert!(!err.contains("real.pdf"), "{err}");
    qpdf_check(&f.path().join("idx.pdf"));
}

/// A provider manifest for `provider`'s folder of the tiny corpus, written by `assetpack scan`.
fn scanned(dir: &Path, provider: &str) -> String {
    let manifest = format!("{provider}.toml");
    scan_into(dir, &corpus().join(provider), provider, &manifest);
    manifest
}

#[test]
fn page_sizes_are_read_from_pdfs_another_tool_rewrote() {
    // qpdf rewrites a classic PDF with compressed object streams and a cross-reference stream,
    // as many producers write them.
    let Some(qpdf) = judge(Judge::Qpdf) else {
        return;
    };
    let pdf = real_pdf();
    let f = Fixture::new(&[("orig.pdf", &pdf)]);
    let o = qpdf
        .cmd()
        .args(["--object-streams=generate", "--compress-streams=y"])
        .arg(f.path().join("files/orig.pdf"))
        .arg(f.path().join("files/poster.pdf"))
        .output()
        .expect("qpdf runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rewritten = fs::read(f.path().join("files/poster.pdf")).expect("read");
    assert!(
        !rewritten.windows(9).any(|w| w == b"/MediaBox"),
        "the page size is compressed"
    );
    fs::remove_file(f.path().join("files/orig.pdf")).expect("rm");
    f.manifest(
        &file_asset("poster", "poster.pdf", &rewritten)
            .replace("kind = \"other\"", "kind = \"poster\""),
    );
    let o = run(f.path(), &["index", "test.toml", "-o", "idx.pdf"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    if let Some(text) = pdftotext(&f.path().join("idx.pdf")) {
        assert!(text.contains("A3 PDF"), "{text}");
    }
}

#[test]
fn page_sizes_are_read_from_pdfs_of_every_producer_style() {
    // The corpus's A3 posters cycle through a cross-reference table, a /MediaBox inherited
    // from the page tree, and compressed object streams (where a byte search finds nothing).
    let dir = TempDir::new().expect("tempdir");
    let manifest = scanned(dir.path(), "oup");
    let o = run(dir.path(), &["index", &manifest, "-o", "idx.pdf"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let Some(text) = pdftotext(&dir.path().join("idx.pdf")) else {
        return;
    };
    let text = text.replace('\n', " ");
    assert!(
        text.matches("A3 PDF").count() >= 4,
        "every A3 poster is named A3:\n{text}"
    );
    assert!(text.contains("Letter PDF"), "the US Letter guide:\n{text}");
    assert!(text.contains("DL PDF") && text.contains("A6 PDF"), "{text}");
}

#[test]
fn a_bag_index_shows_paths_under_data_and_the_same_edition_as_its_manifest() {
    let dir = TempDir::new().expect("tempdir");
    let manifest = scanned(dir.path(), "maudsley");
    // No bundle, so no bundle date: the edition comes from the newest review date.
    let text = fs::read_to_string(dir.path().join(&manifest)).expect("read");
    let text = text.replacen("[[asset]]", "last_reviewed = 2026-04-30\n\n[[asset]]", 1);
    fs::write(dir.path().join(&manifest), text).expect("write");
    let o = bin()
        .current_dir(dir.path())
        .env_remove("SOURCE_DATE_EPOCH")
        .args([
            "build", &manifest, "-o", "m.zip", "--layout", "bagit", "--quiet",
        ])
        .output()
        .expect("runs");
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let x = TempDir::new().expect("tempdir");
    zip::ZipArchive::new(fs::File::open(dir.path().join("m.zip")).expect("open"))
        .expect("a ZIP")
        .extract(x.path())
        .expect("extracts");
    let bag = x.path().join("m");
    let info = fs::read_to_string(bag.join("bag-info.txt")).expect("bag-info");
    assert!(info.contains("Source-Organization: maudsley"), "{info}");
    assert!(info.contains("Bagging-Date: 2026-04-30"), "{info}");
    let resolved = fs::read_to_string(bag.join("data/manifest.toml")).expect("manifest");
    assert!(resolved.contains("edition = \"2026-04-30\""), "{resolved}");
    let Some(text) = pdftotext(&bag.join("data/index.pdf")) else {
        return;
    };
    assert!(text.contains("2026-04-30"), "the cover's edition:\n{text}");
    assert!(
        text.contains("data/maudsley/posters/"),
        "paths in the bag:\n{text}"
    );
}

/// The thumbnails a kept cache holds (`derived/` in `--cache DIR`) after a build, by name.
fn kept_thumbnails(cache: &Path) -> Vec<(String, Vec<u8>)> {
    let mut kept: Vec<(String, Vec<u8>)> = fs::read_dir(cache.join("derived"))
        .expect("the cache keeps thumbnails")
        .map(|e| e.expect("an entry").path())
        .map(|p| {
            let name = p
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            (name, fs::read(&p).expect("readable"))
        })
        .collect();
    kept.sort();
    kept
}

/// A derived record as the cache writes one: the SHA-256 of the record, then the record.
fn derived_file(record: &[u8]) -> Vec<u8> {
    let hex = sha256_hex(record);
    let mut out: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
        .collect();
    out.extend_from_slice(record);
    out
}

#[test]
fn a_kept_cache_spares_the_next_build_its_thumbnails_and_changes_no_byte() {
    let data = shipped_copy();
    let d = data.path();
    for dir in ["plain", "cold", "warm", "mended", "forged"] {
        fs::create_dir(d.join(dir)).expect("a folder");
    }
    let build = |dir: &str, cache: bool| {
        let zip = d.join(dir).join("north.zip");
        let mut args = build_args(&zip, &[]);
        if cache {
            args.extend(["--cache", "kept"]);
        }
        assert_eq!(code(&run(d, &args)), 0, "{dir}");
        fs::read(&zip).expect("the pack")
    };
    let plain = build("plain", false);
    assert!(
        plain == build("cold", true),
        "a cold cache changed the pack"
    );
    let kept = kept_thumbnails(&d.join("kept"));
    assert!(
        kept.len() >= 3,
        "posters, PDFs and logos are kept: {} records",
        kept.len()
    );
    assert!(
        plain == build("warm", true),
        "kept thumbnails changed the pack"
    );
    assert!(
        kept == kept_thumbnails(&d.join("kept")),
        "a warm build made them again"
    );

    // Damaged on disk: noticed, made again as they were, and the pack is the same.
    for (name, _) in &kept {
        fs::write(d.join("kept/derived").join(name), b"damaged").expect("written");
    }
    assert!(
        plain == build("mended", true),
        "damaged records changed the pack"
    );
    assert!(
        kept == kept_thumbnails(&d.join("kept")),
        "not made again as they were"
    );

    // A sound record is taken as it is (this is what spares the decoding): one forged for
    // every image shows in the views.
    let one_grey_pixel = [
        &1u32.to_le_bytes()[..],
        &1u32.to_le_bytes(),
        &[128, 128, 128],
    ]
    .concat();
    for (name, _) in &kept {
        let file = derived_file(&one_grey_pixel);
        fs::write(d.join("kept/derived").join(name), file).expect("written");
    }
    assert!(
        plain != build("forged", true),
        "the kept thumbnails were not used"
    );
}
