//! What the pack says its files are: `SHA256SUMS`, or a bag's payload and tag manifests (read
//! with the one definition of their formats in [`crate::sums`]).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use zip::ZipArchive;

use super::{entry_problem, SharedFile};
use crate::problem::{Code, Problem};
use crate::sums::{self, Format, Malformed};

/// The checksums of a pack whose top folder is `name`.
pub(super) struct Expected {
    /// `plain` or `bagit`; `None` when the archive has neither checksum file.
    pub layout: Option<&'static str>,
    /// SHA-256 by full entry name.
    pub want: BTreeMap<String, String>,
    /// Checksum files no checksum covers (the tag manifest, `SHA256SUMS`), by full name.
    pub unchecked: Vec<String>,
    /// True when the checksum file itself is damaged: then every file would look extra, so
    /// that is said once instead.
    pub damaged: bool,
    /// Problems met reading them.
    pub problems: Vec<Problem>,
    /// The checksum file a signature would sign (`SHA256SUMS`, a bag's tag manifest): its
    /// full name and text, when it could be read.
    pub signed: Option<(String, String)>,
}

/// A small entry's text; `None` when there is no such entry.
fn read_small(archive: &ZipArchive<SharedFile>, entry: &str) -> Option<Result<String, String>> {
    let mut ar = archive.clone();
    let mut f = ar.by_name(entry).ok()?;
    let mut s = String::new();
    Some(
        f.by_ref()
            .take(64 << 20)
            .read_to_string(&mut s)
            .map(|_| s)
            .map_err(|e| e.to_string()),
    )
}

impl Expected {
    /// Reads the checksums of the pack `name/` in `archive` (the file `pack`).
    pub(super) fn read(archive: &ZipArchive<SharedFile>, name: &str, pack: &Path) -> Expected {
        let mut e = Expected {
            layout: None,
            want: BTreeMap::new(),
            unchecked: Vec::new(),
            damaged: false,
            problems: Vec::new(),
            signed: None,
        };
        let list = if let Some(text) = read_small(archive, &format!("{name}/{}", sums::SHA256SUMS))
        {
            e.layout = Some("plain");
            e.unchecked.push(format!("{name}/{}", sums::SHA256SUMS));
            if let Ok(text) = &text {
                e.signed = Some((format!("{name}/{}", sums::SHA256SUMS), text.clone()));
            }
            e.parse(pack, name, sums::SHA256SUMS, Format::Sha256sum, text)
        } else if let Some(text) = read_small(archive, &format!("{name}/{}", sums::BAG_MANIFEST)) {
            e.layout = Some("bagit");
            e.unchecked
                .push(format!("{name}/{}", sums::BAG_TAG_MANIFEST));
            let mut list = e.parse(pack, name, sums::BAG_MANIFEST, Format::Bagit, text);
            list.extend(e.bag_tags(archive, name, pack));
            list
        } else {
            let folder = if name.is_empty() {
                String::new()
            } else {
                format!("{name}/")
            };
            e.problems.push(entry_problem(
                pack,
                Code::NotAPack,
                "",
                format!("the archive has no `{folder}SHA256SUMS` or bag manifest: it is not an assetpack pack, so nothing can be verified"),
                "ask the sender for the pack as assetpack built it",
            ));
            Vec::new()
        };
        e.collect(pack, name, list);
        e
    }

    /// The lines of checksum file `file`; a damaged one is said once.
    fn parse(
        &mut self,
        pack: &Path,
        name: &str,
        file: &str,
        format: Format,
        text: Result<String, String>,
    ) -> Vec<(String, String)> {
        // An unreadable checksum file is reported with the other entries that cannot be read.
        let Ok(text) = text else {
            self.damaged = true;
            return Vec::new();
        };
        match sums::parse(format, &text) {
            Ok(list) => list,
            Err(Malformed { line, text }) => {
                self.damaged = true;
                self.problems.push(entry_problem(
                    pack,
                    Code::NotAPack,
                    &format!("{name}/{file}"),
                    format!("{file} line {line} is not `HASH  path`: {text:?}"),
                    "the checksums are damaged; ask the sender for a new pack",
                ));
                Vec::new()
            }
        }
    }

    /// A bag's tag manifest's lines; a missing tag manifest or `bagit.txt` is a problem.
    fn bag_tags(
        &mut self,
        archive: &ZipArchive<SharedFile>,
        name: &str,
        pack: &Path,
    ) -> Vec<(String, String)> {
        let tag_name = format!("{name}/{}", sums::BAG_TAG_MANIFEST);
        let tags = match read_small(archive, &tag_name) {
            Some(Ok(text)) => match sums::parse(Format::Bagit, &text).inspect(|_| {
                self.signed = Some((tag_name.clone(), text.clone()));
            }) {
                Ok(tags) => tags,
                Err(Malformed { line, text }) => {
                    self.problems.push(entry_problem(
                        pack,
                        Code::NotAPack,
                        &tag_name,
                        format!(
                            "{} line {line} is malformed: {text:?}",
                            sums::BAG_TAG_MANIFEST
                        ),
                        "the bag's tag manifest is damaged",
                    ));
                    Vec::new()
                }
            },
            _ => {
                self.missing(pack, &tag_name, "the bag has no tagmanifest-sha256.txt");
                Vec::new()
            }
        };
        if read_small(archive, &format!("{name}/bagit.txt")).is_none() {
            self.missing(
                pack,
                &format!("{name}/bagit.txt"),
                "the bag has no bagit.txt",
            );
        }
        tags
    }

    fn missing(&mut self, pack: &Path, entry: &str, message: &str) {
        self.problems.push(entry_problem(
            pack,
            Code::MissingEntry,
            entry,
            message.into(),
            "ask the sender for a complete pack",
        ));
    }

    /// Full names and hashes; a path listed twice with different hashes is a problem.
    fn collect(&mut self, pack: &Path, name: &str, mut list: Vec<(String, String)>) {
        list.sort();
        for (p, h) in list {
            let full = format!("{name}/{p}");
            if let Some(old) = self.want.insert(full.clone(), h.clone()) {
                if old != h {
                    self.problems.push(entry_problem(
                        pack,
                        Code::NotAPack,
                        &full,
                        format!("`{p}` is listed twice with different checksums"),
                        "the checksums are damaged; ask the sender for a new pack",
                    ));
                }
            }
        }
    }
}
