//! QR codes of share links, as SVG and as PNG (a minimal encoder: 1-bit grayscale,
//! stored deflate blocks — QR images are small, so compression is not worth a dependency).

use crate::ApiError;
use qrcode::{Color, EcLevel, QrCode};

fn code(link: &str) -> Result<QrCode, ApiError> {
    QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M)
        .map_err(|_| ApiError::bad_request("the link is too long for a QR code"))
}

/// The link as an SVG QR code.
pub(crate) fn svg(link: &str) -> Result<String, ApiError> {
    Ok(code(link)?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

/// Pixels per module of the PNG.
const SCALE: usize = 8;
/// Modules of quiet zone around the code.
const QUIET: usize = 4;

/// The link as a PNG QR code.
pub(crate) fn png(link: &str) -> Result<Vec<u8>, ApiError> {
    let qr = code(link)?;
    let width = qr.width();
    let colors = qr.to_colors();
    let side = (width + 2 * QUIET) * SCALE;
    let row_bytes = side.div_ceil(8);
    // Filter byte 0 then the row; a set bit is white in 1-bit grayscale.
    let mut raw = Vec::with_capacity((row_bytes + 1) * side);
    for y in 0..side {
        raw.push(0);
        let my = (y / SCALE).checked_sub(QUIET).filter(|m| *m < width);
        let mut row = vec![0xFFu8; row_bytes];
        for x in 0..side {
            let mx = (x / SCALE).checked_sub(QUIET).filter(|m| *m < width);
            if let (Some(mx), Some(my)) = (mx, my)
                && colors[my * width + mx] == Color::Dark
            {
                row[x / 8] &= !(0x80 >> (x % 8));
            }
        }
        raw.extend_from_slice(&row);
    }
    let side = u32::try_from(side).map_err(|_| ApiError::bad_request("QR code too large"))?;
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // 1 bit, grayscale, deflate, no filter set, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// A zlib stream of stored (uncompressed) deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    if blocks.is_empty() {
        out.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_has_signature_and_chunks() {
        let png = png("https://x.test/s/abc").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND");
    }

    #[test]
    fn svg_is_an_svg() {
        assert!(svg("https://x.test/s/abc").unwrap().contains("<svg"));
    }
}
