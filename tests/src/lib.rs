//! The test harness: [`TestApp::spawn`] builds the same router the server runs, on a
//! database of its own, and drives it in process with `tower::ServiceExt::oneshot`.
//!
//! The database comes from `TEST_DATABASE_URL`: unset means a fresh SQLite file per
//! test in a temporary directory; a `postgres://` URL (of a database the harness may
//! create databases from, such as `postgres`) means a fresh PostgreSQL database per
//! test, cloned from a template that is migrated and loaded once per template version.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use wpt_api::{ApiSettings, AppState};
use wpt_db::Database;
use wpt_db::auth::{Auth, AuthSettings, JwtKeys, PasswordHasher};
use wpt_db::users::NewUser;
use wpt_domain::Role;
use wpt_domain::actor::AdminGrant;

pub mod hostile_xlsx;
pub mod mail;
pub mod storage;
pub mod venv;

/// The reference data every test database starts with: the repository's own file.
pub const REFERENCE: &str = wpt_server::BUILT_IN_REFERENCE;

/// A database for one test, dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct TestDb {
    /// The connected handle.
    pub db: Database,
    /// The URL it was opened with.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Another handle on a database a [`TestDb`] owns (a second instance).
    Shared,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // The test's runtime is shutting down; drop the database from a thread of
            // our own so no test leaves one behind.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(admin) = Database::connect(&admin_url, 1).await {
                        let _ = admin
                            .conn()
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

/// Replaces the database name at the end of a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let slash = base.rfind('/').unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..slash]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn unique_name(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}_{}_{}_{n}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    )
    .chars()
    .take(60)
    .collect()
}

/// Identifies the schema and reference data a template holds, so a changed migration
/// or reference file gets a template of its own.
fn template_name() -> String {
    use wpt_migrations::MigratorTrait;
    let mut hasher = Sha256::new();
    for m in wpt_migrations::Migrator::migrations() {
        hasher.update(m.name().as_bytes());
    }
    hasher.update(REFERENCE.as_bytes());
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(env!("WPT_MIGRATIONS_HASH").as_bytes());
    format!("wpt_tpl_{}", &hex::encode(hasher.finalize())[..16])
}

const TEMPLATE_LOCK_KEY: i64 = 0x0077_7074_2d74_706c; // "wpt-tpl"

async fn admin(admin_url: &str) -> Database {
    Database::connect(admin_url, 1)
        .await
        .expect("TEST_DATABASE_URL must name a reachable PostgreSQL database")
}

async fn exec(db: &Database, sql: &str) {
    db.conn()
        .execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn ensure_template(admin_url: &str) -> String {
    let name = template_name();
    let admin = admin(admin_url).await;
    exec(
        &admin,
        &format!("SELECT pg_advisory_lock({TEMPLATE_LOCK_KEY})"),
    )
    .await;
    let exists = admin
        .conn()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS one FROM pg_database WHERE datname = $1",
            [name.clone().into()],
        ))
        .await
        .expect("query pg_database")
        .is_some();
    if !exists {
        let building = format!("{name}_building");
        exec(
            &admin,
            &format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"),
        )
        .await;
        exec(&admin, &format!("CREATE DATABASE \"{building}\"")).await;
        {
            let db = Database::connect(&with_database(admin_url, &building), 2)
                .await
                .expect("connect to the template being built")
                .with_audit_key(test_audit_key());
            wpt_server::prepare(&db, true, REFERENCE, "test")
                .await
                .expect("migrate and load the template");
            db.conn()
                .clone()
                .close()
                .await
                .expect("close template pool");
        }
        exec(
            &admin,
            &format!("ALTER DATABASE \"{building}\" RENAME TO \"{name}\""),
        )
        .await;
        // Templates of older schemas are of no further use; one still being cloned by
        // another run cannot be dropped, and is left for next time.
        let stale = admin
            .conn()
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT datname FROM pg_database WHERE starts_with(datname, 'wpt_tpl_') AND datname <> $1",
                [name.clone().into()],
            ))
            .await
            .unwrap_or_default();
        for row in stale {
            if let Ok(old) = row.try_get::<String>("", "datname") {
                let _ = admin
                    .conn()
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{old}\""))
                    .await;
            }
        }
    }
    exec(
        &admin,
        &format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK_KEY})"),
    )
    .await;
    name
}

impl TestDb {
    /// A database migrated and loaded with the reference data, as `wpt serve` leaves it.
    pub async fn prepared() -> Self {
        match postgres_url() {
            Some(admin_url) => {
                let template = ensure_template(&admin_url).await;
                Self::postgres(&admin_url, Some(&template)).await
            }
            None => {
                let db = Self::sqlite().await;
                wpt_server::prepare(&db.db, true, REFERENCE, "test")
                    .await
                    .expect("migrate and load");
                db
            }
        }
    }

    /// An empty database: no tables at all.
    pub async fn empty() -> Self {
        match postgres_url() {
            Some(admin_url) => Self::postgres(&admin_url, None).await,
            None => Self::sqlite().await,
        }
    }

    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("wpt.db").display());
        let db = Database::connect(&url, 5)
            .await
            .expect("open SQLite")
            .with_audit_key(test_audit_key());
        Self {
            db,
            url,
            cleanup: Cleanup::Sqlite { _dir: dir },
        }
    }

    async fn postgres(admin_url: &str, template: Option<&str>) -> Self {
        let name = unique_name("wpt_test");
        let admin = admin(admin_url).await;
        let sql = match template {
            Some(t) => format!("CREATE DATABASE \"{name}\" TEMPLATE \"{t}\""),
            None => format!("CREATE DATABASE \"{name}\""),
        };
        // Two clones of one template at the same instant can collide; try again.
        let mut attempt = 0;
        loop {
            match admin.conn().execute_unprepared(&sql).await {
                Ok(_) => break,
                Err(e) if attempt < 20 => {
                    attempt += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
                }
                Err(e) => panic!("{sql}: {e}"),
            }
        }
        let url = with_database(admin_url, &name);
        let db = Database::connect(&url, 5)
            .await
            .expect("connect to test database")
            .with_audit_key(test_audit_key());
        Self {
            db,
            url,
            cleanup: Cleanup::Postgres {
                admin_url: admin_url.to_owned(),
                name,
            },
        }
    }
}

/// The audit key of test databases (tests also rewrite the chain with other keys).
pub const TEST_AUDIT_KEY: &[u8] = b"test-audit-key-test-audit-key-0123456789";

/// The activity page's progress form ("on track", 40%) with `narrative`, posted by an
/// officer who last saw the activity at `seen` (the form's stale-edit guard; empty: the
/// form was opened before any update).
pub fn progress_form<'a>(narrative: &'a str, seen: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("status", "on_track"),
        ("percent_complete", "40"),
        ("narrative", narrative),
        ("challenges", ""),
        ("next_steps", ""),
        ("evidence_urls", ""),
        ("seen", seen),
    ]
}

/// [`TEST_AUDIT_KEY`] as the key the databases are given.
pub fn test_audit_key() -> wpt_db::audit::AuditKey {
    wpt_db::audit::AuditKey::new(TEST_AUDIT_KEY).expect("a valid audit key")
}

/// The signing secret of test servers (tests also forge tokens with other secrets).
pub const TEST_JWT_SECRET: &[u8] = b"test-secret-test-secret-test-secret-0123456789";

/// Authentication as tests run it: cheap argon2 parameters (the same code path),
/// a fixed secret, default lifetimes.
pub fn test_auth() -> Auth {
    let settings = AuthSettings::default();
    Auth {
        hasher: PasswordHasher::cheap_for_tests(),
        jwt: JwtKeys::new(TEST_JWT_SECRET, settings.access_ttl).expect("a valid secret"),
        settings,
    }
}

/// A password every test account gets.
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// A logged-in test account.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account's id.
    pub id: uuid::Uuid,
    /// Its email.
    pub email: String,
    /// Its role.
    pub role: Role,
    /// An access token of a fresh login.
    pub token: String,
    /// The refresh token of that login.
    pub refresh_token: String,
}

/// Where the statements' text goes while a test records them.
type Recorded = std::sync::Arc<std::sync::Mutex<Option<Vec<String>>>>;

/// The application under test.
pub struct TestApp {
    /// The router, exactly as `wpt serve` builds it.
    pub router: Router,
    /// Its database.
    pub db: TestDb,
    /// Its authentication settings.
    pub state: AppState,
    /// The token requests carry unless told otherwise (a secretariat reader's).
    pub default_token: Option<String>,
    /// How many SQL statements the application has run so far.
    pub statements: std::sync::Arc<AtomicUsize>,
    /// The statements' text while [`record_statements`](Self::record_statements) runs.
    recorded: Recorded,
}

impl TestApp {
    /// A fresh application on a fresh, migrated and loaded database, whose requests
    /// carry a secretariat reader's token by default: it reads everything recorded
    /// (viewers read accepted data only; the tests of that name their viewer).
    pub async fn spawn() -> Self {
        let mut app = Self::on(TestDb::prepared().await);
        let reader = app.caller(Role::Secretariat, None).await;
        app.default_token = Some(reader.token);
        app
    }

    /// The application on a given database, with no default token.
    pub fn on(mut db: TestDb) -> Self {
        let statements = std::sync::Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        let recorded: Recorded = Default::default();
        let recorder = recorded.clone();
        db.db.observe_statements(move |sql| {
            if std::env::var_os("WPT_TEST_PRINT_SQL").is_some() {
                eprintln!("SQL: {sql}");
            }
            counter.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut log) = recorder.lock()
                && let Some(log) = log.as_mut()
            {
                log.push(sql.to_owned());
            }
        });
        let mut app = Self::with_state(AppState::new(db.db.clone(), test_auth()), db);
        app.statements = statements;
        app.recorded = recorded;
        app
    }

    /// The application with a given state (custom limits, say).
    pub fn with_state(state: AppState, db: TestDb) -> Self {
        Self::with_settings(state, db, &ApiSettings::default())
    }

    /// The application with a given state and HTTP settings.
    pub fn with_settings(state: AppState, db: TestDb, settings: &ApiSettings) -> Self {
        let router = wpt_server::app(state.clone(), settings);
        Self {
            router,
            db,
            state,
            default_token: None,
            statements: std::sync::Arc::new(AtomicUsize::new(0)),
            recorded: Recorded::default(),
        }
    }

    /// Runs `f` and returns how many SQL statements the application ran meanwhile, its
    /// caches emptied first: the count is of everything the request reads (nothing
    /// answered from memory), so two counts compare whatever ran before each. The
    /// statements of warm requests: [`count_warm_statements`](Self::count_warm_statements).
    pub async fn count_statements<F: std::future::Future>(&self, f: F) -> (F::Output, usize) {
        self.db.db.drop_caches();
        self.count_warm_statements(f).await
    }

    /// Runs `f` and returns the SQL of the statements the application ran meanwhile (its
    /// own, through sea-orm: not the `BEGIN` and `COMMIT` the driver sends), in order,
    /// with the caches as they are.
    pub async fn record_statements<F: std::future::Future>(
        &self,
        f: F,
    ) -> (F::Output, Vec<String>) {
        if let Ok(mut log) = self.recorded.lock() {
            *log = Some(Vec::new());
        }
        let out = f.await;
        let log = self.recorded.lock().ok().and_then(|mut log| log.take());
        (out, log.unwrap_or_default())
    }

    /// Runs `f` and returns how many SQL statements the application ran meanwhile, with
    /// the caches as they are.
    pub async fn count_warm_statements<F: std::future::Future>(&self, f: F) -> (F::Output, usize) {
        let before = self.statements.load(Ordering::SeqCst);
        let out = f.await;
        (out, self.statements.load(Ordering::SeqCst) - before)
    }

    /// How many entries the audit log holds: a refused or failed write adds none.
    pub async fn audit_rows(&self) -> u64 {
        use sea_orm::{EntityTrait, PaginatorTrait};
        wpt_db::entities::audit_log::Entity::find()
            .count(self.db.db.conn())
            .await
            .expect("count audit entries")
    }

    /// The database handle. Tests change rows through it directly (an expired session, a
    /// forged entry), behind the write path's back: so taking it also drops what the
    /// application keeps in memory (`Database::drop_caches`), as a restart would.
    pub fn database(&self) -> &Database {
        self.db.db.drop_caches();
        &self.db.db
    }

    /// A second instance of the application on the same database, as a second server
    /// process would be: its own pool, its own caches and (PostgreSQL) its own `LISTEN`
    /// connection; carrying the same default token. Dropping it leaves the database.
    pub async fn second_instance(&self) -> TestApp {
        let db = Database::connect(&self.db.url, 5)
            .await
            .expect("a second connection to the test database")
            .with_audit_key(test_audit_key());
        let mut app = Self::on(TestDb {
            db,
            url: self.db.url.clone(),
            cleanup: Cleanup::Shared,
        });
        app.default_token = self.default_token.clone();
        app
    }

    /// Creates an account directly (as the operator's command line would).
    pub async fn create_account(
        &self,
        email: &str,
        role: Role,
        body: Option<&str>,
    ) -> wpt_domain::models::User {
        wpt_db::users::create(
            self.database(),
            &self.state.auth.hasher,
            &AdminGrant::system(),
            NewUser {
                email: email.to_owned(),
                name: format!("{role} {email}"),
                role,
                body: body.map(str::to_owned),
                password: TEST_PASSWORD.to_owned(),
            },
        )
        .await
        .expect("create a test account")
    }

    /// Logs in through the API.
    pub async fn login(&self, email: &str, password: &str) -> TestResponse {
        self.request(Method::POST, "/api/v1/auth/login")
            .anonymous()
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
    }

    /// A new account of `role` (officers need a body code), logged in.
    pub async fn caller(&self, role: Role, body: Option<&str>) -> Caller {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let email = format!("{role}{n}@test.example");
        let user = self.create_account(&email, role, body).await;
        let res = self.login(&email, TEST_PASSWORD).await;
        res.assert_status(StatusCode::OK);
        let pair = res.json();
        Caller {
            id: user.id,
            email,
            role,
            token: pair["access_token"]
                .as_str()
                .expect("access token")
                .to_owned(),
            refresh_token: pair["refresh_token"]
                .as_str()
                .expect("refresh token")
                .to_owned(),
        }
    }

    /// Starts a request, carrying the default token.
    pub fn request(&self, method: Method, path: &str) -> TestRequest<'_> {
        TestRequest {
            app: self,
            builder: Request::builder().method(method).uri(path),
            body: Body::empty(),
            token: self.default_token.clone(),
            peer: None,
        }
    }

    /// `GET path` with the default token.
    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Method::GET, path).send().await
    }

    /// `GET path` as `token`.
    pub async fn get_as(&self, token: &str, path: &str) -> TestResponse {
        self.request(Method::GET, path).bearer(token).send().await
    }
}

/// The origin the web page tests act from (`Host` and `Origin` of their requests).
pub const WEB_ORIGIN: &str = "http://wpt.test";

impl TestApp {
    /// Logs in through the login page; the session cookie (`name=value`), or the page
    /// that refused.
    pub async fn web_login(&self, email: &str, password: &str) -> Result<String, TestResponse> {
        let res = self
            .web_post(
                None,
                "/ui/login",
                &[("email", email), ("password", password)],
                false,
            )
            .await;
        let cookie = res
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .map(str::to_owned);
        match cookie {
            Some(c) if res.status == StatusCode::SEE_OTHER => Ok(c),
            _ => Err(res),
        }
    }

    /// A new account of `role`, logged in through the login page; its session cookie.
    pub async fn web_caller(&self, role: Role, body: Option<&str>) -> (Caller, String) {
        let caller = self.caller(role, body).await;
        let cookie = self
            .web_login(&caller.email, TEST_PASSWORD)
            .await
            .unwrap_or_else(|r| panic!("web login refused: {} {}", r.status, r.text()));
        (caller, cookie)
    }

    /// `GET path` of a page with a session cookie (or none).
    pub async fn web_get(&self, cookie: Option<&str>, path: &str) -> TestResponse {
        let mut req = self
            .request(Method::GET, path)
            .anonymous()
            .header("host", WEB_ORIGIN.trim_start_matches("http://"));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send().await
    }

    /// Posts a form from a page of this origin (as a browser would), with htmx's header
    /// when `htmx`.
    pub async fn web_post(
        &self,
        cookie: Option<&str>,
        path: &str,
        form: &[(&str, &str)],
        htmx: bool,
    ) -> TestResponse {
        let mut req = self
            .request(Method::POST, path)
            .anonymous()
            .header("host", WEB_ORIGIN.trim_start_matches("http://"))
            .header("origin", WEB_ORIGIN)
            .header("content-type", "application/x-www-form-urlencoded")
            .raw(serde_urlencoded::to_string(form).expect("a form"));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        if htmx {
            req = req.header("hx-request", "true");
        }
        req.send().await
    }
}

/// A request being built.
pub struct TestRequest<'a> {
    app: &'a TestApp,
    builder: axum::http::request::Builder,
    body: Body,
    token: Option<String>,
    peer: Option<SocketAddr>,
}

impl TestRequest<'_> {
    /// Sends it as `token` (an access JWT or an API token).
    pub fn bearer(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// Sends it with no credentials.
    pub fn anonymous(mut self) -> Self {
        self.token = None;
        self
    }

    /// Sends it as if from this client address.
    pub fn peer(mut self, addr: &str) -> Self {
        self.peer = Some(addr.parse().expect("a socket address"));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    /// A JSON body with its content type.
    pub fn json(mut self, value: &Value) -> Self {
        self.builder = self
            .builder
            .header(header::CONTENT_TYPE, "application/json");
        self.body = Body::from(value.to_string());
        self
    }

    /// A raw body, content type as given by [`header`](Self::header).
    pub fn raw(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Body::from(bytes.into());
        self
    }

    /// Sends it through the router.
    pub async fn send(self) -> TestResponse {
        let mut builder = self.builder;
        if let Some(token) = &self.token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let mut request = builder.body(self.body).expect("a valid request");
        if let Some(peer) = self.peer {
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        let response = self
            .app
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("read the body")
            .to_bytes()
            .to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }
}

/// A response, fully read.
#[derive(Debug)]
pub struct TestResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl TestResponse {
    /// The body as text (pages).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body text when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(HeaderName::from_bytes(name.as_bytes()).ok()?)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, expected: StatusCode) -> &Self {
        assert_eq!(
            self.status,
            expected,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        self
    }

    /// Asserts a problem+json error with this status and code, and returns the document.
    #[track_caller]
    pub fn assert_problem(&self, status: StatusCode, code: &str) -> Value {
        self.assert_status(status);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "problem content type"
        );
        let doc = self.json();
        assert_eq!(doc["code"], code, "problem code in {doc}");
        assert_eq!(doc["status"], status.as_u16(), "problem status in {doc}");
        assert!(
            doc["title"].is_string() && doc["detail"].is_string(),
            "{doc}"
        );
        assert!(
            doc["type"].as_str().is_some_and(|t| t.ends_with(code)),
            "problem type in {doc}"
        );
        assert_eq!(
            doc["request_id"].as_str(),
            self.header("x-request-id"),
            "request id in body and header"
        );
        doc
    }

    /// The `field` names of a validation problem.
    pub fn error_fields(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}
