//! Building a store from a URL: `file:///abs/path`, `memory://`, `s3://bucket/prefix?…`,
//! `gs://bucket/prefix?…`, `az://container/prefix?…`.

use crate::error::Error;
use crate::store::ObjectFileStore;
use object_store::path::Path;
use url::Url;

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

/// Parses `text` and builds the store it names; `extra` options are applied after the
/// URL's query parameters (use them for secrets kept out of URLs).
pub(crate) fn from_url(text: &str, extra: Vec<(String, String)>) -> Result<ObjectFileStore, Error> {
    let url = Url::parse(text).map_err(|source| Error::InvalidUrl {
        url: redacted_text(text),
        source,
    })?;
    let mut options: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    options.extend(extra);
    match url.scheme() {
        "file" => {
            refuse_options("local", &options)?;
            let path = url.to_file_path().map_err(|()| Error::NotALocalPath {
                url: redacted(&url),
            })?;
            ObjectFileStore::local(path)
        }
        "memory" => {
            refuse_options("memory", &options)?;
            Ok(ObjectFileStore::memory())
        }
        "s3" | "s3a" => s3(&url, options),
        "gs" => gcs(&url, options),
        "az" | "azure" => azure(&url, options),
        other => Err(Error::UnknownScheme {
            scheme: other.to_owned(),
        }),
    }
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
fn s3(url: &Url, options: Vec<(String, String)>) -> Result<ObjectFileStore, Error> {
    use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, S3CopyIfNotExists};
    const BACKEND: &str = "s3";
    let (bucket, prefix) = bucket_and_prefix(url)?;
    // The usual AWS_* variables first, then the URL's options on top.
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    for (key, value) in options {
        let lower = key.to_ascii_lowercase();
        if lower == "path_style" {
            let path_style = parse_bool(BACKEND, &key, &value)?;
            builder = builder.with_virtual_hosted_style_request(!path_style);
            continue;
        }
        let config: AmazonS3ConfigKey = lower.parse().map_err(|_| Error::UnknownOption {
            backend: BACKEND,
            key: key.clone(),
        })?;
        builder = builder.with_config(config, value);
    }
    // Copy-if-not-exists through a conditional multipart completion works on AWS and on
    // servers that implement conditional writes; it keeps create-only copies atomic.
    if builder
        .get_config_value(&AmazonS3ConfigKey::CopyIfNotExists)
        .is_none()
    {
        builder = builder.with_copy_if_not_exists(S3CopyIfNotExists::Multipart);
    }
    let store = builder.build().map_err(|source| Error::Build {
        backend: BACKEND,
        source,
    })?;
    Ok(ObjectFileStore::with_backend(
        std::sync::Arc::new(store),
        prefix,
        crate::store::Backend::S3,
    ))
}

#[cfg(not(feature = "s3"))]
fn s3(url: &Url, _options: Vec<(String, String)>) -> Result<ObjectFileStore, Error> {
    Err(Error::FeatureDisabled {
        scheme: url.scheme().to_owned(),
        feature: "s3",
    })
}

#[cfg(feature = "gcp")]
fn gcs(url: &Url, options: Vec<(String, String)>) -> Result<ObjectFileStore, Error> {
    use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
    const BACKEND: &str = "gcs";
    let (bucket, prefix) = bucket_and_prefix(url)?;
    let mut builder = GoogleCloudStorageBuilder::from_env().with_bucket_name(bucket);
    for (key, value) in options {
        let config: GoogleConfigKey =
            key.to_ascii_lowercase()
                .parse()
                .map_err(|_| Error::UnknownOption {
                    backend: BACKEND,
                    key: key.clone(),
                })?;
        builder = builder.with_config(config, value);
    }
    let store = builder.build().map_err(|source| Error::Build {
        backend: BACKEND,
        source,
    })?;
    Ok(ObjectFileStore::with_backend(
        std::sync::Arc::new(store),
        prefix,
        crate::store::Backend::Gcs,
    ))
}

#[cfg(not(feature = "gcp"))]
fn gcs(url: &Url, _options: Vec<(String, String)>) -> Result<ObjectFileStore, Error> {
    Err(Error::FeatureDisabled {
        scheme: url.scheme().to_owned(),
        feature: "gcp",
    })
}

#[cfg(feature = "azure")]
fn azure(url: &Url, options: Vec<(String, String)>) -> Result<ObjectFileStore, Error> {
    use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
    const BACKEND: &str = "azure";
    let (container, prefix) = bucket_and_prefix(url)?;
    let mut builder = MicrosoftAzureBuilder::from_env().with_container_name(container);
    for (key, value) in options {
        let config: AzureConfigKey =
            key.to_ascii_lowercase()
                .parse()
                .map_err(|_| Error::UnknownOption {
                    backend: BACKEND,
                    key: key.clone(),
                })?;
        builder = builder.with_config(config, value);
    }
    let store = builder.build().map_err(|source| Error::Build {
        backend: BACKEND,
        source,
    })?;
    Ok(ObjectFileStore::with_backend(
        std::sync::Arc::new(store),
        prefix,
        crate::store::Backend::Azure,
    ))
}

#[cfg(not(feature = "azure"))]
fn azure(url: &Url, _options: Vec<(String, String)>) -> Result<ObjectFileStore, Error> {
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
            from_url("ftp://example/x", vec![]),
            Err(Error::UnknownScheme { ref scheme }) if scheme == "ftp"
        ));
        assert!(matches!(
            from_url("memory://?colour=blue", vec![]),
            Err(Error::UnknownOption { backend: "memory", ref key }) if key == "colour"
        ));
        assert!(matches!(
            from_url("not a url", vec![]),
            Err(Error::InvalidUrl { .. })
        ));
    }
}
