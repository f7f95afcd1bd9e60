//! The plan's entries in ZIP order ([`items`]), cut into the jobs that readers take in turn
//! ([`jobs`]): a large file alone, a run of small entries as one fragment.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::deflated::Deflated;
use crate::plan::{Entry, EntryData, Plan, SourceFile};

use super::CHUNK;

/// Most entries in one fragment.
const BATCH_FILES: usize = 64;
/// Most bytes of content in one fragment (a single larger generated file makes its own).
const BATCH_BYTES: u64 = 1 << 20;
/// One entry of the ZIP, in order.
pub(super) enum Item<'a> {
    Dir,
    /// Bytes assetpack made.
    Bytes(&'a Entry, &'a [u8]),
    /// Bytes assetpack made and deflated already.
    Deflated(&'a Entry, &'a Deflated),
    /// A provider's file on disk.
    File(&'a Entry, &'a SourceFile),
}

impl Item<'_> {
    /// Files of a chunk or more are streamed on their own, and a document deflated ahead is
    /// copied on its own by the writer (a fragment would hold a second copy of it);
    /// everything else goes in fragments.
    fn is_alone(&self) -> bool {
        match self {
            Item::File(e, ..) => e.bytes >= CHUNK as u64,
            Item::Deflated(..) => true,
            Item::Dir | Item::Bytes(..) => false,
        }
    }
}

/// What one reader job makes: a fragment of consecutive small items, or one item alone (a
/// large file, or a document deflated ahead, for which a reader has nothing to do).
#[derive(Clone)]
pub(super) enum Job {
    Fragment(std::ops::Range<usize>),
    Alone(usize),
}

/// An entry as the writer takes it: its name in the ZIP less the top folder's `<name>/`, which
/// every name starts with (the plan's path, borrowed; a folder's own `d/`, or `""` for the top
/// folder), and what it holds. Borrowed, the names of 20,000 entries are not copied for the
/// whole of the pack; each is written out whole when its entry is
/// ([`zip_name_into`](crate::plan::zip_name_into)).
pub(super) type Named<'a> = (Cow<'a, str>, Item<'a>);

/// The entries of `plan` in ZIP order: every folder in its sorted place, then the files.
pub(super) fn items(plan: &Plan) -> Vec<Named<'_>> {
    // Each folder once, found without making its name: an entry's folders are met again
    // and again (20,000 files in a few hundred folders), and once one is known, so are all
    // the folders above it.
    let mut dirs: BTreeSet<&str> = BTreeSet::new();
    for e in &plan.entries {
        let mut path = e.path.as_str();
        while let Some(i) = path.rfind('/') {
            path = &path[..i];
            if !dirs.insert(path) {
                break;
            }
        }
    }
    let mut items: Vec<Named> = Vec::with_capacity(1 + dirs.len() + plan.entries.len());
    items.push((Cow::Borrowed(""), Item::Dir));
    items.extend(
        dirs.into_iter()
            .map(|d| (Cow::Owned(format!("{d}/")), Item::Dir)),
    );
    for e in &plan.entries {
        let item = match &e.data {
            EntryData::File(source) => Item::File(e, source),
            EntryData::Bytes(bytes) => Item::Bytes(e, bytes),
            EntryData::Deflated(d) => Item::Deflated(e, d),
        };
        items.push((Cow::Borrowed(e.path.as_str()), item));
    }
    // Names are unique, so an unstable sort gives the one order (every whole name starts
    // with the same `<name>/`, so the rests sort as the names do).
    items.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    items
}

/// Cuts the items into reader jobs: each large file alone, runs of the rest into fragments of
/// at most [`BATCH_FILES`] entries and [`BATCH_BYTES`] bytes — from a bucket, one file each
/// (with the folders before it), since a fragment's reader fetches its files one after
/// another. Depends only on the plan, so the ZIP is the same whatever the number of readers
/// (and a fragment's entries are copied into the pack as they are, so the cut does not
/// change the bytes either).
pub(super) fn jobs(items: &[Named], from_bucket: bool) -> Vec<Job> {
    let fits = |entries: usize, files: usize, file: usize| match from_bucket {
        true => files + file <= 1,
        false => entries < BATCH_FILES,
    };
    let mut jobs = Vec::new();
    let mut run: Option<(std::ops::Range<usize>, u64, usize)> = None;
    for (k, (_, item)) in items.iter().enumerate() {
        if item.is_alone() {
            if let Some((r, ..)) = run.take() {
                jobs.push(Job::Fragment(r));
            }
            jobs.push(Job::Alone(k));
            continue;
        }
        let (bytes, file) = match item {
            Item::Dir => (0, 0),
            Item::Bytes(e, _) | Item::Deflated(e, _) | Item::File(e, ..) => (e.bytes, 1),
        };
        match &mut run {
            Some((r, total, n)) if fits(r.len(), *n, file) && *total + bytes <= BATCH_BYTES => {
                r.end = k + 1;
                *total += bytes;
                *n += file;
            }
            _ => {
                if let Some((r, ..)) = run.replace((k..k + 1, bytes, file)) {
                    jobs.push(Job::Fragment(r));
                }
            }
        }
    }
    if let Some((r, ..)) = run {
        jobs.push(Job::Fragment(r));
    }
    jobs
}
