//! The stylesheet and the vendored htmx, embedded in the binary (rust-embed), so the
//! pages work with no internet access and no files beside the binary.
//!
//! Asset URLs carry the first bytes of the file's SHA-256 (`?v=...`), so a response can
//! be cached for a year and a new build is fetched at once.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

/// The files under `crates/web/assets`.
#[derive(Embed)]
#[folder = "assets/"]
#[exclude = "*.md"]
pub struct Assets;

/// The vendored htmx (see `assets/vendor/htmx-2.0.11/SOURCE.md`).
pub const HTMX: &str = "vendor/htmx-2.0.11/htmx.min.js";

/// The URL of an embedded file, versioned by its content.
pub fn url(path: &str) -> String {
    match Assets::get(path) {
        Some(f) => format!(
            "/ui/assets/{path}?v={}",
            hex::encode(&f.metadata.sha256_hash()[..6])
        ),
        None => format!("/ui/assets/{path}"),
    }
}

/// `GET /ui/assets/{path}`.
pub async fn serve(Path(path): Path<String>) -> Response {
    let Some(file) = Assets::get(&path) else {
        return crate::html::error_page(StatusCode::NOT_FOUND, "No such file.");
    };
    let content_type = match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "text/plain; charset=utf-8",
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        file.data.into_owned(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn the_vendored_htmx_is_the_recorded_file() {
        let file = Assets::get(HTMX).expect("htmx is embedded");
        let digest = hex::encode(Sha256::digest(&file.data));
        let record = include_str!("../assets/vendor/htmx-2.0.11/SOURCE.md");
        assert!(
            record.contains(&digest),
            "htmx.min.js has SHA-256 {digest}, which SOURCE.md does not record"
        );
        assert!(Assets::get("vendor/htmx-2.0.11/LICENSE").is_some());
    }

    #[test]
    fn asset_urls_change_with_the_content() {
        let u = url("app.css");
        assert!(u.starts_with("/ui/assets/app.css?v="), "{u}");
        assert_eq!(u.len(), "/ui/assets/app.css?v=".len() + 12);
    }
}
