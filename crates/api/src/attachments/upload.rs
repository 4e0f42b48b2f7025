//! Reading one uploaded file from a `multipart/form-data` body: the field `file` is
//! streamed chunk by chunk into a temporary file while it is hashed (SHA-256), counted
//! and sniffed, so memory stays bounded whatever the size. Past the limit the read
//! stops at once (413) and the temporary file is deleted: nothing is stored.

use axum::extract::Multipart;
use sha2::{Digest, Sha256};
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

use super::kind::{Sniffer, clean_name};
use crate::error::{ApiError, ErrorCode};

/// Room for the multipart framing and a few small fields beside the file.
pub const FRAMING_BYTES: u64 = 64 * 1024;

/// A file received in full, in a temporary file deleted when this is dropped.
#[derive(Debug)]
pub struct Received {
    /// The cleaned name.
    pub filename: String,
    /// The type decided by content.
    pub media_type: String,
    /// Size in bytes (more than 0).
    pub size: u64,
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// The bytes.
    pub temp: TempPath,
}

/// The 413 of a file over `max` bytes.
pub fn too_large(max: u64) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the file is over {max} bytes (WPT_ATTACHMENT_MAX_BYTES); nothing was stored"),
    )
}

fn cut_off(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        ErrorCode::MalformedRequest,
        format!(
            "the upload was cut off or is not valid multipart/form-data ({e}); nothing was stored"
        ),
    )
}

fn io(e: std::io::Error) -> ApiError {
    ApiError::internal(e)
}

/// Reads the field `file` of `multipart` (other fields are read and ignored, and count
/// towards the limit), at most `max` bytes of it.
pub async fn receive(multipart: &mut Multipart, max: u64) -> Result<Received, ApiError> {
    let mut form = ReceivedForm::default();
    receive_form(
        multipart,
        max,
        FRAMING_BYTES,
        |name| name == "file",
        &mut form,
    )
    .await?;
    form.files.pop().map(|(_, file)| file).ok_or_else(|| {
        ApiError::field(
            "file",
            "is required: send multipart/form-data with the file in a field named file",
        )
    })
}

/// A form posted as `multipart/form-data` (the pages' forms with file inputs): its
/// text fields in order, and the files chosen, each with its field's name.
#[derive(Debug, Default)]
pub struct ReceivedForm {
    /// The text fields, as (name, value).
    pub fields: Vec<(String, String)>,
    /// The files, as (field name, file); a file input left empty sends nothing here.
    pub files: Vec<(String, Received)>,
}

/// Reads a multipart form into `form`: each field `is_file` names is streamed as
/// [`receive`] does (at most `max` bytes; empty, refused types and cut-off uploads are
/// errors; one file per name, a second counts as text), the other fields kept as text
/// up to `text_max` bytes in all. On an error, `form` keeps what was read before it.
pub async fn receive_form(
    multipart: &mut Multipart,
    max: u64,
    text_max: u64,
    is_file: impl Fn(&str) -> bool,
    form: &mut ReceivedForm,
) -> Result<(), ApiError> {
    let mut others: u64 = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(cut_off)? {
        let name = field.name().unwrap_or_default().to_owned();
        // A file part the form does not take (or a second one for the same field) is
        // read and dropped, within the text's limit.
        let file_part = field.file_name().is_some();
        if !is_file(&name) || form.files.iter().any(|(n, _)| *n == name) {
            let mut value = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(cut_off)? {
                others += chunk.len() as u64;
                if others > text_max {
                    return Err(too_large(max));
                }
                value.extend_from_slice(&chunk);
            }
            if !is_file(&name) && !file_part {
                form.fields
                    .push((name, String::from_utf8_lossy(&value).into_owned()));
            }
            continue;
        }
        if form.files.len() >= wpt_db::attachments::MAX_ATTACHMENTS {
            return Err(ApiError::field(
                "file",
                format!(
                    "at most {} files in one form",
                    wpt_db::attachments::MAX_ATTACHMENTS
                ),
            ));
        }
        // A file input left empty: a part without a file name and nothing in it.
        let chosen = field.file_name().is_some_and(|n| !n.is_empty());
        let filename = clean_name(field.file_name().unwrap_or_default());
        let (file, temp) = tempfile::NamedTempFile::new().map_err(io)?.into_parts();
        let mut out = tokio::fs::File::from_std(file);
        let mut hash = Sha256::new();
        let mut sniff = Sniffer::default();
        let mut size: u64 = 0;
        while let Some(chunk) = field.chunk().await.map_err(cut_off)? {
            size += chunk.len() as u64;
            if size > max {
                return Err(too_large(max));
            }
            hash.update(&chunk);
            sniff.feed(&chunk);
            out.write_all(&chunk).await.map_err(io)?;
        }
        out.flush().await.map_err(io)?;
        out.sync_all().await.map_err(io)?;
        drop(out);
        if size == 0 {
            if !chosen {
                continue;
            }
            return Err(ApiError::field("file", "is empty"));
        }
        let path = temp.to_path_buf();
        let sniffed_name = filename.clone();
        let media_type = tokio::task::spawn_blocking(move || sniff.finish(&path, &sniffed_name))
            .await
            .map_err(ApiError::internal)?
            .map_err(|why| ApiError::new(ErrorCode::UnsupportedMediaType, why))?;
        form.files.push((
            name,
            Received {
                filename,
                media_type,
                size,
                sha256: hex::encode(hash.finalize()),
                temp,
            },
        ));
    }
    Ok(())
}

/// Stores a received file (the object first, then its row, unattached, uploaded by
/// `grant`'s body): what `POST /api/v1/attachments` and the pages' forms both do.
pub async fn store(
    state: &crate::AppState,
    grant: &wpt_domain::actor::BodyGrant,
    received: Received,
) -> Result<wpt_domain::models::Attachment, ApiError> {
    state
        .attachments
        .put_file(&received.sha256, &received.temp)
        .await
        .map_err(ApiError::internal)?;
    let size = i64::try_from(received.size).map_err(ApiError::internal)?;
    Ok(wpt_db::attachments::create(
        &state.db,
        grant,
        wpt_db::attachments::NewUpload {
            filename: received.filename,
            media_type: received.media_type,
            size,
            sha256: received.sha256,
        },
    )
    .await?)
}
