//! QR codes of share links, as SVG and as PNG (drawn by `qrcode`, encoded by `image`).

use crate::ApiError;
use image::{ImageFormat, Luma};
use qrcode::{EcLevel, QrCode};
use std::io::Cursor;

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
const SCALE: u32 = 8;

/// The link as a PNG QR code (8-bit grayscale, with its quiet zone).
pub(crate) fn png(link: &str) -> Result<Vec<u8>, ApiError> {
    let picture = code(link)?
        .render::<Luma<u8>>()
        .module_dimensions(SCALE, SCALE)
        .quiet_zone(true)
        .build();
    let mut out = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .map_err(|_| ApiError::bad_request("the QR code could not be drawn"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_has_signature_and_chunks() {
        let png = png("https://x.test/s/abc").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let picture = image::load_from_memory(&png).unwrap().to_luma8();
        // Quiet zone (4 modules) around, then the top-left finder pattern's dark corner.
        let side = picture.width();
        assert_eq!(side, picture.height());
        assert_eq!(picture.get_pixel(0, 0).0, [255]);
        assert_eq!(picture.get_pixel(4 * SCALE + 1, 4 * SCALE + 1).0, [0]);
    }

    #[test]
    fn svg_is_an_svg() {
        assert!(svg("https://x.test/s/abc").unwrap().contains("<svg"));
    }
}
