//! The upload and the ranged reader against an object store in memory (`InMemory`, which
//! numbers parts as S3 does): a pack of several parts goes up byte for byte, verifies where it
//! is, and a pack replaced while it is read is refused.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::memory::InMemory;
use object_store::path::Path as Key;
use object_store::{ObjectStoreExt, PutPayload};
use sha2::Digest;

use super::remote::block_on;
use super::{Remote, RemoteObject};
use crate::build::{build_into, upload_inputs, BuildOptions};
use crate::catalog::Inputs;
use crate::content::ReadAt;
use crate::verify::{verify_at, VerifyOptions};
use crate::NoProgress;

fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A provider whose pack spans three 8 MiB parts, one file across all of them.
fn provider(dir: &Path) -> PathBuf {
    let files = [
        ("film.bin", noise(19 << 20, 3)),
        ("stills.bin", noise(3 << 20, 5)),
    ];
    std::fs::create_dir_all(dir.join("files")).unwrap();
    let mut text = String::from("[provider]\nid = \"p\"\nname = \"P\"\nbase = \"files\"\n\n");
    for (name, bytes) in &files {
        std::fs::write(dir.join("files").join(name), bytes).unwrap();
        text += &format!(
            "[[asset]]\nid = \"{}\"\ntitle = \"t\"\nkind = \"other\"\nfile = \"{name}\"\nsha256 = \"{}\"\nbytes = {}\n\n",
            name.replace('.', "-"),
            hex::encode(sha2::Sha256::digest(bytes)),
            bytes.len()
        );
    }
    std::fs::write(dir.join("p.toml"), text).unwrap();
    dir.join("p.toml")
}

fn remote(store: &Arc<InMemory>, key: &str) -> Remote {
    let url = url::Url::parse(&format!("s3://packs/{key}")).unwrap();
    Remote::from_store(url, Arc::clone(store)).unwrap()
}

/// The payload bytes a verification counts: every entry but the folders, as stored.
fn inputs_bytes(zip: &[u8]) -> u64 {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    (0..archive.len())
        .map(|i| archive.by_index(i).unwrap().size())
        .sum()
}

async fn fetch(store: &InMemory, key: &str) -> Vec<u8> {
    let got = store.get(&Key::from(key)).await.unwrap();
    got.bytes().await.unwrap().to_vec()
}

#[test]
fn a_pack_of_several_parts_goes_up_byte_for_byte_and_verifies_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let spec = provider(dir.path());
    let (inputs, problems) = Inputs::read(&[spec], Some(Path::new("p.zip"))).unwrap();
    let options = BuildOptions::default();
    let (local, _) = build_into(
        &inputs,
        problems.clone(),
        &options,
        None,
        std::io::Cursor::new(Vec::new()),
        &NoProgress,
    )
    .unwrap();
    let local = local.into_inner();
    assert!(local.len() > 2 * (8 << 20));

    let store = Arc::new(InMemory::new());
    let to = remote(&store, "p.zip");
    upload_inputs(&inputs, problems, &options, None, &to, &NoProgress).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert!(rt.block_on(fetch(&store, "p.zip")) == local);

    let object = to.open().unwrap();
    assert_eq!(object.len(), local.len() as u64);
    let v = verify_at(
        Arc::new(object),
        Path::new("s3://packs/p.zip"),
        &VerifyOptions::default(),
        &NoProgress,
    )
    .unwrap();
    assert!(v.ok, "{:?}", v.problems);
    assert_eq!(v.summary.bytes, inputs_bytes(&local));

    // Reads of every size at every kind of place give the pack's bytes.
    let object: RemoteObject = to.open().unwrap();
    for (at, n) in [
        (0, 30),
        (5 << 20, 3 << 20),
        (local.len() as u64 - 100, 100),
        (100, 1),
    ] {
        let mut buf = vec![0; n];
        assert_eq!(object.read_at(&mut buf, at).unwrap(), n);
        assert!(buf[..] == local[at as usize..at as usize + n], "at {at}");
    }
    let ranges = [
        0..10,
        (9 << 20)..(9 << 20) + 64,
        (local.len() as u64 - 5)..(local.len() as u64 + 5),
    ];
    let got = object.read_ranges(&ranges).unwrap();
    assert_eq!(got[0], local[..10]);
    assert_eq!(got[1], local[9 << 20..(9 << 20) + 64]);
    assert_eq!(got[2], local[local.len() - 5..]);

    // Replaced after it was opened: the reads that follow are refused, not mixed.
    let object = to.open().unwrap();
    let mut changed = local.clone();
    changed[1 << 20] ^= 1;
    rt.block_on(store.put(&Key::from("p.zip"), PutPayload::from(changed)))
        .unwrap();
    let mut buf = vec![0; 64];
    assert!(object.read_at(&mut buf, 1 << 20).is_err());
}

#[test]
fn a_failed_build_leaves_nothing_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let spec = provider(dir.path());
    let (inputs, problems) = Inputs::read(&[spec], Some(Path::new("p.zip"))).unwrap();
    // The film changes after the plan was made: the pack stops, the upload is aborted.
    std::fs::write(dir.path().join("files/film.bin"), noise(19 << 20, 4)).unwrap();
    let store = Arc::new(InMemory::new());
    let to = remote(&store, "p.zip");
    let built = upload_inputs(
        &inputs,
        problems,
        &BuildOptions::default(),
        None,
        &to,
        &NoProgress,
    );
    assert!(built.is_err());
    assert_eq!(to.size().unwrap(), None);
}

/// An object opened with the GET that reads it (as a provider's file is) reads the same in
/// order and at any place, whatever its size: all in its first answer, or its start kept
/// and the rest followed along.
#[test]
fn an_object_opened_by_its_first_read_reads_whole_in_order_and_at_places() {
    let store = Arc::new(InMemory::new());
    for (key, len) in [
        ("small.bin", 1000usize),
        ("large.bin", 6 << 20),
        ("empty.bin", 0),
    ] {
        let bytes = noise(len, len as u64);
        block_on(store.put(&Key::from(key), PutPayload::from(bytes.clone())))
            .unwrap()
            .unwrap();
        let r = remote(&store, key);
        let got = r.request(false).unwrap();
        let mut object = RemoteObject::started(r, got).unwrap();
        assert_eq!(ReadAt::len(&object), len as u64);
        // The end first, as a look at a PDF's trailer reads it, then all of it in order.
        let mut end = vec![0; 100.min(len)];
        let from = len - end.len();
        object.read_at(&mut end, from as u64).unwrap();
        assert_eq!(end, bytes[from..], "{key}: the end");
        let mut all = Vec::new();
        let mut pos = 0u64;
        let mut buf = vec![0; 300_000];
        loop {
            let n = object.read_at(&mut buf, pos).unwrap();
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            pos += n as u64;
        }
        assert!(all == bytes, "{key}: in order");
        let again = remote(&store, key);
        object = RemoteObject::started(again.clone(), again.request(false).unwrap()).unwrap();
        let mut middle = vec![0; 10.min(len)];
        object.read_at(&mut middle, (len / 2) as u64).unwrap();
        assert_eq!(
            middle,
            bytes[len / 2..len / 2 + middle.len()],
            "{key}: a place"
        );
    }
    let missing = remote(&store, "gone.bin").request(false).unwrap_err();
    assert!(missing.1, "a missing object is said to be missing");
}
