//! The resolved manifest every pack carries (`<name>/manifest.json`, and `manifest.toml`):
//! the bundle's header, its edition, and every chosen asset of every provider with each file's
//! path in the pack, SHA-256 and size. The plan writes it (borrowing from the manifests);
//! a program reads a pack's back into the same types, owned:
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! # let out = dir.path().join("oup.zip");
//! # let made = assetpack::build::build(&["../../packs/providers/oup.toml".into()], &assetpack::build::BuildOptions { output: Some(out.clone()), ..Default::default() }, None, &assetpack::NoProgress).unwrap();
//! # let text = made.plan.entries.iter().find(|e| e.path == "manifest.json").map(|e| match &e.data { assetpack::plan::EntryData::Bytes(b) => String::from_utf8(b.to_vec()).unwrap(), _ => unreachable!() }).unwrap();
//! use assetpack::resolved::PackManifest;
//!
//! let m: PackManifest<'static> = serde_json::from_str(&text).unwrap();
//! assert_eq!(m.format, 1);
//! assert_eq!(m.provider[0].provider.id, "oup");
//! ```

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::bundle::Header;
use crate::catalog::Layout;
use crate::content;
use crate::manifest::{Asset, Content, Date, FileRef, FileRole, Kind, Print, Provider};
use crate::plan::Entry;

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(title = "assetpack pack manifest (manifest.json)")]
pub struct PackManifest<'a> {
    /// The version of this document's shape (1).
    pub format: u64,
    /// The pack.
    pub pack: PackInfo<'a>,
    /// Each provider with its chosen assets.
    pub provider: Vec<ProviderOut<'a>>,
}

/// The pack: its header, edition and counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PackInfo<'a> {
    /// The `[bundle]` header.
    #[serde(flatten)]
    pub header: Cow<'a, Header>,
    /// The edition date every entry carries.
    pub edition: String,
    /// `plain` or `bagit`.
    pub layout: Layout,
    /// `assetpack` and its version.
    pub software: String,
    /// Providers in the pack.
    pub providers: usize,
    /// Assets in the pack.
    pub assets: usize,
    /// Files in the payload.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// A provider, as its manifest describes it less `base` (a path on the builder's machine).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProviderOut<'a> {
    /// The provider.
    #[serde(flatten)]
    pub provider: Provider,
    /// Its chosen assets.
    pub asset: Vec<AssetOut<'a>>,
}

/// One file of an asset in the pack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileOut<'a> {
    /// A rendition's role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Cow<'a, str>>,
    /// Path inside the pack's content folder.
    pub path: String,
    /// Path in the provider's folder, as the manifest gives it (empty for a message's text).
    pub source: Cow<'a, str>,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// Size.
    pub bytes: u64,
    /// Media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// One chosen asset with its files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AssetOut<'a> {
    /// Its id.
    pub id: Cow<'a, str>,
    /// Its title.
    pub title: Cow<'a, str>,
    /// What sort of material it is.
    pub kind: Kind,
    /// Its file (or a message's text file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileOut<'a>>,
    /// Its web address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<Cow<'a, str>>,
    /// Its message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Cow<'a, str>>,
    /// The message's channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Cow<'a, str>>,
    /// A longer description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Cow<'a, str>>,
    /// Text alternative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<Cow<'a, str>>,
    /// Tags.
    #[serde(default, skip_serializing_if = "<[String]>::is_empty")]
    pub tags: Cow<'a, [String]>,
    /// Last reviewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reviewed: Option<Date>,
    /// Next review due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_review_due: Option<Date>,
    /// Printed copies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub print: Option<Cow<'a, Print>>,
    /// Guidance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Cow<'a, str>>,
    /// Renditions kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renditions: Vec<FileOut<'a>>,
    /// Transcript.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<FileOut<'a>>,
    /// Captions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captions: Option<FileOut<'a>>,
}

impl<'a> FileOut<'a> {
    pub(crate) fn of(
        role: FileRole<'a>,
        f: &'a FileRef,
        path: String,
        sha256: String,
        bytes: u64,
    ) -> Self {
        FileOut {
            role: match role {
                FileRole::Rendition(_, r) => Some(Cow::Borrowed(r)),
                _ => None,
            },
            path,
            source: Cow::Borrowed(&f.file),
            sha256,
            bytes,
            media_type: f
                .media_type
                .clone()
                .or_else(|| content::media_type_for_path(&f.file).map(str::to_owned)),
        }
    }

    /// A message's text file.
    pub(crate) fn message(entry: &Entry) -> Self {
        FileOut {
            role: None,
            path: entry.path.clone(),
            source: Cow::Borrowed(""),
            sha256: entry.sha256.clone(),
            bytes: entry.bytes,
            media_type: Some("text/plain".into()),
        }
    }
}

impl<'a> AssetOut<'a> {
    /// The asset's metadata, before its files are added.
    pub(crate) fn of(a: &'a Asset) -> Self {
        let (url, text, channel) = match &a.content {
            Content::Url(u) => (Some(u.as_str()), None, None),
            Content::Text { text, channel } => (None, Some(text.as_str()), channel.as_deref()),
            _ => (None, None, None),
        };
        AssetOut {
            id: Cow::Borrowed(&a.id),
            title: Cow::Borrowed(&a.title),
            kind: a.kind,
            file: None,
            url: url.map(Cow::Borrowed),
            text: text.map(Cow::Borrowed),
            channel: channel.map(Cow::Borrowed),
            description: a.description.as_deref().map(Cow::Borrowed),
            alt: a.alt.as_deref().map(Cow::Borrowed),
            tags: Cow::Borrowed(&a.tags),
            last_reviewed: a.last_reviewed,
            next_review_due: a.next_review_due,
            print: a.print.as_ref().map(Cow::Borrowed),
            usage: a.usage.as_deref().map(Cow::Borrowed),
            renditions: Vec::new(),
            transcript: None,
            captions: None,
        }
    }

    pub(crate) fn add_file(&mut self, role: FileRole, out: FileOut<'a>) {
        match role {
            FileRole::Main => self.file = Some(out),
            FileRole::Transcript => self.transcript = Some(out),
            FileRole::Captions => self.captions = Some(out),
            FileRole::Rendition(..) => self.renditions.push(out),
        }
    }

    /// Every file of the asset in the pack.
    pub fn files(&self) -> impl Iterator<Item = &FileOut<'a>> {
        self.file
            .iter()
            .chain(&self.renditions)
            .chain(&self.transcript)
            .chain(&self.captions)
    }
}
