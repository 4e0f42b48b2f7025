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

/// Runs `sql` on the site's database, as someone with direct access to it would.
fn sql(site: &common::Site, sql: &str) -> Result<(), String> {
    use sea_orm::ConnectionTrait;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let conn = sea_orm::Database::connect(&site.db_url)
            .await
            .expect("connect");
        let result = conn.execute_unprepared(sql).await.map(|_| ());
        conn.close().await.ok();
        result.map_err(|e| e.to_string())
    })
}

fn failure_of(out: &std::process::Output) -> String {
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn audit_head_records_checkpoints_and_verify_names_a_rewrite_a_wrong_key_and_a_cut_tail() {
    let site = common::Site::new();
    common::run_ok(site.wpt().args(["migrate", "up"]));
    let create = |email: &str| {
        let out = common::run_with_stdin(
            site.wpt().args([
                "user",
                "create",
                "--email",
                email,
                "--name",
                "Someone",
                "--role",
                "viewer",
                "--password-stdin",
            ]),
            "a password long enough\n",
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let head = || {
        let text = stdout_of(&site.wpt().args(["audit", "head"]).output().expect("head"));
        assert_eq!(text.lines().count(), 1, "{text}");
        let head: serde_json::Value = serde_json::from_str(text.trim()).expect("a JSON line");
        assert!(head["occurred_at"].is_string(), "{head}");
        assert_eq!(head["hash"].as_str().map(str::len), Some(64), "{head}");
        (head["id"].as_i64().expect("id"), text)
    };
    let verify = |checkpoint: Option<&std::path::Path>| {
        let mut cmd = site.wpt();
        cmd.args(["audit", "verify"]);
        if let Some(file) = checkpoint {
            cmd.arg("--checkpoint").arg(file);
        }
        cmd.output().expect("verify")
    };

    create("first@example.org");
    let (first, line) = head();
    let checkpoints = site.dir.path().join("checkpoints.jsonl");
    std::fs::write(&checkpoints, &line).expect("record a head");
    create("second@example.org");
    create("third@example.org");
    let (last, line) = head();
    let mut recorded = std::fs::read_to_string(&checkpoints).expect("read");
    recorded.push_str(&line);
    std::fs::write(&checkpoints, recorded).expect("record another head");
    let out = stdout_of(&verify(Some(&checkpoints)));
    assert!(out.contains("reaching all 2 recorded heads"), "{out}");

    // Another key: the chain as stored cannot have been made with it.
    let err = failure_of(
        &site
            .wpt()
            .env("WPT_AUDIT_KEY", "another-audit-key-another-audit-key-0123")
            .args(["audit", "verify"])
            .output()
            .expect("verify"),
    );
    assert!(
        err.contains(&format!("entry {first} (hash_mismatch)")),
        "{err}"
    );

    // The database refuses to change or remove entries.
    for attempt in [
        format!("UPDATE audit_log SET resource_id = 'forged' WHERE id = {first}"),
        format!("DELETE FROM audit_log WHERE id = {last}"),
    ] {
        let refused = sql(&site, &attempt).expect_err(&attempt);
        assert!(refused.contains("append-only"), "{attempt}: {refused}");
    }

    // Someone who drops the triggers cuts the tail: only the recorded head tells.
    let drop: &[&str] = if site.is_postgres() {
        &[
            "DROP TRIGGER audit_log_no_update ON audit_log",
            "DROP TRIGGER audit_log_no_delete ON audit_log",
        ]
    } else {
        &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ]
    };
    for s in drop {
        sql(&site, s).expect(s);
    }
    sql(&site, &format!("DELETE FROM audit_log WHERE id > {first}")).expect("cut");
    assert_eq!(verified(&stdout_of(&verify(None))), 1);
    let err = failure_of(&verify(Some(&checkpoints)));
    assert!(
        err.contains(&format!("entry {last} (checkpoint_missing)")),
        "{err}"
    );

    // And a rewritten entry is named.
    sql(
        &site,
        &format!("UPDATE audit_log SET resource_id = 'forged' WHERE id = {first}"),
    )
    .expect("rewrite");
    let err = failure_of(&verify(None));
    assert!(
        err.contains(&format!("entry {first} (hash_mismatch)")),
        "{err}"
    );
}

#[test]
fn maintenance_goes_on_and_off_from_the_command_line_with_no_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(wpt(dir.path())
        .args(["migrate", "up"])
        .output()
        .expect("run"));
    let until = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let text = ok(wpt(dir.path())
        .args([
            "maintenance",
            "on",
            "--message",
            "Restoring last night's backup",
        ])
        .args(["--until", &until])
        .output()
        .expect("run"));
    assert!(
        text.contains("maintenance is on: Read-only for maintenance until about")
            && text.contains("Restoring last night's backup"),
        "{text}"
    );
    // What GET /api/v1/maintenance would answer, read from the database with no server.
    let read = || {
        tokio::runtime::Runtime::new()
            .expect("runtime")
            .block_on(async {
                let db = wpt_db::Database::connect(&url, 1).await.expect("open");
                wpt_db::maintenance::get(&db).await.expect("state")
            })
    };
    let state = read();
    assert!(state.on && state.active, "{state:?}");
    assert_eq!(
        state.message.as_deref(),
        Some("Restoring last night's backup")
    );
    assert_eq!(
        state
            .until
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        Some(until)
    );
    let status: serde_json::Value = serde_json::from_str(&ok(wpt(dir.path())
        .args(["maintenance", "status"])
        .output()
        .expect("run")))
    .expect("one JSON line");
    assert_eq!(status["active"], true);

    // Invalid input changes nothing and says why.
    let past = wpt(dir.path())
        .args([
            "maintenance",
            "on",
            "--message",
            "x",
            "--until",
            "2020-01-01T00:00:00Z",
        ])
        .output()
        .expect("run");
    assert!(!past.status.success());
    assert!(String::from_utf8_lossy(&past.stderr).contains("until: must be in the future"));

    let text = ok(wpt(dir.path())
        .args(["maintenance", "off"])
        .output()
        .expect("run"));
    assert!(text.contains("maintenance is off"), "{text}");
    let state = read();
    assert!(
        !state.on && !state.active && state.message.is_none(),
        "{state:?}"
    );
    // Both switches are in the audit log, which still verifies.
    ok(wpt(dir.path())
        .args(["audit", "verify"])
        .output()
        .expect("run"));
}

#[test]
fn after_the_demo_the_first_start_creates_an_administrator_who_logs_in() {
    // The README's "Trying it out": `wpt seed --demo` on a new database, then `wpt`.
    let site = common::Site::new();
    common::run_ok(site.wpt().args(["migrate", "up"]));
    common::run_ok(site.wpt().args(["seed", "--demo"]));
    let port = common::free_port();
    let mut server = site
        .wpt()
        .env("WPT_BIND", format!("127.0.0.1:{port}"))
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = server.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let started = Instant::now();
    let (mut email, mut password) = (None, None);
    let mut seen = Vec::new();
    while started.elapsed() < Duration::from_secs(60) && password.is_none() {
        let Some(Ok(line)) = lines.next() else { break };
        seen.push(line.clone());
        if let Some(e) = line.trim().strip_prefix("email: ") {
            email = Some(e.trim().to_owned());
        }
        if let Some(p) = line.trim().strip_prefix("password: ") {
            password = Some(p.trim().to_owned());
        }
    }
    let (Some(email), Some(password)) = (email, password) else {
        let _ = server.kill();
        panic!("no administrator printed: {seen:?}");
    };
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let login = common::send(
        addr,
        "POST",
        "/api/v1/auth/login",
        None,
        &[],
        Some(&serde_json::json!({"email": email, "password": password})),
    );
    let me = login.as_ref().ok().and_then(|r| {
        let token = r.json()["access_token"].as_str()?.to_owned();
        common::get(addr, "/api/v1/me", Some(&token)).ok()
    });
    let _ = server.kill();
    let _ = server.wait();
    let login = login.expect("login request");
    assert_eq!(login.status, 200, "{}", login.text());
    let me = me.expect("GET /me");
    assert_eq!(me.json()["role"], "admin", "{}", me.text());
    assert_eq!(me.json()["email"], email.as_str());
}
