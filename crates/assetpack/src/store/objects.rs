//! A provider's files in a bucket folder (`base = "s3://bucket/prefix"`): each opened as a
//! [`RemoteObject`] (one `HEAD`, then ranged reads), the folder listed for the check. Every
//! folder of one bucket shares one connection, made on first use.

use std::collections::HashMap;
use std::io;
use std::sync::{Mutex, OnceLock};

use futures_util::stream::StreamExt;
use url::Url;

use super::remote::block_on;
use super::{object_url, Remote, RemoteObject, StoreError};

/// Each bucket's connection, by scheme and bucket name.
static CONNECTIONS: OnceLock<Mutex<HashMap<String, Remote>>> = OnceLock::new();

fn bucket_of(folder: &Url) -> String {
    format!("{}://{}", folder.scheme(), folder.host_str().unwrap_or(""))
}

/// Makes `remote`'s store the connection of `folder`'s bucket (a store in memory, in tests).
#[cfg(test)]
pub(crate) fn connect_to(folder: &Url, remote: Remote) {
    let connections = CONNECTIONS.get_or_init(Default::default);
    if let Ok(mut c) = connections.lock() {
        c.insert(bucket_of(folder), remote);
    }
}

/// The connection to the bucket of `folder` (one per scheme and bucket, kept for the run).
fn connection(folder: &Url) -> Result<Remote, StoreError> {
    let bucket = bucket_of(folder);
    let connections = CONNECTIONS.get_or_init(Default::default);
    if let Some(r) = connections
        .lock()
        .ok()
        .and_then(|c| c.get(&bucket).cloned())
    {
        return Ok(r);
    }
    let remote = Remote::connect(folder.clone())?;
    if let Ok(mut c) = connections.lock() {
        c.insert(bucket, remote.clone());
    }
    Ok(remote)
}

/// The store's error as an I/O error: "not found" stays that kind, so a check reports a
/// missing file; anything else keeps the store's words and what to do.
fn io_error(e: StoreError, missing: bool) -> io::Error {
    match missing {
        true => io::ErrorKind::NotFound.into(),
        false => io::Error::other(e.reason()),
    }
}

/// Opens `rel` inside the bucket folder `folder` to be read from its start: one request for
/// the whole object (no `HEAD` first), its start read at once ([`RemoteObject::started`]).
pub(crate) fn open(folder: &Url, rel: &str) -> io::Result<RemoteObject> {
    let remote = connection(folder)
        .and_then(|c| c.at(object_url(folder, rel)))
        .map_err(|e| io_error(e, false))?;
    let got = remote
        .request(false)
        .map_err(|(e, missing)| io_error(e, missing))?;
    RemoteObject::started(remote, got)
}

/// The objects under the bucket folder `folder`: their names below it (`/`-separated) and
/// sizes, in name order. Names with a part starting with `.` are left out, as a folder's
/// hidden files are.
pub(crate) fn list(folder: &Url) -> io::Result<Vec<(String, u64)>> {
    let remote = connection(folder)
        .and_then(|c| c.at(folder.clone()))
        .map_err(|e| io_error(e, false))?;
    let prefix = remote.key().clone();
    let store = std::sync::Arc::clone(remote.store());
    let listed = block_on(async move {
        let mut found = Vec::new();
        let mut objects = store.list(Some(&prefix));
        while let Some(meta) = objects.next().await {
            let meta = meta?;
            let key = meta.location.as_ref();
            let rel = match prefix.as_ref() {
                "" => key,
                p => key
                    .strip_prefix(p)
                    .and_then(|k| k.strip_prefix('/'))
                    .unwrap_or(key),
            };
            if !rel.is_empty() && !rel.split('/').any(|part| part.starts_with('.')) {
                found.push((rel.to_owned(), meta.size));
            }
        }
        Ok::<_, object_store::Error>(found)
    })
    .map_err(|e| io_error(e, false))?;
    let mut found = listed.map_err(|e| io_error(remote.failed("list", e), false))?;
    found.sort();
    Ok(found)
}
