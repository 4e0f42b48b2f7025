//! The `wpt` binary as an operator uses it: configuration errors, migrations, accounts,
//! the audit check, the OpenAPI document, and the first start.

mod common;

use std::io::{BufRead, BufReader};
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

    let out = common::run_with_stdin(
        wpt(dir.path()).args([
            "user",
            "create",
            "--email",
            "Sec@Example.org",
            "--name",
            "Sec",
            "--role",
            "secretariat",
            "--password-stdin",
        ]),
        "a password from stdin\n",
    );
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

fn stdout_of(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The number in "audit chain intact: N entries verified".
fn verified(text: &str) -> u64 {
    text.split("intact: ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {text:?}"))
}

#[test]
fn a_backup_restores_into_a_new_sqlite_file_with_its_audit_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    stdout_of(
        &wpt(dir.path())
            .args(["seed", "--demo"])
            .output()
            .expect("seed"),
    );
    let before = verified(&stdout_of(
        &wpt(dir.path())
            .args(["audit", "verify"])
            .output()
            .expect("verify"),
    ));
    assert!(before > 1);
    let backup = dir.path().join("backup.db");
    stdout_of(
        &wpt(dir.path())
            .arg("backup")
            .arg(&backup)
            .output()
            .expect("backup"),
    );
    let again = wpt(dir.path())
        .arg("backup")
        .arg(&backup)
        .output()
        .expect("backup");
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );

    let restored_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("restored.db").display()
    );
    let out = stdout_of(
        &wpt(dir.path())
            .env("WPT_DATABASE_URL", &restored_url)
            .arg("restore")
            .arg(&backup)
            .output()
            .expect("restore"),
    );
    assert_eq!(
        verified(&out),
        before,
        "every audit entry came back and the chain verifies"
    );
    let status = stdout_of(
        &wpt(dir.path())
            .env("WPT_DATABASE_URL", &restored_url)
            .args(["migrate", "status"])
            .output()
            .expect("status"),
    );
    assert!(
        status.lines().all(|l| l.starts_with("applied ")),
        "{status}"
    );
    let refused = wpt(dir.path())
        .env("WPT_DATABASE_URL", &restored_url)
        .arg("restore")
        .arg(&backup)
        .output()
        .expect("restore");
    assert!(
        !refused.status.success(),
        "restoring over an existing database is refused"
    );
}

#[test]
fn a_backup_restores_into_a_new_postgres_database() {
    let Some(admin) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    else {
        return;
    };
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .expect("a URL with a database");
    let suffix = uuid_like();
    let (source, target) = (
        format!("wpt_cli_src_{suffix}"),
        format!("wpt_cli_dst_{suffix}"),
    );
    for db in [&source, &target] {
        let ok = Command::new("psql")
            .arg(&admin)
            .args(["-qc", &format!("CREATE DATABASE {db}")])
            .status()
            .expect("psql");
        assert!(ok.success());
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let src_url = format!("{base}/{source}");
    let dst_url = format!("{base}/{target}");
    stdout_of(
        &wpt(dir.path())
            .env("WPT_DATABASE_URL", &src_url)
            .args(["seed", "--demo"])
            .output()
            .expect("seed"),
    );
    let before = verified(&stdout_of(
        &wpt(dir.path())
            .env("WPT_DATABASE_URL", &src_url)
            .args(["audit", "verify"])
            .output()
            .expect("verify"),
    ));
    let backup = dir.path().join("backup.dump");
    stdout_of(
        &wpt(dir.path())
            .env("WPT_DATABASE_URL", &src_url)
            .arg("backup")
            .arg(&backup)
            .output()
            .expect("backup"),
    );
    let out = stdout_of(
        &wpt(dir.path())
            .env("WPT_DATABASE_URL", &dst_url)
            .arg("restore")
            .arg(&backup)
            .output()
            .expect("restore"),
    );
    assert_eq!(verified(&out), before);
    for db in [&source, &target] {
        let _ = Command::new("psql")
            .arg(&admin)
            .args(["-qc", &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")])
            .status();
    }
}

fn uuid_like() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    )
}
