//! Verifies a pack from any reader (here a file read into memory, as after a download) and
//! prints its problems; exits 1 when the pack is not intact.
//!
//! ```sh
//! cargo run -p assetpack --example verify_from_reader -- north-west-spring-2027.zip
//! ```

use std::io::Cursor;
use std::path::PathBuf;
use std::process::ExitCode;

use assetpack::verify::{verify_reader, VerifyOptions};
use assetpack::NoProgress;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: verify_from_reader PACK.zip");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let options = VerifyOptions::default();
    match verify_reader(Cursor::new(bytes), &path, &options, &NoProgress) {
        Ok(v) => {
            for p in &v.problems {
                let file = p.file.as_deref().unwrap_or("");
                println!("{}[{}] {file}: {}", p.severity, p.code, p.message);
            }
            let s = &v.summary;
            println!(
                "{}: {} ({} files checked)",
                path.display(),
                if v.ok { "intact" } else { "NOT intact" },
                s.files
            );
            if v.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
