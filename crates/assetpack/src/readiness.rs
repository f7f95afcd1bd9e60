//! The accessibility and readiness report (`assetpack report`): across every provider a check
//! reads (or the assets one bundle spec chooses), per provider and in total, how many images have alt text, videos captions and
//! transcripts, PDFs a structure tree (tagged), a title and a language; how many review dates
//! are overdue or due soon; and every preflight finding. It runs [`crate::check()`] with
//! preflight on, then reads each PDF asset's catalog for what makes it accessible.
//!
//! ```no_run
//! use assetpack::check::CheckOptions;
//! use assetpack::readiness::readiness;
//!
//! let r = readiness(&["packs/providers".into()], &CheckOptions::default(), &assetpack::NoProgress);
//! let t = &r.total;
//! println!("{} of {} images have alt text", t.images_with_alt, t.images);
//! ```

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use crate::check::{self, CheckOptions};
use crate::content;
use crate::manifest::{Asset, Content, Kind, Manifest, Place};
use crate::preflight::pdf;
use crate::problem::{Code, Problem, Severity};
use crate::progress::Progress;

/// Counts for one provider or for all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Counts {
    /// Assets.
    pub assets: usize,
    /// Assets whose file is an image.
    pub images: usize,
    /// Of them, with `alt` text.
    pub images_with_alt: usize,
    /// Videos.
    pub videos: usize,
    /// Of them, with captions.
    pub videos_with_captions: usize,
    /// Of them, with a transcript.
    pub videos_with_transcript: usize,
    /// Assets whose file is a PDF (that could be read).
    pub pdfs: usize,
    /// Of them, tagged (a structure tree).
    pub pdfs_tagged: usize,
    /// Of them, with a title.
    pub pdfs_with_title: usize,
    /// Of them, with a language.
    pub pdfs_with_language: usize,
    /// Review dates passed (the provider's own and its assets').
    pub reviews_overdue: usize,
    /// Review dates within the next 30 days.
    pub reviews_due_soon: usize,
    /// Problems by severity.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Information.
    pub info: usize,
    /// Problems by code.
    pub findings: BTreeMap<String, usize>,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        let Counts {
            assets,
            images,
            images_with_alt,
            videos,
            videos_with_captions,
            videos_with_transcript,
            pdfs,
            pdfs_tagged,
            pdfs_with_title,
            pdfs_with_language,
            reviews_overdue,
            reviews_due_soon,
            errors,
            warnings,
            info,
            findings,
        } = other;
        self.assets += assets;
        self.images += images;
        self.images_with_alt += images_with_alt;
        self.videos += videos;
        self.videos_with_captions += videos_with_captions;
        self.videos_with_transcript += videos_with_transcript;
        self.pdfs += pdfs;
        self.pdfs_tagged += pdfs_tagged;
        self.pdfs_with_title += pdfs_with_title;
        self.pdfs_with_language += pdfs_with_language;
        self.reviews_overdue += reviews_overdue;
        self.reviews_due_soon += reviews_due_soon;
        self.errors += errors;
        self.warnings += warnings;
        self.info += info;
        for (code, n) in findings {
            *self.findings.entry(code.clone()).or_default() += n;
        }
    }

    fn count(&mut self, problem: &Problem) {
        match problem.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
            _ => self.info += 1,
        }
        match problem.code {
            Code::ReviewOverdue => self.reviews_overdue += 1,
            Code::ReviewDueSoon => self.reviews_due_soon += 1,
            _ => {}
        }
        *self
            .findings
            .entry(problem.code.as_str().to_owned())
            .or_default() += 1;
    }
}

/// One provider's part of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ProviderReadiness {
    /// The provider's name.
    pub name: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
    /// Every problem found in its manifest and files, preflight included.
    pub problems: Vec<Problem>,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Readiness {
    /// The day review dates were judged against.
    pub today: String,
    /// Each provider, by id.
    pub providers: BTreeMap<String, ProviderReadiness>,
    /// All providers together.
    pub total: Counts,
    /// Problems outside any provider (a spec that does not parse, a folder that is missing).
    pub other_problems: Vec<Problem>,
}

/// The assets a report covers: every asset, or a bundle spec's choice as (provider id, asset id).
type Chosen = Option<HashSet<(String, String)>>;

/// The report on what `inputs` (manifests, folders of them, or one bundle spec: then only the
/// assets it chooses) name, checked with `options` and preflight.
pub fn readiness(inputs: &[PathBuf], options: &CheckOptions, progress: &dyn Progress) -> Readiness {
    let options = CheckOptions {
        preflight: true,
        ..options.clone()
    };
    let chosen = bundle_choice(inputs);
    let covered = |provider: &str, asset: &str| {
        chosen
            .as_ref()
            .is_none_or(|c| c.contains(&(provider.to_owned(), asset.to_owned())))
    };
    let report = check::check(inputs, &options, progress);
    let mut providers: BTreeMap<String, ProviderReadiness> = report
        .manifests
        .par_iter()
        .filter(|m| chosen.is_none() || m.assets.iter().any(|a| covered(&m.provider.id, &a.id)))
        .map(|m| {
            let counts = asset_counts(m, &|a: &Asset| covered(&m.provider.id, &a.id));
            let entry = ProviderReadiness {
                name: m.provider.name.clone(),
                counts,
                problems: Vec::new(),
            };
            (m.provider.id.clone(), entry)
        })
        .collect();
    let mut other_problems = Vec::new();
    for p in report.problems {
        let outside = match (&p.provider, &p.asset) {
            (Some(provider), Some(asset)) => !covered(provider, asset),
            _ => false,
        };
        if outside {
            continue;
        }
        match p.provider.as_ref().and_then(|id| providers.get_mut(id)) {
            Some(entry) => {
                entry.counts.count(&p);
                entry.problems.push(p);
            }
            None => other_problems.push(p),
        }
    }
    let mut total = Counts::default();
    for entry in providers.values() {
        total.add(&entry.counts);
    }
    Readiness {
        today: options.today.to_string(),
        providers,
        total,
        other_problems,
    }
}

/// The assets one bundle spec chooses, when `inputs` is one.
fn bundle_choice(inputs: &[PathBuf]) -> Chosen {
    let [spec] = inputs else { return None };
    if !spec.is_file() || !crate::catalog::is_bundle_spec(spec) {
        return None;
    }
    let (read, _) = crate::catalog::Inputs::read(std::slice::from_ref(spec), None).ok()?;
    let chosen = read
        .selected
        .iter()
        .filter_map(|s| {
            let m = read.manifests.get(s.manifest)?;
            Some((m.provider.id.clone(), m.assets.get(s.asset)?.id.clone()))
        })
        .collect();
    Some(chosen)
}

/// What a provider's assets (those `covered`) are, and what their files carry.
fn asset_counts(m: &Manifest, covered: &dyn Fn(&Asset) -> bool) -> Counts {
    let mut c = Counts::default();
    for a in m.assets.iter().filter(|a| covered(a)) {
        c.assets += 1;
        let Content::File(f) = &a.content else {
            continue;
        };
        let media = content::media_type_for_path(&f.file).unwrap_or_default();
        if a.kind == Kind::Video || media.starts_with("video/") {
            c.videos += 1;
            c.videos_with_captions += usize::from(a.captions.is_some());
            c.videos_with_transcript += usize::from(a.transcript.is_some());
        } else if media.starts_with("image/") {
            c.images += 1;
            c.images_with_alt += usize::from(has_alt(a));
        } else if media == "application/pdf" {
            if let Some(facts) = pdf_facts(&m.base, &f.file) {
                c.pdfs += 1;
                c.pdfs_tagged += usize::from(facts.tagged);
                c.pdfs_with_title += usize::from(facts.titled);
                c.pdfs_with_language += usize::from(facts.language);
            }
        }
    }
    c
}

fn has_alt(a: &Asset) -> bool {
    a.alt.as_deref().is_some_and(|t| !t.trim().is_empty())
}

/// What makes a provider's PDF accessible (read below its folder, at most 256 MiB).
fn pdf_facts(base: &Place, file: &str) -> Option<pdf::Accessible> {
    let mut f = crate::files::open(base, file).ok()?;
    let len = f.len();
    if len > 256 << 20 {
        return None;
    }
    let mut bytes = Vec::with_capacity(len as usize);
    std::io::Read::read_to_end(&mut f, &mut bytes).ok()?;
    pdf::accessible(bytes)
}
