//! Broken files, on request: what `check` must catch.

use std::io::{self, Write};

use crate::noise::Noise;
use crate::pdf::{PdfSpec, PdfStyle};
use crate::{media, Item, What};

/// A way a file is broken.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Damage {
    /// A PDF cut in half (no cross-reference table, no `%%EOF`).
    TruncatedPdf,
    /// A PNG cut before its end chunk.
    TruncatedPng,
    /// A JPEG with its end-of-image marker cut off.
    TruncatedJpeg,
    /// An MP4 whose `mdat` box claims more bytes than the file holds.
    TruncatedMp4,
    /// Plain text named `.png`.
    TextNamedPng,
    /// An HTML page named `.pdf`, as a web server's error page is saved.
    HtmlNamedPdf,
    /// A `.docx` that is not a ZIP.
    DocxNotZip,
    /// An empty `.pdf`.
    EmptyPdf,
}

/// The `damaged/` folder: one file of each kind of damage.
pub(crate) fn items() -> Vec<Item> {
    [
        ("truncated.pdf", Damage::TruncatedPdf),
        ("truncated.png", Damage::TruncatedPng),
        ("truncated.jpg", Damage::TruncatedJpeg),
        ("truncated.mp4", Damage::TruncatedMp4),
        ("text-named.png", Damage::TextNamedPng),
        ("error-page.pdf", Damage::HtmlNamedPdf),
        ("not-a-zip.docx", Damage::DocxNotZip),
        ("empty.pdf", Damage::EmptyPdf),
    ]
    .into_iter()
    .map(|(name, damage)| Item {
        path: format!("damaged/{name}").into(),
        what: What::Damaged(damage),
    })
    .collect()
}

/// Writes the first half of what `make` writes.
fn half(make: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> io::Result<Vec<u8>> {
    let mut whole = Vec::new();
    make(&mut whole)?;
    whole.truncate(whole.len() / 2);
    Ok(whole)
}

pub(crate) fn write<W: Write>(out: &mut W, damage: &Damage, rng: &mut Noise) -> io::Result<()> {
    let bytes = match damage {
        Damage::TruncatedPdf => half(|v| {
            let spec = PdfSpec {
                page: crate::paper::A4,
                title: "Truncated".into(),
                colour: [0, 0, 0],
                bytes: 40_000,
                style: PdfStyle::Classic,
            };
            crate::pdf::write(v, &spec, rng)
        })?,
        Damage::TruncatedPng => half(|v| media::png(v, 64, 64, [9, 9, 9], rng))?,
        Damage::TruncatedJpeg => {
            let mut v = Vec::new();
            media::jpeg(&mut v, 20_000, [9, 9, 9], rng)?;
            v.truncate(v.len() - 2);
            v
        }
        Damage::TruncatedMp4 => half(|v| media::mp4(v, 50_000, 10, rng))?,
        Damage::TextNamedPng => b"This is not a picture.\n".to_vec(),
        Damage::HtmlNamedPdf => {
            b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Not found</body></html>\n"
                .to_vec()
        }
        Damage::DocxNotZip => b"Not a Word document.\n".to_vec(),
        Damage::EmptyPdf => Vec::new(),
    };
    out.write_all(&bytes)
}
