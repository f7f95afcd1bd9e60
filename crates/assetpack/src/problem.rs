//! Problems found in manifests and the files they describe.
//!
//! Every check in this crate returns its findings as [`Problem`] values instead of printing
//! them: the CLI renders them for people or as JSON, and other tools can filter them by
//! [`Code`]. Codes are stable: a code never changes meaning, and new checks get new codes.
//!
//! ```
//! use assetpack::{Code, Problem, Severity};
//!
//! let p = Problem::new(Code::MissingFile, "the file `a.pdf` does not exist", "put it there").with_file("a.pdf");
//! assert_eq!((p.severity, p.code.as_str()), (Severity::Error, "missing-file"));
//! assert_eq!(Code::from_name("missing-file"), Some(Code::MissingFile));
//! ```

use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// How bad a problem is.
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
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// For information (a measurement, a note for printers); `strict` leaves it as it is.
    Info,
    /// Worth knowing; does not fail a check unless `strict` is set.
    Warning,
    /// The data is wrong: `check` exits 1 and `build` refuses to run.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $sev:ident; )*) => {
        /// The stable identifier of a kind of problem. The README lists every code with what it
        /// means and how to fix it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as written in reports, for example `hash-mismatch`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The code written `name` in reports; `None` for a name this version does not know.
            pub fn from_name(name: &str) -> Option<Code> {
                match name { $($name => Some(Code::$variant),)* _ => None }
            }

            /// The severity a problem with this code has unless `strict` raises it.
            pub fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }
        }
    };
}

codes! {
    /// The manifest is not valid TOML.
    TomlSyntax = "toml-syntax", Error;
    /// A key the format does not define (often a misspelling).
    UnknownField = "unknown-field", Error;
    /// A required key is absent.
    MissingField = "missing-field", Error;
    /// A value has the wrong type or an invalid form (bad date, bad id, unknown kind...).
    BadValue = "bad-value", Error;
    /// Two assets of one provider share an id.
    DuplicateId = "duplicate-id", Error;
    /// Two assets (or renditions) point at the same file.
    DuplicateFile = "duplicate-file", Error;
    /// Two paths differ only in case or Unicode normalisation and would clash on macOS or
    /// Windows.
    PathClash = "path-clash", Error;
    /// A path is absolute, climbs out with `..`, uses backslashes, drive letters, control
    /// characters or Windows reserved names.
    UnsafePath = "unsafe-path", Error;
    /// A path goes through a symbolic link that leads outside the provider's `base`.
    SymlinkEscape = "symlink-escape", Error;
    /// An asset has none, or more than one, of `file`, `url` and `text`.
    ContentChoice = "content-choice", Error;
    /// The file an asset names does not exist.
    MissingFile = "missing-file", Error;
    /// The path names a directory, device, socket or other non-regular file.
    NotAFile = "not-a-file", Error;
    /// The file's size differs from `bytes`.
    SizeMismatch = "size-mismatch", Error;
    /// The file's SHA-256 differs from `sha256`: it changed since the manifest was written.
    HashMismatch = "hash-mismatch", Error;
    /// The content is not what the file's extension says (a JPEG named `.png`).
    ContentMismatch = "content-mismatch", Error;
    /// The content is not the declared `media_type`.
    MediaTypeMismatch = "media-type-mismatch", Error;
    /// A PDF, image or video is truncated or unreadable.
    CorruptContent = "corrupt-content", Error;
    /// A `url` is not http(s) or carries a user name or password.
    BadUrl = "bad-url", Error;
    /// A `message` is longer than its channel allows.
    MessageTooLong = "message-too-long", Error;
    /// A file could not be read (permissions, I/O failure). Reported as an I/O error.
    Unreadable = "unreadable", Error;
    /// A bundle spec names a provider, kind, asset id or rendition role that does not exist.
    UnknownReference = "unknown-reference", Error;
    /// A `[[select]]` matches no asset (or a spec has none).
    EmptySelect = "empty-select", Error;
    /// A bundle spec's `manifests` entry matches no file.
    NoManifests = "no-manifests", Error;
    /// Two files of a pack would land on the same path (or clash by case).
    PackPathClash = "pack-path-clash", Error;
    /// `verify`: a file listed in the checksums is not in the archive.
    MissingEntry = "missing-entry", Error;
    /// `verify`: a file in the archive that no checksum covers.
    ExtraEntry = "extra-entry", Error;
    /// `verify`: a file whose SHA-256 differs from its checksum.
    AlteredEntry = "altered-entry", Error;
    /// `verify`: two archive entries share a name, or differ only by case or by how accents
    /// are encoded (one file on Windows and macOS).
    DuplicateEntry = "duplicate-entry", Error;
    /// `verify`: an entry name that is absolute, climbs with `..`, uses backslashes, a drive
    /// letter or control characters, an entry that is a symbolic link or another special file
    /// or is marked set-user-ID, or a file that another entry puts in a folder of the same name.
    UnsafeEntry = "unsafe-entry", Error;
    /// `verify`: the archive's structure is hostile or foreign: a local header names its
    /// entry differently from the central directory, entries share bytes, bytes lie outside
    /// every entry (a prepended script, hidden data), or a folder entry holds data or records
    /// a CRC.
    UnsafeArchive = "unsafe-archive", Error;
    /// `verify`: the archive's end records can be read more than one way, so readers may see
    /// different directories: two end records that each end the file, a comment length that
    /// does not reach the end, an entry count that disagrees with the directory, a ZIP64
    /// locator that points elsewhere, or the ZIP library finding the directory elsewhere.
    AmbiguousArchive = "ambiguous-archive", Error;
    /// `verify`: an entry would inflate more than the ratio limit allows (a ZIP bomb's
    /// shape); it is neither read back nor extracted.
    CompressionRatio = "compression-ratio", Error;
    /// `verify`: an entry that cannot be read back (bad CRC, broken compressed data).
    CorruptEntry = "corrupt-entry", Error;
    /// A key was given (`verify --key`, `check --key`) but the pack or manifest has no
    /// signature.
    SignatureMissing = "signature-missing", Error;
    /// A signature file that is not a minisign signature.
    SignatureMalformed = "signature-malformed", Error;
    /// A signature made with another key than the one given.
    SignatureForeign = "signature-foreign", Error;
    /// A signature by the key given that does not match what it signs: the checksums (or the
    /// manifest) were changed after signing.
    SignatureInvalid = "signature-invalid", Error;
    /// `verify`: a readable ZIP that is not an assetpack pack (no `SHA256SUMS` or bag manifest),
    /// or a malformed checksum file.
    NotAPack = "not-a-pack", Error;
    /// A file under `base` that no asset lists.
    UnlistedFile = "unlisted-file", Warning;
    /// A symbolic link or special file under `base`; never followed or read.
    SpecialFile = "special-file", Warning;
    /// `sha256` or `bytes` is not recorded, so the file cannot be verified.
    MissingChecksum = "missing-checksum", Warning;
    /// `next_review_due` is in the past.
    ReviewOverdue = "review-overdue", Warning;
    /// `next_review_due` is within the next 30 days.
    ReviewDueSoon = "review-due-soon", Warning;
    /// `next_review_due` comes before `last_reviewed`.
    ReviewDatesOrder = "review-dates-order", Warning;
    /// An image or video has no `alt` text.
    MissingAlt = "missing-alt", Warning;
    /// A video has no transcript.
    MissingTranscript = "missing-transcript", Warning;
    /// A video has no captions.
    MissingCaptions = "missing-captions", Warning;
    /// A `url` uses plain http.
    InsecureUrl = "insecure-url", Warning;
    /// A message names a channel with no known length limit.
    UnknownChannel = "unknown-channel", Warning;
    /// Assets offer printed copies but the provider has no `[provider.print]` contact.
    NoPrintContact = "no-print-contact", Warning;
    /// Preflight: a print PDF's page has other proportions than a declared print size.
    PrintSizeMismatch = "print-size-mismatch", Error;
    /// Preflight: a declared print size is neither a known name (`A3`, `DL`, `bookmark`) nor
    /// `<width>x<height>mm`.
    PrintSizeUnknown = "print-size-unknown", Error;
    /// Preflight: a print asset declares no size; its measured size and the nearest named one.
    PrintSizeMeasured = "print-size-measured", Info;
    /// Preflight: an image prints at under 300 pixels per inch at its largest declared size.
    LowResolution = "low-resolution", Warning;
    /// Preflight: an image prints at under 150 pixels per inch at its largest declared size.
    UnprintableResolution = "unprintable-resolution", Error;
    /// Preflight: a print PDF uses a font it does not embed.
    FontNotEmbedded = "font-not-embedded", Error;
    /// Preflight: a print PDF's images are all RGB (printers convert them to CMYK).
    RgbOnly = "rgb-only", Info;
    /// Preflight: a PDF is encrypted, or cannot be parsed.
    PdfUnreadable = "pdf-unreadable", Error;
    /// Preflight: more (or fewer) pages than the asset's kind suggests.
    PageCount = "page-count", Warning;
    /// Preflight: a social card's shape or size fits no channel, or its file is over a
    /// channel's limit.
    SocialCardShape = "social-card-shape", Warning;
    /// Preflight: an HTML email signature that mail programs mangle or block: too large, an
    /// image without `alt`, `width` or `height`, an image not at an https address or embedded,
    /// or wider than 600 px.
    SignatureHtml = "signature-html", Warning;
    /// Preflight: an HTML email signature with a script.
    SignatureScript = "signature-script", Error;
    /// Preflight: a video whose container or codecs common players may not play, or whose
    /// boxes cannot be read.
    VideoFormat = "video-format", Warning;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl schemars::JsonSchema for Code {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Code".into()
    }

    /// One of the problem codes the README lists (a newer assetpack may add codes).
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        schemars::json_schema!({ "type": "string", "enum": names })
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<str>::deserialize(d)?;
        Code::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "unknown problem code `{name}` (a newer assetpack wrote it)"
            ))
        })
    }
}

/// One finding, with everything needed to locate and fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Problem {
    /// What kind of problem this is.
    pub code: Code,
    /// Error or warning (after `strict` is applied).
    pub severity: Severity,
    /// The manifest the problem comes from, when there is one: shared by all the problems
    /// found in it (tens of thousands, on a large manifest).
    #[serde(serialize_with = "lossy_path")]
    pub manifest: Option<Arc<Path>>,
    /// 1-based line in the manifest, when the problem points at TOML.
    pub line: Option<usize>,
    /// 1-based column (in characters) in the manifest.
    pub column: Option<usize>,
    /// The provider id, when known.
    pub provider: Option<String>,
    /// The asset id, when the problem belongs to one asset.
    pub asset: Option<String>,
    /// The file concerned, as written in the manifest (relative to `base`).
    pub file: Option<String>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// What to do about it, in one sentence (most are the program's own words, not copied).
    pub fix: Cow<'static, str>,
    /// The manifest line the problem points at, for display.
    #[serde(skip)]
    pub source_line: Option<String>,
}

fn lossy_path<S: serde::Serializer>(p: &Option<Arc<Path>>, s: S) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => s.serialize_some(&p.to_string_lossy()),
        None => s.serialize_none(),
    }
}

impl Problem {
    /// A problem with `code`'s default severity and no location yet.
    pub fn new(code: Code, message: impl Into<String>, fix: impl Into<Cow<'static, str>>) -> Self {
        Problem {
            code,
            severity: code.default_severity(),
            manifest: None,
            line: None,
            column: None,
            provider: None,
            asset: None,
            file: None,
            message: message.into(),
            fix: fix.into(),
            source_line: None,
        }
    }

    /// Sets the file the problem concerns.
    pub fn with_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// True when the problem is an input/output failure rather than a fault in the data
    /// (the CLI exits 2 for these).
    pub fn is_io(&self) -> bool {
        self.code == Code::Unreadable
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: {}", self.severity, self.code, self.message)?;
        if let Some(m) = &self.manifest {
            write!(f, " ({}", m.display())?;
            if let (Some(l), Some(c)) = (self.line, self.column) {
                write!(f, ":{l}:{c}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// Counts of problems by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings (information is not counted).
    pub warnings: usize,
}

impl Tally {
    /// Counts the problems in `problems`.
    pub fn of(problems: &[Problem]) -> Self {
        let count = |s: Severity| problems.iter().filter(|p| p.severity == s).count();
        Tally {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
        }
    }
}
