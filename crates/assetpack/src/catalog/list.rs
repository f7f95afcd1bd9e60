//! The chosen assets as rows: what `assetpack list` shows a lead, and what a program filters.
//!
//! ```
//! use assetpack::catalog::{list, Inputs};
//!
//! let specs = ["../../packs/bundles/north-west-spring-2027.toml".into()];
//! let (inputs, _) = Inputs::read(&specs, None).unwrap();
//! let posters = list(&inputs).into_iter().filter(|a| a.kind == assetpack::Kind::Poster && a.print);
//! assert!(posters.count() > 3);
//! ```

use serde::Serialize;

use super::Inputs;
use crate::manifest::{Content, Date, Kind};

/// One chosen asset, flattened into the columns a list shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Listed {
    /// The provider's id.
    pub provider: String,
    /// The asset's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// What sort of material it is.
    pub kind: Kind,
    /// Its file (relative to the provider's folder), or its web address; `None` for a message.
    pub file: Option<String>,
    /// The file's size as the manifest records it.
    pub bytes: Option<u64>,
    /// True when printed copies can be requested.
    pub print: bool,
    /// The paper sizes printed copies come in.
    pub print_sizes: Vec<String>,
    /// When it is next due for review.
    pub next_review_due: Option<Date>,
}

/// Every chosen asset of `inputs`, in manifest order.
pub fn list(inputs: &Inputs) -> Vec<Listed> {
    inputs
        .selected
        .iter()
        .filter_map(|s| {
            let m = inputs.manifests.get(s.manifest)?;
            let a = m.assets.get(s.asset)?;
            let (file, bytes) = match &a.content {
                Content::File(f) => (Some(f.file.clone()), f.bytes),
                Content::Url(u) => (Some(u.clone()), None),
                _ => (None, None),
            };
            let print = a.print.as_ref().filter(|p| p.available);
            Some(Listed {
                provider: m.provider.id.clone(),
                id: a.id.clone(),
                title: a.title.clone(),
                kind: a.kind,
                file,
                bytes,
                print: print.is_some(),
                print_sizes: print.map(|p| p.sizes.clone()).unwrap_or_default(),
                next_review_due: a.next_review_due,
            })
        })
        .collect()
}

/// One CSV field, quoted, with a leading `=`, `+`, `-` or `@` neutralised so that a
/// spreadsheet never runs it as a formula.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("A3 poster"), "\"A3 poster\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
        assert_eq!(csv_field("-5"), "\"'-5\"");
    }
}
