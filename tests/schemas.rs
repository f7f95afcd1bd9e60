//! `assetpack schema`: every document assetpack reads or writes has a JSON Schema, and the
//! documents it ships and writes validate against it (judged by Python's jsonschema, which
//! nobody here wrote); a broken manifest does not.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;

/// Validates each document (TOML or JSON) against the schema; the validator's output.
const VALIDATE: &str = r#"
import datetime, json, sys, tomllib, jsonschema
def plain(x):
    if isinstance(x, dict): return {k: plain(v) for k, v in x.items()}
    if isinstance(x, list): return [plain(v) for v in x]
    if isinstance(x, (datetime.date, datetime.datetime)): return x.isoformat()
    return x
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
bad = 0
for f in sys.argv[2:]:
    doc = plain(tomllib.load(open(f, 'rb'))) if f.endswith('.toml') else json.load(open(f))
    for e in v.iter_errors(doc):
        bad += 1
        print(f, list(e.absolute_path), e.message[:300])
print('errors:', bad)
"#;

/// Runs the validator; `None` when the judge is missing (the test is skipped).
fn validate(dir: &Path, schema: &str, docs: &[PathBuf]) -> Option<(bool, String)> {
    let py = judge(Judge::Jsonschema)?;
    let o = run(dir, &["schema", schema]);
    assert_eq!(code(&o), 0);
    let schema_file = dir.join(format!("{schema}.schema.json"));
    fs::write(&schema_file, &o.stdout).expect("write");
    let o = py
        .cmd()
        .args(["-c", VALIDATE])
        .arg(&schema_file)
        .args(docs)
        .output()
        .expect("python runs");
    let text = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
    Some((text.contains("errors: 0"), text))
}

fn tomls(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

#[test]
fn the_shipped_manifests_and_bundle_validate_and_a_broken_manifest_does_not() {
    let data = shipped_copy();
    let d = data.path();
    let Some((ok, out)) = validate(d, "manifest", &tomls(&d.join("packs/providers"))) else {
        return;
    };
    assert!(ok, "{out}");
    let Some((ok, out)) = validate(d, "bundle", &tomls(&d.join("packs/bundles"))) else {
        return;
    };
    assert!(ok, "{out}");
    // Three mistakes: a newer format, a stray key, an unknown kind. The schema and `check`
    // both name each.
    let broken = d.join("broken.toml");
    fs::write(
        &broken,
        "format = 2\nextra = 1\n[provider]\nid = \"p\"\nname = \"P\"\n\n[[asset]]\nid = \"a\"\ntitle = \"A\"\nkind = \"leaflet\"\nfile = \"a.pdf\"\n",
    )
    .expect("write");
    let Some((ok, out)) = validate(d, "manifest", &[broken]) else {
        return;
    };
    assert!(!ok);
    for said in ["'format'", "'extra' was unexpected", "'kind'", "errors: 3"] {
        assert!(out.contains(said), "{said}: {out}");
    }
    let v = json(&run(d, &["check", "broken.toml", "--format", "json"]));
    let messages: Vec<&str> = v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["message"].as_str())
        .collect();
    for said in [
        "format 2",
        "unknown field `extra`",
        "unknown kind `leaflet`",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(said)),
            "{said}: {messages:?}"
        );
    }
}

#[test]
fn what_assetpack_writes_validates_against_its_schemas() {
    let data = shipped_copy();
    let d = data.path();
    let mut manifests = Vec::new();
    for layout in ["plain", "bagit"] {
        let zip = format!("{layout}.zip");
        let o = run(
            d,
            &[
                "build",
                BUNDLE,
                "-o",
                &zip,
                "--layout",
                layout,
                "--no-index",
            ],
        );
        assert_eq!(code(&o), 0);
        let file = fs::File::open(d.join(&zip)).expect("open");
        let mut archive = zip::ZipArchive::new(file).expect("zip");
        let name = match layout {
            "bagit" => "north-west-spring-2027/data/manifest.json",
            _ => "north-west-spring-2027/manifest.json",
        };
        let mut entry = archive.by_name(name).expect("manifest.json");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut entry, &mut text).expect("read");
        let path = d.join(format!("{layout}-manifest.json"));
        fs::write(&path, text).expect("write");
        manifests.push(path);
    }
    let Some((ok, out)) = validate(d, "pack-manifest", &manifests) else {
        return;
    };
    assert!(ok, "{out}");
    // Reports: a clean check, a check with problems, an intact pack and a damaged one.
    let mut reports = Vec::new();
    let mut report = |name: &str, args: &[&str]| {
        let path = d.join(name);
        fs::write(&path, run(d, args).stdout).expect("write");
        reports.push(path);
    };
    report(
        "check.json",
        &["check", "packs/providers", "--format", "json"],
    );
    report(
        "preflight.json",
        &[
            "check",
            "packs/providers",
            "--preflight",
            "--format",
            "json",
        ],
    );
    report(
        "readiness.json",
        &["report", "packs/providers", "--format", "json"],
    );
    // Keys and signatures: a new key, signed manifests, a signed pack verified.
    report(
        "key.json",
        &["key", "new", "k.key", "--unencrypted", "--format", "json"],
    );
    report(
        "sign.json",
        &[
            "sign",
            "packs/providers/oup.toml",
            "--key",
            "k.key",
            "--format",
            "json",
        ],
    );
    let o = run(
        d,
        &[
            "build",
            BUNDLE,
            "-o",
            "signed.zip",
            "--no-index",
            "--sign",
            "k.key",
        ],
    );
    assert_eq!(code(&o), 0);
    report(
        "verify-signed.json",
        &["verify", "signed.zip", "--key", "k.pub", "--format", "json"],
    );
    fs::write(
        d.join("assets/oup/posters/oup-a3-poster-oxford-handbooks.pdf"),
        "not a pdf",
    )
    .expect("write");
    report(
        "check-bad.json",
        &["check", "packs/providers", "--format", "json"],
    );
    report("verify.json", &["verify", "plain.zip", "--format", "json"]);
    let mut bytes = fs::read(d.join("plain.zip")).expect("read");
    bytes[100] ^= 0xff;
    fs::write(d.join("damaged.zip"), bytes).expect("write");
    report(
        "verify-bad.json",
        &["verify", "damaged.zip", "--format", "json"],
    );
    for r in &reports {
        let text = fs::read_to_string(r).expect("read");
        assert!(text.contains("\"format\": 1"), "{}: {text}", r.display());
    }
    let Some((ok, out)) = validate(d, "report", &reports) else {
        return;
    };
    assert!(ok, "{out}");
    // Not vacuous: a document of the wrong shape fails.
    fs::write(
        d.join("wrong.json"),
        "{\"format\": 1, \"ok\": \"yes\", \"problems\": 3}",
    )
    .expect("write");
    let Some((ok, out)) = validate(d, "report", &[d.join("wrong.json")]) else {
        return;
    };
    assert!(!ok, "{out}");
}
