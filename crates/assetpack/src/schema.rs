//! JSON Schemas (draft 2020-12) of the documents assetpack reads and writes, for editors and
//! other tools: provider manifests and bundle specs (TOML, whose editors — taplo, Even Better
//! TOML — validate through JSON Schema) and the `manifest.json` every pack carries. Each says
//! `format = 1` (TOML, optional) or `"format": 1` (JSON); this crate reads and writes version
//! [`FORMAT`]. The report types ([`Report`](crate::Report),
//! [`Verification`](crate::verify::Verification), [`Listed`](crate::catalog::Listed),
//! [`Diff`](crate::diff::Diff)) implement `schemars::JsonSchema` too, for the reports a program
//! writes (`assetpack schema report` is made from them).
//!
//! ```
//! use assetpack::schema::{schema, Document};
//!
//! let text = schema(Document::Manifest);
//! assert!(text.contains("\"provider\""));
//! ```

use schemars::{JsonSchema, SchemaGenerator};

use crate::manifest::{Asset, Date, Kind, Provider, FORMAT};

/// A document with a schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Document {
    /// A provider manifest (TOML).
    Manifest,
    /// A bundle spec (TOML).
    Bundle,
    /// The resolved manifest in every pack, `<name>/manifest.json`.
    PackManifest,
}

impl Document {
    /// Every document, with the name `assetpack schema` knows it by.
    pub const ALL: [(&'static str, Document); 3] = [
        ("manifest", Document::Manifest),
        ("bundle", Document::Bundle),
        ("pack-manifest", Document::PackManifest),
    ];
}

/// The schema of `doc`, as pretty JSON text.
pub fn schema(doc: Document) -> String {
    let generator = SchemaGenerator::default();
    let schema = match doc {
        Document::Manifest => generator.into_root_schema_for::<ManifestDoc>(),
        Document::Bundle => generator.into_root_schema_for::<BundleDoc>(),
        Document::PackManifest => {
            generator.into_root_schema_for::<crate::resolved::PackManifest<'static>>()
        }
    };
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

/// The version a document is written in: 1.
fn format_one(_: &mut SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "integer", "const": FORMAT })
}

/// A provider manifest: one `[provider]` and its `[[asset]]`s.
#[derive(JsonSchema)]
#[schemars(title = "assetpack provider manifest", deny_unknown_fields)]
#[allow(dead_code)]
struct ManifestDoc {
    /// The version of the format this file is written in (optional; 1).
    #[serde(default)]
    #[schemars(schema_with = "format_one")]
    format: Option<u64>,
    /// Who offers the assets.
    provider: Provider,
    /// What they offer.
    #[serde(default)]
    asset: Vec<Asset>,
}

/// A bundle spec: a `[bundle]` header and `[[select]]`s choosing assets across providers.
#[derive(JsonSchema)]
#[schemars(title = "assetpack bundle spec", deny_unknown_fields)]
#[allow(dead_code)]
struct BundleDoc {
    /// The version of the format this file is written in (optional; 1).
    #[serde(default)]
    #[schemars(schema_with = "format_one")]
    format: Option<u64>,
    /// What the pack is.
    bundle: BundleHeader,
    /// Which assets go in: an asset goes in when any select matches it.
    #[serde(default)]
    select: Vec<SelectDoc>,
    /// How the assets are checked when the pack is built or the spec checked.
    check: Option<CheckDoc>,
}

/// The `[check]` table.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct CheckDoc {
    /// Also preflight the files (as `check --preflight`); an error stops the build.
    preflight: Option<bool>,
}

/// The `[bundle]` table.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct BundleHeader {
    /// The pack's folder name inside the ZIP and its default file name.
    name: String,
    /// What the pack is.
    title: Option<String>,
    /// Who it is for.
    region: Option<String>,
    /// Who built it.
    contact: Option<String>,
    /// The edition date: printed in the index, and every entry's timestamp.
    date: Option<Date>,
    /// Provider manifests: paths or globs, relative to the spec.
    manifests: Vec<String>,
}

/// One `[[select]]`: every field given must match (an absent field matches everything).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct SelectDoc {
    /// A provider's id.
    provider: Option<String>,
    /// Asset kinds.
    kinds: Option<Vec<Kind>>,
    /// Tags: an asset matches when it has any of them.
    tags: Option<Vec<String>>,
    /// Asset ids.
    ids: Option<Vec<String>>,
    /// Rendition roles to keep (default: all).
    renditions: Option<Vec<String>>,
}
