//! Checking manifests against the files they describe.
//!
//! [`check`] loads every manifest, checks the TOML and the metadata (ids, paths, links,
//! messages, review dates, alt text), then examines the files in parallel: existence, size,
//! SHA-256, content type against extension and `media_type`, truncation, symbolic links that
//! leave `base`, and files under `base` that no asset lists. Each file is opened once and read
//! once, in one pass that hashes and inspects it; memory stays flat whatever the file sizes.
//!
//! ```no_run
//! use assetpack::{check, CheckOptions, NoProgress};
//!
//! let report = check(&["packs/providers".into()], &CheckOptions::default(), &NoProgress);
//! for p in &report.problems {
//!     eprintln!("{p}");
//! }
//! assert!(report.ok());
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt, HashSet};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::catalog::{self, Tree};
use crate::content::{self, LeadsOutside};
use crate::examine::{examine, Examined, ReadFiles};
use crate::files;
use crate::manifest::{Asset, Content, Date, FileRef, FileRole, Kind, Manifest, Place};
use crate::problem::{Code, Problem, Severity, Tally};
use crate::progress::Progress;
use crate::safe_path;

/// How [`check`] behaves.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// The day review dates are judged against.
    pub today: Date,
    /// Compare sizes but skip hashing; for an object in a bucket, compare the SHA-256 its store
    /// keeps ([`crate::files::Opened::stored_sha256`]) when it has one.
    pub fast: bool,
    /// Treat warnings as errors.
    pub strict: bool,
    /// Warn when `next_review_due` is within this many days of `today` (inclusive).
    pub due_soon_days: i64,
    /// Longest message each channel takes, in characters (lowercase channel names).
    pub channel_limits: BTreeMap<String, usize>,
    /// Require each provider manifest to be signed with this key: `MANIFEST.minisig` beside
    /// it, made by `assetpack sign` (or `minisign -S`) after the manifest's last change.
    pub key: Option<crate::keys::PublicKey>,
    /// Also run [`crate::preflight`]: what printers and accessibility auditors would reject.
    pub preflight: bool,
    /// What preflight is told (the social channels' shapes).
    pub preflight_options: crate::preflight::PreflightOptions,
}

use crate::channel::{channel_length, default_channel_limits};

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            today: Date::today(),
            fast: false,
            strict: false,
            due_soon_days: 30,
            channel_limits: default_channel_limits(),
            key: None,
            preflight: false,
            preflight_options: crate::preflight::PreflightOptions::default(),
        }
    }
}

/// Counts a check's work.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    /// Manifests read.
    pub manifests: usize,
    /// Assets that parsed.
    pub assets: usize,
    /// Files examined (asset files, renditions, transcripts, captions).
    pub files: usize,
    /// Bytes hashed.
    pub bytes_hashed: u64,
    /// Errors found.
    pub errors: usize,
    /// Warnings found.
    pub warnings: usize,
}

/// The outcome of [`check`]: what `check --format json` prints, and reads back.
#[derive(Clone, Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    /// True when there are no errors.
    pub ok: bool,
    /// Every problem, in manifest order, then line and column.
    pub problems: Vec<Problem>,
    /// What was checked.
    pub summary: Summary,
    /// The manifests that loaded, for callers that go on to build.
    #[serde(skip)]
    pub manifests: Vec<Manifest>,
}

impl Report {
    /// True when no problem is an error.
    pub fn ok(&self) -> bool {
        self.ok
    }

    /// True when some problem is an I/O failure rather than a fault in the data.
    pub fn has_io_errors(&self) -> bool {
        self.problems.iter().any(Problem::is_io)
    }
}

/// Checks the manifests named by `inputs` (files, or folders of `*.toml` manifests) against
/// their files. Never panics on bad input; I/O failures come back as [`Code::Unreadable`]
/// problems.
///
/// Each manifest is a pipeline (parse, metadata, walk of `base`, file examination) and the
/// pipelines run in parallel, so one manifest's files are hashed while the next is parsed.
pub fn check(inputs: &[PathBuf], options: &CheckOptions, progress: &dyn Progress) -> Report {
    content::forget_folders();
    let (mut paths, mut problems) = catalog::find_manifests(inputs);
    // A bundle spec named on its own checks the spec and every manifest it uses.
    let mut bundles = Vec::new();
    for input in inputs.iter().filter(|p| p.is_file()) {
        if !catalog::is_bundle_spec(input) {
            continue;
        }
        match crate::bundle::Bundle::load(input) {
            Ok(loaded) => {
                problems.extend(loaded.problems);
                if let Some(b) = loaded.bundle {
                    let (more, p) = b.manifest_paths();
                    problems.extend(p);
                    paths.extend(more);
                    bundles.push(b);
                }
            }
            Err(e) => problems.push(catalog::io_problem(input, e.to_string(), "check the path")),
        }
    }
    let mut seen = std::collections::HashSet::new();
    paths.retain(|p| seen.insert(fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    // A bundle spec's `[check] preflight = true` preflights what it uses.
    let with_preflight;
    let options = if !options.preflight && bundles.iter().any(|b| b.preflight) {
        with_preflight = CheckOptions {
            preflight: true,
            ..options.clone()
        };
        &with_preflight
    } else {
        options
    };
    let loaded: Vec<(Option<Manifest>, Vec<Problem>)> = paths
        .par_iter()
        .map(|p| {
            let mut problems = Vec::new();
            (catalog::load_one(p, &mut problems), problems)
        })
        .collect();
    let mut manifests = Vec::with_capacity(loaded.len());
    for (m, p) in loaded {
        manifests.extend(m);
        problems.extend(p);
    }
    let done = check_all(&manifests, options, &|_, _| Leave::Nothing, progress);
    let mut report = assemble(done, problems, options, progress);
    report.manifests = manifests;
    if !bundles.is_empty() {
        for b in &bundles {
            let (paths, _) = b.manifest_paths();
            let wanted: Vec<PathBuf> = paths
                .iter()
                .filter_map(|p| fs::canonicalize(p).ok())
                .collect();
            let used: Vec<Manifest> = report
                .manifests
                .iter()
                .filter(|m| fs::canonicalize(&m.path).is_ok_and(|c| wanted.contains(&c)))
                .cloned()
                .collect();
            let (_, p) = catalog::select(b, &used);
            report.problems.extend(p);
        }
        let order: Vec<&Path> = report.manifests.iter().map(|m| m.path.as_path()).collect();
        let mut problems = std::mem::take(&mut report.problems);
        finish(&mut problems, &order, options.strict);
        report.problems = problems;
        report.tally();
    }
    report
}

/// Checks manifests that are already loaded (see [`check`]); the report hands them back in
/// [`Report::manifests`].
pub fn check_manifests(
    manifests: Vec<Manifest>,
    options: &CheckOptions,
    progress: &dyn Progress,
) -> Report {
    let mut report = check_loaded(&manifests, options, progress);
    report.manifests = manifests;
    report
}

/// Checks manifests that are already loaded, borrowing them (so other work can use them at
/// the same time); [`Report::manifests`] stays empty.
pub fn check_loaded(
    manifests: &[Manifest],
    options: &CheckOptions,
    progress: &dyn Progress,
) -> Report {
    check_deferring(manifests, options, &|_, _| Leave::Nothing, progress).0
}

/// Says what a check leaves to the pack of each file (see [`check_deferring`]).
pub(crate) type Defer<'d> = dyn Fn(&Manifest, &FileRef) -> Leave + Sync + 'd;

/// What a check leaves to the pack of a file the walk found below `base`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Leave {
    /// Nothing: the check examines the file.
    Nothing,
    /// Its content, judged from what the pack read ([`Deferred::judge`]); the check compares
    /// the file's size with the manifest's.
    Content,
    /// Its content, and its size when the manifest records its size and SHA-256: the pack
    /// reads the file and holds it to both (a file that differs stops the build, nothing
    /// written), so a `stat` by the check would only repeat what the read finds anyway.
    Read,
}

/// [`check_loaded`], leaving the content of the files `defer` picks to be judged later from
/// what the pack read ([`Deferred::judge`]): a build reads each file once. Of those files (when
/// the walk saw them as regular files below `base`) the check at most compares the size with
/// the manifest's ([`Leave`]).
pub(crate) fn check_deferring(
    manifests: &[Manifest],
    options: &CheckOptions,
    defer: &Defer,
    progress: &dyn Progress,
) -> (Report, Deferred) {
    content::forget_folders();
    let done = check_all(manifests, options, defer, progress);
    let files = done
        .iter()
        .enumerate()
        .flat_map(|(mi, c)| c.deferred.iter().map(move |&(ai, fi)| (mi, ai, fi)))
        .collect();
    let deferred = Deferred {
        files,
        strict: options.strict,
    };
    (assemble(done, Vec::new(), options, progress), deferred)
}

/// The files whose content a check left to be judged from what a pack read.
#[derive(Debug, Default)]
pub(crate) struct Deferred {
    /// Manifest, asset and file index (in [`Asset::files`] order) of each.
    files: Vec<(usize, usize, usize)>,
    strict: bool,
}

impl Deferred {
    /// Judges the deferred files' contents from `read` (files it does not hold are passed
    /// over) and adds what it finds to `problems`, sorted as a check sorts them. `manifests`
    /// are the ones the check was given.
    pub(crate) fn judge(
        &self,
        manifests: &[Manifest],
        read: &ReadFiles,
        problems: &mut Vec<Problem>,
    ) {
        // In runs judged side by side.
        let found: Vec<Vec<Problem>> = self
            .files
            .par_chunks(1 << 10)
            .map(|run| judge_run(run, manifests, read))
            .collect();
        problems.extend(found.into_iter().flatten());
        let order: Vec<&Path> = manifests.iter().map(|m| m.path.as_path()).collect();
        finish(problems, &order, self.strict);
    }
}

/// The content problems of the files of `run` (manifest, asset and file indices), from
/// what `read` holds. The files come manifest by manifest: each manifest's folder is looked
/// up once.
fn judge_run(
    run: &[(usize, usize, usize)],
    manifests: &[Manifest],
    read: &ReadFiles,
) -> Vec<Problem> {
    let mut found = Vec::new();
    let mut below = None;
    for &(mi, ai, fi) in run {
        let Some(m) = manifests.get(mi) else { continue };
        let Some(a) = m.assets.get(ai) else { continue };
        let Some((role, f)) = a.files().get(fi).copied() else {
            continue;
        };
        let files = match &below {
            Some((at, files)) if *at == mi => files,
            _ => &below.insert((mi, read.below(&m.base))).1,
        };
        let Some(examined) = files.get(&f.file) else {
            continue;
        };
        let job = Job::new(m, (ai, a), (fi, role, f), true);
        content_problems(&job, &examined, &mut found);
    }
    found
}

/// What checking one manifest found.
struct Checked<'m> {
    manifest: &'m Manifest,
    problems: Vec<Problem>,
    /// The walk of `base`, when it could be read.
    tree: Option<Tree>,
    files: usize,
    hashed: u64,
    /// Asset and file index of the files left to the pack.
    deferred: Vec<(usize, usize)>,
}

/// Checks `manifests`, leaving the content of the files `defer` picks: each manifest's own
/// values on their own, then the files of all of them as one list, biggest first, so that
/// the cores finish together (one manifest's large video is not hashed alone at the end).
fn check_all<'m>(
    manifests: &'m [Manifest],
    options: &CheckOptions,
    defer: &Defer,
    progress: &dyn Progress,
) -> Vec<Checked<'m>> {
    let work: Vec<Work<'m>> = manifests
        .par_iter()
        .map(|m| prepare(m, options, defer))
        .collect();
    let mut examined = examine_all(&work, options, progress);
    let mut done: Vec<Checked> = work.into_iter().map(Work::into_checked).collect();
    examined.sort_by_key(|(mi, _)| *mi);
    for (mi, e) in examined {
        if let Some(c) = done.get_mut(mi) {
            c.problems.extend(e.problems);
            c.hashed += e.hashed;
        }
    }
    if options.preflight {
        done.par_iter_mut().for_each(|c| {
            let found = crate::preflight::manifest(c.manifest, &options.preflight_options);
            c.problems.extend(found);
        });
    }
    done
}

/// One manifest's checks before its files are examined: the problems found so far, the walk
/// of its `base`, and its files, to examine or left to the pack.
struct Work<'m> {
    manifest: &'m Manifest,
    problems: Vec<Problem>,
    tree: Option<Tree>,
    jobs: Vec<Job<'m>>,
    deferred: Vec<(Job<'m>, Leave)>,
}

impl<'m> Work<'m> {
    fn into_checked(self) -> Checked<'m> {
        Checked {
            manifest: self.manifest,
            problems: self.problems,
            tree: self.tree,
            files: self.jobs.len() + self.deferred.len(),
            hashed: 0,
            deferred: self.deferred.iter().map(|(j, _)| j.at).collect(),
        }
    }
}

/// Checks manifest `m`'s signature and values, walks its `base` and lists its files.
fn prepare<'m>(m: &'m Manifest, options: &CheckOptions, defer: &Defer) -> Work<'m> {
    let mut problems = Vec::new();
    if let Some(key) = &options.key {
        problems.extend(manifest_signature(m, key));
    }
    metadata_checks(m, options, &mut problems);
    let (tree, jobs, deferred) = match walk_base(m, &mut problems) {
        Some(tree) => {
            let (deferred, jobs) = left_to_the_pack(m, file_jobs(m, &tree), defer);
            (Some(tree), jobs, deferred)
        }
        None => (None, Vec::new(), Vec::new()),
    };
    Work {
        manifest: m,
        problems,
        tree,
        jobs,
        deferred,
    }
}

/// Examines the files of every manifest of `work` in parallel, biggest first (a deferred
/// file only has its size compared); each finding with its manifest's index.
fn examine_all(
    work: &[Work],
    options: &CheckOptions,
    progress: &dyn Progress,
) -> Vec<(usize, Examination)> {
    let mut jobs: Vec<(usize, &Job)> = work
        .iter()
        .enumerate()
        .flat_map(|(mi, w)| w.jobs.iter().map(move |j| (mi, j)))
        .collect();
    jobs.sort_by_key(|(_, j)| std::cmp::Reverse(j.file.bytes.unwrap_or(0)));
    let deferred: Vec<(usize, &Tree, &(Job, Leave))> = work
        .iter()
        .enumerate()
        .filter_map(|(mi, w)| Some((mi, w.tree.as_ref()?, &w.deferred)))
        .flat_map(|(mi, tree, left)| left.iter().map(move |d| (mi, tree, d)))
        .collect();
    let total: u64 = jobs.iter().map(|(_, j)| j.file.bytes.unwrap_or(0)).sum();
    progress.begin(jobs.len() as u64, total);
    let from_bucket = work.iter().any(|w| w.manifest.base.local().is_none());
    files::reading(from_bucket, || {
        // One file per task: a worker that runs out steals single files, not a run of the
        // biggest ones.
        jobs.par_iter()
            .with_max_len(1)
            .map(|(mi, job)| (*mi, examine_job(job, options, progress)))
            .chain(
                deferred
                    .par_iter()
                    .map(|(mi, tree, (j, leave))| (*mi, size_on_disk(j, tree, *leave))),
            )
            .collect()
    })
}

/// What is wrong with the signature of manifest `m` by `key`, if anything: it must be in
/// `<manifest>.minisig` and match the manifest's text as read.
fn manifest_signature(m: &Manifest, key: &crate::keys::PublicKey) -> Option<Problem> {
    use crate::keys::{Signature, SignatureProblem};
    let path = crate::keys::signature_path(&m.path);
    let shown = path.display();
    let (code, message, fix) = match fs::read(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (
            Code::SignatureMissing,
            format!("the manifest is not signed: there is no {shown} (key ID {} was given)", key.id()),
            "ask the publisher for the manifest's signature (`assetpack sign MANIFEST --key KEYFILE` makes one)".to_owned(),
        ),
        Err(e) => (Code::Unreadable, format!("cannot read {shown}: {e}"), "check its permissions".to_owned()),
        Ok(bytes) => match Signature::parse(&bytes).and_then(|s| s.check(key, m.text().as_bytes())) {
            Ok(()) => return None,
            Err(why @ SignatureProblem::Malformed(_)) => (Code::SignatureMalformed, format!("{shown}: {why}"), "sign the manifest again".to_owned()),
            Err(why @ SignatureProblem::Foreign { .. }) => (Code::SignatureForeign, format!("{shown}: {why}"), "check that you were given the publisher's key; else do not trust this manifest".to_owned()),
            Err(SignatureProblem::Invalid) => (Code::SignatureInvalid, format!("the manifest was changed after it was signed: {shown} does not match it"), "do not trust it: ask the publisher; if the change is yours, sign it again".to_owned()),
        },
    };
    let mut p = Problem::new(code, message, fix);
    p.manifest = Some(m.path.as_path().into());
    p.provider = Some(m.provider.id.clone());
    Some(p)
}

/// The report of the checked manifests, and the manifests themselves.
fn assemble<'m>(
    mut done: Vec<Checked<'m>>,
    mut problems: Vec<Problem>,
    options: &CheckOptions,
    progress: &dyn Progress,
) -> Report {
    progress.finish();
    problems.extend(catalog::duplicate_providers(
        done.iter().map(|c| c.manifest),
    ));
    unlisted(&mut done, &mut problems);
    let mut summary = Summary {
        manifests: done.len(),
        ..Summary::default()
    };
    let order: Vec<&'m Path> = done.iter().map(|c| c.manifest.path.as_path()).collect();
    // Exactly: tens of thousands of warnings (an image each without `alt`) would otherwise
    // leave up to as many again in spare room while the pack is written.
    problems.reserve_exact(done.iter().map(|c| c.problems.len()).sum());
    for c in done {
        summary.assets += c.manifest.assets.len();
        summary.files += c.files;
        summary.bytes_hashed += c.hashed;
        problems.extend(c.problems);
    }
    finish(&mut problems, &order, options.strict);
    let mut report = Report {
        ok: false,
        problems,
        summary,
        manifests: Vec::new(),
    };
    report.tally();
    report
}

impl Report {
    /// Counts errors and warnings into the summary and sets `ok`.
    fn tally(&mut self) {
        let tally = Tally::of(&self.problems);
        self.summary.errors = tally.errors;
        self.summary.warnings = tally.warnings;
        self.ok = tally.errors == 0;
    }
}

/// Applies `--strict`, sorts problems by manifest (in `order`), line and column, and drops
/// repeats.
fn finish(problems: &mut Vec<Problem>, order: &[&Path], strict: bool) {
    if strict {
        for p in problems
            .iter_mut()
            .filter(|p| p.severity == Severity::Warning)
        {
            p.severity = Severity::Error;
        }
    }
    let order: HashMap<&Path, usize> = order.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    // The problems of a manifest share its path: each path met is ranked once and then known
    // by its pointer, instead of hashed (component by component) at every comparison of
    // tens of thousands of warnings.
    let mut known: Vec<(Arc<Path>, Option<usize>)> = Vec::new();
    let mut rank = |p: &Problem| {
        let m = p.manifest.as_ref()?;
        if let Some((_, r)) = known.iter().find(|(k, _)| Arc::ptr_eq(k, m)) {
            return *r;
        }
        let r = order.get(&**m).copied();
        // A few dozen at most: problems made apart, each with a path of its own, are hashed.
        if known.len() < 32 {
            known.push((Arc::clone(m), r));
        }
        r
    };
    problems.sort_by(|a, b| {
        (rank(a), &a.manifest, a.line, a.column, a.code, &a.file).cmp(&(
            rank(b),
            &b.manifest,
            b.line,
            b.column,
            b.code,
            &b.file,
        ))
    });
    problems.dedup();
}

// ---------------------------------------------------------------------------------------------
// Metadata: everything that needs no file.

fn metadata_checks(m: &Manifest, options: &CheckOptions, out: &mut Vec<Problem>) {
    let p = &m.provider;
    review_dates(m, None, p.last_reviewed, p.next_review_due, options, out);
    if let Some(w) = &p.website {
        url_problems(m, None, "website", w, out);
    }
    let mut by_path: HashMap<&str, (&Asset, String)> = HashMap::new();
    let mut by_key: HashMap<String, &str> = HashMap::new();
    let mut print_wanted = None;
    for a in &m.assets {
        review_dates(m, Some(a), a.last_reviewed, a.next_review_due, options, out);
        if a.print.as_ref().is_some_and(|p| p.available) && print_wanted.is_none() {
            print_wanted = Some(a);
        }
        match &a.content {
            Content::Url(u) => url_problems(m, Some(a), "url", u, out),
            Content::Text { text, channel } => message_length(m, a, text, channel, options, out),
            Content::File(_) => {}
        }
        for (role, f) in a.files() {
            let key = role.span_prefix();
            if let Some((other, other_role)) = by_path.get(f.file.as_str()) {
                out.push(
                    m.report(
                        Code::DuplicateFile,
                        Some(a),
                        &format!("{key}file"),
                        format!(
                            "`{}` is already the {} of asset `{}`",
                            f.file, other_role, other.id
                        ),
                        "point each asset at its own file, or make one asset of them",
                    )
                    .with_file(&f.file),
                );
                continue;
            }
            by_path.insert(&f.file, (a, role.describe()));
            let clash = safe_path::clash_key(&f.file);
            if let Some(other) = by_key.get(&clash) {
                out.push(
                    m.report(
                        Code::PathClash,
                        Some(a),
                        &format!("{key}file"),
                        format!(
                            "`{}` and `{other}` differ only in case or accents: they are one file on macOS and Windows",
                            f.file
                        ),
                        "rename one of the files (and its entry) so the names differ in letters",
                    )
                    .with_file(&f.file),
                );
            } else {
                by_key.insert(clash, &f.file);
            }
            if f.sha256.is_none() || f.bytes.is_none() {
                let missing = match (f.sha256.is_none(), f.bytes.is_none()) {
                    (true, true) => "`sha256` and `bytes`",
                    (true, false) => "`sha256`",
                    _ => "`bytes`",
                };
                out.push(
                    m.report(
                        Code::MissingChecksum,
                        Some(a),
                        &format!("{key}file"),
                        format!("the {} `{}` has no {missing}", role.describe(), f.file),
                        "run `assetpack scan` on the folder to record them",
                    )
                    .with_file(&f.file),
                );
            }
        }
        media_checks(m, a, out);
    }
    if let (Some(a), None) = (print_wanted, &p.print) {
        out.push(m.report(
            Code::NoPrintContact,
            Some(a),
            "print",
            format!(
                "asset `{}` offers printed copies but the provider has no [provider.print] contact",
                a.id
            ),
            "add [provider.print] with `contact = \"…\"` so requests reach someone",
        ));
    }
}

fn review_dates(
    m: &Manifest,
    a: Option<&Asset>,
    last: Option<Date>,
    next: Option<Date>,
    options: &CheckOptions,
    out: &mut Vec<Problem>,
) {
    let whose = match a {
        Some(a) => format!("asset `{}`", a.id),
        None => format!("provider `{}`", m.provider.id),
    };
    let Some(next) = next else { return };
    if let Some(last) = last {
        if next < last {
            out.push(m.report(
                Code::ReviewDatesOrder,
                a,
                "next_review_due",
                format!(
                    "{whose} is next due for review ({next}) before it was last reviewed ({last})"
                ),
                "correct one of the two dates",
            ));
        }
    }
    if next < options.today {
        out.push(m.report(
            Code::ReviewOverdue,
            a,
            "next_review_due",
            format!("{whose} was due for review on {next}"),
            "review it, then update `last_reviewed` and `next_review_due`",
        ));
    } else if next <= options.today.add_days(options.due_soon_days) {
        out.push(m.report(
            Code::ReviewDueSoon,
            a,
            "next_review_due",
            format!("{whose} is due for review on {next}"),
            "plan the review, then update `last_reviewed` and `next_review_due`",
        ));
    }
}

/// Problems with a web address, judged by the WHATWG URL rules (the `url` crate, as browsers
/// read addresses): not an address, not http(s), a bad host or port, embedded credentials
/// (errors); plain http (warning). Nothing is fetched.
fn url_problems(m: &Manifest, a: Option<&Asset>, key: &str, url: &str, out: &mut Vec<Problem>) {
    let mut bad = |why: String| {
        out.push(m.report(
            Code::BadUrl,
            a,
            key,
            format!("`{url}` {why}"),
            "give a full https:// address with no user name or password",
        ))
    };
    // The URL rules drop spaces around an address and tabs and newlines inside it without a
    // word; a manifest should not depend on that.
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("contains spaces or control characters".into());
    }
    let parsed = match url::Url::parse(url) {
        Ok(u) => u,
        Err(e) => return bad(format!("is not a valid address ({e})")),
    };
    if !matches!(parsed.scheme(), "https" | "http") {
        return bad("is not an http(s) address".into());
    }
    // Browsers also take `https:example.org` and `https:///example.org`; a manifest spells
    // the host right after `//`.
    let written = url.split_once("://").map(|(_, rest)| rest);
    if written.is_none_or(|r| r.starts_with(['/', '\\'])) {
        return bad(format!("is not written `{}://host/…`", parsed.scheme()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return bad("carries a user name or password".into());
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return bad("has no host name".into());
    }
    if parsed.scheme() == "http" {
        out.push(m.report(
            Code::InsecureUrl,
            a,
            key,
            format!("`{url}` uses plain http"),
            "use https:// if the site supports it",
        ));
    }
}

fn message_length(
    m: &Manifest,
    a: &Asset,
    text: &str,
    channel: &Option<String>,
    options: &CheckOptions,
    out: &mut Vec<Problem>,
) {
    let Some(channel) = channel else { return };
    let Some(&limit) = options.channel_limits.get(channel.as_str()) else {
        out.push(m.report(
            Code::UnknownChannel,
            Some(a),
            "channel",
            format!("no length limit is known for channel `{channel}`"),
            format!(
                "use one of {}, or give its limit with `--channel-limit {channel}=N`",
                options
                    .channel_limits
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
        return;
    };
    let counted = channel_length(text, Some(channel));
    if counted > limit {
        out.push(m.report(
            Code::MessageTooLong,
            Some(a),
            "text",
            format!("the message has {counted} characters; {channel} takes {limit}"),
            format!("shorten it by {} characters", counted - limit),
        ));
    }
}

fn visual(f: &FileRef) -> Option<&'static str> {
    let t = f
        .media_type
        .as_deref()
        .or_else(|| content::media_type_for_path(&f.file))?;
    if t.starts_with("video/") {
        Some("video")
    } else if t.starts_with("image/") {
        Some("image")
    } else {
        None
    }
}

fn media_checks(m: &Manifest, a: &Asset, out: &mut Vec<Problem>) {
    let Content::File(f) = &a.content else {
        return;
    };
    let what = visual(f);
    let is_video = a.kind == Kind::Video || what == Some("video");
    if (what.is_some() || is_video) && a.alt.is_none() {
        out.push(m.report(
            Code::MissingAlt,
            Some(a),
            "",
            format!(
                "{} `{}` has no `alt` text",
                if is_video { "video" } else { "image" },
                a.id
            ),
            "add `alt = \"…\"` describing what it shows, for screen-reader users",
        ));
    }
    if is_video {
        if a.transcript.is_none() {
            out.push(m.report(
                Code::MissingTranscript,
                Some(a),
                "",
                format!("video `{}` has no transcript", a.id),
                "add `transcript = { file = \"….txt\" }`",
            ));
        }
        if a.captions.is_none() {
            out.push(m.report(
                Code::MissingCaptions,
                Some(a),
                "",
                format!("video `{}` has no captions", a.id),
                "add `captions = { file = \"….vtt\" }`",
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Files.

struct Job<'a> {
    manifest: &'a Manifest,
    asset: &'a Asset,
    /// Asset and file index (in [`Asset::files`] order).
    at: (usize, usize),
    role: FileRole<'a>,
    file: &'a FileRef,
    path: PathBuf,
    /// False when the walk did not see a regular file there (symlink, missing...).
    in_tree: bool,
}

/// The walk of manifest `m`'s `base`; `None` (with the problem, in `out`) when it cannot be
/// read or does not exist.
fn walk_base(m: &Manifest, out: &mut Vec<Problem>) -> Option<Tree> {
    let problem = match files::list(&m.base) {
        Ok(Some(tree)) => return Some(tree),
        Err(e) => {
            let (what, fix) = match &m.base {
                Place::Local(_) => ("folder", "check the folder's permissions"),
                Place::Remote(_) => (
                    "bucket folder",
                    "check the bucket, the credentials and the endpoint, then run the check again",
                ),
            };
            m.report(
                Code::Unreadable,
                None,
                "base",
                format!("cannot read the {what} {}: {e}", m.base),
                fix,
            )
        }
        Ok(None) => m.report(
            Code::MissingFile,
            None,
            "base",
            format!("the provider's folder {} does not exist", m.base),
            "set `base` in [provider] to the folder holding the files, relative to the manifest",
        ),
    };
    out.push(problem);
    None
}

/// Every file of manifest `m`'s assets, in order, each with whether `tree` (the walk of its
/// base) saw it as a regular file.
fn file_jobs<'m>(m: &'m Manifest, tree: &Tree) -> Vec<Job<'m>> {
    let mut jobs = Vec::new();
    for (ai, a) in m.assets.iter().enumerate() {
        for (fi, (role, f)) in a.files().into_iter().enumerate() {
            jobs.push(Job::new(m, (ai, a), (fi, role, f), tree.contains(&f.file)));
        }
    }
    jobs
}

/// The jobs `defer` leaves (in part) to the pack, with what it leaves, and those the check
/// examines. A file the walk did not find as a regular file is examined (and found missing).
fn left_to_the_pack<'a>(
    m: &Manifest,
    jobs: Vec<Job<'a>>,
    defer: &Defer,
) -> (Vec<(Job<'a>, Leave)>, Vec<Job<'a>>) {
    let mut left = Vec::new();
    let mut examined = Vec::new();
    for job in jobs {
        match defer(m, job.file) {
            leave @ (Leave::Content | Leave::Read) if job.in_tree => left.push((job, leave)),
            _ => examined.push(job),
        }
    }
    (left, examined)
}

/// Files and links under each `base` that no asset lists. Manifests sharing a base share its
/// listing; the leftovers are reported once, on the first manifest using it.
fn unlisted(done: &mut [Checked], out: &mut Vec<Problem>) {
    // A manifest kept under its own base, and its signature, are not the provider's files.
    let manifest_files: HashSet<PathBuf> = done
        .iter()
        .map(|c| &c.manifest.path)
        .flat_map(|p| [p.clone(), crate::keys::signature_path(p)])
        .filter_map(|p| fs::canonicalize(p).ok())
        .collect();
    // Each folder's walk is judged once, for the first manifest of that base, and the walks
    // are judged side by side and let go there (tens of thousands of names, freed one by one).
    let trees: Vec<Option<Tree>> = done.iter_mut().map(|c| c.tree.take()).collect();
    let done = &*done;
    let mut seen_bases: HashSet<&Place> = HashSet::default();
    let walks: Vec<(&Manifest, Tree)> = done
        .iter()
        .zip(trees)
        .filter_map(|(c, tree)| {
            let (m, tree) = (c.manifest, tree?);
            seen_bases.insert(&m.base).then_some((m, tree))
        })
        .collect();
    let found: Vec<Vec<Problem>> = walks
        .into_par_iter()
        .map(|(m, tree)| unlisted_below(done, m, &tree, &manifest_files))
        .collect();
    out.extend(found.into_iter().flatten());
}

/// The files and links `tree` (the walk of `m`'s base) holds that no manifest of that base
/// lists.
fn unlisted_below(
    done: &[Checked],
    m: &Manifest,
    tree: &Tree,
    manifest_files: &HashSet<PathBuf>,
) -> Vec<Problem> {
    let mut out = Vec::new();
    let names: HashSet<&str> = done
        .iter()
        .filter(|o| o.manifest.base == m.base)
        .flat_map(|o| o.manifest.assets.iter())
        .flat_map(|a| a.files().into_iter().map(|(_, f)| f.file.as_str()))
        .collect();
    for rel in tree.files.iter().map(|f| &f.rel) {
        if names.contains(rel.as_str()) {
            continue;
        }
        let full = m.base.join(rel);
        if fs::canonicalize(&full).is_ok_and(|c| manifest_files.contains(&c)) {
            continue;
        }
        out.push(
            m.report(
                Code::UnlistedFile,
                None,
                "",
                format!("`{rel}` is under base but no asset lists it"),
                "add an [[asset]] for it (`assetpack scan` does), or move it out of the folder",
            )
            .with_file(rel),
        );
    }
    for (rel, what) in &tree.other {
        let dir = format!("{rel}/");
        if names.contains(rel.as_str()) || names.iter().any(|n| n.starts_with(&dir)) {
            continue;
        }
        out.push(
            m.report(
                Code::SpecialFile,
                None,
                "",
                format!("`{rel}` is a {what}; it is never followed or read"),
                "replace it with the real file, or remove it",
            )
            .with_file(rel),
        );
    }
    out
}

/// What examining one file found.
struct Examination {
    problems: Vec<Problem>,
    /// Bytes hashed.
    hashed: u64,
}

fn examine_job(job: &Job, options: &CheckOptions, progress: &dyn Progress) -> Examination {
    let (problems, hashed) = examine_file(job, options, progress);
    Examination { problems, hashed }
}

/// A deferred file: only its size (as the listing of a bucket gave it, else on disk) against
/// the manifest's; none at all for a file on this machine the pack reads and holds to its
/// recorded size ([`Leave::Read`]).
fn size_on_disk(job: &Job, tree: &Tree, leave: Leave) -> Examination {
    let size = match tree.size(&job.file.file) {
        Some(size) => Ok(size),
        None if leave == Leave::Read && job.file.recorded().is_some() => {
            return Examination {
                problems: Vec::new(),
                hashed: 0,
            }
        }
        None => files::size(&job.manifest.base, &job.file.file),
    };
    let problems = match size {
        Ok(len) => sum_problem(job, &Examined::read(len, Default::default()))
            .into_iter()
            .collect(),
        Err(_) => vec![job.missing()],
    };
    Examination {
        problems,
        hashed: 0,
    }
}

impl<'a> Job<'a> {
    fn new(
        manifest: &'a Manifest,
        (ai, asset): (usize, &'a Asset),
        (fi, role, file): (usize, FileRole<'a>, &'a FileRef),
        in_tree: bool,
    ) -> Job<'a> {
        Job {
            manifest,
            asset,
            at: (ai, fi),
            role,
            file,
            path: manifest.resolve(&file.file),
            in_tree,
        }
    }

    /// A problem about this file, located at `key` of its entry in the manifest.
    fn problem(
        &self,
        code: Code,
        key: &str,
        message: String,
        fix: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Problem {
        let key = format!("{}{key}", self.role.span_prefix());
        self.manifest
            .report(code, Some(self.asset), &key, message, fix)
            .with_file(&self.file.file)
    }

    fn missing(&self) -> Problem {
        self.problem(
            Code::MissingFile,
            "file",
            format!(
                "the {} `{}` does not exist",
                self.role.describe(),
                self.file.file
            ),
            "put the file there, or correct the path (it is relative to `base`)",
        )
    }
}

fn examine_file(job: &Job, options: &CheckOptions, progress: &dyn Progress) -> (Vec<Problem>, u64) {
    if !job.in_tree {
        if let Some(p) = outside_the_tree(job) {
            return (vec![p], 0);
        }
    }
    let (mut examined, stored) = match read_file(job, options, progress) {
        Ok(e) => e,
        Err(p) => return (vec![*p], 0),
    };
    progress.file_done(&job.path);
    let hashed = if examined.sha256.is_some() {
        examined.len
    } else {
        0
    };
    if examined.sha256.is_none() {
        // `--fast` on a bucket: the SHA-256 the store keeps stands in for hashing.
        examined.sha256 = stored;
    }
    let mut out: Vec<Problem> = sum_problem(job, &examined).into_iter().collect();
    content_problems(job, &examined, &mut out);
    (out, hashed)
}

/// A file the walk did not see as a regular file inside `base`: missing, a broken link, or a
/// link that leads outside `base`. `None` when it is fine to read (a link within `base`).
fn outside_the_tree(job: &Job) -> Option<Problem> {
    let Place::Local(base) = &job.manifest.base else {
        // A bucket folder has no links: what its listing lacks is not there.
        return Some(job.missing());
    };
    match fs::symlink_metadata(&job.path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Some(job.missing()),
        _ => {}
    }
    let what = job.role.describe();
    let file = &job.file.file;
    let inside = match (fs::canonicalize(base), fs::canonicalize(&job.path)) {
        (Ok(base), Ok(target)) => target.starts_with(base),
        (_, Err(e)) if e.kind() == io::ErrorKind::NotFound => {
            return Some(job.problem(
                Code::MissingFile,
                "file",
                format!("the {what} `{file}` is a broken symbolic link"),
                "replace the link with the real file",
            ));
        }
        _ => true,
    };
    (!inside).then(|| {
        job.problem(
            Code::SymlinkEscape,
            "file",
            format!("the {what} `{file}` goes through a symbolic link that leads outside base"),
            "copy the real file into the provider's folder instead of linking to it",
        )
    })
}

/// Reads the file once (hashing it unless `--fast`); a file that cannot be read is a problem.
/// Beside what it found, with `--fast`, the SHA-256 its store keeps for it (if any).
fn read_file(
    job: &Job,
    options: &CheckOptions,
    progress: &dyn Progress,
) -> Result<(Examined, Option<String>), Box<Problem>> {
    let hash = !options.fast && job.file.sha256.is_some();
    let what = job.role.describe();
    let file = &job.file.file;
    let examined = files::open(&job.manifest.base, file).and_then(|opened| {
        let stored = opened
            .stored_sha256()
            .filter(|_| options.fast)
            .map(str::to_owned);
        examine(opened, hash, &|n| progress.advance(n)).map(|e| (e, stored))
    });
    examined.map_err(|e| {
        Box::new(match e.kind() {
            _ if LeadsOutside::is(&e) => job.problem(
                Code::SymlinkEscape,
                "file",
                format!("the {what} `{file}` goes through a symbolic link that leads outside base"),
                "copy the real file into the provider's folder instead of linking to it",
            ),
            io::ErrorKind::NotFound => job.missing(),
            io::ErrorKind::InvalidInput => job.problem(
                Code::NotAFile,
                "file",
                format!("the {what} `{file}` is not a regular file"),
                "point `file` at a file, not a folder or device",
            ),
            _ => job.problem(
                Code::Unreadable,
                "file",
                format!("cannot read the {what} `{file}`: {e}"),
                match job.manifest.base {
                    Place::Local(_) => "check the file's permissions and the disk",
                    Place::Remote(_) => "check the store's answer, then run the check again",
                },
            ),
        })
    })
}

/// A changed file is a hash mismatch (whatever its size); a wrong `bytes` with the right
/// content, or a size change seen without hashing, is a size mismatch.
fn sum_problem(job: &Job, examined: &Examined) -> Option<Problem> {
    let f = job.file;
    let what = job.role.describe();
    let len = examined.len;
    match (&f.sha256, &examined.sha256) {
        (Some(want), Some(got)) if want != got => {
            let size = match f.bytes {
                Some(b) if b != len => format!("now {len} bytes, the manifest says {b}; "),
                _ => String::new(),
            };
            Some(job.problem(
                Code::HashMismatch,
                "sha256",
                format!(
                    "the {what} `{}` changed since the manifest was written ({size}SHA-256 now {got})",
                    f.file
                ),
                "if the change is intended, run `assetpack scan` to record the new hash and size; otherwise restore the file",
            ))
        }
        _ if f.bytes.is_some_and(|b| b != len) => {
            let same = if examined.sha256.is_some() {
                " (its content matches `sha256`, so `bytes` is wrong)"
            } else {
                ""
            };
            Some(job.problem(
                Code::SizeMismatch,
                "bytes",
                format!(
                    "the {what} `{}` has {len} bytes, the manifest says {}{same}",
                    f.file,
                    f.bytes.unwrap_or(0)
                ),
                "if the file is right, run `assetpack scan` to record its size and hash",
            ))
        }
        _ => None,
    }
}

/// The content against the name, the declared media type, and damage.
fn content_problems(job: &Job, examined: &Examined, out: &mut Vec<Problem>) {
    let f = job.file;
    let by_ext = content::media_type_for_path(&f.file);
    if examined.len == 0 && by_ext.is_some_and(|t| !t.starts_with("text/")) {
        out.push(job.problem(
            Code::CorruptContent,
            "file",
            format!("`{}` is empty", f.file),
            "export or download the file again",
        ));
        return;
    }
    let found = examined.inspection.media_type;
    if let (Some(found), Some(expected)) = (found, by_ext) {
        if !content::satisfies(found, expected) {
            out.push(job.problem(
                Code::ContentMismatch,
                "file",
                format!(
                    "`{}` is named as {expected} but its content is {found}",
                    f.file
                ),
                "rename the file to match its content, or replace it with the right file",
            ));
        }
    }
    if let Some(declared) = &f.media_type {
        if !found.is_some_and(|found| content::satisfies(found, declared)) {
            out.push(job.problem(
                Code::MediaTypeMismatch,
                "media_type",
                format!(
                    "`{}` is declared as {declared} but its content is {}",
                    f.file,
                    found.unwrap_or("not a recognised type")
                ),
                "correct `media_type`, or remove it and let the content speak",
            ));
        }
    }
    if let Some(damage) = &examined.inspection.damage {
        out.push(job.problem(
            Code::CorruptContent,
            "file",
            format!("`{}`: {damage}", f.file),
            "export or download the file again",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A provider folder with `files`, and its manifest of `assets` (TOML), loaded.
    struct Folder {
        dir: tempfile::TempDir,
    }

    impl Folder {
        fn new(files: &[(&str, &[u8])]) -> Folder {
            let dir = tempfile::tempdir().unwrap();
            for (name, bytes) in files {
                let p = dir.path().join("files").join(name);
                fs::create_dir_all(p.parent().unwrap()).unwrap();
                fs::write(p, bytes).unwrap();
            }
            fs::create_dir_all(dir.path().join("files")).unwrap();
            Folder { dir }
        }

        fn check(&self, assets: &str, options: &CheckOptions) -> Vec<(Code, Severity, String)> {
            let text =
                format!("[provider]\nid = \"p\"\nname = \"P\"\nbase = \"files\"\n\n{assets}");
            let path = self.dir.path().join("p.toml");
            let loaded = Manifest::parse(&path, text);
            assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
            let report = check_loaded(&[loaded.manifest.unwrap()], options, &crate::NoProgress);
            report
                .problems
                .into_iter()
                .map(|p| (p.code, p.severity, p.asset.unwrap_or_default()))
                .collect()
        }
    }

    fn file_asset(id: &str, file: &str, bytes: &[u8]) -> String {
        format!(
            "[[asset]]\nid = \"{id}\"\ntitle = \"{id}\"\nkind = \"other\"\nfile = \"{file}\"\nsha256 = \"{}\"\nbytes = {}\n\n",
            crate::digest::sha256_bytes(bytes),
            bytes.len()
        )
    }

    fn today(s: &str) -> CheckOptions {
        CheckOptions {
            today: Date::parse(s).unwrap(),
            ..CheckOptions::default()
        }
    }

    #[test]
    fn a_changed_file_is_a_hash_mismatch_and_a_wrong_size_alone_is_a_size_mismatch() {
        let f = Folder::new(&[("a.txt", b"new text"), ("b.txt", b"same")]);
        let assets = file_asset("a", "a.txt", b"old text")
            + &file_asset("b", "b.txt", b"same").replace("bytes = 4", "bytes = 5");
        let found = f.check(&assets, &today("2026-01-01"));
        assert!(
            found.contains(&(Code::HashMismatch, Severity::Error, "a".into())),
            "{found:?}"
        );
        assert!(
            found.contains(&(Code::SizeMismatch, Severity::Error, "b".into())),
            "{found:?}"
        );
        // Without hashing the same-size change goes unseen; the size change does not.
        let fast = CheckOptions {
            fast: true,
            ..today("2026-01-01")
        };
        let found = f.check(&assets, &fast);
        assert!(
            !found.iter().any(|(c, _, _)| *c == Code::HashMismatch),
            "{found:?}"
        );
        assert!(
            found.contains(&(Code::SizeMismatch, Severity::Error, "b".into())),
            "{found:?}"
        );
    }

    #[test]
    fn content_is_judged_by_its_bytes_not_its_name() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde";
        let f = Folder::new(&[
            ("logo.pdf", png),
            ("empty.pdf", b""),
            ("page.html", b"<!DOCTYPE html><p>hi</p>"),
        ]);
        let assets = file_asset("renamed", "logo.pdf", png)
            + &file_asset("empty", "empty.pdf", b"")
            + &file_asset("page", "page.html", b"<!DOCTYPE html><p>hi</p>");
        let found = f.check(&assets, &today("2026-01-01"));
        assert!(
            found.contains(&(Code::ContentMismatch, Severity::Error, "renamed".into())),
            "{found:?}"
        );
        assert!(
            found.contains(&(Code::CorruptContent, Severity::Error, "empty".into())),
            "{found:?}"
        );
        assert!(!found.iter().any(|(_, _, a)| a == "page"), "{found:?}");
    }

    #[test]
    fn missing_files_links_out_of_base_and_unlisted_files_are_reported() {
        let f = Folder::new(&[("listed.txt", b"x"), ("stray.txt", b"y"), (".hidden", b"z")]);
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/hostname", f.dir.path().join("files/out.txt")).unwrap();
        let assets =
            file_asset("listed", "listed.txt", b"x") + &file_asset("gone", "gone.txt", b"x");
        #[cfg(unix)]
        let assets = assets + &file_asset("out", "out.txt", b"x");
        let found = f.check(&assets, &today("2026-01-01"));
        assert!(
            found.contains(&(Code::MissingFile, Severity::Error, "gone".into())),
            "{found:?}"
        );
        #[cfg(unix)]
        assert!(
            found.contains(&(Code::SymlinkEscape, Severity::Error, "out".into())),
            "{found:?}"
        );
        let unlisted: Vec<_> = found
            .iter()
            .filter(|(c, _, _)| *c == Code::UnlistedFile)
            .collect();
        assert_eq!(unlisted.len(), 1, "hidden files are not listed: {found:?}");
    }

    #[test]
    fn a_folder_two_manifests_share_is_judged_once_against_both_lists() {
        let f = Folder::new(&[("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"c")]);
        let load = |id: &str, file: &str, body: &[u8]| {
            let text = format!(
                "[provider]\nid = \"{id}\"\nname = \"P\"\nbase = \"files\"\n\n{}",
                file_asset(id, file, body)
            );
            let loaded = Manifest::parse(f.dir.path().join(format!("{id}.toml")), text);
            loaded.manifest.unwrap()
        };
        let manifests = [load("p", "a.txt", b"a"), load("q", "b.txt", b"b")];
        let report = check_loaded(&manifests, &today("2026-01-01"), &crate::NoProgress);
        let unlisted: Vec<_> = report
            .problems
            .iter()
            .filter(|p| p.code == Code::UnlistedFile)
            .map(|p| p.file.as_deref())
            .collect();
        assert_eq!(unlisted, [Some("c.txt")], "{:?}", report.problems);
    }

    #[test]
    fn review_dates_warn_and_strict_makes_warnings_errors() {
        let f = Folder::new(&[]);
        let link = |id: &str, due: &str| {
            format!("[[asset]]\nid = \"{id}\"\ntitle = \"{id}\"\nkind = \"link\"\nurl = \"https://x.org/{id}\"\nnext_review_due = {due}\n\n")
        };
        let assets =
            link("late", "2026-05-01") + &link("soon", "2026-06-30") + &link("fine", "2026-09-01");
        let found = f.check(&assets, &today("2026-06-01"));
        assert!(
            found.contains(&(Code::ReviewOverdue, Severity::Warning, "late".into())),
            "{found:?}"
        );
        assert!(
            found.contains(&(Code::ReviewDueSoon, Severity::Warning, "soon".into())),
            "{found:?}"
        );
        assert!(!found.iter().any(|(_, _, a)| a == "fine"), "{found:?}");
        let strict = CheckOptions {
            strict: true,
            ..today("2026-06-01")
        };
        assert!(f
            .check(&assets, &strict)
            .iter()
            .all(|(_, s, _)| *s == Severity::Error));
    }

    #[test]
    fn messages_are_measured_against_their_channel() {
        let f = Folder::new(&[]);
        let message = |id: &str, text: &str| {
            format!("[[asset]]\nid = \"{id}\"\ntitle = \"{id}\"\nkind = \"message\"\nchannel = \"x\"\ntext = \"{text}\"\n\n")
        };
        let long = "word ".repeat(60);
        let assets = message("long", &long)
            + &message(
                "short",
                "Ask your librarian https://example.org/a/very/long/path/that/counts/as/23",
            );
        let found = f.check(&assets, &today("2026-01-01"));
        assert!(
            found.contains(&(Code::MessageTooLong, Severity::Error, "long".into())),
            "{found:?}"
        );
        assert!(!found.iter().any(|(_, _, a)| a == "short"), "{found:?}");
    }

    #[test]
    fn addresses_are_judged_as_browsers_read_them() {
        let f = Folder::new(&[]);
        let cases = [
            ("https://oxfordmedicine.com/", None),
            ("https://bmj.com:8443/best-practice?x=1#top", None),
            ("https://[2001:db8::1]/", None),
            ("http://example.org/", Some(Code::InsecureUrl)),
            ("https://example.org:99999/", Some(Code::BadUrl)),
            ("https://example.org:80a/", Some(Code::BadUrl)),
            ("https://exa mple.org/", Some(Code::BadUrl)),
            ("https://a<b.org/", Some(Code::BadUrl)),
            ("https://[::1/", Some(Code::BadUrl)),
            ("https://999.1.1.1/", Some(Code::BadUrl)),
            ("https:///path", Some(Code::BadUrl)),
            ("https:example.org", Some(Code::BadUrl)),
            ("HTTPS://Example.ORG/", None),
            ("https://:secret@example.org/", Some(Code::BadUrl)),
            ("https://jo@example.org/", Some(Code::BadUrl)),
            ("mailto:library@nhs.net", Some(Code::BadUrl)),
            ("example.org/page", Some(Code::BadUrl)),
            ("https://example.org/\tpage", Some(Code::BadUrl)),
        ];
        for (url, want) in cases {
            let assets =
                format!("[[asset]]\nid = \"l\"\ntitle = \"L\"\nkind = \"link\"\nurl = \"{url}\"\n");
            let found: Vec<Code> = f
                .check(&assets, &today("2026-01-01"))
                .into_iter()
                .map(|(c, _, _)| c)
                .filter(|c| matches!(c, Code::BadUrl | Code::InsecureUrl))
                .collect();
            assert_eq!(found, want.into_iter().collect::<Vec<_>>(), "{url}");
        }
    }
}
