//! Abuse of the real `wpt` binary (issue 14): made-up HTTP methods must not grow the
//! process, and hostile spreadsheets must be refused without taking the server down.
//! SQLite by default, PostgreSQL with `TEST_DATABASE_URL`.

mod common;
#[allow(dead_code)] // shared with the in-process tests; each uses part of it
#[path = "../../../tests/src/hostile_xlsx.rs"]
mod hostile_xlsx;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::{Server, Site, get, run_ok, run_with_stdin};

/// The resident set of a process, in KiB, from `/proc/<pid>/status`.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

/// One request with raw bytes; `None` when the connection failed or closed without an
/// answer (a crashed server).
fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).ok()?;
    let text = String::from_utf8_lossy(&reply).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, text))
}

/// A made-up method token of `len` upper-case letters.
fn random_method(seed: &mut u64, len: usize) -> String {
    (0..len)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            char::from(b'A' + u8::try_from(*seed % 26).unwrap_or(0))
        })
        .collect()
}

fn migrated_server(site: &Site) -> Server {
    run_ok(site.wpt().args(["migrate", "up"]));
    site.serve()
}

#[test]
fn made_up_methods_of_tens_of_kilobytes_do_not_grow_the_server() {
    let site = Site::new();
    let server = migrated_server(&site);
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut send = |n: usize| {
        for _ in 0..n {
            let method = random_method(&mut seed, 48 * 1024);
            let head = format!(
                "{method} /api/v1/bodies HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                server.addr
            );
            let (status, text) = raw(server.addr, &head, b"").expect("an answer");
            assert!((400..500).contains(&status), "{text}");
        }
    };
    // Warm up the allocator and the connection buffers first.
    send(50);
    let before = rss_kib(server.pid());
    send(400);
    let after = rss_kib(server.pid());
    let grown = after.saturating_sub(before);
    eprintln!("VmRSS {before} KiB before, {after} KiB after 400 made-up methods of 48 KiB");
    // 400 distinct 48 KiB keys in two maps would be 38 MiB.
    assert!(
        grown < 8 * 1024,
        "the server grew by {grown} KiB ({before} -> {after})"
    );
    assert_eq!(
        get(server.addr, "/healthz", None).expect("healthz").status,
        200
    );
}

#[test]
fn hostile_spreadsheets_are_refused_and_the_server_survives() {
    let site = Site::new();
    run_ok(site.wpt().args(["migrate", "up"]));
    let password = "secretariat-password-1";
    let out = run_with_stdin(
        site.wpt().args([
            "user",
            "create",
            "--email",
            "sec@abuse.test",
            "--name",
            "Secretariat",
            "--role",
            "secretariat",
            "--password-stdin",
        ]),
        &format!("{password}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut server = site.serve();
    let token = server.login("sec@abuse.test", password);
    let plan = wpt_domain::reference_id("work_plan", "MSWP-TIP-2023-2028");
    let rows = vec![
        vec![
            "Code".to_owned(),
            "Area".to_owned(),
            "Activity".to_owned(),
            "Lead body".to_owned(),
        ],
        vec![
            "Z.1".to_owned(),
            "A".to_owned(),
            "Survives".to_owned(),
            "SOMTC".to_owned(),
        ],
    ];
    let started_rss = rss_kib(server.pid());
    let cases = [
        (
            "shared strings claiming 10^17 entries",
            hostile_xlsx::absurd_shared_strings(&rows),
        ),
        (
            "dimension A1:XFD1048576",
            hostile_xlsx::far_apart_cells(true),
        ),
        (
            "cells A1 and XFD1048576",
            hostile_xlsx::far_apart_cells(false),
        ),
        ("a deflate bomb of 1000 MiB", hostile_xlsx::deflate_bomb()),
    ];
    for (what, file) in cases {
        let head = format!(
            "POST /api/v1/work-plans/{plan}/import HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\nContent-Length: {}\r\n\r\n",
            server.addr,
            file.len()
        );
        let started = Instant::now();
        let answer = raw(server.addr, &head, &file);
        assert!(
            server.is_running(),
            "{what}: the server died: {}",
            server.log_text()
        );
        let (status, text) = answer.unwrap_or_else(|| panic!("{what}: no answer"));
        assert!(status == 422 || status == 413, "{what}: {status} {text}");
        assert!(text.contains("application/problem+json"), "{what}: {text}");
        eprintln!("{what}: {status} in {:?}", started.elapsed());
        let health = get(server.addr, "/healthz", None).expect("healthz");
        assert_eq!(health.status, 200, "{what}");
        let bodies = get(server.addr, "/api/v1/bodies/SOMTC", Some(&token)).expect("bodies");
        assert_eq!(bodies.status, 200, "{what}: {}", bodies.text());
    }
    let grown = rss_kib(server.pid()).saturating_sub(started_rss);
    assert!(grown < 200 * 1024, "the server grew by {grown} KiB");
    // And an honest file still imports.
    let file = hostile_xlsx::plain(&rows);
    let head = format!(
        "POST /api/v1/work-plans/{plan}/import HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\nContent-Length: {}\r\n\r\n",
        server.addr,
        file.len()
    );
    let (status, text) = raw(server.addr, &head, &file).expect("an answer");
    assert_eq!(status, 200, "{text}");
    server.kill9();
}

/// `WPT_TRUSTED_PROXIES` and `WPT_LOGIN_ADDRESS_FAILURES` reach the running server:
/// clients named by a trusted proxy (here the test itself, on 127.0.0.1) are counted
/// apart; without the setting they are one address.
#[test]
fn a_trusted_proxy_s_clients_are_counted_apart() {
    let site = Site::new();
    run_ok(site.wpt().args(["migrate", "up"]));
    let attempt = |server: &Server, client: &str| {
        common::send(
            server.addr,
            "POST",
            "/api/v1/auth/login",
            None,
            &[("X-Forwarded-For", client)],
            Some(&serde_json::json!({"email": "nobody@abuse.test", "password": "wrong password!"})),
        )
        .expect("login")
        .status
    };
    for trusted in [true, false] {
        let mut cmd = site.wpt();
        cmd.env("WPT_LOGIN_ADDRESS_FAILURES", "2");
        if trusted {
            cmd.env("WPT_TRUSTED_PROXIES", "127.0.0.1/32, ::1");
        }
        let mut server = Server::start(cmd, common::free_port());
        assert_eq!(attempt(&server, "198.51.100.1"), 401);
        assert_eq!(attempt(&server, "198.51.100.1"), 401);
        assert_eq!(attempt(&server, "198.51.100.1"), 429);
        let other = attempt(&server, "198.51.100.2");
        assert_eq!(other, if trusted { 401 } else { 429 }, "trusted: {trusted}");
        server.kill9();
    }
}
