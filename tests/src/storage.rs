//! Stores for evidence files in the tests: a temporary folder (`file://`), or a real
//! S3-compatible server, moto in server mode (`s3://`), started per test on a free port
//! of 127.0.0.1 and stopped when the [`S3Server`] is dropped. moto comes from PyPI,
//! pinned in `tests/storage/requirements.txt`, installed once into
//! `target/storage-venv` (the pattern of `tests/fuzz/run`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wpt_api::attachments::{S3Settings, Storage};

/// `target/storage-venv/bin/moto_server`, installing it first when missing or when the
/// requirements changed.
fn moto_server() -> PathBuf {
    crate::venv::program("storage", "moto_server")
}

/// A running moto server with one bucket.
pub struct S3Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The bucket the tests use.
    pub bucket: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    /// Starts moto on a free port and creates the bucket `wpt-evidence`.
    pub fn start() -> Self {
        let bin = moto_server();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let server = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: "wpt-evidence".into(),
        };
        let started = Instant::now();
        loop {
            if let Ok(status) = http(port, "PUT", &format!("/{}", server.bucket))
                && status == 200
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto_server did not answer on port {port}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        server
    }

    /// The store the server is configured with for `s3://bucket/prefix`.
    pub fn storage(&self, prefix: &str, max_bytes: u64) -> Storage {
        let s3 = S3Settings {
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            access_key_id: Some("testing".into()),
            secret_access_key: Some("testing".into()),
        };
        Storage::from_url(&format!("s3://{}/{prefix}", self.bucket), &s3, max_bytes)
            .expect("an s3 store")
    }
}

/// A bodiless HTTP/1.1 request to 127.0.0.1:`port`; the status.
fn http(port: u16, method: &str, path: &str) -> std::io::Result<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head)?;
    let text = String::from_utf8_lossy(&head);
    text.get(9..12)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not HTTP: {text}")))
}

/// A `file://` store in a temporary folder (kept as long as the folder is).
pub fn folder(max_bytes: u64) -> (tempfile::TempDir, Storage) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let storage = Storage::from_url(
        &format!("file://{}", dir.path().display()),
        &S3Settings::default(),
        max_bytes,
    )
    .expect("a folder store");
    (dir, storage)
}
