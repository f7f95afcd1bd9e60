//! Thumbnails: a PNG, a JPEG or a rendered page brought down to fit a square of a given side,
//! as 8-bit RGB on white.
//!
//! A non-interlaced PNG (the usual poster and social card) is decoded one row at a time and
//! each row is folded into the thumbnail at once, so a poster of any size costs one row of
//! memory. A JPEG or an interlaced PNG is decoded whole, within [`MAX_DECODE_BYTES`].

use std::io::{BufReader, Read, Seek};

/// The most memory a whole decoded image may take; a larger one gets a placeholder.
pub const MAX_DECODE_BYTES: u64 = 256 << 20;

/// A thumbnail's pixels: `rgb` holds `width × height` RGB triples, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

/// How the samples of one pixel are laid out in a source row (8 bits each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Samples {
    Gray,
    GrayAlpha,
    Rgb,
    Rgba,
}

impl Samples {
    fn len(self) -> usize {
        match self {
            Samples::Gray => 1,
            Samples::GrayAlpha => 2,
            Samples::Rgb => 3,
            Samples::Rgba => 4,
        }
    }

    /// The pixel at the start of `p` as RGB, an alpha channel blended over white.
    #[inline]
    fn rgb(self, p: &[u8]) -> [u32; 3] {
        let over_white = |c: u8, a: u8| {
            let (c, a) = (u32::from(c), u32::from(a));
            (c * a + 255 * (255 - a) + 127) / 255
        };
        match self {
            Samples::Gray => [u32::from(p[0]); 3],
            Samples::GrayAlpha => [over_white(p[0], p[1]); 3],
            Samples::Rgb => [u32::from(p[0]), u32::from(p[1]), u32::from(p[2])],
            Samples::Rgba => [
                over_white(p[0], p[3]),
                over_white(p[1], p[3]),
                over_white(p[2], p[3]),
            ],
        }
    }
}

/// The size of a `width × height` image fitted into a `max` square, never enlarged, at least
/// one pixel each way.
pub fn fit(width: u32, height: u32, max: u32) -> (u32, u32) {
    let long = width.max(height).max(1);
    if long <= max {
        return (width.max(1), height.max(1));
    }
    let scale = |n: u32| (u64::from(n) * u64::from(max) + u64::from(long) / 2) / u64::from(long);
    (scale(width).max(1) as u32, scale(height).max(1) as u32)
}

/// A box filter fed one source row at a time: each thumbnail pixel is the mean of the source
/// pixels that fall in it. Hand-written because resizing crates (image, fast_image_resize)
/// take a whole decoded image, which for a large poster PNG is hundreds of megabytes.
///
/// The rows of a band (the source rows of one thumbnail row) are first added up pixel by
/// pixel, which the compiler vectorises; the columns are summed once per band. Summing each
/// row's columns as it came took 2.8 ns a pixel of a 1080-pixel RGB row, this 0.6 ns (a
/// micro-benchmark; the decoding around it costs more).
pub struct Shrink {
    samples: Samples,
    height: u32,
    out_height: u32,
    /// Where each thumbnail column starts among the source columns, and where the last ends.
    bounds: Vec<usize>,
    /// The band's sums per source pixel (RGB, an alpha channel already blended over white),
    /// as many as the longest row given has pixels: never more than rows of real data (a
    /// PNG's header may claim any width).
    band: Vec<[u32; 3]>,
    /// Source rows gathered into `band`, and the source rows seen.
    band_rows: u32,
    seen: u32,
    out: Vec<u8>,
}

impl Shrink {
    /// A filter for a `width × height` source of `samples`, to fit a `max` square.
    pub fn new(width: u32, height: u32, samples: Samples, max: u32) -> Shrink {
        let (out_w, out_h) = fit(width, height, max);
        let bounds = (0..=u64::from(out_w))
            .map(|k| (k * u64::from(width)).div_ceil(u64::from(out_w)) as usize)
            .collect();
        Shrink {
            samples,
            height,
            out_height: out_h,
            bounds,
            band: Vec::new(),
            band_rows: 0,
            seen: 0,
            out: Vec::with_capacity(out_w as usize * out_h as usize * 3),
        }
    }

    /// Adds the next source row (extra rows past the height are ignored).
    pub fn push(&mut self, row: &[u8]) {
        if self.seen >= self.height {
            return;
        }
        let (out_h, h) = (u64::from(self.out_height), u64::from(self.height));
        let band = |y: u32| u64::from(y) * out_h / h;
        let width = self.bounds.last().copied().unwrap_or_default();
        let pixels = (row.len() / self.samples.len()).min(width);
        if self.band.len() < pixels {
            self.band.resize(pixels, [0; 3]);
        }
        match self.samples {
            Samples::Rgb => self.add_rgb(row),
            Samples::Gray => self.add(row, |p: &[u8; 1]| [u32::from(p[0]); 3]),
            Samples::GrayAlpha => self.add(row, |p: &[u8; 2]| Samples::GrayAlpha.rgb(p)),
            Samples::Rgba => self.add(row, |p: &[u8; 4]| Samples::Rgba.rgb(p)),
        }
        self.band_rows += 1;
        self.seen += 1;
        if self.seen == self.height || band(self.seen) != band(self.seen - 1) {
            self.flush();
        }
    }

    /// Adds an RGB row to the band's sums, sample by sample.
    fn add_rgb(&mut self, row: &[u8]) {
        let sums = self.band.as_flattened_mut();
        for (sum, &sample) in sums.iter_mut().zip(row) {
            *sum += u32::from(sample);
        }
    }

    /// Adds each pixel of `row` (`N` samples each, made RGB by `rgb`) to the band's sums.
    #[inline(always)]
    fn add<const N: usize>(&mut self, row: &[u8], rgb: impl Fn(&[u8; N]) -> [u32; 3]) {
        let (pixels, _) = row.as_chunks::<N>();
        for (sum, p) in self.band.iter_mut().zip(pixels) {
            let [r, g, b] = rgb(p);
            *sum = [sum[0] + r, sum[1] + g, sum[2] + b];
        }
    }

    /// Writes the gathered band as one thumbnail row and starts the next.
    fn flush(&mut self) {
        for w in self.bounds.windows(2) {
            let end = w[1].min(self.band.len());
            let pixels = self.band.get(w[0]..end).unwrap_or_default();
            let sum = pixels
                .iter()
                .fold([0u32; 3], |a, p| [a[0] + p[0], a[1] + p[1], a[2] + p[2]]);
            let count = ((w[1] - w[0]) as u32 * self.band_rows).max(1);
            self.out
                .extend(sum.map(|s| ((s + count / 2) / count) as u8));
        }
        self.band.fill([0; 3]);
        self.band_rows = 0;
    }

    /// The thumbnail; rows a short source never gave are white.
    pub fn finish(mut self) -> Pixels {
        let width = self.bounds.len() as u32 - 1;
        self.out
            .resize(width as usize * self.out_height as usize * 3, 255);
        Pixels {
            width,
            height: self.out_height,
            rgb: self.out,
        }
    }
}

/// The thumbnail of the PNG or JPEG in `file` (read from its start).
pub fn of_image<R: Read + Seek>(mut file: R, max: u32) -> Result<Pixels, String> {
    match of_png_by_rows(&mut file, max)? {
        Some(p) => Ok(p),
        None => of_whole_image(&mut file, max, MAX_DECODE_BYTES),
    }
}

/// A non-interlaced PNG, row by row; `None` when `file` is not one.
fn of_png_by_rows<R: Read + Seek>(file: &mut R, max: u32) -> Result<Option<Pixels>, String> {
    file.rewind().map_err(|e| e.to_string())?;
    // `check` judges a PNG's damage; here its checksums would only cost time.
    let mut options = png::DecodeOptions::default();
    options.set_ignore_checksums(true);
    let mut decoder = png::Decoder::new_with_options(BufReader::new(file), options);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let Ok(mut reader) = decoder.read_info() else {
        return Ok(None);
    };
    if reader.info().interlaced {
        return Ok(None);
    }
    let samples = match reader.output_color_type().0 {
        png::ColorType::Grayscale => Samples::Gray,
        png::ColorType::GrayscaleAlpha => Samples::GrayAlpha,
        png::ColorType::Rgb => Samples::Rgb,
        png::ColorType::Rgba => Samples::Rgba,
        png::ColorType::Indexed => return Ok(None),
    };
    let (w, h) = (reader.info().width, reader.info().height);
    let mut shrink = Shrink::new(w, h, samples, max);
    while let Some(row) = reader.next_row().map_err(|e| e.to_string())? {
        shrink.push(row.data());
    }
    Ok(Some(shrink.finish()))
}

/// Any image the `image` crate reads, decoded whole within `limit` bytes.
fn of_whole_image<R: Read + Seek>(file: &mut R, max: u32, limit: u64) -> Result<Pixels, String> {
    file.rewind().map_err(|e| e.to_string())?;
    let mut reader = image::ImageReader::new(BufReader::new(file))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(limit);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| e.to_string())?;
    let (w, h) = (img.width(), img.height());
    let (samples, bytes) = if img.color().has_alpha() {
        (Samples::Rgba, img.into_rgba8().into_raw())
    } else {
        (Samples::Rgb, img.into_rgb8().into_raw())
    };
    Ok(of_rows(&bytes, w, h, samples, max))
}

/// The thumbnail of `height` rows of `width` pixels of `samples`, one after the other in `bytes`.
pub fn of_rows(bytes: &[u8], width: u32, height: u32, samples: Samples, max: u32) -> Pixels {
    let mut shrink = Shrink::new(width, height, samples, max);
    let row = (width as usize * samples.len()).max(1);
    for r in bytes.chunks_exact(row) {
        shrink.push(r);
    }
    shrink.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A PNG of `w × h` pixels made by the png encoder, in a temporary file.
    fn png_file(
        w: u32,
        h: u32,
        color: png::ColorType,
        depth: png::BitDepth,
        data: &[u8],
        palette: Option<&[u8]>,
    ) -> tempfile::NamedTempFile {
        let mut bytes = Vec::new();
        {
            let mut e = png::Encoder::new(&mut bytes, w, h);
            e.set_color(color);
            e.set_depth(depth);
            if let Some(p) = palette {
                e.set_palette(p.to_vec());
            }
            let mut writer = e.write_header().expect("header");
            writer.write_image_data(data).expect("data");
        }
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(&bytes).expect("write");
        f
    }

    #[test]
    fn fits_the_long_side_and_keeps_the_shape() {
        assert_eq!(fit(1080, 1080, 144), (144, 144));
        assert_eq!(fit(1200, 630, 144), (144, 76));
        assert_eq!(fit(600, 120, 144), (144, 29));
        assert_eq!(fit(100, 50, 144), (100, 50), "never enlarged");
        assert_eq!(fit(100_000, 1, 144), (144, 1), "never zero");
        assert_eq!(fit(0, 0, 144), (1, 1));
    }

    #[test]
    fn each_thumbnail_pixel_is_the_mean_of_its_box() {
        // 4 × 2 grey pixels to 2 × 1: the left box is 0,100,50,250 (mean 100), the right
        // box 200 everywhere.
        let rows = [0, 100, 200, 200, 50, 250, 200, 200];
        let p = of_rows(&rows, 4, 2, Samples::Gray, 2);
        assert_eq!((p.width, p.height), (2, 1));
        assert_eq!(p.rgb, vec![100, 100, 100, 200, 200, 200]);
    }

    #[test]
    fn transparency_is_drawn_on_white() {
        // Fully transparent black, half-transparent red, opaque blue.
        let rgba = [0, 0, 0, 0, 255, 0, 0, 128, 0, 0, 255, 255];
        let p = of_rows(&rgba, 3, 1, Samples::Rgba, 144);
        assert_eq!(p.rgb, vec![255, 255, 255, 255, 127, 127, 0, 0, 255]);
    }

    /// The thumbnail of `bytes` worked out pixel by pixel: each output pixel the rounded mean
    /// of its box of source pixels, each made RGB on white first.
    fn box_means(bytes: &[u8], (w, h): (u32, u32), samples: Samples, max: u32) -> Vec<u8> {
        let (ow, oh) = fit(w, h, max);
        let start = |k: u32, n: u32, o: u32| (u64::from(k) * u64::from(n)).div_ceil(u64::from(o));
        let band = |y: u32| u64::from(y) * u64::from(oh) / u64::from(h);
        let n = samples.len();
        let mut out = Vec::new();
        for oy in 0..u64::from(oh) {
            for ox in 0..ow {
                let (x0, x1) = (start(ox, w, ow), start(ox + 1, w, ow));
                let (mut sum, mut count) = ([0u32; 3], 0u32);
                for y in (0..h).filter(|&y| band(y) == oy) {
                    for x in x0..x1 {
                        let at = (y as usize * w as usize + x as usize) * n;
                        let rgb = samples.rgb(&bytes[at..at + n]);
                        sum = [sum[0] + rgb[0], sum[1] + rgb[1], sum[2] + rgb[2]];
                        count += 1;
                    }
                }
                out.extend(sum.map(|s| ((s + count / 2) / count.max(1)) as u8));
            }
        }
        out
    }

    #[test]
    fn a_claimed_width_costs_no_memory_until_rows_of_it_come() {
        // A PNG's header may say 4 billion pixels wide: what is held follows the rows given.
        let mut shrink = Shrink::new(u32::MAX, 2, Samples::Rgb, 144);
        shrink.push(&[30, 60, 90, 30, 60, 90]);
        shrink.push(&[]);
        let p = shrink.finish();
        assert_eq!((p.width, p.height, p.rgb.len()), (144, 1, 144 * 3));
    }

    #[test]
    fn every_kind_of_pixel_is_shrunk_to_the_mean_of_its_box() {
        let sizes = [(1080, 1080), (1200, 630), (37, 301), (300, 7), (5, 5)];
        let kinds = [
            Samples::Gray,
            Samples::GrayAlpha,
            Samples::Rgb,
            Samples::Rgba,
        ];
        for ((w, h), samples) in sizes.into_iter().flat_map(|s| kinds.map(|k| (s, k))) {
            let len = w as usize * h as usize * samples.len();
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7919 % 251) as u8).collect();
            let p = of_rows(&bytes, w, h, samples, 144);
            let want = box_means(&bytes, (w, h), samples, 144);
            assert!(p.rgb == want, "{w}×{h} {samples:?}");
        }
    }

    #[test]
    fn a_png_row_by_row_matches_the_whole_image_shrunk() {
        let (w, h) = (301, 207);
        let data: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 251) as u8).collect();
        let f = png_file(w, h, png::ColorType::Rgb, png::BitDepth::Eight, &data, None);
        let by_rows = of_image(f.as_file(), 144).expect("thumbnail");
        assert_eq!(by_rows, of_rows(&data, w, h, Samples::Rgb, 144));
        assert_eq!((by_rows.width, by_rows.height), (144, 99));
        // The whole-image path (JPEG, interlaced PNG) gives the same pixels.
        assert_eq!(
            of_whole_image(&mut f.as_file(), 144, MAX_DECODE_BYTES).expect("whole"),
            by_rows
        );
    }

    #[test]
    fn sixteen_bit_palette_and_low_depth_pngs_are_read() {
        // 16-bit grey: the high byte counts.
        let grey16: Vec<u8> = [0x80u8, 0xff].repeat(4);
        let f = png_file(
            2,
            2,
            png::ColorType::Grayscale,
            png::BitDepth::Sixteen,
            &grey16,
            None,
        );
        assert_eq!(
            of_image(f.as_file(), 144).expect("16-bit").rgb,
            vec![128; 12]
        );
        // A palette of red and green, 1 bit per pixel: red, green / green, red.
        let pal = [255, 0, 0, 0, 255, 0];
        let f = png_file(
            2,
            2,
            png::ColorType::Indexed,
            png::BitDepth::One,
            &[0b0100_0000, 0b1000_0000],
            Some(&pal),
        );
        let p = of_image(f.as_file(), 144).expect("palette");
        assert_eq!(p.rgb, vec![255, 0, 0, 0, 255, 0, 0, 255, 0, 255, 0, 0]);
    }

    #[test]
    fn a_png_too_large_to_decode_whole_is_thumbnailed_row_by_row() {
        let (w, h) = (2_000u32, 1_000u32);
        let data: Vec<u8> = (0..w * h)
            .map(|i| if i % w < w / 2 { 0 } else { 255 })
            .collect();
        let f = png_file(
            w,
            h,
            png::ColorType::Grayscale,
            png::BitDepth::Eight,
            &data,
            None,
        );
        let limit = 1 << 20;
        assert!(
            of_whole_image(&mut f.as_file(), 144, limit).is_err(),
            "over the limit whole"
        );
        let p = of_image(f.as_file(), 144).expect("row by row");
        assert_eq!((p.width, p.height), (144, 72));
        assert_eq!(&p.rgb[..3], &[0, 0, 0]);
        assert_eq!(&p.rgb[p.rgb.len() - 3..], &[255, 255, 255]);
    }

    #[test]
    fn a_jpeg_is_decoded_whole_and_a_file_that_is_no_image_is_an_error() {
        let img = image::RgbImage::from_pixel(400, 200, image::Rgb([10, 200, 30]));
        let mut jpeg = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(
                &mut std::io::Cursor::new(&mut jpeg),
                image::ImageFormat::Jpeg,
            )
            .expect("jpeg");
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(&jpeg).expect("write");
        let p = of_image(f.as_file(), 144).expect("jpeg thumbnail");
        assert_eq!((p.width, p.height), (144, 72));
        let px = &p.rgb[..3];
        assert!(
            px[0].abs_diff(10) < 6 && px[1].abs_diff(200) < 6 && px[2].abs_diff(30) < 6,
            "{px:?}"
        );
        let mut bad = tempfile::NamedTempFile::new().expect("temp file");
        bad.write_all(b"<html>not found</html>").expect("write");
        assert!(of_image(bad.as_file(), 144).is_err());
    }
}
