//! Documents assetpack makes, held DEFLATE-compressed until they are packed.
//!
//! The resolved `manifest.toml` and `manifest.json` of a bundle of 20,000 assets are 14 MB of
//! text that the pack deflates anyway. The plan writes each through a document writer, which
//! hashes, measures and deflates the text as it comes (at level 1, the pack's), while each
//! provider's part is dropped once written: the plan holds the stream, about a quarter of the
//! text, and the pack copies it into its entry as it is, without deflating it again.

use std::io::{self, Read, Write};
use std::sync::Arc;

use flate2::write::DeflateEncoder;
use sha2::{Digest, Sha256};

/// The DEFLATE level of every deflated entry: 1, zlib-rs's fastest ("quick") strategy. What
/// a pack deflates is text (SVG, HTML, the resolved manifests and checksum lists), where it
/// still saves two thirds or more of the bytes.
pub(crate) const LEVEL: u32 = 1;

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

/// Writes a document a part at a time: see the module docs.
pub(crate) struct DocumentWriter {
    sha256: Sha256,
    crc: flate2::Crc,
    len: u64,
    out: Out,
}

enum Out {
    Plain(Vec<u8>),
    Deflating(DeflateEncoder<Vec<u8>>),
}

impl DocumentWriter {
    /// A writer that deflates what it is given, or keeps it as it is.
    pub fn new(deflate: bool) -> Self {
        let out = match deflate {
            true => Out::Deflating(DeflateEncoder::new(
                Vec::new(),
                flate2::Compression::new(LEVEL),
            )),
            false => Out::Plain(Vec::new()),
        };
        DocumentWriter {
            sha256: Sha256::new(),
            crc: flate2::Crc::new(),
            len: 0,
            out,
        }
    }

    /// The document.
    pub fn finish(self) -> io::Result<Written> {
        let data = match self.out {
            Out::Plain(bytes) => Held::Plain(bytes),
            Out::Deflating(encoder) => Held::Deflated(Deflated {
                stream: encoder.finish()?.into(),
                crc32: self.crc.sum(),
            }),
        };
        Ok(Written {
            data,
            sha256: hex::encode(self.sha256.finalize()),
            len: self.len,
        })
    }
}

impl Write for DocumentWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.out {
            Out::Plain(bytes) => bytes.write(buf)?,
            Out::Deflating(encoder) => encoder.write(buf)?,
        };
        self.sha256.update(&buf[..n]);
        self.crc.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(deflate: bool, parts: &[&[u8]]) -> Written {
        let mut w = DocumentWriter::new(deflate);
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
}
