//! A real Azure Blob Storage for the tests: Azurite (Microsoft's emulator, from npm, installed
//! by `npm ci --prefix tests/azure`) on loopback, one per test, stopped when the test ends;
//! Microsoft's own Blob library (`@azure/storage-blob`, driven by `tests/azure/blob.mjs`) as
//! the outside client that makes containers and reads back what assetpack wrote.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Azurite's blob service on a free loopback port, its data in a temporary folder; killed
/// when dropped.
pub struct Azurite {
    child: Child,
    pub port: u16,
    _data: TempDir,
}

fn modules() -> PathBuf {
    super::repo().join("tests/azure/node_modules")
}

/// True when Azurite and the Blob library are installed under `tests/azure`.
pub fn installed() -> bool {
    let m = modules();
    m.join("azurite/package.json").is_file() && m.join("@azure/storage-blob/package.json").is_file()
}

impl Azurite {
    pub fn start() -> Azurite {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let data = TempDir::new().expect("tempdir");
        let child = Command::new("node")
            .arg(modules().join("azurite/dist/src/blob/main.js"))
            .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
            .arg("--location")
            .arg(data.path())
            .args(["--silent", "--skipApiVersionCheck", "--disableTelemetry"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("azurite starts");
        let azurite = Azurite {
            child,
            port,
            _data: data,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "azurite did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        azurite
    }

    /// The blob service's address (without the account).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The outside client: `mb CONTAINER`, `put CONTAINER NAME FILE`, `get CONTAINER NAME
    /// FILE`, `ls CONTAINER`, `sync CONTAINER PREFIX DIR`; its output.
    pub fn blob(&self, args: &[&str]) -> String {
        let out = Command::new("node")
            .arg(super::repo().join("tests/azure/blob.mjs"))
            .arg(format!("{}/devstoreaccount1", self.url()))
            .args(args)
            .output()
            .expect("node runs");
        assert!(
            out.status.success(),
            "blob.mjs {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The environment of an assetpack run against this Azurite, with `key` as the account
    /// key (`None`: the emulator's well-known one).
    pub fn env(&self, cmd: &mut assert_cmd::Command, key: Option<&str>) {
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("AZURE_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("AZURE_STORAGE_USE_EMULATOR", "true")
            .env("AZURITE_BLOB_STORAGE_URL", self.url())
            .env("HOME", "/nonexistent");
        if let Some(key) = key {
            cmd.env("AZURE_STORAGE_ACCOUNT_KEY", key);
        }
    }
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
