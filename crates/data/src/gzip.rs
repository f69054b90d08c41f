//! Reading a file that may be gzip-compressed, recognised by its first two bytes, without
//! letting a small compressed file inflate into more memory than its reader allows.

// Reached by data from outside (files): no unwrap, expect, panic, indexing or unchecked
// arithmetic outside the tests (`docs/reliability.md`); each exception is local and says why.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::DataError;

/// The first two bytes of every gzip stream.
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// A file's bytes, decompressed if it was gzip.
pub(crate) struct Contents {
    pub(crate) bytes: Vec<u8>,
    pub(crate) decompressed: bool,
    /// Whether decompression stopped at the limit with more data still to come: `bytes`
    /// then holds one byte more than the limit allowed.
    pub(crate) cut: bool,
}

/// How many decompressed bytes a reader accepts, decided from the bytes decompressed so
/// far: `None` while it cannot tell yet (an IDX header not yet complete), then the most
/// it will read. A plain file is read whole whatever the limit: its size is on disk, so
/// reading it allocates no more than the file is.
pub(crate) type Limit<'a> = &'a dyn Fn(&[u8]) -> Option<u64>;

/// Reads `path` whole; if it starts with the gzip magic bytes, decompresses it (every
/// member, as `gunzip` does) up to `limit` plus one byte. The extension plays no part.
pub(crate) fn read_maybe_gzip(path: &Path, limit: Limit<'_>) -> Result<Contents, DataError> {
    // A device or pipe (`/dev/zero`) would never end: only regular files are read.
    let bytes = tapegrad_tape::read_regular_file(path).map_err(|err| match err {
        tapegrad_tape::FileError::Io { action, path, source } => DataError::Io { action, path, source },
        other => DataError::Io {
            action: "read",
            path: path.to_path_buf(),
            source: std::io::Error::other(other.to_string()),
        },
    })?;
    decompress_if_gzip(path, bytes, limit)
}

/// Decompresses `bytes` if they start with the gzip magic bytes, stopping one byte past
/// `limit` (so the caller can tell the data goes on); `path` names them in errors.
pub(crate) fn decompress_if_gzip(
    path: &Path,
    bytes: Vec<u8>,
    limit: Limit<'_>,
) -> Result<Contents, DataError> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(Contents { bytes, decompressed: false, cut: false });
    }
    let mut decoder = MultiGzDecoder::new(bytes.as_slice());
    let mut decompressed = Vec::new();
    let mut chunk = [0u8; 1 << 16];
    let mut allowed: Option<u64> = None;
    loop {
        // Never read more than one byte past the limit, once it is known.
        let room = match allowed {
            Some(allowed) => allowed.saturating_add(1).saturating_sub(decompressed.len() as u64),
            None => chunk.len() as u64,
        };
        if room == 0 {
            return Ok(Contents { bytes: decompressed, decompressed: true, cut: true });
        }
        let read = (&mut decoder).take(room).read(&mut chunk).map_err(|source| DataError::Gzip {
            path: path.to_path_buf(),
            decompressed: decompressed.len(),
            source,
        })?;
        if read == 0 {
            return Ok(Contents { bytes: decompressed, decompressed: true, cut: false });
        }
        decompressed.extend(chunk.iter().take(read));
        if allowed.is_none() {
            allowed = limit(&decompressed);
            if let Some(allowed) = allowed {
                // The first chunks may have gone past a limit only known now.
                let keep = usize::try_from(allowed.saturating_add(1)).unwrap_or(usize::MAX);
                decompressed.truncate(keep);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn a_gzip_bomb_is_read_only_one_byte_past_its_limit() {
        // 64 MiB of zeros compress to about 64 KiB; the reader allows 1,000 bytes.
        let bomb = gzip(&vec![0u8; 64 << 20]);
        assert!(bomb.len() < 1 << 17);
        let contents = decompress_if_gzip(Path::new("bomb.gz"), bomb, &|_| Some(1000)).unwrap();
        assert_eq!((contents.bytes.len(), contents.cut), (1001, true));
    }

    #[test]
    fn the_limit_can_depend_on_a_header_decompressed_first() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        // The "header" is the first byte; the limit is known once it is there.
        let limit = |prefix: &[u8]| prefix.first().map(|&b| u64::from(b) * 1000);
        let contents = decompress_if_gzip(Path::new("x.gz"), gzip(&data), &limit).unwrap();
        assert_eq!(contents.bytes.len(), 1);
        assert!(contents.cut);
        let mut data = data;
        data[0] = 250;
        let contents = decompress_if_gzip(Path::new("x.gz"), gzip(&data), &limit).unwrap();
        assert_eq!((contents.bytes.len(), contents.cut), (200_000, false));
        assert_eq!(contents.bytes, data);
    }
}
