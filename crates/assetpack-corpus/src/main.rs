//! `assetpack-corpus OUT [--profile tiny|national|many|huge]`: writes a deterministic corpus
//! of real-format marketing assets for assetpack's tests and benchmarks.

use std::path::PathBuf;
use std::process::ExitCode;

use assetpack_corpus::{write, Options, Profile};
use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ProfileArg {
    /// About 400 files, 20 MB (tests).
    Tiny,
    /// About 400 files, 1 GiB (benchmarks).
    National,
    /// 20,000 small files (benchmarks; see --per-provider).
    Many,
    /// National plus one 4.8 GB video (ZIP64, memory).
    Huge,
}

/// Writes a deterministic corpus of real-format marketing assets (PDF, PNG, JPEG, SVG,
/// HTML, MP4, WebVTT, DOCX) for nine providers: same arguments, same bytes.
#[derive(Parser, Debug)]
#[command(name = "assetpack-corpus", version)]
struct Args {
    /// The folder to write (created when missing).
    out: PathBuf,
    /// Which corpus.
    #[arg(long, value_enum, default_value = "tiny")]
    profile: ProfileArg,
    /// Seed of every generator.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Files per provider in the many profile (2,222 makes 19,998 files; 11,111 makes 99,999).
    #[arg(long, default_value_t = 2222, value_name = "N")]
    per_provider: usize,
    /// Size in bytes of the huge profile's extra video.
    #[arg(long, default_value_t = 4_800_000_000, value_name = "BYTES")]
    video_bytes: u64,
    /// Also write a `damaged/` folder of broken files.
    #[arg(long)]
    damaged: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let options = Options {
        profile: match args.profile {
            ProfileArg::Tiny => Profile::Tiny,
            ProfileArg::National => Profile::National,
            ProfileArg::Many => Profile::Many,
            ProfileArg::Huge => Profile::Huge,
        },
        seed: args.seed,
        per_provider: args.per_provider,
        huge_video_bytes: args.video_bytes,
        damaged: args.damaged,
    };
    match write(&args.out, &options) {
        Ok(s) => {
            println!(
                "{} files, {} bytes, in {}",
                s.files,
                s.bytes,
                args.out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "error: cannot write the corpus in {}: {e}",
                args.out.display()
            );
            ExitCode::from(2)
        }
    }
}
