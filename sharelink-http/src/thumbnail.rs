//! Drawing thumbnails: a picture decoded within bounds (file size, sides, pixel count,
//! decoder memory: a "decompression bomb" is refused before it is unpacked), turned
//! upright, shrunk to fit a square box and encoded as JPEG (PNG when it has
//! transparency); and the visitor's watermark drawn on one. CPU-bound: callers run these
//! on the blocking pool.

use crate::watermark;
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};
use sharelink_core::service::Rendition;
use std::io::Cursor;

/// How thumbnails are drawn (part of their cache key: change `format`'s version when the
/// drawing changes).
pub(crate) const RENDITION: Rendition = Rendition {
    edge: 256,
    format: "thumb-1",
};

/// The largest picture file a thumbnail is drawn from.
pub(crate) const MAX_SOURCE_BYTES: u64 = 48 * 1024 * 1024;
/// The largest width or height decoded.
const MAX_SIDE: u32 = 16_384;
/// The most pixels decoded (50 megapixels: a large camera's photo).
const MAX_PIXELS: u64 = 50_000_000;
/// The most memory the decoder may allocate.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;
/// The JPEG quality of thumbnails.
const JPEG_QUALITY: u8 = 82;

/// Why a thumbnail could not be drawn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ThumbnailError {
    /// The file is larger than [`MAX_SOURCE_BYTES`].
    #[error("the picture file is larger than {max} bytes")]
    FileTooLarge {
        /// The limit.
        max: u64,
    },
    /// The picture's dimensions, pixel count or decoding memory are over the limits.
    #[error("the picture is too large to draw a thumbnail of")]
    TooManyPixels(#[source] Option<ImageError>),
    /// The bytes are not a picture this server reads.
    #[error("the picture could not be read")]
    Unreadable(#[source] ImageError),
    /// Encoding the thumbnail failed.
    #[error("the thumbnail could not be encoded")]
    Encode(#[source] ImageError),
}

impl ThumbnailError {
    fn decoding(e: ImageError) -> Self {
        match e {
            ImageError::Limits(_) => Self::TooManyPixels(Some(e)),
            e => Self::Unreadable(e),
        }
    }
}

/// Draws the thumbnail of the picture in `bytes`, fitting `edge`×`edge` (a smaller
/// picture keeps its size).
pub(crate) fn draw(bytes: &[u8], edge: u32) -> Result<Vec<u8>, ThumbnailError> {
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(ThumbnailError::FileTooLarge {
            max: MAX_SOURCE_BYTES,
        });
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ThumbnailError::Unreadable(ImageError::IoError(e)))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(ThumbnailError::decoding)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ThumbnailError::TooManyPixels(None));
    }
    // A picture without orientation data is upright.
    let orientation = decoder.orientation().ok();
    let mut picture = DynamicImage::from_decoder(decoder).map_err(ThumbnailError::decoding)?;
    if let Some(o) = orientation {
        picture.apply_orientation(o);
    }
    if picture.width() > edge || picture.height() > edge {
        picture = picture.thumbnail(edge, edge);
    }
    encode(&picture)
}

/// Encodes a thumbnail: PNG when some pixel is not opaque, JPEG otherwise.
fn encode(picture: &DynamicImage) -> Result<Vec<u8>, ThumbnailError> {
    let mut out = Vec::new();
    let transparent =
        picture.color().has_alpha() && picture.to_rgba8().pixels().any(|p| p.0[3] < 255);
    if transparent {
        picture
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(ThumbnailError::Encode)?;
    } else {
        let rgb = picture.to_rgb8();
        JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
            .encode_image(&rgb)
            .map_err(ThumbnailError::Encode)?;
    }
    Ok(out)
}

/// Draws the visitor's watermark `text` on a drawn thumbnail; the result is a PNG.
pub(crate) fn mark(thumbnail: &[u8], text: &str) -> Result<Vec<u8>, ThumbnailError> {
    let mut rgba = image::load_from_memory(thumbnail)
        .map_err(ThumbnailError::Unreadable)?
        .into_rgba8();
    watermark::stamp(&mut rgba, text);
    let mut out = Vec::new();
    rgba.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .map_err(ThumbnailError::Encode)?;
    Ok(out)
}

/// The media type of a drawn thumbnail (or marked one).
pub(crate) fn media_type(thumbnail: &[u8]) -> &'static str {
    match image::guess_format(thumbnail) {
        Ok(ImageFormat::Png) => "image/png",
        _ => "image/jpeg",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    fn png(w: u32, h: u32, px: [u8; 4]) -> Vec<u8> {
        let img = RgbaImage::from_pixel(w, h, Rgba(px));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_large_picture_shrinks_into_the_box_keeping_its_shape() {
        let out = draw(&png(1000, 500, [200, 10, 10, 255]), 256).unwrap();
        assert_eq!(media_type(&out), "image/jpeg");
        let img = image::load_from_memory(&out).unwrap();
        assert_eq!((img.width(), img.height()), (256, 128));
    }

    #[test]
    fn a_small_picture_keeps_its_size_and_transparency_keeps_png() {
        let out = draw(&png(40, 30, [0, 0, 0, 0]), 256).unwrap();
        assert_eq!(media_type(&out), "image/png");
        let img = image::load_from_memory(&out).unwrap();
        assert_eq!((img.width(), img.height()), (40, 30));
    }

    #[test]
    fn garbage_is_unreadable() {
        assert!(matches!(
            draw(b"not a picture", 256),
            Err(ThumbnailError::Unreadable(_))
        ));
        assert!(matches!(
            draw(&[0x89, b'P', b'N', b'G', 0, 0, 0], 256),
            Err(ThumbnailError::Unreadable(_))
        ));
    }

    #[test]
    fn huge_dimensions_are_refused_before_decoding() {
        assert!(matches!(
            draw(&png(MAX_SIDE + 1, 1, [0, 0, 0, 255]), 256),
            Err(ThumbnailError::TooManyPixels(_))
        ));
        // Headers claiming 64 and 256 megapixels: refused by their pixel count (or the
        // decoder's memory bound), never unpacked.
        assert!(matches!(
            draw(&png_header(8_000, 8_000), 256),
            Err(ThumbnailError::TooManyPixels(None))
        ));
        assert!(matches!(
            draw(&png_header(16_000, 16_000), 256),
            Err(ThumbnailError::TooManyPixels(_))
        ));
    }

    /// A PNG signature and header for `w`×`h` RGBA pixels, and only the start of the pixel data.
    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        let mut out = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
        out.extend_from_slice(&13u32.to_be_bytes());
        out.extend_from_slice(&ihdr);
        out.extend_from_slice(&crc32fast::hash(&ihdr).to_be_bytes());
        // The start of the pixel data (a zlib header), then nothing.
        let idat = b"IDAT\x78\x9c";
        out.extend_from_slice(&2u32.to_be_bytes());
        out.extend_from_slice(idat);
        out.extend_from_slice(&crc32fast::hash(idat).to_be_bytes());
        out
    }

    #[test]
    fn a_mark_changes_pixels() {
        let thumb = draw(&png(256, 256, [20, 40, 60, 255]), 256).unwrap();
        let marked = mark(&thumb, "alice@example.com").unwrap();
        assert_eq!(media_type(&marked), "image/png");
        let plain = image::load_from_memory(&thumb).unwrap().into_rgba8();
        let img = image::load_from_memory(&marked).unwrap().into_rgba8();
        let changed = img
            .pixels()
            .zip(plain.pixels())
            .filter(|(a, b)| a.0 != b.0)
            .count();
        assert!(changed > 256 * 256 / 50, "only {changed} pixels changed");
    }
}
