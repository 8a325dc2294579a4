//! Watermarks drawn on image previews: the visitor-specific text (core fills in email,
//! address and time) tiled across the picture in a bitmap font, half transparent with a
//! dark shadow so it reads on light and dark images alike. The result is always a PNG.
//!
//! Decoding is bounded: the source file, the picture's dimensions and the decoder's
//! allocations all have limits, so a hostile "image" cannot exhaust memory. The work is
//! CPU-bound and runs on the blocking pool (see the caller).

use font8x8::{BASIC_FONTS, LATIN_FONTS, UnicodeFonts};
use image::{ImageError, ImageFormat, ImageReader, Limits, Rgba, RgbaImage};
use std::io::Cursor;

/// The largest image file a watermarked preview reads.
pub(crate) const MAX_SOURCE_BYTES: u64 = 32 * 1024 * 1024;
/// The largest width or height a watermarked preview decodes.
const MAX_SIDE: u32 = 12_000;
/// The most memory the decoder may allocate.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;
/// Longest watermark text drawn (characters).
const MAX_CHARS: usize = 160;

/// Decodes `bytes`, draws `text` over it and encodes the result as PNG.
pub(crate) fn apply(bytes: &[u8], text: &str) -> Result<Vec<u8>, ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let picture = reader.decode()?;
    let mut rgba = picture.into_rgba8();
    stamp(&mut rgba, text);
    let mut out = Vec::new();
    rgba.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)?;
    Ok(out)
}

/// The 8×8 glyph of `c` (LSB is the leftmost pixel), `?` for what the font lacks.
fn glyph(c: char) -> [u8; 8] {
    BASIC_FONTS
        .get(c)
        .or_else(|| LATIN_FONTS.get(c))
        .or_else(|| BASIC_FONTS.get('?'))
        .unwrap_or([0; 8])
}

/// Tiles `text` over the whole picture, in staggered rows.
pub(crate) fn stamp(img: &mut RgbaImage, text: &str) {
    let glyphs: Vec<[u8; 8]> = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_CHARS)
        .map(glyph)
        .collect();
    let (w, h) = img.dimensions();
    if glyphs.is_empty() || w == 0 || h == 0 {
        return;
    }
    let scale = (w.min(h) / 240).clamp(1, 6);
    let cell = 8 * scale;
    let text_w = i64::from(cell) * glyphs.len() as i64;
    let gap = i64::from(cell) * 4;
    let pitch = text_w + gap;
    let mut y = i64::from(cell);
    let mut row = 0i64;
    while y < i64::from(h) {
        let mut x = if row % 2 == 1 { -pitch / 2 } else { 0 };
        while x < i64::from(w) {
            draw_text(img, &glyphs, x, y, scale);
            x += pitch;
        }
        y += i64::from(cell) * 5;
        row += 1;
    }
}

fn draw_text(img: &mut RgbaImage, glyphs: &[[u8; 8]], x0: i64, y0: i64, scale: u32) {
    let s = i64::from(scale);
    for (shadow, colour, alpha) in [(true, [0u8, 0, 0], 0.45f32), (false, [255, 255, 255], 0.6)] {
        let shift = if shadow { s.max(1) } else { 0 };
        for (i, g) in glyphs.iter().enumerate() {
            let gx = x0 + i as i64 * 8 * s;
            for (row, bits) in g.iter().enumerate() {
                for col in 0..8 {
                    if bits & (1 << col) == 0 {
                        continue;
                    }
                    let px = gx + col * s + shift;
                    let py = y0 + row as i64 * s + shift;
                    fill(img, px, py, s, colour, alpha);
                }
            }
        }
    }
}

/// Blends a `size`×`size` block at (`x`, `y`), clipped to the picture.
fn fill(img: &mut RgbaImage, x: i64, y: i64, size: i64, colour: [u8; 3], alpha: f32) {
    let (w, h) = (i64::from(img.width()), i64::from(img.height()));
    for py in y.max(0)..(y + size).min(h) {
        for px in x.max(0)..(x + size).min(w) {
            // In range by the loop bounds, so the casts cannot truncate.
            let Rgba([r, g, b, a]) = *img.get_pixel(px as u32, py as u32);
            let mix = |under: u8, over: u8| {
                (f32::from(under) * (1.0 - alpha) + f32::from(over) * alpha).round() as u8
            };
            let shown = a.max((alpha * 255.0) as u8);
            img.put_pixel(
                px as u32,
                py as u32,
                Rgba([
                    mix(r, colour[0]),
                    mix(g, colour[1]),
                    mix(b, colour[2]),
                    shown,
                ]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, px: [u8; 4]) -> Vec<u8> {
        let img = RgbaImage::from_pixel(w, h, Rgba(px));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn the_text_changes_pixels_and_keeps_the_size() {
        let src = png(300, 200, [20, 40, 60, 255]);
        let out = apply(&src, "alice@example.com 10.0.0.1").unwrap();
        let img = image::load_from_memory(&out).unwrap().into_rgba8();
        assert_eq!(img.dimensions(), (300, 200));
        let changed = img.pixels().filter(|p| p.0 != [20, 40, 60, 255]).count();
        // A visible share of the picture carries the mark, but not all of it.
        assert!(changed > 300 * 200 / 50, "only {changed} pixels changed");
        assert!(changed < 300 * 200 / 2, "{changed} pixels changed");
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        assert!(apply(b"not an image at all", "x").is_err());
        assert!(apply(&[0x89, b'P', b'N', b'G', 0, 0, 0], "x").is_err());
    }

    #[test]
    fn tiny_and_empty_inputs_are_fine() {
        let out = apply(&png(1, 1, [0, 0, 0, 0]), "mark").unwrap();
        assert!(image::load_from_memory(&out).is_ok());
        let mut img = RgbaImage::new(10, 10);
        stamp(&mut img, "");
        assert!(img.pixels().all(|p| p.0 == [0, 0, 0, 0]));
    }

    #[test]
    fn oversized_dimensions_are_refused() {
        // A PNG header claiming 20,000 × 20,000 pixels.
        let src = png(MAX_SIDE + 1, 1, [0, 0, 0, 255]);
        assert!(apply(&src, "x").is_err());
    }
}
