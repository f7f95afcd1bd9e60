//! Thumbnails for the index: PNG and JPEG images downscaled, PDFs as an outline of their page
//! size, an icon for everything else. Made in parallel; a damaged file gets a placeholder and a
//! warning, never a failed index.

use assetpack::content::{self, FileAt};
use assetpack::manifest::{Content, Manifest};
use image::imageops::FilterType;
use printpdf::{RawImage, RawImageData, RawImageFormat};

/// Longest side of a thumbnail, in pixels (about 2 pixels per point at 72 pt).
const MAX_PX: u32 = 144;

/// What to draw beside an asset.
pub enum Thumb {
    /// A downscaled image.
    Image(RawImage),
    /// A page outline of this width and height ratio, with a label such as `A3 PDF`.
    Page { ratio: f32, label: String },
    /// An icon with a short label (`VIDEO`, `SVG`, `HTML`, `LINK`, `TEXT`).
    Icon(String),
    /// The file could not be read or decoded.
    Broken,
}

/// The thumbnail of an asset's main file, and a warning when the file is damaged.
pub fn thumbnail(m: &Manifest, content: &Content) -> (Thumb, Option<String>) {
    let file = match content {
        Content::File(f) => f,
        Content::Url(_) => return (Thumb::Icon("LINK".into()), None),
        Content::Text { .. } => return (Thumb::Icon("TEXT".into()), None),
    };
    let path = m.resolve(&file.file);
    let ext = file
        .file
        .rsplit_once('.')
        .map_or(String::new(), |(_, e)| e.to_ascii_uppercase());
    // Never blocks on a FIFO or device listed as an asset (check reports those).
    let Ok((f, len)) = content::open_regular(&path) else {
        return (
            Thumb::Broken,
            Some(format!("{}: cannot open {}", m.provider.id, file.file)),
        );
    };
    let inspected = content::inspect(&FileAt { file: &f, len }).ok();
    let media = inspected.as_ref().and_then(|i| i.media_type);
    let damaged = inspected.as_ref().and_then(|i| i.damage.clone());
    match media {
        Some("image/png" | "image/jpeg") => {
            if let Some(d) = damaged {
                return (
                    Thumb::Broken,
                    Some(format!("{}/{}: {d}", m.provider.id, file.file)),
                );
            }
            match image_thumb(&f) {
                Ok(raw) => (Thumb::Image(raw), None),
                Err(e) => (
                    Thumb::Broken,
                    Some(format!(
                        "{}/{}: cannot decode the image ({e})",
                        m.provider.id, file.file
                    )),
                ),
            }
        }
        Some("application/pdf") => {
            if let Some(d) = damaged {
                return (
                    Thumb::Broken,
                    Some(format!("{}/{}: {d}", m.provider.id, file.file)),
                );
            }
            if len <= MAX_PDF_BYTES {
                let mut bytes = Vec::with_capacity(len as usize);
                let read = std::io::Read::read_to_end(&mut &f, &mut bytes);
                if let Some(raw) = read.ok().and_then(|_| pdf_thumb(bytes)) {
                    return (Thumb::Image(raw), None);
                }
            }
            let (w, h) = crate::page_size(&f, len).unwrap_or((595.28, 841.89));
            (
                Thumb::Page {
                    ratio: w / h.max(1.0),
                    label: crate::paper_name(w, h),
                },
                None,
            )
        }
        Some(t) if t.starts_with("video/") => (Thumb::Icon("VIDEO".into()), None),
        _ => (
            Thumb::Icon(if ext.is_empty() { "FILE".into() } else { ext }),
            None,
        ),
    }
}

/// PDFs larger than this get an outline instead of a rendering (the renderer needs the whole
/// file in memory).
const MAX_PDF_BYTES: u64 = 64 << 20;

/// The first page of a PDF rendered with hayro (pure Rust), or `None` when it cannot be.
fn pdf_thumb(bytes: Vec<u8>) -> Option<RawImage> {
    use hayro::hayro_interpret::InterpreterSettings;
    use hayro::hayro_syntax::Pdf;
    use hayro::vello_cpu::color::palette::css::WHITE;
    use hayro::{render, PixmapSettings, RenderCache, RenderSettings};
    // A hostile PDF must cost a placeholder, never the index.
    std::panic::catch_unwind(move || {
        let pdf = Pdf::new(bytes).ok()?;
        let pages = pdf.pages();
        let page = pages.first()?;
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
        let png = pixmap.into_png().ok()?;
        let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png).ok()?;
        Some(raw_rgb(&img))
    })
    .ok()
    .flatten()
}

fn image_thumb(file: &std::fs::File) -> Result<RawImage, String> {
    let mut file = file;
    std::io::Seek::rewind(&mut file).map_err(|e| e.to_string())?;
    let reader = image::ImageReader::new(std::io::BufReader::new(file))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let img = reader.decode().map_err(|e| e.to_string())?;
    let small = if img.width() > MAX_PX || img.height() > MAX_PX {
        img.resize(MAX_PX, MAX_PX, FilterType::Triangle)
    } else {
        img
    };
    Ok(raw_rgb(&small))
}

/// An image as 8-bit RGB pixels for the PDF.
fn raw_rgb(img: &image::DynamicImage) -> RawImage {
    let rgb = img.to_rgb8();
    RawImage {
        width: rgb.width() as usize,
        height: rgb.height() as usize,
        pixels: RawImageData::U8(rgb.into_raw()),
        data_format: RawImageFormat::RGB8,
        tag: Vec::new(),
    }
}
