//! Lists the posters a bundle offers as printed copies, with their sizes: what a regional lead
//! would put on a print order.
//!
//! ```sh
//! cargo run -p assetpack --example print_posters -- packs/bundles/north-west-spring-2027.toml
//! ```

use std::process::ExitCode;

use assetpack::catalog::Inputs;
use assetpack::Kind;

fn main() -> ExitCode {
    let Some(spec) = std::env::args_os().nth(1) else {
        eprintln!("usage: print_posters BUNDLE.toml");
        return ExitCode::from(2);
    };
    let (inputs, problems) = match Inputs::read(&[spec.into()], None) {
        Ok(read) => read,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    for p in problems.iter().filter(|p| p.is_error()) {
        eprintln!("error[{}]: {}", p.code, p.message);
    }
    for s in &inputs.selected {
        let m = &inputs.manifests[s.manifest];
        let a = &m.assets[s.asset];
        let Some(print) = a.print.as_ref().filter(|p| p.available) else {
            continue;
        };
        if a.kind == Kind::Poster {
            let sizes = print.sizes.join(", ");
            println!("{}\t{}\t{}\t{sizes}", m.provider.name, a.id, a.title);
        }
    }
    ExitCode::SUCCESS
}
