//! Evidence files: where their bytes live (an `object_store` store: a folder or an S3
//! bucket), how an upload is read (streamed to a temporary file while hashed and
//! counted, its type decided by content) and the sweep that removes what nothing names.
//!
//! The rows are `wpt_db::attachments`'; this module never decides who may see a file
//! (the one policy does, through the use cases) and never writes a row itself.

pub mod kind;
pub mod serve;
pub mod upload;

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use futures_util::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{
    GetOptions, GetRange, GetResult, ObjectMeta, ObjectStore, ObjectStoreExt, WriteMultipart,
};
use tokio::io::AsyncReadExt;

/// The default largest evidence file: 25 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 25 * 1024 * 1024;

/// Settings of an `s3://` store beyond the URL; `None` takes the usual `AWS_*`
/// variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, ...).
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    /// The endpoint of an S3-compatible server (`WPT_S3_ENDPOINT`); `http://` allows
    /// plain HTTP.
    pub endpoint: Option<String>,
    /// The region.
    pub region: Option<String>,
    /// The access key id.
    pub access_key_id: Option<String>,
    /// The secret access key.
    pub secret_access_key: Option<String>,
}

/// Where evidence files are stored, and the upload limit.
#[derive(Debug, Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// The folder of a `file://` store (what `wpt backup` copies).
    folder: Option<PathBuf>,
    /// The largest file accepted, in bytes.
    pub max_bytes: u64,
}

impl Default for Storage {
    /// An in-memory store (tests that do not look at files; never the server's).
    fn default() -> Self {
        Self {
            store: Arc::new(InMemory::new()),
            folder: None,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

impl Storage {
    /// The store `url` names: `file:///folder` or `s3://bucket[/prefix]`.
    pub fn from_url(url: &str, s3: &S3Settings, max_bytes: u64) -> Result<Self, String> {
        if let Some(dir) = url.strip_prefix("file://") {
            if dir.is_empty() {
                return Err(
                    "WPT_STORAGE_URL file:// needs a folder, as file:///var/lib/wpt/files".into(),
                );
            }
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("WPT_STORAGE_URL: cannot create the folder {dir}: {e}"))?;
            let store = LocalFileSystem::new_with_prefix(dir)
                .map_err(|e| format!("WPT_STORAGE_URL: {e}"))?;
            return Ok(Self {
                store: Arc::new(store),
                folder: Some(PathBuf::from(dir)),
                max_bytes,
            });
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err("WPT_STORAGE_URL s3:// needs a bucket, as s3://bucket/prefix".into());
            }
            // Installing the process's TLS provider is idempotent; an error means one is
            // installed already.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let mut builder =
                object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
            if let Some(endpoint) = &s3.endpoint {
                builder = builder
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_endpoint(endpoint);
            }
            if let Some(region) = &s3.region {
                builder = builder.with_region(region);
            }
            if let Some(key) = &s3.access_key_id {
                builder = builder.with_access_key_id(key);
            }
            if let Some(secret) = &s3.secret_access_key {
                builder = builder.with_secret_access_key(secret);
            }
            let s3 = builder
                .build()
                .map_err(|e| format!("WPT_STORAGE_URL {url}: {e}"))?;
            let prefix = prefix.trim_matches('/');
            let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(PrefixStore::new(s3, prefix))
            };
            return Ok(Self {
                store,
                folder: None,
                max_bytes,
            });
        }
        Err(format!(
            "WPT_STORAGE_URL must be file:///folder or s3://bucket/prefix, not {url:?}"
        ))
    }

    /// The folder of a `file://` store.
    pub fn folder(&self) -> Option<&FsPath> {
        self.folder.as_deref()
    }

    /// The object's name: its SHA-256.
    fn path(sha256: &str) -> Path {
        Path::from(sha256)
    }

    /// Stores the file at `file` under `sha256`, read and sent in parts (memory stays
    /// bounded). An object already there is kept as it is (the same file twice is stored
    /// once) unless older than an hour, when it is written again so the orphan sweep,
    /// which spares objects younger than a day, cannot take it before its row commits.
    pub async fn put_file(&self, sha256: &str, file: &FsPath) -> Result<(), object_store::Error> {
        let path = Self::path(sha256);
        if let Ok(meta) = self.store.head(&path).await
            && Utc::now().signed_duration_since(meta.last_modified) < chrono::Duration::hours(1)
        {
            return Ok(());
        }
        let upload = self.store.put_multipart(&path).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, 5 * 1024 * 1024);
        let mut f =
            tokio::fs::File::open(file)
                .await
                .map_err(|e| object_store::Error::Generic {
                    store: "upload",
                    source: Box::new(e),
                })?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match f.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(object_store::Error::Generic {
                        store: "upload",
                        source: Box::new(e),
                    });
                }
            };
            if n == 0 {
                break;
            }
            writer.wait_for_capacity(2).await?;
            writer.write(&buf[..n]);
        }
        writer.finish().await?;
        Ok(())
    }

    /// The object's metadata (its size).
    pub async fn head(&self, sha256: &str) -> Result<ObjectMeta, object_store::Error> {
        self.store.head(&Self::path(sha256)).await
    }

    /// The object's bytes, or `range` of them, as a stream.
    pub async fn get(
        &self,
        sha256: &str,
        range: Option<GetRange>,
    ) -> Result<GetResult, object_store::Error> {
        let options = GetOptions {
            range,
            ..Default::default()
        };
        self.store.get_opts(&Self::path(sha256), options).await
    }

    /// Whether `sha256` is stored (tests).
    pub async fn contains(&self, sha256: &str) -> bool {
        self.head(sha256).await.is_ok()
    }

    /// The names of every object stored (tests and the sweep).
    pub async fn names(&self) -> Result<Vec<(String, chrono::DateTime<Utc>)>, object_store::Error> {
        let mut out = Vec::new();
        let mut list = self.store.list(None);
        while let Some(meta) = list.next().await {
            let meta = meta?;
            out.push((meta.location.to_string(), meta.last_modified));
        }
        Ok(out)
    }

    /// The periodic sweep: deletes the rows of uploads nobody attached within
    /// [`wpt_db::attachments::UNATTACHED_TTL`], then the objects no row names that are
    /// older than that too (younger ones may belong to an upload whose row is about to
    /// commit). Answers (rows deleted, objects deleted).
    pub async fn sweep(&self, db: &wpt_db::Database) -> Result<(u64, u64), String> {
        self.sweep_before(db, Utc::now() - wpt_db::attachments::UNATTACHED_TTL)
            .await
    }

    /// [`Storage::sweep`] with its cutoff given: rows and objects older than `cutoff`.
    pub async fn sweep_before(
        &self,
        db: &wpt_db::Database,
        cutoff: chrono::DateTime<Utc>,
    ) -> Result<(u64, u64), String> {
        let rows = wpt_db::attachments::sweep_unattached(db, cutoff)
            .await
            .map_err(|e| e.to_string())?;
        let names = self.names().await.map_err(|e| e.to_string())?;
        let old: Vec<String> = names
            .into_iter()
            .filter(|(_, modified)| *modified < cutoff)
            .map(|(name, _)| name)
            .collect();
        let referenced = wpt_db::attachments::referenced(db, &old)
            .await
            .map_err(|e| e.to_string())?;
        let mut objects = 0;
        for name in old.iter().filter(|n| !referenced.contains(*n)) {
            match self.store.delete(&Path::from(name.as_str())).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => objects += 1,
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok((rows, objects))
    }
}
