//! `/attachments`: evidence files. Upload one (`POST`), then name its id in a progress
//! update's or a report entry's `attachment_ids`; read its metadata and its bytes.
//! Who may see a file is the one policy's answer (`wpt_domain::policy::can_see_attachment`)
//! given by the use case; this module streams bytes and sets headers.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wpt_domain::Role;
use wpt_domain::models::Attachment;

use super::created;
use crate::AppState;
use crate::attachments::upload::{self, FRAMING_BYTES};
use crate::auth::CurrentActor;
use crate::error::{ApiError, ErrorCode, Problem};
use crate::extract::{Json, Path};

/// The routes of this module. The upload has no 1 MiB body limit: it counts the file
/// itself against `WPT_ATTACHMENT_MAX_BYTES` as it streams.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(
            OpenApiRouter::new()
                .routes(routes!(upload_attachment))
                .layer(DefaultBodyLimit::disable()),
        )
        .routes(routes!(get_attachment))
        .routes(routes!(attachment_content))
}

/// The form of an upload.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes the multipart form in the OpenAPI document only"
)]
pub struct UploadForm {
    /// The file: a PDF, Office or OpenDocument file, PNG, JPEG, CSV or plain text, at
    /// most `WPT_ATTACHMENT_MAX_BYTES` (25 MiB by default).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Upload an evidence file
///
/// Streams the file to storage while hashing it, decides its type by its content (not
/// its name or `Content-Type`), and answers its id, to be named in `attachment_ids` of a
/// progress update or a report entry within 24 hours (an upload never attached is then
/// deleted). Until attached, only its uploader sees it. The same file uploaded twice is
/// stored once (objects are named by SHA-256).
///
/// Who may call: officers of a sectoral body (403 for everyone else). Changes: stores
/// the file and adds an unattached attachment; audited.
#[utoipa::path(
    post,
    path = "/attachments",
    tag = "attachments",
    security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data", description = "The field `file`"),
    responses(
        (status = 201, description = "Stored", body = Attachment, example = json!({
            "id": "0192f3a0-5c1e-7d2b-9a4f-2b3c4d5e6f71", "filename": "workshop-report-2026.pdf",
            "media_type": "application/pdf", "size": 482133,
            "sha256": "9f2c1b4e0a7d3c5b8e6f1a2d4c7b9e0f3a5d8c1b4e7f0a2d5c8b1e4f7a0d3c6b",
            "created_at": "2026-03-02T08:15:00Z", "attached": false})),
        (status = 400, description = "Not valid multipart/form-data, or cut off; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer (or a read-only token)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over `WPT_ATTACHMENT_MAX_BYTES`; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart/form-data, or a refused type (HTML, SVG, scripts, executables...)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No field `file`, or an empty file", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn upload_attachment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    if actor.role != Role::Officer {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only an officer of a sectoral body uploads evidence files",
        ));
    }
    let grant = actor.own_body()?;
    let max = state.attachments.max_bytes;
    // A declared length past the limit is refused before anything is read.
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > max + FRAMING_BYTES
    {
        return Err(upload::too_large(max));
    }
    let mut multipart = multipart.map_err(|e| {
        ApiError::new(
            ErrorCode::UnsupportedMediaType,
            format!("send multipart/form-data with the file in a field named file ({e})"),
        )
    })?;
    let received = upload::receive(&mut multipart, max).await?;
    let attachment = upload::store(&state, &grant, received).await?;
    Ok(created(
        format!("/api/v1/attachments/{}", attachment.id),
        None,
        attachment,
    ))
}

/// An evidence file's metadata
///
/// Its name, type, size and SHA-256, and whether it is attached yet.
///
/// Who may call: whoever may see what it is attached to (a progress update: everyone
/// but viewers; a report entry: whoever may see that report, so a viewer once it is
/// accepted); an unattached upload, its uploader only. Everyone else gets 404. Changes
/// nothing.
#[utoipa::path(
    get,
    path = "/attachments/{id}",
    tag = "attachments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The attachment's id")),
    responses(
        (status = 200, description = "The metadata", body = Attachment),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such attachment, or one the caller may not see", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad id", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_attachment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
) -> Result<Json<Attachment>, ApiError> {
    Ok(Json(wpt_db::attachments::get(&state.db, &actor, id).await?))
}

/// Download an evidence file
///
/// The bytes, streamed from storage, as `Content-Disposition: attachment` with the
/// cleaned file name and `X-Content-Type-Options: nosniff` (a browser saves the file,
/// never renders it). The `ETag` is the SHA-256 in quotes (`If-None-Match` answers 304);
/// one `Range` (`bytes=0-1023`, `bytes=1024-`, `bytes=-512`) answers 206 with
/// `Content-Range`, a range past the end 416; several ranges get the whole file.
///
/// Who may call: as for the metadata. Changes nothing.
#[utoipa::path(
    get,
    path = "/attachments/{id}/content",
    tag = "attachments",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "The attachment's id"),
        ("Range" = Option<String>, Header, description = "One byte range, as `bytes=0-1023`"),
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` already held"),
    ),
    responses(
        (status = 200, description = "The file", content(
            (Vec<u8> = "application/octet-stream"),
        )),
        (status = 206, description = "The range asked for", content(
            (Vec<u8> = "application/octet-stream"),
        )),
        (status = 304, description = "Unchanged (`If-None-Match`)"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such attachment, or one the caller may not see", body = Problem, content_type = "application/problem+json"),
        (status = 416, description = "The range starts past the end", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad id", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn attachment_content(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    crate::attachments::serve::content(&state, &actor, id, &headers).await
}
