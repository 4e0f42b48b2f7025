//! `wpt audit verify` and `wpt audit head`: the audit chain from the command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use wpt_db::Database;

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Recompute the keyed hash chain; exits non-zero and names the first broken entry.
    Verify {
        /// Also check that the chain still reaches every head recorded in FILE (lines
        /// printed by `wpt audit head`): a cut tail is named by the first missing head.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
    },
    /// Print the newest entry (id, hash, time) as one JSON line: append it to a file
    /// kept outside the database (`wpt audit head >> checkpoints.jsonl`).
    Head,
}

pub async fn audit(db: Database, action: AuditAction) -> anyhow::Result<()> {
    match action {
        AuditAction::Head => {
            let head = wpt_db::audit::head(&db)
                .await?
                .context("the audit log is empty")?;
            println!("{}", serde_json::to_string(&head)?);
            Ok(())
        }
        AuditAction::Verify { checkpoint } => {
            let checkpoints = match &checkpoint {
                Some(file) => read_checkpoints(file)?,
                None => Vec::new(),
            };
            let result = wpt_db::audit::verify_against(&db, &checkpoints).await?;
            // The tail the sealer has not linked yet (normally none, or milliseconds old).
            let tail = match result.oldest_unlinked_at {
                Some(oldest) => format!(
                    "; {} entries not linked yet, the oldest written {}",
                    result.unlinked,
                    oldest.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                ),
                None => String::new(),
            };
            match result.first_broken {
                None if checkpoints.is_empty() => {
                    println!(
                        "audit chain intact: {} entries verified{tail}",
                        result.checked
                    );
                    Ok(())
                }
                None => {
                    println!(
                        "audit chain intact: {} entries verified, reaching all {} recorded heads{tail}",
                        result.checked,
                        checkpoints.len()
                    );
                    Ok(())
                }
                Some(broken) => {
                    let hint = match broken.reason.as_str() {
                        "checkpoint_missing" => {
                            ": the recorded head is gone, entries were cut from the end"
                        }
                        "checkpoint_mismatch" => ": the entry differs from the recorded head",
                        "hash_mismatch" => ": altered, or rewritten without the audit key",
                        "unsealed" => ": unkeyed entries that no keyed entry vouches for",
                        "unlinked_overdue" => {
                            ": entries committed but not linked for too long; start `wpt serve` \
                             (it links them at start-up)"
                        }
                        "forged_unlinked" => {
                            ": an unlinked entry not written with the audit key (inserted by \
                             someone without it); it and the entries after it are not linked"
                        }
                        "linked_after_unlinked" => {
                            ": a linked entry after an unlinked one, the log was altered"
                        }
                        _ => "",
                    };
                    anyhow::bail!(
                        "audit chain broken at entry {} ({}){hint}; {} entries checked{tail}",
                        broken.id,
                        broken.reason,
                        result.checked
                    )
                }
            }
        }
    }
}

/// The heads recorded in `file`: one JSON object with `id` and `hash` per line (what
/// `wpt audit head` prints); blank lines are skipped.
fn read_checkpoints(file: &std::path::Path) -> anyhow::Result<Vec<wpt_db::audit::Checkpoint>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut checkpoints = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let checkpoint = serde_json::from_str(line).with_context(|| {
            format!(
                "{} line {}: not a head printed by `wpt audit head`",
                file.display(),
                n + 1
            )
        })?;
        checkpoints.push(checkpoint);
    }
    if checkpoints.is_empty() {
        anyhow::bail!("{} records no head", file.display());
    }
    Ok(checkpoints)
}
