//! What a storage URL names: `file:///abs/path` (or `file:relative/path`, under the
//! working directory), `memory://`, `s3://bucket/prefix?…`,
//! `gs://bucket/prefix?…`, `az://container/prefix?…`. Cloud stores are built here with
//! `object_store::parse_url_opts`; the store wrapping them is `ObjectFileStore`'s job.

use crate::backend::Backend;
use crate::error::Error;
use object_store::ObjectStore;
use object_store::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use url::Url;

/// The storage a URL names.
#[derive(Debug)]
pub(crate) enum Storage {
    /// A local folder, created if missing by `ObjectFileStore::local`.
    Local(PathBuf),
    /// Process memory, empty at first.
    Memory,
    /// A cloud store, with the key prefix the URL's path gives.
    #[cfg_attr(
        not(any(feature = "s3", feature = "gcp", feature = "azure")),
        allow(dead_code)
    )]
    Cloud {
        /// Which cloud.
        backend: Backend,
        /// The configured store.
        store: Arc<dyn ObjectStore>,
        /// Prepended to every key.
        prefix: Path,
    },
}

/// The URL without user info or query, safe to show in errors and logs.
fn redacted(url: &Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.path()
    )
}

/// Same as [`redacted`] for text that did not parse as a URL.
fn redacted_text(text: &str) -> String {
    let text = text.split(['?', '#']).next().unwrap_or_default();
    match text.split_once("://") {
        Some((scheme, rest)) => {
            let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{rest}")
        }
        None => text.to_owned(),
    }
}

/// Parses `text` into the storage it names; `extra` options are applied after the URL's
/// query parameters (use them for secrets kept out of URLs).
pub(crate) fn parse(text: &str, extra: Vec<(String, String)>) -> Result<Storage, Error> {
    // `file:data/files` has no `//`: a URL parser would read `/data/files`, at the
    // filesystem root. A person writing it means the folder `data/files` here.
    if let Some(relative) = text.strip_prefix("file:").filter(|r| !r.starts_with('/')) {
        return relative_folder(text, relative, &extra);
    }
    let url = Url::parse(text).map_err(|source| Error::InvalidUrl {
        url: redacted_text(text),
        source,
    })?;
    let mut options: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    options.extend(extra);
    match url.scheme() {
        // Not `parse_url_opts`: its `LocalFileSystem::new()` has no root folder (keys
        // would be absolute paths) and does not create it, while the local backend keeps
        // its folder for the one-call reads and the directory bookkeeping.
        "file" => {
            refuse_options("local", &options)?;
            let path = url.to_file_path().map_err(|()| Error::NotALocalPath {
                url: redacted(&url),
            })?;
            Ok(Storage::Local(path))
        }
        // Not `parse_url_opts`: it refuses `memory://name`, accepted here, and would make
        // the URL's path a key prefix, which a fresh memory store has no use for.
        "memory" => {
            refuse_options("memory", &options)?;
            Ok(Storage::Memory)
        }
        "s3" | "s3a" => s3(&url, options),
        "gs" => gcs(&url, options),
        "az" | "azure" => azure(&url, options),
        other => Err(Error::UnknownScheme {
            scheme: other.to_owned(),
        }),
    }
}

/// A `file:` URL without `//`: a folder relative to the working directory (no query).
fn relative_folder(
    text: &str,
    relative: &str,
    extra: &[(String, String)],
) -> Result<Storage, Error> {
    let not_local = || Error::NotALocalPath {
        url: redacted_text(text),
    };
    if relative.is_empty() || relative.contains(['?', '#']) {
        return Err(not_local());
    }
    refuse_options("local", extra)?;
    let cwd = std::env::current_dir().map_err(|_| not_local())?;
    Ok(Storage::Local(cwd.join(relative)))
}

fn refuse_options(backend: &'static str, options: &[(String, String)]) -> Result<(), Error> {
    match options.first() {
        Some((key, _)) => Err(Error::UnknownOption {
            backend,
            key: key.clone(),
        }),
        None => Ok(()),
    }
}

/// The bucket (URL host) and prefix (URL path) of a cloud URL.
#[cfg_attr(
    not(any(feature = "s3", feature = "gcp", feature = "azure")),
    allow(dead_code)
)]
fn bucket_and_prefix(url: &Url) -> Result<(String, Path), Error> {
    let bucket = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::MissingBucket { url: redacted(url) })?;
    let prefix = Path::from_url_path(url.path()).map_err(|source| Error::InvalidPrefix {
        prefix: url.path().to_owned(),
        source,
    })?;
    Ok((bucket.to_owned(), prefix))
}

/// Refuses an option that is none of the backend's configuration keys `K`
/// (`parse_url_opts` would silently skip it).
#[cfg(any(feature = "s3", feature = "gcp", feature = "azure"))]
fn check_key<K: std::str::FromStr>(backend: Backend, key: &str) -> Result<(), Error> {
    match key.to_ascii_lowercase().parse::<K>() {
        Ok(_) => Ok(()),
        Err(_) => Err(Error::UnknownOption {
            backend: backend.name(),
            key: key.to_owned(),
        }),
    }
}

/// The environment variables whose names start with `prefix` (`AWS_`, …), as the
/// builders' `from_env` reads them: `parse_url_opts` starts from an empty builder, and
/// skips the variables that name no configuration key, as `from_env` does.
#[cfg(any(feature = "s3", feature = "gcp", feature = "azure"))]
fn env_options(prefix: &str) -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
        .filter(|(key, _)| key.starts_with(prefix))
        .collect()
}

/// Builds a cloud store with `parse_url_opts` from `env` then `options` (later ones win).
/// It gets the URL without query or user info, so its errors cannot show secrets, and the
/// bucket is the URL's host, as [`bucket_and_prefix`] reads it.
#[cfg(any(feature = "s3", feature = "gcp", feature = "azure"))]
fn cloud(
    url: &Url,
    backend: Backend,
    prefix: Path,
    env: Vec<(String, String)>,
    options: Vec<(String, String)>,
) -> Result<Storage, Error> {
    let bare = Url::parse(&redacted(url)).map_err(|source| Error::InvalidUrl {
        url: redacted(url),
        source,
    })?;
    let (store, _) =
        object_store::parse_url_opts(&bare, env.into_iter().chain(options)).map_err(|source| {
            Error::Build {
                backend: backend.name(),
                source,
            }
        })?;
    Ok(Storage::Cloud {
        backend,
        store: Arc::from(store),
        prefix,
    })
}

#[cfg(feature = "s3")]
fn parse_bool(backend: &'static str, key: &str, value: &str) -> Result<bool, Error> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(Error::InvalidOption {
            backend,
            key: key.to_owned(),
        }),
    }
}

#[cfg(feature = "s3")]
fn s3(url: &Url, options: Vec<(String, String)>) -> Result<Storage, Error> {
    use object_store::aws::AmazonS3ConfigKey;
    let backend = Backend::S3;
    let (_, prefix) = bucket_and_prefix(url)?;
    let mut checked = Vec::with_capacity(options.len() + 1);
    for (key, value) in options {
        // Ours, not an `object_store` key: the plain opposite of
        // `virtual_hosted_style_request`.
        if key.eq_ignore_ascii_case("path_style") {
            let path_style = parse_bool(backend.name(), &key, &value)?;
            checked.push((
                "virtual_hosted_style_request".to_owned(),
                (!path_style).to_string(),
            ));
            continue;
        }
        check_key::<AmazonS3ConfigKey>(backend, &key)?;
        checked.push((key, value));
    }
    // The usual AWS_* variables first, then the URL's options on top.
    let env = env_options("AWS_");
    // Copy-if-not-exists through a conditional multipart completion works on AWS and on
    // servers that implement conditional writes; it keeps create-only copies atomic.
    let copy_mode_set = env.iter().chain(&checked).any(|(key, _)| {
        matches!(
            key.to_ascii_lowercase().parse(),
            Ok(AmazonS3ConfigKey::CopyIfNotExists)
        )
    });
    if !copy_mode_set {
        checked.push(("copy_if_not_exists".to_owned(), "multipart".to_owned()));
    }
    cloud(url, backend, prefix, env, checked)
}

#[cfg(not(feature = "s3"))]
fn s3(url: &Url, _options: Vec<(String, String)>) -> Result<Storage, Error> {
    Err(Error::FeatureDisabled {
        scheme: url.scheme().to_owned(),
        feature: "s3",
    })
}

#[cfg(feature = "gcp")]
fn gcs(url: &Url, options: Vec<(String, String)>) -> Result<Storage, Error> {
    use object_store::gcp::GoogleConfigKey;
    let backend = Backend::Gcs;
    let (_, prefix) = bucket_and_prefix(url)?;
    for (key, _) in &options {
        check_key::<GoogleConfigKey>(backend, key)?;
    }
    // As `GoogleCloudStorageBuilder::from_env`: `SERVICE_ACCOUNT`, then `GOOGLE_*`.
    let mut env: Vec<(String, String)> = std::env::var("SERVICE_ACCOUNT")
        .ok()
        .map(|path| ("service_account".to_owned(), path))
        .into_iter()
        .collect();
    env.extend(env_options("GOOGLE_"));
    cloud(url, backend, prefix, env, options)
}

#[cfg(not(feature = "gcp"))]
fn gcs(url: &Url, _options: Vec<(String, String)>) -> Result<Storage, Error> {
    Err(Error::FeatureDisabled {
        scheme: url.scheme().to_owned(),
        feature: "gcp",
    })
}

#[cfg(feature = "azure")]
fn azure(url: &Url, options: Vec<(String, String)>) -> Result<Storage, Error> {
    use object_store::azure::AzureConfigKey;
    let backend = Backend::Azure;
    let (_, prefix) = bucket_and_prefix(url)?;
    for (key, _) in &options {
        check_key::<AzureConfigKey>(backend, key)?;
    }
    // As `MicrosoftAzureBuilder::from_env`: `AZURE_*`, then `IDENTITY_ENDPOINT`.
    let mut env = env_options("AZURE_");
    env.extend(
        std::env::var("IDENTITY_ENDPOINT")
            .ok()
            .map(|endpoint| ("identity_endpoint".to_owned(), endpoint)),
    );
    cloud(url, backend, prefix, env, options)
}

#[cfg(not(feature = "azure"))]
fn azure(url: &Url, _options: Vec<(String, String)>) -> Result<Storage, Error> {
    Err(Error::FeatureDisabled {
        scheme: url.scheme().to_owned(),
        feature: "azure",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_drops_query_and_user_info() {
        assert_eq!(
            redacted_text("s3://key:secret@bucket/p?secret_access_key=x"),
            "s3://bucket/p"
        );
        assert_eq!(redacted_text("not a url?token=x"), "not a url");
        let url = Url::parse("s3://bucket/prefix?secret_access_key=hunter2").expect("url");
        assert_eq!(redacted(&url), "s3://bucket/prefix");
    }

    #[test]
    fn unknown_scheme_and_options_are_refused() {
        assert!(matches!(
            parse("ftp://example/x", vec![]),
            Err(Error::UnknownScheme { ref scheme }) if scheme == "ftp"
        ));
        assert!(matches!(
            parse("memory://?colour=blue", vec![]),
            Err(Error::UnknownOption { backend: "memory", ref key }) if key == "colour"
        ));
        assert!(matches!(
            parse("not a url", vec![]),
            Err(Error::InvalidUrl { .. })
        ));
    }

    #[test]
    fn a_file_url_without_slashes_is_a_folder_here_not_at_the_root() {
        let here = std::env::current_dir().expect("cwd");
        for (text, folder) in [("file:data/files", "data/files"), ("file:./data", "./data")] {
            match parse(text, vec![]) {
                Ok(Storage::Local(path)) => assert_eq!(path, here.join(folder), "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        match parse("file:///srv/files", vec![]) {
            Ok(Storage::Local(path)) => assert_eq!(path, std::path::PathBuf::from("/srv/files")),
            other => panic!("{other:?}"),
        }
        for bad in ["file:", "file:data?x=1"] {
            assert!(
                matches!(parse(bad, vec![]), Err(Error::NotALocalPath { .. })),
                "{bad}"
            );
        }
    }

    #[cfg(feature = "azure")]
    #[test]
    fn build_errors_never_show_the_query() {
        // A dotted container name is refused by `object_store` while building.
        let err = parse("az://not.a.container/p?access_key=hunter2", vec![])
            .expect_err("an invalid container name");
        assert!(matches!(
            err,
            Error::Build {
                backend: "azure",
                ..
            }
        ));
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("not.a.container"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
