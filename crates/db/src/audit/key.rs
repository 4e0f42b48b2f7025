//! The audit key: the secret that keys the audit chain (HMAC-SHA256) and signs the
//! editions. The server reads it from `WPT_AUDIT_KEY` or generates it into its data
//! directory, apart from the token signing secret; it reaches this crate through
//! [`Database::with_audit_key`](crate::Database::with_audit_key).

use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use uuid::Uuid;

use crate::{DbError, DbResult};

type HmacSha256 = Hmac<sha2_hmac::Sha256>;

/// The key of the audit chain and of edition signatures. Never printed by `{:?}`.
#[derive(Clone)]
pub struct AuditKey(Arc<[u8]>);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(***)")
    }
}

impl AuditKey {
    /// The shortest key accepted, in bytes.
    pub const MIN_LEN: usize = 32;

    /// A key of at least [`MIN_LEN`](Self::MIN_LEN) bytes.
    pub fn new(bytes: &[u8]) -> DbResult<Self> {
        if bytes.len() < Self::MIN_LEN {
            let mut e = wpt_domain::ValidationErrors::new();
            e.add("audit_key", "must be at least 32 bytes");
            return Err(DbError::Validation(e));
        }
        Ok(Self(Arc::from(bytes)))
    }

    /// HMAC-SHA256 of `message`, as lower-case hex.
    pub fn mac_hex(&self, message: &[u8]) -> String {
        // HMAC takes a key of any length; `new` has checked the length anyway.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(message);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `hex_mac` is the HMAC-SHA256 of `message`, or its leftmost bytes
    /// (compared in constant time).
    pub(crate) fn mac_matches(&self, message: &[u8], hex_mac: &str) -> bool {
        let Ok(expected) = hex::decode(hex_mac) else {
            return false;
        };
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(message);
        !expected.is_empty() && mac.verify_truncated_left(&expected).is_ok()
    }

    /// The signature of an edition: HMAC-SHA256 over the canonical JSON
    /// `["wpt.edition.v1", cycle id, edition sha256]`, so it vouches for the content
    /// (through its SHA-256) and for the cycle it belongs to.
    pub fn sign_edition(&self, cycle_id: Uuid, sha256: &str) -> String {
        let mut text = String::new();
        super::canonical_json_pub(
            &Value::Array(vec![
                Value::from("wpt.edition.v1"),
                Value::from(cycle_id.to_string()),
                Value::from(sha256),
            ]),
            &mut text,
        );
        self.mac_hex(text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // Test case 2 of RFC 4231 uses a short key; HMAC itself takes any length, so
        // the case is run on the MAC directly.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(b"Jefe").expect("key");
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block (131 bytes of 0xaa).
        let key = AuditKey::new(&[0xaa; 131]).expect("long key");
        assert_eq!(
            key.mac_hex(b"Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn short_keys_are_refused_and_keys_never_print() {
        assert!(AuditKey::new(&[1; 31]).is_err());
        let key = AuditKey::new(&[7; 32]).expect("32 bytes");
        assert_eq!(format!("{key:?}"), "AuditKey(***)");
    }

    #[test]
    fn an_edition_signature_depends_on_key_cycle_and_hash() {
        let a = AuditKey::new(&[1; 32]).expect("key");
        let b = AuditKey::new(&[2; 32]).expect("key");
        let (c1, c2) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let s = a.sign_edition(c1, "ab");
        assert_eq!(s.len(), 64);
        assert_eq!(s, a.sign_edition(c1, "ab"));
        assert_ne!(s, b.sign_edition(c1, "ab"));
        assert_ne!(s, a.sign_edition(c2, "ab"));
        assert_ne!(s, a.sign_edition(c1, "ac"));
    }
}
