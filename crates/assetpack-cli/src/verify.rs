//! `assetpack verify`: a pack checked on the receiving side, and extracted only when intact.

use std::io::Write;

use anyhow::Result;
use assetpack::verify::{verify, Verification, VerifyError, VerifyOptions};

use crate::build::INTERRUPTED;
use crate::{output, progress, Format, VerifyArgs};

pub(crate) fn run(args: VerifyArgs) -> Result<u8> {
    progress::catch_interrupt();
    let bar = progress::Bar::new(args.quiet || matches!(args.format, Format::Json));
    let options = VerifyOptions {
        extract: args.extract.clone(),
        max_ratio: args.max_ratio,
        key: args
            .key
            .as_deref()
            .map(crate::keys::public_key)
            .transpose()?,
    };
    let result = verify_place(&args.pack, &options, &bar)?;
    bar.clear();
    let v = match result {
        Ok(v) => v,
        Err(VerifyError::Cancelled) => {
            eprintln!("interrupted: nothing was extracted");
            return Ok(INTERRUPTED);
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = output::stdout();
    match args.format {
        Format::Json => output::json_doc(&mut out, &v)?,
        Format::Human => human(&mut out, &args, &v)?,
    }
    out.flush()?;
    Ok(if v.ok { 0 } else { 1 })
}

/// Verifies the pack at `pack`: a file, or an object in a bucket read by ranges. An error
/// reaching the bucket is an error of this run (exit 2), not a verdict on the pack.
fn verify_place(
    pack: &std::path::Path,
    options: &VerifyOptions,
    bar: &progress::Bar,
) -> Result<Result<Verification, VerifyError>> {
    let Some(text) = pack.to_str() else {
        return Ok(verify(pack, options, bar));
    };
    match assetpack::store::place(text)? {
        #[cfg(feature = "s3")]
        assetpack::store::Place::Remote(url) => {
            let object = assetpack::store::Remote::connect(url)?.open()?;
            Ok(assetpack::verify::verify_at(
                std::sync::Arc::new(object),
                pack,
                options,
                bar,
            ))
        }
        #[cfg(not(feature = "s3"))]
        assetpack::store::Place::Remote(url) => Err(assetpack::store::StoreError::NotBuilt {
            url: url.to_string(),
        }
        .into()),
        assetpack::store::Place::Local(path) => Ok(verify(&path, options, bar)),
        _ => Ok(verify(pack, options, bar)),
    }
}

fn human(out: &mut impl Write, args: &VerifyArgs, v: &Verification) -> Result<()> {
    output::problems(out, &v.problems, args.verbose)?;
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
    match &s.signature {
        Some(sig) if sig.checked => writeln!(
            out,
            "signed by key ID {}: the signature matches (trusted comment: {})",
            sig.key_id, sig.trusted_comment
        )?,
        Some(sig) if args.key.is_none() => writeln!(
            out,
            "signed by key ID {}, not checked: give --key with the sender's public key to check it",
            sig.key_id
        )?,
        _ => {}
    }
    if let Some(dir) = &s.extracted {
        writeln!(out, "extracted to {}", dir.display())?;
    } else if args.extract.is_some() {
        writeln!(out, "nothing was extracted")?;
    }
    Ok(())
}
