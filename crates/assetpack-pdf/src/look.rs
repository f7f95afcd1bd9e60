//! A look at each asset's main file, once, before the layout: what to draw beside it (an
//! image downscaled, a PDF's first page rendered, a page outline, an icon), what to call it
//! (`A3 PDF`, `1200×630 px PNG`, `MP4 video, 0:42`), and a warning when it is damaged or is
//! not what its name says. A damaged file gets a placeholder, never a failed index.

use std::io::Read;

use crate::kept::Kept;
use crate::thumb::{self, Pixels, Samples};
use assetpack::cache::Cache;
use assetpack::content::{self, Inspection};
use assetpack::files::{self, Opened};
use assetpack::manifest::{Content, FileRef, Manifest};

/// Longest side of a thumbnail, in pixels (about 2.5 pixels per point in the PDF, one pixel per
/// CSS pixel in the catalogue).
pub const MAX_PX: u32 = 144;

/// PDFs larger than this get an outline of unknown size instead of a rendering: the parser
/// needs the whole file in memory.
const MAX_PDF_BYTES: u64 = 64 << 20;

/// What to draw beside an asset.
pub enum Thumb {
    /// A downscaled image, 8-bit RGB.
    Image(Pixels),
    /// A page outline of this width and height ratio, with a label such as `A3 PDF`.
    Page { ratio: f32, label: String },
    /// An icon with a short label (`VIDEO`, `SVG`, `HTML`, `LINK`, `TEXT`).
    Icon(String),
    /// The file could not be read or decoded, or is not what its name says.
    Broken,
}

/// What the look at one asset found.
pub struct Look {
    /// What to draw.
    pub thumb: Thumb,
    /// What the file is, for people; `None` for links and messages.
    pub format: Option<String>,
    /// Why a placeholder stands in for the file, naming provider and file.
    pub warning: Option<String>,
    /// What the file is, when it is sound and named for what it is.
    pub media_type: Option<&'static str>,
    /// The file can stand as its own thumbnail in a browser: an SVG, or a PNG or JPEG no
    /// larger than a thumbnail.
    pub direct: bool,
    /// An image's size in pixels, from its header.
    pub pixels: Option<(u32, u32)>,
}

impl Look {
    fn icon(label: &str, format: Option<String>) -> Look {
        Look {
            thumb: Thumb::Icon(label.into()),
            format,
            warning: None,
            media_type: None,
            direct: false,
            pixels: None,
        }
    }

    fn broken(format: String, warning: String) -> Look {
        Look {
            thumb: Thumb::Broken,
            format: Some(format),
            warning: Some(warning),
            media_type: None,
            direct: false,
            pixels: None,
        }
    }
}

/// Looks at the main file of an asset of `m` (see the module docs), opened through `cache`
/// when the build has one. Without `pixels` (no PDF to draw them in), an image that can stand
/// as its own thumbnail is not decoded.
pub fn look(m: &Manifest, content: &Content, pixels: bool, cache: Option<&Cache>) -> Look {
    match content {
        Content::File(f) => look_at_file(m, f, pixels, cache),
        Content::Url(_) => Look::icon("LINK", None),
        Content::Text { .. } => Look::icon("TEXT", None),
        _ => Look::icon("OTHER", None),
    }
}

/// Opens an asset's file: through the cache when there is one and the manifest records the
/// file's SHA-256 and size ([`FileRef::recorded`]: the cache keeps nothing else), else where
/// it is.
fn open(m: &Manifest, file: &FileRef, cache: Option<&Cache>) -> std::io::Result<Opened> {
    match cache.zip(file.recorded()) {
        Some((cache, (sha256, len))) => cache.open((&m.base, &file.file), sha256, len),
        None => files::open(&m.base, &file.file),
    }
}

fn look_at_file(m: &Manifest, file: &FileRef, pixels: bool, cache: Option<&Cache>) -> Look {
    let name = format!("{}/{}", m.provider.id, file.file);
    let ext = file
        .file
        .rsplit_once('.')
        .map_or(String::new(), |(_, e)| e.to_ascii_uppercase());
    // Never blocks on a FIFO or device listed as an asset, never leaves `base` through a link
    // (check reports both).
    let Ok(mut f) = open(m, file, cache) else {
        return Look::broken(ext, format!("{name}: cannot open the file"));
    };
    let len = f.len();
    let Ok(found) = content::inspect(&f) else {
        return Look::broken(ext, format!("{name}: cannot read the file"));
    };
    if let Some(why) = misnamed(&file.file, &found) {
        return Look::broken(ext, format!("{name}: {why}"));
    }
    let kept = crate::kept::of(cache, file, len);
    match found.media_type {
        Some("image/png" | "image/jpeg") => {
            look_at_image(&mut f, &found, (&name, ext), pixels, kept.as_ref())
        }
        Some("application/pdf") => look_at_pdf(&mut f, len, &found, &name, kept.as_ref()),
        Some(t) if t.starts_with("video/") => {
            let format = match content::mp4_duration(&f) {
                Some(secs) => {
                    let secs = secs.round() as u64;
                    format!("{ext} video, {}:{:02}", secs / 60, secs % 60)
                }
                None => format!("{ext} video"),
            };
            Look::icon("VIDEO", Some(format))
        }
        // A browser shows an SVG itself, scripts off, inside an `<img>`.
        Some(t @ "image/svg+xml")
            if found.damage.is_none() && content::media_type_for_path(&file.file) == Some(t) =>
        {
            Look {
                media_type: Some(t),
                direct: true,
                ..Look::icon("SVG", Some("SVG".into()))
            }
        }
        _ => Look::icon(
            if ext.is_empty() { "FILE" } else { &ext },
            Some(ext.clone()),
        ),
    }
}

/// Why a file named as an image or a PDF is not one (a text file named `.png`, an error page
/// saved as `.pdf`).
fn misnamed(file: &str, found: &Inspection) -> Option<String> {
    let expected = content::media_type_for_path(file)?;
    if !matches!(expected, "image/png" | "image/jpeg" | "application/pdf") {
        return None;
    }
    match found.media_type {
        Some(t) if content::satisfies(t, expected) => None,
        Some(t) => Some(format!("named as {expected} but its content is {t}")),
        None => Some(format!(
            "named as {expected} but its content is not a recognised type"
        )),
    }
}

/// Looks at a PNG or JPEG (`name` and `ext` say which file), decoding it for its thumbnail
/// unless `kept` has one.
fn look_at_image(
    f: &mut Opened,
    found: &Inspection,
    (name, ext): (&str, String),
    pixels: bool,
    kept: Option<&Kept>,
) -> Look {
    let format = match found.pixels {
        Some((w, h)) => format!("{w}×{h} px {ext}"),
        None => ext.clone(),
    };
    if let Some(d) = &found.damage {
        return Look::broken(format, format!("{name}: {d}"));
    }
    let small = found.pixels.is_some_and(|(w, h)| w.max(h) <= MAX_PX);
    if small && !pixels {
        return Look {
            media_type: found.media_type,
            direct: true,
            pixels: found.pixels,
            ..Look::icon(&ext, Some(format))
        };
    }
    let decoded = match kept {
        Some(kept) => kept.image(|| thumb::of_image(f, MAX_PX)),
        None => thumb::of_image(f, MAX_PX),
    };
    match decoded {
        Ok(pixels) => Look {
            thumb: Thumb::Image(pixels),
            format: Some(format),
            warning: None,
            media_type: found.media_type,
            direct: small,
            pixels: found.pixels,
        },
        Err(e) => Look::broken(format, format!("{name}: cannot decode the image ({e})")),
    }
}

/// Looks at a PDF: its first page's size, and its rendering unless `kept` has one.
fn look_at_pdf(
    f: &mut Opened,
    len: u64,
    found: &Inspection,
    name: &str,
    kept: Option<&Kept>,
) -> Look {
    if let Some(d) = &found.damage {
        return Look::broken("PDF".into(), format!("{name}: {d}"));
    }
    if len > MAX_PDF_BYTES {
        return outline(None);
    }
    let mut parse = || {
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).ok()?;
        parse_first_page(bytes)
    };
    let page = match kept {
        Some(kept) => kept.first_page(parse),
        None => parse(),
    };
    match page {
        Some(FirstPage {
            size,
            image: Some(pixels),
        }) => Look {
            thumb: Thumb::Image(pixels),
            format: Some(format!("{} PDF", paper_name(size.0, size.1))),
            warning: None,
            media_type: Some("application/pdf"),
            direct: false,
            pixels: None,
        },
        Some(FirstPage { size, image: None }) => outline(Some(size)),
        None => outline(None),
    }
}

/// A page outline: of the page's size and named after it, or A4-shaped and plain `PDF`.
fn outline(size: Option<(f32, f32)>) -> Look {
    let (w, h) = size.unwrap_or((595.28, 841.89));
    let label = size.map_or("PDF".to_owned(), |(w, h)| paper_name(w, h));
    Look {
        thumb: Thumb::Page {
            ratio: w / h.max(1.0),
            label: label.clone(),
        },
        format: Some(if size.is_some() {
            format!("{label} PDF")
        } else {
            label
        }),
        warning: None,
        media_type: Some("application/pdf"),
        direct: false,
        pixels: None,
    }
}

/// A PDF's first page: its size in points and its rendering.
pub(crate) struct FirstPage {
    pub size: (f32, f32),
    pub image: Option<Pixels>,
}

/// Parses the PDF with hayro's syntax layer (which follows inherited page attributes and
/// reads compressed object streams) and renders its first page; `None` when it cannot be
/// parsed. The size is the page's crop box within its media box.
fn parse_first_page(bytes: Vec<u8>) -> Option<FirstPage> {
    use hayro::hayro_syntax::Pdf;
    // A hostile PDF must cost a placeholder, never the index.
    std::panic::catch_unwind(move || {
        let pdf = Pdf::new(bytes).ok()?;
        let pages = pdf.pages();
        let page = pages.first()?;
        Some(FirstPage {
            size: page.base_dimensions(),
            image: render_page(page),
        })
    })
    .ok()
    .flatten()
}

fn render_page(page: &hayro::hayro_syntax::page::Page) -> Option<Pixels> {
    use hayro::hayro_interpret::InterpreterSettings;
    use hayro::vello_cpu::color::palette::css::WHITE;
    use hayro::{render, PixmapSettings, RenderCache, RenderSettings};
    let (w, h) = page.render_dimensions();
    let scale = MAX_PX as f32 / w.max(h).max(1.0);
    let pixmap = render(
        page,
        &RenderCache::new(),
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &PixmapSettings {
            x_scale: scale,
            y_scale: scale,
            bg_color: WHITE,
        },
    );
    let (w, h) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    // Drawn on white, so every pixel is opaque and its premultiplied samples are its own.
    let rgba = pixmap.data_as_u8_slice();
    Some(thumb::of_rows(rgba, w, h, Samples::Rgba, MAX_PX))
}

/// A paper name for a page size in points (either way round), or its size in millimetres.
pub(crate) fn paper_name(w: f32, h: f32) -> String {
    use assetpack::preflight::paper::{nearest, Size, MM_PER_PT};
    let (w, h) = (f64::from(w) * MM_PER_PT, f64::from(h) * MM_PER_PT);
    match nearest(Size::new(w, h)) {
        (name, true) => name.to_owned(),
        _ => format!("{w:.0}×{h:.0} mm"),
    }
}
