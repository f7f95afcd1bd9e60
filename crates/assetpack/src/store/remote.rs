//! An object (or a folder of objects) in a bucket, and the connection that reaches it.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, Checksum};
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::multipart::MultipartStore;
use object_store::path::Path as Key;
use object_store::{
    Attribute, Attributes, BackoffConfig, GetOptions, GetResult, ObjectStore, ObjectStoreExt,
    RetryConfig,
};
use url::Url;

use super::{as_folder, credentials, object_url, place, Place, RemoteObject, StoreError, Upload};

/// An object in a bucket, by URL, with the connection to its store.
///
/// ```no_run
/// use assetpack::store::Remote;
///
/// let pack = Remote::parse("s3://regional-packs/2027/north-west.zip")?;
/// if let Some(bytes) = pack.size()? {
///     println!("{pack} holds {bytes} bytes");
/// }
/// # Ok::<(), assetpack::store::StoreError>(())
/// ```
#[derive(Clone)]
pub struct Remote {
    url: Url,
    key: Key,
    store: Arc<dyn ObjectStore>,
    parts: Arc<dyn MultipartStore>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Remote").field(&self.url.as_str()).finish()
    }
}

impl std::fmt::Display for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.url.as_str())
    }
}

impl Remote {
    /// The object at `text`, a bucket URL (`s3://bucket/key`, `gs://…`, `az://…`).
    pub fn parse(text: &str) -> Result<Remote, StoreError> {
        match place(text)? {
            Place::Remote(url) => Remote::connect(url),
            Place::Local(_) => Err(StoreError::Url {
                url: text.to_owned(),
                why: "it is a local path, not a bucket URL".into(),
            }),
        }
    }

    /// Connects to the store of `url` with the credentials of the environment.
    pub fn connect(url: Url) -> Result<Remote, StoreError> {
        let (store, parts) = connect(&url)?;
        let key = key_of(&url)?;
        Ok(Remote {
            url,
            key,
            store,
            parts,
        })
    }

    /// The object at `url` in a store the caller made (a store configured its own way, or
    /// `object_store::memory::InMemory` in tests); `url` names it in messages and gives its key.
    pub fn from_store<S>(url: Url, store: Arc<S>) -> Result<Remote, StoreError>
    where
        S: ObjectStore + MultipartStore,
    {
        Ok(Remote {
            key: key_of(&url)?,
            url,
            store: store.clone(),
            parts: store,
        })
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// `name` inside this folder (`s3://bucket/packs/` + `north.zip`), on the same connection.
    pub fn join(&self, name: &str) -> Result<Remote, StoreError> {
        self.at(object_url(&as_folder(self.url.clone()), name))
    }

    /// Another object of the same store, on the same connection.
    pub(crate) fn at(&self, url: Url) -> Result<Remote, StoreError> {
        Ok(Remote {
            key: key_of(&url)?,
            url,
            store: Arc::clone(&self.store),
            parts: Arc::clone(&self.parts),
        })
    }

    /// The object's size, or `None` when there is no object under the key.
    pub fn size(&self) -> Result<Option<u64>, StoreError> {
        match block_on(self.store.head(&self.key))? {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.failed("read", e)),
        }
    }

    /// The first `n` bytes of the object (fewer when it is shorter).
    pub fn first_bytes(&self, n: u64) -> Result<Vec<u8>, StoreError> {
        let len = self.size()?.unwrap_or(0).min(n);
        if len == 0 {
            return Ok(Vec::new());
        }
        let got = block_on(self.store.get_range(&self.key, 0..len))?;
        got.map(|b| b.to_vec()).map_err(|e| self.failed("read", e))
    }

    /// Starts writing the object: a multipart upload for about `bytes` bytes, committed by
    /// [`Upload::commit`].
    pub fn create(&self, bytes: u64) -> Result<Upload, StoreError> {
        self.names_an_object()?;
        Upload::start(self.clone(), bytes)
    }

    /// An error when the URL names a bucket or a folder (nothing after the last `/`).
    pub(crate) fn names_an_object(&self) -> Result<(), StoreError> {
        if !self.url.path().ends_with('/') && !self.key.as_ref().is_empty() {
            return Ok(());
        }
        Err(StoreError::NotAnObject {
            url: self.url.to_string(),
        })
    }

    /// Opens the object for reading by ranges.
    pub fn open(&self) -> Result<RemoteObject, StoreError> {
        let got = self.request(true).map_err(|(e, _)| e)?;
        Ok(RemoteObject::new(self.clone(), &got))
    }

    /// Asks for the object: its metadata only (`head`), or the whole of it, whose body the
    /// caller reads as it comes. `true` beside an error when the bucket holds no such object.
    pub(crate) fn request(&self, head: bool) -> Result<GetResult, (StoreError, bool)> {
        self.names_an_object().map_err(|e| (e, false))?;
        let options = GetOptions {
            head,
            ..GetOptions::default()
        };
        match block_on(self.store.get_opts(&self.key, options)).map_err(|e| (e, false))? {
            Ok(got) => Ok(got),
            Err(e @ object_store::Error::NotFound { .. }) if missing_bucket(&one_line(&e)) => {
                Err((self.failed("read", e), false))
            }
            Err(object_store::Error::NotFound { .. }) => Err((
                StoreError::Request {
                    url: self.url.to_string(),
                    what: "read",
                    why: "there is no object under this key".into(),
                    fix: "check the bucket and the key (`list` it with your store's tools)",
                },
                true,
            )),
            Err(e) => Err((self.failed("read", e), false)),
        }
    }

    pub(super) fn key(&self) -> &Key {
        &self.key
    }

    pub(super) fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    pub(super) fn parts(&self) -> &Arc<dyn MultipartStore> {
        &self.parts
    }

    /// The store's error, said for people: what was being done to which object, and what
    /// to do about it.
    pub(super) fn failed(&self, what: &'static str, e: object_store::Error) -> StoreError {
        let text = one_line(&e);
        let say = Advice::for_scheme(self.url.scheme());
        let (why, fix) = match &e {
            _ if missing_bucket(&text) => (say.no_bucket.to_owned(), say.make_bucket),
            // With no keys anywhere, the client asks the instance metadata service last.
            _ if text.contains("169.254.169.254") => (say.no_keys.to_owned(), say.set_keys),
            object_store::Error::NotFound { .. } => {
                (format!("not found ({text})"), say.check_names)
            }
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => (
                format!("the store refused the credentials ({text})"),
                say.other_keys,
            ),
            // A listing's refusal comes back as a generic error with the store's code in it.
            _ if REFUSED.iter().any(|code| text.contains(code)) => (
                format!("the store refused the credentials ({text})"),
                say.other_keys,
            ),
            _ => (text, say.try_again),
        };
        StoreError::Request {
            url: self.url.to_string(),
            what,
            why,
            fix,
        }
    }
}

/// What the stores say when they refuse credentials (S3, Azure), or their status line.
const REFUSED: [&str; 5] = [
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "AuthenticationFailed",
    "403 Forbidden",
];

/// True when the store's words say the bucket (S3, Google Cloud Storage) or the container
/// (Azure) does not exist.
fn missing_bucket(text: &str) -> bool {
    text.contains("NoSuchBucket") || text.contains("ContainerNotFound")
}

/// What to tell a person about a failed request, in the words and settings of one kind of
/// store.
struct Advice {
    no_bucket: &'static str,
    no_keys: &'static str,
    make_bucket: &'static str,
    set_keys: &'static str,
    other_keys: &'static str,
    check_names: &'static str,
    try_again: &'static str,
}

impl Advice {
    fn for_scheme(scheme: &str) -> &'static Advice {
        match scheme {
            "az" | "azure" | "abfs" | "abfss" => &AZURE,
            "gs" => &GOOGLE,
            _ => &S3,
        }
    }
}

static S3: Advice = Advice {
    no_bucket: "the bucket does not exist",
    no_keys: "no credentials were found (none in the environment, no AWS profile, no instance role)",
    make_bucket: "create the bucket, or check its name and the endpoint (AWS_ENDPOINT_URL)",
    set_keys: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE",
    other_keys: "give keys that may use this bucket (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)",
    check_names: "check the bucket and the key, and that the bucket exists",
    try_again: "check the endpoint (AWS_ENDPOINT_URL), the network and the store, then try again",
};

static AZURE: Advice = Advice {
    no_bucket: "the container does not exist",
    no_keys: "no credentials were found (none in the environment, no managed identity)",
    make_bucket: "create the container, or check its name and the storage account (AZURE_STORAGE_ACCOUNT_NAME)",
    set_keys: "set AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY (or AZURE_STORAGE_SAS_KEY)",
    other_keys: "give a key that may use this container (AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY, or AZURE_STORAGE_SAS_KEY)",
    check_names: "check the container and the blob's name, and that the container exists",
    try_again: "check the storage account (AZURE_STORAGE_ACCOUNT_NAME), the network and the store, then try again",
};

static GOOGLE: Advice = Advice {
    no_bucket: "the bucket does not exist",
    no_keys: "no credentials were found (none in the environment, no service account of this machine)",
    make_bucket: "create the bucket, or check its name",
    set_keys: "set GOOGLE_SERVICE_ACCOUNT (a service account's key file) or GOOGLE_APPLICATION_CREDENTIALS",
    other_keys: "give a service account that may use this bucket (GOOGLE_SERVICE_ACCOUNT or GOOGLE_APPLICATION_CREDENTIALS)",
    check_names: "check the bucket and the object's name, and that the bucket exists",
    try_again: "check the network and the store, then try again",
};

/// The SHA-256 in an object's user metadata (`sha256`, as `aws s3 cp --metadata sha256=…`
/// stores it), when it is 64 hex digits.
pub(super) fn stored_sha256(attributes: &Attributes) -> Option<String> {
    let value = attributes.get(&Attribute::Metadata("sha256".into()))?;
    let value = value.trim().to_ascii_lowercase();
    (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())).then_some(value)
}

/// The error and its causes on one line, without the XML a store sends back.
fn one_line(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        cause = c.source();
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(400) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

fn key_of(url: &Url) -> Result<Key, StoreError> {
    Key::from_url_path(url.path()).map_err(|e| StoreError::Url {
        url: url.to_string(),
        why: e.to_string(),
    })
}

/// Retries for requests that fail for a passing reason: five, from 100 ms doubling to 5 s,
/// within two minutes.
fn retry() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            base: 2.0,
        },
        max_retries: 5,
        retry_timeout: Duration::from_secs(120),
    }
}

type Stores = (Arc<dyn ObjectStore>, Arc<dyn MultipartStore>);

fn connect(url: &Url) -> Result<Stores, StoreError> {
    let built = match url.scheme() {
        "s3" | "s3a" => shared(
            s3_builder()
                .with_url(url.as_str())
                .with_retry(retry())
                .build(),
        ),
        "gs" => shared(
            GoogleCloudStorageBuilder::from_env()
                .with_url(url.as_str())
                .with_retry(retry())
                .build(),
        ),
        _ => shared(
            MicrosoftAzureBuilder::from_env()
                .with_url(url.as_str())
                .with_retry(retry())
                .build(),
        ),
    };
    built.map_err(|e| StoreError::Request {
        url: url.to_string(),
        what: "connect to the store of",
        why: one_line(&e),
        fix: "check the URL and the store's settings in the environment",
    })
}

/// A store built, as both the interfaces the pack needs.
fn shared<S: ObjectStore + MultipartStore>(
    built: object_store::Result<S>,
) -> object_store::Result<Stores> {
    let store = Arc::new(built?);
    Ok((store.clone(), store))
}

/// S3 settings from the environment, then from the AWS shared files. An endpoint given as
/// http:// (a server on this machine, say) is meant as said. Every part uploaded carries its
/// SHA-256 (`x-amz-checksum-sha256`), which the store checks before it keeps the part: the
/// signature hashes each part anyway, so this costs nothing here, and a store answers
/// `CompleteMultipartUpload` without hashing the whole object again
/// (`AWS_CHECKSUM_ALGORITHM=crc64nvme` chooses the other checksum S3 offers).
fn s3_builder() -> AmazonS3Builder {
    let mut builder = AmazonS3Builder::from_env();
    let mut http_endpoint = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .any(|v| v.starts_with("http://"));
    for (key, value) in credentials::from_shared_files() {
        http_endpoint |= key == "aws_endpoint" && value.starts_with("http://");
        if let Ok(key) = key.parse() {
            builder = builder.with_config(key, value);
        }
    }
    if builder
        .get_config_value(&AmazonS3ConfigKey::Checksum)
        .is_none()
    {
        builder = builder.with_checksum_algorithm(Checksum::SHA256);
    }
    builder.with_allow_http(http_endpoint)
}

/// The runtime the store's requests run on: two threads, started on first use.
fn runtime() -> Result<&'static tokio::runtime::Runtime, StoreError> {
    static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("assetpack-store")
                .enable_all()
                .build()
                .ok()
        })
        .as_ref()
        .ok_or_else(|| StoreError::Request {
            url: String::new(),
            what: "start the threads that reach",
            why: "the system refused new threads".into(),
            fix: "free some resources and try again",
        })
}

/// Runs `f` on the store's runtime and waits for it.
pub(super) fn block_on<F: Future>(f: F) -> Result<F::Output, StoreError> {
    Ok(runtime()?.block_on(f))
}

/// Starts `f` on the store's runtime without waiting for it.
pub(super) fn spawn<F>(f: F) -> Result<tokio::task::JoinHandle<F::Output>, StoreError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Ok(runtime()?.spawn(f))
}
