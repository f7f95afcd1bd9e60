//! `check --preflight`: what printers and accessibility auditors would reject, found on real
//! files made here (PDFs at right and wrong sizes, with and without bleed, standard-14 and
//! embedded fonts, placed images; PNGs; HTML signatures; MP4 boxes).

mod common;

use common::made::{mp4, pdf, png, PdfSpec};
use common::{code, json, run, sha256_hex, Fixture};

/// An asset of `kind` for `file` holding `bytes`, with `extra` TOML lines.
fn asset(id: &str, kind: &str, file: &str, bytes: &[u8], extra: &str) -> String {
    format!(
        "[[asset]]\nid = \"{id}\"\ntitle = \"{id}\"\nkind = \"{kind}\"\nfile = \"{file}\"\nsha256 = \"{}\"\nbytes = {}\nalt = \"{id}\"\n{extra}\n\n",
        sha256_hex(bytes),
        bytes.len()
    )
}

/// Runs `check --preflight` (and `extra`) on a provider of `files` whose assets are made by
/// `assets` from them; the exit code and every finding as (asset, code, severity, message).
fn preflight(
    files: &[(&str, Vec<u8>)],
    assets: &[(&str, &str, &str, &str)],
    extra: &[&str],
) -> (i32, Vec<(String, String, String, String)>) {
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let fx = Fixture::new(&borrowed);
    let mut text = String::new();
    for (id, kind, file, more) in assets {
        let bytes = &files.iter().find(|(n, _)| n == file).expect("a file").1;
        text.push_str(&asset(id, kind, file, bytes, more));
    }
    fx.manifest(&text);
    let (exit, v) = fx.check(extra);
    let found = v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
            (s("asset"), s("code"), s("severity"), s("message"))
        })
        .collect();
    (exit, found)
}

/// The codes preflight adds (the rest are `check`'s own).
const PREFLIGHT: [&str; 13] = [
    "print-size-mismatch",
    "print-size-unknown",
    "print-size-measured",
    "low-resolution",
    "unprintable-resolution",
    "font-not-embedded",
    "rgb-only",
    "pdf-unreadable",
    "page-count",
    "social-card-shape",
    "signature-html",
    "signature-script",
    "video-format",
];

/// The preflight codes found on `asset`.
fn codes_of<'a>(found: &'a [(String, String, String, String)], asset: &str) -> Vec<&'a str> {
    found
        .iter()
        .filter(|f| f.0 == asset && PREFLIGHT.contains(&f.1.as_str()))
        .map(|f| f.1.as_str())
        .collect()
}

fn print(sizes: &str) -> String {
    format!("print = {{ available = true, sizes = [{sizes}] }}")
}

fn embedded(w: f64, h: f64) -> Vec<u8> {
    pdf(&PdfSpec {
        embed_font: true,
        ..PdfSpec::page(w, h)
    })
}

#[test]
fn page_sizes_are_judged_against_every_declared_size() {
    let bled = pdf(&PdfSpec {
        trim_inset_mm: Some(3.0),
        embed_font: true,
        ..PdfSpec::page(303.0, 426.0)
    });
    let files = [
        ("a3.pdf", embedded(297.0, 420.0)),
        ("bled.pdf", bled),
        ("a4.pdf", embedded(210.0, 297.0)),
        ("letter.pdf", embedded(215.9, 279.4)),
        ("bookmark.pdf", embedded(50.0, 210.0)),
    ];
    let a3 = print("\"A3\"");
    let a3_a2 = print("\"A3\", \"a2\"");
    let a4 = print("\"A4\"");
    let dl = print("\"DL\", \"A9\", \"210x50mm\"");
    let assets = [
        ("exact", "poster", "a3.pdf", a3.as_str()),
        ("with-bleed", "poster", "bled.pdf", a3_a2.as_str()),
        ("scaled", "poster", "a4.pdf", a3.as_str()),
        ("letter", "poster", "letter.pdf", a4.as_str()),
        ("undeclared", "poster", "a3.pdf", ""),
        ("wrong-shape", "flyer", "bookmark.pdf", dl.as_str()),
    ];
    let (exit, found) = preflight(&files, &assets, &["--preflight"]);
    assert_eq!(exit, 1, "{found:#?}");
    for fine in ["exact", "with-bleed", "scaled"] {
        assert_eq!(
            codes_of(&found, fine),
            Vec::<&str>::new(),
            "{fine}: {found:#?}"
        );
    }
    assert_eq!(codes_of(&found, "letter"), ["print-size-mismatch"]);
    let measured = found
        .iter()
        .find(|f| f.0 == "undeclared" && f.1 == "print-size-measured")
        .expect("measured");
    assert_eq!(
        (measured.1.as_str(), measured.2.as_str()),
        ("print-size-measured", "info")
    );
    assert!(
        measured.3.contains("297 × 420 mm; it is A3"),
        "{}",
        measured.3
    );
    let mut wrong = codes_of(&found, "wrong-shape");
    wrong.sort();
    // DL is another shape; A9 is no size; 210x50mm (the bookmark, either way round) fits.
    assert_eq!(
        wrong,
        ["print-size-mismatch", "print-size-unknown"],
        "{found:#?}"
    );
}

#[test]
fn fonts_images_pages_and_encryption_of_print_pdfs() {
    let with_image = |px: (u32, u32), space| {
        pdf(&PdfSpec {
            embed_font: true,
            image: Some((px.0, px.1, space)),
            ..PdfSpec::page(210.0, 297.0)
        })
    };
    let files = [
        ("helvetica.pdf", pdf(&PdfSpec::page(210.0, 297.0))),
        ("sharp.pdf", with_image((2480, 3508), "DeviceCMYK")),
        ("soft.pdf", with_image((1654, 2339), "DeviceCMYK")),
        ("blurred.pdf", with_image((600, 850), "DeviceRGB")),
        (
            "locked.pdf",
            pdf(&PdfSpec {
                encrypted: true,
                embed_font: true,
                ..PdfSpec::page(210.0, 297.0)
            }),
        ),
        (
            "booklet.pdf",
            pdf(&PdfSpec {
                pages: 5,
                embed_font: true,
                ..PdfSpec::page(210.0, 297.0)
            }),
        ),
    ];
    let a4 = print("\"A4\"");
    let a3 = print("\"A4\", \"A3\"");
    let assets = [
        ("standard-14", "poster", "helvetica.pdf", a4.as_str()),
        ("sharp", "poster", "sharp.pdf", a4.as_str()),
        ("sharp-at-a3", "poster", "sharp.pdf", a3.as_str()),
        ("soft", "poster", "soft.pdf", a4.as_str()),
        ("blurred", "poster", "blurred.pdf", a4.as_str()),
        ("locked", "poster", "locked.pdf", a4.as_str()),
        ("booklet", "postcard", "booklet.pdf", a4.as_str()),
        ("booklet-flyer", "flyer", "booklet.pdf", a4.as_str()),
    ];
    let (exit, found) = preflight(&files, &assets, &["--preflight"]);
    assert_eq!(exit, 1);
    assert_eq!(codes_of(&found, "standard-14"), ["font-not-embedded"]);
    assert!(found
        .iter()
        .any(|f| f.0 == "standard-14" && f.3.contains("Helvetica")));
    assert_eq!(
        codes_of(&found, "sharp"),
        Vec::<&str>::new(),
        "300 ppi at A4: {found:#?}"
    );
    assert_eq!(
        codes_of(&found, "sharp-at-a3"),
        ["low-resolution"],
        "212 ppi at A3"
    );
    assert_eq!(codes_of(&found, "soft"), ["low-resolution"], "200 ppi");
    let mut blurred = codes_of(&found, "blurred");
    blurred.sort();
    assert_eq!(
        blurred,
        ["rgb-only", "unprintable-resolution"],
        "73 ppi, RGB"
    );
    assert_eq!(codes_of(&found, "locked"), ["pdf-unreadable"]);
    assert_eq!(
        codes_of(&found, "booklet"),
        ["page-count"],
        "a postcard of 5 pages"
    );
    assert_eq!(
        codes_of(&found, "booklet-flyer"),
        ["page-count"],
        "a flyer of 5 pages"
    );
}

#[test]
fn raster_print_assets_and_social_cards() {
    let files = [
        ("a4-300ppi.png", png(2480, 3508)),
        ("a4-100ppi.png", png(827, 1169)),
        ("link.png", png(1200, 630)),
        ("small-square.png", png(800, 800)),
        ("banner-strip.png", png(1000, 300)),
    ];
    let a4 = print("\"A4\"");
    let a3 = print("\"A3\"");
    let assets = [
        ("poster-a4", "poster", "a4-300ppi.png", a4.as_str()),
        ("poster-a3", "poster", "a4-300ppi.png", a3.as_str()),
        ("poster-low", "poster", "a4-100ppi.png", a4.as_str()),
        ("card", "social-card", "link.png", ""),
        ("small", "social-card", "small-square.png", ""),
        ("strip", "social-card", "banner-strip.png", ""),
    ];
    let (_, found) = preflight(&files, &assets, &["--preflight"]);
    assert_eq!(codes_of(&found, "poster-a4"), Vec::<&str>::new());
    assert_eq!(codes_of(&found, "poster-a3"), ["low-resolution"]);
    assert_eq!(codes_of(&found, "poster-low"), ["unprintable-resolution"]);
    assert_eq!(codes_of(&found, "card"), Vec::<&str>::new());
    assert_eq!(codes_of(&found, "small"), ["social-card-shape"]);
    assert!(found
        .iter()
        .any(|f| f.0 == "small" && f.3.contains("at least 1080×1080")));
    assert_eq!(codes_of(&found, "strip"), ["social-card-shape"]);

    // Told the channels' own shapes, the strip is a banner and the link card is not wanted.
    let (_, found) = preflight(
        &files,
        &assets,
        &["--preflight", "--social-shape", "strip=1000x300"],
    );
    assert_eq!(codes_of(&found, "strip"), Vec::<&str>::new());
    assert_eq!(codes_of(&found, "card"), ["social-card-shape"]);
}

#[test]
fn email_signatures_and_videos() {
    let good = br#"<table width="500"><tr><td><img src="https://example.org/logo.png" alt="OUP" width="120" height="40"></td></tr></table>"#;
    let sloppy = br#"<table width="720"><tr><td><img src="logo.png"></td></tr></table>"#;
    let scripted = br#"<p>Jo</p><script>track()</script>"#;
    let files = [
        ("good.html", good.to_vec()),
        ("sloppy.html", sloppy.to_vec()),
        ("scripted.html", scripted.to_vec()),
        ("h264.mp4", mp4(b"isom", &[b"avc1", b"mp4a"])),
        ("old.mp4", mp4(b"isom", &[b"mp4v", b"mp4a"])),
        ("movie.mov", mp4(b"qt  ", &[b"avc1"])),
    ];
    let assets = [
        ("good", "email-signature", "good.html", ""),
        ("sloppy", "email-signature", "sloppy.html", ""),
        ("scripted", "email-signature", "scripted.html", ""),
        ("h264", "video", "h264.mp4", ""),
        ("old-codec", "video", "old.mp4", ""),
        ("quicktime", "video", "movie.mov", ""),
    ];
    let (exit, found) = preflight(&files, &assets, &["--preflight"]);
    assert_eq!(exit, 1, "a script is an error");
    assert_eq!(codes_of(&found, "good"), Vec::<&str>::new());
    let sloppy: Vec<&(String, String, String, String)> =
        found.iter().filter(|f| f.0 == "sloppy").collect();
    assert_eq!(sloppy.len(), 3, "{sloppy:#?}");
    assert!(sloppy
        .iter()
        .all(|f| f.1 == "signature-html" && f.2 == "warning"));
    assert_eq!(codes_of(&found, "scripted"), ["signature-script"]);
    assert_eq!(codes_of(&found, "h264"), Vec::<&str>::new());
    assert_eq!(codes_of(&found, "old-codec"), ["video-format"]);
    assert!(found
        .iter()
        .any(|f| f.0 == "old-codec" && f.3.contains("mp4v") && f.3.contains("0:42")));
    assert_eq!(codes_of(&found, "quicktime"), ["video-format"]);
}

#[test]
fn preflight_runs_only_when_asked_and_strict_leaves_information_alone() {
    let files = [("a3.pdf", pdf(&PdfSpec::page(297.0, 420.0)))];
    let assets = [("poster", "poster", "a3.pdf", "")];
    let (exit, found) = preflight(&files, &assets, &[]);
    assert_eq!((exit, found.len()), (0, 0), "{found:#?}");
    let (exit, found) = preflight(&files, &assets, &["--preflight", "--strict"]);
    assert_eq!(exit, 1);
    let severities: Vec<(&str, &str)> =
        found.iter().map(|f| (f.1.as_str(), f.2.as_str())).collect();
    assert!(
        severities.contains(&("print-size-measured", "info")),
        "{severities:?}"
    );
    assert!(severities.contains(&("font-not-embedded", "error")));
}

#[test]
fn a_bundle_spec_can_ask_for_preflight_and_its_build_stops_on_an_error() {
    let poster = pdf(&PdfSpec::page(297.0, 420.0));
    let fx = Fixture::new(&[("a3.pdf", poster.as_slice())]);
    fx.manifest(&asset(
        "poster",
        "poster",
        "a3.pdf",
        &poster,
        &print("\"A3\""),
    ));
    let spec = |check: &str| {
        format!("[bundle]\nname = \"north\"\nmanifests = [\"test.toml\"]\n\n[[select]]\nprovider = \"test\"\n{check}")
    };
    std::fs::write(fx.path().join("plain.toml"), spec("")).expect("write");
    std::fs::write(
        fx.path().join("preflighted.toml"),
        spec("\n[check]\npreflight = true\n"),
    )
    .expect("write");
    let o = run(
        fx.path(),
        &["build", "plain.toml", "-o", "plain.zip", "--quiet"],
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(
        fx.path(),
        &["build", "preflighted.toml", "-o", "pre.zip", "--quiet"],
    );
    assert_eq!(code(&o), 1);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("font-not-embedded"), "{err}");
    assert!(!fx.path().join("pre.zip").exists(), "nothing written");
    let o = run(
        fx.path(),
        &["check", "preflighted.toml", "--format", "json"],
    );
    let v = json(&o);
    let codes: Vec<&str> = v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["code"].as_str())
        .collect();
    assert!(codes.contains(&"font-not-embedded"), "{codes:?}");
    let o = run(fx.path(), &["check", "plain.toml", "--format", "json"]);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("font-not-embedded"));
}

#[test]
fn the_readiness_report_counts_what_makes_assets_accessible() {
    let tagged = pdf(&PdfSpec {
        accessible: true,
        embed_font: true,
        ..PdfSpec::page(210.0, 297.0)
    });
    let plain = pdf(&PdfSpec {
        embed_font: true,
        ..PdfSpec::page(210.0, 297.0)
    });
    let card = png(1200, 630);
    let bare = png(1080, 1080);
    let video = mp4(b"isom", &[b"avc1", b"mp4a"]);
    let captions = b"WEBVTT\n\n00:00.000 --> 00:02.000\nHello\n".to_vec();
    let fx = Fixture::new(&[
        ("tagged.pdf", tagged.as_slice()),
        ("plain.pdf", plain.as_slice()),
        ("card.png", card.as_slice()),
        ("bare.png", bare.as_slice()),
        ("film.mp4", video.as_slice()),
        ("film.vtt", captions.as_slice()),
    ]);
    let film = asset("film", "video", "film.mp4", &video, "").replace(
        "alt = \"film\"\n",
        &format!(
            "alt = \"film\"\ncaptions = {{ file = \"film.vtt\", sha256 = \"{}\", bytes = {} }}\n",
            sha256_hex(&captions),
            captions.len()
        ),
    );
    let manifest = [
        asset("tagged", "guide", "tagged.pdf", &tagged, ""),
        asset("plain", "guide", "plain.pdf", &plain, ""),
        asset("card", "social-card", "card.png", &card, ""),
        asset("bare", "social-card", "bare.png", &bare, "").replace("alt = \"bare\"\n", ""),
        film,
    ]
    .concat();
    fx.manifest(&manifest);
    let o = run(
        fx.path(),
        &[
            "report",
            "test.toml",
            "--format",
            "json",
            "--today",
            "2026-11-25",
        ],
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    let p = &v["providers"]["test"];
    let n = |k: &str| p[k].as_u64().unwrap_or(u64::MAX);
    assert_eq!((n("images"), n("images_with_alt")), (2, 1));
    assert_eq!(
        (
            n("videos"),
            n("videos_with_captions"),
            n("videos_with_transcript")
        ),
        (1, 1, 0)
    );
    assert_eq!(
        (
            n("pdfs"),
            n("pdfs_tagged"),
            n("pdfs_with_title"),
            n("pdfs_with_language")
        ),
        (2, 1, 1, 1)
    );
    assert_eq!(p["findings"]["missing-transcript"], 1);
    assert_eq!(v["total"]["assets"], 5);

    let o = run(
        fx.path(),
        &[
            "report",
            "test.toml",
            "--format",
            "html",
            "-o",
            "report.html",
            "--today",
            "2026-11-25",
        ],
    );
    assert_eq!(code(&o), 0);
    let page = std::fs::read_to_string(fx.path().join("report.html")).expect("written");
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("Test provider"));
    assert!(page.contains("1/2 (50%)"), "alt text share shown");
    assert!(
        !page.contains("<script") && !page.contains("src=\"http"),
        "self-contained"
    );
}
