//! `assetpack check`: manifests against their files.

use std::io::Write;

use anyhow::Result;
use assetpack::channel::default_channel_limits;
use assetpack::check::CheckOptions;
use assetpack::manifest::Date;

use crate::{output, progress, CheckArgs, CheckFormat};

pub(crate) fn run(args: CheckArgs) -> Result<u8> {
    let mut limits = default_channel_limits();
    limits.extend(args.channel_limits);
    let mut preflight_options = assetpack::preflight::PreflightOptions::default();
    if !args.social_shapes.is_empty() {
        preflight_options.social_shapes = args.social_shapes;
    }
    let options = CheckOptions {
        today: args.today.unwrap_or_else(Date::today),
        fast: args.fast,
        strict: args.strict,
        preflight: args.preflight,
        preflight_options,
        channel_limits: limits,
        key: args
            .key
            .as_deref()
            .map(crate::keys::public_key)
            .transpose()?,
        ..CheckOptions::default()
    };
    let bar = progress::Bar::new(args.quiet || !matches!(args.format, CheckFormat::Human));
    let report = assetpack::check(&args.paths, &options, &bar);
    bar.clear();
    let mut out = output::stdout();
    match args.format {
        CheckFormat::Json => output::json(&mut out, &report)?,
        CheckFormat::Human => output::human(&mut out, &report, args.verbose)?,
        CheckFormat::Github => output::github(&mut out, &report)?,
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
