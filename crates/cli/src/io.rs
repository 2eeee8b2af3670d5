//! Files for the CLI: `-` as stdin/stdout, size-capped reads, atomic writes.

use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Reads a file, or stdin for `-`, refusing more than `limit` bytes without reading them all.
pub fn read_input(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let (bytes, over_limit) = read_capped(path, limit)?;
    if over_limit {
        bail!(
            "{} is larger than {limit} bytes; refusing to read it",
            display_name(path)
        );
    }
    Ok(bytes)
}

fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "standard input".into()
    } else {
        path.display().to_string()
    }
}

/// Reads at most `limit + 1` bytes of a file (or stdin for `-`); the flag says whether it is
/// larger than `limit`.
pub fn read_capped(path: &Path, limit: u64) -> Result<(Vec<u8>, bool)> {
    let name = display_name(path);
    let reader: Box<dyn Read> = if path == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path).with_context(|| format!("cannot read {name}"))?)
    };
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    let over_limit = bytes.len() as u64 > limit;
    Ok((bytes, over_limit))
}

/// How to treat an existing destination file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Refuse if it exists.
    Refuse,
    /// Replace it atomically.
    Replace,
}

/// Writes `bytes` to `path` atomically (temporary file in the same directory, fsync, rename), with
/// Unix mode `mode`. `-` writes to stdout.
pub fn write_output(path: &Path, bytes: &[u8], mode: u32, overwrite: Overwrite) -> Result<()> {
    if path == Path::new("-") {
        let mut out = std::io::stdout().lock();
        return ignore_broken_pipe(out.write_all(bytes).and_then(|_| out.flush()));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".licet-")
        .tempfile_in(&dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    set_mode(temp.as_file(), mode)
        .with_context(|| format!("cannot set the mode of a file in {}", dir.display()))?;
    temp.write_all(bytes)
        .and_then(|_| temp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    match overwrite {
        Overwrite::Replace => temp.persist(path).map(|_| ()).map_err(|e| e.error),
        Overwrite::Refuse => temp
            .persist_noclobber(path)
            .map(|_| ())
            .map_err(|e| e.error),
    }
    .with_context(|| match overwrite {
        Overwrite::Refuse if path.exists() => format!(
            "{} already exists; use --force to replace it",
            path.display()
        ),
        _ => format!("cannot write {}", path.display()),
    })
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &std::fs::File, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Prints to stdout; a closed pipe (`licet ... | head`) is not an error.
pub fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    ignore_broken_pipe(out.write_all(text.as_bytes()).and_then(|_| out.flush()))
}

fn ignore_broken_pipe(result: std::io::Result<()>) -> Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}
