//! `assetpack key new` and `assetpack sign`, and the password and key arguments `build --sign`,
//! `verify --key` and `check --key` take.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use assetpack::keys::PublicKey;
use assetpack::signing::{self, SigningKey};
use serde::Serialize;

use crate::{output, Format, KeyNewArgs, SignArgs};

/// Where a password comes from when no one is at a terminal (CI).
pub(crate) const PASSWORD_VAR: &str = "ASSETPACK_SIGN_PASSWORD";

/// A password: `ASSETPACK_SIGN_PASSWORD` when set, else asked at the terminal (twice when
/// `confirm`). Never echoed, logged or put in an error.
fn password(prompt: &str, confirm: bool) -> Result<String> {
    if let Ok(p) = std::env::var(PASSWORD_VAR) {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!("{prompt}: no terminal to ask at; set {PASSWORD_VAR} (in CI, from a secret)");
    }
    let first =
        rpassword::prompt_password(format!("{prompt}: ")).context("cannot read the password")?;
    if confirm {
        let again = rpassword::prompt_password("The same password again: ")
            .context("cannot read the password")?;
        if again != first {
            bail!("the two passwords differ; nothing was written");
        }
    }
    Ok(first)
}

/// The secret key `path` (asking for its password when it is encrypted), for `build --sign`
/// and `sign`.
pub(crate) fn signing_key(path: &Path) -> Result<SigningKey> {
    let password = if SigningKey::is_encrypted(path)? {
        Some(password(&format!("password of {}", path.display()), false)?)
    } else {
        None
    };
    Ok(SigningKey::load(path, password.as_deref())?)
}

/// A public key argument: a `.pub` file, or the key line itself.
pub(crate) fn public_key(arg: &str) -> Result<PublicKey> {
    Ok(PublicKey::read(arg)?)
}

/// What `key new --format json` prints.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct NewKeyDoc<'a> {
    key_id: &'a str,
    public_key: String,
    public_key_file: &'a Path,
    secret_key_file: &'a Path,
    encrypted: bool,
}

/// `assetpack key new`.
pub(crate) fn run_new(args: KeyNewArgs) -> Result<u8> {
    let public_path = args
        .public
        .clone()
        .unwrap_or_else(|| signing::public_key_path(&args.keyfile));
    if !args.force {
        // Before the password is asked for.
        if let Err(e) = signing::key_files_free(&args.keyfile, &public_path) {
            bail!("{e}; choose another name, or give --force to replace it");
        }
    }
    let password = match args.unencrypted {
        true => None,
        false => Some(password("password for the new secret key", true)?),
    };
    let pair = signing::new_key_pair(password.as_deref())?;
    signing::write_key_pair(&pair, &args.keyfile, &public_path, args.force)?;
    let key = PublicKey::parse(&pair.public)?;
    let mut out = output::stdout();
    if args.format == Format::Json {
        let doc = NewKeyDoc {
            key_id: key.id(),
            public_key: key.to_base64(),
            public_key_file: &public_path,
            secret_key_file: &args.keyfile,
            encrypted: !args.unencrypted,
        };
        output::json_doc(&mut out, &doc)?;
    } else {
        writeln!(
            out,
            "wrote the secret key {} ({}; keep it private) and the public key {}",
            args.keyfile.display(),
            if args.unencrypted {
                "not encrypted"
            } else {
                "encrypted with your password"
            },
            public_path.display()
        )?;
        writeln!(
            out,
            "key ID {}; publish this line so that others can check your packs:",
            key.id()
        )?;
        writeln!(out, "{}", key.to_base64())?;
    }
    out.flush()?;
    Ok(0)
}

/// What `sign --format json` prints.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct SignedDoc<'a> {
    key_id: &'a str,
    /// The signature files written, one per manifest.
    signatures: &'a [std::path::PathBuf],
}

/// `assetpack sign`.
pub(crate) fn run_sign(args: SignArgs) -> Result<u8> {
    let key = signing_key(&args.key)?;
    let mut out = output::stdout();
    let mut written = Vec::new();
    for manifest in &args.manifests {
        let path = signing::sign_manifest(manifest, &key)?;
        if args.format == Format::Human {
            writeln!(
                out,
                "signed {} with key ID {}: {}",
                manifest.display(),
                key.id(),
                path.display()
            )?;
        }
        written.push(path);
    }
    if args.format == Format::Json {
        let doc = SignedDoc {
            key_id: key.id(),
            signatures: &written,
        };
        output::json_doc(&mut out, &doc)?;
    }
    out.flush()?;
    Ok(0)
}
