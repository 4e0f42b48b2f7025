//! Argon2id password hashing, always on its own threads.
//!
//! Hashing costs tens of milliseconds of CPU and 7 MiB of memory by design; run on the
//! async workers it would stall every other request. One thread per core but one hashes
//! ([`hashing_threads`]), each into a memory block it allocates once and reuses, so a
//! login storm leaves a core to the other requests, takes at most one block per hashing
//! thread and never grows the process (see [`Workers`]). Hashes are standard
//! PHC strings (`$argon2id$v=19$m=7168,t=5,p=1$salt$hash`). An unknown email still
//! costs one verification (against a dummy hash made with the same parameters), so
//! response times do not reveal which accounts exist. A hash made with other parameters
//! (19 MiB and 2 iterations, before issue 21) verifies with its own and is made again
//! with these at its owner's next sign-in ([`PasswordHasher::outdated`]); until then its
//! verification costs about 8% more than the dummy's.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use tokio::sync::OnceCell;

use crate::{DbError, DbResult};

/// Argon2id memory in KiB: OWASP's 7 MiB configuration (see [`PasswordHasher::owasp`]).
pub const OWASP_M_COST: u32 = 7 * 1024;

/// Argon2id iterations that go with [`OWASP_M_COST`].
pub const OWASP_T_COST: u32 = 5;

/// How many threads hash on a machine of `cores`: one per core but one, so a burst of
/// logins never takes every core from the requests being answered (on two cores, (b)'s
/// p99 during 46 logins a second was 3.9 times its p99 alone with both hashing); at
/// least one.
pub fn hashing_threads(cores: usize) -> usize {
    cores.saturating_sub(1).max(1)
}

/// Jobs that may wait for or run on each hashing thread; past `threads` times this,
/// hashing answers [`DbError::Busy`] (503 with `Retry-After`) instead of queueing: at
/// 35-40 ms a job, a full queue is over a second of work.
pub const QUEUE_PER_THREAD: usize = 32;

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    dummy: Arc<OnceCell<String>>,
    workers: Arc<Workers>,
    threads: usize,
}

type Job = Box<dyn FnOnce() + Send>;

/// The threads that hash: one per core but one, fed from one queue. Argon2 allocates its 7 MiB
/// on the thread that runs it, and the allocator keeps what a thread freed for that
/// thread's next use; on tokio's blocking pool (up to hundreds of threads, each with
/// its own arena) 200 logins grew the server from 26 MB to 380 MB resident. A fixed
/// set of threads bounds that to one block per thread, and the queue bounds the CPU that
/// hashing can take from request handling.
struct Workers {
    queue: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
    /// Jobs queued or running, at most `capacity`.
    pending: Arc<AtomicUsize>,
    capacity: usize,
}

/// Takes one job off the count when the job is done (or dropped unrun).
struct Done(Arc<AtomicUsize>);

impl Drop for Done {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Workers {
    fn start(threads: usize, capacity: usize) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("wpt-argon2-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only to take the next job.
                        let job = match rx.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            // Every hasher is gone: the thread ends.
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Self {
            queue: std::sync::Mutex::new(tx),
            pending: Arc::new(AtomicUsize::new(0)),
            capacity,
        }
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> DbResult<T> {
        if self.pending.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            return Err(DbError::Busy {
                what: "password hashing",
                retry_after: 1,
            });
        }
        let done = Done(self.pending.clone());
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _done = done;
            let _ = tx.send(f());
        });
        self.queue
            .lock()
            .map_err(|_| DbError::internal("the hashing queue is poisoned"))?
            .send(job)
            .map_err(|_| DbError::internal("no password hashing thread is running"))?;
        rx.await
            .map_err(|_| DbError::internal("a password hashing thread stopped"))
    }
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
    /// OWASP's parameters for argon2id with the least memory: 7 MiB, 5 iterations, 1
    /// lane. The Password Storage Cheat Sheet lists it beside 19 MiB with 2 iterations
    /// (argon2's default) as the same defence, trading memory for iterations; the server
    /// keeps one block per hashing thread, so 7 MiB instead of 19 is 24 MB less resident
    /// on two cores, for about the same CPU per hash. Hashes made with other parameters
    /// (19 MiB ones from before) verify with their own, named in their PHC string.
    pub fn owasp() -> Self {
        Self::with_params(OWASP_M_COST, OWASP_T_COST)
    }

    /// Deliberately cheap parameters, for the test suite only (tests hash thousands of
    /// times; the algorithm and the code path are the same).
    pub fn cheap_for_tests() -> Self {
        Self::with_params(Params::MIN_M_COST.max(64), 1)
    }

    fn with_params(m_cost: u32, t_cost: u32) -> Self {
        let params = Params::new(m_cost, t_cost, 1, None).unwrap_or(Params::DEFAULT);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let threads = hashing_threads(cores);
        Self {
            params,
            dummy: Arc::new(OnceCell::new()),
            workers: Arc::new(Workers::start(threads, threads * QUEUE_PER_THREAD)),
            threads,
        }
    }

    /// How many threads hash ([`hashing_threads`]): verifications of one account beyond
    /// this many at once would only wait in the queue.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Whether `stored` was made with other parameters than this hasher's (such as the
    /// 19 MiB ones used before): the login that proves the password hashes it again
    /// (`auth::sessions`), so old hashes go with their owners' next sign-in.
    pub fn outdated(&self, stored: &str) -> bool {
        let expected = format!(
            "$argon2id$v=19$m={},t={},p={}$",
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost()
        );
        !stored.starts_with(&expected)
    }

    /// An argon2id PHC string for `password`.
    pub async fn hash(&self, password: &str) -> DbResult<String> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.workers
            .run(move || phc_hash(&params, &password))
            .await?
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
        let password = password.to_owned();
        let matched = self
            .workers
            .run(move || phc_verify(&password, &hash))
            .await?;
        Ok(matched && real)
    }
}

thread_local! {
    /// This thread's argon2 memory, allocated at the first hash and reused.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs argon2id with `params` into `out`, on this thread's reusable memory.
fn argon2id_into(params: &Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> DbResult<()> {
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        // Grown, never shrunk: a thread that verified an older, larger hash keeps that
        // block rather than freeing and zeroing one per switch (a few ms each time).
        let blocks = params.block_count();
        if memory.len() < blocks {
            *memory = vec![Block::default(); blocks];
        }
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
            .map_err(|e| DbError::internal(format!("hashing failed: {e}")))
    })
}

/// A PHC string for `password` with a fresh 16-byte salt.
fn phc_hash(params: &Params, password: &str) -> DbResult<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| DbError::internal(format!("no randomness: {e}")))?;
    let mut out = [0u8; 32];
    argon2id_into(params, password.as_bytes(), &salt, &mut out)?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        B64.encode(salt),
        B64.encode(out)
    ))
}

/// Whether `password` matches a PHC argon2id string (with its own parameters); a
/// malformed string matches nothing.
fn phc_verify(password: &str, stored: &str) -> bool {
    let parts: Vec<&str> = stored.split('$').collect();
    let ["", "argon2id", "v=19", costs, salt, hash] = parts.as_slice() else {
        return false;
    };
    let mut m = None;
    let mut t = None;
    let mut p = None;
    for kv in costs.split(',') {
        match kv.split_once('=') {
            Some(("m", v)) => m = v.parse::<u32>().ok(),
            Some(("t", v)) => t = v.parse::<u32>().ok(),
            Some(("p", v)) => p = v.parse::<u32>().ok(),
            _ => return false,
        }
    }
    let (Some(m), Some(t), Some(p)) = (m, t, p) else {
        return false;
    };
    let (Ok(salt), Ok(expected)) = (B64.decode(salt), B64.decode(hash)) else {
        return false;
    };
    let Ok(params) = Params::new(m, t, p, Some(expected.len())) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    if argon2id_into(&params, password.as_bytes(), &salt, &mut out).is_err() {
        return false;
    }
    // Constant time: every byte is compared whatever the first difference.
    out.iter()
        .zip(&expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn owasp_hashes_are_argon2id_phc_strings_that_verify() {
        let h = PasswordHasher::owasp();
        let hash = h.hash("correct horse battery").await.expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{hash}");
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

    #[test]
    fn hashing_leaves_a_core_to_the_requests() {
        assert_eq!(hashing_threads(1), 1);
        assert_eq!(hashing_threads(2), 1);
        assert_eq!(hashing_threads(8), 7);
    }

    #[tokio::test]
    async fn hashes_made_with_the_earlier_19_mib_parameters_still_verify() {
        let before = PasswordHasher::with_params(19 * 1024, 2);
        let hash = before.hash("correct horse battery").await.expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let now = PasswordHasher::owasp();
        assert!(
            now.verify("correct horse battery", Some(&hash))
                .await
                .expect("verify")
        );
        assert!(
            !now.verify("correct horse batterz", Some(&hash))
                .await
                .expect("verify")
        );
        assert!(now.outdated(&hash), "made with 19 MiB: outdated");
        let fresh = now.hash("correct horse battery").await.expect("hash");
        assert!(!now.outdated(&fresh), "{fresh}");
    }

    #[tokio::test]
    async fn a_full_hashing_queue_answers_busy_and_frees_as_jobs_finish() {
        let workers = Arc::new(Workers::start(1, 3));
        let (release, held) = std::sync::mpsc::channel::<()>();
        let held = Arc::new(std::sync::Mutex::new(held));
        let mut waiting = Vec::new();
        for _ in 0..3 {
            let (held, workers) = (held.clone(), workers.clone());
            waiting.push(tokio::spawn(async move {
                workers
                    .run(move || {
                        let _ = held.lock().map(|h| h.recv());
                    })
                    .await
                    .is_ok()
            }));
        }
        // Three jobs hold the queue (one running, two waiting): the fourth is refused.
        while workers.pending.load(Ordering::Acquire) < 3 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(
            workers.run(|| ()).await,
            Err(DbError::Busy { retry_after: 1, .. })
        ));
        for _ in 0..3 {
            release.send(()).expect("release");
        }
        for w in waiting {
            assert!(w.await.expect("join"));
        }
        assert!(workers.run(|| ()).await.is_ok(), "room again");
    }

    #[test]
    fn hashes_agree_with_the_argon2_crates_own_phc_strings() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let params = Params::new(256, 2, 1, None).expect("params");
        let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        // Theirs verifies with ours...
        let theirs = reference
            .hash_password(b"correct horse battery")
            .expect("hash")
            .to_string();
        assert!(phc_verify("correct horse battery", &theirs));
        assert!(!phc_verify("correct horse batterz", &theirs));
        // ...and ours with theirs.
        let ours = phc_hash(&params, "correct horse battery").expect("hash");
        assert!(
            reference
                .verify_password(b"correct horse battery", ours.as_str())
                .is_ok()
        );
        assert!(reference.verify_password(b"wrong", ours.as_str()).is_err());
        for broken in [
            "",
            "$argon2i$v=19$m=256,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
            "$argon2id$v=19$m=x,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
        ] {
            assert!(!phc_verify("x", broken), "{broken}");
        }
    }
}
