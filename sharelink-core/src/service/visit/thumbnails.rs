//! Thumbnails: small pictures of shared images for a grid of files, decided exactly as a
//! preview is and kept in a reserved cache area of the file store.
//!
//! A thumbnail is a preview that spends nothing: [`Sharelink::thumbnail`] asks
//! [`decide`](crate::policy::decide) for [`Action::Preview`] as a `HEAD` would (every
//! gate, the schedule, the level, the file's type and, on a watermarked share, whether
//! the picture can be marked), so it never shows what a preview may not. It is never a
//! download, counts no use and writes no log entry (refusals are logged as any refused
//! request is). On a share whose use limit counts previews there are no thumbnails:
//! otherwise a grid would show, for free, what a counted preview sells.
//!
//! The cache holds the picture unmarked; a watermarked share's thumbnails are marked for
//! each visitor when served (the mark names the visitor and the time, so a marked picture
//! is never shared between visitors). The cache area ([`Config::cache_root`]) can never
//! be shared, so no visitor lists or downloads it.
//!
//! [`Config::cache_root`]: crate::service::Config::cache_root

use super::{Intent, Scene, VisitRequest};
use crate::model::share::Resolved;
use crate::ports::{
    ByteStream, Entry as FileEntry, EntryKind, FileRead, FileStoreError, WriteOptions,
};
use crate::service::{Result, ServiceError, Sharelink};
use crate::{Action, Denial, MediaType, Preview, RequestMode, SharePath};
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// The largest thumbnail the cache keeps, in bytes (a drawn thumbnail is far smaller).
pub const MAX_THUMBNAIL_BYTES: u64 = 4 * 1024 * 1024;

/// How a thumbnail is drawn: its bounding box and its encoding. Part of the cache key, so
/// a new size or a new drawing gives new cache objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rendition {
    /// The longest side, in pixels.
    pub edge: u32,
    /// The encoding and the version of the drawing code, e.g. `png-1`; also the cache
    /// object's extension (up to its first `-`).
    pub format: &'static str,
}

/// The name of a cached thumbnail: 64 lower-case hex digits of a SHA-256 over an
/// unambiguous encoding of the original's store path, size, modification time and
/// version tag, and the [`Rendition`]. The same inputs give the same key in every process
/// and release; a change of the file (new bytes, new time, new tag), of its place or of
/// the rendition gives another key, so a stale thumbnail is never served.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThumbnailKey(String);

impl ThumbnailKey {
    /// The key of a thumbnail of `original` drawn as `rendition`.
    pub fn new(original: &FileEntry, rendition: &Rendition) -> Self {
        let mut h = Sha256::new();
        // Every field is length-prefixed (or fixed-size), so no two inputs share an
        // encoding.
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        field(b"sharelink-thumbnail-1");
        field(original.path.as_str().as_bytes());
        field(&original.size.to_be_bytes());
        field(&original.modified.unix_timestamp_nanos().to_be_bytes());
        match &original.etag {
            Some(tag) => {
                field(b"tag");
                field(tag.as_bytes());
            }
            None => field(b"untagged"),
        }
        field(&rendition.edge.to_be_bytes());
        field(rendition.format.as_bytes());
        let digest = h.finalize();
        Self(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ThumbnailKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A thumbnail the visitor may see: decided, not yet drawn. Read the cached picture with
/// [`Sharelink::cached_thumbnail`], or draw one from [`Sharelink::thumbnail_source`] and
/// keep it with [`Sharelink::store_thumbnail`].
#[derive(Debug, Clone)]
pub struct Thumbnail {
    /// The original picture's entry (size, modification time, version tag) in the store.
    pub original: FileEntry,
    /// The cache object's name.
    pub key: ThumbnailKey,
    /// For a share that asks for a watermark: the text, filled in for this visitor. A
    /// front end must draw it on every thumbnail it serves (the cache holds them unmarked).
    pub watermark: Option<String>,
    cache: SharePath,
}

impl Thumbnail {
    /// Where the cached picture lives in the store (inside [`Config::cache_root`]).
    ///
    /// [`Config::cache_root`]: crate::service::Config::cache_root
    pub fn cache_path(&self) -> &SharePath {
        &self.cache
    }
}

impl Sharelink {
    /// Decides a thumbnail of the file at `path`, drawn as `rendition`: as a preview
    /// decided like a `HEAD` (nothing spent, nothing logged but a refusal; see the
    /// module's documentation), and refused with [`Denial::NoPreview`] for a file that is
    /// not a picture and on a share whose use limit counts previews.
    ///
    /// # Errors
    /// A [`Denial`] (as a preview of the file would get); [`ServiceError::NotAFile`] for a
    /// folder; or a storage error.
    #[tracing::instrument(skip_all, fields(share = tracing::field::Empty), err(Display, level = "debug"))]
    pub async fn thumbnail(
        &self,
        req: &VisitRequest<'_>,
        path: &SharePath,
        rendition: Rendition,
    ) -> Result<Thumbnail> {
        let scene = self.scene(req).await?;
        let look = Scene {
            mode: RequestMode::Head,
            ..scene
        };
        let grant = self
            .authorize(&look, &Intent::new(Action::Preview, path))
            .await?;
        // Only pictures have thumbnails; a preview that costs a use has none.
        let picture =
            MediaType::of(path.file_name().unwrap_or_default()).preview == Some(Preview::Image);
        if !picture || !previews_are_free(&look.share) {
            return Err(Denial::NoPreview.into());
        }
        let Some(Resolved::Item { storage, .. }) = &grant.target else {
            return Err(Denial::OutsideShare.into());
        };
        let original = match self.ports.files.stat(storage).await {
            Err(FileStoreError::NotFound { .. }) => return Err(Denial::OutsideShare.into()),
            Ok(e) if e.kind == EntryKind::Folder => {
                return Err(ServiceError::NotAFile(path.clone()));
            }
            other => other?,
        };
        let key = ThumbnailKey::new(&original, &rendition);
        let ext = rendition.format.split('-').next().unwrap_or("bin");
        let cache = self
            .config
            .cache_root
            .join(&SharePath::segment("thumbnails")?)?
            .join(&SharePath::segment(&key.as_str()[..2])?)?
            .join(&SharePath::segment(&format!("{key}.{ext}"))?)?;
        let watermark = self.watermark_text(&look.share, &look.session, look.client);
        Ok(Thumbnail {
            original,
            key,
            watermark,
            cache,
        })
    }

    /// The cached picture of `thumbnail`, if one was kept before.
    ///
    /// # Errors
    /// A storage error other than a missing object.
    pub async fn cached_thumbnail(&self, thumbnail: &Thumbnail) -> Result<Option<FileRead>> {
        match self.ports.files.read(&thumbnail.cache, None).await {
            Ok(read) => Ok(Some(read)),
            Err(FileStoreError::NotFound { .. } | FileStoreError::WrongKind { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The original picture's bytes, to draw `thumbnail` from. Never hand them to the
    /// visitor: they are read for drawing only.
    ///
    /// # Errors
    /// [`Denial::OutsideShare`] when the file is gone; a storage error.
    pub async fn thumbnail_source(&self, thumbnail: &Thumbnail) -> Result<FileRead> {
        match self.ports.files.read(&thumbnail.original.path, None).await {
            Err(FileStoreError::NotFound { .. }) => Err(Denial::OutsideShare.into()),
            other => Ok(other?),
        }
    }

    /// Keeps a drawn thumbnail in the cache (replacing one drawn at the same time by
    /// another request: both are the same picture).
    ///
    /// # Errors
    /// A storage error (the picture is then simply drawn again next time).
    pub async fn store_thumbnail(&self, thumbnail: &Thumbnail, picture: Bytes) -> Result<()> {
        let data: ByteStream = Box::pin(Once(Some(picture)));
        self.ports
            .files
            .write(
                &thumbnail.cache,
                data,
                WriteOptions {
                    overwrite: true,
                    max_bytes: Some(MAX_THUMBNAIL_BYTES),
                },
            )
            .await?;
        Ok(())
    }
}

/// Whether a preview of `share` spends no use (no use limit counts previews).
pub(super) fn previews_are_free(share: &crate::Share) -> bool {
    !share
        .settings
        .use_limit
        .is_some_and(|l| l.counts(Action::Preview))
}

/// A stream that yields its one chunk, then ends.
struct Once(Option<Bytes>);

impl futures_core::Stream for Once {
    type Item = std::result::Result<Bytes, FileStoreError>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.take().map(Ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::OffsetDateTime;

    fn entry(path: &str, size: u64, at: i64, etag: Option<&str>) -> FileEntry {
        FileEntry {
            path: SharePath::parse(path).unwrap(),
            kind: EntryKind::File,
            size,
            modified: OffsetDateTime::from_unix_timestamp(at).unwrap(),
            etag: etag.map(str::to_owned),
        }
    }

    const PNG: Rendition = Rendition {
        edge: 256,
        format: "png-1",
    };

    #[test]
    fn the_key_is_stable_across_releases() {
        // A changed value here orphans every cached thumbnail: change it on purpose only.
        let key = ThumbnailKey::new(
            &entry("docs/cat.png", 1234, 1_700_000_000, Some("v1")),
            &PNG,
        );
        assert_eq!(key.as_str().len(), 64);
        assert!(
            key.as_str()
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(
            key,
            ThumbnailKey::new(
                &entry("docs/cat.png", 1234, 1_700_000_000, Some("v1")),
                &PNG
            )
        );
        assert_eq!(
            key.as_str(),
            "7fbeea96a334e58080632b2ae39d441f0c70321506d60f58290eeeff570b7c40"
        );
    }

    #[test]
    fn each_input_changes_the_key() {
        let base = entry("a/b.png", 10, 100, Some("t"));
        let k = ThumbnailKey::new(&base, &PNG);
        let others = [
            entry("a/c.png", 10, 100, Some("t")),
            entry("a/b.png", 11, 100, Some("t")),
            entry("a/b.png", 10, 101, Some("t")),
            entry("a/b.png", 10, 100, Some("u")),
            entry("a/b.png", 10, 100, None),
        ];
        for o in &others {
            assert_ne!(k, ThumbnailKey::new(o, &PNG), "{o:?}");
        }
        assert_ne!(k, ThumbnailKey::new(&base, &Rendition { edge: 128, ..PNG }));
        assert_ne!(
            k,
            ThumbnailKey::new(
                &base,
                &Rendition {
                    format: "png-2",
                    ..PNG
                }
            )
        );
        // The tag "untagged" is not the absence of a tag.
        assert_ne!(
            ThumbnailKey::new(&entry("a", 1, 1, Some("untagged")), &PNG),
            ThumbnailKey::new(&entry("a", 1, 1, None), &PNG)
        );
    }

    type Inputs = (String, u64, i64, Option<String>, u32, bool);

    fn inputs() -> impl Strategy<Value = Inputs> {
        (
            crate::testing::share_path()
                .prop_filter("a file", |p| !p.is_root())
                .prop_map(|p| p.to_string()),
            any::<u64>(),
            -1_000_000_000i64..4_000_000_000,
            proptest::option::of("[ -~]{0,12}"),
            1u32..4096,
            any::<bool>(),
        )
    }

    fn key_of(i: &Inputs) -> ThumbnailKey {
        let format = if i.5 { "png-1" } else { "webp-1" };
        ThumbnailKey::new(
            &entry(&i.0, i.1, i.2, i.3.as_deref()),
            &Rendition { edge: i.4, format },
        )
    }

    proptest! {
        /// The same inputs give the same key; different inputs, different keys.
        #[test]
        fn keys_are_stable_and_distinct(a in inputs(), b in inputs()) {
            prop_assert_eq!(key_of(&a), key_of(&a.clone()));
            if a != b {
                prop_assert_ne!(key_of(&a), key_of(&b));
            } else {
                prop_assert_eq!(key_of(&a), key_of(&b));
            }
        }

        /// A key is always a usable file name.
        #[test]
        fn keys_are_path_segments(a in inputs()) {
            let k = key_of(&a);
            prop_assert!(SharePath::segment(k.as_str()).is_ok());
        }
    }
}
