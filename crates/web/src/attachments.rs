//! Evidence files on the pages: the list of a record's files with download links, and
//! the download itself (`GET /ui/attachments/{id}`), served by the same code as
//! `GET /api/v1/attachments/{id}/content` (`wpt_api::attachments::serve`) with the
//! session's actor, so who may download is the one policy's answer.
//!
//! Forms with a file input post `multipart/form-data`; [`read_form`] reads them (or a
//! plain urlencoded post of the same form) with the API's own upload code
//! (`wpt_api::attachments::upload`), and [`store`] stores a file as `POST
//! /api/v1/attachments` does.

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use uuid::Uuid;
use wpt_api::AppState;
use wpt_api::attachments::upload::{self, Received, ReceivedForm};
use wpt_api::error::ApiError;
use wpt_domain::actor::BodyGrant;
use wpt_domain::models::Attachment;

use crate::html::PageError;
use crate::session::Viewer;

/// A size for people: `482 KB`, `3.1 MB`.
pub fn size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} bytes"),
        b if b < 1024 * 1024 => format!("{} KB", (b + 512) / 1024),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// The files of a progress update or a report entry, each a download link with its
/// type and size; nothing when there are none.
pub fn list(files: &[Attachment]) -> Markup {
    html! {
        @if !files.is_empty() {
            ul.files aria-label="Evidence files" {
                @for f in files {
                    li {
                        a href={"/ui/attachments/" (f.id)} download=(f.filename) { (f.filename) }
                        " (" (size(f.size)) ")"
                    }
                }
            }
        }
    }
}

/// `GET /ui/attachments/{id}`: the file, as a download, to whoever may see it.
pub async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Response {
    match wpt_api::attachments::serve::content(&state, &viewer.actor, id, &headers).await {
        Ok(r) => r,
        Err(e) => {
            let status = StatusCode::from_u16(e.code().status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let message = if status == StatusCode::NOT_FOUND {
                "No such file, or not one you may see.".to_owned()
            } else {
                e.problem().detail
            };
            PageError::new(status, message).into_response()
        }
    }
}

/// What the file inputs accept (a hint to the browser's picker; the server decides by
/// content).
pub const ACCEPT: &str = ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp,.png,.jpg,.jpeg,.csv,.txt,application/pdf,image/png,image/jpeg,text/csv,text/plain";

/// A form as posted: its fields, the files chosen in it, and why a file was refused.
#[derive(Debug)]
pub struct Posted<T> {
    /// The fields (those before a refused file, when one was).
    pub form: T,
    /// The files received, each with its input's name.
    pub files: Vec<(String, Received)>,
    /// Why the upload was refused (too large, a refused type, empty, cut off): the
    /// form is shown again with this, and nothing is saved.
    pub problem: Option<PageError>,
}

/// An upload refused, in plain words, as the field `file`'s problem.
pub fn upload_problem(e: &ApiError, max: u64) -> PageError {
    let status =
        StatusCode::from_u16(e.code().status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    let detail = e.problem().detail;
    let (message, short) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            format!(
                "The file is larger than {}, the most this server takes. Nothing was saved: choose a smaller file.",
                size(i64::try_from(max).unwrap_or(i64::MAX))
            ),
            format!("is over {}", size(i64::try_from(max).unwrap_or(i64::MAX))),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            format!(
                "The file was refused ({detail}). Nothing was saved: attach a PDF, an Office or OpenDocument file, a PNG or JPEG image, a CSV or a plain text file."
            ),
            "is not a type this server takes".to_owned(),
        ),
        _ => (
            format!(
                "The file could not be received ({detail}). Nothing was saved: choose it again."
            ),
            "was not received".to_owned(),
        ),
    };
    let mut p = PageError::new(status, message);
    p.fields.push(("file".to_owned(), short));
    p
}

/// Reads a page form posted as `multipart/form-data` (files in the fields `is_file`
/// names, streamed by the API's upload code, at most `WPT_ATTACHMENT_MAX_BYTES` each)
/// or urlencoded (at most `wpt_api::MAX_BODY_BYTES`). A refused file is
/// [`Posted::problem`]; a body that is no form at all is an error page.
pub async fn read_form<T>(
    state: &AppState,
    request: Request,
    is_file: impl Fn(&str) -> bool,
) -> Result<Posted<T>, Response>
where
    T: serde::de::DeserializeOwned,
{
    let content_type = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let unreadable = |e: String| {
        crate::html::error_page(
            StatusCode::BAD_REQUEST,
            &format!("The form could not be read ({e}). Open the page again and retry."),
        )
    };
    if !content_type.starts_with("multipart/form-data") {
        if !content_type.starts_with("application/x-www-form-urlencoded") {
            return Err(crate::html::error_page(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "This address takes a form submitted from its page.",
            ));
        }
        let bytes = axum::body::to_bytes(request.into_body(), wpt_api::MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                crate::html::error_page(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.")
            })?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| unreadable(e.to_string()))?;
        return Ok(Posted {
            form,
            files: Vec::new(),
            problem: None,
        });
    }
    let max = state.attachments.max_bytes;
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| unreadable(e.body_text()))?;
    let mut received = ReceivedForm::default();
    let text_max = wpt_api::MAX_BODY_BYTES as u64;
    let problem = upload::receive_form(&mut multipart, max, text_max, is_file, &mut received)
        .await
        .err()
        .map(|e| upload_problem(&e, max));
    let encoded =
        serde_urlencoded::to_string(&received.fields).map_err(|e| unreadable(e.to_string()))?;
    let form = serde_urlencoded::from_str(&encoded).map_err(|e| unreadable(e.to_string()))?;
    Ok(Posted {
        form,
        files: received.files,
        problem,
    })
}

/// A page form that may carry files (in fields named `file` or `{block}.file`), read
/// by [`read_form`].
#[derive(Debug)]
pub struct WithFiles<T>(pub Posted<T>);

impl<T: serde::de::DeserializeOwned> FromRequest<AppState> for WithFiles<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        // Files are read only from a signed-in officer of a body, the only ones who may
        // attach any: anyone else's form is read for its text alone (a re-login carries
        // it), so a post without a session cannot make the server write or hash a byte.
        let uploader = match crate::session::cookie_value(req.headers()) {
            Some(c) => wpt_db::auth::sessions::actor_for_cookie(&state.db, &state.auth, &c)
                .await
                .is_ok_and(|actor| actor.own_body().is_ok()),
            None => false,
        };
        read_form(state, req, |n| {
            uploader && (n == "file" || n.ends_with(".file"))
        })
        .await
        .map(WithFiles)
    }
}

/// Stores a file received by a page form, as `POST /api/v1/attachments` does (the same
/// code); the answer is the new, unattached upload's id.
pub async fn store(state: &AppState, grant: &BodyGrant, file: Received) -> Result<Uuid, PageError> {
    let max = state.attachments.max_bytes;
    upload::store(state, grant, file)
        .await
        .map(|a| a.id)
        .map_err(|e| upload_problem(&e, max))
}

/// Stores each file of a form ([`store`]); their ids, in order.
pub async fn store_all(
    state: &AppState,
    grant: &BodyGrant,
    files: Vec<(String, Received)>,
) -> Result<Vec<Uuid>, PageError> {
    let mut ids = Vec::with_capacity(files.len());
    for (_, file) in files {
        ids.push(store(state, grant, file).await?);
    }
    Ok(ids)
}

/// The file input of a form (`name`), with its hint, its problem, the limit for the
/// script's check before upload, and the progress bar htmx fills while it sends.
pub fn input(id: &str, name: &str, label: &str, max: u64, error: Option<&PageError>) -> Markup {
    let problem = error.and_then(|e| e.field("file"));
    let hint_id = format!("{id}-hint");
    let limit = size(i64::try_from(max).unwrap_or(i64::MAX));
    html! {
        div.field.file-field {
            label for=(id) { (label) }
            span.hint id=(hint_id) { "Optional. One file, at most " (limit) ": PDF, Office or OpenDocument, PNG, JPEG, CSV or plain text." }
            @if let Some(p) = problem { span.problem id={(id) "-problem"} { (p) } }
            span.problem.file-refused id={(id) "-refused"} hidden {}
            input id=(id) type="file" name=(name) accept=(ACCEPT) data-max-bytes=(max)
                aria-describedby={(hint_id) @if problem.is_some() { " " (id) "-problem" }}
                aria-invalid=[problem.map(|_| "true")];
            progress.upload-progress max="100" value="0" hidden aria-label="Upload progress" {}
        }
    }
}
