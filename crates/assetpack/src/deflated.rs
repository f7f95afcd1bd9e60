//! DEFLATE as assetpack writes it, and documents held deflated until they are packed.
//!
//! Every deflated entry assetpack holds whole (a small file, a file it made, a document) is
//! made by `deflate_into` or `deflate_parallel`, which give the same bytes (files of a
//! mebibyte or more stream through the zip crate's writer instead): the text is cut into
//! pieces of 1 MiB (`PIECE`), each deflated on its own by an encoder reset for it (at level
//! 1, `LEVEL`), every piece but the last ended with a sync flush, so that the next starts on
//! a byte boundary and the pieces joined are one valid stream (as pigz makes them). A text of
//! a piece or less is one ordinary stream. Pieces may then be deflated on several threads,
//! and a pack's bytes still do not depend on how many there were; a piece of a mebibyte
//! loses next to nothing against one long window.
//!
//! The resolved `manifest.toml` and `manifest.json` of a bundle of 20,000 assets are 14 MB of
//! text that the pack deflates anyway. The plan writes each through a `DocumentWriter`; its
//! `DocumentWriter::finish` hashes the text while its pieces are deflated in parallel, and
//! the plan holds the stream (about a quarter of the text), which the pack copies into its
//! entry as it is, without deflating it again.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::sync::Arc;

use flate2::{Compress, Compression, FlushCompress, Status};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

/// The DEFLATE level of every deflated entry: 1, zlib-rs's fastest ("quick") strategy. What
/// a pack deflates is text (SVG, HTML, the resolved manifests and checksum lists), where it
/// still saves two thirds or more of the bytes.
pub(crate) const LEVEL: u32 = 1;

/// The size of the pieces a text is deflated in (see the module docs).
pub(crate) const PIECE: usize = 1 << 20;

thread_local! {
    /// This thread's DEFLATE encoder (raw, at [`LEVEL`]), reset for each piece: a zlib-rs
    /// encoder is one block of about 370 KiB, zeroed as it is made, which for a pack of
    /// thousands of small SVGs cost more than deflating them.
    static DEFLATER: RefCell<Compress> =
        RefCell::new(Compress::new(Compression::new(LEVEL), false));
}

/// Deflates `input` onto the end of `out`, on this thread.
pub(crate) fn deflate_into(input: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    DEFLATER.with(|c| {
        let c = &mut *c.borrow_mut();
        let mut pieces = pieces_of(input).peekable();
        while let Some(piece) = pieces.next() {
            deflate_piece(c, piece, pieces.peek().is_none(), out)?;
        }
        Ok(())
    })
}

/// The stream [`deflate_into`] makes of `input`, its pieces deflated in parallel.
pub(crate) fn deflate_parallel(input: &[u8]) -> io::Result<Vec<u8>> {
    let pieces: Vec<&[u8]> = pieces_of(input).collect();
    let last = pieces.len() - 1;
    let streams = pieces
        .par_iter()
        .enumerate()
        .map(|(i, piece)| {
            let mut out = Vec::new();
            DEFLATER.with(|c| deflate_piece(&mut c.borrow_mut(), piece, i == last, &mut out))?;
            Ok(out)
        })
        .collect::<io::Result<Vec<Vec<u8>>>>()?;
    Ok(streams.concat())
}

/// The pieces of `input`: one, empty, for an empty text.
fn pieces_of(input: &[u8]) -> impl Iterator<Item = &[u8]> {
    let empty = input.is_empty().then_some(input);
    input.chunks(PIECE).chain(empty)
}

/// Deflates one piece onto `out` with `c`, reset first; the last piece ends the stream, any
/// other is ended with a sync flush. The text goes in first and the end comes after, as a
/// streaming writer does.
fn deflate_piece(c: &mut Compress, piece: &[u8], last: bool, out: &mut Vec<u8>) -> io::Result<()> {
    c.reset();
    let before = c.total_in();
    let end = match last {
        true => FlushCompress::Finish,
        false => FlushCompress::Sync,
    };
    loop {
        let read = usize::try_from(c.total_in() - before).unwrap_or(usize::MAX);
        let rest = piece.get(read..).unwrap_or_default();
        // Room for the rest as it is (up to 64 KiB at a time, so that a fragment sized for a
        // large text's stream is not grown for all of the text), and the stream's end; when
        // that is short, the loop goes round again.
        out.reserve(rest.len().min(1 << 16) + 64);
        let flush = match rest.is_empty() {
            true => end,
            false => FlushCompress::None,
        };
        let status = c.compress_vec(rest, out, flush).map_err(io::Error::other)?;
        match (flush, status) {
            (FlushCompress::Finish, Status::StreamEnd) => return Ok(()),
            // A flush is complete when it left room in the output.
            (FlushCompress::Sync, _) if out.len() < out.capacity() => return Ok(()),
            _ => {}
        }
    }
}

/// A raw DEFLATE stream (RFC 1951: no zlib or gzip wrapper) and the CRC-32 of the bytes it
/// holds, as a ZIP entry records them; the entry's size and SHA-256 are the plan's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deflated {
    /// The compressed stream.
    pub stream: Arc<[u8]>,
    /// CRC-32 (ISO-HDLC, as ZIP and gzip use) of the uncompressed bytes.
    pub crc32: u32,
}

impl Deflated {
    /// The bytes the stream holds.
    pub fn inflate(&self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(&self.stream[..]).read_to_end(&mut out)?;
        Ok(out)
    }
}

/// A document's bytes as they are held.
pub(crate) enum Held {
    Plain(Vec<u8>),
    Deflated(Deflated),
}

/// A document as it was written, with its SHA-256 (hex) and size.
pub(crate) struct Written {
    pub data: Held,
    pub sha256: String,
    pub len: u64,
}

/// Takes a document a part at a time, and holds it deflated or as it is once finished.
pub(crate) struct DocumentWriter {
    text: Vec<u8>,
    deflate: bool,
}

impl DocumentWriter {
    /// A writer that will deflate what it is given, or keep it as it is, with room for
    /// `capacity` bytes (the document's size, when it is known, spares growing it).
    pub fn new(deflate: bool, capacity: usize) -> Self {
        DocumentWriter {
            text: Vec::with_capacity(capacity),
            deflate,
        }
    }

    /// The document: hashed while it is deflated.
    pub fn finish(self) -> io::Result<Written> {
        let text = self.text;
        let sums = || {
            let mut crc = flate2::Crc::new();
            crc.update(&text);
            (hex::encode(Sha256::digest(&text)), crc.sum())
        };
        let ((sha256, crc32), stream) = match self.deflate {
            true => rayon::join(sums, || deflate_parallel(&text).map(Some)),
            false => (sums(), Ok(None)),
        };
        let len = text.len() as u64;
        let data = match stream? {
            Some(stream) => Held::Deflated(Deflated {
                stream: stream.into(),
                crc32,
            }),
            None => Held::Plain(text),
        };
        Ok(Written { data, sha256, len })
    }
}

impl Write for DocumentWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(deflate: bool, parts: &[&[u8]]) -> Written {
        let mut w = DocumentWriter::new(deflate, 0);
        for p in parts {
            w.write_all(p).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn a_document_written_in_parts_inflates_to_the_parts_joined() {
        let line = b"[[provider.asset]]\nid = \"poster-a4\"\n".repeat(400);
        let parts: [&[u8]; 3] = [b"format = 1\n", &line, b"\n"];
        let whole = parts.concat();
        let w = written(true, &parts);
        let Held::Deflated(d) = w.data else {
            panic!("deflated");
        };
        assert!(
            d.stream.len() * 10 < whole.len(),
            "{} bytes",
            d.stream.len()
        );
        assert_eq!(d.inflate().unwrap(), whole);
        let mut crc = flate2::Crc::new();
        crc.update(&whole);
        assert_eq!(d.crc32, crc.sum());
        assert_eq!(w.len, whole.len() as u64);
        assert_eq!(w.sha256, crate::digest::sha256_bytes(&whole));
        let plain = written(false, &parts);
        assert!(matches!(plain.data, Held::Plain(bytes) if bytes == whole));
        assert_eq!(plain.sha256, w.sha256);
    }

    /// Texts of several pieces, of exactly one, and empty: the parallel stream is the one a
    /// single thread makes, and inflates (through an outside inflater) to the text.
    #[test]
    fn pieces_deflated_in_parallel_are_the_stream_one_thread_makes() {
        let line = b"{\"sha256\": \"9f86d081884c7d659a2feaa0c55ad015\", \"bytes\": 2318},\n";
        let long = line.repeat(PIECE * 5 / 2 / line.len());
        let one = line.repeat(PIECE / line.len() + 1)[..PIECE - 1].to_vec();
        for text in [long, one, Vec::new(), b"x".repeat(PIECE)] {
            let mut alone = Vec::new();
            deflate_into(&text, &mut alone).unwrap();
            let parallel = deflate_parallel(&text).unwrap();
            assert!(
                alone == parallel,
                "{} bytes: the streams differ",
                text.len()
            );
            let held = Deflated {
                stream: parallel.into(),
                crc32: 0,
            };
            assert!(held.inflate().unwrap() == text, "{} bytes", text.len());
        }
    }
}
