//! Helpers for tests that run the real `wpt` binary: a database of its own (SQLite, or
//! a fresh PostgreSQL database when `TEST_DATABASE_URL` is set), `wpt` commands, a
//! running `wpt serve` that can be killed, and a minimal HTTP/1.1 client over std.
#![allow(dead_code)] // each test binary uses part of this module

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The JWT secret every instance of a test shares.
pub const JWT_SECRET: &str = "fault-tests-secret-at-least-32-bytes-long";

/// A `wpt` command with a clean environment pointing at `db_url`.
pub fn wpt(dir: &Path, db_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wpt"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("WPT_DATABASE_URL", db_url)
        .env("WPT_DATA_DIR", dir.join("data"))
        .env("WPT_JWT_SECRET", JWT_SECRET)
        .env("WPT_LOG", "warn");
    cmd
}

/// Runs a command to completion and fails the test unless it succeeds.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run wpt");
    assert!(
        out.status.success(),
        "{:?} failed: {}{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs a command with `input` on standard input.
pub fn run_with_stdin(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wpt");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// Where a test's data lives: a temporary directory and a database URL.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub db_url: String,
    dropper: Option<(String, String)>,
}

static NEXT_DB: AtomicU32 = AtomicU32::new(0);

impl Site {
    /// SQLite in a temporary directory, or a fresh database on `TEST_DATABASE_URL`.
    pub fn new() -> Site {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => Site::postgres(&admin),
            _ => Site::sqlite(),
        }
    }

    /// A SQLite database in a temporary directory.
    pub fn sqlite() -> Site {
        let dir = tempfile::tempdir().expect("tempdir");
        let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("wpt.db").display());
        Site {
            dir,
            db_url,
            dropper: None,
        }
    }

    /// A new, empty database on the PostgreSQL server of `admin_url`, dropped afterwards.
    pub fn postgres(admin_url: &str) -> Site {
        let dir = tempfile::tempdir().expect("tempdir");
        let name = format!(
            "wpt_proc_{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::SeqCst)
        );
        pg_exec(
            admin_url,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        );
        pg_exec(admin_url, &format!("CREATE DATABASE {name}"));
        let db_url = with_database(admin_url, &name);
        Site {
            dir,
            db_url,
            dropper: Some((admin_url.to_owned(), name)),
        }
    }

    /// Whether the database is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.db_url.starts_with("postgres")
    }

    /// A `wpt` command on this site.
    pub fn wpt(&self) -> Command {
        wpt(self.dir.path(), &self.db_url)
    }

    /// Migrates, creates an administrator and loads the demo data; returns the logins.
    pub fn prepare_demo(&self) -> Demo {
        run_ok(self.wpt().args(["migrate", "up"]));
        let admin_password = "administrator-password-1";
        let out = run_with_stdin(
            self.wpt().args([
                "user",
                "create",
                "--email",
                "admin@fault.test",
                "--name",
                "Administrator",
                "--role",
                "admin",
                "--password-stdin",
            ]),
            &format!("{admin_password}\n"),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = run_ok(self.wpt().args(["seed", "--demo"]));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let password = text
            .split("password for all: ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .expect("the demo password is printed")
            .to_owned();
        let officers = text
            .split_whitespace()
            .filter(|w| w.starts_with("officer.") && w.ends_with("@demo.wpt"))
            .map(str::to_owned)
            .collect::<Vec<_>>();
        assert!(!officers.is_empty(), "{text}");
        Demo {
            password,
            admin_password: admin_password.into(),
            officers,
        }
    }

    /// Starts `wpt serve` on a free port and waits until it is ready.
    pub fn serve(&self) -> Server {
        Server::start(self.wpt(), free_port())
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.dropper.take() {
            pg_exec(
                &admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

/// What `wpt seed --demo` created.
pub struct Demo {
    pub password: String,
    pub admin_password: String,
    pub officers: Vec<String>,
}

impl Demo {
    /// The body code of an officer's login, e.g. `officer.dgicm@demo.wpt` -> `DGICM`.
    pub fn body_of(email: &str) -> String {
        email
            .trim_start_matches("officer.")
            .trim_end_matches("@demo.wpt")
            .to_uppercase()
    }
}

/// Replaces the database name of a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let cut = base.rfind('/').expect("a database URL has a path");
    let mut out = format!("{}/{name}", &base[..cut]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Runs one statement on PostgreSQL.
pub fn pg_exec(url: &str, sql: &str) {
    use sea_orm::ConnectionTrait;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let conn = sea_orm::Database::connect(url).await.expect("connect");
        conn.execute_unprepared(sql).await.expect(sql);
        conn.close().await.ok();
    });
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A running `wpt serve`.
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    /// Starts `cmd serve` on `port` and waits (up to 60 s) for `/readyz`.
    pub fn start(mut cmd: Command, port: u16) -> Server {
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let log = std::env::temp_dir().join(format!("wpt-serve-{port}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let child = cmd
            .env("WPT_BIND", addr.to_string())
            .env("WPT_MIGRATE_ON_START", "true")
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn wpt serve");
        let mut server = Server {
            child: Some(child),
            addr,
            log,
        };
        server.wait_ready(Duration::from_secs(60));
        server
    }

    /// Waits for `/readyz` to answer 200.
    pub fn wait_ready(&mut self, limit: Duration) {
        let started = Instant::now();
        loop {
            if let Ok(r) = get(self.addr, "/readyz", None)
                && r.status == 200
            {
                return;
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("wpt serve exited with {status}: {}", self.log_text());
            }
            assert!(
                started.elapsed() < limit,
                "wpt serve not ready after {limit:?}: {}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL, as a crash or the kernel's OOM killer would.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill -9");
            child.wait().expect("reap");
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// What the server wrote to standard error.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Logs in and returns the access token.
    pub fn login(&self, email: &str, password: &str) -> String {
        let r = send(
            self.addr,
            "POST",
            "/api/v1/auth/login",
            None,
            &[],
            Some(&serde_json::json!({"email": email, "password": password})),
        )
        .expect("login request");
        assert_eq!(r.status, 200, "login {email}: {}", r.text());
        r.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics with the text when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `GET path` with an optional bearer token.
pub fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> std::io::Result<Reply> {
    send(addr, "GET", path, token, &[], None)
}

/// One HTTP/1.1 request on a new connection (`Connection: close`), with a 30 s timeout.
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if body.is_some() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n", payload.len()));
    req.push_str(&payload);
    stream.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse(&raw)
}

fn parse(raw: &[u8]) -> std::io::Result<Reply> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers (connection closed early)"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| bad("headers not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body).ok_or_else(|| bad("bad chunked body"))?;
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}
