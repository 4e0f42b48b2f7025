//! The `wpt` binary as an operator uses it: configuration errors, migrations, accounts,
//! the audit check, the OpenAPI document, and the first start.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn wpt(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wpt"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "WPT_DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.join("t.db").display()),
        )
        .env("WPT_DATA_DIR", dir.join("data"))
        .env("WPT_LOG", "warn");
    cmd
}

#[test]
fn bad_configuration_is_one_line_naming_the_setting_and_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = wpt(dir.path())
        .env("WPT_BIND", "nowhere")
        .arg("migrate")
        .arg("status")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("WPT_BIND"), "{err}");
}

#[test]
fn migrations_accounts_and_the_audit_check_work_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let up = wpt(dir.path())
        .args(["migrate", "up"])
        .output()
        .expect("run");
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let status = wpt(dir.path())
        .args(["migrate", "status"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.lines().count() >= 2 && text.lines().all(|l| l.starts_with("applied ")),
        "{text}"
    );

    let mut create = wpt(dir.path())
        .args([
            "user",
            "create",
            "--email",
            "Sec@Example.org",
            "--name",
            "Sec",
            "--role",
            "secretariat",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    create
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"a password from stdin\n")
        .expect("write");
    let out = create.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("created sec@example.org (secretariat)"),
        "{text}"
    );
    assert!(!text.contains("a password from stdin"));

    let generated = wpt(dir.path())
        .args(["user", "set-password", "--email", "sec@example.org"])
        .output()
        .expect("run");
    assert!(generated.status.success());
    let text = String::from_utf8_lossy(&generated.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("password: ") && l.len() > 20),
        "{text}"
    );

    let bad_role = wpt(dir.path())
        .args([
            "user",
            "create",
            "--email",
            "x@example.org",
            "--name",
            "X",
            "--role",
            "overlord",
        ])
        .output()
        .expect("run");
    assert!(!bad_role.status.success());

    let verify = wpt(dir.path())
        .args(["audit", "verify"])
        .output()
        .expect("run");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("audit chain intact"));
}

#[test]
fn the_openapi_command_prints_the_committed_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = wpt(dir.path()).arg("openapi").output().expect("run");
    assert!(out.status.success());
    let committed = include_str!("../../../openapi/openapi.json");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        committed.trim_end()
    );
}

#[test]
fn the_first_start_creates_an_administrator_and_shows_the_password_on_the_terminal_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = wpt(dir.path())
        .env("WPT_BIND", "127.0.0.1:0")
        .env("WPT_LOG", "info")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = server.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let started = Instant::now();
    let mut password = None;
    let mut seen = Vec::new();
    while started.elapsed() < Duration::from_secs(30) {
        let Some(Ok(line)) = lines.next() else { break };
        seen.push(line.clone());
        if let Some(p) = line.trim().strip_prefix("password: ") {
            password = Some(p.to_owned());
            break;
        }
    }
    server.kill().expect("kill");
    let output = server.wait_with_output().expect("wait");
    let password = password.unwrap_or_else(|| panic!("no password printed: {seen:?}"));
    assert!(password.len() >= 20);
    assert!(
        seen.iter().any(|l| l.contains("admin@wpt.local")),
        "{seen:?}"
    );
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("listening"), "the log was read: {log}");
    assert!(!log.contains(&password), "the password is not in the log");
    assert!(
        dir.path().join("data/jwt-secret").exists(),
        "a signing secret was generated"
    );
}
