//! Resolving a bundle spec into the assets it chooses.

use std::collections::BTreeSet;

use crate::bundle::Bundle;
use crate::manifest::{FileRef, FileRole, Manifest};
use crate::problem::{Code, Problem};

/// One chosen asset: indexes into the manifests and the renditions kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selected {
    /// Index of the manifest.
    pub manifest: usize,
    /// Index of the asset in it.
    pub asset: usize,
    /// Rendition roles kept; `None` keeps them all.
    pub renditions: Option<BTreeSet<String>>,
}

impl Selected {
    /// The files of the chosen asset that go into a pack: its own file, the renditions kept,
    /// its transcript and captions. `m` is the manifest [`Selected::manifest`] points to.
    pub fn files<'a>(&self, m: &'a Manifest) -> Vec<(FileRole<'a>, &'a FileRef)> {
        let Some(a) = m.assets.get(self.asset) else {
            return Vec::new();
        };
        let mut files = a.files();
        files.retain(|(role, _)| match role {
            FileRole::Rendition(_, r) => self.renditions.as_ref().is_none_or(|k| k.contains(*r)),
            _ => true,
        });
        files
    }
}

/// Every asset of every manifest (a pack built from manifests alone).
pub fn select_all(manifests: &[Manifest]) -> Vec<Selected> {
    manifests
        .iter()
        .enumerate()
        .flat_map(|(m, man)| {
            (0..man.assets.len()).map(move |asset| Selected {
                manifest: m,
                asset,
                renditions: None,
            })
        })
        .collect()
}

/// Applies the bundle's selects to `manifests`: the union of what each select matches, in
/// manifest order then asset order. A select that matches nothing, or names an unknown
/// provider, id or rendition role, is a problem.
pub fn select(bundle: &Bundle, manifests: &[Manifest]) -> (Vec<Selected>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut chosen: Vec<Vec<Option<Option<BTreeSet<String>>>>> = manifests
        .iter()
        .map(|m| vec![None; m.assets.len()])
        .collect();
    if bundle.selects.is_empty() {
        problems.push(bundle.problem(
            Code::EmptySelect,
            0..0,
            "the bundle spec has no [[select]]: the pack would be empty".into(),
            "add [[select]] tables naming providers, kinds, tags or ids",
        ));
    }
    for (n, s) in bundle.selects.iter().enumerate() {
        let what = format!("[[select]] #{}", n + 1);
        let mut unknown = |message: String, fix: std::borrow::Cow<'static, str>| {
            problems.push(bundle.problem(Code::UnknownReference, s.span.clone(), message, fix))
        };
        if let Some(p) = &s.provider {
            if !manifests.iter().any(|m| &m.provider.id == p) {
                let ids: Vec<&str> = manifests.iter().map(|m| m.provider.id.as_str()).collect();
                unknown(
                    format!("{what} names provider `{p}`, which no manifest describes"),
                    format!("use one of: {}", ids.join(", ")).into(),
                );
                continue;
            }
        }
        let in_scope = |m: &Manifest| s.provider.as_ref().is_none_or(|p| &m.provider.id == p);
        for id in &s.ids {
            if !manifests
                .iter()
                .filter(|m| in_scope(m))
                .any(|m| m.assets.iter().any(|a| &a.id == id))
            {
                unknown(
                    format!("{what} names asset id `{id}`, which no selected provider has"),
                    "check the id in the provider's manifest".into(),
                );
            }
        }
        if let Some(roles) = &s.renditions {
            for role in roles {
                let exists = manifests.iter().filter(|m| in_scope(m)).any(|m| {
                    m.assets
                        .iter()
                        .any(|a| a.renditions.iter().any(|r| &r.role == role))
                });
                if !exists {
                    unknown(
                        format!("{what} keeps rendition `{role}`, which no selected asset has"),
                        "check the rendition roles in the manifests".into(),
                    );
                }
            }
        }
        let mut matched = 0;
        for (mi, m) in manifests.iter().enumerate() {
            if !in_scope(m) {
                continue;
            }
            for (ai, a) in m.assets.iter().enumerate() {
                let ok = (s.kinds.is_empty() || s.kinds.contains(&a.kind))
                    && (s.tags.is_empty() || a.tags.iter().any(|t| s.tags.contains(t)))
                    && (s.ids.is_empty() || s.ids.contains(&a.id));
                if !ok {
                    continue;
                }
                matched += 1;
                let slot = &mut chosen[mi][ai];
                let keep = s
                    .renditions
                    .as_ref()
                    .map(|r| r.iter().cloned().collect::<BTreeSet<_>>());
                *slot = Some(match (slot.take(), keep) {
                    (None, keep) => keep,
                    (Some(None), _) | (Some(_), None) => None,
                    (Some(Some(mut a)), Some(b)) => {
                        a.extend(b);
                        Some(a)
                    }
                });
            }
        }
        if matched == 0 {
            problems.push(bundle.problem(
                Code::EmptySelect,
                s.span.clone(),
                format!("{what} matches no asset"),
                "loosen it, or remove it",
            ));
        }
    }
    let selected = chosen
        .into_iter()
        .enumerate()
        .flat_map(|(m, assets)| {
            assets
                .into_iter()
                .enumerate()
                .filter_map(move |(asset, c)| {
                    c.map(|renditions| Selected {
                        manifest: m,
                        asset,
                        renditions,
                    })
                })
        })
        .collect();
    (selected, problems)
}
