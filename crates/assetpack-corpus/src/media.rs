//! PNG and JPEG images and MP4 videos.

use std::io::{self, Write};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};

use crate::noise::Noise;

/// RGB pixels: a gradient from `colour` to white in the top half, noise in the bottom half
/// (a photograph does not compress either).
fn pixels(width: u32, height: u32, [r, g, b]: [u8; 3], rng: &mut Noise) -> Vec<u8> {
    let half = height / 2;
    let mut out = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..half {
        let t = y as f32 / half.max(1) as f32;
        let px = [r, g, b].map(|c| (f32::from(c) + (255.0 - f32::from(c)) * t) as u8);
        for _ in 0..width {
            out.extend_from_slice(&px);
        }
    }
    out.extend(rng.bytes(((height - half) * width * 3) as usize));
    out
}

/// A PNG of `width` × `height` pixels.
pub(crate) fn png<W: Write>(
    out: &mut W,
    width: u32,
    height: u32,
    colour: [u8; 3],
    rng: &mut Noise,
) -> io::Result<()> {
    let data = pixels(width, height, colour, rng);
    PngEncoder::new(out)
        .write_image(&data, width, height, ExtendedColorType::Rgb8)
        .map_err(io::Error::other)
}

/// A 320 × 240 JPEG padded with APP15 segments of noise to about `bytes`, as a camera's
/// maker notes pad a real photograph.
pub(crate) fn jpeg<W: Write>(
    out: &mut W,
    bytes: u64,
    colour: [u8; 3],
    rng: &mut Noise,
) -> io::Result<()> {
    let (width, height) = (320, 240);
    let data = pixels(width, height, colour, rng);
    let mut encoded = Vec::new();
    JpegEncoder::new_with_quality(&mut encoded, 85)
        .write_image(&data, width, height, ExtendedColorType::Rgb8)
        .map_err(io::Error::other)?;
    // SOI, then the padding, then the rest of the image.
    out.write_all(&encoded[..2])?;
    let mut left = bytes.saturating_sub(encoded.len() as u64);
    while left > 4 {
        let n = (left - 4).min(65_533) as usize;
        out.write_all(&[0xff, 0xef])?;
        out.write_all(&((n + 2) as u16).to_be_bytes())?;
        out.write_all(&rng.bytes(n))?;
        left -= n as u64 + 4;
    }
    out.write_all(&encoded[2..])
}

/// An ISO base media box.
fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(body.len() + 8);
    b.extend_from_slice(&(body.len() as u32 + 8).to_be_bytes());
    b.extend_from_slice(kind);
    b.extend_from_slice(body);
    b
}

/// The identity matrix of `mvhd` and `tkhd`.
const MATRIX: [u32; 9] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000];

fn words(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// `mvhd`, version 0: a 1,000 Hz timescale and the duration.
fn mvhd(millis: u32) -> Vec<u8> {
    let mut b = words(&[0, 0, 0, 1000, millis, 0x10000]);
    b.extend_from_slice(&[0x01, 0x00]); // volume 1.0
    b.extend_from_slice(&[0; 10]);
    b.extend(words(&MATRIX));
    b.extend_from_slice(&[0; 24]);
    b.extend(words(&[2])); // next track id
    boxed(b"mvhd", &b)
}

/// `trak` with `tkhd` (1920 × 1080) and `mdia` (`mdhd`, a `vide` handler).
fn trak(millis: u32) -> Vec<u8> {
    let mut tkhd = words(&[3, 0, 0, 1, 0, millis, 0, 0]); // flags: enabled, in movie
    tkhd.extend_from_slice(&[0; 8]); // layer, group, volume, reserved
    tkhd.extend(words(&MATRIX));
    tkhd.extend(words(&[1920 << 16, 1080 << 16]));
    let mut mdhd = words(&[0, 0, 0, 1000, millis]);
    mdhd.extend_from_slice(&[0x55, 0xc4, 0, 0]); // language `und`
    let mut hdlr = words(&[0, 0]);
    hdlr.extend_from_slice(b"vide");
    hdlr.extend_from_slice(&[0; 12]);
    hdlr.extend_from_slice(b"VideoHandler\0");
    let mdia = [boxed(b"mdhd", &mdhd), boxed(b"hdlr", &hdlr)].concat();
    boxed(
        b"trak",
        &[boxed(b"tkhd", &tkhd), boxed(b"mdia", &mdia)].concat(),
    )
}

/// An MP4 of about `bytes`: `ftyp`, `moov` (movie and track headers for `seconds`), then
/// an `mdat` of noise (a 64-bit size when it needs one).
pub(crate) fn mp4<W: Write>(
    out: &mut W,
    bytes: u64,
    seconds: u32,
    rng: &mut Noise,
) -> io::Result<()> {
    let millis = seconds.saturating_mul(1000);
    let ftyp = boxed(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41");
    let moov = boxed(b"moov", &[mvhd(millis), trak(millis)].concat());
    out.write_all(&ftyp)?;
    out.write_all(&moov)?;
    let body = bytes.saturating_sub((ftyp.len() + moov.len()) as u64 + 16);
    out.write_all(&1u32.to_be_bytes())?;
    out.write_all(b"mdat")?;
    out.write_all(&(body + 16).to_be_bytes())?;
    rng.write(out, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng() -> Noise {
        Noise::for_file(3, "m".as_ref())
    }

    #[test]
    fn images_decode_at_their_size() {
        let mut p = Vec::new();
        png(&mut p, 120, 63, [1, 2, 3], &mut rng()).unwrap();
        let img = image::load_from_memory(&p).unwrap();
        assert_eq!((img.width(), img.height()), (120, 63));
        let mut j = Vec::new();
        jpeg(&mut j, 200_000, [1, 2, 3], &mut rng()).unwrap();
        assert!((199_000..=200_000).contains(&j.len()), "{}", j.len());
        let img = image::load_from_memory(&j).unwrap();
        assert_eq!((img.width(), img.height()), (320, 240));
    }

    #[test]
    fn mp4_boxes_tile_the_file() {
        let mut v = Vec::new();
        mp4(&mut v, 100_000, 42, &mut rng()).unwrap();
        assert_eq!(v.len(), 100_000);
        let mut at = 0;
        let mut kinds = Vec::new();
        while at < v.len() {
            let size = u32::from_be_bytes(v[at..at + 4].try_into().unwrap()) as usize;
            let size = if size == 1 {
                u64::from_be_bytes(v[at + 8..at + 16].try_into().unwrap()) as usize
            } else {
                size
            };
            kinds.push(String::from_utf8_lossy(&v[at + 4..at + 8]).into_owned());
            at += size;
        }
        assert_eq!(at, v.len());
        assert_eq!(kinds, ["ftyp", "moov", "mdat"]);
    }
}
