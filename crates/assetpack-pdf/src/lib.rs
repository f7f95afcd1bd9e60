//! The views of an assetpack pack: the PDF index with its printed-materials request form, and
//! the offline HTML catalogue with its thumbnails. [`render_views`] looks at each chosen
//! asset's file once and makes either or both from the same thumbnails ([`render`] is the PDF
//! alone); what they say about the pack and each asset is worded once, for both.
//!
//! [`render`] lays out a cover (title, region, contact, edition, counts, total size and the
//! SHA-256 of the pack's `manifest.toml`), a contents page with links and PDF bookmarks, one
//! section per provider (details, terms, each asset with its kind, format, size, path in the
//! pack, review badges, print availability; links with QR codes; messages in full with their
//! length against the channel's limit) and a request form whose quantity boxes are fillable
//! PDF fields named `qty.<provider>.<asset>.<size>`. Text is real Unicode text in embedded
//! DejaVu Sans.
//!
//! The catalogue (`index.html`) is one self-contained page that works from `file://` with no
//! network: the same facts, thumbnails under `thumbs/` (listed in the pack's checksums like
//! every other file), filters by provider, kind and print availability, a search over titles
//! and tags, and "Copy" buttons for messages; everything is listed with scripts off. Its links
//! lead into the pack ([`Links::Pack`]) or to the providers' files where they are
//! ([`Links::Sources`], for a preview).
//!
//! Everything it prints about the pack comes from the core's model: the edition and the paths
//! in the pack from [`assetpack::catalog`], the SHA-256 of `manifest.toml` from the plan's
//! draft ([`IndexFacts`]), so the printed cover and the pack cannot disagree. It knows nothing
//! of ZIP files. The same input gives the same bytes: no clock is read, and every identifier
//! printpdf would draw at random is fixed or rewritten.
//!
//! ```no_run
//! use assetpack::catalog::Inputs;
//! use assetpack::plan::{Draft, PlanOptions};
//! use assetpack_pdf::{render, IndexOptions};
//!
//! let (inputs, _) = Inputs::read(&["packs/bundles/north-west-spring-2027.toml".into()], None).unwrap();
//! let draft = Draft::new(&inputs, &PlanOptions::default()).unwrap();
//! let index = render(&draft.index_facts(&inputs), &IndexOptions::default()).unwrap();
//! assert!(index.pdf.starts_with(b"%PDF"));
//! ```

#![warn(missing_docs)]

mod facts;
mod fonts;
mod form;
mod html;
mod kept;
mod layout;
mod look;
mod looked;
mod sections;
mod thumb;

use std::collections::BTreeMap;

use assetpack::bundle::Header;
use assetpack::catalog::{self, Selected};
use assetpack::manifest::{Date, Manifest};
pub use assetpack::plan::{IndexFacts, Made};
pub use html::Links;
use printpdf::{Mm, Op, PdfDocument, PdfPage, PdfSaveOptions};

use layout::Layout;
pub use layout::Paper;

/// What the index shows, taken from the [`IndexFacts`].
pub(crate) struct Input<'a> {
    pub header: &'a Header,
    pub manifests: &'a [Manifest],
    pub selected: &'a [Selected],
    pub manifest_sha256: &'a str,
    pub signed_by: Option<&'a str>,
    pub edition: Date,
    pub layout: catalog::Layout,
    /// Where the build reads assets in buckets through, when it has a cache.
    pub cache: Option<&'a assetpack::cache::Cache>,
}

impl<'a> Input<'a> {
    fn of(facts: &IndexFacts<'a>) -> Self {
        Input {
            header: &facts.inputs.header,
            manifests: &facts.inputs.manifests,
            selected: &facts.inputs.selected,
            manifest_sha256: facts.manifest_sha256,
            signed_by: facts.signed_by,
            edition: facts.edition.date,
            layout: facts.layout,
            cache: facts.cache,
        }
    }

    /// The chosen assets grouped by manifest, in manifest order.
    fn by_manifest(&self) -> BTreeMap<usize, Vec<&'a Selected>> {
        let mut out: BTreeMap<usize, Vec<&Selected>> = BTreeMap::new();
        for s in self.selected {
            out.entry(s.manifest).or_default().push(s);
        }
        out
    }

    fn title(&self) -> String {
        self.header
            .title
            .clone()
            .unwrap_or_else(|| self.header.name.clone())
    }
}

/// How the index is made.
#[derive(Clone, Debug)]
pub struct IndexOptions {
    /// Paper size.
    pub paper: Paper,
    /// The day review badges are judged against (default: the edition date).
    pub today: Option<Date>,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            paper: Paper::A4,
            today: None,
        }
    }
}

/// Why the index could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// The embedded font could not be read (a build problem, not a data problem).
    #[error("the embedded font cannot be parsed")]
    Font,
    /// The PDF could not be written.
    #[error("cannot write the PDF: {0}")]
    Pdf(String),
}

/// A rendered index.
#[derive(Clone, Debug)]
pub struct Index {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// Damaged, unreadable or misnamed assets, which got a placeholder thumbnail.
    pub warnings: Vec<String>,
}

/// Which views of the pack [`render_views`] makes.
#[derive(Clone, Debug, Default)]
pub struct ViewOptions {
    /// The PDF index (`index.pdf`), on this paper.
    pub pdf: Option<Paper>,
    /// The HTML catalogue (`index.html` and `thumbs/`), its links made this way.
    pub html: Option<Links>,
    /// The day review badges are judged against (default: the edition date).
    pub today: Option<Date>,
}

/// The views of a pack, made from one look at its assets.
#[derive(Clone, Debug)]
pub struct Views {
    /// `index.pdf`, `index.html` and the thumbnails, as payload paths and bytes.
    pub files: Vec<Made>,
    /// Damaged, unreadable or misnamed assets, which got a placeholder thumbnail.
    pub warnings: Vec<String>,
}

/// Renders the PDF index of the pack `facts` describe; see the crate docs.
pub fn render(facts: &IndexFacts, options: &IndexOptions) -> Result<Index, IndexError> {
    let views = ViewOptions {
        pdf: Some(options.paper),
        html: None,
        today: options.today,
    };
    let Views { files, warnings } = render_views(facts, &views)?;
    let pdf = files
        .into_iter()
        .next()
        .map(|m| m.bytes)
        .unwrap_or_default();
    Ok(Index { pdf, warnings })
}

/// Renders the views `options` asks for, looking at each asset's file once: the thumbnails
/// drawn in the PDF are the ones the catalogue shows.
pub fn render_views(facts: &IndexFacts, options: &ViewOptions) -> Result<Views, IndexError> {
    let input = Input::of(facts);
    let looked::Looked {
        drawn,
        images,
        shown,
        thumbs,
        warnings,
    } = looked::look_at_assets(&input, options.pdf.is_some(), options.html.is_some());
    let today = options.today.unwrap_or(input.edition);
    let mut files = Vec::new();
    if let Some(paper) = options.pdf {
        let pdf = render_pdf(&input, &drawn, images, paper, today)?;
        files.push(Made::new("index.pdf", pdf));
    }
    if let Some(links) = &options.html {
        let page = html::page(&input, &shown, links, today, options.pdf.is_some());
        files.push(Made::new("index.html", page));
        files.extend(thumbs);
    }
    Ok(Views { files, warnings })
}

/// Lays out and writes the PDF index.
fn render_pdf(
    input: &Input,
    drawn: &looked::DrawnAll,
    images: Vec<(printpdf::XObjectId, printpdf::RawImage)>,
    paper: Paper,
    today: Date,
) -> Result<Vec<u8>, IndexError> {
    let regular = fonts::face(fonts::REGULAR, "F1")?;
    let bold = fonts::face(fonts::BOLD, "F2")?;
    let by_manifest = input.by_manifest();
    let mut l = Layout::new(paper, &regular, &bold);
    sections::cover(&mut l, input, by_manifest.len());
    let contents = sections::reserve_contents(&mut l, by_manifest.len());
    let mut bookmarks = Vec::new();
    for (&mi, chosen) in &by_manifest {
        let m = &input.manifests[mi];
        bookmarks.push((m.provider.name.clone(), l.pages.len()));
        sections::provider(&mut l, input, m, chosen, today, drawn);
    }
    let form_first = l.pages.len();
    l.new_page();
    l.anchor("form");
    form::request_form(&mut l, input, &by_manifest);
    sections::contents(&mut l, input, &by_manifest, contents, form_first, paper);
    l.resolve_links();
    sections::footers(&mut l, &input.title(), paper);
    // Moved, not copied: the drawing of an index of a thousand pages is tens of megabytes.
    let pages = std::mem::take(&mut l.pages);
    let doc = document(&l, pages, input, &bookmarks, images, paper)?;
    form::finish(doc, &l.fields, &input.title(), &fonts::field_font(&regular))
}

/// The laid-out `pages` (taken from `l`) as a PDF document, with the fonts cut down to the
/// characters used, the thumbnails, the bookmarks and metadata dated at the edition.
fn document(
    l: &Layout,
    pages: Vec<Vec<Op>>,
    input: &Input,
    bookmarks: &[(String, usize)],
    images: Vec<(printpdf::XObjectId, printpdf::RawImage)>,
    paper: Paper,
) -> Result<lopdf::Document, IndexError> {
    let title = input.title();
    let mut doc = PdfDocument::new(&title);
    for (bytes, f) in [(fonts::REGULAR, l.regular), (fonts::BOLD, l.bold)] {
        doc.resources.fonts.map.insert(
            f.id.clone(),
            printpdf::font::PdfFont::new(fonts::subset(bytes, f)),
        );
    }
    set_metadata(&mut doc, input, &title)?;
    for (id, raw) in images {
        doc.resources
            .xobjects
            .map
            .insert(id, printpdf::XObject::Image(raw));
    }
    let (w, h) = paper.size();
    let pages: Vec<PdfPage> = pages
        .into_iter()
        .map(|ops| PdfPage::new(Mm(w * 25.4 / 72.0), Mm(h * 25.4 / 72.0), ops))
        .collect();
    doc.with_pages(pages);
    for (name, page) in bookmarks {
        doc.add_bookmark(name, page + 1);
    }
    let opts = PdfSaveOptions {
        subset_fonts: true,
        image_optimization: Some(printpdf::ImageOptimizationOptions {
            quality: None,
            max_image_size: None,
            dither_greyscale: Some(false),
            convert_to_greyscale: Some(false),
            auto_optimize: Some(false),
            // Raw here: `form::compress_streams` deflates them with the rest, in parallel.
            format: Some(printpdf::ImageCompression::None),
        }),
        ..PdfSaveOptions::default()
    };
    Ok(doc.to_lopdf_document(&opts, &mut Vec::new()))
}

fn set_metadata(doc: &mut PdfDocument, input: &Input, title: &str) -> Result<(), IndexError> {
    let unix = input
        .edition
        .0
        .with_hms(0, 0, 0)
        .map_or(0, |dt| dt.assume_utc().unix_timestamp());
    let stamp = printpdf::date::DateTime::from_unix_timestamp(unix)
        .map_err(|e| IndexError::Pdf(e.to_string()))?;
    let info = &mut doc.metadata.info;
    info.creation_date = stamp;
    info.modification_date = stamp;
    info.metadata_date = stamp;
    info.document_title = title.to_owned();
    info.author = input.header.contact.clone().unwrap_or_default();
    info.creator = format!("assetpack {}", env!("CARGO_PKG_VERSION"));
    info.producer = format!("assetpack {}", env!("CARGO_PKG_VERSION"));
    info.identifier = input.header.name.clone();
    Ok(())
}

/// The README's Rust examples (which use both library crates), compiled as doc tests so they
/// stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExamples;

#[cfg(test)]
mod tests {
    use super::*;
    use assetpack::catalog::Inputs;
    use assetpack::plan::{Draft, PlanOptions};

    fn shipped() -> Inputs {
        let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../packs/bundles/north-west-spring-2027.toml");
        let (inputs, problems) = Inputs::read(&[spec], None).expect("the shipped bundle reads");
        assert!(problems.iter().all(|p| !p.is_error()), "{problems:?}");
        inputs
    }

    #[test]
    fn two_documents_in_one_process_are_identical() {
        let inputs = shipped();
        let draft = Draft::new(&inputs, &PlanOptions::default()).expect("drafts");
        let facts = draft.index_facts(&inputs);
        let first = render(&facts, &IndexOptions::default())
            .expect("renders")
            .pdf;
        let second = render(&facts, &IndexOptions::default())
            .expect("renders")
            .pdf;
        assert!(
            first == second,
            "printpdf's process-wide state leaked into the bytes"
        );
        let letter = IndexOptions {
            paper: Paper::Letter,
            today: None,
        };
        assert!(render(&facts, &letter).expect("renders").pdf != first);
    }

    #[test]
    fn both_views_come_from_one_look_and_repeat_byte_for_byte() {
        let inputs = shipped();
        let draft = Draft::new(&inputs, &PlanOptions::default()).expect("drafts");
        let facts = draft.index_facts(&inputs);
        let both = ViewOptions {
            pdf: Some(Paper::A4),
            html: Some(Links::Pack),
            today: None,
        };
        let first = render_views(&facts, &both).expect("renders");
        let again = render_views(&facts, &both).expect("renders");
        assert!(first.files == again.files, "the views differ between runs");
        let pdf = render(&facts, &IndexOptions::default())
            .expect("renders")
            .pdf;
        assert!(first.files[0].path == "index.pdf" && first.files[0].bytes == pdf);
        let html = String::from_utf8(first.files[1].bytes.clone()).expect("UTF-8");
        assert_eq!(
            html.matches("<li class=\"card\"").count(),
            inputs.selected.len()
        );
        let thumbs: Vec<&Made> = first.files[2..].iter().collect();
        assert!(thumbs.iter().all(|t| t.path.starts_with("thumbs/")));
        for t in &thumbs {
            assert!(
                html.contains(&format!("src=\"{}\"", t.path)),
                "{} unused",
                t.path
            );
        }
        let html_only = ViewOptions { pdf: None, ..both };
        let files = render_views(&facts, &html_only).expect("renders").files;
        assert_eq!(files[0].path, "index.html");
        let link = "href=\"index.pdf\"";
        assert!(html.contains(link));
        assert!(
            !String::from_utf8_lossy(&files[0].bytes).contains(link),
            "links a missing PDF"
        );
        assert_eq!(files[1..], first.files[2..]);
    }

    #[test]
    fn paths_on_the_cards_follow_the_layout() {
        let inputs = shipped();
        let bag = PlanOptions {
            layout: catalog::Layout::Bagit,
            ..PlanOptions::default()
        };
        let draft = Draft::new(&inputs, &bag).expect("drafts");
        let input = Input::of(&draft.index_facts(&inputs));
        let m = &inputs.manifests[0];
        let a = m
            .assets
            .iter()
            .find(|a| matches!(a.content, assetpack::manifest::Content::File(_)))
            .expect("a file");
        let assetpack::manifest::Content::File(f) = &a.content else {
            unreachable!()
        };
        assert!(facts::pack_path_of(&input, m, &f.file).starts_with("data/"));
    }

    #[test]
    fn paper_names() {
        use look::paper_name;
        assert_eq!(paper_name(841.89, 1190.55), "A3");
        assert_eq!(paper_name(1190.55, 841.89), "A3");
        assert_eq!(paper_name(283.46, 595.28), "DL");
        assert_eq!(paper_name(612.0, 792.0), "Letter");
        assert_eq!(paper_name(100.0, 100.0), "35×35 mm");
    }
}
