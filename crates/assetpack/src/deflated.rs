//! DEFLATE as assetpack writes it, and documents deflated as they are written.
//!
//! Every deflated entry assetpack holds whole (a small file, a file it made, a document) is
//! deflated the same way (files of a mebibyte or more stream through the zip crate's writer
//! instead): the text is cut into pieces of 1 MiB (`PIECE`), each deflated on its own by an
//! encoder reset for it (at level 1, `LEVEL`), every piece but the last ended with a sync
//! flush, so that the next starts on a byte boundary and the pieces joined are one valid
//! stream (as pigz makes them). A text of a piece or less is one ordinary stream. A piece of a
//! mebibyte loses next to nothing against one long window.
//!
//! The resolved `manifest.toml` and `manifest.json` of a bundle of 20,000 assets are 14 MB of
//! text that the pack deflates anyway. The plan writes each through a `DocumentWriter`, which
//! hashes and deflates each piece as soon as the next byte shows it is not the last, so it
//! holds a piece of the text at most and the stream (about a quarter of the text), never the
//! whole text: that was the largest thing a build of many small files held. The pack copies
//! the stream into its entry as it is, without deflating it again.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::sync::Arc;

use flate2::{Compress, Compression, FlushCompress, Status};
use sha2::{Digest, Sha256};

/// The DEFLATE level of every deflated entry: 1, zlib-rs's fastest ("quick") strategy. What
/// a pack deflates is text (SVG, HTML, the resolved manifests and checksum lists), where it
/// still saves two thirds or more of the bytes.
pub(crate) const LEVEL: u32 = 1;

/// The size of the pieces a text is deflated in (see the module docs).
pub(crate) const PIECE: usize = 1 << 20;

/// The room the encoder is given for its output at each call: fixed, so that the calls it
/// sees, and so the stream it makes, depend on the text alone. Given all the room a buffer
/// happened to have, zlib-rs ended a stream differently when it fitted in one call than
/// over several (both valid), and a reused buffer has any room.
const ROOM: usize = 64 << 10;

/// A DEFLATE encoder (raw, at [`LEVEL`]) and the window its output goes through.
struct Deflater {
    encoder: Compress,
    window: Box<[u8]>,
}

thread_local! {
    /// This thread's encoder, reset for each piece: a zlib-rs encoder is one block of about
    /// 370 KiB, zeroed as it is made, which for a pack of thousands of small SVGs cost more
    /// than deflating them.
    static DEFLATER: RefCell<Deflater> = RefCell::new(Deflater {
        encoder: Compress::new(Compression::new(LEVEL), false),
        window: vec![0; ROOM].into_boxed_slice(),
    });
}

/// Deflates `input` onto the end of `out`, on this thread.
pub(crate) fn deflate_into(input: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    DEFLATER.with(|d| {
        let d = &mut *d.borrow_mut();
        pieces_of(input).try_for_each(|(piece, last)| deflate_piece(d, piece, last, out))
    })
}

/// Deflates `input` into the stream [`deflate_into`] makes of it, its pieces on every core:
/// for a text held whole anyway (a bundle of 20,000 files has a checksum file of 2 MB).
fn deflate_parallel(input: &[u8]) -> io::Result<Vec<u8>> {
    use rayon::prelude::*;
    let pieces: Vec<(&[u8], bool)> = pieces_of(input).collect();
    let streams = pieces
        .par_iter()
        .map(|&(piece, last)| {
            let mut out = Vec::with_capacity(piece.len() / 4);
            DEFLATER.with(|d| deflate_piece(&mut d.borrow_mut(), piece, last, &mut out))?;
            Ok(out)
        })
        .collect::<io::Result<Vec<_>>>()?;
    Ok(streams.concat())
}

/// The pieces of `input` (one, empty, for an empty text), each with whether it is the last.
fn pieces_of(input: &[u8]) -> impl Iterator<Item = (&[u8], bool)> {
    let empty = input.is_empty().then_some(input);
    let count = input.len().div_ceil(PIECE).max(1);
    let pieces = input.chunks(PIECE).chain(empty);
    pieces
        .enumerate()
        .map(move |(i, piece)| (piece, i + 1 == count))
}

/// Deflates one piece onto `out` with `d`'s encoder, reset first; the last piece ends the
/// stream, any other is ended with a sync flush. The text goes in first and the end comes
/// after, as a streaming writer does; the output comes out through `d`'s window.
fn deflate_piece(d: &mut Deflater, piece: &[u8], last: bool, out: &mut Vec<u8>) -> io::Result<()> {
    let c = &mut d.encoder;
    c.reset();
    let read_before = c.total_in();
    let end = match last {
        true => FlushCompress::Finish,
        false => FlushCompress::Sync,
    };
    loop {
        let read = usize::try_from(c.total_in() - read_before).unwrap_or(usize::MAX);
        let rest = piece.get(read..).unwrap_or_default();
        let flush = match rest.is_empty() {
            true => end,
            false => FlushCompress::None,
        };
        let made_before = c.total_out();
        let status = c
            .compress(rest, &mut d.window, flush)
            .map_err(io::Error::other)?;
        let made = usize::try_from(c.total_out() - made_before).unwrap_or(usize::MAX);
        out.extend_from_slice(d.window.get(..made).unwrap_or_default());
        match (flush, status) {
            (FlushCompress::Finish, Status::StreamEnd) => return Ok(()),
            // A flush is complete when it left room in the window.
            (FlushCompress::Sync, _) if made < ROOM => return Ok(()),
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

/// The CRC-32 of `bytes` as a ZIP entry records it (ISO-HDLC).
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    crc.sum()
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

impl Written {
    /// A document held whole, `text`, as a [`DocumentWriter`] given all of it holds it
    /// (deflated when `deflate`), its pieces deflated on every core while it is hashed.
    pub fn whole(text: Vec<u8>, deflate: bool) -> io::Result<Written> {
        let len = text.len() as u64;
        if !deflate {
            let sha256 = crate::digest::sha256_bytes(&text);
            let data = Held::Plain(text);
            return Ok(Written { data, sha256, len });
        }
        let sums = || (crate::digest::sha256_bytes(&text), crc32(&text));
        let (stream, (sha256, crc32)) = rayon::join(|| deflate_parallel(&text), sums);
        let data = Held::Deflated(Deflated {
            stream: stream?.into(),
            crc32,
        });
        Ok(Written { data, sha256, len })
    }
}

/// Takes a document a part at a time, and holds it deflated or as it is once finished.
pub(crate) struct DocumentWriter {
    /// The text not deflated yet: all of it when the document is kept as it is, else the
    /// piece being filled (deflated once it is full and more text follows).
    text: Vec<u8>,
    /// The pieces deflated so far, when the document is deflated.
    stream: Option<Vec<u8>>,
    sha256: Sha256,
    crc: flate2::Crc,
    /// Bytes hashed so far.
    len: u64,
}

impl DocumentWriter {
    /// A writer that will deflate what it is given, or keep it as it is; `capacity` is about
    /// the document's size, when it is known (it spares growing the buffers).
    pub fn new(deflate: bool, capacity: usize) -> Self {
        let (text, stream) = match deflate {
            true => (capacity.min(PIECE), Some(Vec::with_capacity(capacity / 4))),
            false => (capacity, None),
        };
        DocumentWriter {
            text: Vec::with_capacity(text),
            stream,
            sha256: Sha256::new(),
            crc: flate2::Crc::new(),
            len: 0,
        }
    }

    /// Hashes the text held and, when deflating, deflates it as the stream's next piece
    /// (`last`: its end).
    fn take_piece(&mut self, last: bool) -> io::Result<()> {
        self.sha256.update(&self.text);
        self.crc.update(&self.text);
        self.len += self.text.len() as u64;
        if let Some(stream) = &mut self.stream {
            DEFLATER.with(|d| deflate_piece(&mut d.borrow_mut(), &self.text, last, stream))?;
            self.text.clear();
        }
        Ok(())
    }

    /// The document, whole.
    pub fn finish(mut self) -> io::Result<Written> {
        self.take_piece(true)?;
        let len = self.len;
        let sha256 = hex::encode(self.sha256.finalize());
        let data = match self.stream {
            Some(stream) => Held::Deflated(Deflated {
                stream: stream.into(),
                crc32: self.crc.sum(),
            }),
            None => Held::Plain(self.text),
        };
        Ok(Written { data, sha256, len })
    }
}

impl Write for DocumentWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.stream.is_none() {
            self.text.extend_from_slice(buf);
            return Ok(buf.len());
        }
        let mut rest = buf;
        while !rest.is_empty() {
            // A full piece with more text after it: not the last one.
            if self.text.len() == PIECE {
                self.take_piece(false)?;
            }
            let (now, later) = rest.split_at(rest.len().min(PIECE - self.text.len()));
            self.text.extend_from_slice(now);
            rest = later;
        }
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

    /// Pretty JSON like a resolved `manifest.json`'s, `n` bytes of it, its hashes drawn
    /// from `seed`.
    fn json_like(seed: u32, n: usize) -> Vec<u8> {
        let mut x = seed;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        let mut text = b"{\n  \"provider\": [\n".to_vec();
        for i in 0.. {
            if text.len() >= n {
                break;
            }
            let sha256: String = (0..8).map(|_| format!("{:08x}", next())).collect();
            let asset = format!(
                "        {{\n          \"id\": \"icon-{i:05}\",\n          \"file\": {{\n            \
                 \"path\": \"oup/set-{:02}/icon-{i:05}.png\",\n            \"sha256\": \"{sha256}\",\n            \
                 \"bytes\": {}\n          }}\n        }},\n",
                i / 200,
                4000 + next() % 1000
            );
            text.extend_from_slice(asset.as_bytes());
        }
        text.truncate(n);
        text
    }

    /// The stream is a function of the text alone: not of how much room the buffer it is
    /// written onto already has (a reused buffer has any), nor of what the thread deflated
    /// before. The JSON is one that zlib-rs, given all the room a buffer had, ended
    /// differently when its stream fitted in one call.
    #[test]
    fn the_stream_does_not_depend_on_the_room_in_its_buffer() {
        let noise: Vec<u8> = json_like(7, 300_000)
            .chunks(4)
            .map(|c| c.iter().fold(0u8, |a, b| a.rotate_left(3) ^ b))
            .collect();
        let json = json_like(42, 432_598);
        for input in [&json[..], &noise[..], &json[..3000]] {
            let mut tight = Vec::new();
            deflate_into(input, &mut tight).unwrap();
            let fresh = std::thread::scope(|s| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    deflate_into(input, &mut out).unwrap();
                    out
                })
                .join()
                .unwrap()
            });
            assert!(fresh == tight, "{} bytes, after other work", input.len());
            for room in [100, 70_000, 4 << 20] {
                let mut roomy = Vec::with_capacity(room);
                deflate_into(input, &mut roomy).unwrap();
                assert!(roomy == tight, "{} bytes, room {room}", input.len());
            }
            let held = Deflated {
                stream: tight.into(),
                crc32: 0,
            };
            assert!(held.inflate().unwrap() == input, "{} bytes", input.len());
        }
    }

    /// Texts of several pieces, of exactly one or two, and empty, written in parts of every
    /// kind of size: the document's stream is the one [`deflate_into`] makes of the whole
    /// text, and inflates (through an outside inflater) to the text.
    #[test]
    fn a_document_written_a_part_at_a_time_is_the_stream_of_its_whole_text() {
        let line = b"{\"sha256\": \"9f86d081884c7d659a2feaa0c55ad015\", \"bytes\": 2318},\n";
        let long = line.repeat(PIECE * 5 / 2 / line.len());
        let one = line.repeat(PIECE / line.len() + 1)[..PIECE - 1].to_vec();
        let texts = [
            long,
            one,
            Vec::new(),
            b"x".repeat(PIECE),
            b"y".repeat(2 * PIECE),
        ];
        for text in texts {
            let mut alone = Vec::new();
            deflate_into(&text, &mut alone).unwrap();
            for part in [1, 4093, PIECE - 1, PIECE, PIECE + 7] {
                let parts: Vec<&[u8]> = text.chunks(part).collect();
                let w = written(true, &parts);
                let Held::Deflated(d) = w.data else {
                    panic!("deflated");
                };
                let at = format!("{} bytes in parts of {part}", text.len());
                assert!(d.stream[..] == alone[..], "{at}: the streams differ");
                assert!(d.inflate().unwrap() == text, "{at}");
                assert_eq!(w.sha256, crate::digest::sha256_bytes(&text), "{at}");
                assert_eq!(w.len, text.len() as u64, "{at}");
            }
        }
    }

    /// A text held whole, its pieces deflated on every core: the same stream, checksums and
    /// size as a writer given it all, and as it is when not deflated.
    #[test]
    fn a_document_held_whole_is_what_a_writer_given_it_all_holds() {
        let line = b"9f86d081884c7d659a2feaa0c55ad015  poster/a4.pdf\n";
        let texts = [
            line.repeat(PIECE * 5 / 2 / line.len()),
            line.repeat(PIECE / line.len() + 1)[..PIECE - 1].to_vec(),
            Vec::new(),
            b"x".repeat(PIECE),
            b"y".repeat(2 * PIECE),
        ];
        for text in texts {
            let at = format!("{} bytes", text.len());
            let by_writer = written(true, &[&text]);
            let whole = Written::whole(text.clone(), true).unwrap();
            let (Held::Deflated(want), Held::Deflated(got)) = (by_writer.data, whole.data) else {
                panic!("{at}: deflated");
            };
            assert!(got.stream == want.stream, "{at}: the streams differ");
            assert_eq!(got.crc32, want.crc32, "{at}");
            assert_eq!(whole.sha256, by_writer.sha256, "{at}");
            assert_eq!(whole.len, text.len() as u64, "{at}");
            let plain = Written::whole(text.clone(), false).unwrap();
            assert!(
                matches!(plain.data, Held::Plain(ref bytes) if *bytes == text),
                "{at}"
            );
            assert_eq!(plain.sha256, by_writer.sha256, "{at}");
        }
    }
}
