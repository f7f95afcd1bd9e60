//! Streaming SHA-256: flat memory whatever the file size.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// Size of the read buffer each worker uses.
pub const BUFFER: usize = 1 << 20;

/// Hashes everything `reader` yields, using `buf` as the read buffer and calling `advance`
/// with the size of each chunk read. Returns the lowercase hex digest and the byte count.
pub fn sha256_reader(
    mut reader: impl Read,
    buf: &mut [u8],
    mut advance: impl FnMut(u64),
) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    loop {
        let n = match reader.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
        advance(n as u64);
    }
    Ok((hex::encode(hasher.finalize()), total))
}

/// SHA-256 of a byte slice, as lowercase hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_a_stream_in_chunks() {
        let mut seen = 0;
        let (hex, n) = super::sha256_reader(&b"abc"[..], &mut [0; 2], |k| seen += k).unwrap();
        assert_eq!((n, seen), (3, 3));
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
