//! What preflight reads from a PDF, and nothing more: the page count, the first page's boxes,
//! the fonts each page uses and whether they are embedded, and the images the first page
//! places with the size they are placed at. Read with hayro's syntax layer (which follows
//! inherited page attributes and reads compressed object streams).

use hayro_syntax::content::ops::TypedInstruction;
use hayro_syntax::object::{Dict, Name, Rect, Stream};
use hayro_syntax::page::Page;
use hayro_syntax::Pdf;

use super::paper::{Size, MM_PER_PT};

/// What a PDF says about itself, for preflight.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PdfFacts {
    /// Pages.
    pub pages: usize,
    /// The first page's trimmed size (TrimBox, else the crop box within the MediaBox).
    pub trim: Option<Size>,
    /// Names of fonts used but not embedded (each once).
    pub unembedded: Vec<String>,
    /// Images on the first page: pixels wide and high, and the size placed at in points
    /// (the page's size when the placement cannot be read), with whether they are RGB.
    pub images: Vec<Placed>,
}

/// An image drawn on a page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placed {
    /// Pixels wide and high.
    pub pixels: (u32, u32),
    /// Width and height placed at, in points.
    pub points: (f64, f64),
    /// True when the placement was read from the content stream (else the page's size).
    pub measured: bool,
    /// True when its colour space is DeviceRGB.
    pub rgb: bool,
}

/// What makes a PDF accessible, for the readiness report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accessible {
    /// Tagged: the catalog has a structure tree (`/StructTreeRoot`).
    pub tagged: bool,
    /// A title in the document information (`/Title`, not empty).
    pub titled: bool,
    /// A language in the catalog (`/Lang`).
    pub language: bool,
}

/// Reads what makes `bytes` accessible; `None` when it is encrypted or does not parse.
pub fn accessible(bytes: Vec<u8>) -> Option<Accessible> {
    if encrypted(&bytes) {
        return None;
    }
    std::panic::catch_unwind(move || {
        let pdf = Pdf::new(bytes).ok()?;
        let catalog = pdf.xref().get::<Dict>(pdf.xref().root_id())?;
        let title = pdf.metadata().title.as_deref().unwrap_or_default();
        Some(Accessible {
            tagged: catalog.contains_key(b"StructTreeRoot".as_slice()),
            titled: title.iter().any(|b| !b.is_ascii_whitespace() && *b != 0),
            language: catalog.contains_key(b"Lang".as_slice()),
        })
    })
    .ok()
    .flatten()
}

/// Why a PDF cannot be preflighted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// The PDF has an `/Encrypt` dictionary.
    Encrypted,
    /// It cannot be parsed, or has no page.
    Unparsable,
}

/// Reads `bytes` as a PDF. A hostile file costs an error, never a panic (the parser is
/// guarded).
pub fn facts(bytes: Vec<u8>) -> Result<PdfFacts, Unreadable> {
    if encrypted(&bytes) {
        return Err(Unreadable::Encrypted);
    }
    std::panic::catch_unwind(move || {
        let pdf = Pdf::new(bytes).map_err(|_| Unreadable::Unparsable)?;
        let pages = pdf.pages();
        let first = pages.first().ok_or(Unreadable::Unparsable)?;
        let mut unembedded = Vec::new();
        for page in pages.iter() {
            unembedded_fonts(page, &mut unembedded);
        }
        Ok(PdfFacts {
            pages: pages.len(),
            trim: Some(trim_size(first)),
            unembedded,
            images: placed_images(first),
        })
    })
    .unwrap_or(Err(Unreadable::Unparsable))
}

/// An `/Encrypt` entry in a trailer or cross-reference stream: readers may open the file with
/// an empty password, printers' workflows refuse it.
fn encrypted(bytes: &[u8]) -> bool {
    bytes.windows(8).any(|w| w == b"/Encrypt")
}

fn rect_size(r: Rect) -> Size {
    Size::new(
        (r.x1 - r.x0).abs() * MM_PER_PT,
        (r.y1 - r.y0).abs() * MM_PER_PT,
    )
}

fn trim_size(page: &Page) -> Size {
    match page.raw().get::<Rect>(b"TrimBox".as_slice()) {
        Some(r) => rect_size(r),
        None => rect_size(page.intersected_crop_box()),
    }
}

/// The page's fonts (and those of its form XObjects, one level down) with no font file.
fn unembedded_fonts(page: &Page, out: &mut Vec<String>) {
    let mut dicts = vec![page.resources().fonts.clone()];
    let xobjects = &page.resources().x_objects;
    for key in xobjects.keys() {
        let Some(stream) = xobjects.get::<Stream>(&*key) else {
            continue;
        };
        let inner = stream.dict().get::<Dict>(b"Resources".as_slice());
        if let Some(fonts) = inner.and_then(|r| r.get::<Dict>(b"Font".as_slice())) {
            dicts.push(fonts);
        }
    }
    for fonts in dicts {
        for key in fonts.keys() {
            let Some(font) = fonts.get::<Dict>(&*key) else {
                continue;
            };
            if !embedded(&font) {
                let name = font
                    .get::<Name>(b"BaseFont".as_slice())
                    .map_or_else(|| "(unnamed)".to_owned(), |n| n.as_str().to_owned());
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
    }
}

/// A font is embedded when its descriptor (a Type 0 font's: its descendant's) has a font file;
/// a Type 3 font is drawn by the PDF itself.
fn embedded(font: &Dict) -> bool {
    let subtype = font.get::<Name>(b"Subtype".as_slice());
    if subtype.as_deref() == Some(b"Type3".as_slice()) {
        return true;
    }
    let descriptor = match font.get::<hayro_syntax::object::Array>(b"DescendantFonts".as_slice()) {
        Some(descendants) => descendants
            .iter::<Dict>()
            .next()
            .and_then(|d| d.get::<Dict>(b"FontDescriptor".as_slice())),
        None => font.get::<Dict>(b"FontDescriptor".as_slice()),
    };
    descriptor.is_some_and(|d| {
        ["FontFile", "FontFile2", "FontFile3"]
            .iter()
            .any(|k| d.contains_key(k.as_bytes()))
    })
}

/// The images the first page draws, with the size each is drawn at: the current transform
/// maps the unit square to the image, so its column lengths are the placed width and height.
fn placed_images(page: &Page) -> Vec<Placed> {
    let mut out = Vec::new();
    let mut stack: Vec<[f64; 6]> = Vec::new();
    let mut ctm = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
    let mut ops = page.typed_operations();
    let mut budget = 1_000_000usize;
    while let Some(op) = ops.next() {
        budget -= 1;
        if budget == 0 {
            break;
        }
        match op {
            TypedInstruction::SaveState(_) => stack.push(ctm),
            TypedInstruction::RestoreState(_) => ctm = stack.pop().unwrap_or(ctm),
            TypedInstruction::Transform(t) => {
                let m = [t.0, t.1, t.2, t.3, t.4, t.5].map(|n| f64::from(n.as_f32()));
                ctm = multiply(m, ctm);
            }
            TypedInstruction::XObject(x) => {
                if let Some(image) = image_info(page, x.0) {
                    let w = ctm[0].hypot(ctm[1]);
                    let h = ctm[2].hypot(ctm[3]);
                    out.push(Placed {
                        points: (w, h),
                        measured: true,
                        ..image
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// `a` then `b`: PDF's row-vector matrices `[a b c d e f]`.
fn multiply(a: [f64; 6], b: [f64; 6]) -> [f64; 6] {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

/// An image XObject's pixels and colour, placed (for now) over the whole page.
fn image_info(page: &Page, name: &Name) -> Option<Placed> {
    let stream = page.resources().get_x_object(name)?;
    let d = stream.dict();
    if d.get::<Name>(b"Subtype".as_slice()).as_deref() != Some(b"Image".as_slice()) {
        return None;
    }
    let w = d.get::<u32>(b"Width".as_slice())?;
    let h = d.get::<u32>(b"Height".as_slice())?;
    let space = d.get::<Name>(b"ColorSpace".as_slice());
    let rgb = space.as_deref() == Some(b"DeviceRGB".as_slice());
    let page_size = rect_size(page.intersected_crop_box());
    Some(Placed {
        pixels: (w, h),
        points: (page_size.short / MM_PER_PT, page_size.long / MM_PER_PT),
        measured: false,
        rgb,
    })
}
