//! The archive as written: the central directory read byte by byte (every record, duplicates
//! included, names as raw bytes) and the layout it describes checked against the local
//! headers. The ZIP library is not asked: it sanitises names and keeps one entry per name.

use crate::content::ReadAt;
use std::io;

/// One central-directory record, as written.
pub(super) struct RawEntry {
    pub(super) name: Vec<u8>,
    /// Unix mode from the external attributes, when the entry was made on Unix.
    pub(super) unix_mode: Option<u32>,
    /// General-purpose flags.
    pub(super) flags: u16,
    /// Where its local header starts.
    pub(super) offset: u64,
    /// Compressed and uncompressed sizes.
    pub(super) compressed: u64,
    pub(super) uncompressed: u64,
    /// The CRC-32 the directory records.
    pub(super) crc: u32,
    /// The fields a local header repeats, as the directory writes them: version needed,
    /// flags, method, time, date, CRC-32, sizes (bytes 6 to 28 of the record).
    pub(super) repeated: [u8; 22],
    /// The disk the entry starts on.
    pub(super) disk: u16,
    /// Version made by, internal and external attributes, as written.
    pub(super) made_by: [u8; 2],
    pub(super) internal: u16,
    pub(super) external: u32,
}

/// What about an entry's directory-only fields is not as assetpack writes them (made by Unix,
/// with the version it needs; no internal attributes; a file 0644, a folder 0755, and no
/// MS-DOS attributes). These fields change nothing of the content, so only this check sees a
/// damaged or rewritten one.
fn foreign_metadata(e: &RawEntry) -> Option<String> {
    let folder = e.name.ends_with(b"/");
    let mode = if folder { 0o40755 } else { 0o100644 };
    if e.made_by[1] != 3 {
        Some(format!("made by system {}, not Unix", e.made_by[1]))
    } else if e.made_by[0] != e.repeated[0] {
        Some(format!(
            "made by version {} but needing version {}",
            e.made_by[0], e.repeated[0]
        ))
    } else if e.internal != 0 {
        Some(format!("internal attributes {:#06x}", e.internal))
    } else if e.external != mode << 16 {
        Some(format!(
            "attributes {:#010x} where a pack has mode {mode:o}",
            e.external
        ))
    } else {
        None
    }
}

/// Names of the fields a local header repeats, by offset into [`RawEntry::repeated`].
const REPEATED: [(usize, usize, &str); 8] = [
    (0, 2, "the version needed"),
    (2, 4, "the flags"),
    (4, 6, "the compression method"),
    (6, 8, "the time"),
    (8, 10, "the date"),
    (10, 14, "the CRC-32"),
    (14, 18, "the compressed size"),
    (18, 22, "the size"),
];

/// The first field in which a local header (its bytes 4 to 26) says otherwise than the
/// directory. CRC and sizes may be left out (zero) before a data descriptor, and sizes stand
/// in a ZIP64 extra field when either side writes 0xFFFFFFFF.
fn repeated_differs(local: &[u8], e: &RawEntry) -> Option<&'static str> {
    let descriptor = local[2] & 8 != 0;
    REPEATED.iter().find_map(|&(from, to, what)| {
        let (l, c) = (&local[from..to], &e.repeated[from..to]);
        let deferred = from >= 10 && descriptor && l.iter().all(|&b| b == 0);
        let zip64 = from >= 14 && (l == [0xff; 4] || c == [0xff; 4]);
        (l != c && !deferred && !zip64).then_some(what)
    })
}

/// Little-endian integers from untrusted bytes: `None` past the end.
fn get16(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}
fn get64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Applies a ZIP64 extra field (id 1) to the values the record marks with `0xFFFFFFFF`.
fn zip64_values(extra: &[u8], e: &mut RawEntry) -> Option<()> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let id = get16(extra, at)?;
        let size = get16(extra, at + 2)? as usize;
        let data = extra.get(at + 4..at + 4 + size)?;
        if id == 1 {
            let mut p = 0;
            for v in [&mut e.uncompressed, &mut e.compressed, &mut e.offset] {
                if *v == 0xFFFF_FFFF {
                    *v = get64(data, p)?;
                    p += 8;
                }
            }
        }
        at += 4 + size;
    }
    Some(())
}

fn le16(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
}
fn le32(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]))
}
fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]))
}

fn read_exact_at(file: &dyn ReadAt, at: u64, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; n];
    let got = file.read_at(&mut buf, at)?;
    if got < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the archive is cut short",
        ));
    }
    Ok(buf)
}

/// The central directory as written.
pub(super) struct Directory {
    /// Every record, duplicates included (the ZIP library keeps one per name).
    pub records: Vec<RawEntry>,
    /// Where the directory starts.
    pub start: u64,
    /// By how much every recorded offset falls short of where things are (bytes joined to
    /// the front of the archive; 0 for an archive as written).
    pub shift: u64,
    /// Ways the end records could be read otherwise, so that another reader would see another
    /// directory (see [`Code::AmbiguousArchive`](crate::problem::Code::AmbiguousArchive)).
    pub doubts: Vec<String>,
}

/// Doubts about the end record at `eocd` in `tail` (the last bytes of a file of `len` bytes,
/// starting at `tail_start`): another record that also ends the file, a comment that does not
/// reach the end, several disks.
fn end_record_doubts(tail: &[u8], eocd: usize, tail_start: u64, len: u64) -> Vec<String> {
    let mut doubts = Vec::new();
    let ends_file = |at: usize| {
        at + 22 <= tail.len() && tail_start + (at + 22 + le16(tail, at + 20)) as u64 == len
    };
    let at = tail_start + eocd as u64;
    if !ends_file(eocd) {
        doubts.push(format!(
            "the end-of-directory record at byte {at} says its comment is {} bytes, but {} bytes follow it",
            le16(tail, eocd + 20),
            len - at - 22
        ));
    }
    for other in (0..eocd).filter(|&p| &tail[p..p + 4] == b"PK\x05\x06" && ends_file(p)) {
        doubts.push(format!(
            "two end-of-directory records each end the archive (at bytes {} and {at}): readers may see different directories",
            tail_start + other as u64
        ));
    }
    let (disk, cd_disk) = (le16(tail, eocd + 4), le16(tail, eocd + 6));
    if disk != 0 || cd_disk != 0 || le16(tail, eocd + 8) != le16(tail, eocd + 10) {
        doubts.push(
            "the end-of-directory record describes an archive split over several disks".into(),
        );
    }
    doubts
}

/// Reads the central directory as written (see [`Directory`]). An archive whose end records
/// cannot be found or do not add up is an error.
pub(super) fn central_directory(file: &dyn ReadAt) -> io::Result<Directory> {
    let len = file.len();
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_owned());
    let tail_len = len.min(65_557) as usize;
    let tail = read_exact_at(file, len - tail_len as u64, tail_len)?;
    let eocd = tail
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .ok_or_else(|| bad("no end of central directory"))?;
    if tail.len() < eocd + 22 {
        return Err(bad("short end record"));
    }
    let tail_start = len - tail_len as u64;
    let eocd_pos = tail_start + eocd as u64;
    let mut doubts = end_record_doubts(&tail, eocd, tail_start, len);
    let mut zip64_at = None;
    let mut count = le16(&tail, eocd + 10) as u64;
    let mut size = le32(&tail, eocd + 12);
    let mut declared = le32(&tail, eocd + 16);
    let mut end = eocd_pos;
    if count == 0xFFFF || size == 0xFFFF_FFFF || le32(&tail, eocd + 16) == 0xFFFF_FFFF {
        let loc = eocd_pos
            .checked_sub(20)
            .ok_or_else(|| bad("no ZIP64 locator"))?;
        let l = read_exact_at(file, loc, 20)?;
        if &l[..4] != b"PK\x06\x07" {
            return Err(bad("no ZIP64 locator"));
        }
        let z_at = le64(&l, 8);
        let z = read_exact_at(file, z_at.min(len), 56)?;
        if &z[..4] != b"PK\x06\x06" {
            return Err(bad("no ZIP64 end record"));
        }
        count = le64(&z, 32);
        size = le64(&z, 40);
        declared = le64(&z, 48);
        end = loc - (56 + le64(&z, 4).saturating_sub(44)).min(loc);
        zip64_at = Some(z_at);
    }
    let start = end
        .checked_sub(size)
        .ok_or_else(|| bad("central directory too large"))?;
    if size > len || count > size / 46 + 1 {
        return Err(bad("central directory sizes do not add up"));
    }
    let cd = read_exact_at(file, start, size as usize)?;
    let mut out = Vec::with_capacity(count as usize);
    let mut at = 0;
    while at + 46 <= cd.len() && &cd[at..at + 4] == b"PK\x01\x02" {
        let made_by = cd[at + 5];
        let name_len = le16(&cd, at + 28);
        let extra = le16(&cd, at + 30);
        let comment = le16(&cd, at + 32);
        let attrs = le32(&cd, at + 38) as u32;
        let name_end = at + 46 + name_len;
        if name_end + extra > cd.len() {
            return Err(bad("central directory record runs past its end"));
        }
        let mut entry = RawEntry {
            name: cd[at + 46..name_end].to_vec(),
            unix_mode: (made_by == 3).then_some(attrs >> 16),
            flags: le16(&cd, at + 8) as u16,
            offset: le32(&cd, at + 42),
            compressed: le32(&cd, at + 20),
            uncompressed: le32(&cd, at + 24),
            crc: le32(&cd, at + 16) as u32,
            repeated: cd[at + 6..at + 28].try_into().unwrap_or([0; 22]),
            disk: le16(&cd, at + 34) as u16,
            made_by: [cd[at + 4], cd[at + 5]],
            internal: le16(&cd, at + 36) as u16,
            external: attrs,
        };
        zip64_values(&cd[name_end..name_end + extra], &mut entry)
            .ok_or_else(|| bad("a ZIP64 extra field runs past its end"))?;
        out.push(entry);
        at = name_end + extra + comment;
    }
    let shift = start.saturating_sub(declared);
    if out.len() as u64 != count {
        doubts.push(format!(
            "the end record counts {count} entries, but the directory holds {} records",
            out.len()
        ));
    }
    if at != cd.len() {
        doubts.push(format!(
            "{} bytes of the central directory are not directory records",
            cd.len().saturating_sub(at)
        ));
    }
    if let Some(z_at) = zip64_at.filter(|&z| z.saturating_add(shift) != end) {
        doubts.push(format!(
            "the ZIP64 locator points at byte {z_at}, not at the ZIP64 end record (byte {})",
            end - shift
        ));
    }
    Ok(Directory {
        records: out,
        start,
        shift,
        doubts,
    })
}

/// Each entry's local header (its fixed part and the name the directory gives), asked for
/// all at once (a pack in a bucket is read by ranges): `None` where the directory points
/// outside the entries' bytes, or the read comes back short. A read that fails is an error
/// of the reading, not a fault of the pack.
fn local_headers(
    file: &dyn ReadAt,
    (cd_start, shift): (u64, u64),
    raw: &[RawEntry],
) -> io::Result<Vec<Option<Vec<u8>>>> {
    let spans: Vec<Option<std::ops::Range<u64>>> = raw
        .iter()
        .map(|e| {
            let offset = e.offset.saturating_add(shift);
            let end = offset.checked_add(30 + e.name.len() as u64)?;
            (end <= cd_start).then_some(offset..end)
        })
        .collect();
    let wanted: Vec<std::ops::Range<u64>> = spans.iter().flatten().cloned().collect();
    let mut got = file.read_ranges(&wanted)?.into_iter();
    Ok(spans
        .iter()
        .map(|s| {
            let r = s.as_ref()?;
            let bytes = got.next()?;
            (bytes.len() as u64 == r.end - r.start).then_some(bytes)
        })
        .collect())
}

/// Checks the archive's layout against its central directory: every local header names its
/// entry as the directory does, entries neither overlap nor leave bytes between them that
/// belong to no entry, nothing precedes the first entry, and folder entries hold no data.
/// Returns `(entry name, message)` for each problem.
pub(super) fn structure(
    file: &dyn ReadAt,
    (cd_start, shift): (u64, u64),
    raw: &[RawEntry],
) -> io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut spans: Vec<(u64, u64, bool, &[u8])> = Vec::with_capacity(raw.len());
    let mut heads = local_headers(file, (cd_start, shift), raw)?.into_iter();
    for e in raw {
        let shown = String::from_utf8_lossy(&e.name).into_owned();
        if e.name.ends_with(b"/") && e.uncompressed > 0 {
            out.push((
                shown.clone(),
                format!(
                    "the folder entry `{shown}` holds {} bytes of data",
                    e.uncompressed
                ),
            ));
        } else if e.name.ends_with(b"/") && e.crc != 0 {
            // Nothing has a CRC-32 but 0: readers such as 7-Zip call this entry damaged.
            out.push((
                shown.clone(),
                format!(
                    "the folder entry `{shown}` records CRC-32 {:08x}, but no data has one",
                    e.crc
                ),
            ));
        }
        let offset = e.offset.saturating_add(shift);
        let head = heads.next().flatten();
        let Some(head) = head.filter(|h| h.starts_with(b"PK\x03\x04")) else {
            out.push((
                shown.clone(),
                format!("the entry `{shown}` has no local header where the directory says"),
            ));
            continue;
        };
        if let Some(what) = repeated_differs(&head[4..26], e) {
            out.push((
                shown.clone(),
                format!(
                    "the entry `{shown}`'s local header gives {what} otherwise than the central directory: tools that read local headers would read it otherwise"
                ),
            ));
        }
        if e.disk != 0 {
            out.push((
                shown.clone(),
                format!("the entry `{shown}` is said to start on disk {}", e.disk),
            ));
        }
        let local_name_len = le16(&head, 26);
        let local_extra = le16(&head, 28) as u64;
        let start = offset;
        let end = offset + 30 + local_name_len as u64 + local_extra + e.compressed;
        spans.push((start, end, e.flags & 8 != 0, &e.name));
        if local_name_len != e.name.len() || head[30..] != e.name[..] {
            let local = read_exact_at(file, offset + 30, local_name_len)
                .map(|n| String::from_utf8_lossy(&n).into_owned())
                .unwrap_or_default();
            out.push((
                shown.clone(),
                format!(
                    "the entry `{shown}` is named {local:?} in its local header: tools that read local headers would write it elsewhere"
                ),
            ));
        }
    }
    let foreign: Vec<(&RawEntry, String)> = raw
        .iter()
        .filter_map(|e| foreign_metadata(e).map(|why| (e, why)))
        .collect();
    if let Some((first, why)) = foreign.first() {
        let shown = String::from_utf8_lossy(&first.name).into_owned();
        out.push((
            shown.clone(),
            format!(
                "{} entr{} carry directory fields assetpack never writes (first `{shown}`: {why}): the archive was rewritten by another tool or damaged",
                foreign.len(),
                if foreign.len() == 1 { "y" } else { "ies" }
            ),
        ));
    }
    spans.sort_unstable();
    let mut at = 0u64;
    let mut after: Option<(&[u8], bool)> = None;
    for &(start, end, descriptor, name) in
        spans
            .iter()
            .chain(std::iter::once(&(cd_start, cd_start, false, &b""[..])))
    {
        let shown = String::from_utf8_lossy(name).into_owned();
        // A data descriptor (at most 24 bytes) may follow an entry that has the flag.
        let allowed = match after {
            Some((_, true)) => 24,
            _ => 0,
        };
        if start < at {
            out.push((
                shown.clone(),
                format!("the entry `{shown}` shares bytes with the entry before it"),
            ));
        } else if start - at > allowed {
            let what = match after {
                None => format!("{} bytes before the first entry", start - at),
                Some((prev, _)) => format!(
                    "{} bytes after `{}` that belong to no entry",
                    start - at,
                    String::from_utf8_lossy(prev)
                ),
            };
            out.push((shown.clone(), format!("the archive holds {what}")));
        }
        at = at.max(end);
        after = Some((name, descriptor));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::FileAt;
    use std::io::Write;

    /// A stored two-entry ZIP made by the zip crate, after `prefix`.
    fn zip_bytes(prefix: &[u8]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .unix_permissions(0o644);
        for (name, data) in [("p/a.txt", &b"hello"[..]), ("p/b.txt", b"world")] {
            w.start_file(name, o).unwrap();
            w.write_all(data).unwrap();
        }
        [prefix, &w.finish().unwrap().into_inner()].concat()
    }

    fn as_file(bytes: &[u8]) -> (tempfile::NamedTempFile, u64) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        (f, bytes.len() as u64)
    }

    fn zip_file(prefix: &[u8]) -> (tempfile::NamedTempFile, u64) {
        as_file(&zip_bytes(prefix))
    }

    #[test]
    fn records_come_back_as_written_and_a_clean_layout_has_no_problem() {
        let (f, len) = zip_file(b"");
        let Directory {
            records: raw,
            start,
            shift,
            doubts,
        } = central_directory(&FileAt {
            file: f.as_file(),
            len,
        })
        .unwrap();
        assert!(doubts.is_empty(), "{doubts:?}");
        let names: Vec<&[u8]> = raw.iter().map(|e| &e.name[..]).collect();
        assert_eq!(names, [&b"p/a.txt"[..], b"p/b.txt"]);
        assert_eq!(raw[0].unix_mode.map(|m| m & 0o777), Some(0o644));
        assert_eq!((raw[1].compressed, raw[1].uncompressed), (5, 5));
        assert_eq!(shift, 0);
        assert!(structure(
            &FileAt {
                file: f.as_file(),
                len
            },
            (start, shift),
            &raw
        )
        .expect("read")
        .is_empty());
    }

    #[test]
    fn bytes_before_the_first_entry_are_reported() {
        let (f, len) = zip_file(b"#!/bin/sh\n");
        let Directory {
            records: raw,
            start,
            shift,
            ..
        } = central_directory(&FileAt {
            file: f.as_file(),
            len,
        })
        .unwrap();
        assert_eq!(shift, 10);
        let found = structure(
            &FileAt {
                file: f.as_file(),
                len,
            },
            (start, shift),
            &raw,
        )
        .expect("read");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].1.contains("10 bytes before the first entry"),
            "{found:?}"
        );
    }

    fn doubts(bytes: &[u8]) -> Vec<String> {
        let (f, len) = as_file(bytes);
        central_directory(&FileAt {
            file: f.as_file(),
            len,
        })
        .unwrap()
        .doubts
    }

    #[test]
    fn end_records_that_can_be_read_two_ways_are_doubted() {
        let good = zip_bytes(b"");
        let eocd = good.len() - 22;
        // A comment that hides a second end record ending the file.
        let mut two = good.clone();
        let fake = good[eocd..].to_vec();
        two[eocd + 20..eocd + 22].copy_from_slice(&(fake.len() as u16).to_le_bytes());
        two.extend(&fake);
        let d = doubts(&two);
        assert!(
            d.iter().any(|m| m.contains("two end-of-directory records")),
            "{d:?}"
        );
        // Bytes after the end record that its comment length does not cover.
        let d = doubts(&[good.as_slice(), b"trailing"].concat());
        assert!(d.iter().any(|m| m.contains("8 bytes follow it")), "{d:?}");
        // A count that disagrees with the records.
        let mut counted = good.clone();
        counted[eocd + 8..eocd + 12].copy_from_slice(&[3, 0, 3, 0]);
        let d = doubts(&counted);
        assert!(d.iter().any(|m| m.contains("counts 3 entries")), "{d:?}");
    }

    #[test]
    fn a_cut_archive_is_an_error_not_a_panic() {
        let bytes = zip_bytes(b"");
        for cut in [0, 1, 21, bytes.len() / 2, bytes.len() - 1] {
            let (f, len) = as_file(&bytes[..cut]);
            assert!(
                central_directory(&FileAt {
                    file: f.as_file(),
                    len
                })
                .is_err(),
                "cut at {cut}"
            );
        }
    }
}
