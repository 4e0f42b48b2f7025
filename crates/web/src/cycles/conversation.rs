//! The review conversation on a body's report (issue 19), on the report's page (which
//! is also the secretariat's review page): threads on the whole report and on each
//! entry, a form to comment, reply and resolve. Plain forms (they work without
//! script); each post answers with a flash message on the report's page. Who takes
//! part is the one policy's (`wpt_db::cycles::conversation` answers 404 otherwise).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;
use wpt_api::AppState;
use wpt_db::DbError;
use wpt_domain::models::{Comment, Submission};

use super::submission::submission_page;
use crate::html::{FormData, PageError, Section, when};
use crate::session::Viewer;

/// The conversation as the report's page shows it, when the viewer takes part in it.
pub(super) struct Conversation {
    comments: Vec<Comment>,
    writable: bool,
}

impl Conversation {
    /// The report's conversation for `viewer`, or `None` when they take no part in it.
    pub(super) async fn load(
        state: &AppState,
        viewer: &Viewer,
        id: Uuid,
        body: &str,
    ) -> Result<Option<Self>, PageError> {
        match wpt_db::cycles::conversation(&state.db, &viewer.actor, id, body).await {
            Ok((comments, writable)) => Ok(Some(Self { comments, writable })),
            Err(DbError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Unresolved threads on one entry (`Some(activity)`) or the whole report (`None`).
    fn unresolved(&self, activity: Option<Uuid>) -> usize {
        self.comments
            .iter()
            .filter(|c| {
                c.reply_to.is_none() && c.resolved_at.is_none() && c.activity_id == activity
            })
            .count()
    }

    /// The line under a report block: how many threads it has, linking to them.
    pub(super) fn block_note(&self, activity: Uuid, code: &str) -> Markup {
        let threads = self
            .comments
            .iter()
            .filter(|c| c.reply_to.is_none() && c.activity_id == Some(activity))
            .count();
        let open = self.unresolved(Some(activity));
        html! {
            p.block-comments {
                a href={"#thread-" (activity)} {
                    @if threads == 0 { "Comment on " (code) }
                    @else { (threads) " conversation" @if threads != 1 { "s" } " on " (code) }
                }
                @if open > 0 { " · " span.badge.unresolved { (open) " unresolved" } }
            }
        }
    }

    /// The conversation section: one group per entry with comments (and the whole
    /// report), each thread with its replies, a reply form and a resolve button, then
    /// the form for a new comment.
    pub(super) fn section(&self, base: &str, s: &Submission) -> Markup {
        let groups: Vec<(Option<Uuid>, String)> =
            std::iter::once((None, "The whole report".to_owned()))
                .chain(s.entries.iter().map(|e| {
                    (
                        Some(e.activity_id),
                        format!("{} {}", e.activity_code, e.activity_title),
                    )
                }))
                .collect();
        let total_open = self
            .comments
            .iter()
            .filter(|c| c.reply_to.is_none() && c.resolved_at.is_none())
            .count();
        html! {
            section #conversation aria-labelledby="conversation-title" {
                h2 #conversation-title { "Conversation" @if total_open > 0 { " " span.badge.unresolved #unresolved-count { (total_open) " unresolved" } } }
                p.hint { "Questions and answers between the secretariat and " (s.body) "'s officers. Not part of the report or its edition; kept through returns and after the cycle closes." }
                @if self.comments.is_empty() { p #no-comments { "No comments yet." } }
                @for (activity, label) in &groups {
                    @let roots: Vec<&Comment> = self.comments.iter().filter(|c| c.reply_to.is_none() && c.activity_id == *activity).collect();
                    @if !roots.is_empty() {
                        div.thread-group id=(match activity { Some(a) => format!("thread-{a}"), None => "thread-report".to_owned() }) {
                            h3 { (label) }
                            @for root in roots {
                                (self.thread(base, root))
                            }
                        }
                    } @else if let Some(a) = activity {
                        span id={"thread-" (a)} {}
                    }
                }
                @if self.writable {
                    form.stack #comment-form method="post" action={(base) "/comments"} {
                        h3 { "New comment" }
                        label for="comment-on" { "About" }
                        select #comment-on name="activity_id" {
                            option value="" { "The whole report" }
                            @for e in &s.entries {
                                option value=(e.activity_id) { (e.activity_code) " " (e.activity_title) }
                            }
                        }
                        label for="comment-text" { "Comment (required, up to 4,000 characters)" }
                        textarea #comment-text name="text" required maxlength="4000" rows="3" {}
                        button type="submit" { "Add comment" }
                    }
                } @else {
                    p.notice { "The cycle is closed: the conversation is read-only." }
                }
            }
        }
    }

    fn thread(&self, base: &str, root: &Comment) -> Markup {
        let replies: Vec<&Comment> = self
            .comments
            .iter()
            .filter(|c| c.reply_to == Some(root.id))
            .collect();
        html! {
            article.thread id={"comment-" (root.id)} data-resolved=(root.resolved_at.is_some()) {
                (comment(root))
                @for r in &replies { div.reply id={"comment-" (r.id)} { (comment(r)) } }
                @if let Some(t) = root.resolved_at {
                    p.resolved { "Resolved " (when(t)) }
                }
                @if self.writable {
                    details.reply-form {
                        summary { "Reply" }
                        form.stack method="post" action={(base) "/comments"} {
                            input type="hidden" name="reply_to" value=(root.id);
                            label for={"reply-" (root.id)} { "Reply (required)" }
                            textarea id={"reply-" (root.id)} name="text" required maxlength="4000" rows="2" {}
                            button type="submit" { "Send reply" }
                        }
                    }
                    @if root.resolved_at.is_none() {
                        form method="post" action={(base) "/comments/" (root.id) "/resolve"} {
                            button.secondary type="submit" aria-label={"Mark resolved: " (excerpt(&root.text))} { "Mark resolved" }
                        }
                    }
                }
            }
        }
    }
}

fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        out.push('…');
    }
    out
}

fn comment(c: &Comment) -> Markup {
    html! {
        div.comment {
            p.comment-meta { strong { (c.author_name) } " (" (c.author_role) ") · " (when(c.created_at)) }
            p.comment-text { (c.text) }
        }
    }
}

/// A new comment or reply, from the report's page.
#[derive(Debug, Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    activity_id: String,
    #[serde(default)]
    reply_to: String,
}

/// Resolving a thread: asked once, then done.
#[derive(Debug, Default, Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    confirm: String,
}

fn uuid_field(field: &str, value: &str) -> Result<Option<Uuid>, PageError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse().map(Some).map_err(|_| {
        let mut e = wpt_domain::ValidationErrors::new();
        e.add(field, "is not a comment or activity of this report");
        PageError::from(DbError::Validation(e))
    })
}

/// The report's page again with the refusal on top, or the bare refusal for 404/403.
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    body: &str,
    e: PageError,
) -> Response {
    if e.status == StatusCode::NOT_FOUND || e.status == StatusCode::FORBIDDEN {
        return e.into_response();
    }
    let status = e.status;
    match submission_page(state, viewer, id, body, Some(e.alert()), None).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /ui/cycles/{id}/submissions/{body}/comments`: comment or reply.
pub async fn add_comment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, body)): Path<(Uuid, String)>,
    FormData(form): FormData<CommentForm>,
) -> Response {
    let result = async {
        let input = wpt_db::cycles::CommentInput {
            activity_id: uuid_field("activity_id", &form.activity_id)?,
            reply_to: uuid_field("reply_to", &form.reply_to)?,
            text: form.text.clone(),
        };
        Ok::<_, PageError>(
            wpt_db::cycles::add_comment(&state.db, &viewer.actor, id, &body, input).await?,
        )
    }
    .await;
    match result {
        Ok(c) => {
            let to = format!("/ui/cycles/{id}/submissions/{body}#comment-{}", c.id);
            let what = if c.reply_to.is_some() {
                "Reply sent"
            } else {
                "Comment added"
            };
            let who = if viewer.actor.body.is_some() {
                "the secretariat"
            } else {
                "the body's officers"
            };
            crate::flash::redirect(&viewer, &to, &format!("{what}; {who} will be told."))
        }
        Err(e) => refused(&state, &viewer, id, &body, e).await,
    }
}

/// `POST /ui/cycles/{id}/submissions/{body}/comments/{comment}/resolve`.
pub async fn resolve_comment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, body, comment_id)): Path<(Uuid, String, Uuid)>,
    FormData(form): FormData<ResolveForm>,
) -> Response {
    let base = format!("/ui/cycles/{id}/submissions/{body}");
    if form.confirm != "yes" {
        // Only someone in the conversation is asked; anyone else gets its 404.
        match Conversation::load(&state, &viewer, id, &body).await {
            Ok(Some(conv)) => {
                let Some(root) = conv.comments.iter().find(|c| c.id == comment_id) else {
                    return PageError::from(DbError::NotFound("comment")).into_response();
                };
                return super::confirm_page(
                    &viewer,
                    if viewer.actor.secretariat().is_ok() { Section::Review } else { Section::Cycles },
                    "Mark this thread resolved?",
                    html! {
                        p { strong { "Mark this thread resolved?" } }
                        blockquote { (root.text) }
                        ul {
                            li { "It stays in the conversation, marked resolved, with its replies." }
                            li { "It no longer counts as unresolved on the board and the review queue. This cannot be undone; a new comment can reopen the question." }
                        }
                    },
                    &format!("{base}/comments/{comment_id}/resolve"),
                    &[],
                    "Yes, mark it resolved",
                    &format!("{base}#comment-{comment_id}"),
                )
                .into_response();
            }
            Ok(None) => return PageError::from(DbError::NotFound("submission")).into_response(),
            Err(e) => return e.into_response(),
        }
    }
    match wpt_db::cycles::resolve_comment(&state.db, &viewer.actor, id, &body, comment_id).await {
        Ok(_) => crate::flash::redirect(
            &viewer,
            &format!("{base}#comment-{comment_id}"),
            "Thread marked resolved.",
        ),
        Err(e) => refused(&state, &viewer, id, &body, e.into()).await,
    }
}
