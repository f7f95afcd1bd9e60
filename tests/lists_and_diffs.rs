//! `list`, `show` and `diff`: what a lead and a publisher read off a bundle, one asset, and two
//! editions; and the shell completions and manual page.

mod common;

use std::fs;

use common::*;

#[test]
fn list_shows_the_chosen_assets_as_a_table_json_and_csv() {
    let data = shipped_copy();
    let d = data.path();
    let o = run(d, &["list", BUNDLE, "--format", "json"]);
    assert_eq!(code(&o), 0);
    let v = json(&o);
    let assets = v["assets"].as_array().expect("assets");
    // The bundle's pack says how many assets it chooses.
    let b = run(
        d,
        &[
            "build",
            BUNDLE,
            "--dry-run",
            "--format",
            "json",
            "--no-index",
        ],
    );
    let plan = json(&b);
    let manifest = plan["plan"]
        .as_array()
        .expect("plan")
        .iter()
        .filter(|e| {
            e["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("/manifest.json"))
        })
        .count();
    assert_eq!(manifest, 1);
    assert!(assets.len() > 20, "{v:#}");
    let posters = run(
        d,
        &[
            "list", BUNDLE, "--kind", "poster", "--print", "--format", "json",
        ],
    );
    let posters = json(&posters);
    let posters = posters["assets"].as_array().expect("assets");
    assert!(!posters.is_empty());
    for p in posters {
        assert_eq!(p["kind"], "poster", "{p:#}");
        assert_eq!(p["print"], true, "{p:#}");
        assert!(
            !p["print_sizes"].as_array().expect("sizes").is_empty(),
            "{p:#}"
        );
    }
    let csv = run(d, &["list", BUNDLE, "--format", "csv"]);
    let text = stdout(&csv);
    assert_eq!(
        text.lines().count(),
        assets.len() + 1,
        "a heading and a row each"
    );
    assert!(text.starts_with("\"provider\",\"id\",\"title\""), "{text}");
    if let Some(py) = judge(Judge::Python) {
        let script = "import csv, sys\nrows = list(csv.reader(open(sys.argv[1], newline='')))\nassert all(len(r) == 8 for r in rows), rows\nprint(len(rows) - 1)";
        fs::write(d.join("list.csv"), &text).expect("write");
        let o = py
            .cmd()
            .args(["-c", script])
            .arg(d.join("list.csv"))
            .output()
            .expect("python");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).trim(),
            assets.len().to_string()
        );
    }
    let human = stdout(&run(d, &["list", BUNDLE, "--provider", "oup"]));
    assert!(human.contains("Oxford Handbooks A3 poster"), "{human}");
    assert!(!human.contains("bmj-best-practice"), "{human}");
}

#[test]
fn show_gives_one_asset_with_its_files_and_checks() {
    let data = shipped_copy();
    let d = data.path();
    let o = run(d, &["show", "oup/interactive-flyer", "packs/providers"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    assert!(
        text.contains("oup/interactive-flyer — Oxford Medicine Online interactive flyer"),
        "{text}"
    );
    assert!(
        text.contains("rendition editable: flyers/oup-interactive-flyer-editable.docx"),
        "{text}"
    );
    assert!(text.contains("packs/providers/oup.toml:30"), "{text}");
    assert!(text.contains("check: no problems"), "{text}");
    let v = json(&run(
        d,
        &[
            "show",
            "oup/interactive-flyer",
            "packs/providers",
            "--format",
            "json",
        ],
    ));
    assert_eq!(v["asset"]["id"], "interactive-flyer");
    assert_eq!(v["line"], 30);
    let o = run(d, &["show", "oup/nothing", "packs/providers"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no asset `nothing` of provider `oup`"));
}

#[test]
fn diff_names_exactly_the_assets_an_edition_changed() {
    let data = shipped_copy();
    let d = data.path();
    let spec = "packs/providers/oup.toml";
    assert_eq!(
        code(&run(d, &["build", spec, "-o", "old.zip", "--no-index"])),
        0
    );
    let same = run(d, &["diff", "old.zip", spec]);
    assert_eq!(
        code(&same),
        0,
        "a pack and the spec it came from: {}",
        stdout(&same)
    );
    // The next edition: a poster reprinted, a title reworded, a bookmark withdrawn, a link added.
    let poster = d.join("assets/oup/posters/oup-a3-poster-oxford-handbooks.pdf");
    let mut pdf = fs::read(&poster).expect("read");
    pdf.extend(b"% reprinted\n");
    fs::write(&poster, &pdf).expect("write");
    let path = d.join(spec);
    let text = fs::read_to_string(&path).expect("read");
    let (head, rest) = text
        .split_once("\n[[asset]]\nid = \"bookmark\"")
        .expect("bookmark");
    let rest = rest.split_once("\n[[asset]]").map_or("", |(_, r)| r);
    let text = format!("{head}\n[[asset]]{rest}")
        .replace("9dc49d11070f2d084cdaf092d4c9d8d69f2a23b039953609372c03cfed7a43d0", &sha256_hex(&pdf))
        .replace("bytes = 880\n", &format!("bytes = {}\n", pdf.len()))
        .replace("Oxford Handbooks table talker", "Oxford Handbooks table card")
        + "\n[[asset]]\nid = \"website\"\ntitle = \"Oxford Medicine Online\"\nkind = \"link\"\nurl = \"https://oxfordmedicine.com/\"\n";
    fs::write(&path, text).expect("write");
    assert_eq!(
        code(&run(d, &["build", spec, "-o", "new.zip", "--no-index"])),
        0
    );
    for new in ["new.zip", spec] {
        let o = run(d, &["diff", "old.zip", new, "--format", "json"]);
        assert_eq!(code(&o), 1, "{}", stdout(&o));
        let v = json(&o);
        let names = |k: &str| -> Vec<String> {
            v[k].as_array()
                .expect("list")
                .iter()
                .map(|a| a["asset"].as_str().expect("asset").to_owned())
                .collect()
        };
        assert_eq!(names("added"), ["oup/website"], "{v:#}");
        assert_eq!(names("removed"), ["oup/bookmark"], "{v:#}");
        assert_eq!(
            names("changed"),
            ["oup/a3-poster-oxford-handbooks", "oup/table-talker"],
            "{v:#}"
        );
        let fields = |i: usize| -> Vec<String> {
            v["changed"][i]["fields"]
                .as_array()
                .expect("fields")
                .iter()
                .map(|f| f["field"].as_str().expect("field").to_owned())
                .collect()
        };
        assert_eq!(fields(0), ["file.bytes", "file.sha256"], "{v:#}");
        assert_eq!(fields(1), ["title"], "{v:#}");
    }
    let human = stdout(&run(d, &["diff", "old.zip", "new.zip"]));
    assert!(
        human
            .contains("title: \"Oxford Handbooks table talker\" → \"Oxford Handbooks table card\""),
        "{human}"
    );
    assert!(
        human.contains("4 assets differ (1 added, 1 removed, 2 changed)"),
        "{human}"
    );
}

#[test]
fn completions_and_the_manual_page_are_printed() {
    let data = shipped_copy();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = run(data.path(), &["completions", shell]);
        assert_eq!(code(&o), 0);
        let script = stdout(&o);
        assert!(
            script.contains("assetpack") && script.contains("verify"),
            "{shell}"
        );
    }
    let man = stdout(&run(data.path(), &["man"]));
    assert!(
        man.starts_with(".ie") || man.contains(".TH assetpack"),
        "{man}"
    );
    assert!(man.contains("verify"));
}

#[test]
fn every_subcommand_helps_with_examples() {
    let data = shipped_copy();
    let commands = [
        "scan",
        "check",
        "build",
        "verify",
        "index",
        "list",
        "show",
        "diff",
        "schema",
        "completions",
        "man",
    ];
    for c in commands {
        let o = run(data.path(), &[c, "--help"]);
        assert_eq!(code(&o), 0, "{c}");
        let help = stdout(&o);
        assert!(help.contains("Examples:\n  assetpack "), "{c}: {help}");
    }
}
