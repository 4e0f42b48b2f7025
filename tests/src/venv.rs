//! The Python tools the suite starts as real servers (aiosmtpd for mail, moto for S3),
//! each pinned in a requirements file and installed once into a venv under `target/`
//! (the pattern of `tests/fuzz/run`), again when its requirements change.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// One venv creation at a time within the test process.
static VENV: Mutex<()> = Mutex::new(());

/// The workspace's root folder.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// `target/{name}-venv/bin/{program}`, with `tests/{name}/requirements.txt` installed
/// (first when missing, or again when the requirements changed).
pub fn program(name: &str, program: &str) -> PathBuf {
    let _guard = VENV.lock().unwrap_or_else(|e| e.into_inner());
    let root = root();
    let venv = root.join(format!("target/{name}-venv"));
    let bin = venv.join("bin").join(program);
    let requirements = root.join(format!("tests/{name}/requirements.txt"));
    let wanted =
        std::fs::read(&requirements).unwrap_or_else(|e| panic!("{}: {e}", requirements.display()));
    let installed = std::fs::read(venv.join("requirements.txt")).ok();
    if bin.exists() && installed.as_deref() == Some(wanted.as_slice()) {
        return bin;
    }
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "--disable-pip-version-check", "-r"])
            .arg(&requirements)
            .status()
            .is_ok_and(|s| s.success());
    assert!(
        ok,
        "installing {} into {} failed",
        requirements.display(),
        venv.display()
    );
    std::fs::write(venv.join("requirements.txt"), wanted).expect("mark the venv");
    bin
}
