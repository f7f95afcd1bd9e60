//! Outside judges: programs nobody here wrote, whose verdict on a pack or a PDF the tests ask
//! for. A test looks its judge up first; when the judge is missing the test says so in one
//! line (naming the program and how to install it) and passes as skipped, unless
//! `ASSETPACK_REQUIRE_JUDGES=1` is set (as `.ci/run` does): then a missing judge fails it.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::process::Command as Std;
use std::sync::{Mutex, OnceLock};

/// An outside program a test asks for its verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Judge {
    /// Info-ZIP `unzip`.
    Unzip,
    /// 7-Zip (`7z`).
    SevenZip,
    /// libarchive's `bsdtar`.
    Bsdtar,
    /// Python 3 and its `zipfile`.
    Python,
    /// pypdf, a Python PDF library.
    Pypdf,
    /// bagit-python's `bagit.py`.
    Bagit,
    /// Python's `jsonschema` (with `tomllib`, Python 3.11 or later).
    Jsonschema,
    /// qpdf.
    Qpdf,
    /// poppler's `pdftotext`.
    Pdftotext,
    /// poppler's `pdftoppm`.
    Pdftoppm,
    /// poppler's `pdfinfo`.
    Pdfinfo,
    /// GNU coreutils' `sha256sum`.
    Sha256sum,
    /// The `minisign` tool.
    Minisign,
    /// moto's S3 server (`moto_server`, from `moto[server]` on PyPI) with boto3 as the client.
    Moto,
    /// Azurite, Microsoft's Azure Storage emulator, with Microsoft's Blob library as the
    /// client (Node.js packages from `tests/azure`: `npm ci` there).
    Azurite,
    /// Debian's Chromium, driven by Node.js with `playwright-core` and `axe-core` from
    /// `tests/browser` (`npm ci` there).
    Chromium,
}

impl Judge {
    /// The program run.
    pub fn program(self) -> &'static str {
        match self {
            Judge::Unzip => "unzip",
            Judge::SevenZip => "7z",
            Judge::Bsdtar => "bsdtar",
            Judge::Python | Judge::Pypdf | Judge::Jsonschema => "python3",
            Judge::Bagit => "bagit.py",
            Judge::Qpdf => "qpdf",
            Judge::Pdftotext => "pdftotext",
            Judge::Pdftoppm => "pdftoppm",
            Judge::Pdfinfo => "pdfinfo",
            Judge::Sha256sum => "sha256sum",
            Judge::Minisign => "minisign",
            Judge::Chromium => "node",
            Judge::Moto => "moto_server",
            Judge::Azurite => "node",
        }
    }

    /// How to install it on Debian or Ubuntu.
    fn install(self) -> &'static str {
        match self {
            Judge::Unzip => "apt-get install unzip",
            Judge::SevenZip => "apt-get install p7zip-full",
            Judge::Bsdtar => "apt-get install libarchive-tools",
            Judge::Python => "apt-get install python3",
            Judge::Pypdf => "python3 -m pip install pypdf",
            Judge::Bagit => "python3 -m pip install bagit",
            Judge::Jsonschema => "python3 -m pip install jsonschema (and Python 3.11 or later)",
            Judge::Qpdf => "apt-get install qpdf",
            Judge::Pdftotext | Judge::Pdftoppm | Judge::Pdfinfo => "apt-get install poppler-utils",
            Judge::Sha256sum => "apt-get install coreutils",
            Judge::Minisign => "apt-get install minisign",
            Judge::Chromium => {
                "apt-get install chromium nodejs npm && npm ci --prefix tests/browser"
            }
            Judge::Moto => "python3 -m pip install 'moto[server]'",
            Judge::Azurite => "apt-get install nodejs npm && npm ci --prefix tests/azure",
        }
    }

    /// What it is, for a person.
    fn what(self) -> &'static str {
        match self {
            Judge::Unzip => "Info-ZIP's `unzip`",
            Judge::SevenZip => "7-Zip (`7z`)",
            Judge::Bsdtar => "libarchive's `bsdtar`",
            Judge::Python => "Python 3 (`python3`, for its zipfile)",
            Judge::Pypdf => "Python's pypdf",
            Judge::Bagit => "bagit-python (`bagit.py`)",
            Judge::Jsonschema => "Python's jsonschema and tomllib",
            Judge::Qpdf => "`qpdf`",
            Judge::Pdftotext => "poppler's `pdftotext`",
            Judge::Pdftoppm => "poppler's `pdftoppm`",
            Judge::Pdfinfo => "poppler's `pdfinfo`",
            Judge::Sha256sum => "`sha256sum`",
            Judge::Minisign => "the `minisign` tool",
            Judge::Chromium => "Chromium with Node.js, playwright-core and axe-core",
            Judge::Moto => "moto's S3 server (`moto_server`) and boto3",
            Judge::Azurite => {
                "Azurite (Azure Storage's emulator) with Node.js and @azure/storage-blob"
            }
        }
    }

    /// A new command running the judge.
    pub fn cmd(self) -> Std {
        Std::new(self.program())
    }

    fn found(self) -> bool {
        static FOUND: OnceLock<Mutex<HashMap<Judge, bool>>> = OnceLock::new();
        let cache = FOUND.get_or_init(Default::default);
        if let Some(&found) = cache.lock().expect("lock").get(&self) {
            return found;
        }
        let found = on_path(self.program())
            && match self {
                Judge::Pypdf => python_imports("pypdf"),
                Judge::Jsonschema => python_imports("jsonschema, tomllib"),
                Judge::Python => python_imports("zipfile"),
                Judge::Chromium => browser_ready(),
                Judge::Moto => python_imports("boto3"),
                Judge::Azurite => super::azure::installed(),
                _ => true,
            };
        cache.lock().expect("lock").insert(self, found);
        found
    }
}

fn on_path(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program)))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Chromium (`CHROMIUM`, else `chromium` on the path) and the npm packages the browser tests
/// drive it with.
fn browser_ready() -> bool {
    let chromium = std::env::var_os("CHROMIUM")
        .map(|p| is_executable(Path::new(&p)))
        .unwrap_or_else(|| on_path("chromium"));
    let modules = super::repo().join("tests/browser/node_modules");
    chromium
        && modules.join("playwright-core/package.json").is_file()
        && modules.join("axe-core/axe.min.js").is_file()
}

fn python_imports(module: &str) -> bool {
    Std::new("python3")
        .arg("-c")
        .arg(format!("import {module}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `judge` when it is installed. When it is not: `None`, after one line on the terminal
/// naming the test, the program and how to install it; or a failed test when
/// `ASSETPACK_REQUIRE_JUDGES=1`.
pub fn judge(judge: Judge) -> Option<Judge> {
    if judge.found() {
        return Some(judge);
    }
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let why = format!(
        "needs {}, which is not installed; install it with `{}`",
        judge.what(),
        judge.install()
    );
    if std::env::var_os("ASSETPACK_REQUIRE_JUDGES").is_some_and(|v| v == "1") {
        panic!("{test} {why} (ASSETPACK_REQUIRE_JUDGES=1 requires every judge)");
    }
    // Once per test and judge, straight to the terminal: the test harness captures
    // `eprintln!` of passing tests.
    static SAID: OnceLock<Mutex<HashSet<(String, Judge)>>> = OnceLock::new();
    let first = SAID
        .get_or_init(Default::default)
        .lock()
        .expect("lock")
        .insert((test.clone(), judge));
    if first {
        let _ = writeln!(std::io::stderr(), "skipped: {test}: {why}");
    }
    None
}
