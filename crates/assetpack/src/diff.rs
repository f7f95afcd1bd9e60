//! What changed between two editions: two packs, two specs (bundle specs or provider
//! manifests), or one of each.
//!
//! Both sides are brought to the same form, the resolved manifest a pack carries
//! (`manifest.json`): a pack's is read from it (nothing else in the pack is read, so verify a
//! pack from elsewhere first), a spec's is planned as `build --dry-run` would. Assets are then
//! matched by provider and id, and every field that differs is named by its dotted path
//! (`file.sha256`, `print.sizes`, `next_review_due`).
//!
//! ```
//! use assetpack::diff::diff;
//!
//! let d = diff(
//!     "../../packs/bundles/north-west-spring-2027.toml".as_ref(),
//!     "../../packs/bundles/north-west-spring-2027.toml".as_ref(),
//! )
//! .unwrap();
//! assert!(d.is_empty());
//! ```

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::{Inputs, InputsError};
use crate::plan::{self, PlanError, PlanOptions};
use crate::problem::Problem;

/// The largest `manifest.json` read from a pack (a resolved manifest of 100,000 assets is
/// about 40 MB).
const MOST: u64 = 256 << 20;

/// Why two editions could not be compared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A pack has no readable resolved manifest.
    #[error("{} is not a pack assetpack built ({why}): it has no readable manifest.json", path.display())]
    NotAPack {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The specs could not be read.
    #[error(transparent)]
    Inputs(#[from] InputsError),
    /// The specs have errors.
    #[error("{} has errors; `assetpack check` shows them", path.display())]
    Problems {
        /// The spec.
        path: PathBuf,
        /// The errors.
        problems: Vec<Problem>,
    },
    /// The specs could not be planned.
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// One field that differs, by its dotted path, with its value on each side as JSON text
/// (`None` where the field is absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FieldChange {
    /// The field, e.g. `file.sha256`.
    pub field: String,
    /// Before.
    pub old: Option<String>,
    /// After.
    pub new: Option<String>,
}

/// An asset on both sides that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Changed {
    /// `provider/asset`.
    pub asset: String,
    /// Its title on the new side.
    pub title: String,
    /// What differs.
    pub fields: Vec<FieldChange>,
}

/// An asset on one side only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OneSide {
    /// `provider/asset`.
    pub asset: String,
    /// Its title.
    pub title: String,
}

/// What differs between two editions, each list sorted by `provider/asset`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Diff {
    /// On the new side only.
    pub added: Vec<OneSide>,
    /// On the old side only.
    pub removed: Vec<OneSide>,
    /// On both, differing.
    pub changed: Vec<Changed>,
}

impl Diff {
    /// True when the two sides hold the same assets with the same fields.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compares `old` with `new`; each a pack (`.zip`) or a spec.
pub fn diff(old: &Path, new: &Path) -> Result<Diff, DiffError> {
    let (old, new) = (assets(old)?, assets(new)?);
    let mut d = Diff::default();
    for (key, o) in &old {
        match new.get(key) {
            None => d.removed.push(one_side(key, o)),
            Some(n) => {
                let mut fields = Vec::new();
                compare("", o, n, &mut fields);
                if !fields.is_empty() {
                    let title = n["title"].as_str().unwrap_or_default().to_owned();
                    d.changed.push(Changed {
                        asset: key.clone(),
                        title,
                        fields,
                    });
                }
            }
        }
    }
    for (key, n) in &new {
        if !old.contains_key(key) {
            d.added.push(one_side(key, n));
        }
    }
    Ok(d)
}

fn one_side(key: &str, asset: &Value) -> OneSide {
    OneSide {
        asset: key.to_owned(),
        title: asset["title"].as_str().unwrap_or_default().to_owned(),
    }
}

/// Every field under `path` that differs between `o` and `n`, objects walked key by key.
fn compare(path: &str, o: &Value, n: &Value, out: &mut Vec<FieldChange>) {
    if let (Value::Object(a), Value::Object(b)) = (o, n) {
        let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for k in keys {
            let field = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            match (a.get(k), b.get(k)) {
                (Some(x), Some(y)) => compare(&field, x, y, out),
                (x, y) => out.push(FieldChange {
                    field,
                    old: x.map(Value::to_string),
                    new: y.map(Value::to_string),
                }),
            }
        }
    } else if o != n {
        out.push(FieldChange {
            field: path.to_owned(),
            old: Some(o.to_string()),
            new: Some(n.to_string()),
        });
    }
}

/// The assets of one side by `provider/asset`, from its resolved manifest.
fn assets(path: &Path) -> Result<BTreeMap<String, Value>, DiffError> {
    let resolved = if is_zip(path)? {
        from_pack(path)?
    } else {
        from_spec(path)?
    };
    let mut out = BTreeMap::new();
    for p in resolved["provider"].as_array().into_iter().flatten() {
        let provider = p["id"].as_str().unwrap_or_default();
        for a in p["asset"].as_array().into_iter().flatten() {
            let id = a["id"].as_str().unwrap_or_default();
            out.insert(format!("{provider}/{id}"), a.clone());
        }
    }
    Ok(out)
}

fn is_zip(path: &Path) -> Result<bool, DiffError> {
    let io = |source| DiffError::Io {
        path: path.to_owned(),
        source,
    };
    let mut magic = [0; 4];
    let mut f = std::fs::File::open(path).map_err(io)?;
    let n = f.read(&mut magic).map_err(io)?;
    Ok(n == 4 && &magic == b"PK\x03\x04")
}

/// The `manifest.json` of a pack: `<name>/manifest.json`, or `<name>/data/manifest.json` in
/// a bag.
fn from_pack(path: &Path) -> Result<Value, DiffError> {
    let not = |why: String| DiffError::NotAPack {
        path: path.to_owned(),
        why,
    };
    let file = std::fs::File::open(path).map_err(|source| DiffError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| not(e.to_string()))?;
    let name = zip
        .file_names()
        .filter_map(Result::ok)
        .find(|n| {
            let parts: Vec<&str> = n.split('/').collect();
            matches!(
                parts.as_slice(),
                [_, "manifest.json"] | [_, "data", "manifest.json"]
            )
        })
        .map(|n| n.into_owned())
        .ok_or_else(|| not("no <name>/manifest.json, nor <name>/data/manifest.json".into()))?;
    let entry = zip.by_name(&name).map_err(|e| not(e.to_string()))?;
    let mut text = String::new();
    entry
        .take(MOST)
        .read_to_string(&mut text)
        .map_err(|e| not(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| not(format!("manifest.json: {e}")))
}

/// The resolved manifest a build of `spec` would put in its pack.
fn from_spec(path: &Path) -> Result<Value, DiffError> {
    let (inputs, problems) = Inputs::read(&[path.to_owned()], Some(Path::new("diff.zip")))?;
    let errors: Vec<Problem> = problems.into_iter().filter(Problem::is_error).collect();
    if !errors.is_empty() {
        return Err(DiffError::Problems {
            path: path.to_owned(),
            problems: errors,
        });
    }
    let plan = plan::plan(&inputs, &PlanOptions::default())?;
    let json = plan
        .entries
        .iter()
        .find(|e| e.path == "manifest.json")
        .and_then(|e| e.data.made().ok().flatten())
        .and_then(|b| serde_json::from_slice(&b).ok());
    json.ok_or_else(|| DiffError::NotAPack {
        path: path.to_owned(),
        why: "its plan has no manifest.json".into(),
    })
}
