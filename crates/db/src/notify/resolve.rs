//! Resolving notices to people and writing their inbox and outbox rows, at commit.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseTransaction, EntityTrait, Statement};
use uuid::Uuid;
use wpt_domain::{EmailSetting, OutboxStatus, Role};

use super::render::{self, Why};
use super::{MailConfig, Notice, Recipients};
use crate::entities::{notification, outbox};
use crate::{DbResult, stored};

/// One user a notice may go to.
#[derive(Debug, Clone)]
struct Person {
    id: Uuid,
    email: String,
    name: String,
    role: Role,
    body_id: Option<Uuid>,
    body_code: Option<String>,
    setting: EmailSetting,
}

/// Writes the rows of `notices` in `txn`: one query for the recipients, then one insert
/// for the inbox and one for the outbox.
pub(crate) async fn write_notices(
    txn: &DatabaseTransaction,
    notices: Vec<Notice>,
    cfg: &MailConfig,
) -> DbResult<()> {
    if notices.is_empty() {
        return Ok(());
    }
    let people = people(txn, &notices).await?;
    let now = Utc::now().trunc_subsecs(6);
    let mut inbox = Vec::new();
    let mut mail = Vec::new();
    for notice in &notices {
        let mut seen = HashSet::new();
        let targets: Vec<(&Person, Why)> = match &notice.to {
            Recipients::User(id) => people
                .iter()
                .filter(|p| p.id == *id)
                .map(|p| (p, Why::Personal))
                .collect(),
            Recipients::BodyOfficers(body) => people
                .iter()
                .filter(|p| p.role == Role::Officer && p.body_id == Some(*body))
                .map(|p| (p, Why::Officer(p.body_code.clone().unwrap_or_default())))
                .collect(),
            Recipients::Secretariat => people
                .iter()
                .filter(|p| p.role == Role::Secretariat)
                .map(|p| (p, Why::Secretariat))
                .collect(),
            Recipients::Address(address) => {
                let key = notice.dedupe_key.as_ref().map(|k| format!("{k}:{address}"));
                if cfg.sending {
                    mail.push(outbox_row(
                        cfg,
                        notice,
                        None,
                        address,
                        "",
                        &Why::Address,
                        key,
                        now,
                    ));
                }
                continue;
            }
        };
        for (person, why) in targets {
            if !seen.insert(person.id) {
                continue;
            }
            let key = notice
                .dedupe_key
                .as_ref()
                .map(|k| format!("{k}:{}", person.id));
            inbox.push(notification::ActiveModel {
                id: Set(Uuid::now_v7()),
                user_id: Set(person.id),
                kind: Set(notice.kind.as_str().to_owned()),
                title: Set(notice.subject.clone()),
                body: Set(notice.text.clone()),
                link: Set(notice.link.clone()),
                dedupe_key: Set(key.clone()),
                created_at: Set(now),
                read_at: Set(None),
            });
            let status = match (notice.kind.is_security(), person.setting) {
                (true, _) | (false, EmailSetting::Immediate) => OutboxStatus::Queued,
                (false, EmailSetting::DailyDigest) => OutboxStatus::Digest,
                (false, EmailSetting::Off) => continue,
            };
            if cfg.sending {
                let mut row = outbox_row(
                    cfg,
                    notice,
                    Some(person.id),
                    &person.email,
                    &person.name,
                    &why,
                    key,
                    now,
                );
                row.status = Set(status.as_str().to_owned());
                mail.push(row);
            }
        }
    }
    if !inbox.is_empty() {
        notification::Entity::insert_many(inbox)
            .on_conflict_do_nothing_on([notification::Column::DedupeKey])
            .exec_without_returning(txn)
            .await?;
    }
    if !mail.is_empty() {
        outbox::Entity::insert_many(mail)
            .on_conflict_do_nothing_on([outbox::Column::DedupeKey])
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// A queued outbox row for `notice` to `address`.
#[expect(
    clippy::too_many_arguments,
    reason = "one row's parts, named at the call"
)]
fn outbox_row(
    cfg: &MailConfig,
    notice: &Notice,
    user: Option<Uuid>,
    address: &str,
    name: &str,
    why: &Why,
    dedupe_key: Option<String>,
    now: DateTime<Utc>,
) -> outbox::ActiveModel {
    let id = Uuid::now_v7();
    let message = render::message(cfg, notice, name, why);
    outbox::ActiveModel {
        id: Set(id),
        kind: Set(notice.kind.as_str().to_owned()),
        recipient_user_id: Set(user),
        to_address: Set(address.to_owned()),
        subject: Set(message.subject),
        text_body: Set(message.text),
        html_body: Set(message.html),
        message_id: Set(format!("<{id}@{}>", cfg.message_host())),
        dedupe_key: Set(dedupe_key),
        status: Set(OutboxStatus::Queued.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        leased_by: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
}

/// Every active user any of `notices` may go to, with their body's code and e-mail
/// setting: one query.
async fn people(txn: &DatabaseTransaction, notices: &[Notice]) -> DbResult<Vec<Person>> {
    let mut users = BTreeSet::new();
    let mut bodies = BTreeSet::new();
    let mut secretariat = false;
    for n in notices {
        match &n.to {
            Recipients::User(id) => {
                users.insert(*id);
            }
            Recipients::BodyOfficers(b) => {
                bodies.insert(*b);
            }
            Recipients::Secretariat => secretariat = true,
            Recipients::Address(_) => {}
        }
    }
    if users.is_empty() && bodies.is_empty() && !secretariat {
        return Ok(Vec::new());
    }
    let backend = txn.get_database_backend();
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let mut any = Vec::new();
    let list = |ids: &BTreeSet<Uuid>, values: &mut Vec<sea_orm::Value>| {
        ids.iter()
            .map(|id| {
                values.push((*id).into());
                format!("${}", values.len())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !users.is_empty() {
        any.push(format!("u.id IN ({})", list(&users, &mut values)));
    }
    if !bodies.is_empty() {
        any.push(format!(
            "(u.role = 'officer' AND u.body_id IN ({}))",
            list(&bodies, &mut values)
        ));
    }
    if secretariat {
        any.push("u.role = 'secretariat'".to_owned());
    }
    let sql = format!(
        "SELECT u.id, u.email, u.name, u.role, u.body_id, b.code AS body_code, s.email AS setting \
         FROM users u \
         LEFT JOIN sectoral_bodies b ON b.id = u.body_id \
         LEFT JOIN notification_settings s ON s.user_id = u.id \
         WHERE u.active AND ({}) ORDER BY u.email",
        any.join(" OR ")
    );
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            crate::sql::portable(backend, &sql),
            values,
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            let role: String = r.try_get("", "role")?;
            let setting: Option<String> = r.try_get("", "setting")?;
            Ok(Person {
                id: r.try_get("", "id")?,
                email: r.try_get("", "email")?,
                name: r.try_get("", "name")?,
                role: stored(&role)?,
                body_id: r.try_get("", "body_id")?,
                body_code: r.try_get("", "body_code")?,
                setting: setting
                    .as_deref()
                    .map(stored)
                    .transpose()?
                    .unwrap_or(EmailSetting::Immediate),
            })
        })
        .collect()
}
