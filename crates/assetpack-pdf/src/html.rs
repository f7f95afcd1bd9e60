//! The HTML catalogue: one self-contained page (`index.html`) that opens from `file://` with no
//! network. Inline CSS and a little vanilla JavaScript: nothing is fetched, and with scripts
//! off every asset is still listed (only the filters and "Copy" buttons need them). It says
//! what [`crate::facts`] words, like the PDF index, and shows the thumbnails the PDF draws.
//!
//! Written by hand with one escaping function: the page is a dozen kinds of element, and a
//! template engine would add a build step for no gain in safety.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use assetpack::catalog::{self, Selected};
use assetpack::content::html_escape as esc;
use assetpack::manifest::{Content, Date, FileRef, Manifest};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use crate::facts::{self, Card};
use crate::looked::{Shown, ShownAll};
use crate::Input;

const STYLE: &str = include_str!("html/catalogue.css");
const SCRIPT: &str = include_str!("html/catalogue.js");

/// How the catalogue's links reach the files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Links {
    /// Paths in the pack, relative to the catalogue at the payload's root (`index.html` in a
    /// pack).
    #[default]
    Pack,
    /// Paths from this folder to the providers' files where they are now (`assetpack html -o
    /// DIR`: a preview before any pack is built; messages have no file there).
    Sources(PathBuf),
}

/// The page, as UTF-8 bytes.
pub(crate) fn page(
    input: &Input,
    shown: &ShownAll,
    links: &Links,
    today: Date,
    pdf: bool,
) -> Vec<u8> {
    let by_manifest = input.by_manifest();
    let in_pack = *links == Links::Pack;
    let mut out = String::with_capacity(4096 + input.selected.len() * 900);
    head(&mut out, input);
    top(&mut out, input, by_manifest.len(), pdf && in_pack);
    nav(&mut out, input, &by_manifest);
    filters(&mut out, input, &by_manifest);
    let at = Hrefs::new(links);
    for (&mi, chosen) in &by_manifest {
        let m = &input.manifests[mi];
        provider(&mut out, m, in_pack);
        for s in chosen {
            let card = Card {
                input,
                m,
                a: &m.assets[s.asset],
                s,
                today,
                format: shown
                    .get(&(s.manifest, s.asset))
                    .and_then(|(_, f)| f.as_deref()),
            };
            let thumb = shown.get(&(s.manifest, s.asset)).map(|(t, _)| t);
            write_card(&mut out, &card, thumb, &at);
        }
        out.push_str("</ul>\n</section>\n");
    }
    foot(&mut out, input);
    out.into_bytes()
}

/// The document's head: language, viewport, title, the content security policy (nothing may
/// be fetched; only this page's own script runs) and the style.
fn head(out: &mut String, input: &Input) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' file: data:; \
         style-src 'unsafe-inline'; script-src '{}'; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"generator\" content=\"assetpack {}\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#assets\">Skip to the assets</a>\n",
        script_hash(),
        env!("CARGO_PKG_VERSION"),
        esc(&input.title()),
    );
}

/// The script's SHA-256, as the content security policy names it.
fn script_hash() -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(SCRIPT.as_bytes());
    use ct_codecs::Encoder;
    let b64 = ct_codecs::Base64::encode_to_string(digest).unwrap_or_default();
    format!("sha256-{b64}")
}

/// The title and the pack's facts, as on the PDF's cover; a link to the PDF's request form
/// when it is beside the page (`pdf`).
fn top(out: &mut String, input: &Input, providers: usize, pdf: bool) {
    let _ = write!(
        out,
        "<header class=\"top\">\n<h1>{}</h1>\n<dl class=\"facts\">\n",
        esc(&input.title())
    );
    for (label, value) in facts::cover(input, providers) {
        let _ = writeln!(
            out,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            esc(label),
            esc(&value)
        );
    }
    out.push_str("</dl>\n<p class=\"lead\">Every item in the pack is listed below: open a file from its title, copy a message with its button, follow a link. ");
    if pdf {
        out.push_str("Items marked “Printed copies available” can be ordered with the request form in <a class=\"open\" href=\"index.pdf\">index.pdf</a>.");
    } else {
        out.push_str(
            "Items marked “Printed copies available” can be ordered from the provider's print contact.",
        );
    }
    out.push_str("</p>\n</header>\n");
}

/// The providers, each a link to its section, with its number of assets.
fn nav(
    out: &mut String,
    input: &Input,
    by_manifest: &std::collections::BTreeMap<usize, Vec<&Selected>>,
) {
    out.push_str("<nav class=\"providers\" aria-labelledby=\"providers-h\">\n<h2 id=\"providers-h\">Providers</h2>\n<ul>\n");
    for (&mi, chosen) in by_manifest {
        let p = &input.manifests[mi].provider;
        let _ = writeln!(
            out,
            "<li><a href=\"#p-{}\">{}</a> <span class=\"n\">({} {})</span></li>",
            esc(&p.id),
            esc(&p.name),
            chosen.len(),
            if chosen.len() == 1 { "asset" } else { "assets" }
        );
    }
    out.push_str("</ul>\n</nav>\n");
}

/// The filters: hidden until the script shows them, so that a page without scripts lists
/// everything and offers nothing that does not work.
fn filters(
    out: &mut String,
    input: &Input,
    by_manifest: &std::collections::BTreeMap<usize, Vec<&Selected>>,
) {
    out.push_str(
        "<main id=\"assets\">\n<h2 class=\"vh\">Assets</h2>\n\
         <form class=\"filters\" id=\"filters\" role=\"search\" aria-label=\"Filter the assets\" hidden>\n\
         <div class=\"field grow\"><label for=\"q\">Search titles and tags</label>\
         <input type=\"search\" id=\"q\" name=\"q\" autocomplete=\"off\" spellcheck=\"false\"></div>\n\
         <div class=\"field\"><label for=\"f-provider\">Provider</label><select id=\"f-provider\" name=\"provider\">\
         <option value=\"\">All providers</option>",
    );
    for &mi in by_manifest.keys() {
        let p = &input.manifests[mi].provider;
        let _ = write!(
            out,
            "<option value=\"{}\">{}</option>",
            esc(&p.id),
            esc(&p.name)
        );
    }
    out.push_str("</select></div>\n<div class=\"field\"><label for=\"f-kind\">Kind</label><select id=\"f-kind\" name=\"kind\"><option value=\"\">All kinds</option>");
    for kind in assetpack::manifest::Kind::ALL {
        let present = input
            .selected
            .iter()
            .any(|s| input.manifests[s.manifest].assets[s.asset].kind == kind);
        if present {
            let _ = write!(out, "<option value=\"{kind}\">{kind}</option>");
        }
    }
    out.push_str(
        "</select></div>\n<div class=\"field check\"><input type=\"checkbox\" id=\"f-print\" name=\"print\">\
         <label for=\"f-print\">Printed copies available</label></div>\n</form>\n\
         <p id=\"shown\" class=\"shown\" role=\"status\" aria-live=\"polite\"></p>\n",
    );
}

/// A provider's section: its name, website, contact, terms of use (and their file, `in_pack`)
/// and print contact; the cards follow.
fn provider(out: &mut String, m: &Manifest, in_pack: bool) {
    let p = &m.provider;
    let id = esc(&p.id);
    let _ = write!(
        out,
        "<section class=\"provider\" id=\"p-{id}\" data-provider=\"{id}\" aria-labelledby=\"h-{id}\">\n\
         <h2 id=\"h-{id}\">{}</h2>\n<dl class=\"about\">\n",
        esc(&p.name)
    );
    if let Some(w) = &p.website {
        let _ = writeln!(
            out,
            "<div><dt>Website</dt><dd><a href=\"{}\">{}</a></dd></div>",
            esc(w),
            esc(w)
        );
    }
    for (label, value) in facts::provider(m) {
        let _ = writeln!(
            out,
            "<div><dt>{}</dt><dd>{}</dd></div>",
            esc(label),
            esc(&value)
        );
    }
    if p.terms.is_some() && in_pack {
        let _ = writeln!(
            out,
            "<div><dt>Licence file</dt><dd><a class=\"open\" href=\"LICENCES/{id}.txt\">LICENCES/{id}.txt</a></dd></div>"
        );
    }
    out.push_str("</dl>\n<ul class=\"cards\">\n");
}

/// Where the page's links lead.
struct Hrefs<'a> {
    links: &'a Links,
    /// The catalogue's folder, absolute, for [`Links::Sources`].
    from: Option<PathBuf>,
}

impl<'a> Hrefs<'a> {
    fn new(links: &'a Links) -> Self {
        let from = match links {
            Links::Sources(dir) => std::path::absolute(dir).ok(),
            Links::Pack => None,
        };
        Hrefs { links, from }
    }

    /// The href of a provider's file.
    fn file(&self, m: &Manifest, file: &str) -> String {
        match (self.links, &self.from) {
            (Links::Pack, _) => url_path(&catalog::payload_path(m, file)),
            (Links::Sources(_), from) => {
                let target = m.resolve(file);
                let target = std::path::absolute(&target).unwrap_or(target);
                relative_url(from.as_deref(), &target)
            }
        }
    }

    /// The href of a message's text file, when there is one (only in a pack).
    fn message(&self, m: &Manifest, asset: &str) -> Option<String> {
        match self.links {
            Links::Pack => Some(url_path(&catalog::message_path(m, asset))),
            Links::Sources(_) => None,
        }
    }
}

/// Characters a path segment of a relative URL cannot carry as they are (RFC 3986: outside
/// `pchar`), with `:` (a first segment `c:` would read as a scheme) and `%` itself.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']')
    .add(b':');

/// A `/`-separated relative path as a relative URL.
fn url_path(path: &str) -> String {
    path.split('/')
        .map(|seg| utf8_percent_encode(seg, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// The URL of `target` relative to the folder `from`, or a `file:` URL when there is no
/// relative way (another drive).
fn relative_url(from: Option<&Path>, target: &Path) -> String {
    let relative = from.and_then(|f| pathdiff::diff_paths(target, f));
    match relative {
        Some(rel) => {
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            url_path(&parts.join("/"))
        }
        None => url::Url::from_file_path(target)
            .map(String::from)
            .unwrap_or_default(),
    }
}

/// One asset's card.
fn write_card(out: &mut String, card: &Card, thumb: Option<&Shown>, at: &Hrefs) {
    let (m, a) = (card.m, card.a);
    let mut text = a.title.to_lowercase();
    for t in &a.tags {
        text.push(' ');
        text.push_str(&t.to_lowercase());
    }
    let _ = writeln!(
        out,
        "<li class=\"card\" id=\"a-{}-{}\" data-provider=\"{}\" data-kind=\"{}\"{} data-text=\"{}\">",
        esc(&m.provider.id),
        esc(&a.id),
        esc(&m.provider.id),
        a.kind,
        if card.printed().is_some() {
            " data-print"
        } else {
            ""
        },
        esc(&text)
    );
    write_thumb(out, card, thumb, at);
    out.push_str("<div class=\"body\">\n");
    let title = esc(&a.title);
    match &a.content {
        Content::File(f) => {
            let href = esc(&at.file(m, &f.file));
            let _ = writeln!(
                out,
                "<h3><a class=\"open\" href=\"{href}\">{title}</a></h3>"
            );
        }
        Content::Url(u) => {
            let _ = writeln!(out, "<h3><a href=\"{}\">{title}</a></h3>", esc(u));
        }
        _ => {
            let _ = writeln!(out, "<h3>{title}</h3>");
        }
    }
    let _ = writeln!(
        out,
        "<p class=\"details\">{}</p>",
        esc(&card.details().join(" · "))
    );
    if let Some(d) = &a.description {
        let _ = writeln!(out, "<p>{}</p>", esc(d));
    }
    write_content(out, card, at);
    write_files(out, card, at);
    for note in card.notes() {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", esc(&note));
    }
    if let Some(u) = &a.usage {
        let _ = writeln!(out, "<p class=\"note\">Usage: {}</p>", esc(u));
    }
    write_badges(out, card);
    out.push_str("</div>\n</li>\n");
}

/// The thumbnail: an image (alt text from the manifest, else the title), or a labelled box.
fn write_thumb(out: &mut String, card: &Card, thumb: Option<&Shown>, at: &Hrefs) {
    let alt = card
        .a
        .alt
        .clone()
        .unwrap_or_else(|| format!("Preview of {}", card.a.title));
    match thumb {
        Some(Shown::Image { thumb, size }) => {
            let src = match (thumb, &card.a.content) {
                (Some(path), _) => url_path(path),
                (None, Content::File(f)) => at.file(card.m, &f.file),
                (None, _) => String::new(),
            };
            let size = size
                .map(|(w, h)| format!(" width=\"{w}\" height=\"{h}\""))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<div class=\"thumb\"><img src=\"{}\" alt=\"{}\"{size} loading=\"lazy\" decoding=\"async\"></div>",
                esc(&src),
                esc(&alt)
            );
        }
        Some(Shown::Page { ratio, label }) => {
            let (w, h) = if *ratio <= 1.0 {
                (ratio * 100.0, 100.0)
            } else {
                (100.0, 100.0 / ratio)
            };
            let _ = writeln!(
                out,
                "<div class=\"thumb\" aria-hidden=\"true\"><span class=\"page\" style=\"width:{w:.0}px;height:{h:.0}px\">{}</span></div>",
                esc(label)
            );
        }
        Some(Shown::Icon(label)) => {
            let _ = writeln!(
                out,
                "<div class=\"thumb\" aria-hidden=\"true\"><span class=\"icon\">{}</span></div>",
                esc(label)
            );
        }
        Some(Shown::Broken) | None => {
            out.push_str("<div class=\"thumb\"><span class=\"icon broken\" role=\"img\" aria-label=\"No preview: the file could not be read\">?</span></div>\n");
        }
    }
}

/// A link's address in full, or a message with its length and its "Copy" button.
fn write_content(out: &mut String, card: &Card, at: &Hrefs) {
    let (m, a) = (card.m, card.a);
    match &a.content {
        Content::Url(u) => {
            let _ = writeln!(
                out,
                "<p class=\"url\"><a href=\"{}\">{}</a></p>",
                esc(u),
                esc(u)
            );
        }
        Content::Text { text, channel } => {
            let id = format!("m-{}-{}", m.provider.id, a.id);
            let _ = writeln!(
                out,
                "<div class=\"message\" id=\"{}\">{}</div>",
                esc(&id),
                esc(text)
            );
            let _ = write!(
                out,
                "<p class=\"note\">{}",
                esc(&facts::message_length(text, channel.as_deref()))
            );
            if let Some(href) = at.message(m, &a.id) {
                let _ = write!(
                    out,
                    " · <a class=\"open\" href=\"{}\">as a text file</a>",
                    esc(&href)
                );
            }
            let _ = writeln!(
                out,
                "</p>\n<button type=\"button\" class=\"copy\" data-copy=\"{}\" hidden>Copy<span class=\"vh\"> the message “{}”</span></button>",
                esc(&id),
                esc(&a.title)
            );
        }
        _ => {}
    }
}

/// Links to the renditions kept, the transcript and the captions.
fn write_files(out: &mut String, card: &Card, at: &Hrefs) {
    let link = |f: &FileRef, label: &str| {
        format!(
            "<a class=\"open\" href=\"{}\">{}</a>",
            esc(&at.file(card.m, &f.file)),
            esc(label)
        )
    };
    let parts: Vec<String> = card
        .beside()
        .into_iter()
        .map(|(_, label, f)| link(f, label))
        .collect();
    if !parts.is_empty() {
        let _ = writeln!(out, "<p class=\"files\">Files: {}</p>", parts.join(" · "));
    }
}

fn write_badges(out: &mut String, card: &Card) {
    let badges = card.badges();
    if badges.is_empty() {
        return;
    }
    out.push_str("<ul class=\"badges\">");
    for (text, tone) in badges {
        let _ = write!(
            out,
            "<li class=\"badge {}\">{}</li>",
            tone.class(),
            esc(&text)
        );
    }
    out.push_str("</ul>\n");
}

/// The end of the page: where it came from, and the script.
fn foot(out: &mut String, input: &Input) {
    let _ = write!(
        out,
        "<p class=\"more\"><button type=\"button\" id=\"more\" hidden>Show more</button></p>\n</main>\n<footer class=\"foot\"><p>Made by assetpack {} for the edition of {}. Every file is listed with its SHA-256 in the pack's checksum file.</p></footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        input.edition
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_relative_urls() {
        assert_eq!(
            url_path("oup/posters/a b#1?.pdf"),
            "oup/posters/a%20b%231%3F.pdf"
        );
        assert_eq!(url_path("oup/100%.png"), "oup/100%25.png");
        assert_eq!(url_path("oup/c:x.png"), "oup/c%3Ax.png");
        assert_eq!(url_path("oup/café.png"), "oup/caf%C3%A9.png");
    }

    #[test]
    fn sources_are_reached_from_the_catalogue_folder() {
        let from = Path::new("/work/out/catalogue");
        let target = Path::new("/work/packs/oup/poster one.pdf");
        assert_eq!(
            relative_url(Some(from), target),
            "../../packs/oup/poster%20one.pdf"
        );
        assert_eq!(
            relative_url(None, target),
            "file:///work/packs/oup/poster%20one.pdf"
        );
    }

    #[test]
    fn the_policy_names_the_script_it_ships() {
        let hash = script_hash();
        assert!(
            hash.starts_with("sha256-") && hash.len() == 7 + 44,
            "{hash}"
        );
    }
}
