//! What the index and the catalogue say about the pack and each asset, worded once: the
//! cover's facts, a card's details, notes and badges, a message's length against its
//! channel. The PDF layout ([`crate::sections`]) and the HTML catalogue ([`crate::html`])
//! only place these words.

use assetpack::catalog::{self, Selected};
use assetpack::content;
use assetpack::manifest::{Asset, Content, Date, FileRef, FileRole, Kind, Manifest};

use crate::Input;

/// Path of a provider's file in the pack, as the catalog lays it out.
pub(crate) fn pack_path_of(input: &Input, m: &Manifest, file: &str) -> String {
    catalog::pack_path(input.layout, &catalog::payload_path(m, file))
}

/// Total size of the chosen files (renditions kept only).
pub(crate) fn total_bytes(input: &Input) -> u64 {
    input
        .selected
        .iter()
        .flat_map(|s| s.files(&input.manifests[s.manifest]))
        .map(|(_, f)| f.bytes.unwrap_or(0))
        .sum()
}

/// The pack's facts, as label and value: region, contact, edition, pack, counts, size, the
/// SHA-256 of `manifest.toml`, the signing key.
pub(crate) fn cover(input: &Input, providers: usize) -> Vec<(&'static str, String)> {
    let mut facts = Vec::new();
    if let Some(r) = &input.header.region {
        facts.push(("Region", r.clone()));
    }
    if let Some(c) = &input.header.contact {
        facts.push(("Contact", c.clone()));
    }
    facts.push(("Edition", input.edition.to_string()));
    facts.push(("Pack", format!("{}.zip", input.header.name)));
    facts.push(("Providers", providers.to_string()));
    facts.push(("Assets", input.selected.len().to_string()));
    facts.push(("Total size", content::human_size(total_bytes(input))));
    if !input.manifest_sha256.is_empty() {
        facts.push(("manifest.toml SHA-256", input.manifest_sha256.to_owned()));
    }
    if let Some(id) = input.signed_by {
        facts.push(("Signed by key ID (minisign)", id.to_owned()));
    }
    facts
}

/// A provider's contact, terms of use and print contact, as label and value.
pub(crate) fn provider(m: &Manifest) -> Vec<(&'static str, String)> {
    let p = &m.provider;
    let mut lines = Vec::new();
    if let Some(c) = &p.contact {
        lines.push(("Contact", c.clone()));
    }
    if let Some(t) = &p.terms {
        lines.push(("Terms of use", t.clone()));
    }
    if let Some(pc) = &p.print {
        lines.push(("Printed copies", pc.contact.clone()));
        if let Some(n) = &pc.notes {
            lines.push(("Print notes", n.clone()));
        }
    }
    lines
}

/// One chosen asset, with what is known of its file.
pub(crate) struct Card<'a> {
    pub input: &'a Input<'a>,
    pub m: &'a Manifest,
    pub a: &'a Asset,
    pub s: &'a Selected,
    pub today: Date,
    /// What the file is, for people (`A3 PDF`), from the look at it.
    pub format: Option<&'a str>,
}

/// How a badge is coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Review date passed.
    Overdue,
    /// Review due within 30 days.
    Due,
    /// Printed copies available.
    Print,
}

impl Tone {
    /// The CSS class of the badge.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Overdue => "overdue",
            Tone::Due => "due",
            Tone::Print => "print",
        }
    }
}

impl Card<'_> {
    /// Kind, format, size and path in the pack.
    pub fn details(&self) -> Vec<String> {
        let mut details = vec![self.a.kind.to_string()];
        if let Content::File(f) = &self.a.content {
            details.extend(self.format.map(str::to_owned));
            if let Some(b) = f.bytes {
                details.push(content::human_size(b));
            }
            details.push(pack_path_of(self.input, self.m, &f.file));
        }
        details
    }

    /// Transcript and captions of a video, review dates.
    pub fn notes(&self) -> Vec<String> {
        let a = self.a;
        let mut notes = Vec::new();
        if a.kind == Kind::Video || a.transcript.is_some() || a.captions.is_some() {
            let yes = |b: bool| if b { "yes" } else { "no" };
            notes.push(format!(
                "Transcript: {} · Captions: {}",
                yes(a.transcript.is_some()),
                yes(a.captions.is_some())
            ));
        }
        let mut dates = Vec::new();
        if let Some(d) = a.last_reviewed {
            dates.push(format!("reviewed {d}"));
        }
        if let Some(d) = a.next_review_due {
            dates.push(format!("next review {d}"));
        }
        if !dates.is_empty() {
            notes.push(dates.join(" · "));
        }
        notes
    }

    /// The renditions kept, named: `Also as: editable, web`.
    pub fn also_as(&self) -> Option<String> {
        let roles: Vec<&str> = self
            .beside()
            .into_iter()
            .filter(|(role, ..)| matches!(role, FileRole::Rendition(..)))
            .map(|(_, label, _)| label)
            .collect();
        (!roles.is_empty()).then(|| format!("Also as: {}", roles.join(", ")))
    }

    /// The files the pack keeps beside the asset's own (the catalog's choice: renditions kept,
    /// transcript, captions), each with its role, a label (`editable`, `transcript`) and the
    /// file.
    pub fn beside(&self) -> Vec<(FileRole<'_>, &str, &FileRef)> {
        self.s
            .files(self.m)
            .into_iter()
            .filter_map(|(role, f)| match role {
                FileRole::Rendition(_, r) => Some((role, r, f)),
                FileRole::Transcript => Some((role, "transcript", f)),
                FileRole::Captions => Some((role, "captions", f)),
                _ => None,
            })
            .collect()
    }

    /// Review badges (overdue, due within 30 days) and print availability.
    pub fn badges(&self) -> Vec<(String, Tone)> {
        let a = self.a;
        let mut badges = Vec::new();
        if let Some(due) = a.next_review_due {
            if due < self.today {
                badges.push((format!("REVIEW OVERDUE since {due}"), Tone::Overdue));
            } else if due <= self.today.add_days(30) {
                badges.push((format!("REVIEW DUE {due}"), Tone::Due));
            }
        }
        if let Some(p) = self.printed() {
            let sizes = if p.sizes.is_empty() {
                String::new()
            } else {
                format!(": {}", p.sizes.join(", "))
            };
            badges.push((format!("Printed copies available{sizes}"), Tone::Print));
        }
        badges
    }

    /// The asset's print offer, when printed copies are available.
    pub fn printed(&self) -> Option<&assetpack::manifest::Print> {
        self.a.print.as_ref().filter(|p| p.available)
    }
}

/// A message's length, against its channel's limit when the channel has one: `212 of 280
/// characters (x)`.
pub(crate) fn message_length(text: &str, channel: Option<&str>) -> String {
    let count = assetpack::channel::channel_length(text, channel);
    let limit = channel.and_then(|c| {
        assetpack::channel::default_channel_limits()
            .get(c)
            .copied()
            .map(|n| (c, n))
    });
    match limit {
        Some((c, n)) => format!("{count} of {n} characters ({c})"),
        None => format!("{count} characters"),
    }
}
