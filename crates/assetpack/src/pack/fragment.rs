//! A fragment: a small ZIP archive of consecutive entries, made by a reader thread and merged
//! whole into the pack by the writer.
//!
//! Written by hand rather than with the zip crate's writer, for two reasons: the zip crate
//! takes data compressed already only by copying another archive's entry, and it makes a new
//! DEFLATE encoder for every entry. A zlib-rs encoder is one block of about 370 KiB, zeroed
//! as it is made: for a pack of 20,000 small files, a third of them text, making and freeing
//! them took more time than deflating the text. Here each reader thread keeps one encoder
//! and resets it between entries ([`crate::deflated::deflate_into`]).
//!
//! The records are those the zip crate writes for the same entries (APPNOTE 4.3.7 local
//! header, 4.3.12 central directory header, 4.3.16 end of central directory), so the pack's
//! bytes do not depend on which of the two wrote a fragment: version 1.0 needed for a stored
//! file, 2.0 for a deflated one and for a folder; made by Unix; the name flagged UTF-8 when
//! it is not ASCII; no extra fields, no data descriptor (the sizes are known).

use std::io;

use zip::DateTime;

use crate::deflated::{crc32, Deflated};

/// ZIP's compression method numbers.
const STORED: u16 = 0;
const DEFLATED: u16 = 8;
/// Unix mode bits of a regular file and of a folder, as the entries carry them.
const FILE_MODE: u32 = 0o100_644;
const DIR_MODE: u32 = 0o040_755;

/// One entry's fields as both of its headers repeat them.
struct Header {
    needs: u16,
    method: u16,
    crc32: u32,
    packed: u32,
    size: u32,
    mode: u32,
    offset: u32,
}

/// A fragment being written: its local headers and data, and its central directory apart.
pub(super) struct Fragment {
    out: Vec<u8>,
    directory: Vec<u8>,
    entries: u16,
    time: DateTime,
}

impl Fragment {
    /// An empty fragment whose entries all carry `time`, with room for `capacity` bytes of
    /// entries and `directory` bytes of central directory.
    pub fn with_capacity(capacity: usize, directory: usize, time: DateTime) -> Self {
        Self::in_buffer(Vec::new(), capacity, directory, time)
    }

    /// [`Fragment::with_capacity`], written into `buffer` (emptied first) to reuse it.
    pub fn in_buffer(
        mut buffer: Vec<u8>,
        capacity: usize,
        directory: usize,
        time: DateTime,
    ) -> Self {
        buffer.clear();
        buffer.reserve(capacity + directory + 22);
        Fragment {
            out: buffer,
            directory: Vec::with_capacity(directory),
            entries: 0,
            time,
        }
    }

    /// A folder entry (`name` ends in `/`).
    pub fn folder(&mut self, name: &str) -> io::Result<()> {
        let offset = self.offset(name)?;
        self.start(name)?;
        let header = Header {
            needs: 20,
            method: STORED,
            crc32: 0,
            packed: 0,
            size: 0,
            mode: DIR_MODE,
            offset,
        };
        self.finish_entry(name, &header)
    }

    /// A file entry holding `bytes`, deflated when `deflate`, else stored.
    pub fn file(&mut self, name: &str, bytes: &[u8], deflate: bool) -> io::Result<()> {
        let offset = self.offset(name)?;
        let at = self.start(name)?;
        let size = fits(name, bytes.len())?;
        let crc32 = crc32(bytes);
        let (method, needs) = match deflate {
            true => {
                crate::deflated::deflate_into(bytes, &mut self.out)?;
                (DEFLATED, 20)
            }
            false => {
                self.out.extend_from_slice(bytes);
                (STORED, 10)
            }
        };
        let packed = fits(name, self.out.len() - at)?;
        let header = Header {
            needs,
            method,
            crc32,
            packed,
            size,
            mode: FILE_MODE,
            offset,
        };
        self.finish_entry(name, &header)
    }

    /// A file entry of `len` bytes whose DEFLATE stream is `d`, copied as it is.
    pub fn deflated(&mut self, name: &str, len: u64, d: &Deflated) -> io::Result<()> {
        let offset = self.offset(name)?;
        self.start(name)?;
        self.out.extend_from_slice(&d.stream);
        let header = Header {
            needs: 20,
            method: DEFLATED,
            crc32: d.crc32,
            packed: fits(name, d.stream.len())?,
            size: u32::try_from(len).map_err(|_| too_large(name))?,
            mode: FILE_MODE,
            offset,
        };
        self.finish_entry(name, &header)
    }

    /// The archive: the entries, their central directory and its end record.
    pub fn finish(mut self) -> io::Result<Vec<u8>> {
        let start = fits("the fragment", self.out.len())?;
        let size = fits("the fragment's directory", self.directory.len())?;
        self.out.extend_from_slice(&self.directory);
        self.out.extend_from_slice(b"PK\x05\x06");
        for half in [0, 0, self.entries, self.entries] {
            self.out.extend_from_slice(&half.to_le_bytes());
        }
        for word in [size, start] {
            self.out.extend_from_slice(&word.to_le_bytes());
        }
        self.out.extend_from_slice(&0u16.to_le_bytes());
        Ok(self.out)
    }

    fn offset(&self, name: &str) -> io::Result<u32> {
        fits(name, self.out.len())
    }

    /// Writes the local header of `name` with its CRC-32 and sizes left for later; returns
    /// where the entry's data starts.
    fn start(&mut self, name: &str) -> io::Result<usize> {
        self.entries = self.entries.checked_add(1).ok_or_else(|| too_large(name))?;
        self.out.extend_from_slice(b"PK\x03\x04");
        self.out.extend_from_slice(&[0; 26]);
        self.out.extend_from_slice(name.as_bytes());
        Ok(self.out.len())
    }

    /// Fills in the local header written at `header.offset` and adds the central directory's.
    fn finish_entry(&mut self, name: &str, header: &Header) -> io::Result<()> {
        let name_len = u16::try_from(name.len()).map_err(|_| too_large(name))?;
        let mut fields = Vec::with_capacity(26);
        self.common(&mut fields, header, name, name_len);
        // The local header's extra field length.
        fields.extend_from_slice(&0u16.to_le_bytes());
        let local = header.offset as usize + 4;
        self.out[local..local + 26].copy_from_slice(&fields);
        let dir = &mut self.directory;
        dir.extend_from_slice(b"PK\x01\x02");
        // Made by Unix (3), with the version the entry needs.
        dir.extend_from_slice(&((3 << 8) | header.needs).to_le_bytes());
        dir.extend_from_slice(&fields[..24]);
        // Extra field and comment lengths, disk number, internal attributes.
        for half in [0u16, 0, 0, 0] {
            dir.extend_from_slice(&half.to_le_bytes());
        }
        for word in [header.mode << 16, header.offset] {
            dir.extend_from_slice(&word.to_le_bytes());
        }
        dir.extend_from_slice(name.as_bytes());
        Ok(())
    }

    /// The fields both headers share, from "version needed" to the name's length.
    fn common(&self, out: &mut Vec<u8>, h: &Header, name: &str, name_len: u16) {
        // Bit 11: the name is UTF-8.
        let flags: u16 = if name.is_ascii() { 0 } else { 1 << 11 };
        let time = (self.time.timepart(), self.time.datepart());
        for half in [h.needs, flags, h.method, time.0, time.1] {
            out.extend_from_slice(&half.to_le_bytes());
        }
        for word in [h.crc32, h.packed, h.size] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(&name_len.to_le_bytes());
    }
}

fn fits(name: &str, n: usize) -> io::Result<u32> {
    u32::try_from(n).map_err(|_| too_large(name))
}

fn too_large(name: &str) -> io::Error {
    io::Error::other(format!("{name} is too large for a fragment of the pack"))
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read, Write};

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipArchive, ZipWriter};

    use super::*;

    fn time() -> DateTime {
        DateTime::from_date_and_time(2027, 3, 1, 0, 0, 0).expect("a date")
    }

    fn options() -> SimpleFileOptions {
        SimpleFileOptions::default()
            .last_modified_time(time())
            .system(zip::System::Unix)
    }

    /// Folders and stored files come out byte for byte as the zip crate's writer makes them,
    /// names in UTF-8 included, so a pack does not depend on which of the two wrote an entry.
    #[test]
    fn folders_and_stored_files_are_the_zip_crates_bytes() {
        let mut ours = Fragment::with_capacity(0, 0, time());
        let mut theirs = ZipWriter::new(Cursor::new(Vec::new()));
        let o = options().compression_method(CompressionMethod::Stored);
        ours.folder("pack/").unwrap();
        theirs
            .add_directory("pack/", o.unix_permissions(0o755))
            .unwrap();
        for (name, bytes) in [("pack/a.png", &b"\x89PNG..."[..]), ("pack/café.txt", b"")] {
            ours.file(name, bytes, false).unwrap();
            theirs.start_file(name, o.unix_permissions(0o644)).unwrap();
            theirs.write_all(bytes).unwrap();
        }
        let theirs = theirs.finish().unwrap().into_inner();
        assert_eq!(ours.finish().unwrap(), theirs);
    }

    /// A deflated entry reads back whole through an outside reader, with the headers the zip
    /// crate writes for one: version 2.0, method 8, the CRC-32 of the text.
    #[test]
    fn deflated_files_read_back_with_the_zip_crates_headers() {
        let text = "<svg>".repeat(5000) + "é";
        let mut ours = Fragment::with_capacity(0, 0, time());
        // Twice: the second entry is deflated by the same encoder, reset.
        ours.file("a.svg", text.as_bytes(), true).unwrap();
        ours.file("b.svg", text.as_bytes(), true).unwrap();
        let ours = ours.finish().unwrap();
        assert!(
            ours.len() < text.len() / 10,
            "deflated: {} bytes",
            ours.len()
        );
        let mut theirs = ZipWriter::new(Cursor::new(Vec::new()));
        let o = options().compression_method(CompressionMethod::Deflated);
        theirs
            .start_file("a.svg", o.unix_permissions(0o644))
            .unwrap();
        theirs.write_all(text.as_bytes()).unwrap();
        let theirs = theirs.finish().unwrap().into_inner();
        let mut ours = ZipArchive::new(Cursor::new(ours)).unwrap();
        let mut theirs = ZipArchive::new(Cursor::new(theirs)).unwrap();
        let reference = theirs.by_index(0).unwrap();
        for i in 0..2 {
            let mut entry = ours.by_index(i).unwrap();
            assert_eq!(entry.compression(), CompressionMethod::Deflated);
            assert_eq!(entry.crc32(), reference.crc32());
            assert_eq!(entry.version_made_by(), reference.version_made_by());
            assert_eq!(entry.unix_mode(), reference.unix_mode());
            assert_eq!(entry.last_modified(), reference.last_modified());
            let mut back = String::new();
            entry.read_to_string(&mut back).unwrap();
            assert_eq!(back, text);
        }
    }

    /// A stream deflated ahead goes in as it is, and reads back as its text.
    #[test]
    fn a_stream_deflated_ahead_is_copied_as_it_is() {
        let text = b"name = \"north\"\n".repeat(100);
        let mut doc = crate::deflated::DocumentWriter::new(true, 0);
        doc.write_all(&text).unwrap();
        let crate::deflated::Held::Deflated(d) = doc.finish().unwrap().data else {
            panic!("not deflated");
        };
        let mut one = Fragment::with_capacity(0, 0, time());
        one.deflated("manifest.toml", text.len() as u64, &d)
            .unwrap();
        let bytes = one.finish().unwrap();
        assert!(bytes.windows(d.stream.len()).any(|w| w == &d.stream[..]));
        let mut back = Vec::new();
        let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
        archive.by_index(0).unwrap().read_to_end(&mut back).unwrap();
        assert_eq!(back, text);
    }

    /// Text that does not shrink (random bytes named `.svg`) still goes in whole: the
    /// stream may be longer than the text, and the fragment grows for it.
    #[test]
    fn a_file_that_grows_when_deflated_is_still_whole() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let noise: Vec<u8> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let mut f = Fragment::with_capacity(16, 0, time());
        f.file("noise.svg", &noise, true).unwrap();
        let mut back = Vec::new();
        let mut archive = ZipArchive::new(Cursor::new(f.finish().unwrap())).unwrap();
        archive.by_index(0).unwrap().read_to_end(&mut back).unwrap();
        assert_eq!(back, noise);
    }
}
