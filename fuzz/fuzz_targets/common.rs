//! Shared by the targets: a per-process scratch file for loaders that read paths.

use std::path::PathBuf;

/// A file in a per-process scratch directory (in memory when /dev/shm exists).
pub fn scratch(name: &str) -> PathBuf {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("tapegrad-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir.join(name)
}
