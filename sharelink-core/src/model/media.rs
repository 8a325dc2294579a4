//! What a file's name says about its content: its media type, and whether it has a
//! preview (a view a browser shows in the page, as opposed to a file handed over to keep).

/// The kind of preview a file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Preview {
    /// A picture (SVG is not one: it can carry scripts).
    Image,
    /// A PDF document.
    Document,
    /// Plain text.
    Text,
    /// Sound.
    Audio,
    /// A film.
    Video,
}

/// A file's media type, read from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaType {
    /// The type as sent in `Content-Type` (`application/octet-stream` when unknown).
    pub essence: &'static str,
    /// The preview a file of this type has, if any.
    pub preview: Option<Preview>,
}

impl MediaType {
    /// The media type of a file name. Active or unknown content (HTML, SVG, scripts,
    /// office documents, archives) has no preview: it is only ever handed over as bytes.
    pub fn of(name: &str) -> Self {
        let ext = crate::model::path::extension_of(name).unwrap_or_default();
        let (essence, preview) = match ext.as_str() {
            "png" => ("image/png", Some(Preview::Image)),
            "jpg" | "jpeg" => ("image/jpeg", Some(Preview::Image)),
            "gif" => ("image/gif", Some(Preview::Image)),
            "webp" => ("image/webp", Some(Preview::Image)),
            "avif" => ("image/avif", Some(Preview::Image)),
            "bmp" => ("image/bmp", Some(Preview::Image)),
            "ico" => ("image/x-icon", Some(Preview::Image)),
            "pdf" => ("application/pdf", Some(Preview::Document)),
            "txt" | "log" | "md" | "csv" => ("text/plain; charset=utf-8", Some(Preview::Text)),
            "mp3" => ("audio/mpeg", Some(Preview::Audio)),
            "wav" => ("audio/wav", Some(Preview::Audio)),
            "ogg" | "oga" => ("audio/ogg", Some(Preview::Audio)),
            "m4a" => ("audio/mp4", Some(Preview::Audio)),
            "flac" => ("audio/flac", Some(Preview::Audio)),
            "mp4" | "m4v" => ("video/mp4", Some(Preview::Video)),
            "webm" => ("video/webm", Some(Preview::Video)),
            "mov" => ("video/quicktime", Some(Preview::Video)),
            "ogv" => ("video/ogg", Some(Preview::Video)),
            "zip" => ("application/zip", None),
            "json" => ("application/json", None),
            _ => ("application/octet-stream", None),
        };
        Self { essence, preview }
    }

    /// Whether a file of this type has a preview on a share; a share that watermarks its
    /// previews shows only the pictures a watermark can be drawn on.
    pub fn has_preview(&self, watermarked: bool) -> bool {
        if watermarked {
            self.watermarkable()
        } else {
            self.preview.is_some()
        }
    }

    /// Whether a watermark can be drawn on a file of this type.
    pub fn watermarkable(&self) -> bool {
        matches!(
            self.essence,
            "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "image/bmp"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn documents_archives_and_active_content_have_no_preview() {
        for name in [
            "a.docx",
            "a.xlsx",
            "a.zip",
            "a.html",
            "a.htm",
            "a.svg",
            "a.js",
            "a",
            "a.exe",
            "a.unknown",
        ] {
            assert_eq!(MediaType::of(name).preview, None, "{name}");
            assert!(!MediaType::of(name).has_preview(false), "{name}");
        }
        for name in ["a.PNG", "a.pdf", "a.txt", "a.mp3", "a.webm"] {
            assert!(MediaType::of(name).has_preview(false), "{name}");
        }
    }

    #[test]
    fn a_watermarked_share_previews_only_pictures_it_can_mark() {
        assert!(MediaType::of("a.jpg").has_preview(true));
        assert!(!MediaType::of("a.pdf").has_preview(true));
        assert!(!MediaType::of("a.avif").has_preview(true));
    }

    proptest! {
        /// Whatever the name, a type with a preview is never an opaque byte stream, and a
        /// watermarked preview exists only where a plain one does.
        #[test]
        fn previews_are_typed(name in "\\PC{0,20}(\\.[a-zA-Z0-9]{1,5})?") {
            let m = MediaType::of(&name);
            if m.has_preview(false) {
                prop_assert_ne!(m.essence, "application/octet-stream");
            }
            if m.has_preview(true) {
                prop_assert!(m.has_preview(false));
            }
        }
    }
}
