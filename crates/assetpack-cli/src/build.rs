//! `assetpack build` and `assetpack index`: flags in, the library's one build, the outcome
//! printed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use assetpack::build::{
    self, BuildError, BuildOptions, IndexFailure, IndexMaker, IndexOutcome, Outcome,
};
use assetpack::cache::Cache;
use assetpack::catalog::{Inputs, InputsError, Layout};
use assetpack::pack::PackError;
use assetpack::plan::{Compression, IndexFacts, Made};
use assetpack::store::Place;
use assetpack::Problem;

use serde::Serialize;

use crate::{
    output, progress, BuildArgs, CompressionArg, Format, HtmlArgs, IndexArgs, LayoutArg, PaperArg,
    ViewArgs,
};

/// Exit code after an interrupt (128 + SIGINT), as shells report it.
pub(crate) const INTERRUPTED: u8 = 130;

/// An index maker that renders the views asked for with `assetpack-pdf` (the PDF on `paper`,
/// the HTML catalogue with `html` links) and keeps its warnings in `notes`.
fn index_maker<'a>(
    paper: Option<PaperArg>,
    html: Option<assetpack_pdf::Links>,
    today: Option<assetpack::manifest::Date>,
    notes: &'a Mutex<Vec<String>>,
) -> impl Fn(&IndexFacts) -> Result<Vec<Made>, IndexFailure> + Sync + 'a {
    move |facts| {
        let options = assetpack_pdf::ViewOptions {
            pdf: paper.map(Into::into),
            html: html.clone(),
            today,
        };
        let views = assetpack_pdf::render_views(facts, &options)?;
        if let Ok(mut all) = notes.lock() {
            all.extend(views.warnings);
        }
        Ok(views.files)
    }
}

/// The build's options; the signing key is read (and its password asked) first, so that a
/// wrong password stops the build before anything is read or written.
fn build_options(args: &BuildArgs) -> Result<BuildOptions> {
    let sign = args
        .sign
        .as_deref()
        .map(crate::keys::signing_key)
        .transpose()?;
    Ok(BuildOptions {
        output: args.output.as_deref().map(local_path),
        out_dir: args.out_dir.as_deref().map(local_path),
        layout: match args.layout {
            LayoutArg::Plain => Layout::Plain,
            LayoutArg::Bagit => Layout::Bagit,
        },
        compression: match args.compression {
            CompressionArg::Auto => Compression::Auto,
            CompressionArg::Store => Compression::Store,
            CompressionArg::Deflate => Compression::Deflate,
        },
        jobs: args.jobs.unwrap_or(0),
        sync: args.sync,
        dry_run: args.dry_run,
        sign,
        cache: None,
    })
}

/// An object in a bucket (without the `s3` feature there is none).
#[cfg(feature = "s3")]
type Bucket = assetpack::store::Remote;
#[cfg(not(feature = "s3"))]
type Bucket = std::convert::Infallible;

/// The bucket `path` (given to `-o` or `--out-dir`) names, connected; `None` for a local path.
fn bucket(path: &Path) -> Result<Option<Bucket>> {
    let Some(text) = path.to_str() else {
        return Ok(None);
    };
    match assetpack::store::place(text)? {
        Place::Local(_) => Ok(None),
        #[cfg(feature = "s3")]
        Place::Remote(url) => Ok(Some(assetpack::store::Remote::connect(url)?)),
        #[cfg(not(feature = "s3"))]
        Place::Remote(url) => Err(assetpack::store::StoreError::NotBuilt {
            url: url.to_string(),
        }
        .into()),
        _ => Ok(None),
    }
}

/// A local path as given, or the path a `file://` URL names.
fn local_path(path: &Path) -> std::path::PathBuf {
    match path.to_str().map(assetpack::store::place) {
        Some(Ok(Place::Local(p))) => p,
        _ => path.to_owned(),
    }
}

pub(crate) fn run(args: BuildArgs) -> Result<u8> {
    let mut options = build_options(&args)?;
    progress::catch_interrupt();
    if let Some(dir) = &args.out_dir {
        let to = bucket(dir)?;
        if to.is_some() {
            options.out_dir = None;
        }
        return run_each(&args, options, to.as_ref());
    }
    let to = args.output.as_deref().map(bucket).transpose()?.flatten();
    if to.is_some() {
        options.output = None;
    }
    // Read once: for the cache (what the pack reads from buckets) and for the build.
    let read = read_inputs(&args.specs, &options, to.as_ref());
    let reads = match &read {
        Ok((inputs, _)) => bucket_reads(&args, inputs),
        Err(_) => Vec::new(),
    };
    options.cache = run_cache(&args, reads, 1)?;
    let code = build_one(&args, read, &options, to.as_ref(), Among::Alone)?;
    cache_summary(&args, options.cache.as_deref())?;
    Ok(code)
}

/// The cache `--cache DIR` keeps, unless `--cache-size 0` turns it off.
fn kept_cache(args: &BuildArgs) -> Result<Option<Cache>> {
    match &args.cache {
        Some(dir) if args.cache_size > 0 => Cache::keep(dir, args.cache_size)
            .map(Some)
            .with_context(|| format!("cannot use {} as a cache folder", dir.display())),
        _ => Ok(None),
    }
}

/// The cache of a run: the kept one, else (when the packs read assets from buckets) a
/// temporary one for what is read more than once: assets the packs share, and each asset's
/// file the views look at before the pack reads it. Every pack's reads from buckets
/// ([`bucket_reads`]) are counted in, so that a temporary cache copies only what is read
/// again. When `views` packs of the run make their views and there are several, a temporary
/// cache also holds their thumbnails, so that each asset's is made once for all of them (a
/// run of files on this machine goes on without one when it cannot be made). Otherwise a
/// run makes no cache folder at all.
fn run_cache(args: &BuildArgs, reads: Vec<String>, views: usize) -> Result<Option<Arc<Cache>>> {
    if args.cache_size == 0 || args.dry_run {
        return Ok(None);
    }
    let cache = match kept_cache(args)? {
        Some(kept) => kept,
        None if reads.is_empty() && views < 2 => return Ok(None),
        None => match Cache::for_run(args.cache_size) {
            Ok(cache) => cache,
            // It would only have held thumbnails.
            Err(_) if reads.is_empty() => return Ok(None),
            Err(e) => {
                return Err(e).context(
                    "cannot make a temporary cache folder (set TMPDIR, or give --cache DIR)",
                )
            }
        },
    };
    for sha256 in &reads {
        cache.expect(sha256);
    }
    Ok(Some(Arc::new(cache)))
}

/// What the build of `inputs` reads from buckets, views included unless both are off.
fn bucket_reads(args: &BuildArgs, inputs: &Inputs) -> Vec<String> {
    assetpack::cache::bucket_reads(inputs, !(args.no_index && args.no_html))
}

/// Reads the specs of one pack; a pack of provider manifests alone is named for its output
/// (the file, or the object `to`).
fn read_inputs(specs: &[PathBuf], options: &BuildOptions, to: Option<&Bucket>) -> Read {
    match to {
        #[cfg(feature = "s3")]
        Some(object) => build::read_for_upload(specs, object),
        #[cfg(not(feature = "s3"))]
        Some(never) => match *never {},
        None => Ok(Inputs::read(specs, options.output.as_deref())?),
    }
}

/// One pack's specs as read, with the problems met reading them.
type Read = Result<(Inputs, Vec<Problem>), BuildError>;

/// What the cache did, unless quiet: reads it saved, and what it holds when kept.
fn cache_summary(args: &BuildArgs, cache: Option<&Cache>) -> Result<()> {
    let Some(cache) = cache.filter(|_| !args.quiet && args.format == Format::Human) else {
        return Ok(());
    };
    let (hits, copies) = cache.counts();
    if (hits, copies) == (0, 0) && args.cache.is_none() {
        // A run's cache that only held the views' thumbnails: nothing to say.
        return Ok(());
    }
    let mut err = std::io::stderr().lock();
    write!(
        err,
        "cache: {copies} asset{} read from buckets into the cache, {hits} read{} from it",
        if copies == 1 { "" } else { "s" },
        if hits == 1 { "" } else { "s" }
    )?;
    if args.cache.is_some() {
        let held = assetpack::content::human_size(cache.used());
        write!(err, "; {} holds {held}", cache.dir().display())?;
    }
    writeln!(err)?;
    Ok(())
}

/// `build SPEC... --out-dir DIR`: one pack per bundle spec, `DIR/<name>.zip` (or the object
/// `<name>.zip` in the bucket folder `to`), each built as if alone; a spec that fails does
/// not stop the others. `--packs-at-once` of them are built side by side (into a bucket,
/// three by default: uploads wait on the network more than on this machine), sharing one
/// cache of the assets read from buckets. The exit code is the worst of them.
fn run_each(args: &BuildArgs, mut options: BuildOptions, to: Option<&Bucket>) -> Result<u8> {
    if let Some(dir) = options.out_dir.as_deref().filter(|d| !d.is_dir()) {
        std::fs::create_dir(dir)
            .with_context(|| format!("cannot make the output folder {}", dir.display()))?;
    }
    let (specs, mut worst) = named_specs(&args.specs);
    let views = if args.no_index && args.no_html {
        0
    } else {
        specs.len()
    };
    options.cache = run_cache(args, each_reads(args, &specs), views)?;
    let default = if to.is_some() { 3 } else { 1 };
    let at_once = args.packs_at_once.map_or(default, usize::from);
    let at_once = at_once.min(specs.len()).max(1);
    let next = AtomicUsize::new(0);
    let codes = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..at_once {
            scope.spawn(|| {
                while let Some((spec, name)) = specs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let code = build_named(args, spec, name, &options, to, at_once > 1);
                    if let Ok(mut codes) = codes.lock() {
                        codes.push(code);
                    }
                    if progress::INTERRUPTED.load(Ordering::Relaxed) {
                        break;
                    }
                }
            });
        }
    });
    let codes = codes.into_inner().unwrap_or_default();
    if codes.contains(&INTERRUPTED) {
        return Ok(INTERRUPTED);
    }
    worst = codes.into_iter().fold(worst, u8::max);
    cache_summary(args, options.cache.as_deref())?;
    Ok(worst)
}

/// What the packs of `specs` read from buckets, each spec read on its own and let go (a
/// spec that cannot be read is reported by its build). Not read when no cache can be used.
fn each_reads(args: &BuildArgs, specs: &[(PathBuf, String)]) -> Vec<String> {
    if args.cache_size == 0 || args.dry_run {
        return Vec::new();
    }
    let read = |spec: &PathBuf| Inputs::read(std::slice::from_ref(spec), None);
    let each = specs.iter().filter_map(|(spec, _)| read(spec).ok());
    each.flat_map(|(inputs, _)| bucket_reads(args, &inputs))
        .collect()
}

/// The specs `--out-dir` can build, each with its pack's name; the others are reported
/// here (exit code 2: a spec that is not a bundle spec, two specs naming one pack).
fn named_specs(specs: &[PathBuf]) -> (Vec<(PathBuf, String)>, u8) {
    let mut named: Vec<(PathBuf, String)> = Vec::new();
    let mut worst = 0;
    for spec in specs {
        match pack_name(spec) {
            Err(why) => {
                eprintln!("error: {}: {why}", spec.display());
                worst = 2;
            }
            Ok(name) => match named.iter().find(|(_, n)| *n == name) {
                Some((first, _)) => {
                    eprintln!(
                        "error: {} and {} both name the pack `{name}`; rename one (`name` in [bundle])",
                        first.display(),
                        spec.display()
                    );
                    worst = 2;
                }
                None => named.push((spec.clone(), name)),
            },
        }
    }
    (named, worst)
}

/// One pack of `--out-dir`; the exit code (an error that is not the data's is said here,
/// naming the spec, and is exit code 2). `beside_others`: other packs are being built at
/// the same time (no progress bar then).
fn build_named(
    args: &BuildArgs,
    spec: &Path,
    name: &str,
    options: &BuildOptions,
    to: Option<&Bucket>,
    beside_others: bool,
) -> u8 {
    let object = to.map(|folder| in_folder(folder, name)).transpose();
    let built = object.and_then(|object| {
        let read = read_inputs(&[spec.to_owned()], options, object.as_ref());
        build_one(
            args,
            read,
            options,
            object.as_ref(),
            Among::Many { beside_others },
        )
    });
    match built {
        Ok(code) => code,
        Err(e) => {
            let _turn = REPORT.lock();
            if args.format == Format::Json {
                output::json_error("io", &crate::chain(&e));
            } else {
                eprintln!("error: {}: {}", spec.display(), crate::chain(&e));
            }
            2
        }
    }
}

/// Held while a build says what happened, so that packs built side by side do not mix
/// their lines.
static REPORT: Mutex<()> = Mutex::new(());

/// The object `<name>.zip` in the bucket folder `folder`.
fn in_folder(folder: &Bucket, name: &str) -> Result<Bucket> {
    #[cfg(feature = "s3")]
    return Ok(folder.join(&format!("{name}.zip"))?);
    #[cfg(not(feature = "s3"))]
    match (*folder, name) {}
}

/// The one build, into a file or (`to`) a bucket.
fn build_to(
    read: Read,
    options: &BuildOptions,
    index: Option<&IndexMaker>,
    to: Option<&Bucket>,
    bar: &progress::Bar,
    among: Among,
) -> Result<Outcome, BuildError> {
    let (inputs, problems) = read?;
    let built = match to {
        #[cfg(feature = "s3")]
        Some(object) => build::upload_inputs(&inputs, problems, options, index, object, bar),
        #[cfg(not(feature = "s3"))]
        Some(never) => match *never {},
        None => build::build_inputs(&inputs, problems, options, index, bar),
    };
    let_go(inputs, among);
    built
}

/// The size of the pack written.
fn written_size(outcome: &Outcome, to: Option<&Bucket>) -> u64 {
    match to {
        #[cfg(feature = "s3")]
        Some(object) => object.size().ok().flatten().unwrap_or(0),
        #[cfg(not(feature = "s3"))]
        Some(never) => match *never {},
        None => std::fs::metadata(&outcome.output).map_or(0, |m| m.len()),
    }
}

/// The pack name of a bundle spec, or why it cannot go into `--out-dir`.
fn pack_name(spec: &Path) -> Result<String, String> {
    if !assetpack::catalog::is_bundle_spec(spec) {
        return Err("--out-dir builds one pack per bundle spec, and this is not one (give provider manifests with -o PACK.zip instead)".into());
    }
    let loaded = assetpack::bundle::Bundle::load(spec).map_err(|e| e.to_string())?;
    match loaded.bundle {
        Some(b) => Ok(b.header.name),
        // Its problems are said by the build.
        None => Ok(format!("(unnamed: {})", spec.display())),
    }
}

/// How a pack's build stands in the run.
#[derive(Clone, Copy)]
enum Among {
    /// The run's only pack: the process ends after it.
    Alone,
    /// One of `--out-dir`'s packs, built beside others (then without a progress bar) or not.
    Many { beside_others: bool },
}

/// Lets go of a build's inputs or outcome. After the run's only pack the process ends: its
/// memory is left to the operating system instead of freeing a large pack's every string one
/// by one (20,000 assets: a few milliseconds). Among many packs it is freed, so that a run
/// of many packs does not grow with each.
fn let_go<T>(value: T, among: Among) {
    match among {
        Among::Alone => std::mem::forget(value),
        Among::Many { .. } => drop(value),
    }
}

/// Builds the pack of the specs `read` and says what happened; the exit code.
fn build_one(
    args: &BuildArgs,
    read: Read,
    options: &BuildOptions,
    to: Option<&Bucket>,
    among: Among,
) -> Result<u8> {
    let no_bar = matches!(
        among,
        Among::Many {
            beside_others: true
        }
    );
    let notes = Mutex::new(Vec::new());
    let paper = (!args.no_index).then_some(args.paper);
    let html = (!args.no_html).then_some(assetpack_pdf::Links::Pack);
    let views = paper.is_some() || html.is_some();
    let make = index_maker(paper, html, None, &notes);
    let index: Option<&IndexMaker> = views.then_some(&make);
    let json = args.format == Format::Json;
    let bar = progress::Bar::new(args.quiet || args.dry_run || json || no_bar);
    let result = build_to(read, options, index, to, &bar, among);
    bar.clear();
    let _turn = REPORT.lock();
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) if json => return failed_json(e),
        Err(e) => return failed(e, args.quiet, args.verbose),
    };
    drop(make);
    if json {
        let notes = notes.into_inner().unwrap_or_default();
        output::json_doc(
            &mut std::io::stdout().lock(),
            &BuildDoc::of(&outcome, notes, options.sign.as_ref().map(|k| k.id())),
        )?;
        let_go(outcome, among);
        return Ok(0);
    }
    let mut err = output::stderr();
    if !args.quiet {
        output::warning_summary(&mut err, &outcome.warnings)?;
    }
    index_notes(&mut err, notes)?;
    if let Some(e) = &outcome.index_failure {
        writeln!(
            err,
            "warning: the PDF index and HTML catalogue could not be made ({e}); the pack goes without them"
        )?;
    }
    if args.dry_run {
        print_plan(&outcome)?;
    } else if !args.quiet {
        let size = written_size(&outcome, to);
        let signed = options
            .sign
            .as_ref()
            .map(|k| format!("; signed by key ID {}", k.id()))
            .unwrap_or_default();
        writeln!(
            err,
            "wrote {} ({} files, {}; content {}{signed})",
            outcome.output.display(),
            outcome.plan.entries.len(),
            assetpack::content::human_size(size),
            assetpack::content::human_size(outcome.plan.total_bytes())
        )?;
    }
    let_go(outcome, among);
    Ok(0)
}

/// The index maker's warnings: each damaged or misnamed file it drew a placeholder for.
fn index_notes(err: &mut impl Write, notes: Mutex<Vec<String>>) -> Result<()> {
    for note in notes.into_inner().unwrap_or_default() {
        writeln!(
            err,
            "warning: index: {note} (a placeholder stands in its place)"
        )?;
    }
    Ok(())
}

/// Every entry of the plan: SHA-256, size, compression, name in the ZIP.
fn print_plan(outcome: &Outcome) -> Result<()> {
    let plan = &outcome.plan;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for e in &plan.entries {
        let method = format!("{:?}", e.method).to_lowercase();
        writeln!(
            out,
            "{}  {:>12}  {method:<7}  {}",
            e.sha256,
            e.bytes,
            plan.zip_name(e)
        )?;
    }
    out.flush()?;
    Ok(())
}

/// What `build --format json` prints.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct BuildDoc<'a> {
    ok: bool,
    /// The pack written, or that would be on a dry run.
    output: &'a Path,
    written: bool,
    /// The pack's folder name.
    name: &'a str,
    entries: usize,
    /// Size of the pack written.
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    /// Bytes of content (before compression).
    content_bytes: u64,
    warnings: &'a [Problem],
    /// Why the pack has no index, when its maker failed.
    index_failure: Option<String>,
    /// Files the index drew a placeholder for.
    index_notes: Vec<String>,
    /// The ID of the key the pack is signed with (`--sign`).
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_by: Option<&'a str>,
    /// Every entry, on a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<Vec<PlanEntry<'a>>>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PlanEntry<'a> {
    name: String,
    sha256: &'a str,
    bytes: u64,
    method: String,
}

impl<'a> BuildDoc<'a> {
    fn of(
        outcome: &'a Outcome,
        index_notes: Vec<String>,
        signed_by: Option<&'a str>,
    ) -> BuildDoc<'a> {
        let plan = &outcome.plan;
        let entries = || {
            let e = plan.entries.iter();
            e.map(|e| PlanEntry {
                name: plan.zip_name(e),
                sha256: &e.sha256,
                bytes: e.bytes,
                method: format!("{:?}", e.method).to_lowercase(),
            })
            .collect()
        };
        BuildDoc {
            ok: true,
            output: &outcome.output,
            written: outcome.written,
            name: &plan.name,
            entries: plan.entries.len(),
            bytes: outcome
                .written
                .then(|| std::fs::metadata(&outcome.output).map_or(0, |m| m.len())),
            content_bytes: plan.total_bytes(),
            warnings: &outcome.warnings,
            index_failure: outcome.index_failure.as_ref().map(|e| e.to_string()),
            index_notes,
            signed_by,
            plan: (!outcome.written).then(entries),
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct StoppedDoc<'a> {
    ok: bool,
    problems: &'a [Problem],
}

/// [`failed`] as JSON: problems in the data as a document of problems (exit 1), anything
/// else as an error document.
fn failed_json(e: BuildError) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    match e {
        BuildError::Problems(problems) => {
            output::json_doc(
                &mut out,
                &StoppedDoc {
                    ok: false,
                    problems: &problems,
                },
            )?;
            Ok(if problems.iter().any(Problem::is_io) {
                2
            } else {
                1
            })
        }
        BuildError::Pack(PackError::Cancelled) => {
            output::json_error("interrupted", "interrupted: nothing was written");
            Ok(INTERRUPTED)
        }
        BuildError::Pack(e @ PackError::Mismatch { .. }) => {
            let problem = Problem::new(
                assetpack::Code::HashMismatch,
                e.to_string(),
                "run `assetpack check`",
            );
            output::json_doc(
                &mut out,
                &StoppedDoc {
                    ok: false,
                    problems: &[problem],
                },
            )?;
            Ok(1)
        }
        e => {
            output::json_error("io", &crate::chain(&anyhow::Error::new(e)));
            Ok(2)
        }
    }
}

/// Reports why a build did not happen; the exit code.
fn failed(e: BuildError, quiet: bool, verbose: bool) -> Result<u8> {
    match e {
        BuildError::Problems(problems) => stopped(&problems, quiet, verbose),
        // A file that disagrees with its manifest is a problem in the data; one that changed
        // under the build is the environment's, like a read error.
        BuildError::Pack(e @ PackError::Mismatch { .. }) => {
            eprintln!("error: {e}");
            Ok(1)
        }
        BuildError::Pack(e @ PackError::Changed { .. }) => {
            eprintln!("error: {e}");
            Ok(2)
        }
        BuildError::Pack(PackError::Cancelled) => {
            eprintln!("interrupted: nothing was written; an older pack is as it was");
            Ok(INTERRUPTED)
        }
        BuildError::Inputs(e @ InputsError::NoName) => {
            Err(anyhow::Error::new(e).context("name the pack with -o PACK.zip"))
        }
        e => Err(e.into()),
    }
}

/// Errors in full, warnings as a count (`check` shows them), and why nothing was written.
fn stopped(problems: &[Problem], quiet: bool, verbose: bool) -> Result<u8> {
    let errors: Vec<Problem> = problems.iter().filter(|p| p.is_error()).cloned().collect();
    let mut err = output::stderr();
    output::problems(&mut err, &errors, verbose)?;
    if !quiet {
        output::warning_summary(&mut err, problems)?;
    }
    let n = errors.len();
    writeln!(
        err,
        "build stopped: {n} error{} in the data; nothing was written",
        if n == 1 { "" } else { "s" }
    )?;
    err.flush()?;
    Ok(if errors.iter().any(Problem::is_io) {
        2
    } else {
        1
    })
}

pub(crate) fn run_index(args: IndexArgs) -> Result<u8> {
    let notes = Mutex::new(Vec::new());
    let make = index_maker(Some(args.paper), None, args.view.today, &notes);
    let result = build::index(&args.specs, &args.output, &make);
    drop(make);
    let wrote = |o: &IndexOutcome| {
        let size = assetpack::content::human_size(o.bytes);
        format!("wrote {} ({size})", o.output.display())
    };
    report_view(result, &args.view, notes, "index", wrote)
}

pub(crate) fn run_html(args: HtmlArgs) -> Result<u8> {
    let notes = Mutex::new(Vec::new());
    let links = assetpack_pdf::Links::Sources(args.output.clone());
    let make = index_maker(None, Some(links), args.view.today, &notes);
    let result = build::catalogue(&args.specs, &args.output, &make);
    drop(make);
    let wrote = |o: &IndexOutcome| {
        format!(
            "wrote {} (index.html and thumbnails, {}); open {} in a browser",
            o.output.display(),
            assetpack::content::human_size(o.bytes),
            o.output.join("index.html").display()
        )
    };
    report_view(result, &args.view, notes, "catalogue", wrote)
}

/// Says what `index` or `html` made, or why it made nothing; the exit code. `what` names the
/// view in the notes on placeholders.
fn report_view(
    result: Result<IndexOutcome, BuildError>,
    args: &ViewArgs,
    notes: Mutex<Vec<String>>,
    what: &str,
    wrote: impl Fn(&IndexOutcome) -> String,
) -> Result<u8> {
    let json = args.format == Format::Json;
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) if json => return failed_json(e),
        Err(BuildError::Problems(problems)) => {
            let mut err = output::stderr();
            output::problems(&mut err, &problems, false)?;
            err.flush()?;
            return Ok(1);
        }
        Err(e) => return Err(e).context(format!("no {what} was written")),
    };
    let notes = notes.into_inner().unwrap_or_default();
    if json {
        let doc = IndexDoc {
            ok: true,
            output: &outcome.output,
            bytes: outcome.bytes,
            warnings: &outcome.problems,
            index_notes: notes,
        };
        output::json_doc(&mut std::io::stdout().lock(), &doc)?;
        return Ok(0);
    }
    let mut err = std::io::stderr().lock();
    output::warning_summary(&mut err, &outcome.problems)?;
    for note in notes {
        writeln!(
            err,
            "warning: {what}: {note} (a placeholder stands in its place)"
        )?;
    }
    if !args.quiet {
        writeln!(err, "{}", wrote(&outcome))?;
    }
    Ok(0)
}

/// What `index --format json` and `html --format json` print.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct IndexDoc<'a> {
    ok: bool,
    output: &'a Path,
    bytes: u64,
    warnings: &'a [Problem],
    /// Files the index drew a placeholder for.
    index_notes: Vec<String>,
}
