//! Thumbnails kept between runs in the build's cache (`build --cache DIR`): decoding a
//! poster's PNG or rendering a PDF's first page is most of what the views cost, and it
//! depends on nothing but the file's bytes, so a kept cache keeps the result as a derived
//! record ([`Cache::derived`]) and the next build decodes only what changed.
//!
//! A record is named for the file's SHA-256 as its manifest records it, what was made of it
//! (`image`, `pdf`), the thumbnail's size and this crate's version, so a newer assetpack
//! draws its own thumbnails rather than an older one's. It is used only when the file's size
//! is the recorded one; a file whose bytes differ from its manifest while being the same size
//! can get a stale thumbnail here, but then its pack is never written: the pack checks every
//! file's SHA-256 as it reads it, and stops at the first that differs.

use assetpack::cache::Cache;
use assetpack::manifest::FileRef;
use sha2::{Digest, Sha256};

use crate::look::{FirstPage, MAX_PX};
use crate::thumb::Pixels;

/// Raise when a thumbnail would come out differently for the same file, so that records
/// kept by an earlier build of the same version are not taken for the new ones.
const RECIPE: u32 = 1;

/// What is kept of one file: its SHA-256 in the cache.
pub(crate) struct Kept<'a> {
    cache: &'a Cache,
    sha256: &'a str,
}

/// The file's kept records, when there is a cache and the file is the size its manifest
/// records (with a SHA-256).
pub(crate) fn of<'a>(cache: Option<&'a Cache>, file: &'a FileRef, len: u64) -> Option<Kept<'a>> {
    let (sha256, recorded) = file.recorded()?;
    (recorded == len).then_some(Kept {
        cache: cache?,
        sha256,
    })
}

impl Kept<'_> {
    fn key(&self, what: &str) -> String {
        let name = format!(
            "assetpack {} thumbnail {RECIPE}: {what} of {} at {MAX_PX} px",
            env!("CARGO_PKG_VERSION"),
            self.sha256
        );
        hex::encode(Sha256::digest(name.as_bytes()))
    }

    /// An image's thumbnail: the kept one, else made and kept (a failure is not kept).
    pub fn image<E>(&self, make: impl FnOnce() -> Result<Pixels, E>) -> Result<Pixels, E> {
        self.through("image", pixels, pixels_record, make)
    }

    /// A PDF's first page: the kept one, else parsed and kept (a PDF that cannot be read,
    /// or parsed, is not kept).
    pub fn first_page(&self, make: impl FnOnce() -> Option<FirstPage>) -> Option<FirstPage> {
        let make = || make().ok_or(());
        self.through("pdf", first_page, first_page_record, make)
            .ok()
    }

    /// The kept record of `what` as `read` reads it, else the one `make` makes, kept as
    /// `record` writes it when it is made.
    fn through<T, E>(
        &self,
        what: &str,
        read: impl Fn(&[u8]) -> Option<T>,
        record: impl Fn(&T) -> Vec<u8>,
        make: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let key = self.key(what);
        if let Some(kept) = self.cache.derived(&key).and_then(|r| read(&r)) {
            return Ok(kept);
        }
        let made = make()?;
        self.cache.keep_derived(&key, &record(&made));
        Ok(made)
    }
}

/// `width`, `height` (little-endian u32), then the RGB samples.
fn pixels_record(p: &Pixels) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + p.rgb.len());
    out.extend_from_slice(&p.width.to_le_bytes());
    out.extend_from_slice(&p.height.to_le_bytes());
    out.extend_from_slice(&p.rgb);
    out
}

/// The pixels of a record, when it is a thumbnail's: within [`MAX_PX`], samples to match.
fn pixels(record: &[u8]) -> Option<Pixels> {
    let (width, rest) = u32_at(record)?;
    let (height, rgb) = u32_at(rest)?;
    let sound = (1..=MAX_PX).contains(&width)
        && (1..=MAX_PX).contains(&height)
        && rgb.len() == width as usize * height as usize * 3;
    sound.then(|| Pixels {
        width,
        height,
        rgb: rgb.to_vec(),
    })
}

/// The page's size (two little-endian f32) then, when it was rendered, its pixels' record.
fn first_page_record(page: &FirstPage) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&page.size.0.to_le_bytes());
    out.extend_from_slice(&page.size.1.to_le_bytes());
    if let Some(p) = &page.image {
        out.extend(pixels_record(p));
    }
    out
}

/// The first page a record holds, when it is one.
fn first_page(record: &[u8]) -> Option<FirstPage> {
    let (w, rest) = u32_at(record)?;
    let (h, rest) = u32_at(rest)?;
    let image = match rest {
        [] => None,
        rest => Some(pixels(rest)?),
    };
    Some(FirstPage {
        size: (f32::from_bits(w), f32::from_bits(h)),
        image,
    })
}

fn u32_at(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<4>()?;
    Some((u32::from_le_bytes(*head), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thumb() -> Pixels {
        Pixels {
            width: 2,
            height: 1,
            rgb: vec![1, 2, 3, 4, 5, 6],
        }
    }

    #[test]
    fn records_read_back_as_what_was_kept() {
        assert_eq!(pixels(&pixels_record(&thumb())), Some(thumb()));
        let page = FirstPage {
            size: (595.28, 841.89),
            image: Some(thumb()),
        };
        let back = first_page(&first_page_record(&page)).unwrap();
        assert_eq!((back.size, back.image), (page.size, page.image));
        let outline = FirstPage {
            size: (100.0, 50.0),
            image: None,
        };
        let back = first_page(&first_page_record(&outline)).unwrap();
        assert_eq!((back.size, back.image), (outline.size, None));
    }

    #[test]
    fn a_record_that_is_not_a_thumbnail_is_not_used() {
        let mut short = pixels_record(&thumb());
        short.pop();
        let too_wide = pixels_record(&Pixels {
            width: MAX_PX + 1,
            height: 1,
            rgb: vec![0; (MAX_PX as usize + 1) * 3],
        });
        for bad in [&short[..], &too_wide, &[], &[1, 2, 3]] {
            assert_eq!(pixels(bad), None);
        }
        assert!(first_page(&[0; 7]).is_none() && first_page(&[0; 9]).is_none());
    }

    #[test]
    fn a_file_is_kept_by_its_recorded_sha256_and_size() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::keep(dir.path(), 1 << 20).unwrap();
        let file = FileRef {
            file: "a.png".into(),
            sha256: Some("ab".repeat(32)),
            bytes: Some(10),
            media_type: None,
        };
        // Another size than the manifest's: nothing is kept or read.
        assert!(of(Some(&cache), &file, 11).is_none());
        let kept = of(Some(&cache), &file, 10).unwrap();
        let made: Result<Pixels, ()> = kept.image(|| Ok(thumb()));
        assert_eq!(made, Ok(thumb()));
        // Kept: the second look does not decode.
        let again: Result<Pixels, ()> = kept.image(|| panic!("decoded again"));
        assert_eq!(again, Ok(thumb()));
        // A failure is not kept.
        let other = FileRef {
            sha256: Some("cd".repeat(32)),
            ..file.clone()
        };
        let kept = of(Some(&cache), &other, 10).unwrap();
        assert_eq!(kept.image(|| Err::<Pixels, _>("bad")), Err("bad"));
        assert_eq!(kept.image(|| Ok::<_, ()>(thumb())), Ok(thumb()));
    }
}
