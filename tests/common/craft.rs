//! ZIP archives written byte by byte, for hostile cases the ZIP library will not write
//! (duplicate names, special-file modes, foreign methods) and layouts that lie.

use flate2::Crc;

/// One stored entry of a crafted archive.
#[derive(Clone, Debug)]
pub struct RawEntry {
    /// The name as written (any bytes).
    pub name: Vec<u8>,
    /// The data, stored as it is.
    pub data: Vec<u8>,
    /// The Unix mode (file type and permissions) in the external attributes.
    pub mode: u32,
    /// The compression method recorded (0 stored; 8 when `data` is raw DEFLATE; anything else
    /// is a lie about the data).
    pub method: u16,
    /// The uncompressed size and CRC-32 recorded, when they are to lie (default: `data`'s).
    pub declared: Option<(u32, u32)>,
}

impl RawEntry {
    /// A stored entry: a folder (0o40755) when `name` ends in `/`, else a file (0o100644).
    pub fn new(name: &str, data: &[u8]) -> RawEntry {
        let mode = if name.ends_with('/') {
            0o40755
        } else {
            0o100644
        };
        RawEntry::with_mode(name, data, mode)
    }

    /// A stored entry with the Unix `mode`.
    pub fn with_mode(name: &str, data: &[u8], mode: u32) -> RawEntry {
        RawEntry {
            name: name.as_bytes().to_vec(),
            data: data.to_vec(),
            mode,
            method: 0,
            declared: None,
        }
    }
}

/// 2027-03-01 in MS-DOS date form.
const DOS_DATE: u16 = ((2027 - 1980) << 9) | (3 << 5) | 1;

fn crc32(data: &[u8]) -> u32 {
    let mut crc = Crc::new();
    crc.update(data);
    crc.sum()
}

/// The fields local and central headers share: version, flags, method, time, date, CRC,
/// sizes, name length.
fn common_fields(out: &mut Vec<u8>, e: &RawEntry) {
    let utf8 = if e.name.is_ascii() { 0 } else { 0x800u16 };
    out.extend(20u16.to_le_bytes());
    out.extend(utf8.to_le_bytes());
    out.extend(e.method.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(DOS_DATE.to_le_bytes());
    let (size, crc) = e.declared.unwrap_or((e.data.len() as u32, crc32(&e.data)));
    out.extend(crc.to_le_bytes());
    out.extend((e.data.len() as u32).to_le_bytes());
    out.extend(size.to_le_bytes());
    out.extend((e.name.len() as u16).to_le_bytes());
}

/// A ZIP of `entries` in the order given: local headers and data, the central directory, the
/// end record. Made by Unix (so modes count), no extra fields, no comment.
pub fn zip(entries: &[RawEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for e in entries {
        offsets.push(out.len() as u32);
        out.extend(0x0403_4b50u32.to_le_bytes());
        common_fields(&mut out, e);
        out.extend(0u16.to_le_bytes());
        out.extend(&e.name);
        out.extend(&e.data);
    }
    let cd_start = out.len() as u32;
    for (e, offset) in entries.iter().zip(offsets) {
        out.extend(0x0201_4b50u32.to_le_bytes());
        out.extend(((3u16 << 8) | 20).to_le_bytes());
        common_fields(&mut out, e);
        out.extend([0u8; 8]); // extra, comment, disk, internal attributes
        let dos_dir = if e.name.ends_with(b"/") { 0x10 } else { 0 };
        out.extend(((e.mode << 16) | dos_dir).to_le_bytes());
        out.extend(offset.to_le_bytes());
        out.extend(&e.name);
    }
    let cd_size = out.len() as u32 - cd_start;
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend(cd_size.to_le_bytes());
    out.extend(cd_start.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// Where `needle` first occurs in `hay` at or after `from`.
pub fn find(hay: &[u8], needle: &[u8], from: usize) -> usize {
    from + hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the bytes are there")
}

/// Writes a little-endian `u32` at `at`.
pub fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}
