//! Preflight (`check --preflight`): what printers and accessibility auditors would reject,
//! found before a pack is built. Each rule reads only what it needs: a PDF's page boxes, font
//! dictionaries and first-page images ([`pdf`]), an image's header, an HTML signature's tags,
//! an MP4's boxes ([`web`]). Every finding is a [`Problem`] with a code and a fix, located at
//! the asset in its manifest.
//!
//! Print assets (printed copies available, or kind poster, flyer, postcard, bookmark, table
//! talker, banner): page size against each declared size ([`paper`]), effective resolution at
//! the largest declared size, fonts not embedded, RGB-only images, unreadable or encrypted
//! PDFs, page counts. Digital assets: social card shapes and sizes, HTML email signatures,
//! video containers and codecs.

pub mod paper;
pub mod pdf;
pub mod web;

use crate::content;
use crate::files::{self, Opened};
use crate::manifest::{Asset, Content, FileRef, Kind, Manifest};
use crate::problem::{Code, Problem};
use paper::{Fit, Size};

/// PDFs larger than this are not preflighted (the parser needs the whole file in memory).
const MAX_PDF_BYTES: u64 = 256 << 20;

/// Effective resolution below which a print asset is a warning, and an error.
const GOOD_PPI: f64 = 300.0;
const POOR_PPI: f64 = 150.0;

/// What preflight can be told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreflightOptions {
    /// The shapes social cards are judged against ([`web::default_shapes`] unless told).
    pub social_shapes: Vec<web::Shape>,
}

impl Default for PreflightOptions {
    fn default() -> Self {
        PreflightOptions {
            social_shapes: web::default_shapes(),
        }
    }
}

/// Preflights every asset of `m`.
pub fn manifest(m: &Manifest, options: &PreflightOptions) -> Vec<Problem> {
    use rayon::prelude::*;
    m.assets
        .par_iter()
        .flat_map_iter(|a| asset(m, a, options))
        .collect()
}

/// Preflights one asset of `m`.
pub fn asset(m: &Manifest, a: &Asset, options: &PreflightOptions) -> Vec<Problem> {
    let Content::File(f) = &a.content else {
        return Vec::new();
    };
    let mut out = Findings {
        m,
        a,
        found: Vec::new(),
    };
    let Ok(mut file) = files::open(&m.base, &f.file) else {
        return Vec::new(); // `check` reports a missing or unsafe file
    };
    let len = file.len();
    let Ok(found) = content::inspect(&file) else {
        return Vec::new();
    };
    let media = found.media_type.unwrap_or_default();
    if is_print(a) {
        let sizes = out.declared_sizes();
        match media {
            "application/pdf" => out.print_pdf(&mut file, len, &sizes),
            "image/png" | "image/jpeg" => {
                if let Some(px) = found.pixels {
                    out.raster(px, &sizes, "the image");
                }
            }
            _ => {}
        }
    }
    match (a.kind, media) {
        (Kind::SocialCard, "image/png" | "image/jpeg") => {
            if let Some(px) = found.pixels {
                out.found.extend(
                    web::social_card(px, len, &options.social_shapes)
                        .map(|(msg, fix)| out_problem(m, a, Code::SocialCardShape, msg, fix)),
                );
            }
        }
        (Kind::EmailSignature, "text/html") => {
            out.found.extend(
                web::signature(&file)
                    .into_iter()
                    .map(|(code, msg, fix)| out_problem(m, a, code, msg, fix)),
            );
        }
        (_, t) if t.starts_with("video/") => {
            if let Some((msg, fix)) = web::video(&file) {
                out.found
                    .push(out_problem(m, a, Code::VideoFormat, msg, fix));
            }
        }
        _ => {}
    }
    out.found
}

/// Whether an asset is meant for print.
fn is_print(a: &Asset) -> bool {
    a.print.as_ref().is_some_and(|p| p.available)
        || matches!(
            a.kind,
            Kind::Poster
                | Kind::Flyer
                | Kind::Postcard
                | Kind::Bookmark
                | Kind::TableTalker
                | Kind::Banner
        )
}

fn out_problem(m: &Manifest, a: &Asset, code: Code, message: String, fix: String) -> Problem {
    let file = match &a.content {
        Content::File(FileRef { file, .. }) => Some(file.clone()),
        _ => None,
    };
    let mut p = Problem::new(code, message, fix);
    if let Some(f) = file {
        p = p.with_file(f);
    }
    m.problem(Some(a), "file", p)
}

/// The findings on one asset, as they are made.
struct Findings<'a> {
    m: &'a Manifest,
    a: &'a Asset,
    found: Vec<Problem>,
}

impl Findings<'_> {
    fn say(&mut self, code: Code, message: String, fix: impl Into<String>) {
        let p = out_problem(self.m, self.a, code, message, fix.into());
        self.found.push(p);
    }

    /// The declared print sizes that parse, with one error for each that does not.
    fn declared_sizes(&mut self) -> Vec<(String, Size)> {
        let sizes = self
            .a
            .print
            .as_ref()
            .map(|p| p.sizes.clone())
            .unwrap_or_default();
        let mut out = Vec::new();
        for name in sizes {
            match paper::parse(&name) {
                Some(size) => out.push((name, size)),
                None => {
                    let p = Problem::new(
                        Code::PrintSizeUnknown,
                        format!("the print size `{name}` is neither a known paper size nor `<width>x<height>mm`"),
                        "write A0–A6, DL, bookmark, or a size such as \"210x99mm\"",
                    );
                    self.found
                        .push(self.m.problem(Some(self.a), "print.sizes", p));
                }
            }
        }
        out
    }

    fn print_pdf(&mut self, file: &mut Opened, len: u64, sizes: &[(String, Size)]) {
        if len > MAX_PDF_BYTES {
            return;
        }
        let mut bytes = Vec::with_capacity(len as usize);
        if std::io::Read::read_to_end(file, &mut bytes).is_err() {
            return;
        }
        let facts = match pdf::facts(bytes) {
            Ok(f) => f,
            Err(why) => {
                let (msg, fix) = match why {
                    pdf::Unreadable::Encrypted => (
                        "the PDF is encrypted: print workflows refuse it",
                        "export it again without a password or permissions",
                    ),
                    pdf::Unreadable::Unparsable => (
                        "the PDF cannot be parsed",
                        "export it again from the design program",
                    ),
                };
                return self.say(Code::PdfUnreadable, msg.into(), fix);
            }
        };
        if let Some(trim) = facts.trim {
            self.page_size(trim, sizes);
        }
        self.page_count(facts.pages);
        if !facts.unembedded.is_empty() {
            self.say(
                Code::FontNotEmbedded,
                format!(
                    "the PDF uses fonts it does not embed: {}",
                    facts.unembedded.join(", ")
                ),
                "export the PDF with all fonts embedded (PDF/X does it)",
            );
        }
        self.pdf_images(&facts, sizes);
    }

    /// The first page against each declared size; the nearest named size when none is declared.
    fn page_size(&mut self, trim: Size, sizes: &[(String, Size)]) {
        if sizes.is_empty() {
            let (name, exact) = paper::nearest(trim);
            let nearest = if exact {
                format!("it is {name}")
            } else {
                format!("the nearest named size is {name}")
            };
            return self.say(
                Code::PrintSizeMeasured,
                format!("the page is {}; {nearest}", trim.describe()),
                "declare the sizes printed copies come in: print = { available = true, sizes = [\"A4\"] }",
            );
        }
        for (name, size) in sizes {
            if paper::fit(trim, *size) == Fit::Other {
                self.say(
                    Code::PrintSizeMismatch,
                    format!(
                        "the page is {} but `{name}` is {}: other proportions, so it cannot be printed at that size without cropping or borders",
                        trim.describe(),
                        size.describe()
                    ),
                    "supply artwork at that size, or declare the size the artwork is",
                );
            }
        }
    }

    fn page_count(&mut self, pages: usize) {
        let (range, kind) = match self.a.kind {
            Kind::Poster | Kind::Postcard | Kind::TableTalker => (1..=2, self.a.kind),
            Kind::Bookmark => (2..=2, Kind::Bookmark),
            Kind::Flyer => (1..=4, Kind::Flyer),
            _ => return,
        };
        if !range.contains(&pages) {
            let want = if range.start() == range.end() {
                range.start().to_string()
            } else {
                format!("{}–{}", range.start(), range.end())
            };
            self.say(
                Code::PageCount,
                format!("the PDF has {pages} page(s); a {kind} usually has {want}"),
                "check that this is the print file, not a proof sheet or a booklet",
            );
        }
    }

    /// The first page's images at the largest declared size (else the page's own), and
    /// whether they are all RGB.
    fn pdf_images(&mut self, facts: &pdf::PdfFacts, sizes: &[(String, Size)]) {
        let Some(trim) = facts.trim else { return };
        let largest = sizes.iter().map(|(_, s)| s.long).fold(trim.long, f64::max);
        let scale = largest / trim.long.max(0.01);
        for image in &facts.images {
            let inches = |pt: f64| pt / 72.0 * scale;
            let (w, h) = (f64::from(image.pixels.0), f64::from(image.pixels.1));
            let ppi =
                (w / inches(image.points.0).max(0.01)).min(h / inches(image.points.1).max(0.01));
            let how = if image.measured {
                "placed"
            } else {
                "taken as covering the page"
            };
            let what = format!("an image of {}×{} px {how}", image.pixels.0, image.pixels.1);
            self.resolution(ppi, &what, largest);
        }
        if !facts.images.is_empty() && facts.images.iter().all(|i| i.rgb) {
            self.say(
                Code::RgbOnly,
                "the PDF's images are RGB: the printer converts them to CMYK, and colours may shift".into(),
                "if colour matters, export with the printer's CMYK profile",
            );
        }
    }

    /// A raster file printed at the largest declared size.
    fn raster(&mut self, (w, h): (u32, u32), sizes: &[(String, Size)], what: &str) {
        let Some(largest) = sizes
            .iter()
            .map(|(_, s)| *s)
            .max_by(|a, b| a.long.total_cmp(&b.long))
        else {
            return;
        };
        let px = Size::new(f64::from(w), f64::from(h));
        let ppi = (px.short / (largest.short / 25.4)).min(px.long / (largest.long / 25.4));
        self.resolution(ppi, &format!("{what} ({w}×{h} px)"), largest.long);
    }

    fn resolution(&mut self, ppi: f64, what: &str, long_mm: f64) {
        // A4 at 300 ppi is 2480 × 3508 px, 299.97 ppi across: sizes are rounded to pixels.
        if ppi >= GOOD_PPI * 0.995 {
            return;
        }
        let code = if ppi < POOR_PPI {
            Code::UnprintableResolution
        } else {
            Code::LowResolution
        };
        self.say(
            code,
            format!("{what} prints at {ppi:.0} pixels per inch at the largest size ({long_mm:.0} mm long); printers want 300"),
            "supply higher-resolution artwork, or offer a smaller print size",
        );
    }
}
