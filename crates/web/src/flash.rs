//! One-time messages carried by a redirect ("DGICM's report returned; DGICM will see your
//! reason"): after a plain form post, the handler answers `303 See Other` with a short
//! cookie, and the next page shows the message at the top (visibly, in the page's live
//! region) and clears the cookie.
//!
//! The cookie is `wpt_flash`, `HttpOnly`, `SameSite=Strict`, `Path=/ui`, two minutes
//! long. Its value is the message (hex) and an HMAC-SHA256 of it keyed by a hash of the
//! person's session cookie, so no other page, site or person can make a page show a
//! message of their choosing: a flash that does not verify is ignored. htmx answers
//! carry their message in the response itself ([`crate::html::announce`]).

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

use crate::session::Viewer;

/// The cookie's name.
pub const COOKIE: &str = "wpt_flash";

/// The longest message kept (characters).
const MAX_CHARS: usize = 400;

/// The key of one session's messages: a hash of its cookie (never the cookie itself).
#[derive(Clone, Copy)]
pub struct FlashKey([u8; 32]);

impl std::fmt::Debug for FlashKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FlashKey(..)")
    }
}

impl FlashKey {
    /// The key of the session whose cookie is `session_cookie`.
    pub fn of_session(session_cookie: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"wpt flash v1\0");
        h.update(session_cookie.as_bytes());
        Self(h.finalize().into())
    }

    fn mac(&self, message: &[u8]) -> [u8; 32] {
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.0);
        let pad = |b: u8| -> Vec<u8> { block.iter().map(|k| k ^ b).collect() };
        let inner = Sha256::new()
            .chain_update(pad(0x36))
            .chain_update(message)
            .finalize();
        Sha256::new()
            .chain_update(pad(0x5c))
            .chain_update(inner)
            .finalize()
            .into()
    }

    /// The cookie's value for `message`.
    pub fn seal(&self, message: &str) -> String {
        let message: String = message.chars().take(MAX_CHARS).collect();
        format!(
            "{}.{}",
            hex::encode(message.as_bytes()),
            hex::encode(&self.mac(message.as_bytes())[..16])
        )
    }

    /// The message of a cookie value, if it verifies.
    pub fn open(&self, value: &str) -> Option<String> {
        let (text, tag) = value.split_once('.')?;
        let bytes = hex::decode(text).ok()?;
        let tag = hex::decode(tag).ok()?;
        let expected = self.mac(&bytes);
        // Constant time is not needed for a display message, but costs nothing.
        let same = tag.len() == 16
            && tag
                .iter()
                .zip(&expected[..16])
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        same.then(|| String::from_utf8(bytes).ok()).flatten()
    }
}

/// The flash cookie's raw value in a request, if any.
pub fn cookie_value(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == COOKIE)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty() && v.len() <= 2 * 4 * MAX_CHARS + 40)
}

fn set_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("wpt_flash=; Path=/ui; Max-Age=0"))
}

/// `303 See Other` to `to`, with `message` for the next page.
pub fn redirect(viewer: &Viewer, to: &str, message: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&viewer.flash_key.seal(message), 120, viewer.secure),
    );
    response
}

/// `200` with `HX-Redirect: to` for htmx (which would otherwise follow a 303 itself and
/// swap the next page into the form), with `message` for that page.
pub fn hx_redirect(viewer: &Viewer, to: &str, message: &str) -> Response {
    let mut response = axum::http::StatusCode::OK.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        response.headers_mut().insert("hx-redirect", v);
    }
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&viewer.flash_key.seal(message), 120, viewer.secure),
    );
    response
}

/// Either of the two, as the request came.
pub fn after_post(viewer: &Viewer, htmx: bool, to: &str, message: &str) -> Response {
    if htmx {
        hx_redirect(viewer, to, message)
    } else {
        redirect(viewer, to, message)
    }
}

/// Clears the flash cookie once a whole page (not a redirect, not an htmx fragment,
/// not an asset) has been answered to a request that carried it: the page showed it.
pub async fn clear_after_page(request: Request, next: Next) -> Response {
    let carried = cookie_value(request.headers()).is_some()
        && !request.headers().contains_key("hx-request")
        && !request.uri().path().starts_with("/ui/assets/");
    let secure = request
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let mut response = next.run(request).await;
    let sets_flash = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(COOKIE.as_bytes()));
    if carried && !response.status().is_redirection() && !sets_flash {
        response
            .headers_mut()
            .append(header::SET_COOKIE, set_cookie("", 0, secure));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_opens_only_with_the_key_of_its_session() {
        let mine = FlashKey::of_session("wpts_one");
        let theirs = FlashKey::of_session("wpts_two");
        let sealed = mine.seal("Saved: B.demo.4 is On track.");
        assert_eq!(
            mine.open(&sealed).as_deref(),
            Some("Saved: B.demo.4 is On track.")
        );
        assert_eq!(theirs.open(&sealed), None);
        let forged = format!(
            "{}.{}",
            hex::encode("Pay here"),
            &sealed[sealed.len() - 32..]
        );
        assert_eq!(mine.open(&forged), None);
        assert_eq!(mine.open("zz.zz"), None);
        assert_eq!(mine.open(""), None);
    }
}
