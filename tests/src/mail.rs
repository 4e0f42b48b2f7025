//! A real SMTP server for the mail tests: aiosmtpd (from PyPI, pinned in
//! `tests/mail/requirements.txt`, installed once into `target/mail-venv`, the pattern of
//! `tests/fuzz/run`) running `tests/mail/sink.py` on a free port of 127.0.0.1. Each
//! message it receives is parsed by Python's `email` package and written as one JSON file
//! (envelope, headers, the text and HTML parts) that [`SmtpSink::messages`] reads.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::venv::root;

/// `target/mail-venv/bin/python`, with aiosmtpd installed (again when the requirements
/// changed).
fn python() -> PathBuf {
    crate::venv::program("mail", "python")
}

/// A free port of 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running (or stopped) SMTP sink.
pub struct SmtpSink {
    child: Option<Child>,
    /// Its port on 127.0.0.1 (kept across a stop and a start).
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

impl SmtpSink {
    /// Starts a sink on a free port.
    pub fn start() -> Self {
        let mut sink = Self {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("a folder for received mail"),
        };
        sink.resume();
        sink
    }

    /// A sink that is not running yet, on a free port (the SMTP server is down).
    pub fn stopped() -> Self {
        Self {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("a folder for received mail"),
        }
    }

    /// (Re)starts the server on its port; returns once it accepts connections.
    pub fn resume(&mut self) {
        if self.child.is_some() {
            return;
        }
        let child = Command::new(python())
            .arg(root().join("tests/mail/sink.py"))
            .arg(self.port.to_string())
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the SMTP sink");
        self.child = Some(child);
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the SMTP sink did not listen on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server (the SMTP server is down); what it received stays readable.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `WPT_SMTP_URL` for this sink (no TLS: a local test server).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// Every message received so far, in no particular order.
    pub fn messages(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.dir.path()).expect("read the sink folder") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).expect("read a message");
                out.push(serde_json::from_str(&text).expect("a message record"));
            }
        }
        out
    }

    /// Waits (at most `timeout`) until at least `n` messages arrived; all of them.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n || started.elapsed() > timeout {
                return got;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Mail settings for a worker in the test process that sends to `sink`, links based at
/// `public_url`, retrying after one second.
pub fn settings(sink: &SmtpSink, public_url: &str) -> wpt_server::mail::MailSettings {
    wpt_server::mail::MailSettings {
        smtp_url: Some(wpt_server::config::Secret(sink.url())),
        from: "Work Plan Tracker <tracker@wpt.test>".to_owned(),
        public_url: public_url.to_owned(),
        give_up: Duration::from_secs(172_800),
        retry: Duration::from_secs(1),
        poll: Duration::from_millis(200),
        digest_hour: 7,
    }
}

/// The application under test with mail on (outbox rows written), links based at
/// `public_url`; requests carry a secretariat reader's token by default, as
/// [`TestApp::spawn`](crate::TestApp::spawn).
pub async fn app_with_mail(public_url: &str) -> crate::TestApp {
    let mut db = crate::TestDb::prepared().await;
    db.db = db
        .db
        .clone()
        .with_mail(wpt_db::notify::MailConfig::sending(public_url));
    let mut app = crate::TestApp::on(db);
    let reader = app.caller(wpt_domain::Role::Secretariat, None).await;
    app.default_token = Some(reader.token);
    app
}
