//! One-page PDFs at a paper size, with text, an image and a body of artwork bytes, written
//! by lopdf in three styles real producers use.

use std::io::{self, Write};

use flate2::write::ZlibEncoder;
use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, ObjectId, Stream};

use crate::noise::Noise;

/// How a PDF is laid out. Readers must handle all three: page sizes read by a byte search
/// for `/MediaBox` find nothing in the last two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PdfStyle {
    /// A cross-reference table; the page carries its own `/MediaBox`.
    Classic,
    /// A cross-reference table; the page inherits `/MediaBox` from its `/Pages` node.
    Inherited,
    /// Objects in compressed object streams with a cross-reference stream (as pdflatex and
    /// most current producers write), `/MediaBox` inherited.
    ObjectStreams,
}

impl PdfStyle {
    /// Every style, in the order the national layout cycles through them.
    pub const ALL: [PdfStyle; 3] = [
        PdfStyle::Classic,
        PdfStyle::Inherited,
        PdfStyle::ObjectStreams,
    ];
}

/// What one PDF holds.
#[derive(Clone, Debug)]
pub(crate) struct PdfSpec {
    /// Page width and height in points.
    pub(crate) page: (f32, f32),
    pub(crate) title: String,
    pub(crate) colour: [u8; 3],
    /// About how large the file is (at least a few kilobytes).
    pub(crate) bytes: u64,
    pub(crate) style: PdfStyle,
}

/// Writes the PDF `spec` describes.
pub(crate) fn write<W: Write>(out: &mut W, spec: &PdfSpec, rng: &mut Noise) -> io::Result<()> {
    let mut doc = document(spec)?;
    let mut bare = Vec::new();
    save(&mut doc.clone(), spec.style, &mut bare)?;
    // The artwork: an embedded stream of incompressible bytes, as a placed photograph is.
    let pad = spec.bytes.saturating_sub(bare.len() as u64 + 64) as usize;
    if pad > 0 {
        doc.add_object(Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 1.into(), 1.into()] },
            rng.bytes(pad),
        ));
    }
    save(&mut doc, spec.style, out)
}

fn save<W: Write>(doc: &mut Document, style: PdfStyle, out: &mut W) -> io::Result<()> {
    match style {
        PdfStyle::ObjectStreams => doc.save_modern(out),
        PdfStyle::Classic | PdfStyle::Inherited => doc.save_to(out),
    }
}

fn document(spec: &PdfSpec) -> io::Result<Document> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let image_id = doc.add_object(image(spec.colour)?);
    let content = page_content(spec).encode().map_err(io::Error::other)?;
    let content_id = doc.add_object(Stream::new(dictionary! {}, content));
    let media_box = media_box(spec.page);
    let mut page = dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => dictionary! {
            "Font" => dictionary! { "F1" => font_id },
            "XObject" => dictionary! { "Im1" => image_id },
        },
    };
    let mut pages = dictionary! { "Type" => "Pages", "Kids" => vec![Object::Reference(ObjectId::default())], "Count" => 1 };
    match spec.style {
        PdfStyle::Classic => page.set("MediaBox", media_box),
        PdfStyle::Inherited | PdfStyle::ObjectStreams => pages.set("MediaBox", media_box),
    }
    let page_id = doc.add_object(page);
    pages.set("Kids", vec![Object::Reference(page_id)]);
    doc.objects.insert(pages_id, Object::Dictionary(pages));
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    let info_id = doc.add_object(dictionary! {
        "Title" => Object::string_literal(win_ansi(&spec.title)),
        "Producer" => Object::string_literal("assetpack-corpus"),
    });
    doc.trailer.set("Root", catalog_id);
    doc.trailer.set("Info", info_id);
    Ok(doc)
}

fn media_box((w, h): (f32, f32)) -> Vec<Object> {
    vec![0.into(), 0.into(), Object::Real(w), Object::Real(h)]
}

/// A brand-colour gradient in the top half of the page, the title below it.
fn page_content(spec: &PdfSpec) -> Content {
    let (w, h) = spec.page;
    let size = (w / 24.0).max(9.0);
    let op = |name: &str, operands: Vec<Object>| Operation::new(name, operands);
    Content {
        operations: vec![
            op("q", vec![]),
            op(
                "cm",
                vec![
                    Object::Real(w),
                    0.into(),
                    0.into(),
                    Object::Real(h / 2.0),
                    0.into(),
                    Object::Real(h / 2.0),
                ],
            ),
            op("Do", vec![Object::Name(b"Im1".to_vec())]),
            op("Q", vec![]),
            op("BT", vec![]),
            op("Tf", vec![Object::Name(b"F1".to_vec()), Object::Real(size)]),
            op(
                "Td",
                vec![Object::Real(w / 16.0), Object::Real(h / 2.0 - 2.0 * size)],
            ),
            op("Tj", vec![Object::string_literal(win_ansi(&spec.title))]),
            op("ET", vec![]),
        ],
    }
}

/// A 64 × 48 RGB gradient from the brand colour to white, Flate-compressed.
fn image([r, g, b]: [u8; 3]) -> io::Result<Stream> {
    let (width, height) = (64u32, 48u32);
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let t = (x + y) as f32 / (width + height) as f32;
            for c in [r, g, b] {
                pixels.push((f32::from(c) + (255.0 - f32::from(c)) * t) as u8);
            }
        }
    }
    let mut z = ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&pixels)?;
    let data = z.finish()?;
    let mut stream = Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image",
            "Width" => i64::from(width), "Height" => i64::from(height),
            "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8,
            "Filter" => "FlateDecode",
        },
        data,
    );
    stream.allows_compression = false;
    Ok(stream)
}

/// `text` in WinAnsi (Windows-1252): Latin-1 as is, the en dash at 0x96, anything else `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '–' => 0x96,
            '—' => 0x97,
            c if (c as u32) < 0x80 || (0xa0..=0xff).contains(&(c as u32)) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn made(style: PdfStyle, bytes: u64) -> Vec<u8> {
        let spec = PdfSpec {
            page: crate::paper::A4,
            title: "Café poster – final".into(),
            colour: [0, 94, 184],
            bytes,
            style,
        };
        let mut out = Vec::new();
        write(&mut out, &spec, &mut Noise::for_file(1, "x.pdf".as_ref())).unwrap();
        out
    }

    #[test]
    fn each_style_reads_back_with_its_page_size_and_about_its_size() {
        for style in PdfStyle::ALL {
            let bytes = made(style, 200_000);
            assert!(
                (196_000..=204_000).contains(&bytes.len()),
                "{style:?} {}",
                bytes.len()
            );
            let doc = Document::load_mem(&bytes).unwrap();
            let (_, page) = doc.get_pages().into_iter().next().unwrap();
            let found = (0..3).find_map(|depth| {
                let mut id = page;
                for _ in 0..depth {
                    id = doc
                        .get_dictionary(id)
                        .unwrap()
                        .get(b"Parent")
                        .unwrap()
                        .as_reference()
                        .unwrap();
                }
                doc.get_dictionary(id)
                    .unwrap()
                    .get(b"MediaBox")
                    .ok()
                    .cloned()
            });
            let b = found.unwrap();
            let b = b.as_array().unwrap();
            assert!(
                (b[2].as_float().unwrap() - 595.28).abs() < 0.01,
                "{style:?}"
            );
            let plain = bytes.windows(9).any(|w| w == b"/MediaBox");
            assert_eq!(plain, style != PdfStyle::ObjectStreams, "{style:?}");
        }
    }

    #[test]
    fn win_ansi_keeps_accents_and_dashes() {
        assert_eq!(win_ansi("é–ŵ"), vec![0xe9, 0x96, b'?']);
    }
}
