//! Argon2id password hashing, always on blocking threads.
//!
//! Hashing costs tens of milliseconds of CPU and 19 MiB of memory by design; run on the
//! async workers it would stall every other request. A semaphore bounds how many run
//! at once (one per core), which bounds the memory a login storm can take. An unknown
//! email still costs one verification (against a dummy hash made with the same
//! parameters), so response times do not reveal which accounts exist.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OnceCell, Semaphore};

use crate::{DbError, DbResult};

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    dummy: Arc<OnceCell<String>>,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("m_cost", &self.params.m_cost())
            .field("t_cost", &self.params.t_cost())
            .finish()
    }
}

impl PasswordHasher {
    /// The OWASP parameters: argon2id, 19 MiB, 2 iterations, 1 lane.
    pub fn owasp() -> Self {
        Self::with_params(Params::DEFAULT_M_COST, Params::DEFAULT_T_COST)
    }

    /// Deliberately cheap parameters, for the test suite only (tests hash thousands of
    /// times; the algorithm and the code path are the same).
    pub fn cheap_for_tests() -> Self {
        Self::with_params(Params::MIN_M_COST.max(64), 1)
    }

    fn with_params(m_cost: u32, t_cost: u32) -> Self {
        let params = Params::new(m_cost, t_cost, 1, None).unwrap_or(Params::DEFAULT);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            params,
            dummy: Arc::new(OnceCell::new()),
            permits: Arc::new(Semaphore::new(cores)),
        }
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// An argon2id PHC string for `password`.
    pub async fn hash(&self, password: &str) -> DbResult<String> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| DbError::internal(e.to_string()))?;
        let argon2 = self.argon2();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            argon2
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| DbError::internal(format!("hashing failed: {e}")))
        })
        .await
        .map_err(|e| DbError::internal(e.to_string()))?
    }

    /// Whether `password` matches `stored`; with no stored hash (unknown account), the
    /// same work is done against a dummy and the answer is no.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> DbResult<bool> {
        let (hash, real) = match stored {
            Some(h) => (h.to_owned(), true),
            None => {
                let dummy = self
                    .dummy
                    .get_or_try_init(|| self.hash("dummy password for unknown accounts"))
                    .await?;
                (dummy.clone(), false)
            }
        };
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| DbError::internal(e.to_string()))?;
        let argon2 = self.argon2();
        let password = password.to_owned();
        let matched = tokio::task::spawn_blocking(move || {
            argon2
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok()
        })
        .await
        .map_err(|e| DbError::internal(e.to_string()))?;
        Ok(matched && real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn owasp_hashes_are_argon2id_phc_strings_that_verify() {
        let h = PasswordHasher::owasp();
        let hash = h.hash("correct horse battery").await.expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            h.verify("correct horse battery", Some(&hash))
                .await
                .expect("verify")
        );
        assert!(
            !h.verify("wrong horse battery", Some(&hash))
                .await
                .expect("verify")
        );
        assert!(
            !h.verify("correct horse battery", None)
                .await
                .expect("verify")
        );
    }
}
