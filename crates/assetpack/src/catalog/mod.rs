//! The inputs of a check, a build or an index, and what follows from them alone.
//!
//! This module of the model owns "what are the inputs": finding provider manifests in folders
//! ([`find_manifests`]), telling bundle specs from provider manifests ([`is_bundle_spec`]),
//! loading manifests ([`load_manifests`]) and refusing two of one provider
//! ([`duplicate_providers`]), the walk of a provider's folder that `check` and `scan` share
//! ([`walk`](fn@walk)), resolving a bundle spec into the chosen assets
//! ([`select`](fn@select)), and, for each chosen file, its path in the pack ([`pack_path`])
//! and the pack's edition ([`Edition`]).
//!
//! `check`, `plan`, the PDF index and the command-line tool ask it; none works these out again,
//! so the printed cover, `manifest.toml` and the entries' timestamps cannot disagree.
//!
//! ```no_run
//! use assetpack::catalog::Inputs;
//!
//! let (inputs, problems) = Inputs::read(&["packs/bundles/north-west-spring-2027.toml".into()], None).unwrap();
//! println!("{} assets, edition {}", inputs.selected.len(), inputs.edition().date);
//! ```

mod find;
mod list;
mod select;
mod walk;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

pub(crate) use find::io_problem;
pub use find::{duplicate_providers, find_manifests, is_bundle_spec, load_manifests, load_one};
pub use list::{csv_field, list, Listed};
pub use select::{select, select_all, Selected};
pub use walk::{relative_name, walk, Tree, Walked};

use crate::bundle::{self, Bundle, Header};
use crate::manifest::{Date, LoadError, Manifest};
use crate::problem::Problem;

/// How a pack is laid out.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Layout {
    /// Files under `<name>/`, with `SHA256SUMS`.
    #[default]
    Plain,
    /// A BagIt bag (RFC 8493): payload under `<name>/data/`, manifests and tag files beside it.
    Bagit,
}

impl Layout {
    /// The folder the payload sits in, inside `<name>/`: empty, or `data/` for a bag.
    pub fn payload_root(self) -> &'static str {
        match self {
            Layout::Plain => "",
            Layout::Bagit => "data/",
        }
    }
}

/// Path of a provider's file in the payload: `<provider>/<file>`.
pub fn payload_path(manifest: &Manifest, file: &str) -> String {
    format!("{}/{file}", manifest.provider.id)
}

/// Path of a message asset's text file in the payload: `<provider>/messages/<asset>.txt`.
pub fn message_path(manifest: &Manifest, asset_id: &str) -> String {
    format!("{}/messages/{asset_id}.txt", manifest.provider.id)
}

/// Path of an asset's thumbnail in the payload (the HTML catalogue's, made at build time):
/// `thumbs/<provider>/<asset>.<ext>`, `ext` being `png` or `jpg`.
pub fn thumb_path(manifest: &Manifest, asset_id: &str, ext: &str) -> String {
    format!("thumbs/{}/{asset_id}.{ext}", manifest.provider.id)
}

/// Path inside the pack's folder of a payload path: as it is, or under `data/` in a bag.
pub fn pack_path(layout: Layout, payload_path: &str) -> String {
    format!("{}{payload_path}", layout.payload_root())
}

/// A moment of the edition, to the second, UTC: the time every entry of the pack carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Year, 1980 to 2107 (what a ZIP timestamp can hold).
    pub year: u16,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of the month.
    pub day: u8,
    /// Hour.
    pub hour: u8,
    /// Minute.
    pub minute: u8,
    /// Second.
    pub second: u8,
}

impl Timestamp {
    /// Midnight of `date`, clamped to the years a ZIP timestamp holds.
    pub fn midnight(date: Date) -> Timestamp {
        let d = date.0;
        if d.year() < 1980 {
            return Timestamp::EPOCH;
        }
        if d.year() > 2107 {
            return Timestamp::LAST;
        }
        Timestamp {
            year: d.year() as u16,
            month: u8::from(d.month()),
            day: d.day(),
            hour: 0,
            minute: 0,
            second: 0,
        }
    }

    /// The first moment a ZIP timestamp can hold: 1980-01-01 00:00:00.
    pub const EPOCH: Timestamp = Timestamp {
        year: 1980,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
    };

    /// The last moment a ZIP timestamp can hold (two-second steps): 2107-12-31 23:59:58.
    pub const LAST: Timestamp = Timestamp {
        year: 2107,
        month: 12,
        day: 31,
        hour: 23,
        minute: 59,
        second: 58,
    };

    fn from_unix(seconds: i64) -> Option<Timestamp> {
        let t = time::OffsetDateTime::from_unix_timestamp(seconds).ok()?;
        Some(if t.year() < 1980 {
            Timestamp::EPOCH
        } else if t.year() > 2107 {
            Timestamp::LAST
        } else {
            Timestamp {
                year: t.year() as u16,
                month: u8::from(t.month()),
                day: t.day(),
                hour: t.hour(),
                minute: t.minute(),
                second: t.second(),
            }
        })
    }

    /// The day of this moment.
    pub fn date(self) -> Date {
        let month = time::Month::try_from(self.month).unwrap_or(time::Month::January);
        Date(
            time::Date::from_calendar_date(i32::from(self.year), month, self.day)
                .unwrap_or(time::Date::MIN),
        )
    }
}

/// When a pack's edition is: printed on the index's cover and in `manifest.toml`, the
/// `Bagging-Date` of a bag, and the time of every entry.
///
/// It is the bundle's `date` (at midnight), else `SOURCE_DATE_EPOCH`, else the newest
/// `last_reviewed` among the chosen assets and their providers (at midnight), else
/// 1980-01-01 — never the wall clock, so the same inputs give the same pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edition {
    /// The edition's day.
    pub date: Date,
    /// The moment every entry carries.
    pub time: Timestamp,
}

impl Edition {
    /// The edition of a pack of `selected` assets of `manifests` under `header`.
    pub fn of(header: &Header, manifests: &[Manifest], selected: &[Selected]) -> Edition {
        let time = header
            .date
            .map(Timestamp::midnight)
            .or_else(source_date_epoch)
            .or_else(|| newest_review(manifests, selected).map(Timestamp::midnight))
            .unwrap_or(Timestamp::EPOCH);
        Edition {
            date: time.date(),
            time,
        }
    }
}

fn source_date_epoch() -> Option<Timestamp> {
    let seconds = std::env::var("SOURCE_DATE_EPOCH").ok()?;
    Timestamp::from_unix(seconds.trim().parse().ok()?)
}

fn newest_review(manifests: &[Manifest], selected: &[Selected]) -> Option<Date> {
    selected
        .iter()
        .flat_map(|s| {
            let m = &manifests[s.manifest];
            [m.assets[s.asset].last_reviewed, m.provider.last_reviewed]
        })
        .flatten()
        .max()
}

/// What a pack is made of: its header, the manifests read and the assets chosen.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// The pack's header (from `[bundle]`, or made from the output's name).
    pub header: Header,
    /// The manifests read.
    pub manifests: Vec<Manifest>,
    /// The chosen assets.
    pub selected: Vec<Selected>,
    /// The bundle spec, when one was given.
    pub bundle: Option<PathBuf>,
    /// The bundle spec asks for preflight (`[check] preflight = true`).
    pub preflight: bool,
}

/// Why the inputs could not be read at all. Problems in their content are not errors: they
/// come back beside the inputs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputsError {
    /// No spec was named.
    #[error("name a bundle spec or provider manifests")]
    NoSpecs,
    /// Several bundle specs, or a bundle spec and manifests.
    #[error("give one bundle spec, or provider manifests, not both or several bundle specs")]
    MixedSpecs,
    /// Provider manifests alone, and no output name to name the pack's folder after.
    #[error("a pack built from provider manifests is named after its output file: give the output file's name")]
    NoName,
    /// The output's name cannot name the pack's folder.
    #[error("`{0}` cannot name the pack's folder: choose an output file name like north-west.zip")]
    BadName(String),
    /// A spec could not be read.
    #[error(transparent)]
    Load(#[from] LoadError),
}

impl Inputs {
    /// Reads `specs`: one bundle spec, or one or more provider manifests (then every asset is
    /// chosen and the pack is named after `output`'s file stem). Problems in the specs come
    /// back beside the inputs; an unusable combination of specs is an error.
    pub fn read(
        specs: &[PathBuf],
        output: Option<&Path>,
    ) -> Result<(Inputs, Vec<Problem>), InputsError> {
        if specs.is_empty() {
            return Err(InputsError::NoSpecs);
        }
        // Each spec is read once, as a manifest, which says when it is a bundle spec instead.
        let loaded = specs
            .par_iter()
            .map(|spec| Manifest::load(spec).map(|l| (spec, l)))
            .collect::<Result<Vec<_>, LoadError>>()?;
        let (bundles, manifests): (Vec<_>, Vec<_>) =
            loaded.into_iter().partition(|(_, l)| l.bundle_spec);
        match (bundles.len(), manifests.len()) {
            (1, 0) => Inputs::from_bundle(bundles[0].0),
            (0, _) => {
                let mut problems = Vec::new();
                let manifests = manifests
                    .into_iter()
                    .filter_map(|(_, l)| {
                        problems.extend(l.problems);
                        l.manifest
                    })
                    .collect();
                Inputs::from_manifests(manifests, problems, output)
            }
            _ => Err(InputsError::MixedSpecs),
        }
    }

    fn from_bundle(path: &Path) -> Result<(Inputs, Vec<Problem>), InputsError> {
        let loaded = Bundle::load(path)?;
        let mut problems = loaded.problems;
        let mut inputs = Inputs {
            header: Header::default(),
            manifests: Vec::new(),
            selected: Vec::new(),
            bundle: Some(path.to_owned()),
            preflight: false,
        };
        let Some(bundle) = loaded.bundle else {
            return Ok((inputs, problems));
        };
        let (paths, p) = bundle.manifest_paths();
        problems.extend(p);
        let (manifests, p) = load_manifests(&paths);
        problems.extend(p);
        let (selected, p) = select(&bundle, &manifests);
        problems.extend(p);
        inputs.preflight = bundle.preflight;
        inputs.header = bundle.header;
        inputs.manifests = manifests;
        inputs.selected = selected;
        Ok((inputs, problems))
    }

    fn from_manifests(
        manifests: Vec<Manifest>,
        mut problems: Vec<Problem>,
        output: Option<&Path>,
    ) -> Result<(Inputs, Vec<Problem>), InputsError> {
        let output = output.ok_or(InputsError::NoName)?;
        let name = output
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !bundle::valid_name(&name) {
            return Err(InputsError::BadName(name));
        }
        problems.extend(duplicate_providers(&manifests));
        let selected = select_all(&manifests);
        let header = Header {
            name,
            ..Header::default()
        };
        Ok((
            Inputs {
                header,
                manifests,
                selected,
                bundle: None,
                preflight: false,
            },
            problems,
        ))
    }

    /// The pack's edition (see [`Edition`]).
    pub fn edition(&self) -> Edition {
        Edition::of(&self.header, &self.manifests, &self.selected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> Manifest {
        Manifest::parse("m.toml", text.to_owned())
            .manifest
            .expect("a manifest")
    }

    #[test]
    fn paths_in_the_pack_follow_the_layout() {
        let m = manifest("[provider]\nid = \"oup\"\nname = \"OUP\"\n");
        let p = payload_path(&m, "posters/a.pdf");
        assert_eq!(pack_path(Layout::Plain, &p), "oup/posters/a.pdf");
        assert_eq!(pack_path(Layout::Bagit, &p), "data/oup/posters/a.pdf");
        assert_eq!(message_path(&m, "x"), "oup/messages/x.txt");
    }

    #[test]
    fn the_edition_is_the_bundle_date_else_the_newest_review() {
        let m = manifest(
            "[provider]\nid = \"oup\"\nname = \"OUP\"\nlast_reviewed = 2026-01-05\n\
             [[asset]]\nid = \"a\"\ntitle = \"A\"\nkind = \"link\"\nurl = \"https://x.org\"\nlast_reviewed = 2026-06-30\n",
        );
        let manifests = vec![m];
        let selected = select_all(&manifests);
        let dated = Header {
            date: Date::parse("2027-03-01"),
            ..Header::default()
        };
        let e = Edition::of(&dated, &manifests, &selected);
        assert_eq!(e.date.to_string(), "2027-03-01");
        assert_eq!((e.time.hour, e.time.minute), (0, 0));
        // Without a date (and unless SOURCE_DATE_EPOCH is set for the whole test run).
        if std::env::var_os("SOURCE_DATE_EPOCH").is_none() {
            let e = Edition::of(&Header::default(), &manifests, &selected);
            assert_eq!(e.date.to_string(), "2026-06-30");
            let e = Edition::of(&Header::default(), &manifests, &[]);
            assert_eq!(e.time, Timestamp::EPOCH);
        }
    }

    #[test]
    fn timestamps_stay_within_what_a_zip_holds() {
        assert_eq!(Timestamp::from_unix(0), Some(Timestamp::EPOCH));
        assert_eq!(
            Timestamp::from_unix(i64::from(i32::MAX) * 3),
            Some(Timestamp::LAST)
        );
        let t = Timestamp::from_unix(1_767_225_600).unwrap();
        assert_eq!(t.date().to_string(), "2026-01-01");
    }
}
