//! From specs to a pack: read a bundle spec (or provider manifests), check, plan, write.
//!
//! ```no_run
//! use assetpack::build::{build, BuildOptions};
//! use assetpack::NoProgress;
//!
//! let specs = ["packs/bundles/north-west-spring-2027.toml".into()];
//! let outcome = build(&specs, &BuildOptions::default(), &NoProgress).unwrap();
//! println!("wrote {}", outcome.output.display());
//! ```

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::bundle::{self, Bundle, Header, Selected};
use crate::check::{self, CheckOptions, Report};
use crate::manifest::Manifest;
use crate::pack::{self, PackError, PackOptions};
use crate::plan::{self, Compression, Layout, Plan, PlanError, PlanOptions};
use crate::problem::Problem;
use crate::progress::Progress;

/// What a pack is made of: the header, the manifests read and the assets chosen.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// The pack's header (from `[bundle]`, or made from the output name).
    pub header: Header,
    /// The manifests read.
    pub manifests: Vec<Manifest>,
    /// The chosen assets.
    pub selected: Vec<Selected>,
    /// The bundle spec, when one was given.
    pub bundle: Option<PathBuf>,
}

/// Why a build could not run.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The specs or the data have errors (listed); nothing was written.
    #[error("the data has {} error(s); nothing was written", .0.iter().filter(|p| p.is_error()).count())]
    Problems(Vec<Problem>),
    /// The arguments do not make sense together.
    #[error("{0}")]
    Usage(String),
    /// A spec could not be read.
    #[error("{0}")]
    Io(String),
    /// Planning failed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Writing failed.
    #[error(transparent)]
    Pack(#[from] PackError),
}

/// Options for [`build`].
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Output file; default `<name>.zip` beside the current folder for a bundle spec
    /// (required when building from manifests).
    pub output: Option<PathBuf>,
    /// Plain or BagIt.
    pub layout: Layout,
    /// Compression policy.
    pub compression: Compression,
    /// Reader threads (0: as many as cores).
    pub jobs: usize,
    /// The PDF index to put in, when the caller made one.
    pub index_pdf: Option<Vec<u8>>,
    /// `fsync` the pack before renaming it into place.
    pub sync: bool,
}

/// Reads `specs`: one bundle spec, or one or more provider manifests (then every asset goes
/// in and the pack is named after `output`'s stem). Problems in the specs are returned, not
/// raised; an unusable combination of arguments is an error.
pub fn resolve(
    specs: &[PathBuf],
    output: Option<&Path>,
) -> Result<(Inputs, Vec<Problem>), BuildError> {
    if specs.is_empty() {
        return Err(BuildError::Usage(
            "name a bundle spec or provider manifests".into(),
        ));
    }
    let mut problems = Vec::new();
    let mut bundles = Vec::new();
    let mut manifest_paths = Vec::new();
    let mut manifests = Vec::new();
    // Each spec is read once: as a manifest, which says when it is a bundle spec instead.
    let loaded: Vec<_> = specs
        .par_iter()
        .map(|spec| (spec, Manifest::load(spec)))
        .collect();
    for (spec, result) in loaded {
        match result {
            Ok(l) if l.bundle_spec => bundles.push(spec.clone()),
            Ok(l) => {
                manifest_paths.push(spec.clone());
                problems.extend(l.problems);
                manifests.extend(l.manifest);
            }
            Err(crate::manifest::LoadError::NotUtf8 { path }) => {
                return Err(BuildError::Io(format!(
                    "{} is not UTF-8 text; save it as UTF-8",
                    path.display()
                )))
            }
            Err(e) => return Err(BuildError::Io(e.to_string())),
        }
    }
    if !bundles.is_empty() && (bundles.len() > 1 || !manifest_paths.is_empty()) {
        return Err(BuildError::Usage(
            "give one bundle spec, or provider manifests, not both or several specs".into(),
        ));
    }
    if let Some(path) = bundles.pop() {
        let loaded = Bundle::load(&path).map_err(|e| BuildError::Io(e.to_string()))?;
        problems.extend(loaded.problems);
        let Some(bundle) = loaded.bundle else {
            return Ok((
                Inputs {
                    header: Header::default(),
                    manifests: Vec::new(),
                    selected: Vec::new(),
                    bundle: Some(path),
                },
                problems,
            ));
        };
        let (paths, p) = bundle.manifest_paths();
        problems.extend(p);
        let (manifests, p) = check::load_manifests(&paths);
        problems.extend(p);
        let (selected, p) = bundle::select(&bundle, &manifests);
        problems.extend(p);
        return Ok((
            Inputs {
                header: bundle.header.clone(),
                manifests,
                selected,
                bundle: Some(path),
            },
            problems,
        ));
    }
    let Some(output) = output else {
        return Err(BuildError::Usage(
            "building from provider manifests needs -o PACK.zip (its name names the pack's folder)"
                .into(),
        ));
    };
    let name = output
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !bundle::valid_name(&name) {
        return Err(BuildError::Usage(format!(
            "`{name}` cannot name the pack's folder: choose an output name like north-west.zip"
        )));
    }
    problems.extend(check::duplicate_providers(&manifests));
    let selected = bundle::select_all(&manifests);
    Ok((
        Inputs {
            header: Header {
                name,
                ..Header::default()
            },
            manifests,
            selected,
            bundle: None,
        },
        problems,
    ))
}

/// Most bytes of small files' contents [`check_and_plan`] keeps for the pack.
const KEEP_CONTENTS: u64 = 64 << 20;

/// The check a build runs: `check --fast` (hashes are verified while packing).
fn build_check_options(keep_contents: u64) -> CheckOptions {
    CheckOptions {
        fast: true,
        keep_contents,
        ..CheckOptions::default()
    }
}

/// Checks the inputs the way `check --fast` does (hashes are verified while packing). Returns
/// the report; the build must stop when it has errors.
pub fn check_inputs(inputs: &Inputs, progress: &dyn Progress) -> Report {
    check::check_loaded(&inputs.manifests, &build_check_options(0), progress)
}

/// The plan for `inputs`.
pub fn plan_for(inputs: &Inputs, options: &BuildOptions) -> Result<Plan, PlanError> {
    plan::plan(
        &inputs.header,
        &inputs.manifests,
        &inputs.selected,
        &plan_options(options),
    )
}

fn plan_options(options: &BuildOptions) -> PlanOptions {
    PlanOptions {
        layout: options.layout,
        compression: options.compression,
        index_pdf: options.index_pdf.clone(),
    }
}

/// SHA-256 of the pack's resolved `manifest.toml` (at the top, or under `data/` in a bag).
pub fn manifest_sha256(plan: &Plan) -> Option<String> {
    plan.entries
        .iter()
        .find(|e| e.path == "manifest.toml" || e.path == "data/manifest.toml")
        .map(|e| e.sha256.clone())
}

/// Makes a PDF index for the inputs, given the SHA-256 of the pack's `manifest.toml`;
/// `None` leaves the index out.
pub type IndexMaker<'a> = dyn Fn(&Inputs, &str) -> Option<Vec<u8>> + Sync + 'a;

/// The plan with a PDF index made by `index` (given the SHA-256 of the pack's
/// `manifest.toml`, which the index prints on its cover and which does not depend on the
/// index). `index` returning `None` leaves the index out; `options.index_pdf` is not used.
pub fn plan_with_index(
    inputs: &Inputs,
    options: &BuildOptions,
    index: &IndexMaker,
) -> Result<Plan, PlanError> {
    finish_with_index(draft_for(inputs, options)?, inputs, index)
}

fn draft_for(inputs: &Inputs, options: &BuildOptions) -> Result<plan::Draft, PlanError> {
    plan::draft(
        &inputs.header,
        &inputs.manifests,
        &inputs.selected,
        &plan_options(options),
    )
}

/// Finishes `draft` with the index `index` makes from the SHA-256 of its `manifest.toml`.
fn finish_with_index(
    draft: plan::Draft,
    inputs: &Inputs,
    index: &IndexMaker,
) -> Result<Plan, PlanError> {
    let sha = draft.manifest_sha256().unwrap_or_default().to_owned();
    draft.finish(index(inputs, &sha))
}

/// Checks the inputs (as [`check_inputs`]) and, at the same time, drafts the plan; then, when
/// the check found no errors, makes the PDF index with `index` (as [`plan_with_index`]) and
/// finishes the plan. The build must stop when the report has errors; the plan is then of no
/// use. Otherwise the plan packs the small files (files under 64 KiB, up to 64 MiB of them)
/// from the bytes the check read, without reading them again. The index is made after the
/// check, not beside it, so that their memory does not add up.
pub fn check_and_plan(
    inputs: &Inputs,
    options: &BuildOptions,
    index: &IndexMaker,
    progress: &dyn Progress,
) -> (Report, Result<Plan, PlanError>) {
    let (mut report, draft) = rayon::join(
        || {
            check::check_loaded(
                &inputs.manifests,
                &build_check_options(KEEP_CONTENTS),
                progress,
            )
        },
        || draft_for(inputs, options),
    );
    let plan = draft.and_then(|draft| {
        let mut plan = if report.ok() {
            finish_with_index(draft, inputs, index)?
        } else {
            draft.finish(None)?
        };
        plan.use_contents(&report.contents);
        Ok(plan)
    });
    report.contents.clear();
    (report, plan)
}

/// The output path: `options.output`, else `<name>.zip`.
pub fn output_path(inputs: &Inputs, options: &BuildOptions) -> PathBuf {
    options
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.zip", inputs.header.name)))
}

/// Refuses an output that would overwrite something that is not a pack: a manifest, the bundle
/// spec, an asset file, a folder, or an existing file that is not a ZIP.
pub fn check_output(inputs: &Inputs, output: &Path) -> Result<(), BuildError> {
    let refuse = |why: &str| {
        Err(BuildError::Usage(format!(
            "will not write the pack to {}: {why}; choose another -o",
            output.display()
        )))
    };
    let Ok(meta) = std::fs::metadata(output) else {
        return Ok(());
    };
    if meta.is_dir() {
        return refuse("it is a folder");
    }
    let target = std::fs::canonicalize(output).ok();
    let same = |p: &Path| std::fs::canonicalize(p).ok() == target;
    if inputs.bundle.as_deref().is_some_and(same) || inputs.manifests.iter().any(|m| same(&m.path))
    {
        return refuse("it is one of the inputs");
    }
    // Only files of the same name can be the same file; resolve just those.
    let name = output.file_name();
    for m in &inputs.manifests {
        for a in &m.assets {
            let clash = a.files().iter().any(|(_, f)| {
                let path = m.resolve(&f.file);
                path.file_name() == name && same(&path)
            });
            if clash {
                return refuse("it is an asset file");
            }
        }
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

/// What [`build`] made.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The pack written.
    pub output: PathBuf,
    /// Its plan.
    pub plan: Plan,
    /// Warnings met on the way.
    pub warnings: Vec<Problem>,
}

/// Reads, checks, plans and writes a pack. Any error in the data stops it before anything is
/// written ([`BuildError::Problems`]).
pub fn build(
    specs: &[PathBuf],
    options: &BuildOptions,
    progress: &dyn Progress,
) -> Result<Outcome, BuildError> {
    let (inputs, mut problems) = resolve(specs, options.output.as_deref())?;
    let pdf = options.index_pdf.clone();
    let (report, plan) = check_and_plan(&inputs, options, &|_, _| pdf.clone(), &crate::NoProgress);
    problems.extend(report.problems);
    if problems.iter().any(Problem::is_error) {
        return Err(BuildError::Problems(problems));
    }
    let output = output_path(&inputs, options);
    check_output(&inputs, &output)?;
    let plan = plan?;
    let jobs = if options.jobs == 0 {
        PackOptions::default().jobs
    } else {
        options.jobs
    };
    pack::write_pack_file(
        &plan,
        &output,
        &PackOptions {
            jobs,
            sync: options.sync,
        },
        progress,
    )?;
    Ok(Outcome {
        output,
        plan,
        warnings: problems,
    })
}
