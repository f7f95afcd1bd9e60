//! The PDF index of an assetpack pack, with its printed-materials request form.
//!
//! [`render`] lays out a cover (title, region, contact, edition, counts, total size and the
//! SHA-256 of the pack's `manifest.toml`), a contents page with links and PDF bookmarks, one
//! section per provider (details, terms, each asset with its kind, format, size, path, review
//! badges, print availability; links with QR codes; messages in full with their length against
//! the channel's limit) and a request form whose quantity boxes are fillable PDF fields named
//! `qty.<provider>.<asset>.<size>`. Text is real Unicode text in embedded DejaVu Sans.
//!
//! The same input gives the same bytes: no clock is read, and every identifier printpdf would
//! draw at random is fixed or rewritten.
//!
//! ```no_run
//! use assetpack_pdf::{render, IndexInput, IndexOptions};
//! # let (header, manifests, selected) = (assetpack::bundle::Header::default(), vec![], vec![]);
//! let input = IndexInput { header: &header, manifests: &manifests, selected: &selected, manifest_sha256: None };
//! let index = render(&input, &IndexOptions::default()).unwrap();
//! assert!(index.pdf.starts_with(b"%PDF"));
//! ```

mod form;
mod layout;
mod thumbnail;

use std::collections::BTreeMap;

use assetpack::bundle::{Header, Selected};
use assetpack::content::{self, FileAt};
use assetpack::manifest::{Asset, Content, Date, FileRole, Kind, Manifest};
use printpdf::{FontId, Mm, ParsedFont, PdfDocument, PdfPage, PdfSaveOptions};

pub use layout::Paper;
use layout::{rgb, Face, Layout};

const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// What the index shows.
pub struct IndexInput<'a> {
    /// The pack's header.
    pub header: &'a Header,
    /// The manifests read.
    pub manifests: &'a [Manifest],
    /// The chosen assets.
    pub selected: &'a [Selected],
    /// SHA-256 of the pack's `manifest.toml`, printed on the cover.
    pub manifest_sha256: Option<String>,
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
pub enum IndexError {
    /// The embedded font could not be read (a build problem, not a data problem).
    #[error("the embedded font cannot be parsed")]
    Font,
    /// The PDF could not be written.
    #[error("cannot write the PDF: {0}")]
    Pdf(String),
}

/// The edition date: the bundle's `date`, else `SOURCE_DATE_EPOCH`, else the newest
/// `last_reviewed` among the chosen assets — never the clock.
pub fn edition_date(input: &IndexInput) -> Option<Date> {
    if let Some(d) = input.header.date {
        return Some(d);
    }
    if let Some(d) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
    {
        return Some(Date(d.date()));
    }
    input
        .selected
        .iter()
        .filter_map(|s| input.manifests[s.manifest].assets[s.asset].last_reviewed)
        .max()
}

/// The first `/MediaBox` of a PDF (within its first MiB), as width and height in points.
pub(crate) fn page_size(f: &std::fs::File, len: u64) -> Option<(f32, f32)> {
    let at = FileAt { file: f, len };
    // Most PDFs state it in their first kilobytes; look further only when they do not.
    for window in [64 << 10, 1 << 20] {
        let mut head = vec![0u8; len.min(window) as usize];
        content::ReadAt::read_at(&at, &mut head, 0).ok()?;
        let text = String::from_utf8_lossy(&head);
        if let Some(i) = text.find("/MediaBox") {
            let nums: Vec<f32> = text[i + 9..]
                .trim_start()
                .trim_start_matches('[')
                .split(|c: char| c.is_whitespace() || c == ']')
                .filter(|s| !s.is_empty())
                .take(4)
                .filter_map(|s| s.parse().ok())
                .collect();
            return match nums[..] {
                [x0, y0, x1, y1] if x1 > x0 && y1 > y0 => Some((x1 - x0, y1 - y0)),
                _ => None,
            };
        }
        if len <= window {
            break;
        }
    }
    None
}

/// A paper name for a PDF page size in points, or millimetres.
pub(crate) fn paper_name(w: f32, h: f32) -> String {
    let (a, b) = if w < h { (w, h) } else { (h, w) };
    let named = [
        ("A2", 1190.55, 1683.78),
        ("A3", 841.89, 1190.55),
        ("A4", 595.28, 841.89),
        ("A5", 419.53, 595.28),
        ("A6", 297.64, 419.53),
        ("DL", 283.46, 595.28),
        ("Letter", 612.0, 792.0),
    ];
    for (name, x, y) in named {
        if (a - x).abs() < 3.0 && (b - y).abs() < 3.0 {
            return name.to_owned();
        }
    }
    format!("{:.0}×{:.0} mm", w / 72.0 * 25.4, h / 72.0 * 25.4)
}

/// What a file is, for people: `A3 PDF`, `1200×630 px PNG`, `MP4 video`.
fn format_of(manifest: &Manifest, file: &str) -> String {
    let path = manifest.resolve(file);
    let ext = file.rsplit('.').next().unwrap_or("").to_ascii_uppercase();
    // Never blocks on a FIFO or device listed as an asset (check reports those).
    let Ok((f, len)) = content::open_regular(&path) else {
        return ext;
    };
    let at = FileAt { file: &f, len };
    let found = content::inspect(&at).ok();
    if let Some((w, h)) = found.as_ref().and_then(|i| i.pixels) {
        return format!("{w}×{h} px {ext}");
    }
    if found.as_ref().and_then(|i| i.media_type) == Some("application/pdf") {
        return match page_size(&f, len) {
            Some((w, h)) => format!("{} PDF", paper_name(w, h)),
            None => "PDF".into(),
        };
    }
    match found.and_then(|i| i.media_type) {
        Some(t) if t.starts_with("video/") => match content::mp4_duration(&at) {
            Some(secs) => {
                let secs = secs.round() as u64;
                format!("{ext} video, {}:{:02}", secs / 60, secs % 60)
            }
            None => format!("{ext} video"),
        },
        _ => ext,
    }
}

fn face(bytes: &[u8], id: &str) -> Result<Face, IndexError> {
    let mut warnings = Vec::new();
    let font = ParsedFont::from_bytes(bytes, 0, &mut warnings).ok_or(IndexError::Font)?;
    Ok(Face {
        id: FontId(id.to_owned()),
        font,
        used: Default::default(),
    })
}

/// The font cut down to the characters used (glyph 0 first, as PDF needs), or the whole font
/// when subsetting fails.
fn subset(bytes: &[u8], face: &Face) -> ParsedFont {
    let used = face.used.borrow();
    subset_bytes(bytes, &face.font, &used)
        .and_then(|out| ParsedFont::from_bytes(&out, 0, &mut Vec::new()))
        .unwrap_or_else(|| face.font.clone())
}

/// `bytes` (a TrueType font) cut down to the glyphs of `chars`, with a Unicode cmap.
fn subset_bytes(
    bytes: &[u8],
    font: &ParsedFont,
    chars: &std::collections::BTreeSet<char>,
) -> Option<Vec<u8>> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{CmapTarget, SubsetProfile};
    let mut ids: Vec<u16> = chars
        .iter()
        .filter_map(|c| font.codepoint_to_glyph.get(&(*c as u32)).copied())
        .filter(|g| *g != 0)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.insert(0, 0);
    let scope = ReadScope::new(bytes);
    let data = scope.read::<FontData<'_>>().ok()?;
    let provider = data.table_provider(0).ok()?;
    allsorts::subset::subset(
        &provider,
        &ids,
        &SubsetProfile::Minimal,
        CmapTarget::Unicode,
    )
    .ok()
}

/// The font typed form values are drawn in: DejaVu Sans as a simple TrueType font with
/// Windows-1252 codes plus the Welsh letters ŵ ŷ Ŵ Ŷ in four unused slots, so a requester
/// named Siân or Llŷr can fill the form on screen.
pub(crate) struct FieldFont {
    /// The embedded font program (cut down to the characters the encoding reaches).
    pub program: Vec<u8>,
    /// Widths of codes 32..=255 in 1/1000 em.
    pub widths: Vec<i64>,
    /// Extra codes and their glyph names.
    pub differences: Vec<(u8, &'static str)>,
}

/// Unicode of each Windows-1252 code 0x80..=0x9F (None where undefined).
const CP1252_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('‘'),
    Some('’'),
    Some('“'),
    Some('”'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

/// Welsh letters outside Windows-1252, placed in its unused slots.
const EXTRA: [(u8, char, &str); 4] = [
    (0x81, 'Ŵ', "Wcircumflex"),
    (0x8D, 'ŵ', "wcircumflex"),
    (0x8F, 'Ŷ', "Ycircumflex"),
    (0x90, 'ŷ', "ycircumflex"),
];

fn field_font(regular: &Face) -> FieldFont {
    let char_of = |code: u8| -> Option<char> {
        if let Some((_, c, _)) = EXTRA.iter().find(|(k, _, _)| *k == code) {
            return Some(*c);
        }
        match code {
            0x80..=0x9F => CP1252_HIGH[usize::from(code - 0x80)],
            _ => Some(char::from(code)),
        }
    };
    let upem = f32::from(regular.font.units_per_em.max(1));
    let mut chars = std::collections::BTreeSet::new();
    let widths = (32u8..=255)
        .map(|code| {
            let Some(c) = char_of(code) else { return 0 };
            chars.insert(c);
            regular
                .font
                .codepoint_to_glyph
                .get(&(c as u32))
                .and_then(|g| regular.font.glyph_widths.get(g))
                .map_or(0, |w| (f32::from(*w) * 1000.0 / upem).round() as i64)
        })
        .collect();
    FieldFont {
        program: subset_bytes(REGULAR, &regular.font, &chars).unwrap_or_else(|| REGULAR.to_vec()),
        widths,
        differences: EXTRA.iter().map(|(k, _, n)| (*k, *n)).collect(),
    }
}

fn channel_limit(channel: &str) -> Option<usize> {
    assetpack::check::default_channel_limits()
        .get(channel)
        .copied()
}

/// A rendered index.
#[derive(Clone, Debug)]
pub struct Index {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// Damaged or unreadable assets, which got a placeholder thumbnail.
    pub warnings: Vec<String>,
}

/// Renders the index; see the crate docs.
pub fn render(input: &IndexInput, options: &IndexOptions) -> Result<Index, IndexError> {
    use rayon::prelude::*;
    // Everything that reads asset files (thumbnail, format) runs here, in parallel; the layout
    // below reads no file.
    // (thumbnail, warning about a damaged file), format.
    type Looked = ((thumbnail::Thumb, Option<String>), Option<String>);
    let thumbs: Vec<Looked> = input
        .selected
        .par_iter()
        .map(|s| {
            let m = &input.manifests[s.manifest];
            let content = &m.assets[s.asset].content;
            let format = match content {
                Content::File(f) => Some(format_of(m, &f.file)),
                _ => None,
            };
            (thumbnail::thumbnail(m, content), format)
        })
        .collect();
    let thumb_warnings: Vec<String> = thumbs.iter().filter_map(|((_, w), _)| w.clone()).collect();
    let mut images = Vec::new();
    let mut thumb_of: BTreeMap<(usize, usize), (Drawn, Option<String>)> = BTreeMap::new();
    for (s, ((t, _), format)) in input.selected.iter().zip(thumbs) {
        let drawn = match t {
            thumbnail::Thumb::Image(raw) => {
                let id = printpdf::XObjectId(format!("Im{}", images.len() + 1));
                let (w, h) = (raw.width as f32, raw.height as f32);
                images.push((id.clone(), raw));
                Drawn::Image(id, w, h)
            }
            thumbnail::Thumb::Page { ratio, label } => Drawn::Page(ratio, label),
            thumbnail::Thumb::Icon(label) => Drawn::Icon(label),
            thumbnail::Thumb::Broken => Drawn::Broken,
        };
        thumb_of.insert((s.manifest, s.asset), (drawn, format));
    }
    let regular = face(REGULAR, "F1")?;
    let bold = face(BOLD, "F2")?;
    let edition = edition_date(input);
    let today = options.today.or(edition);
    let title = input
        .header
        .title
        .clone()
        .unwrap_or_else(|| input.header.name.clone());
    let mut by_manifest: BTreeMap<usize, Vec<&Selected>> = BTreeMap::new();
    for s in input.selected {
        by_manifest.entry(s.manifest).or_default().push(s);
    }
    let mut l = Layout::new(options.paper, &regular, &bold);
    let dark = rgb(20, 20, 20);
    let grey = rgb(90, 90, 90);
    let accent = rgb(0, 94, 184);

    // Cover.
    let tw = l.text_width();
    l.rect(
        0.0,
        l.height - 120.0,
        l.width,
        120.0,
        Some(accent.clone()),
        None,
    );
    l.y = l.height - 70.0;
    let t = bold.wrap(&title, 22.0, tw);
    for line in t {
        let y = l.y;
        l.text_at(l.margin, y, &line, 22.0, true, rgb(255, 255, 255));
        l.y -= 28.0;
    }
    l.y = l.height - 160.0;
    let total: u64 = input
        .selected
        .iter()
        .flat_map(|s| {
            let a = &input.manifests[s.manifest].assets[s.asset];
            a.files()
                .into_iter()
                .filter(|(role, _)| match role {
                    FileRole::Rendition(_, r) => {
                        s.renditions.as_ref().is_none_or(|k| k.contains(*r))
                    }
                    _ => true,
                })
                .map(|(_, f)| f.bytes.unwrap_or(0))
                .collect::<Vec<_>>()
        })
        .sum();
    let mut facts: Vec<(String, String)> = Vec::new();
    if let Some(r) = &input.header.region {
        facts.push(("Region".into(), r.clone()));
    }
    if let Some(c) = &input.header.contact {
        facts.push(("Contact".into(), c.clone()));
    }
    if let Some(d) = edition {
        facts.push(("Edition".into(), d.to_string()));
    }
    facts.push(("Pack".into(), format!("{}.zip", input.header.name)));
    facts.push(("Providers".into(), by_manifest.len().to_string()));
    facts.push(("Assets".into(), input.selected.len().to_string()));
    facts.push(("Total size".into(), content::human_size(total)));
    if let Some(h) = &input.manifest_sha256 {
        facts.push(("manifest.toml SHA-256".into(), h.clone()));
    }
    for (k, v) in &facts {
        l.paragraph(0.0, tw, k, 9.0, true, grey.clone());
        l.paragraph(0.0, tw, v, 12.0, false, dark.clone());
        l.gap(6.0);
    }
    l.gap(10.0);
    l.paragraph(
        0.0,
        tw,
        "This index lists every item in the pack. Items marked “Printed copies available” can be ordered with the request form at the end: fill it in on screen or on paper and send it to the provider's print contact.",
        9.5,
        false,
        grey.clone(),
    );

    // Contents: reserved now, written once the sections are placed.
    let contents_lines = by_manifest.len() + 2;
    let per_page = ((l.height - 2.0 * l.margin - 60.0) / 18.0).max(1.0) as usize;
    let contents_pages = contents_lines.div_ceil(per_page).max(1);
    let contents_first = l.pages.len();
    for _ in 0..contents_pages {
        l.new_page();
    }

    // Provider sections.
    let mut bookmarks = Vec::new();
    for (&mi, sel) in &by_manifest {
        let m = &input.manifests[mi];
        let p = &m.provider;
        l.new_page();
        let anchor = format!("provider:{}", p.id);
        l.anchor(&anchor);
        bookmarks.push((p.name.clone(), l.page()));
        l.paragraph(0.0, tw, &p.name, 18.0, true, accent.clone());
        l.gap(4.0);
        let qr_size = 56.0;
        if let Some(w) = &p.website {
            let top = l.y;
            l.paragraph(0.0, tw - qr_size - 10.0, w, 9.5, false, accent.clone());
            let bottom = l.y;
            l.uri(
                (
                    l.margin,
                    bottom - 3.0,
                    tw - qr_size - 10.0,
                    top - bottom + 3.0,
                ),
                w,
            );
            let (qx, qy) = (l.width - l.margin - qr_size, top - qr_size + 8.0);
            l.qr(qx, qy, qr_size, w);
        }
        if let Some(c) = &p.contact {
            l.paragraph(
                0.0,
                tw - 70.0,
                &format!("Contact: {c}"),
                9.5,
                false,
                dark.clone(),
            );
        }
        if let Some(t) = &p.terms {
            l.paragraph(
                0.0,
                tw - 70.0,
                &format!("Terms of use: {t}"),
                9.5,
                false,
                dark.clone(),
            );
        }
        if let Some(pc) = &p.print {
            l.paragraph(
                0.0,
                tw - 70.0,
                &format!("Printed copies: {}", pc.contact),
                9.5,
                false,
                dark.clone(),
            );
            if let Some(n) = &pc.notes {
                l.paragraph(0.0, tw - 70.0, n, 9.5, false, grey.clone());
            }
        }
        l.y = l.y.min(l.height - l.margin - 110.0);
        l.gap(8.0);
        for s in sel {
            let (thumb, format) = match thumb_of.get(&(s.manifest, s.asset)) {
                Some((d, f)) => (Some(d), f.as_deref()),
                None => (None, None),
            };
            asset_card(&mut l, m, &m.assets[s.asset], s, today, thumb, format);
        }
    }

    // The request form.
    let form_first = l.pages.len();
    l.new_page();
    l.anchor("form");
    form::request_form(&mut l, input, &by_manifest);

    // Contents, into the reserved pages.
    {
        let mut c = Layout::new(options.paper, &regular, &bold);
        c.paragraph(0.0, tw, "Contents", 18.0, true, accent.clone());
        c.gap(10.0);
        let mut entries: Vec<(String, usize, String)> = by_manifest
            .keys()
            .map(|&mi| {
                let p = &input.manifests[mi].provider;
                let anchor = format!("provider:{}", p.id);
                let page = l.anchors.get(&anchor).copied().unwrap_or(0);
                (p.name.clone(), page, anchor)
            })
            .collect();
        entries.push((
            "Printed-materials request form".into(),
            form_first,
            "form".into(),
        ));
        for (name, page, anchor) in entries {
            c.need(18.0);
            c.y -= 18.0;
            let y = c.y;
            c.text_at(c.margin, y, &name, 11.0, false, dark.clone());
            let num = (page + 1).to_string();
            let nw = regular.width(&num, 11.0);
            c.text_at(c.width - c.margin - nw, y, &num, 11.0, false, dark.clone());
            let rect = (c.margin, y - 4.0, tw, 16.0);
            let cp = c.page();
            l.goto.push((contents_first + cp, rect, anchor));
        }
        for (i, ops) in c.pages.into_iter().enumerate().take(contents_pages) {
            l.pages[contents_first + i] = ops;
        }
    }
    l.resolve_links();

    // Footers: "Page N of M".
    let total_pages = l.pages.len();
    for i in 0..total_pages {
        let label = format!("Page {} of {}", i + 1, total_pages);
        let w = regular.width(&label, 8.0);
        let x = l.width - l.margin - w;
        let cur = std::mem::take(&mut l.pages[i]);
        let mut tmp = Layout::new(options.paper, &regular, &bold);
        tmp.pages[0] = cur;
        tmp.text_at(x, 25.0, &label, 8.0, false, grey.clone());
        let short: String = title.chars().take(70).collect();
        tmp.text_at(l.margin, 25.0, &short, 8.0, false, grey.clone());
        l.pages[i] = std::mem::take(&mut tmp.pages[0]);
    }

    // The document.
    let mut doc = PdfDocument::new(&title);
    for (bytes, f) in [(REGULAR, &regular), (BOLD, &bold)] {
        doc.resources
            .fonts
            .map
            .insert(f.id.clone(), printpdf::font::PdfFont::new(subset(bytes, f)));
    }
    let unix = edition
        .and_then(|d| d.0.with_hms(0, 0, 0).ok())
        .map_or(0, |dt| dt.assume_utc().unix_timestamp());
    let stamp = printpdf::date::DateTime::from_unix_timestamp(unix)
        .map_err(|e| IndexError::Pdf(e.to_string()))?;
    doc.metadata.info.creation_date = stamp;
    doc.metadata.info.modification_date = stamp;
    doc.metadata.info.metadata_date = stamp;
    doc.metadata.info.document_title = title.clone();
    doc.metadata.info.author = input.header.contact.clone().unwrap_or_default();
    doc.metadata.info.creator = format!("assetpack {}", env!("CARGO_PKG_VERSION"));
    doc.metadata.info.producer = format!("assetpack {}", env!("CARGO_PKG_VERSION"));
    doc.metadata.info.identifier = input.header.name.clone();
    for (id, raw) in images {
        doc.resources
            .xobjects
            .map
            .insert(id, printpdf::XObject::Image(raw));
    }
    let (w, h) = options.paper.size();
    let pages: Vec<PdfPage> = l
        .pages
        .iter()
        .map(|ops| PdfPage::new(Mm(w * 25.4 / 72.0), Mm(h * 25.4 / 72.0), ops.clone()))
        .collect();
    doc.with_pages(pages);
    for (name, page) in &bookmarks {
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
            format: Some(printpdf::ImageCompression::Flate),
        }),
        ..PdfSaveOptions::default()
    };
    let lo = doc.to_lopdf_document(&opts, &mut Vec::new());
    Ok(Index {
        pdf: form::finish(lo, &l.fields, &title, &field_font(&regular))?,
        warnings: thumb_warnings,
    })
}

/// A thumbnail ready to draw.
enum Drawn {
    Image(printpdf::XObjectId, f32, f32),
    Page(f32, String),
    Icon(String),
    Broken,
}

/// Size of the thumbnail column, in points.
const THUMB: f32 = 58.0;

fn draw_thumb(l: &mut Layout, x: f32, top: f32, thumb: Option<&Drawn>) {
    let grey = rgb(120, 120, 120);
    match thumb {
        Some(Drawn::Image(id, w, h)) => {
            let scale = THUMB / w.max(*h);
            let (dw, dh) = (w * scale, h * scale);
            let y = top - dh;
            l.image(id, x + (THUMB - dw) / 2.0, y, scale);
            l.rect(
                x + (THUMB - dw) / 2.0,
                y,
                dw,
                dh,
                None,
                Some(rgb(200, 200, 200)),
            );
        }
        Some(Drawn::Page(ratio, label)) => {
            let (w, h) = if *ratio <= 1.0 {
                (THUMB * ratio, THUMB)
            } else {
                (THUMB, THUMB / ratio)
            };
            let px = x + (THUMB - w) / 2.0;
            l.rect(
                px,
                top - h,
                w,
                h,
                Some(rgb(245, 245, 245)),
                Some(grey.clone()),
            );
            // The label fits the page outline, however narrow.
            let size = (7.0 * (w - 4.0) / l.regular.width(label, 7.0).max(1.0)).clamp(3.0, 7.0);
            let lw = l.regular.width(label, size);
            l.text_at(
                px + (w - lw) / 2.0,
                top - h / 2.0 - 2.0,
                label,
                size,
                false,
                grey,
            );
        }
        Some(Drawn::Icon(label)) => {
            l.rect(
                x + 6.0,
                top - THUMB + 6.0,
                THUMB - 12.0,
                THUMB - 12.0,
                Some(rgb(230, 236, 244)),
                None,
            );
            let lw = l.bold.width(label, 8.0);
            l.text_at(
                x + (THUMB - lw) / 2.0,
                top - THUMB / 2.0 - 3.0,
                label,
                8.0,
                true,
                rgb(0, 94, 184),
            );
        }
        Some(Drawn::Broken) | None => {
            l.rect(
                x + 6.0,
                top - THUMB + 6.0,
                THUMB - 12.0,
                THUMB - 12.0,
                Some(rgb(252, 235, 235)),
                Some(rgb(190, 30, 45)),
            );
            let lw = l.bold.width("?", 14.0);
            l.text_at(
                x + (THUMB - lw) / 2.0,
                top - THUMB / 2.0 - 5.0,
                "?",
                14.0,
                true,
                rgb(190, 30, 45),
            );
        }
    }
}

fn asset_card(
    l: &mut Layout,
    m: &Manifest,
    a: &Asset,
    s: &Selected,
    today: Option<Date>,
    thumb: Option<&Drawn>,
    format: Option<&str>,
) {
    let dark = rgb(20, 20, 20);
    let grey = rgb(90, 90, 90);
    let accent = rgb(0, 94, 184);
    let tw = l.text_width();
    let is_link = matches!(a.content, Content::Url(_));
    let qr_size = 56.0;
    // Text sits right of the thumbnail (and left of a link's QR code).
    let x0 = THUMB + 12.0;
    let text_w = if is_link { tw - qr_size - 12.0 } else { tw } - x0;
    // Keep a card's first lines together.
    l.need(THUMB + 8.0);
    let top = l.y;
    let first_page = l.page();
    let mx = l.margin;
    draw_thumb(l, mx, top - 2.0, thumb);
    l.paragraph(x0, text_w, &a.title, 11.0, true, dark.clone());
    let mut details = vec![a.kind.to_string()];
    if let Content::File(f) = &a.content {
        details.extend(format.map(str::to_owned));
        if let Some(b) = f.bytes {
            details.push(content::human_size(b));
        }
        details.push(format!("{}/{}", m.provider.id, f.file));
    }
    l.paragraph(x0, text_w, &details.join(" · "), 8.5, false, grey.clone());
    if let Some(d) = &a.description {
        l.paragraph(x0, text_w, d, 9.0, false, dark.clone());
    }
    match &a.content {
        Content::Url(u) => {
            let t = l.y;
            l.paragraph(x0, text_w, u, 9.0, false, accent.clone());
            let b = l.y;
            let m = l.margin + x0;
            l.uri((m, b - 3.0, text_w, t - b + 3.0), u);
            let (qx, qy) = (l.width - l.margin - qr_size, top - qr_size);
            l.qr(qx, qy, qr_size, u);
            if l.page() == first_page {
                l.y = l.y.min(top - qr_size - 4.0);
            }
        }
        Content::Text { text, channel } => {
            l.paragraph(x0 + 8.0, text_w - 8.0, text, 9.5, false, dark.clone());
            let count = assetpack::check::channel_length(text, channel.as_deref());
            let note = match channel
                .as_deref()
                .and_then(|c| channel_limit(c).map(|n| (c, n)))
            {
                Some((c, n)) => format!("{count} of {n} characters ({c})"),
                None => format!("{count} characters"),
            };
            l.paragraph(x0 + 8.0, text_w, &note, 8.0, false, grey.clone());
        }
        Content::File(_) => {}
    }
    if a.kind == Kind::Video || a.transcript.is_some() || a.captions.is_some() {
        let t = if a.transcript.is_some() { "yes" } else { "no" };
        let c = if a.captions.is_some() { "yes" } else { "no" };
        l.paragraph(
            x0,
            text_w,
            &format!("Transcript: {t} · Captions: {c}"),
            8.5,
            false,
            grey.clone(),
        );
    }
    let kept: Vec<&str> = a
        .renditions
        .iter()
        .filter(|r| s.renditions.as_ref().is_none_or(|k| k.contains(&r.role)))
        .map(|r| r.role.as_str())
        .collect();
    if !kept.is_empty() {
        l.paragraph(
            x0,
            text_w,
            &format!("Also as: {}", kept.join(", ")),
            8.5,
            false,
            grey.clone(),
        );
    }
    // Badges: review dates and print availability.
    let mut badges: Vec<(String, printpdf::Color)> = Vec::new();
    if let (Some(due), Some(today)) = (a.next_review_due, today) {
        if due < today {
            badges.push((format!("REVIEW OVERDUE since {due}"), rgb(190, 30, 45)));
        } else if due <= today.add_days(30) {
            badges.push((format!("REVIEW DUE {due}"), rgb(200, 110, 0)));
        }
    }
    if let Some(p) = a.print.as_ref().filter(|p| p.available) {
        let sizes = if p.sizes.is_empty() {
            String::new()
        } else {
            format!(": {}", p.sizes.join(", "))
        };
        badges.push((format!("Printed copies available{sizes}"), rgb(0, 122, 90)));
    }
    let mut dates = Vec::new();
    if let Some(d) = a.last_reviewed {
        dates.push(format!("reviewed {d}"));
    }
    if let Some(d) = a.next_review_due {
        dates.push(format!("next review {d}"));
    }
    if !dates.is_empty() {
        l.paragraph(x0, text_w, &dates.join(" · "), 8.0, false, grey.clone());
    }
    if !badges.is_empty() {
        l.need(16.0);
        l.y -= 14.0;
        let mut x = l.margin + x0;
        let y = l.y;
        for (text, color) in badges {
            let w = l.badge(x, y, &text, color);
            x += w + 6.0;
        }
    }
    // Below the thumbnail, unless the card ran onto another page.
    if l.page() == first_page {
        l.y = l.y.min(top - THUMB - 4.0);
    }
    l.gap(10.0);
    let (left, right, y) = (l.margin, l.width - l.margin, l.y + 4.0);
    l.rect(left, y, right - left, 0.4, Some(rgb(210, 210, 210)), None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_documents_in_one_process_are_identical() {
        let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../packs/bundles/north-west-spring-2027.toml");
        let (inputs, problems) =
            assetpack::build::resolve(&[spec], None).expect("the shipped bundle resolves");
        assert!(problems.iter().all(|p| !p.is_error()), "{problems:?}");
        let input = IndexInput {
            header: &inputs.header,
            manifests: &inputs.manifests,
            selected: &inputs.selected,
            manifest_sha256: Some("ab".repeat(32)),
        };
        let first = render(&input, &IndexOptions::default())
            .expect("renders")
            .pdf;
        let second = render(&input, &IndexOptions::default())
            .expect("renders")
            .pdf;
        assert!(
            first == second,
            "printpdf's process-wide state leaked into the bytes"
        );
        let letter = render(
            &input,
            &IndexOptions {
                paper: Paper::Letter,
                today: None,
            },
        )
        .expect("renders")
        .pdf;
        assert!(letter != first);
    }

    #[test]
    fn paper_names() {
        assert_eq!(paper_name(841.89, 1190.55), "A3");
        assert_eq!(paper_name(1190.55, 841.89), "A3");
        assert_eq!(paper_name(283.46, 595.28), "DL");
        assert_eq!(paper_name(100.0, 100.0), "35×35 mm");
    }
}
