//! Building stores from URLs, and what they look like on disk.

use crate::conformance::TempStore;
use crate::run;
use bytes::Bytes;
use futures::StreamExt;
use sharelink_core::SharePath;
use sharelink_core::ports::file_store::{
    ByteStream, EntryKind, FileStore, FileStoreError, WriteOptions,
};
use sharelink_storage::{Backend, Error, ObjectFileStore};

fn p(text: &str) -> SharePath {
    SharePath::parse(text).expect("a valid test path")
}

fn body(data: &'static [u8]) -> ByteStream {
    Box::pin(futures::stream::iter([Ok::<_, FileStoreError>(
        Bytes::from_static(data),
    )]))
}

async fn read_all(store: &dyn FileStore, path: &str) -> Vec<u8> {
    let read = store.read(&p(path), None).await.expect("read");
    let chunks: Vec<_> = read.stream.collect().await;
    chunks
        .into_iter()
        .flat_map(|c| c.expect("chunk").to_vec())
        .collect()
}

#[test]
fn memory_url_builds_a_working_store() {
    run(async {
        for url in ["memory://", "memory:///", "memory:"] {
            let store = ObjectFileStore::from_url(url).expect(url);
            assert_eq!(store.backend(), Backend::Memory);
            store
                .write(&p("a/b.txt"), body(b"hi"), WriteOptions::default())
                .await
                .expect("write");
            assert_eq!(read_all(&store, "a/b.txt").await, b"hi");
        }
    });
}

#[test]
fn file_url_creates_the_folder_and_keeps_exact_names_on_disk() {
    run(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("not/yet/there");
        let url = url::Url::from_directory_path(&root).expect("file URL");
        let store = ObjectFileStore::from_url(url.as_str()).expect("local store");
        assert_eq!(store.backend(), Backend::Local);
        assert!(root.is_dir(), "the folder is created");

        let name = "dossier été/100% sure #1 (copy)?.txt";
        store
            .write(&p(name), body(b"x"), WriteOptions::default())
            .await
            .expect("write");
        assert_eq!(
            std::fs::read(root.join("dossier été").join("100% sure #1 (copy)?.txt"))
                .expect("on disk"),
            b"x"
        );
    });
}

#[test]
fn files_and_folders_made_outside_the_store_show_up() {
    run(async {
        let store = TempStore::new();
        std::fs::create_dir_all(store.dir().join("dropped/empty")).expect("mkdir");
        std::fs::write(store.dir().join("dropped/photo 1.jpg"), b"jpeg").expect("write");
        let listed: Vec<_> = store
            .list(&p("dropped"))
            .await
            .expect("list")
            .into_iter()
            .map(|e| (e.path.to_string(), e.kind, e.size))
            .collect();
        assert_eq!(
            listed,
            vec![
                ("dropped/empty".to_owned(), EntryKind::Folder, 0),
                ("dropped/photo 1.jpg".to_owned(), EntryKind::File, 4),
            ]
        );
        assert_eq!(
            store.stat(&p("dropped/empty")).await.expect("stat").kind,
            EntryKind::Folder
        );
        assert!(
            store
                .list(&p("dropped/empty"))
                .await
                .expect("list")
                .is_empty()
        );
        store.delete(&p("dropped")).await.expect("delete");
        assert!(
            !store.dir().join("dropped").exists(),
            "the directory is gone too"
        );
    });
}

#[test]
fn configuration_errors_are_typed() {
    assert!(matches!(
        ObjectFileStore::from_url("ftp://host/x"),
        Err(Error::UnknownScheme { ref scheme }) if scheme == "ftp"
    ));
    assert!(matches!(
        ObjectFileStore::from_url("no scheme"),
        Err(Error::InvalidUrl { .. })
    ));
    assert!(matches!(
        ObjectFileStore::from_url("memory://?size=1"),
        Err(Error::UnknownOption { .. })
    ));
    assert!(matches!(
        ObjectFileStore::from_url("file://fileserver/share"),
        Err(Error::NotALocalPath { .. })
    ));
}

#[cfg(feature = "s3")]
#[test]
fn s3_urls_are_checked_and_never_leak_secrets() {
    assert!(matches!(
        ObjectFileStore::from_url("s3:///prefix"),
        Err(Error::MissingBucket { .. })
    ));
    let err = ObjectFileStore::from_url("s3://bucket/p?secret_access_key=hunter2&colour=blue")
        .expect_err("unknown option");
    assert!(matches!(err, Error::UnknownOption { backend: "s3", ref key } if key == "colour"));
    assert!(!format!("{err} {err:?}").contains("hunter2"));
    assert!(matches!(
        ObjectFileStore::from_url("s3://bucket/p?path_style=maybe"),
        Err(Error::InvalidOption { .. })
    ));

    let store = ObjectFileStore::from_url(
        "s3://bucket/some/prefix?region=eu-west-3&endpoint=http://127.0.0.1:9&allow_http=true\
         &path_style=true&access_key_id=AKIDEXAMPLE&secret_access_key=hunter2",
    )
    .expect("an S3 store");
    assert_eq!(store.backend(), Backend::S3);
    let debug = format!("{store:?}");
    assert!(debug.contains("some/prefix"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
}

#[cfg(not(feature = "s3"))]
#[test]
fn s3_urls_need_the_feature() {
    assert!(matches!(
        ObjectFileStore::from_url("s3://bucket/prefix"),
        Err(Error::FeatureDisabled { feature: "s3", .. })
    ));
}

#[cfg(not(feature = "gcp"))]
#[test]
fn gcs_urls_need_the_feature() {
    assert!(matches!(
        ObjectFileStore::from_url("gs://bucket/prefix"),
        Err(Error::FeatureDisabled { feature: "gcp", .. })
    ));
}

#[cfg(feature = "gcp")]
#[test]
fn gcs_urls_are_checked() {
    assert!(matches!(
        ObjectFileStore::from_url("gs:///prefix"),
        Err(Error::MissingBucket { .. })
    ));
    let store =
        ObjectFileStore::from_url("gs://bucket/prefix?skip_signature=true").expect("a GCS store");
    assert_eq!(store.backend(), Backend::Gcs);
}

#[cfg(not(feature = "azure"))]
#[test]
fn azure_urls_need_the_feature() {
    assert!(matches!(
        ObjectFileStore::from_url("az://container/prefix"),
        Err(Error::FeatureDisabled {
            feature: "azure",
            ..
        })
    ));
}

#[cfg(feature = "azure")]
#[test]
fn azure_urls_are_checked() {
    assert!(matches!(
        ObjectFileStore::from_url("az:///prefix"),
        Err(Error::MissingBucket { .. })
    ));
    assert!(matches!(
        ObjectFileStore::from_url("az://container/p?colour=blue"),
        Err(Error::UnknownOption {
            backend: "azure",
            ..
        })
    ));
}
