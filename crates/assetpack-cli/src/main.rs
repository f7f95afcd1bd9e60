//! `assetpack`: check marketing asset manifests, and build and verify checksummed packs.
//!
//! The binary parses arguments, calls the `assetpack` library, draws progress and prints
//! problems. Exit codes: 0 fine, 1 problems found in the data, 2 usage or I/O error.

mod build;
mod check;
mod diff;
mod keys;
mod list;
mod output;
mod progress;
mod report;
mod scan;
mod show;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use assetpack::manifest::Date;
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
    #[command(after_help = "Examples:
  assetpack scan assets/oup --provider oup --name \"Oxford University Press\" -o packs/providers/oup.toml
  assetpack scan assets/oup -o packs/providers/oup.toml     (update: hand-written fields are kept)")]
    Scan(ScanArgs),
    /// Check provider manifests against their files.
    #[command(after_help = "Examples:
  assetpack check packs/providers
  assetpack check packs/providers/oup.toml --fast --today 2027-03-01
  assetpack check packs/providers --format github             (annotations in GitHub Actions)
  assetpack check packs/providers --format json | jq '.problems[] | select(.severity == \"error\")'
  assetpack check packs/providers --key oup.pub              (each manifest signed by this key)
  assetpack check packs/providers --preflight                (what printers would reject, too)

Exit codes: 0 fine, 1 errors in the data, 2 usage or I/O error.")]
    Check(CheckArgs),
    /// Build a reproducible, checksummed ZIP pack from a bundle spec or provider manifests.
    #[command(after_help = "Examples:
  assetpack build packs/bundles/north-west-spring-2027.toml
  assetpack build packs/providers/*.toml -o everything.zip --layout bagit
  assetpack build packs/bundles/north-west-spring-2027.toml --dry-run     (the plan, nothing written)
  assetpack build packs/bundles/north-west-spring-2027.toml --sign north.key   (adds SHA256SUMS.minisig)
  assetpack build packs/bundles/*.toml --out-dir packs-2027                    (one pack per region)

Exit codes: 0 written, 1 errors in the data (nothing written), 2 usage or I/O error,
130 interrupted (nothing written; an older pack is as it was).")]
    Build(BuildArgs),
    /// Verify a pack: every entry name, CRC and SHA-256; optionally extract it.
    #[command(after_help = "Examples:
  assetpack verify north-west-spring-2027.zip
  assetpack verify north-west-spring-2027.zip --extract ~/Downloads
  assetpack verify north-west-spring-2027.zip --key north.pub      (the signature must be by this key)

Exit codes: 0 intact, 1 problems (nothing extracted), 2 not a readable ZIP or an I/O error.")]
    Verify(VerifyArgs),
    /// Make the PDF index and printed-materials request form of a bundle or manifests.
    #[command(after_help = "Examples:
  assetpack index packs/bundles/north-west-spring-2027.toml -o index.pdf
  assetpack index packs/providers/oup.toml -o oup.pdf --paper letter")]
    Index(IndexArgs),
    /// Make the offline HTML catalogue of a bundle or manifests into a folder, to preview it.
    #[command(after_help = "Examples:
  assetpack html packs/bundles/north-west-spring-2027.toml -o catalogue
  assetpack html packs/providers/oup.toml -o oup-preview --today 2027-03-01

The folder gets index.html and thumbs/; links lead to the files where they are now.
A folder already there is replaced only when it holds an earlier catalogue alone.")]
    Html(HtmlArgs),
    /// Report accessibility and readiness across providers: alt text, captions, tagged PDFs,
    /// review dates and preflight findings.
    #[command(after_help = "Examples:
  assetpack report packs/providers
  assetpack report packs/bundles/north-west-spring-2027.toml --format html -o readiness.html
  assetpack report packs/providers --format json | jq '.providers.oup.findings'

Exit codes: 0 no errors, 1 errors in the data (the report is still written), 2 usage or I/O error.")]
    Report(ReportArgs),
    /// List the assets a bundle or manifests choose, one row each.
    #[command(after_help = "Examples:
  assetpack list packs/bundles/north-west-spring-2027.toml
  assetpack list packs/bundles/north-west-spring-2027.toml --kind poster --print --format csv > posters.csv")]
    List(ListArgs),
    /// Show one asset with every field, its files and what `check` says about them.
    #[command(after_help = "Examples:
  assetpack show oup/interactive-flyer packs/providers
  assetpack show bmj-best-practice/a3-poster packs/providers --format json")]
    Show(ShowArgs),
    /// What changed between two editions: two packs, two specs, or one of each.
    #[command(after_help = "Examples:
  assetpack diff north-west-2026.zip north-west-spring-2027.zip
  assetpack diff north-west-2026.zip packs/bundles/north-west-spring-2027.toml

Exit codes: 0 the same, 1 they differ, 2 usage or I/O error.")]
    Diff(DiffArgs),
    /// Make a signing key pair (minisign's format) for `build --sign` and `sign`.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Sign provider manifests: `MANIFEST.minisig` beside each, for `check --key`.
    #[command(after_help = "Examples:
  assetpack sign packs/providers/oup.toml --key oup.key
  ASSETPACK_SIGN_PASSWORD=… assetpack sign packs/providers/*.toml --key publisher.key

The secret key's password is asked at the terminal, or read from ASSETPACK_SIGN_PASSWORD.")]
    Sign(SignArgs),
    /// Print the JSON Schema of a document: manifest, bundle, pack-manifest or report.
    #[command(
        after_help = "Examples:\n  assetpack schema manifest > assetpack-manifest.schema.json\n  assetpack schema report > assetpack-report.schema.json"
    )]
    Schema {
        /// The document.
        #[arg(value_enum)]
        document: SchemaArg,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(
        after_help = "Examples:\n  assetpack completions bash > /etc/bash_completion.d/assetpack\n  assetpack completions zsh > ~/.zfunc/_assetpack"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `assetpack man > assetpack.1`.
    #[command(after_help = "Examples:\n  assetpack man > assetpack.1 && man ./assetpack.1")]
    Man,
}

#[derive(Subcommand, Debug)]
enum KeyCommand {
    /// Write a new key pair: the secret key to KEYFILE, the public key beside it.
    #[command(after_help = "Examples:
  assetpack key new north.key                  (asks for a password; writes north.key and north.pub)
  assetpack key new ci.key --unencrypted       (for a CI secret store)

The password is asked at the terminal (twice), or read from ASSETPACK_SIGN_PASSWORD.
The key files are minisign's: `minisign -S -s north.key` and `minisign -V -p north.pub` use them.")]
    New(KeyNewArgs),
}

#[derive(clap::Args, Debug)]
pub(crate) struct KeyNewArgs {
    /// The secret key file to write.
    #[arg(value_name = "KEYFILE")]
    pub(crate) keyfile: PathBuf,
    /// The public key file to write (default: KEYFILE with `.pub` for `.key`, else `KEYFILE.pub`).
    #[arg(long, value_name = "FILE")]
    pub(crate) public: Option<PathBuf>,
    /// Leave the secret key unencrypted (for CI secret stores; anyone who reads the file can
    /// sign as you).
    #[arg(long)]
    pub(crate) unencrypted: bool,
    /// Replace key files that exist.
    #[arg(long)]
    pub(crate) force: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: Format,
}

#[derive(clap::Args, Debug)]
pub(crate) struct SignArgs {
    /// Provider manifests to sign.
    #[arg(required = true, value_name = "MANIFEST")]
    pub(crate) manifests: Vec<PathBuf>,
    /// The secret key file (from `assetpack key new` or `minisign -G`).
    #[arg(long, value_name = "KEYFILE")]
    pub(crate) key: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: Format,
}

#[derive(clap::Args, Debug)]
pub(crate) struct DiffArgs {
    /// The older edition: a pack (.zip), a bundle spec or a provider manifest.
    #[arg(value_name = "OLD")]
    pub(crate) old: PathBuf,
    /// The newer edition.
    #[arg(value_name = "NEW")]
    pub(crate) new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: Format,
}

#[derive(clap::Args, Debug)]
pub(crate) struct ShowArgs {
    /// The asset, as PROVIDER/ASSET (e.g. `oup/a3-poster`).
    #[arg(value_name = "PROVIDER/ASSET")]
    pub(crate) asset: String,
    /// Manifests or folders of manifests to look in (default: the current folder).
    #[arg(value_name = "MANIFEST|DIR")]
    pub(crate) specs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: Format,
}

/// The documents `schema` describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SchemaArg {
    /// A provider manifest (TOML).
    Manifest,
    /// A bundle spec (TOML).
    Bundle,
    /// The `manifest.json` in every pack.
    PackManifest,
    /// Every command's `--format json` document (and the error document).
    Report,
}

/// How `list` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    /// An aligned table.
    Human,
    /// One JSON document.
    Json,
    /// CSV with a heading row (every field quoted; formulas neutralised).
    Csv,
}

#[derive(clap::Args, Debug)]
pub(crate) struct ListArgs {
    /// A bundle spec, or one or more provider manifests.
    #[arg(required = true, value_name = "SPEC")]
    pub(crate) specs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: ListFormat,
    /// Only this provider's assets (repeatable).
    #[arg(long, value_name = "ID")]
    pub(crate) provider: Vec<String>,
    /// Only assets of this kind, e.g. `poster` (repeatable).
    #[arg(long, value_name = "KIND")]
    pub(crate) kind: Vec<String>,
    /// Only assets offered as printed copies.
    #[arg(long)]
    pub(crate) print: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum PaperArg {
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
pub(crate) struct IndexArgs {
    /// A bundle spec, or one or more provider manifests.
    #[arg(required = true, value_name = "SPEC")]
    pub(crate) specs: Vec<PathBuf>,
    /// The PDF to write.
    #[arg(short, long, value_name = "INDEX.pdf")]
    pub(crate) output: PathBuf,
    /// Paper size.
    #[arg(long, value_enum, default_value = "a4")]
    pub(crate) paper: PaperArg,
    #[command(flatten)]
    pub(crate) view: ViewArgs,
}

#[derive(clap::Args, Debug)]
pub(crate) struct HtmlArgs {
    /// A bundle spec, or one or more provider manifests.
    #[arg(required = true, value_name = "SPEC")]
    pub(crate) specs: Vec<PathBuf>,
    /// The folder to write (`index.html` and `thumbs/`).
    #[arg(short, long, value_name = "DIR")]
    pub(crate) output: PathBuf,
    #[command(flatten)]
    pub(crate) view: ViewArgs,
}

/// What `index` and `html` share.
#[derive(clap::Args, Debug)]
pub(crate) struct ViewArgs {
    /// Judge review dates as of this day (default: the edition date).
    #[arg(long, value_parser = parse_date)]
    pub(crate) today: Option<Date>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: Format,
    /// Print no "wrote" line (warnings and errors are still said).
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum LayoutArg {
    Plain,
    Bagit,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum CompressionArg {
    Auto,
    Store,
    Deflate,
}

#[derive(clap::Args, Debug)]
pub(crate) struct BuildArgs {
    /// A bundle spec, or one or more provider manifests (then every asset goes in).
    #[arg(required = true, value_name = "SPEC")]
    pub(crate) specs: Vec<PathBuf>,
    /// The pack to write: a path, or an object in a bucket (`s3://bucket/key.zip`, `gs://`,
    /// `az://`; credentials from the environment). Default: `<name>.zip` for a bundle spec;
    /// required for manifests.
    #[arg(short, long, value_name = "PACK.zip")]
    pub(crate) output: Option<PathBuf>,
    /// Build one pack per bundle spec into this folder, as `DIR/<name>.zip` (made when
    /// missing; or a bucket folder, `s3://bucket/packs/`); a spec that fails does not stop
    /// the others.
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    pub(crate) out_dir: Option<PathBuf>,
    /// How many packs `--out-dir` builds at once (default: 3 into a bucket, where the packs
    /// upload side by side; 1 into a folder).
    #[arg(long, value_name = "N", requires = "out_dir", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) packs_at_once: Option<u16>,
    /// Keep copies of the assets read from buckets, and the views' thumbnails of every asset,
    /// in this folder, for this run and the next (bounded by --cache-size, least recently used
    /// first out). Without it, what the run reads from buckets more than once (assets several
    /// packs share, an asset's file the index looks at before the pack reads it) is copied
    /// into a temporary folder for the run.
    #[arg(long, value_name = "DIR")]
    pub(crate) cache: Option<PathBuf>,
    /// The most the cache may hold: bytes, or with K, M, G (powers of 1024); 0 turns the
    /// cache off. An asset larger than this is read straight from its bucket.
    #[arg(long, value_name = "SIZE", default_value = "2G", value_parser = parse_size)]
    pub(crate) cache_size: u64,
    /// Plain folder with SHA256SUMS, or a BagIt bag (RFC 8493).
    #[arg(long, value_enum, default_value = "plain")]
    pub(crate) layout: LayoutArg,
    /// Store already-compressed formats and deflate text (auto), or store or deflate all.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) compression: CompressionArg,
    /// Reader threads (default: one per core). The pack is the same whatever the number.
    #[arg(long, value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// Leave the PDF index (`index.pdf`) out.
    #[arg(long)]
    pub(crate) no_index: bool,
    /// Leave the HTML catalogue (`index.html` and `thumbs/`) out.
    #[arg(long)]
    pub(crate) no_html: bool,
    /// Paper size of the PDF index.
    #[arg(long, value_enum, default_value = "a4")]
    pub(crate) paper: PaperArg,
    /// Print the plan (every entry, its size, compression and SHA-256) and write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Flush the pack to disk before moving it into place (survives a power cut; slower).
    #[arg(long)]
    pub(crate) sync: bool,
    /// Sign the pack with this secret key: adds `SHA256SUMS.minisig` (password asked, or
    /// read from ASSETPACK_SIGN_PASSWORD).
    #[arg(long, value_name = "KEYFILE")]
    pub(crate) sign: Option<PathBuf>,
    /// Output format (JSON: the outcome, with the plan on a dry run).
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: Format,
    /// Show every error that stops the build (by default, past three of one code in one
    /// manifest the rest are counted).
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// Print no progress bar.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

#[derive(clap::Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The pack to verify: a path, or an object in a bucket (`s3://bucket/key.zip`), read
    /// by ranges without a download.
    pub(crate) pack: PathBuf,
    /// Extract the pack into DIR/<name>/ if, and only if, it verifies.
    #[arg(long, value_name = "DIR")]
    pub(crate) extract: Option<PathBuf>,
    /// Refuse an entry over 1 MiB that would inflate more than N times its compressed size
    /// (the shape of a ZIP bomb); 0 for no limit.
    #[arg(long, value_name = "N", default_value_t = assetpack::verify::MAX_RATIO)]
    pub(crate) max_ratio: u64,
    /// Require the pack's signature to be by this public key (a `.pub` file, or the `RW…`
    /// key line).
    #[arg(long, value_name = "PUBKEY")]
    pub(crate) key: Option<String>,
    /// Show every problem (by default, past three of one code the rest are counted).
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: Format,
    /// Print no progress bar.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

#[derive(clap::Args, Debug)]
pub(crate) struct ScanArgs {
    /// The folder holding the provider's files, or a bucket folder (`s3://bucket/prefix`,
    /// `gs://…`, `az://…`), which becomes the manifest's `base`.
    pub(crate) dir: PathBuf,
    /// Provider id (lowercase letters, digits, `-`); required for a new manifest.
    #[arg(long)]
    pub(crate) provider: Option<String>,
    /// Provider display name.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Manifest to write; if it exists it is updated in place, keeping hand-written fields and
    /// comments. Default: standard output.
    #[arg(short, long, value_name = "MANIFEST")]
    pub(crate) output: Option<PathBuf>,
    /// Output format (JSON: the outcome, with the manifest's text when no -o is given).
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: Format,
    /// Print no progress bar and no summary (what was skipped or vanished is still said).
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

/// How a command reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people.
    Human,
    /// One JSON document on standard output, also for a fatal error.
    Json,
}

/// How `report` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// For people.
    Human,
    /// One JSON document: each provider by id, and the totals.
    Json,
    /// One self-contained HTML page.
    Html,
}

#[derive(clap::Args, Debug)]
pub(crate) struct ReportArgs {
    /// Provider manifests, folders of them, or a bundle spec.
    #[arg(required = true, value_name = "MANIFEST|DIR|SPEC")]
    pub(crate) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: ReportFormat,
    /// Write the report to this file (default: standard output).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Judge review dates as of this day (default: today).
    #[arg(long, value_parser = parse_date)]
    pub(crate) today: Option<Date>,
    /// Print no progress bar and no "wrote" line.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

/// How `check` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFormat {
    /// For people.
    Human,
    /// One JSON document on standard output, also for a fatal error.
    Json,
    /// GitHub Actions annotations (`::error file=…,line=…::…`).
    Github,
}

#[derive(clap::Args, Debug)]
pub(crate) struct CheckArgs {
    /// Provider manifests, or folders of `*.toml` manifests.
    #[arg(required = true, value_name = "MANIFEST|DIR")]
    pub(crate) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: CheckFormat,
    /// Judge review dates as of this day (YYYY-MM-DD) instead of today.
    #[arg(long, value_parser = parse_date)]
    pub(crate) today: Option<Date>,
    /// Compare sizes but skip hashing (for an object in a bucket, compare the SHA-256 its
    /// store keeps, x-amz-meta-sha256, when it has one).
    #[arg(long)]
    pub(crate) fast: bool,
    /// Treat warnings as errors.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Also preflight the files: print sizes, resolution, fonts, social card shapes, email
    /// signatures, video formats.
    #[arg(long)]
    pub(crate) preflight: bool,
    /// With --preflight: judge social cards against this channel shape, e.g.
    /// `story=1080x1920` (repeatable; replaces the default 1.91:1, 1:1 and 4:5 shapes).
    #[arg(long = "social-shape", value_name = "NAME=WxH", value_parser = parse_shape)]
    pub(crate) social_shapes: Vec<assetpack::preflight::web::Shape>,
    /// Length limit for a message channel, e.g. `mastodon=500` (repeatable).
    #[arg(long = "channel-limit", value_name = "CHANNEL=N", value_parser = parse_limit)]
    pub(crate) channel_limits: Vec<(String, usize)>,
    /// Require each manifest to be signed by this public key (`MANIFEST.minisig`; a `.pub`
    /// file, or the `RW…` key line).
    #[arg(long, value_name = "PUBKEY")]
    pub(crate) key: Option<String>,
    /// Show every problem (by default, past three of one code in one manifest the rest are
    /// counted in one line).
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// Print no progress bar.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("`{s}` is not a date like 2027-03-01"))
}

fn parse_shape(s: &str) -> Result<assetpack::preflight::web::Shape, String> {
    assetpack::preflight::web::Shape::parse(s)
        .ok_or_else(|| format!("`{s}` is not NAME=WIDTHxHEIGHT, e.g. story=1080x1920"))
}

/// A size in bytes: `2G`, `512M`, `64K`, `1000` (K, M and G are powers of 1024). Hand-written:
/// four suffixes do not call for a crate.
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 10),
        Some((i, 'M' | 'm')) => (&t[..i], 20),
        Some((i, 'G' | 'g')) => (&t[..i], 30),
        _ => (t, 0),
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| format!("`{s}` is not a size (bytes, or a number with K, M or G: 2G)"))
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

/// glibc's allocator for `command`; called before any thread starts.
///
/// One malloc arena per core and one for the main thread (instead of up to eight per core).
/// Memory that the PDF index frees on the rayon threads is then reused by the pack's reader
/// threads instead of staying mapped in arenas of its own: on the national corpus the peak
/// of a build with the index went from about 150 MB to about 81 MB. One arena per core and
/// no more made two of the threads that parse manifests side by side share an arena: on
/// `many` the waits on its lock were 8% of a build's `perf` samples (futex; 0.9% with the
/// arena more), and a plain build took 4% longer (median of 30 interleaved runs), at the same
/// peak memory.
///
/// A build of a pack alone (no index, no catalogue) also keeps the mmap threshold at its
/// 128 KiB start. glibc raises it to the size of each large block freed, so the megabytes
/// that parsing 20,000 assets and drafting their resolved manifests hold for a moment stay
/// in the heap afterwards, scattered, and the resident size ends about 30 MB above what is
/// in use (85 MB against a 52 MB heap on the `many` corpus; 64–67 MB with the threshold
/// kept). It costs page faults (each such block is mapped anew), a few percent of a build's
/// time, so the views, which decode images into large buffers one after another, keep
/// glibc's default.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_malloc(command: &Command) {
    // SAFETY: mallopt only sets allocator parameters; called while the process has a single
    // thread. A refusal (return 0) leaves glibc's default, which is fine.
    unsafe {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let arenas = i32::try_from(cores + 1).unwrap_or(i32::MAX);
        libc::mallopt(libc::M_ARENA_MAX, arenas);
        if matches!(command, Command::Build(a) if a.no_index && a.no_html) {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 128 << 10);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc(_: &Command) {}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if e.use_stderr() && json_asked() {
                output::json_error("usage", e.render().to_string().trim());
            }
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    tune_malloc(&cli.command);
    let json = cli.command.json();
    let result = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Check(args) => check::run(args),
        Command::Build(args) => build::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Index(args) => build::run_index(args),
        Command::Html(args) => build::run_html(args),
        Command::Report(args) => report::run(args),
        Command::List(args) => list::run(args),
        Command::Show(args) => show::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Key(KeyCommand::New(args)) => keys::run_new(args),
        Command::Sign(args) => keys::run_sign(args),
        Command::Schema { document } => schema(document),
        Command::Completions { shell } => completions(shell),
        Command::Man => man(),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if json {
                output::json_error("io", &chain(&e));
            }
            eprintln!("error: {}", chain(&e));
            ExitCode::from(2)
        }
    }
}

impl Command {
    /// True when the command was asked for JSON (its errors are JSON too).
    fn json(&self) -> bool {
        let format = match self {
            Command::Scan(a) => a.format,
            Command::Build(a) => a.format,
            Command::Verify(a) => a.format,
            Command::Index(a) => a.view.format,
            Command::Html(a) => a.view.format,
            Command::Show(a) => a.format,
            Command::Diff(a) => a.format,
            Command::Key(KeyCommand::New(a)) => a.format,
            Command::Sign(a) => a.format,
            Command::Completions { .. } | Command::Man | Command::Schema { .. } => Format::Human,
            Command::Check(a) => {
                return a.format == CheckFormat::Json;
            }
            Command::List(a) => {
                return a.format == ListFormat::Json;
            }
            Command::Report(a) => {
                return a.format == ReportFormat::Json;
            }
        };
        format == Format::Json
    }
}

/// Writes the JSON Schema of `document` to standard output.
fn schema(document: SchemaArg) -> Result<u8> {
    use assetpack::schema::Document;
    let text = match document {
        SchemaArg::Manifest => assetpack::schema::schema(Document::Manifest),
        SchemaArg::Bundle => assetpack::schema::schema(Document::Bundle),
        SchemaArg::PackManifest => assetpack::schema::schema(Document::PackManifest),
        SchemaArg::Report => output::report_schema(),
    };
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, text.as_bytes())?;
    Ok(0)
}

/// Writes the completion script for `shell` to standard output.
fn completions(shell: clap_complete::Shell) -> Result<u8> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "assetpack", &mut std::io::stdout());
    Ok(0)
}

/// Writes the manual page to standard output.
fn man() -> Result<u8> {
    use clap::CommandFactory;
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(0)
}

/// True when the arguments ask for JSON (looked at directly when they do not parse).
fn json_asked() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2)
        .any(|w| w[0] == "--format" && w[1] == "json")
        || args.iter().any(|a| a == "--format=json")
}

/// The error and its causes, each said once: the library's messages already quote their
/// cause, so a cause the message holds is not repeated.
pub(crate) fn chain(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg = format!("{msg}: {c}");
        }
    }
    msg
}
