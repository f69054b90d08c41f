//! Replacing a file so that a crash, a kill or a second writer never leaves a torn one:
//! every file tapegrad writes (weights, optimizer state, training histories, charts) goes
//! through [`write_atomically`].
//!
//! The policy, for a `path` that already exists:
//! - **Atomic**: the bytes go to a temporary file beside the target, which is synced and
//!   renamed over it. Readers see the old file or the new one, never part of one; a kill
//!   at any moment leaves the old file intact.
//! - **Concurrent writers**: each write has its own temporary name (process id, a
//!   per-process counter), created exclusively, so two threads or processes saving to
//!   one path never share a temporary file; the last rename wins, whole.
//! - **Symlinks**: a symlink is written *through*: its target is replaced and the link
//!   stays a link (replacing the link itself would leave the target with old contents).
//! - **Permissions**: the new file gets the old file's permissions (a 0600 file stays
//!   0600). A new file gets the process's default (0666 less the umask).
//! - **Read-only files** are refused (`PermissionDenied`), not silently replaced, even
//!   though the directory would allow it.
//! - **Other users' files** are refused (`PermissionDenied`, on Unix): in a directory
//!   anyone may write to (`/tmp`), the rename would replace a file that another user owns
//!   with one this process owns, as editors warn before doing. The check compares the
//!   owner of the existing file with the owner of the temporary file just created.
//! - **Leftovers**: temporary files left by a save that was killed are removed by the
//!   next save to the same path, once their process is gone (on Linux; elsewhere, once
//!   they are an hour old).
//! - **Errors** name the path the caller gave, not the temporary one.

// Reached by data from outside (files): no unwrap, expect, panic, indexing or unchecked
// arithmetic outside the tests (`docs/reliability.md`); each exception is local and says why.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::FileError;

/// Makes every temporary name of this process unique.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// How leftover temporary files are named: `.{file name}.tmp-{pid}-{n}`.
fn temporary_prefix(file_name: &str) -> String {
    format!(".{file_name}.tmp-")
}

/// Writes `bytes` to `path` atomically, following the policy in this module's
/// documentation (symlinks written through, permissions kept, read-only files refused,
/// leftovers of killed saves removed).
///
/// # Errors
/// [`FileError::Io`] naming `path` (never the temporary file), the step that failed and the
/// operating system's error: a missing directory, no permission, a read-only file, a full
/// disk. On any error the file at `path` is unchanged and no temporary file is left
/// behind.
///
/// ```
/// let path = std::env::temp_dir().join("tapegrad-doc-atomic.txt");
/// tapegrad_tape::write_atomically(&path, b"first")?;
/// tapegrad_tape::write_atomically(&path, b"second")?;
/// assert_eq!(std::fs::read(&path)?, b"second");
///
/// let missing = std::env::temp_dir().join("tapegrad-no-such-dir").join("x.txt");
/// let err = tapegrad_tape::write_atomically(&missing, b"x").unwrap_err();
/// assert!(err.to_string().contains("tapegrad-no-such-dir/x.txt"), "{err}");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_atomically(path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), FileError> {
    let path = path.as_ref();
    let named =
        |action: &'static str, source: io::Error| FileError::Io { action, path: path.to_path_buf(), source };
    let target = resolve_symlinks(path).map_err(|e| named("follow the symlink", e))?;
    let existing = match fs::metadata(&target) {
        Ok(metadata) => Some(metadata),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(named("inspect", e)),
    };
    if let Some(metadata) = &existing {
        if metadata.is_dir() {
            return Err(named("replace", io::Error::new(io::ErrorKind::IsADirectory, "it is a directory")));
        }
        if metadata.permissions().readonly() {
            let refused =
                io::Error::new(io::ErrorKind::PermissionDenied, "the file is read-only; it was not replaced");
            return Err(named("replace", refused));
        }
    }
    let file_name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let directory = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    remove_leftovers(directory, &file_name);

    let temporary = directory.join(format!(
        "{}{}-{}",
        temporary_prefix(&file_name),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file =
            OpenOptions::new().write(true).create_new(true).open(&temporary).map_err(|e| ("create", e))?;
        if let Some(metadata) = &existing {
            refuse_another_owner(metadata, &file).map_err(|e| ("replace", e))?;
            file.set_permissions(metadata.permissions()).map_err(|e| ("keep the permissions of", e))?;
        }
        file.write_all(bytes).map_err(|e| ("write", e))?;
        file.sync_all().map_err(|e| ("sync", e))?;
        fs::rename(&temporary, &target).map_err(|e| ("replace", e))
    })();
    if let Err((action, source)) = written {
        let _ = fs::remove_file(&temporary);
        return Err(named(action, source));
    }
    // Make the rename itself durable (best effort: not every platform syncs directories).
    if let Ok(dir) = File::open(directory) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// An error if `existing` belongs to another user than `ours` (a file this process has
/// just created, so its owner is the process's effective user).
#[cfg(unix)]
fn refuse_another_owner(existing: &fs::Metadata, ours: &File) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let (theirs, mine) = (existing.uid(), ours.metadata()?.uid());
    match theirs == mine {
        true => Ok(()),
        false => Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("the file belongs to another user (uid {theirs}, this process is {mine}); it was not replaced"),
        )),
    }
}

#[cfg(not(unix))]
fn refuse_another_owner(_existing: &fs::Metadata, _ours: &File) -> io::Result<()> {
    Ok(())
}

/// The file a write to `path` should replace: `path` itself, or, if it is a symlink (or a
/// chain of them), the file it finally points to, which need not exist yet.
fn resolve_symlinks(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(current),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("more than 40 levels of symlinks"))
}

/// Removes temporary files of earlier writes to `file_name` in `directory` whose writer is
/// gone: a process that no longer exists (Linux), or, where that cannot be asked, files
/// untouched for an hour. Best effort: nothing here can fail the write.
fn remove_leftovers(directory: &Path, file_name: &str) {
    let prefix = temporary_prefix(file_name);
    let Ok(entries) = fs::read_dir(directory) else { return };
    let ours = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|name| name.strip_prefix(&prefix)) else { continue };
        let Some(pid) = rest.split('-').next().and_then(|pid| pid.parse::<u32>().ok()) else { continue };
        if pid != ours && writer_is_gone(pid, &entry) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether the process that made a temporary file can no longer be writing it.
fn writer_is_gone(pid: u32, entry: &fs::DirEntry) -> bool {
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        return !Path::new(&format!("/proc/{pid}")).exists();
    }
    let age = entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok());
    age.is_some_and(|age| age > Duration::from_secs(3600))
}
