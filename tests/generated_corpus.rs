//! The workspace's corpus generator makes real files: `assetpack check` finds the generated
//! providers clean and every damaged file damaged, and qpdf and poppler read the PDFs of every
//! style at their paper sizes.

mod common;

use common::*;
use tempfile::TempDir;

#[test]
fn every_generated_provider_checks_without_errors() {
    let c = corpus();
    let dir = TempDir::new().expect("tempdir");
    for p in assetpack_corpus::PROVIDERS {
        scan_into(
            dir.path(),
            &c.join(p.slug),
            p.slug,
            &format!("{}.toml", p.slug),
        );
    }
    let o = run(
        dir.path(),
        &["check", ".", "--format", "json", "--today", "2026-12-01"],
    );
    let v = json(&o);
    assert_eq!(code(&o), 0, "{v:#}");
    assert_eq!(v["summary"]["manifests"], 9);
    assert!(
        v["summary"]["files"].as_u64().expect("files") > 350,
        "{v:#}"
    );
}

#[test]
fn every_damaged_file_is_reported() {
    let c = corpus();
    let dir = TempDir::new().expect("tempdir");
    scan_into(dir.path(), &c.join("damaged"), "damaged", "damaged.toml");
    let o = run(dir.path(), &["check", "damaged.toml", "--format", "json"]);
    let v = json(&o);
    assert_eq!(code(&o), 1, "{v:#}");
    let files: Vec<String> = std::fs::read_dir(c.join("damaged"))
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 8);
    let problems = v["problems"].as_array().expect("problems");
    for f in files {
        let flagged = problems.iter().any(|p| {
            p["severity"] == "error" && p["file"].as_str().is_some_and(|x| x.ends_with(&f))
        });
        assert!(flagged, "{f} is damaged but no error names it: {v:#}");
    }
}

#[test]
fn a_build_reports_every_damaged_file_where_check_does_and_writes_nothing() {
    let c = corpus();
    let dir = TempDir::new().expect("tempdir");
    scan_into(dir.path(), &c.join("damaged"), "damaged", "damaged.toml");
    let o = run(
        dir.path(),
        &["check", "damaged.toml", "--fast", "--format", "json"],
    );
    let v = json(&o);
    // The build reads each file once, while it packs it: the content problems it finds then are
    // the check's, at the same places.
    let b = run(
        dir.path(),
        &["build", "damaged.toml", "-o", "damaged.zip", "--verbose"],
    );
    let err = String::from_utf8_lossy(&b.stderr);
    assert_eq!(code(&b), 1, "{err}");
    let errors: Vec<&serde_json::Value> = v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter(|p| p["severity"] == "error")
        .collect();
    assert!(errors.len() >= 8, "{v:#}");
    for p in errors {
        let code = p["code"].as_str().expect("code");
        let at = format!(
            "damaged.toml:{}:{}",
            p["line"].as_u64().expect("line"),
            p["column"].as_u64().expect("column")
        );
        let said = err
            .split("\n\n")
            .any(|block| block.contains(&format!("error[{code}]")) && block.contains(&at));
        assert!(said, "the build does not say {code} at {at}:\n{err}");
    }
    assert!(err.contains("nothing was written"), "{err}");
    assert!(!dir.path().join("damaged.zip").exists());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .flatten()
        .collect();
    assert!(
        left.iter()
            .all(|e| !e.file_name().to_string_lossy().ends_with(".partial")),
        "no partial pack"
    );
}

#[test]
fn generated_pdfs_of_every_style_read_at_their_paper_size() {
    let c = corpus();
    let posters = c.join("oup/posters");
    // a3-poster-01..04 cycle through the three styles (classic, inherited, object streams).
    for n in 1..=3 {
        let pdf = posters.join(format!("oup-a3-poster-{n:02}.pdf"));
        if let Some(qpdf) = judge(Judge::Qpdf) {
            let o = qpdf
                .cmd()
                .arg("--check")
                .arg(&pdf)
                .output()
                .expect("qpdf runs");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
        }
        if let Some(pdfinfo) = judge(Judge::Pdfinfo) {
            let o = pdfinfo.cmd().arg(&pdf).output().expect("pdfinfo runs");
            let info = String::from_utf8_lossy(&o.stdout);
            assert!(
                info.contains("841.89 x 1190.55 pts (A3)"),
                "{pdf:?}: {info}"
            );
        }
    }
    if let Some(pdfinfo) = judge(Judge::Pdfinfo) {
        let letter = c.join("oup/guides/oup-us-letter-guide-01.pdf");
        let o = pdfinfo.cmd().arg(&letter).output().expect("pdfinfo runs");
        assert!(String::from_utf8_lossy(&o.stdout).contains("612 x 792 pts (letter)"));
    }
}
