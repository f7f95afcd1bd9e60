//! The resolved manifest every pack carries (`<name>/manifest.json`, and `manifest.toml`):
//! the bundle's header, its edition, and every chosen asset of every provider with each file's
//! path in the pack, SHA-256 and size. The plan writes it (borrowing from the manifests);
//! a program reads a pack's back into the same types, owned:
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! # let out = dir.path().join("oup.zip");
//! # let made = assetpack::build::build(&["../../packs/providers/oup.toml".into()], &assetpack::build::BuildOptions { output: Some(out.clone()), ..Default::default() }, None, &assetpack::NoProgress).unwrap();
//! # let entry = made.plan.entries.iter().find(|e| e.path == "manifest.json").unwrap();
//! # let text = String::from_utf8(entry.data.made().unwrap().unwrap().into_owned()).unwrap();
//! use assetpack::resolved::PackManifest;
//!
//! let m: PackManifest<'static> = serde_json::from_str(&text).unwrap();
//! assert_eq!(m.format, 1);
//! assert_eq!(m.provider[0].provider.id, "oup");
//! ```

use std::borrow::Cow;
use std::io::Write;

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

/// `manifest.toml` and `manifest.json` written provider by provider, in order, behind their
/// header, into two writers (a [`crate::deflated::DocumentWriter`] each in a build, which
/// hashes and deflates as it goes): a bundle of 20,000 assets never holds every
/// [`ProviderOut`], nor the text of every provider, at once. The header's counts must
/// therefore be known before the first provider is written. The result is byte for byte what
/// serialising the whole [`PackManifest`] gives (tested below and on every build's round trip).
pub(crate) struct Documents<T, J> {
    toml: T,
    json: J,
    /// Providers written so far.
    written: usize,
    /// Providers the header counts.
    providers: usize,
}

/// The header of the resolved manifest: [`PackManifest`] less its providers (the field names
/// must stay those of [`PackManifest`]; the test below compares the two).
#[derive(Serialize)]
struct Head<'p, 'a> {
    format: u64,
    pack: &'p PackInfo<'a>,
}

/// One provider as TOML's `[[provider]]` array of tables.
#[derive(Serialize)]
struct OneProvider<'p, 'a> {
    provider: [&'p ProviderOut<'a>; 1],
}

/// Writes JSON nested `by` spaces deeper: a newline in pretty JSON text is always structural
/// (a string's own newlines are escaped), so each is followed by the extra indent.
struct Indented<'w> {
    out: &'w mut Vec<u8>,
    by: &'static [u8],
}

impl std::io::Write for Indented<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The serialiser writes a token at a time: most hold no newline.
        if !buf.contains(&b'\n') {
            self.out.extend_from_slice(buf);
            return Ok(buf.len());
        }
        for line in buf.split_inclusive(|&b| b == b'\n') {
            self.out.extend_from_slice(line);
            if line.ends_with(b"\n") {
                self.out.extend_from_slice(self.by);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The error of the serialiser named first.
pub(crate) type TextError = (&'static str, Box<dyn std::error::Error + Send + Sync>);

impl<T: Write + Send, J: Write + Send> Documents<T, J> {
    /// Writes the header, `pack`, into `toml` and `json`. With no providers (`pack` counts
    /// them) the documents are whole at once: TOML then writes `provider = []` among the
    /// header's keys.
    pub(crate) fn start(pack: &PackInfo, mut toml: T, mut json: J) -> Result<Self, TextError> {
        if pack.providers == 0 {
            let empty = PackManifest {
                format: crate::manifest::FORMAT,
                pack: pack.clone(),
                provider: Vec::new(),
            };
            let t = toml::to_string(&empty).map_err(|e| ("TOML", e.into()))?;
            let j = serde_json::to_string_pretty(&empty).map_err(|e| ("JSON", e.into()))?;
            toml.write_all(t.as_bytes()).map_err(toml_failed)?;
            json.write_all(format!("{j}\n").as_bytes())
                .map_err(json_failed)?;
        } else {
            let head = Head {
                format: crate::manifest::FORMAT,
                pack,
            };
            let t = toml::to_string(&head).map_err(|e| ("TOML", e.into()))?;
            toml.write_all(t.as_bytes()).map_err(toml_failed)?;
            let j = serde_json::to_string_pretty(&head).map_err(|e| ("JSON", e.into()))?;
            // The head ends in "\n}": the providers go in before it, separated by commas.
            let open = j.strip_suffix("\n}").unwrap_or(&j);
            json.write_all(open.as_bytes()).map_err(json_failed)?;
            json.write_all(b",\n  \"provider\": [")
                .map_err(json_failed)?;
        }
        Ok(Documents {
            toml,
            json,
            written: 0,
            providers: pack.providers,
        })
    }

    /// Writes the next provider with its assets into both documents (the two at once).
    pub(crate) fn provider(&mut self, provider: &ProviderOut) -> Result<(), TextError> {
        if self.written == self.providers {
            return Err(("TOML", "more providers than the header counts".into()));
        }
        let first = self.written == 0;
        let (toml, json) = (&mut self.toml, &mut self.json);
        let (t, j) = rayon::join(
            || write_toml(provider, toml),
            || write_json(provider, first, json),
        );
        t.and(j)?;
        self.written += 1;
        Ok(())
    }

    /// Ends the documents (each with a final newline) and gives back their writers.
    pub(crate) fn finish(mut self) -> Result<(T, J), TextError> {
        if self.written != self.providers {
            return Err(("TOML", "fewer providers than the header counts".into()));
        }
        if self.providers > 0 {
            self.json.write_all(b"\n  ]\n}\n").map_err(json_failed)?;
        }
        Ok((self.toml, self.json))
    }
}

fn toml_failed(e: std::io::Error) -> TextError {
    ("TOML", e.into())
}

fn json_failed(e: std::io::Error) -> TextError {
    ("JSON", e.into())
}

/// A provider's `[[provider]]` table, after a blank line.
fn write_toml(provider: &ProviderOut, out: &mut impl Write) -> Result<(), TextError> {
    let table = toml::to_string(&OneProvider {
        provider: [provider],
    })
    .map_err(|e| ("TOML", e.into()))?;
    out.write_all(b"\n").map_err(toml_failed)?;
    out.write_all(table.as_bytes()).map_err(toml_failed)
}

/// A provider's object in the `provider` array, after a comma unless it is the `first`;
/// serialised whole first (the serialiser writes a token at a time).
fn write_json(provider: &ProviderOut, first: bool, out: &mut impl Write) -> Result<(), TextError> {
    let mut object = match first {
        true => b"\n    ".to_vec(),
        false => b",\n    ".to_vec(),
    };
    let indented = Indented {
        out: &mut object,
        by: b"    ",
    };
    serde_json::to_writer_pretty(indented, provider).map_err(|e| ("JSON", e.into()))?;
    out.write_all(&object).map_err(json_failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;

    fn whole(m: &PackManifest) -> (String, String) {
        (
            toml::to_string(m).expect("toml"),
            serde_json::to_string_pretty(m).expect("json") + "\n",
        )
    }

    fn pack_manifest(providers: Vec<ProviderOut<'_>>) -> PackManifest<'_> {
        let header: Header =
            toml::from_str("name = \"north\"\ntitle = \"North \\\"West\\\"\\nspring\"")
                .expect("header");
        PackManifest {
            format: crate::manifest::FORMAT,
            pack: PackInfo {
                header: Cow::Owned(header),
                edition: "2027-03-01".into(),
                layout: Layout::Plain,
                software: "assetpack 0.1.0".into(),
                providers: providers.len(),
                assets: 3,
                files: 7,
                bytes: 1234,
            },
            provider: providers,
        }
    }

    fn texts_of(m: &PackManifest) -> (String, String) {
        let mut documents = Documents::start(&m.pack, Vec::new(), Vec::new()).expect("start");
        for p in &m.provider {
            documents.provider(p).expect("provider");
        }
        let (toml, json) = documents.finish().expect("finish");
        let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8");
        (text(toml), text(json))
    }

    #[test]
    fn written_provider_by_provider_is_the_whole_document() {
        let manifests: Vec<Manifest> = ["oup", "bmj-best-practice", "amilliondecisions"]
            .iter()
            .map(|id| {
                let path = format!(
                    "{}/../../packs/providers/{id}.toml",
                    env!("CARGO_MANIFEST_DIR")
                );
                Manifest::load(path)
                    .expect("read")
                    .manifest
                    .expect("shipped manifest")
            })
            .collect();
        let providers: Vec<ProviderOut> = manifests
            .iter()
            .map(|m| ProviderOut {
                provider: m.provider.clone(),
                asset: m.assets.iter().map(AssetOut::of).collect(),
            })
            .collect();
        for n in 0..=providers.len() {
            let m = pack_manifest(providers[..n].to_vec());
            assert_eq!(texts_of(&m), whole(&m), "{n} providers");
        }
    }
}
