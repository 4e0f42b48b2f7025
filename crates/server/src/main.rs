//! `wpt`: the Work Plan Tracker server and its operator commands.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use wpt_api::{ApiSettings, AppState};
use wpt_db::Database;
use wpt_db::users::{FirstAdmin, NewUser};
use wpt_domain::Role;
use wpt_domain::actor::AdminGrant;
use wpt_server::config::{Config, LogFormat};

mod audit_cmd;
mod maintenance;

use audit_cmd::{AuditAction, audit};

/// The Work Plan Tracker: progress of the ASEAN Sectoral Bodies on the Multi-Sectoral
/// Work Plan Against Trafficking in Persons.
#[derive(Debug, Parser)]
#[command(name = "wpt", version, about, long_about = None)]
struct Cli {
    /// A TOML configuration file; WPT_* environment variables override it.
    #[arg(long, global = true, env = "WPT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate, load reference data and serve the API, the docs and the pages (the default).
    Serve,
    /// Apply, revert or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the OpenAPI document (what openapi/openapi.json must contain).
    Openapi,
    /// Manage accounts from the command line (for operators).
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Load illustrative demo data (--demo) or synthetic benchmark data (--synthetic N)
    /// into the 2023-2028 plan.
    Seed {
        /// Illustrative activities, one officer per body, a secretariat and a viewer
        /// account, milestones and months of progress; prints the logins.
        #[arg(
            long,
            conflicts_with = "synthetic",
            required_unless_present = "synthetic"
        )]
        demo: bool,
        /// N synthetic activities with about ten progress updates each.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        synthetic: Option<u32>,
    },
    /// Write a consistent copy of the database to FILE while it is in use.
    Backup {
        /// The new backup file.
        file: PathBuf,
    },
    /// Restore FILE into the configured database, which must be new and empty, and
    /// verify the audit chain.
    Restore {
        /// A file written by `wpt backup`.
        file: PathBuf,
    },
    /// Import data files.
    Import {
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Check the audit log, or print its head to keep as a checkpoint.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Delete sessions that ended or expired more than 7 days ago, with their refresh
    /// tokens, and refresh tokens expired as long (what `wpt serve` does every
    /// WPT_PRUNE_INTERVAL_SECS).
    Prune,
    /// Turn read-only maintenance on or off for every instance (works while the pages
    /// are down: it writes the database directly).
    Maintenance {
        #[command(subcommand)]
        action: maintenance::Action,
    },
    /// Mail: send a test message through WPT_SMTP_URL.
    Mail {
        #[command(subcommand)]
        action: MailAction,
    },
}

#[derive(Debug, Subcommand)]
enum MailAction {
    /// Send one message to ADDRESS now (not through the outbox) and print what the SMTP
    /// server answered.
    Test {
        /// The recipient.
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserAction {
    /// Create an account; prints a generated password unless --password-stdin is given.
    Create {
        /// Login email.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// admin, secretariat, officer or viewer.
        #[arg(long)]
        role: Role,
        /// The body's code (officers only), e.g. DGICM.
        #[arg(long)]
        body: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set an account's password and end all its sessions; prints a generated password
    /// unless --password-stdin is given.
    SetPassword {
        /// Login email.
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ImportWhat {
    /// The classic matrix (CSV or XLSX, by extension) into a work plan; all rows are
    /// checked first and nothing is written if one is wrong.
    Plan {
        /// The work plan's code, e.g. MSWP-TIP-2023-2028.
        #[arg(long)]
        work_plan: String,
        /// The file (.csv or .xlsx).
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the last migration (or the last N).
    Down {
        /// How many migrations to revert.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        println!("{}", wpt_api::openapi_json());
        return ExitCode::SUCCESS;
    }
    let config = match Config::load(cli.config.as_deref(), |k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wpt: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wpt: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wpt: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_env("WPT_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    // Logs go to standard error; standard output is for what the operator must read
    // (the address, a generated password), which never enters the log.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    if let Command::Restore { file } = &command {
        let key = wpt_server::audit_key(&config)?;
        let result = wpt_server::restore(&config.database_url, file, key).await?;
        println!("{}", wpt_server::restore_files(&config, file)?);
        return match result.first_broken {
            None => {
                println!(
                    "restored {}; audit chain intact: {} entries verified",
                    file.display(),
                    result.checked
                );
                Ok(())
            }
            Some(b) => anyhow::bail!(
                "restored, but the audit chain is broken at entry {} ({})",
                b.id,
                b.reason
            ),
        };
    }
    let db = Database::connect(&config.database_url, config.db_max_connections)
        .await
        .with_context(|| format!("cannot open the database {}", redact(&config.database_url)))?;
    // Whatever writes or checks the audit log needs its key (generated into the data
    // directory when not configured); a backup or a look at the migrations does not.
    let needs_key = !matches!(
        command,
        Command::Backup { .. }
            | Command::Migrate {
                action: MigrateAction::Status | MigrateAction::Down { .. }
            }
    );
    let db = if needs_key {
        db.with_audit_key(wpt_server::audit_key(&config)?)
    } else {
        db
    };
    // Every command that writes queues its notices' mail the same way (crate::mail).
    let db = db.with_mail(config.mail.db_config());
    match command {
        Command::Serve => serve(db, config).await,
        Command::Migrate { action } => migrate(db, action).await,
        Command::Openapi | Command::Restore { .. } => Ok(()),
        Command::Backup { file } => {
            wpt_server::backup(&db, &config.database_url, &file).await?;
            println!("backed up to {}", file.display());
            // After the database: every file a row of the copy names is stored by then
            // (objects are written before their rows commit, and never changed).
            println!("{}", wpt_server::backup_files(&config, &file)?);
            Ok(())
        }
        Command::User { action } => user(db, &config, action).await,
        Command::Seed { demo, synthetic } => seed(db, &config, demo, synthetic).await,
        Command::Import {
            what: ImportWhat::Plan { work_plan, file },
        } => {
            let format = match file
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("csv") => wpt_db::import::Format::Csv,
                Some("xlsx") => wpt_db::import::Format::Xlsx,
                _ => anyhow::bail!("{} must end in .csv or .xlsx", file.display()),
            };
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let plan = wpt_db::work_plans::find_by_code(&db, &work_plan).await?;
            match wpt_db::import::import(
                &db,
                &wpt_domain::actor::SecretariatGrant::system(),
                plan.id,
                format,
                &bytes,
                false,
            )
            .await
            {
                Ok(r) => {
                    println!(
                        "imported into {work_plan}: {} created, {} updated, {} unchanged",
                        r.created, r.updated, r.unchanged
                    );
                    Ok(())
                }
                Err(wpt_db::DbError::Validation(errors)) => {
                    for e in &errors.0 {
                        eprintln!("{}: {}", e.field, e.message);
                    }
                    anyhow::bail!("{} problem(s); nothing was imported", errors.0.len())
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Audit { action } => audit(db, action).await,
        Command::Maintenance { action } => maintenance::run(db, action).await,
        Command::Mail {
            action: MailAction::Test { to },
        } => mail_test(&config, &to).await,
        Command::Prune => {
            let pruned =
                wpt_db::auth::sessions::prune(&db, wpt_server::PRUNE_RETAIN, config.login_window)
                    .await?;
            println!(
                "pruned {} session(s), {} refresh token(s) and {} login attempt count(s)",
                pruned.sessions, pruned.refresh_tokens, pruned.login_attempts
            );
            Ok(())
        }
    }
}

async fn seed(
    db: Database,
    config: &Config,
    demo: bool,
    synthetic: Option<u32>,
) -> anyhow::Result<()> {
    let (reference, origin) = wpt_server::read_reference(&config.reference_data)?;
    wpt_server::prepare(&db, true, &reference, origin).await?;
    let hasher = wpt_db::auth::PasswordHasher::owasp();
    if demo {
        let outcome = wpt_db::seed::demo(&db, &hasher).await?;
        println!(
            "Loaded {} illustrative activities into {}. Demo logins (password for all: {}):",
            outcome.activities,
            wpt_db::seed::PLAN_CODE,
            outcome.password
        );
        for login in &outcome.logins {
            match &login.body {
                Some(body) => println!("  {:<32} {} of {body}", login.email, login.role),
                None => println!("  {:<32} {}", login.email, login.role),
            }
        }
    } else if let Some(n) = synthetic {
        let started = std::time::Instant::now();
        let made = wpt_db::seed::synthetic(&db, &hasher, n as usize).await?;
        println!(
            "Generated {made} synthetic activities in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// A password from standard input, or a generated one that is printed.
fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok((line.trim_end_matches(['\r', '\n']).to_owned(), false))
    } else {
        Ok((wpt_db::auth::tokens::generate_password()?, true))
    }
}

async fn user(db: Database, config: &Config, action: UserAction) -> anyhow::Result<()> {
    let auth = wpt_server::auth(config)?;
    match action {
        UserAction::Create {
            email,
            name,
            role,
            body,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin)?;
            let input = NewUser {
                email,
                name,
                role,
                body,
                password: password.clone(),
            };
            let user =
                wpt_db::users::create(&db, &auth.hasher, &AdminGrant::system(), input).await?;
            println!("created {} ({}) with id {}", user.email, user.role, user.id);
            if generated {
                println!("password: {password}");
            }
        }
        UserAction::SetPassword {
            email,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin)?;
            wpt_db::users::set_password(
                &db,
                &auth.hasher,
                &AdminGrant::system(),
                &email,
                &password,
            )
            .await?;
            println!("password of {email} set; all its sessions were ended");
            if generated {
                println!("password: {password}");
            }
        }
    }
    Ok(())
}

async fn migrate(db: Database, action: MigrateAction) -> anyhow::Result<()> {
    match action {
        MigrateAction::Up => {
            db.migrate_up().await?;
            println!("all migrations applied");
        }
        MigrateAction::Down { steps } => {
            db.migrate_down(Some(steps)).await?;
            println!("reverted {steps} migration(s)");
        }
        MigrateAction::Status => {
            for (name, applied) in db.migration_status().await? {
                println!("{} {name}", if applied { "applied" } else { "pending" });
            }
        }
    }
    Ok(())
}

async fn mail_test(config: &Config, to: &str) -> anyhow::Result<()> {
    let Some(mailer) = wpt_server::mail::Mailer::new(&config.mail)? else {
        anyhow::bail!(
            "mail is off: set WPT_SMTP_URL (e.g. smtp://user:pass@host:587?tls=starttls)"
        );
    };
    let notice = wpt_db::notify::Notice {
        kind: wpt_db::notify::NoticeKind::Test,
        to: wpt_db::notify::Recipients::Address(to.to_owned()),
        subject: "Test message".to_owned(),
        text: "This is a test message from the Work Plan Tracker: mail works.".to_owned(),
        link: "/".to_owned(),
        dedupe_key: None,
    };
    let m = wpt_db::notify::render::message(
        &config.mail.db_config(),
        &notice,
        "",
        &wpt_db::notify::render::Why::Address,
    );
    let host = config.mail.db_config().message_host().to_owned();
    let id = format!(
        "<test-{}@{host}>",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    match mailer.send(to, &m.subject, &m.text, &m.html, &id).await {
        Ok(answer) => {
            println!("sent to {to}; the server answered: {answer}");
            Ok(())
        }
        Err(e) => anyhow::bail!(
            "not sent ({}): {}",
            if e.permanent {
                "permanent"
            } else {
                "temporary"
            },
            e.message
        ),
    }
}

async fn serve(db: Database, config: Config) -> anyhow::Result<()> {
    let (reference, origin) = wpt_server::read_reference(&config.reference_data)?;
    wpt_server::prepare(&db, config.migrate_on_start, &reference, origin).await?;
    let auth = wpt_server::auth(&config)?;
    let first_admin = wpt_server::first_admin(&db, &auth.hasher, &config).await?;
    let settings = ApiSettings {
        request_timeout: config.request_timeout,
        cors_origins: config.cors_origins.clone(),
        metrics_token: config.metrics_token.as_ref().map(|s| s.0.clone()),
    };
    let db = db.with_write_rate(config.write_rate);
    let mut state = AppState::new(db, auth);
    state.reports = std::sync::Arc::new(wpt_api::report::ReportRenders::new(
        usize::try_from(config.report_renders).unwrap_or(4),
    ));
    state.login_throttle = std::sync::Arc::new(wpt_api::throttle::AddressThrottle::new(
        config.login_address_failures,
        config.login_window,
    ));
    state.trusted_proxies = std::sync::Arc::new(config.trusted_proxies.clone());
    state.cycles = wpt_db::cycles::CycleSettings {
        submission_lead_days: i64::from(config.submission_lead_days),
        review_lead_days: i64::from(config.review_lead_days),
    };
    state.attachments = std::sync::Arc::new(wpt_server::storage(&config)?);
    wpt_server::spawn_pruning(state.db.clone(), config.prune_interval, config.login_window);
    wpt_server::spawn_sealing(state.db.clone());
    wpt_server::spawn_reminders(state.db.clone(), config.reminder_days.clone());
    if wpt_server::mail::spawn_delivery(state.db.clone(), config.mail.clone())? {
        tracing::info!(public_url = %config.mail.public_url, from = %config.mail.from, "mail is on: the delivery worker sends the outbox");
    } else {
        tracing::info!(
            "mail is off (WPT_SMTP_URL is not set): notifications go to the in-app inbox only, no e-mail is queued"
        );
        println!(
            "  Mail is off (WPT_SMTP_URL is not set): notifications appear in the pages only."
        );
    }
    wpt_server::spawn_attachment_sweep(
        state.attachments.clone(),
        state.db.clone(),
        config.prune_interval,
    );
    let app = wpt_server::app(state, &settings);
    #[cfg(feature = "bench-ceiling")]
    let app = app.merge(bench_ceiling());
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {} (set WPT_BIND)", config.bind))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = %redact(&config.database_url), "listening");
    println!("Work Plan Tracker is serving on http://{addr}");
    println!("  Open http://{addr}/ in a browser and log in (officers, secretariat, viewers).");
    println!("  API reference: http://{addr}/docs   OpenAPI: http://{addr}/api/v1/openapi.json");
    // The generated password goes to the terminal only, never to the log.
    for line in wpt_server::login_lines(&format!("http://{addr}"), &first_admin) {
        println!("{line}");
    }
    if let FirstAdmin::EmailTaken { email } = &first_admin {
        tracing::warn!(%email, "no active administrator, and WPT_ADMIN_EMAIL is another account's");
    }
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server error")?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM; in-flight requests then finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing requests in flight");
}

/// The URL without its password, for messages and logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The benchmark's ceiling: a bare axum route, outside every layer of the API, that
/// answers the bytes last `PUT` to it from memory (bench/run stores the body of
/// `GET /api/v1/activities/{id}` there). Only with the `bench-ceiling` feature.
#[cfg(feature = "bench-ceiling")]
fn bench_ceiling() -> axum::Router {
    use axum::body::Bytes;
    use axum::http::{StatusCode, header};
    use std::sync::{Arc, RwLock};
    let stored: Arc<RwLock<Bytes>> = Arc::default();
    let reader = stored.clone();
    axum::Router::new().route(
        "/bench/ceiling",
        axum::routing::get(move || {
            let bytes = reader.read().map(|b| b.clone()).unwrap_or_default();
            async move { ([(header::CONTENT_TYPE, "application/json")], bytes) }
        })
        .put(move |body: Bytes| {
            if let Ok(mut b) = stored.write() {
                *b = body;
            }
            async { StatusCode::NO_CONTENT }
        }),
    )
}
