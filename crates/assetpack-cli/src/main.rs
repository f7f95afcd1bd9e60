//! `assetpack`: check marketing asset manifests, and build and verify checksummed packs.
//!
//! The binary parses arguments, calls the `assetpack` library, draws progress and prints
//! problems. Exit codes: 0 fine, 1 problems found in the data, 2 usage or I/O error.

mod output;
mod progress;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use assetpack::check::{default_channel_limits, CheckOptions};
use assetpack::manifest::Date;
use assetpack::scan::{scan, ScanOptions};
use clap::{Parser, Subcommand, ValueEnum};

/// Marketing asset packs for library services: describe, check, pack and verify.
#[derive(Parser, Debug)]
#[command(name = "assetpack", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write or update a provider manifest from a folder of files.
    Scan(ScanArgs),
    /// Check provider manifests against their files.
    Check(CheckArgs),
    /// Build a reproducible, checksummed ZIP pack from a bundle spec or provider manifests.
    Build(BuildArgs),
    /// Verify a pack: every entry name, CRC and SHA-256; optionally extract it.
    Verify(VerifyArgs),
    /// Make the PDF index and printed-materials request form of a bundle or manifests.
    Index(IndexArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PaperArg {
    A4,
    Letter,
}

impl From<PaperArg> for assetpack_pdf::Paper {
    fn from(p: PaperArg) -> Self {
        match p {
            PaperArg::A4 => assetpack_pdf::Paper::A4,
            PaperArg::Letter => assetpack_pdf::Paper::Letter,
        }
    }
}

#[derive(clap::Args, Debug)]
struct IndexArgs {
    /// A bundle spec, or one or more provider manifests.
    #[arg(required = true, value_name = "SPEC")]
    specs: Vec<PathBuf>,
    /// The PDF to write.
    #[arg(short, long, value_name = "INDEX.pdf")]
    output: PathBuf,
    /// Paper size.
    #[arg(long, value_enum, default_value = "a4")]
    paper: PaperArg,
    /// Judge review dates as of this day (default: the edition date).
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LayoutArg {
    Plain,
    Bagit,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CompressionArg {
    Auto,
    Store,
    Deflate,
}

#[derive(clap::Args, Debug)]
struct BuildArgs {
    /// A bundle spec, or one or more provider manifests (then every asset goes in).
    #[arg(required = true, value_name = "SPEC")]
    specs: Vec<PathBuf>,
    /// The pack to write. Default: `<name>.zip` for a bundle spec; required for manifests.
    #[arg(short, long, value_name = "PACK.zip")]
    output: Option<PathBuf>,
    /// Plain folder with SHA256SUMS, or a BagIt bag (RFC 8493).
    #[arg(long, value_enum, default_value = "plain")]
    layout: LayoutArg,
    /// Store already-compressed formats and deflate text (auto), or store or deflate all.
    #[arg(long, value_enum, default_value = "auto")]
    compression: CompressionArg,
    /// Reader threads (default: one per core). The pack is the same whatever the number.
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Leave the PDF index (`index.pdf`) out.
    #[arg(long)]
    no_index: bool,
    /// Paper size of the PDF index.
    #[arg(long, value_enum, default_value = "a4")]
    paper: PaperArg,
    /// Print the plan (every entry, its size, compression and SHA-256) and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Flush the pack to disk before moving it into place (survives a power cut; slower).
    #[arg(long)]
    sync: bool,
    /// Print no progress bar.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(clap::Args, Debug)]
struct VerifyArgs {
    /// The pack to verify.
    pack: PathBuf,
    /// Extract the pack into DIR/<name>/ if, and only if, it verifies.
    #[arg(long, value_name = "DIR")]
    extract: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Print no progress bar.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
    /// The folder holding the provider's files.
    dir: PathBuf,
    /// Provider id (lowercase letters, digits, `-`); required for a new manifest.
    #[arg(long)]
    provider: Option<String>,
    /// Provider display name.
    #[arg(long)]
    name: Option<String>,
    /// Manifest to write; if it exists it is updated in place, keeping hand-written fields and
    /// comments. Default: standard output.
    #[arg(short, long, value_name = "MANIFEST")]
    output: Option<PathBuf>,
    /// Print no progress bar and no summary (what was skipped or vanished is still said).
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Provider manifests, or folders of `*.toml` manifests.
    #[arg(required = true, value_name = "MANIFEST|DIR")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Judge review dates as of this day (YYYY-MM-DD) instead of today.
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
    /// Compare sizes but skip hashing.
    #[arg(long)]
    fast: bool,
    /// Treat warnings as errors.
    #[arg(long)]
    strict: bool,
    /// Length limit for a message channel, e.g. `mastodon=500` (repeatable).
    #[arg(long = "channel-limit", value_name = "CHANNEL=N", value_parser = parse_limit)]
    channel_limits: Vec<(String, usize)>,
    /// Print no progress bar.
    #[arg(short, long)]
    quiet: bool,
}

fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("`{s}` is not a date like 2027-03-01"))
}

fn parse_limit(s: &str) -> Result<(String, usize), String> {
    let (name, n) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not CHANNEL=N"))?;
    let n = n
        .parse()
        .map_err(|_| format!("`{n}` is not a number of characters"))?;
    Ok((name.trim().to_ascii_lowercase(), n))
}

/// At most two glibc malloc arenas (one per core here, instead of up to eight per core).
/// Memory that the PDF index frees on the rayon threads is then reused by the pack's reader
/// threads instead of staying mapped in arenas of its own: on the national corpus the peak
/// of a build with the index goes from about 150 MB to about 81 MB, at no measured cost in
/// speed. Must run before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    // SAFETY: mallopt only sets an allocator parameter; called first thing in main, while the
    // process has a single thread. A refusal (return 0) leaves glibc's default, which is fine.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Check(args) => run_check(args),
        Command::Build(args) => run_build(args),
        Command::Verify(args) => run_verify(args),
        Command::Index(args) => run_index(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {}", chain(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, each said once: the library's messages already quote their
/// cause, so a cause the message holds is not repeated.
fn chain(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg = format!("{msg}: {c}");
        }
    }
    msg
}

fn run_check(args: CheckArgs) -> Result<u8> {
    let mut limits = default_channel_limits();
    limits.extend(args.channel_limits);
    let options = CheckOptions {
        today: args.today.unwrap_or_else(Date::today),
        fast: args.fast,
        strict: args.strict,
        channel_limits: limits,
        ..CheckOptions::default()
    };
    let bar = progress::Bar::new(args.quiet || matches!(args.format, Format::Json));
    let report = assetpack::check(&args.paths, &options, &bar);
    bar.clear();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    match args.format {
        Format::Json => output::json(&mut out, &report)?,
        Format::Human => output::human(&mut out, &report)?,
    }
    out.flush()?;
    Ok(if report.has_io_errors() {
        2
    } else if report.ok() {
        0
    } else {
        1
    })
}

fn run_build(args: BuildArgs) -> Result<u8> {
    use assetpack::build::{self, BuildError, BuildOptions};
    use assetpack::plan::{Compression, Layout};

    progress::catch_interrupt();
    let options = BuildOptions {
        output: args.output.clone(),
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
        index_pdf: None,
        sync: args.sync,
    };
    let (inputs, mut problems) = match build::resolve(&args.specs, args.output.as_deref()) {
        Ok(r) => r,
        Err(BuildError::Usage(m)) | Err(BuildError::Io(m)) => bail!(m),
        Err(e) => return Err(e.into()),
    };
    // The index is made once the files are checked; what it says is printed only if the
    // build goes on.
    let paper = args.paper;
    let index_notes = std::sync::Mutex::new(Vec::new());
    let make_index = |inputs: &build::Inputs, sha: &str| -> Option<Vec<u8>> {
        if args.no_index {
            return None;
        }
        let (pdf, notes) = match render_index(inputs, Some(sha.to_owned()), paper, None) {
            Ok((pdf, notes)) => (Some(pdf), notes),
            Err(e) => (
                None,
                vec![format!(
                    "warning: the PDF index could not be made ({e}); the pack goes without it"
                )],
            ),
        };
        if let Ok(mut all) = index_notes.lock() {
            all.extend(notes);
        }
        pdf
    };
    let (report, plan) =
        build::check_and_plan(&inputs, &options, &make_index, &assetpack::NoProgress);
    problems.extend(report.problems);
    // Errors in full; warnings as a count (`check` shows them), so a big pack's build log
    // stays readable.
    let errors: Vec<_> = problems.iter().filter(|p| p.is_error()).cloned().collect();
    let mut err = std::io::BufWriter::new(std::io::stderr().lock());
    output::problems(&mut err, &errors)?;
    if !args.quiet {
        output::warning_summary(&mut err, &problems)?;
    }
    err.flush()?;
    drop(err);
    if !errors.is_empty() {
        let n = errors.len();
        eprintln!(
            "build stopped: {n} error{} in the data; nothing was written",
            if n == 1 { "" } else { "s" }
        );
        return Ok(if errors.iter().any(|p| p.is_io()) {
            2
        } else {
            1
        });
    }
    let path = build::output_path(&inputs, &options);
    if !args.dry_run {
        if let Err(BuildError::Usage(m)) = build::check_output(&inputs, &path) {
            bail!(m);
        }
    }
    for note in index_notes.into_inner().unwrap_or_default() {
        eprintln!("{note}");
    }
    let plan = plan?;
    if args.dry_run {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for e in &plan.entries {
            writeln!(
                out,
                "{}  {:>12}  {:<7}  {}",
                e.sha256,
                e.bytes,
                format!("{:?}", e.method).to_lowercase(),
                plan.zip_name(e)
            )?;
        }
        out.flush()?;
        return Ok(0);
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| assetpack::pack::PackOptions::default().jobs);
    let bar = progress::Bar::new(args.quiet);
    let written = assetpack::pack::write_pack_file(
        &plan,
        &path,
        &assetpack::pack::PackOptions {
            jobs,
            sync: args.sync,
        },
        &bar,
    );
    bar.clear();
    match written {
        Ok(()) => {}
        Err(e @ assetpack::pack::PackError::Changed { .. }) => {
            eprintln!("error: {e}");
            return Ok(1);
        }
        Err(e) => return Err(e.into()),
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if !args.quiet {
        eprintln!(
            "wrote {} ({} files, {}; content {})",
            path.display(),
            plan.entries.len(),
            assetpack::content::human_size(size),
            assetpack::content::human_size(plan.total_bytes())
        );
    }
    // The process ends next: leave the memory of a large pack's assets to the operating
    // system instead of freeing every string one by one.
    std::mem::forget((inputs, plan));
    Ok(0)
}

fn run_index(args: IndexArgs) -> Result<u8> {
    use assetpack::build::{self, BuildError, BuildOptions};
    let (inputs, mut problems) = match build::resolve(&args.specs, Some(&args.output)) {
        Ok(r) => r,
        Err(BuildError::Usage(m)) | Err(BuildError::Io(m)) => bail!(m),
        Err(e) => return Err(e.into()),
    };
    let report = build::check_inputs(&inputs, &assetpack::NoProgress);
    problems.extend(report.problems);
    // Errors in the specs stop it; file problems do not (an index of a damaged pack is still
    // useful), they are counted.
    let spec_errors: Vec<_> = problems
        .iter()
        .filter(|p| p.is_error() && p.file.is_none())
        .cloned()
        .collect();
    let mut err = std::io::BufWriter::new(std::io::stderr().lock());
    output::problems(&mut err, &spec_errors)?;
    output::warning_summary(&mut err, &problems)?;
    err.flush()?;
    drop(err);
    if !spec_errors.is_empty() {
        return Ok(1);
    }
    let plan = build::plan_for(&inputs, &BuildOptions::default())?;
    let (pdf, notes) = render_index(
        &inputs,
        build::manifest_sha256(&plan),
        args.paper,
        args.today,
    )?;
    for note in notes {
        eprintln!("{note}");
    }

    write_atomically(&args.output, &pdf)?;
    eprintln!(
        "wrote {} ({})",
        args.output.display(),
        assetpack::content::human_size(pdf.len() as u64)
    );
    Ok(0)
}

/// Renders the PDF index of `inputs`, with a warning for each damaged asset.
fn render_index(
    inputs: &assetpack::build::Inputs,
    manifest_sha256: Option<String>,
    paper: PaperArg,
    today: Option<Date>,
) -> Result<(Vec<u8>, Vec<String>), assetpack_pdf::IndexError> {
    let input = assetpack_pdf::IndexInput {
        header: &inputs.header,
        manifests: &inputs.manifests,
        selected: &inputs.selected,
        manifest_sha256,
    };
    let options = assetpack_pdf::IndexOptions {
        paper: paper.into(),
        today,
    };
    let index = assetpack_pdf::render(&input, &options)?;
    let notes = index
        .warnings
        .iter()
        .map(|w| format!("warning: index: {w} (a placeholder stands in its place)"))
        .collect();
    Ok((index.pdf, notes))
}

fn run_verify(args: VerifyArgs) -> Result<u8> {
    use assetpack::verify::{verify, VerifyOptions};
    let bar = progress::Bar::new(args.quiet || matches!(args.format, Format::Json));
    let result = verify(
        &args.pack,
        &VerifyOptions {
            extract: args.extract.clone(),
        },
        &bar,
    );
    bar.clear();
    let v = result?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        Format::Human => {
            output::problems(&mut out, &v.problems)?;
            let s = &v.summary;
            let name = s.name.as_deref().unwrap_or("?");
            if v.ok {
                writeln!(
                    out,
                    "{}: intact — {} files ({}) match their checksums in `{name}/`",
                    args.pack.display(),
                    s.files,
                    assetpack::content::human_size(s.bytes)
                )?;
            } else {
                writeln!(
                    out,
                    "{}: NOT intact — {} problem{}",
                    args.pack.display(),
                    s.errors,
                    if s.errors == 1 { "" } else { "s" }
                )?;
            }
            if let Some(dir) = &s.extracted {
                writeln!(out, "extracted to {}", dir.display())?;
            } else if args.extract.is_some() {
                writeln!(out, "nothing was extracted")?;
            }
        }
    }
    out.flush()?;
    Ok(if v.ok { 0 } else { 1 })
}

fn run_scan(args: ScanArgs) -> Result<u8> {
    let existing = match &args.output {
        Some(path) if path.exists() => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the manifest {}", path.display()))?,
        ),
        _ => None,
    };
    let options = ScanOptions {
        provider_id: args.provider.clone(),
        name: args.name.clone(),
        output: args.output.clone(),
    };
    let bar = progress::Bar::new(args.quiet);
    let outcome = scan(
        &args.dir,
        args.output.as_deref().zip(existing.as_deref()),
        &options,
        &bar,
    );
    bar.clear();
    let outcome = outcome?;
    match &args.output {
        Some(path) => write_atomically(path, outcome.text.as_bytes())?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(outcome.text.as_bytes())?;
            out.flush()?;
        }
    }
    let mut err = std::io::stderr().lock();
    for (path, why) in &outcome.skipped {
        writeln!(err, "skipped {path}: {why}")?;
    }
    for path in &outcome.vanished {
        writeln!(
            err,
            "warning: {path} is listed but no longer there; its entry is kept (remove it by hand if it is gone for good)"
        )?;
    }
    if !args.quiet {
        writeln!(
            err,
            "scanned {} files: {} added, {} updated, {} vanished, {} skipped",
            outcome.files,
            outcome.added.len(),
            outcome.updated.len(),
            outcome.vanished.len(),
            outcome.skipped.len()
        )?;
    }
    Ok(0)
}

/// Writes `bytes` to a temporary file beside `path` and renames it into place, so a failure
/// never leaves a half-written file and an older file stays intact until the end.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "cannot write {}: folder {} does not exist",
            path.display(),
            dir.display()
        );
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    // A temporary file is private (0600); give the result the old file's permissions, or the
    // usual 0644 for a new file.
    let permissions = match std::fs::metadata(path) {
        Ok(m) => m.permissions(),
        Err(_) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::Permissions::from_mode(0o644)
            }
            #[cfg(not(unix))]
            {
                tmp.as_file().metadata()?.permissions()
            }
        }
    };
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().set_permissions(permissions))
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}
