//! The byte range a read serves, per the file-store port's contract.

use sharelink_core::ports::file_store::{ByteRange, FileStoreError};

/// The served range of a file of `size` bytes, per the port's contract.
pub(crate) fn served_range(
    size: u64,
    asked: Option<ByteRange>,
) -> Result<ByteRange, FileStoreError> {
    match asked {
        None => Ok(ByteRange {
            start: 0,
            end: size,
        }),
        Some(_) if size == 0 => Ok(ByteRange { start: 0, end: 0 }),
        Some(r) if r.start >= size => Err(FileStoreError::RangeNotSatisfiable { size }),
        Some(r) => Ok(ByteRange {
            start: r.start,
            end: r.end.clamp(r.start, size),
        }),
    }
}
