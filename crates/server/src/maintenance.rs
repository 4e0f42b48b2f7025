//! `wpt maintenance on|off|status`: read-only maintenance from the command line, for
//! when the pages are down. It writes the database directly through the same use case
//! as `PUT /api/v1/admin/maintenance` (audited with no actor), and every instance
//! sharing the database follows (see `wpt_db::maintenance`).

use clap::Subcommand;
use wpt_db::Database;
use wpt_domain::actor::AdminGrant;
use wpt_domain::models::MaintenanceInput;

/// What `wpt maintenance` does.
#[derive(Debug, Subcommand)]
pub(crate) enum Action {
    /// Refuse every user's write (503 `maintenance`) from now, or from --starts-at.
    On {
        /// What everyone is told (the pages' banner, the API's 503).
        #[arg(long)]
        message: String,
        /// The expected end, RFC 3339 (2026-12-01T15:00:00Z): shown, and sent as
        /// Retry-After.
        #[arg(long, value_name = "TIME")]
        until: Option<chrono::DateTime<chrono::Utc>>,
        /// Announce now, refuse writes only from this moment, RFC 3339.
        #[arg(long, value_name = "TIME")]
        starts_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Take writes again.
    Off,
    /// Print the state as GET /api/v1/maintenance shows it (one JSON line).
    Status,
}

/// Runs `wpt maintenance ...`.
pub(crate) async fn run(db: Database, action: Action) -> anyhow::Result<()> {
    let input = match action {
        Action::Status => {
            let now = wpt_db::maintenance::get(&db).await?;
            println!("{}", serde_json::to_string(&now)?);
            return Ok(());
        }
        Action::On {
            message,
            until,
            starts_at,
        } => MaintenanceInput {
            on: true,
            message: Some(message),
            until,
            starts_at,
        },
        Action::Off => MaintenanceInput {
            on: false,
            message: None,
            until: None,
            starts_at: None,
        },
    };
    match wpt_db::maintenance::set(&db, &AdminGrant::system(), input).await {
        Ok(now) if now.on => {
            println!(
                "maintenance is on{}: {}",
                if now.active { "" } else { " (announced)" },
                now.announcement.unwrap_or_default()
            );
            Ok(())
        }
        Ok(_) => {
            println!("maintenance is off: writes are taken again");
            Ok(())
        }
        Err(wpt_db::DbError::Validation(errors)) => {
            for e in &errors.0 {
                eprintln!("{}: {}", e.field, e.message);
            }
            anyhow::bail!("maintenance unchanged")
        }
        Err(e) => Err(e.into()),
    }
}
