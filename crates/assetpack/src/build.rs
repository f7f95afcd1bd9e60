//! The one build: from specs to a pack, and to a PDF index on its own.
//!
//! [`build`] reads the specs ([`Inputs::read`]), checks the files the way `check --fast` does
//! while it drafts the plan, makes the PDF index, the HTML catalogue and its thumbnails with
//! the caller's [`IndexMaker`] once the check has found no error (the core depends on neither
//! PDF nor HTML), finishes the plan and writes the pack atomically
//! ([`pack::write_pack_file`]). `--dry-run` stops before the write and hands the plan back.
//! [`index`] and [`catalogue`] are the same pipeline up to the index, written on their own.
//!
//! ```no_run
//! use assetpack::build::{build, BuildOptions};
//! use assetpack::NoProgress;
//!
//! let specs = ["packs/bundles/north-west-spring-2027.toml".into()];
//! let outcome = build(&specs, &BuildOptions::default(), None, &NoProgress).unwrap();
//! println!("wrote {}", outcome.output.display());
//! ```

use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use crate::catalog::{Inputs, InputsError, Layout};
use crate::check::{self, CheckOptions, Deferred, Leave, Report};
use crate::manifest::{FileRef, Manifest};
use crate::pack::{self, PackError, PackOptions};
use crate::plan::{Compression, Draft, IndexFacts, Made, Plan, PlanError, PlanOptions};
use crate::problem::Problem;
use crate::progress::{NoProgress, Progress};
use crate::signing::SigningKey;

/// Why a build (or an index) did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The specs could not be read, or do not make sense together.
    #[error(transparent)]
    Inputs(#[from] InputsError),
    /// The specs or the data have errors (listed with the warnings met); nothing was written.
    #[error("the data has {} error(s); nothing was written", .0.iter().filter(|p| p.is_error()).count())]
    Problems(Vec<Problem>),
    /// The output path holds something that is not a pack.
    #[error("will not write the pack to {}: {why}; choose another output file", path.display())]
    Output {
        /// The output path.
        path: PathBuf,
        /// What is there.
        why: &'static str,
    },
    /// The catalogue's folder holds something other than an earlier catalogue.
    #[error("will not write the catalogue into {}: {why}; choose a new or empty folder", path.display())]
    CatalogueFolder {
        /// The folder.
        path: PathBuf,
        /// What is there.
        why: &'static str,
    },
    /// The plan could not be made.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Writing the pack failed.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// The index maker failed (only [`index`] stops for it; a build goes on without one).
    #[error("the PDF index could not be made: {0}")]
    Index(#[source] IndexFailure),
    /// The bucket could not be reached, or refused the pack.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The index could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
}

/// Why an [`IndexMaker`] made no index.
pub type IndexFailure = Box<dyn std::error::Error + Send + Sync>;

/// Makes the files that describe a pack from its draft: the PDF index (`index.pdf`), the HTML
/// catalogue (`index.html`) and its thumbnails (the `assetpack-pdf` crate's `render_views`,
/// for one). The files go into the pack's payload, listed in its checksums like any other.
pub type IndexMaker<'a> = dyn Fn(&IndexFacts) -> Result<Vec<Made>, IndexFailure> + Sync + 'a;

/// Options for [`build`].
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Output file; default `<name>.zip` in the current folder (or in `out_dir`) for a bundle
    /// spec (required when building from provider manifests: it names the pack).
    pub output: Option<PathBuf>,
    /// The folder a bundle spec's pack goes to as `<name>.zip` when `output` is not given.
    pub out_dir: Option<PathBuf>,
    /// Plain or BagIt.
    pub layout: Layout,
    /// Compression policy.
    pub compression: Compression,
    /// Reader threads (0: one per core).
    pub jobs: usize,
    /// `fsync` the pack before renaming it into place.
    pub sync: bool,
    /// Plan, but write nothing.
    pub dry_run: bool,
    /// Sign the pack with this key (`SHA256SUMS.minisig`).
    pub sign: Option<SigningKey>,
    /// Copies of assets read from buckets, shared by the builds of one run and kept across
    /// runs when the cache is ([`crate::cache`]); `None` reads every asset from where it is.
    pub cache: Option<std::sync::Arc<crate::cache::Cache>>,
}

/// What [`build`] made.
#[derive(Debug)]
pub struct Outcome {
    /// The pack written (or that would be, on a dry run); empty for [`build_into`].
    pub output: PathBuf,
    /// Its plan.
    pub plan: Plan,
    /// Warnings met on the way.
    pub warnings: Vec<Problem>,
    /// Why the pack has no index, when an index maker was given and failed.
    pub index_failure: Option<IndexFailure>,
    /// False on a dry run.
    pub written: bool,
}

/// Reads `specs` (one bundle spec, or provider manifests), checks, plans and writes a pack;
/// `index` makes its PDF index (none when `None`). Any error in the data stops it before
/// anything is written ([`BuildError::Problems`]).
pub fn build(
    specs: &[PathBuf],
    options: &BuildOptions,
    index: Option<&IndexMaker>,
    progress: &dyn Progress,
) -> Result<Outcome, BuildError> {
    let (inputs, problems) = Inputs::read(specs, options.output.as_deref())?;
    build_inputs(&inputs, problems, options, index, progress)
}

/// [`build`] from inputs already read, with the problems met reading them.
pub fn build_inputs(
    inputs: &Inputs,
    problems: Vec<Problem>,
    options: &BuildOptions,
    index: Option<&IndexMaker>,
    progress: &dyn Progress,
) -> Result<Outcome, BuildError> {
    let output = output_path(inputs, options);
    let prepared = prepare(inputs, problems, options, index, Some(&output))?;
    let Prepared {
        mut problems,
        deferred,
        plan,
        index_failure,
    } = prepared;
    if !options.dry_run {
        let written = pack::write_temp(&plan, &output, &pack_options(options), progress)?;
        // The contents the check left to the pack: an error there drops the written pack.
        judged(deferred, inputs, &written.read, &mut problems)?;
        written.publish()?;
    }
    Ok(Outcome {
        output,
        plan,
        warnings: problems,
        index_failure,
        written: !options.dry_run,
    })
}

/// [`build_inputs`] into any writer that can seek (an in-memory buffer, a file, an upload)
/// instead of a file: the same checks, the same bytes. On an error the writer holds a partial
/// pack; throw it away. [`Outcome::output`] is empty.
///
/// ```
/// use assetpack::build::{build_into, BuildOptions};
/// use assetpack::catalog::Inputs;
///
/// let specs = ["../../packs/bundles/north-west-spring-2027.toml".into()];
/// let (inputs, problems) = Inputs::read(&specs, None).unwrap();
/// let options = BuildOptions::default();
/// let (zip, made) = build_into(&inputs, problems, &options, None, std::io::Cursor::new(Vec::new()), &assetpack::NoProgress).unwrap();
/// assert!(zip.into_inner().starts_with(b"PK"));
/// assert!(made.plan.entries.len() > 10);
/// ```
pub fn build_into<W: Write + Seek>(
    inputs: &Inputs,
    problems: Vec<Problem>,
    options: &BuildOptions,
    index: Option<&IndexMaker>,
    out: W,
    progress: &dyn Progress,
) -> Result<(W, Outcome), BuildError> {
    let options = BuildOptions {
        dry_run: false,
        ..options.clone()
    };
    let Prepared {
        mut problems,
        deferred,
        plan,
        index_failure,
    } = prepare(inputs, problems, &options, index, None)?;
    let (out, read) = pack::write_zip_reading(&plan, out, &pack_options(&options), progress)?;
    judged(deferred, inputs, &read, &mut problems)?;
    let outcome = Outcome {
        output: PathBuf::new(),
        plan,
        warnings: problems,
        index_failure,
        written: true,
    };
    Ok((out, outcome))
}

/// [`build`] into a bucket (`s3://bucket/packs/north.zip`, see [`crate::store`]): the same
/// checks and the same bytes, streamed into a multipart upload as the pack is made. The
/// object appears under its key only when the pack is whole and every check passed; on any
/// error the upload is aborted and an older object under the key stays as it was.
#[cfg(feature = "s3")]
pub fn upload(
    specs: &[PathBuf],
    options: &BuildOptions,
    index: Option<&IndexMaker>,
    to: &crate::store::Remote,
    progress: &dyn Progress,
) -> Result<Outcome, BuildError> {
    let (inputs, problems) = read_for_upload(specs, to)?;
    upload_inputs(&inputs, problems, options, index, to, progress)
}

/// [`Inputs::read`] for a pack going to the object `to`: a pack of provider manifests alone
/// is named for the object, as it is for its output file when written to disk.
#[cfg(feature = "s3")]
pub fn read_for_upload(
    specs: &[PathBuf],
    to: &crate::store::Remote,
) -> Result<(Inputs, Vec<Problem>), BuildError> {
    to.names_an_object()?;
    let named = Path::new(to.url().path());
    Ok(Inputs::read(specs, Some(named))?)
}

/// [`upload`] from inputs already read, with the problems met reading them.
#[cfg(feature = "s3")]
pub fn upload_inputs(
    inputs: &Inputs,
    problems: Vec<Problem>,
    options: &BuildOptions,
    index: Option<&IndexMaker>,
    to: &crate::store::Remote,
    progress: &dyn Progress,
) -> Result<Outcome, BuildError> {
    let Prepared {
        mut problems,
        deferred,
        plan,
        index_failure,
    } = prepare(inputs, problems, options, index, None)?;
    if !options.dry_run {
        check_remote_output(to)?;
        // Room for the ZIP's own headers and directory beside the files.
        let upload = to.create(plan.total_bytes() + 512 * plan.entries.len() as u64)?;
        let marks = upload.marks();
        let written =
            pack::write_zip_marking(&plan, upload, &pack_options(options), progress, &|at| {
                marks.entry_starts(at)
            });
        let (upload, read) = written.map_err(|e| match e {
            PackError::Write { source, .. } => PackError::Write {
                path: PathBuf::from(to.to_string()),
                source,
            },
            e => e,
        })?;
        judged(deferred, inputs, &read, &mut problems)?;
        upload.commit()?;
    }
    Ok(Outcome {
        output: PathBuf::from(to.to_string()),
        plan,
        warnings: problems,
        index_failure,
        written: !options.dry_run,
    })
}

/// Refuses to replace an object that is not a ZIP (a pack is replaced, anything else is not).
#[cfg(feature = "s3")]
fn check_remote_output(to: &crate::store::Remote) -> Result<(), BuildError> {
    let head = to.first_bytes(4)?;
    if head.is_empty() || head == b"PK\x03\x04" || head == b"PK\x05\x06" {
        return Ok(());
    }
    Err(BuildError::Output {
        path: PathBuf::from(to.to_string()),
        why: "an object that is not a ZIP is there",
    })
}

/// What a build knows before it packs.
struct Prepared {
    problems: Vec<Problem>,
    deferred: Deferred,
    plan: Plan,
    index_failure: Option<IndexFailure>,
}

/// The check, the plan and the index; stops at an error in the data, or (when writing to
/// `output`) at an output path that holds something other than a pack.
fn prepare(
    inputs: &Inputs,
    mut problems: Vec<Problem>,
    options: &BuildOptions,
    index: Option<&IndexMaker>,
    output: Option<&Path>,
) -> Result<Prepared, BuildError> {
    let (report, deferred, planned) = check_and_plan(inputs, options, index);
    problems.extend(report.problems);
    if problems.iter().any(Problem::is_error) {
        return Err(BuildError::Problems(problems));
    }
    if let Some(output) = output.filter(|_| !options.dry_run) {
        check_output(inputs, output)?;
    }
    let (plan, index_failure) = planned?;
    give_back_freed_memory();
    Ok(Prepared {
        problems,
        deferred,
        plan,
        index_failure,
    })
}

/// Hands the pages that the check and the plan freed back to the operating system before the
/// pack is written (glibc keeps them otherwise: reading 20,000 assets and drafting their
/// resolved manifests frees megabytes of small blocks, scattered through the heap). On the
/// `many` corpus the peak resident size of a plain build goes from 66–68 MB to 62–64 MB, in
/// no measurable time. With another allocator this does nothing harmful (glibc's heap is
/// then nearly empty).
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of glibc's heap to the system; it touches
    // no block in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Adds what the deferred checks find in the files the pack read; an error stops the build.
fn judged(
    deferred: Deferred,
    inputs: &Inputs,
    read: &crate::examine::ReadFiles,
    problems: &mut Vec<Problem>,
) -> Result<(), BuildError> {
    deferred.judge(&inputs.manifests, read, problems);
    if problems.iter().any(Problem::is_error) {
        return Err(BuildError::Problems(std::mem::take(problems)));
    }
    Ok(())
}

fn pack_options(options: &BuildOptions) -> PackOptions {
    PackOptions {
        jobs: match options.jobs {
            0 => PackOptions::default().jobs,
            n => n,
        },
        sync: options.sync,
        cache: options.cache.clone(),
    }
}

/// The check a build runs: `check --fast` (hashes are verified while packing). When a pack is
/// to be written (`packing`), no file is opened by the check: the files the pack reads are
/// judged from what it read, and held to their recorded size and SHA-256 as it reads them
/// (the check does not even `stat` them); the files of assets the pack leaves out have their
/// size compared, and are not read (for a bucket, each would be a request per build; `check`
/// judges a whole manifest).
fn build_check(inputs: &Inputs, packing: bool) -> (Report, Deferred) {
    let options = CheckOptions {
        fast: true,
        preflight: inputs.preflight,
        ..CheckOptions::default()
    };
    let packed = packed_files(inputs);
    let defer = |m: &Manifest, f: &FileRef| match packing {
        false => Leave::Nothing,
        true if packed.contains(&(m.path.as_path(), f.file.as_str())) => Leave::Read,
        true => Leave::Content,
    };
    check::check_deferring(&inputs.manifests, &options, &defer, &NoProgress)
}

/// The files the pack reads: each by its manifest's path and its path below `base`.
fn packed_files(inputs: &Inputs) -> foldhash::HashSet<(&Path, &str)> {
    let files = |s: &crate::catalog::Selected| {
        let m = inputs.manifests.get(s.manifest)?;
        let files = s.files(m).into_iter();
        Some(files.map(|(_, f)| (m.path.as_path(), f.file.as_str())))
    };
    inputs.selected.iter().filter_map(files).flatten().collect()
}

fn plan_options(options: &BuildOptions) -> PlanOptions {
    PlanOptions {
        layout: options.layout,
        compression: options.compression,
    }
}

/// The plan, with why the index is missing when its maker failed.
type Planned = Result<(Plan, Option<IndexFailure>), PlanError>;

/// Checks the inputs and, at the same time, drafts the plan; then, when the check found no
/// errors, makes the index and finishes the plan. The index is made after the check, not
/// beside it, so that their memory does not add up.
fn check_and_plan(
    inputs: &Inputs,
    options: &BuildOptions,
    index: Option<&IndexMaker>,
) -> (Report, Deferred, Planned) {
    let ((report, deferred), draft) = rayon::join(
        || build_check(inputs, !options.dry_run),
        || Draft::new(inputs, &plan_options(options)),
    );
    let planned = draft.and_then(|draft| {
        let (made, failure) = match index.filter(|_| report.ok()) {
            Some(make) => match make(&signed_facts(&draft, inputs, options)) {
                Ok(made) => (made, None),
                Err(e) => (Vec::new(), Some(e)),
            },
            None => (Vec::new(), None),
        };
        Ok((draft.finish_signed(made, options.sign.as_ref())?, failure))
    });
    (report, deferred, planned)
}

/// What the index is made from, with the signing key's ID when the pack is signed.
fn signed_facts<'a>(
    draft: &'a Draft,
    inputs: &'a Inputs,
    options: &'a BuildOptions,
) -> IndexFacts<'a> {
    IndexFacts {
        signed_by: options.sign.as_ref().map(SigningKey::id),
        cache: options.cache.as_deref(),
        ..draft.index_facts(inputs)
    }
}

/// The output path: `options.output`, else `<name>.zip` (in `options.out_dir` when given).
pub fn output_path(inputs: &Inputs, options: &BuildOptions) -> PathBuf {
    let file = || PathBuf::from(format!("{}.zip", inputs.header.name));
    match (&options.output, &options.out_dir) {
        (Some(output), _) => output.clone(),
        (None, Some(dir)) => dir.join(file()),
        (None, None) => file(),
    }
}

/// Refuses an output that would overwrite something that is not a pack: a manifest, the bundle
/// spec, an asset file, a folder, or an existing file that is not a ZIP.
pub fn check_output(inputs: &Inputs, output: &Path) -> Result<(), BuildError> {
    let refuse = |why| {
        Err(BuildError::Output {
            path: output.to_owned(),
            why,
        })
    };
    let Ok(meta) = std::fs::metadata(output) else {
        return Ok(());
    };
    if meta.is_dir() {
        return refuse("it is a folder");
    }
    if is_an_input(inputs, output) {
        return refuse("it is one of the inputs");
    }
    if is_an_asset(inputs, output) {
        return refuse("it is an asset file");
    }
    let mut head = [0u8; 4];
    let is_zip = std::fs::File::open(output)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| &head == b"PK\x03\x04" || &head == b"PK\x05\x06");
    if !is_zip && meta.len() > 0 {
        return refuse("it exists and is not a ZIP");
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
}

fn is_an_input(inputs: &Inputs, output: &Path) -> bool {
    inputs
        .bundle
        .as_deref()
        .is_some_and(|b| same_file(b, output))
        || inputs.manifests.iter().any(|m| same_file(&m.path, output))
}

fn is_an_asset(inputs: &Inputs, output: &Path) -> bool {
    // Only files of the same name can be the same file; resolve just those.
    let name = output.file_name();
    inputs.manifests.iter().any(|m| {
        m.assets.iter().any(|a| {
            a.files().iter().any(|(_, f)| {
                let path = m.resolve(&f.file);
                path.file_name() == name && same_file(&path, output)
            })
        })
    })
}

/// What [`index`] or [`catalogue`] made.
#[derive(Debug)]
pub struct IndexOutcome {
    /// The PDF or the folder written.
    pub output: PathBuf,
    /// Its size (a folder: of all its files).
    pub bytes: u64,
    /// Problems met that did not stop it: problems in the files (an index of a damaged pack
    /// is still useful) and warnings.
    pub problems: Vec<Problem>,
}

/// Makes the PDF index of `specs` with `make` and writes it to `output` atomically: the index
/// `build` would put in a plain pack (the first file `make` makes). Errors in the specs stop it
/// ([`BuildError::Problems`]); problems in the files do not.
pub fn index(
    specs: &[PathBuf],
    output: &Path,
    make: &IndexMaker,
) -> Result<IndexOutcome, BuildError> {
    let (made, problems) = made_alone(specs, Some(output), make)?;
    let pdf = made
        .into_iter()
        .next()
        .ok_or_else(|| BuildError::Index("the index maker made no file".into()))?;
    crate::atomic::write_file(output, &pdf.bytes).map_err(|source| BuildError::Write {
        path: output.to_owned(),
        source,
    })?;
    Ok(IndexOutcome {
        output: output.to_owned(),
        bytes: pdf.bytes.len() as u64,
        problems,
    })
}

/// Makes the files `make` makes from `specs` (the HTML catalogue and its thumbnails) and
/// writes them into the folder `dir`, which appears whole or not at all. A folder already
/// there is replaced only when it is empty or holds an earlier catalogue (`index.html` and
/// `thumbs/` alone): anything else is refused ([`BuildError::CatalogueFolder`]).
pub fn catalogue(
    specs: &[PathBuf],
    dir: &Path,
    make: &IndexMaker,
) -> Result<IndexOutcome, BuildError> {
    check_catalogue_folder(dir)?;
    let (made, problems) = made_alone(specs, None, make)?;
    for m in &made {
        crate::safe_path::check(&m.path)
            .map_err(|why| PlanError::UnsafePath(m.path.clone(), why.to_string()))?;
    }
    let files = made.iter().map(|m| (m.path.as_str(), m.bytes.as_slice()));
    crate::atomic::write_folder(dir, files).map_err(|source| BuildError::Write {
        path: dir.to_owned(),
        source,
    })?;
    Ok(IndexOutcome {
        output: dir.to_owned(),
        bytes: made.iter().map(|m| m.bytes.len() as u64).sum(),
        problems,
    })
}

/// Refuses a catalogue folder that holds anything but an earlier catalogue.
fn check_catalogue_folder(dir: &Path) -> Result<(), BuildError> {
    let refuse = |why| BuildError::CatalogueFolder {
        path: dir.to_owned(),
        why,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(_) if std::fs::symlink_metadata(dir).is_err() => return Ok(()),
        Err(_) => return Err(refuse("it is not a folder")),
    };
    let earlier = |name: &std::ffi::OsStr| name == "index.html" || name == "thumbs";
    for e in entries.flatten() {
        if !earlier(&e.file_name()) {
            return Err(refuse(
                "the folder holds files other than an earlier catalogue",
            ));
        }
    }
    Ok(())
}

/// The files `make` makes from the draft of `specs`, outside a build: errors in the specs stop
/// it; problems in the files are handed back.
fn made_alone(
    specs: &[PathBuf],
    output: Option<&Path>,
    make: &IndexMaker,
) -> Result<(Vec<Made>, Vec<Problem>), BuildError> {
    let (inputs, mut problems) = Inputs::read(specs, output)?;
    problems.extend(build_check(&inputs, false).0.problems);
    let spec_errors: Vec<Problem> = problems
        .iter()
        .filter(|p| p.is_error() && p.file.is_none())
        .cloned()
        .collect();
    if !spec_errors.is_empty() {
        return Err(BuildError::Problems(spec_errors));
    }
    let draft = Draft::new(&inputs, &PlanOptions::default())?;
    let made = make(&draft.index_facts(&inputs)).map_err(BuildError::Index)?;
    Ok((made, problems))
}
