//! Hashes the migrations' source so the test template database is rebuilt whenever a
//! migration changes, even in place (PostgreSQL templates outlive a test run).

use std::hash::{Hash, Hasher};

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/src");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        std::fs::read(&f).unwrap_or_default().hash(&mut hasher);
    }
    println!(
        "cargo:rustc-env=WPT_MIGRATIONS_HASH={:016x}",
        hasher.finish()
    );
}
