//! Seeded pseudo-random bytes: the bodies of media files, which must not compress.

use std::io::{self, Write};
use std::path::Path;

use rand_core::{Rng, SeedableRng};
use rand_xorshift::XorShiftRng;
use rayon::prelude::*;

/// Bytes made in one piece; a larger body is made piece by piece, in parallel, each piece
/// from its own generator, so the bytes do not depend on the number of threads.
const PIECE: usize = 1 << 20;

/// The generator of one file.
pub(crate) struct Noise {
    rng: XorShiftRng,
    seed: u64,
}

/// FNV-1a of a path's bytes, `/`-separated on every system.
pub(crate) fn path_hash(path: &Path) -> u64 {
    let text = path.to_string_lossy().replace('\\', "/");
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Noise {
    /// The generator of the file at `path` in a corpus made with `seed`.
    pub(crate) fn for_file(seed: u64, path: &Path) -> Noise {
        let seed = seed ^ path_hash(path);
        Noise {
            rng: XorShiftRng::seed_from_u64(seed),
            seed,
        }
    }

    /// `n` random bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        self.rng.fill_bytes(&mut v);
        v
    }

    /// Writes `n` random bytes to `out`, made in parallel pieces. Two calls on one generator
    /// give different bytes.
    pub(crate) fn write<W: Write>(&mut self, out: &mut W, n: u64) -> io::Result<()> {
        let stream = u64::from(self.rng.next_u32());
        let pieces = n.div_ceil(PIECE as u64);
        // A batch of pieces at a time keeps the memory bounded for a 5 GB body.
        let batch = 64u64;
        for start in (0..pieces).step_by(batch as usize) {
            let end = (start + batch).min(pieces);
            let made: Vec<Vec<u8>> = (start..end)
                .into_par_iter()
                .map(|k| {
                    let len = (n - k * PIECE as u64).min(PIECE as u64) as usize;
                    let seed =
                        self.seed ^ stream.rotate_left(32) ^ k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    let mut v = vec![0; len];
                    XorShiftRng::seed_from_u64(seed).fill_bytes(&mut v);
                    v
                })
                .collect();
            for piece in made {
                out.write_all(&piece)?;
            }
        }
        Ok(())
    }
}

/// A writer that counts the bytes written through it.
pub(crate) struct Counted<W: Write> {
    inner: W,
    count: u64,
}

impl<W: Write> Counted<W> {
    pub(crate) fn new(inner: W) -> Self {
        Counted { inner, count: 0 }
    }

    /// Flushes and returns the count.
    pub(crate) fn finish(mut self) -> io::Result<u64> {
        self.inner.flush()?;
        Ok(self.count)
    }
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
