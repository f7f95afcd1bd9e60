//! One look at every chosen asset's file, in parallel, turned into what each view needs: the
//! PDF's images and what each card draws, the catalogue's thumbnail files and what each card
//! shows. Everything that reads asset files runs here; the layouts read no file.

use std::collections::BTreeMap;

use assetpack::catalog;
use assetpack::manifest::{Content, Manifest};
use printpdf::{RawImage, RawImageData, RawImageFormat, XObjectId};

use crate::look::{self, Look, Thumb};
use crate::sections::Drawn;
use crate::thumb::Pixels;
use crate::{Input, Made};

/// What the PDF draws beside each asset, by (manifest, asset), with the file's format.
pub(crate) type DrawnAll = BTreeMap<(usize, usize), (Drawn, Option<String>)>;

/// What the catalogue shows beside each asset, by (manifest, asset), with the file's format.
pub(crate) type ShownAll = BTreeMap<(usize, usize), (Shown, Option<String>)>;

/// What the catalogue shows beside an asset.
pub(crate) enum Shown {
    /// An image: a thumbnail made for it (its payload path), or, when `thumb` is `None`, the
    /// asset's file itself; with its size in pixels when known.
    Image {
        thumb: Option<String>,
        size: Option<(u32, u32)>,
    },
    /// A page outline of this width and height ratio, with a label such as `A3 PDF`.
    Page { ratio: f32, label: String },
    /// An icon with a short label.
    Icon(String),
    /// The file could not be read or decoded.
    Broken,
}

/// The looks, made ready for the views asked for.
pub(crate) struct Looked {
    pub drawn: DrawnAll,
    pub images: Vec<(XObjectId, RawImage)>,
    pub shown: ShownAll,
    pub thumbs: Vec<Made>,
    pub warnings: Vec<String>,
}

/// One asset's look, with its thumbnail file for the catalogue.
struct Seen {
    look: Look,
    thumb: Option<Made>,
}

/// Copies the chosen assets' files in buckets into the build's cache first, several at once
/// ([`assetpack::files::reading`]): the looks then decode them one per core from local disk,
/// instead of waiting on the store one per core.
fn fetch_ahead(input: &Input) {
    use rayon::prelude::*;
    let Some(cache) = input.cache else {
        return;
    };
    let from_bucket = input.manifests.iter().any(|m| m.base.local().is_none());
    assetpack::files::reading(from_bucket, || {
        input.selected.par_iter().for_each(|s| {
            let m = &input.manifests[s.manifest];
            let Some(Content::File(f)) = m.assets.get(s.asset).map(|a| &a.content) else {
                return;
            };
            if let Some((sha256, len)) = f.recorded() {
                // A file that cannot be fetched is read where it is, and said so there.
                let _ = cache.fetch((&m.base, &f.file), sha256, len);
            }
        });
    });
}

/// Looks at every chosen asset's file once, in parallel, and makes the PDF's images (`pdf`)
/// and the catalogue's thumbnail files (`html`) from the same pixels.
pub(crate) fn look_at_assets(input: &Input, pdf: bool, html: bool) -> Looked {
    use rayon::prelude::*;
    fetch_ahead(input);
    let seen: Vec<Seen> = input
        .selected
        .par_iter()
        .map(|s| {
            let m = &input.manifests[s.manifest];
            let a = &m.assets[s.asset];
            let look = look::look(m, &a.content, pdf, input.cache);
            let thumb = html.then(|| thumb_file(m, &a.id, &look)).flatten();
            Seen { look, thumb }
        })
        .collect();
    let mut out = Looked {
        drawn: BTreeMap::new(),
        images: Vec::new(),
        shown: BTreeMap::new(),
        thumbs: Vec::new(),
        warnings: Vec::new(),
    };
    for (s, Seen { look, thumb }) in input.selected.iter().zip(seen) {
        let key = (s.manifest, s.asset);
        out.warnings.extend(look.warning.clone());
        if html {
            let shown = shown(&look, thumb.as_ref().map(|t| t.path.clone()));
            out.shown.insert(key, (shown, look.format.clone()));
            out.thumbs.extend(thumb);
        }
        if pdf {
            let drawn = out.drawn_in_pdf(look.thumb);
            out.drawn.insert(key, (drawn, look.format));
        }
    }
    out
}

impl Looked {
    /// What the PDF draws for a thumbnail; an image is embedded under the next free name.
    fn drawn_in_pdf(&mut self, thumb: Thumb) -> Drawn {
        match thumb {
            Thumb::Image(pixels) => {
                let id = XObjectId(format!("Im{}", self.images.len() + 1));
                let (w, h) = (pixels.width as f32, pixels.height as f32);
                self.images.push((id.clone(), raw_rgb(pixels)));
                Drawn::Image(id, w, h)
            }
            Thumb::Page { ratio, label } => Drawn::Page(ratio, label),
            Thumb::Icon(label) => Drawn::Icon(label),
            Thumb::Broken => Drawn::Broken,
        }
    }
}

/// What the catalogue shows for a look, given the thumbnail file made for it.
fn shown(look: &Look, thumb: Option<String>) -> Shown {
    match &look.thumb {
        _ if look.direct => Shown::Image {
            thumb: None,
            size: look.pixels,
        },
        Thumb::Image(p) => match thumb {
            Some(path) => Shown::Image {
                thumb: Some(path),
                size: Some((p.width, p.height)),
            },
            None => Shown::Broken,
        },
        Thumb::Page { ratio, label } => Shown::Page {
            ratio: *ratio,
            label: label.clone(),
        },
        Thumb::Icon(label) => Shown::Icon(label.clone()),
        Thumb::Broken => Shown::Broken,
    }
}

/// The catalogue's thumbnail file of an asset, when its look made pixels and the file cannot
/// stand for itself: a PNG for a PNG (flat artwork stays sharp), a JPEG for the rest.
fn thumb_file(m: &Manifest, asset: &str, look: &Look) -> Option<Made> {
    let Thumb::Image(pixels) = &look.thumb else {
        return None;
    };
    if look.direct {
        return None;
    }
    let png = look.media_type == Some("image/png");
    let bytes = if png {
        encode_png(pixels)
    } else {
        encode_jpeg(pixels)
    }?;
    let path = catalog::thumb_path(m, asset, if png { "png" } else { "jpg" });
    Some(Made::new(path, bytes))
}

fn encode_png(p: &Pixels) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, p.width, p.height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(&p.rgb).ok()?;
    writer.finish().ok()?;
    Some(out)
}

/// Quality 82, the colour kept at every pixel (4:4:4): halving it would save a tenth of a
/// thumbnail's bytes and blur the colour edges of a small picture, text most of all.
fn encode_jpeg(p: &Pixels) -> Option<Vec<u8>> {
    let (width, height) = (u16::try_from(p.width).ok()?, u16::try_from(p.height).ok()?);
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 82);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_1_1);
    encoder
        .encode(&p.rgb, width, height, jpeg_encoder::ColorType::Rgb)
        .ok()?;
    Some(out)
}

/// A thumbnail as 8-bit RGB pixels for the PDF.
fn raw_rgb(p: Pixels) -> RawImage {
    RawImage {
        width: p.width as usize,
        height: p.height as usize,
        pixels: RawImageData::U8(p.rgb),
        data_format: RawImageFormat::RGB8,
        tag: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth picture (a photo brought down to a thumbnail is mostly gradients).
    fn gradient(width: u32, height: u32) -> Pixels {
        let rgb = (0..height)
            .flat_map(|y| (0..width).flat_map(move |x| [x * 255 / width, y * 255 / height, 128]))
            .map(|v| v as u8)
            .collect();
        Pixels { width, height, rgb }
    }

    /// Its size, and each pixel near its own colour: a steep gradient across a narrow picture
    /// is off by 3.6 a sample on average with the colour halved, 1.1 with it kept.
    #[test]
    fn a_jpeg_thumbnail_decodes_to_its_pixels_at_its_size() {
        for (w, h) in [(144, 108), (1, 1), (13, 144)] {
            let p = gradient(w, h);
            let bytes = encode_jpeg(&p).unwrap();
            let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
                .unwrap()
                .to_rgb8();
            assert_eq!(img.dimensions(), (w, h));
            let error: u64 = (img.as_raw().iter().zip(&p.rgb))
                .map(|(a, b)| u64::from(a.abs_diff(*b)))
                .sum();
            let mean = error as f64 / p.rgb.len() as f64;
            assert!(mean < 2.0, "{w}×{h}: off by {mean:.2} a sample on average");
        }
    }
}
