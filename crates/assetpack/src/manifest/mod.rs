//! The provider manifest: one TOML file per provider describing the assets it offers.
//!
//! [`Manifest::load`] reads a manifest and returns the model together with every problem found
//! in the TOML itself (syntax, unknown or missing fields, bad values, duplicate ids, unsafe
//! paths). It never touches the asset files: that is [`mod@crate::check`]'s job.
//!
//! ```
//! use assetpack::manifest::{Content, Manifest};
//!
//! let toml = r#"
//! [provider]
//! id = "oup"
//! name = "Oxford University Press"
//!
//! [[asset]]
//! id = "referral-link"
//! title = "Oxford Medicine Online"
//! kind = "link"
//! url = "https://oxfordmedicine.com/"
//! "#;
//! let loaded = Manifest::parse("packs/providers/oup.toml", toml.to_string());
//! assert!(loaded.problems.is_empty());
//! let manifest = loaded.manifest.unwrap();
//! assert_eq!(manifest.provider.id, "oup");
//! assert!(matches!(manifest.assets[0].content, Content::Url(_)));
//! ```

mod fields;
mod parse;
pub(crate) mod tree;

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use serde::{Serialize, Serializer};
use unicode_normalization::UnicodeNormalization;

use crate::problem::{Code, Problem};
use crate::source::Source;
pub use crate::store::Place;

pub use fields::FORMAT;
pub(crate) use fields::{parse_toml, Fields, Sink};

/// A calendar date, as written in TOML (`2027-03-01`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub time::Date);

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(s, &format).ok().map(Date)
    }

    /// Today's date in UTC, from the system clock.
    pub fn today() -> Date {
        Date(time::OffsetDateTime::now_utc().date())
    }

    /// The date `days` later (or earlier when negative), saturating at the calendar's ends.
    pub fn add_days(self, days: i64) -> Date {
        Date(
            self.0
                .checked_add(time::Duration::days(days))
                .unwrap_or(self.0),
        )
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        Date::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format_args!("`{text}` is not a date like 2027-03-01"))
        })
    }
}

impl schemars::JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    /// A TOML local date, or the same written as a string (`2027-03-01`): editors that read
    /// TOML through JSON see a date as a string.
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        })
    }
}

/// What sort of material an asset is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Kind {
    /// A poster (A4, A3 and larger).
    Poster,
    /// A flyer or leaflet.
    Flyer,
    /// A postcard.
    Postcard,
    /// A bookmark.
    Bookmark,
    /// A table talker (a folded card that stands on a table).
    TableTalker,
    /// A pull-up or web banner.
    Banner,
    /// An image for social media.
    SocialCard,
    /// A logo.
    Logo,
    /// An email signature (HTML or an image).
    EmailSignature,
    /// A guide, handbook or how-to document.
    Guide,
    /// A video.
    Video,
    /// Artwork to adapt (editable source files).
    Artwork,
    /// A link to a web page (no file).
    Link,
    /// A campaign message: text to post or send (no file).
    Message,
    /// Anything else.
    Other,
}

impl Kind {
    /// Every kind, in the order the format documents them.
    pub const ALL: [Kind; 15] = [
        Kind::Poster,
        Kind::Flyer,
        Kind::Postcard,
        Kind::Bookmark,
        Kind::TableTalker,
        Kind::Banner,
        Kind::SocialCard,
        Kind::Logo,
        Kind::EmailSignature,
        Kind::Guide,
        Kind::Video,
        Kind::Artwork,
        Kind::Link,
        Kind::Message,
        Kind::Other,
    ];

    /// The name used in manifests, e.g. `table-talker`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Poster => "poster",
            Kind::Flyer => "flyer",
            Kind::Postcard => "postcard",
            Kind::Bookmark => "bookmark",
            Kind::TableTalker => "table-talker",
            Kind::Banner => "banner",
            Kind::SocialCard => "social-card",
            Kind::Logo => "logo",
            Kind::EmailSignature => "email-signature",
            Kind::Guide => "guide",
            Kind::Video => "video",
            Kind::Artwork => "artwork",
            Kind::Link => "link",
            Kind::Message => "message",
            Kind::Other => "other",
        }
    }
}

impl FromStr for Kind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s).ok_or(())
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file in the provider's folder, with what the manifest says about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FileRef {
    /// Path relative to the provider's `base`, `/`-separated.
    pub file: String,
    /// Expected SHA-256, lowercase hex, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Expected size in bytes, when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Declared media type, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

impl FileRef {
    /// The SHA-256 and size, when the manifest records both: a pack then holds the file to
    /// them (a file that differs disagrees with its manifest) instead of measuring it first,
    /// and a cache knows a copy by them.
    pub fn recorded(&self) -> Option<(&str, u64)> {
        Some((self.sha256.as_deref()?, self.bytes?))
    }
}

/// Another form of the same asset (an editable original, a web version...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Rendition {
    /// What this form is for, e.g. `editable` or `web`.
    pub role: String,
    /// The file.
    #[serde(flatten)]
    pub file: FileRef,
}

/// What an asset consists of: exactly one of a file, a link or a ready-to-post text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Content {
    /// A downloadable file.
    File(FileRef),
    /// A web address (nothing to download).
    Url(String),
    /// Ready-to-post text for a channel such as `x` or `linkedin`.
    Text {
        /// The message.
        text: String,
        /// Where it is meant to be posted.
        #[serde(skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
    },
}

/// In a manifest an asset's content is spelled as keys of the asset: `file` (with `sha256`,
/// `bytes`, `media_type`), or `url`, or `text` (with `channel`).
impl schemars::JsonSchema for Content {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Content".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let file = generator.subschema_for::<FileRef>();
        schemars::json_schema!({
            "oneOf": [
                file,
                {
                    "type": "object",
                    "properties": { "url": { "type": "string", "description": "A web address (nothing to download)." } },
                    "required": ["url"],
                },
                {
                    "type": "object",
                    "properties": {
                        "text": { "type": "string", "description": "Ready-to-post text." },
                        "channel": { "type": "string", "description": "Where it is meant to be posted (`x`, `linkedin`...)." },
                    },
                    "required": ["text"],
                },
            ]
        })
    }
}

/// Printed copies an asset is offered in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct Print {
    /// Whether printed copies can be requested.
    pub available: bool,
    /// Paper sizes offered, e.g. `["A3", "A4"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sizes: Vec<String>,
    /// Most copies one library may ask for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_quantity: Option<u64>,
}

/// Where requests for printed copies go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct PrintContact {
    /// An email address or web page.
    pub contact: String,
    /// Anything requesters should know (lead times, limits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Byte spans of the values read from a table, keyed by dotted path (`file`,
/// `renditions.0.sha256`, `transcript.file`); the empty key is the table itself.
///
/// Every asset of a manifest keeps its spans, tens of thousands of them on a large one, so
/// they are held tight: offsets as `u32` (saturating; a manifest is far smaller), and the
/// keys of the table itself, which are the program's own strings, apart from the few built
/// with a nested table's prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spans {
    keys: Box<[(&'static str, u32, u32)]>,
    nested: Box<[(Box<str>, u32, u32)]>,
}

impl Spans {
    /// The span of `key`, else of the nearest enclosing table.
    pub fn get(&self, key: &str) -> Option<Range<usize>> {
        let range = |start: u32, end: u32| start as usize..end as usize;
        let mut k = key;
        loop {
            if let Some((_, start, end)) = self.keys.iter().find(|(name, ..)| *name == k) {
                return Some(range(*start, *end));
            }
            if let Some((_, start, end)) = self.nested.iter().find(|(name, ..)| &**name == k) {
                return Some(range(*start, *end));
            }
            if k.is_empty() {
                return None;
            }
            k = k.rfind('.').map_or("", |i| &k[..i]);
        }
    }
}

impl From<Vec<(Cow<'static, str>, Range<usize>)>> for Spans {
    fn from(spans: Vec<(Cow<'static, str>, Range<usize>)>) -> Spans {
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        // Sized exactly, so that boxing them does not copy them again.
        let top = spans
            .iter()
            .filter(|(key, _)| matches!(key, Cow::Borrowed(_)))
            .count();
        let mut keys = Vec::with_capacity(top);
        let mut nested = Vec::with_capacity(spans.len() - top);
        for (key, span) in spans {
            let (start, end) = (at(span.start), at(span.end));
            match key {
                Cow::Borrowed(key) => keys.push((key, start, end)),
                Cow::Owned(key) => nested.push((key.into_boxed_str(), start, end)),
            }
        }
        Spans {
            keys: keys.into_boxed_slice(),
            nested: nested.into_boxed_slice(),
        }
    }
}

/// The `[provider]` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct Provider {
    /// Short id, lowercase `[a-z0-9-]`; the provider's folder name in packs.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Home page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// Who to ask about the materials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Folder holding the files, relative to the manifest, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// Terms of use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms: Option<String>,
    /// Where requests for printed copies go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub print: Option<PrintContact>,
    /// When the provider's page was last reviewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_reviewed: Option<Date>,
    /// When it is next due for review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_review_due: Option<Date>,
    /// Where each value sits in the manifest.
    #[serde(skip)]
    pub spans: Spans,
}

/// One `[[asset]]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Asset {
    /// Unique within the provider; lowercase `[a-z0-9_-]`.
    pub id: String,
    /// Display title, any Unicode.
    pub title: String,
    /// What sort of material it is.
    pub kind: Kind,
    /// The file, link or text.
    #[serde(flatten)]
    pub content: Content,
    /// A longer description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Text alternative for images and video.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    /// Free tags, used by bundle selects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// When the asset was last reviewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_reviewed: Option<Date>,
    /// When it is next due for review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_review_due: Option<Date>,
    /// Printed copies on request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub print: Option<Print>,
    /// Guidance for people using the asset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<String>,
    /// Other forms of the same asset.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renditions: Vec<Rendition>,
    /// A transcript (for video and audio).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<Box<FileRef>>,
    /// Captions (for video).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captions: Option<Box<FileRef>>,
    /// Where each value sits in the manifest.
    #[serde(skip)]
    pub spans: Spans,
}

/// Which file of an asset a [`FileRef`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileRole<'a> {
    /// The asset's own `file`.
    Main,
    /// A rendition, by index and role name.
    Rendition(usize, &'a str),
    /// The transcript.
    Transcript,
    /// The captions.
    Captions,
}

impl FileRole<'_> {
    /// Dotted key prefix of this file's values in [`Spans`] (`""`, `renditions.0.`...).
    pub fn span_prefix(&self) -> String {
        match self {
            FileRole::Main => String::new(),
            FileRole::Rendition(i, _) => format!("renditions.{i}."),
            FileRole::Transcript => "transcript.".into(),
            FileRole::Captions => "captions.".into(),
        }
    }

    /// How the file is named in messages.
    pub fn describe(&self) -> String {
        match self {
            FileRole::Main => "file".into(),
            FileRole::Rendition(_, role) => format!("{role} rendition"),
            FileRole::Transcript => "transcript".into(),
            FileRole::Captions => "captions".into(),
        }
    }
}

impl Asset {
    /// Every file the asset brings: its own file, renditions, transcript and captions.
    pub fn files(&self) -> Vec<(FileRole<'_>, &FileRef)> {
        let mut out = Vec::new();
        if let Content::File(f) = &self.content {
            out.push((FileRole::Main, f));
        }
        for (i, r) in self.renditions.iter().enumerate() {
            out.push((FileRole::Rendition(i, &r.role), &r.file));
        }
        if let Some(t) = &self.transcript {
            out.push((FileRole::Transcript, &**t));
        }
        if let Some(c) = &self.captions {
            out.push((FileRole::Captions, &**c));
        }
        out
    }
}

/// A parsed provider manifest.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The manifest file, as given.
    pub path: PathBuf,
    /// Where the asset files are: `provider.base` resolved against the manifest's folder, or
    /// the bucket folder it names (`s3://bucket/prefix/`, always ending in `/`).
    pub base: Place,
    /// The `[provider]` table.
    pub provider: Provider,
    /// The assets that parsed well enough to check (those with errors in `id`, `title`,
    /// `kind` or their content are left out; their problems are reported).
    pub assets: Vec<Asset>,
    source: Arc<Source>,
}

/// The result of reading a manifest: the model, when the TOML was readable, and the problems.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The manifest, unless the TOML could not be parsed or `[provider]` was unusable.
    pub manifest: Option<Manifest>,
    /// Problems found in the TOML.
    pub problems: Vec<Problem>,
    /// True when the file is a bundle spec (a `[bundle]` table and no `[provider]`), not a
    /// provider manifest; folders given to `check` may hold both.
    pub bundle_spec: bool,
}

/// Reading a manifest failed before any TOML could be looked at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The manifest path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{path} is not UTF-8 text; save the manifest as UTF-8")]
    NotUtf8 {
        /// The manifest path.
        path: PathBuf,
    },
}

/// Reads a TOML file as UTF-8 text.
pub(crate) fn read_text(path: &Path) -> Result<String, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8 {
        path: path.to_owned(),
    })
}

impl Manifest {
    /// Reads and parses the manifest at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Loaded, LoadError> {
        let path = path.as_ref();
        Ok(Self::parse(path, read_text(path)?))
    }

    /// Parses manifest `text` as if read from `path` (which locates `base`).
    pub fn parse(path: impl AsRef<Path>, text: String) -> Loaded {
        parse::parse(path.as_ref(), text)
    }

    /// The manifest's text, as read.
    pub fn text(&self) -> &str {
        self.source.text()
    }

    /// The line (1-based) where `asset`'s table starts in the manifest.
    pub fn line_of(&self, asset: &Asset) -> Option<usize> {
        let span = asset.spans.get("")?;
        Some(self.source.line_column(span.start).0)
    }

    /// Where `file` (relative to `base`) is, for messages: a path on disk, or the object's
    /// URL.
    pub fn resolve(&self, file: &str) -> PathBuf {
        self.base.join(file)
    }

    /// A problem located at `key` of `asset` (or of the provider when `asset` is `None`).
    pub fn problem(&self, asset: Option<&Asset>, key: &str, mut problem: Problem) -> Problem {
        problem.provider = Some(self.provider.id.clone());
        let span = match asset {
            Some(a) => {
                problem.asset = Some(a.id.clone());
                a.spans.get(key)
            }
            None => self.provider.spans.get(key),
        };
        self.source.locate(problem, span)
    }

    /// Builds a problem for `code` at `key`.
    pub fn report(
        &self,
        code: Code,
        asset: Option<&Asset>,
        key: &str,
        message: impl Into<String>,
        fix: impl Into<Cow<'static, str>>,
    ) -> Problem {
        self.problem(asset, key, Problem::new(code, message, fix))
    }
}

/// Whether a TOML document is a bundle spec (a `[bundle]` table and no `[provider]`) rather
/// than a provider manifest: the one definition, used wherever the two are told apart.
pub(crate) fn is_bundle_table(root: &tree::Table<'_>) -> bool {
    root.get("bundle").is_some() && root.get("provider").is_none()
}

/// A valid id made from `s`: accents dropped, lowercase, other runs as `-`, at most 64
/// characters. Never empty.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.nfd() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if unicode_normalization::char::is_combining_mark(c) {
            continue;
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out = out.trim_end_matches('-').to_owned();
    out.truncate(64);
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() {
        "asset".into()
    } else {
        out
    }
}

/// Whether `id` is a valid provider or asset id: lowercase ASCII letters, digits, `-` (and `_`
/// for assets), starting with a letter or digit, at most 64 characters, and not a name Windows
/// reserves (`con`, `aux`, `com1`...), since ids become folder and file names in packs.
pub fn valid_id(id: &str, allow_underscore: bool) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && id.len() <= 64
        && chars.all(|c| {
            c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || c == '-'
                || (allow_underscore && c == '_')
        })
        && crate::safe_path::check(id).is_ok()
}
