//! Object storage: packs written to and read from buckets (S3 and what speaks its protocol,
//! Google Cloud Storage, Azure Blob Storage), through the Apache Arrow project's
//! `object_store` crate, behind the `s3` cargo feature.
//!
//! A place is a local path or a bucket URL ([`place`]): `s3://bucket/key`, `gs://…`,
//! `az://container/key`; `file:///path` is a local path. Credentials come from the
//! environment the way each store's own tools read it (`AWS_ACCESS_KEY_ID`, `AWS_REGION`,
//! `AWS_ENDPOINT_URL` for a server of your own, `AWS_PROFILE` and the shared files under
//! `~/.aws`, instance and container roles; `GOOGLE_*`; `AZURE_*`), never from a manifest.
//!
//! - `Upload` is a pack being written to a bucket: a multipart upload fed by the pack's
//!   writer, parts sent while the pack is still being made, nothing visible under the key
//!   until `Upload::commit`; dropped uncommitted, the upload is aborted and an older object
//!   under the key stays as it was.
//! - `RemoteObject` reads an object by ranges ([`crate::content::ReadAt`]): the verifier
//!   reads a pack's central directory first and then its entries, with no download to disk.
//!
//! (`Remote`, `Upload` and `RemoteObject` are there with the `s3` feature.)
//!
//! Requests that fail for a passing reason (a reset connection, `503 SlowDown`, a timeout)
//! are retried with exponential backoff; what stays wrong is a [`StoreError`] naming the
//! object and what to do.

use std::path::PathBuf;

#[cfg(feature = "s3")]
mod credentials;
#[cfg(feature = "s3")]
pub(crate) mod objects;
#[cfg(feature = "s3")]
mod ranged;
#[cfg(feature = "s3")]
mod remote;
#[cfg(all(test, feature = "s3"))]
mod tests;
#[cfg(feature = "s3")]
mod upload;

#[cfg(feature = "s3")]
pub use ranged::RemoteObject;
#[cfg(feature = "s3")]
pub use remote::Remote;
#[cfg(feature = "s3")]
pub use upload::{Marks, Upload};

/// Why a bucket could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The text looks like a URL but is not one this crate reads.
    #[error("`{url}` is not a place assetpack can read or write: {why}")]
    Url {
        /// The text given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// The URL names a bucket or a folder where an object is wanted.
    #[error("`{url}` names a bucket or a folder, not an object: give the pack's name after the last `/` (…/north-west.zip), or use it as a folder of packs")]
    NotAnObject {
        /// The URL.
        url: String,
    },
    /// The URL names object storage, and this build has none.
    #[error("`{url}` is in object storage, and this assetpack was built without it (the `s3` cargo feature); use a local path, or a build with that feature")]
    NotBuilt {
        /// The URL.
        url: String,
    },
    /// The store answered with an error, or could not be reached, after any retries.
    #[error("cannot {what} {url}: {why}; {fix}")]
    Request {
        /// The object (or folder) asked for.
        url: String,
        /// What was being done ("read", "upload to", …).
        what: &'static str,
        /// What the store said.
        why: String,
        /// What to do.
        fix: &'static str,
    },
    /// The pack is larger than a multipart upload can hold.
    #[error("cannot upload {url}: {bytes} bytes need more than 10,000 parts of the largest size (5 GiB)")]
    TooLarge {
        /// The destination.
        url: String,
        /// The pack's size.
        bytes: u64,
    },
}

impl StoreError {
    /// What went wrong and what to do, without naming the object (for a message that
    /// names it already).
    #[cfg(feature = "s3")]
    pub(crate) fn reason(&self) -> String {
        match self {
            StoreError::Request { why, fix, .. } => format!("{why}; {fix}"),
            other => other.to_string(),
        }
    }
}

/// Where something is read from or written to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Place {
    /// A path on this machine (also what a `file://` URL names).
    Local(PathBuf),
    /// An object (or a folder of objects) in a bucket.
    Remote(url::Url),
}

impl Place {
    /// `rel` (`/`-separated) inside this folder, for messages and reports: a path, or the
    /// folder's URL followed by `rel` as written (not percent-encoded).
    pub fn join(&self, rel: &str) -> PathBuf {
        match self {
            Place::Local(dir) => dir.join(rel),
            Place::Remote(url) => PathBuf::from(format!("{}{rel}", as_folder(url.clone()))),
        }
    }

    /// The local folder, when it is one.
    pub fn local(&self) -> Option<&std::path::Path> {
        match self {
            Place::Local(dir) => Some(dir),
            Place::Remote(_) => None,
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Local(dir) => dir.display().fmt(f),
            Place::Remote(url) => f.write_str(url.as_str()),
        }
    }
}

/// The URL of `rel` (`/`-separated, each part a name as written, `#` and `%` included) inside
/// the bucket folder `folder`.
pub fn object_url(folder: &url::Url, rel: &str) -> url::Url {
    let mut url = folder.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().extend(rel.split('/'));
    }
    url
}

/// `url` as a folder: its path ending in `/`.
pub fn as_folder(mut url: url::Url) -> url::Url {
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url
}

/// The URL schemes of object storage.
const REMOTE_SCHEMES: [&str; 7] = ["s3", "s3a", "gs", "az", "azure", "abfs", "abfss"];

/// What `text` names: a local path, or (when it starts with `scheme://`) a URL. `file://`
/// URLs are local paths; `s3://`, `gs://` and `az://` (and their spellings `s3a`, `azure`,
/// `abfs`, `abfss`) are object storage; any other scheme is an error.
///
/// ```
/// use assetpack::store::{place, Place};
///
/// assert_eq!(place("packs/north.zip").unwrap(), Place::Local("packs/north.zip".into()));
/// assert_eq!(place("file:///tmp/north.zip").unwrap(), Place::Local("/tmp/north.zip".into()));
/// assert!(matches!(place("s3://regional-packs/2027/north.zip").unwrap(), Place::Remote(_)));
/// assert!(place("ftp://example.org/north.zip").is_err());
/// ```
pub fn place(text: &str) -> Result<Place, StoreError> {
    let Some((scheme, _)) = text.split_once("://") else {
        return Ok(Place::Local(PathBuf::from(text)));
    };
    // A path may hold "://" further on; only a plain scheme before it makes a URL.
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+')
    {
        return Ok(Place::Local(PathBuf::from(text)));
    }
    let bad = |why: String| StoreError::Url {
        url: text.to_owned(),
        why,
    };
    let url = url::Url::parse(text).map_err(|e| bad(e.to_string()))?;
    match url.scheme() {
        "file" => url
            .to_file_path()
            .map(Place::Local)
            .map_err(|()| bad("a file URL needs an absolute path".into())),
        s if REMOTE_SCHEMES.contains(&s) => {
            if url.host_str().is_none_or(str::is_empty) {
                return Err(bad("it names no bucket".into()));
            }
            Ok(Place::Remote(url))
        }
        other => Err(bad(format!(
            "`{other}://` is not supported; use a local path, file://, s3://, gs:// or az://"
        ))),
    }
}

#[cfg(test)]
mod place_tests {
    use super::*;

    #[test]
    fn places_are_paths_unless_they_start_with_a_known_scheme() {
        assert_eq!(place("a/b.zip").unwrap(), Place::Local("a/b.zip".into()));
        assert_eq!(
            place("odd name://x.zip").unwrap(),
            Place::Local("odd name://x.zip".into())
        );
        assert!(matches!(place("gs://b/k.zip"), Ok(Place::Remote(_))));
        assert!(matches!(place("az://c/k.zip"), Ok(Place::Remote(_))));
        assert!(place("s3:///k.zip").is_err(), "no bucket");
        assert!(place("http://example.org/k.zip").is_err());
        assert!(place("file://relative").is_err());
    }

    #[test]
    fn names_inside_a_bucket_folder_keep_their_odd_characters() {
        let Ok(Place::Remote(url)) = place("s3://b/assets/oup") else {
            panic!("a bucket URL")
        };
        let folder = as_folder(url);
        assert_eq!(folder.as_str(), "s3://b/assets/oup/");
        let odd = object_url(&folder, "posters/a #1 50%.pdf");
        assert_eq!(
            odd.as_str(),
            "s3://b/assets/oup/posters/a%20%231%2050%25.pdf"
        );
        assert_eq!(odd.fragment(), None);
        assert_eq!(
            Place::Remote(folder).join("x/ü.png"),
            PathBuf::from("s3://b/assets/oup/x/ü.png")
        );
    }
}
