//! Reading a file that may be gzip-compressed, recognised by its first two bytes.

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
}

/// Reads `path` whole; if it starts with the gzip magic bytes, decompresses it (every
/// member, as `gunzip` does). The extension plays no part.
pub(crate) fn read_maybe_gzip(path: &Path) -> Result<Contents, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    decompress_if_gzip(path, bytes)
}

/// Decompresses `bytes` if they start with the gzip magic bytes; `path` names them in errors.
pub(crate) fn decompress_if_gzip(path: &Path, bytes: Vec<u8>) -> Result<Contents, DataError> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(Contents { bytes, decompressed: false });
    }
    let mut decompressed = Vec::with_capacity(bytes.len().saturating_mul(4));
    MultiGzDecoder::new(bytes.as_slice()).read_to_end(&mut decompressed).map_err(|source| {
        DataError::Gzip { path: path.to_path_buf(), decompressed: decompressed.len(), source }
    })?;
    Ok(Contents { bytes: decompressed, decompressed: true })
}
